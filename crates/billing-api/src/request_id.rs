//! Request ids: taken from `X-Request-Id` (when sane) or generated, echoed in every response,
//! put on every log line (a tracing span around the request) and in every error body.
//!
//! The same middleware logs one line per request and feeds the HTTP metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use tracing::Instrument;

use crate::app::AppState;

/// The header carrying the request id, both ways.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A fresh id: `req_` + a ULID (time-ordered, 128 bits).
pub fn generate() -> String {
    format!("req_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Accepts a caller's id if it is 1–128 visible ASCII characters; otherwise makes one.
fn from_header(req: &ServiceRequest) -> String {
    req.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(generate, str::to_owned)
}

/// Middleware: request id, tracing span, access log line, metrics. Outermost layer.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = from_header(&req);
    let started = Instant::now();
    let method = req.method().clone();
    // A portal link's token is a bearer secret: it never reaches a log line.
    let path = billing_web::loggable_path(req.path()).into_owned();
    let state = req.app_data::<Data<AppState>>().cloned();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    // No clone of the request may be held across this call: routing needs it unshared.
    let mut res = REQUEST_ID
        .scope(id.clone(), next.call(req).instrument(span.clone()))
        .await?
        .map_into_boxed_body();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(HEADER), v);
    }
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(state) = state {
        state
            .metrics
            .observe_request(method.as_str(), &route, status, elapsed);
    }
    span.in_scope(|| {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        if status >= 500 {
            tracing::warn!(status, latency_us = micros, route = %route, "request finished");
        } else {
            tracing::info!(status, latency_us = micros, route = %route, "request finished");
        }
    });
    Ok(res)
}
