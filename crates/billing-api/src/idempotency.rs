//! `Idempotency-Key` on every POST, stored in the database through
//! [`billing_domain::ports::IdempotencyRepository`] and scoped to the API key that sent it.
//!
//! * First request: a record is inserted *before* the handler runs (atomically: of concurrent
//!   duplicates exactly one wins), then completed with the response's status and body.
//! * Same key, same request (SHA-256 over method, path and body): the stored response is
//!   replayed with `Idempotent-Replayed: true`.
//! * Same key, another request: 422 `idempotency_key_reused`.
//! * Same key while the first is still running: 409 `idempotency_in_progress` — for at most
//!   `BILLING_IDEMPOTENCY_LEASE_SECONDS` (120): a first attempt whose process died never
//!   completes, and after the lease a retry runs the request again (its operations are
//!   idempotent by their own references and guards, so it lands once).
//! * A 5xx response (or a dropped request) abandons the record, so a retry can run.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{HttpMessage, HttpResponse};
use billing_domain::entities::{IdempotencyBegin, IdempotencyRecord};
use billing_domain::ports::IdempotencyRepository;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use crate::app::AppState;
use crate::error::{ApiError, ErrorType};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header set on replays.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Forgets an in-progress record if the request never completes (client gone, panic).
struct AbandonGuard {
    repo: Option<Arc<dyn IdempotencyRepository>>,
    principal: String,
    key: String,
}

impl AbandonGuard {
    fn disarm(&mut self) {
        self.repo = None;
    }
}

impl Drop for AbandonGuard {
    fn drop(&mut self) {
        if let Some(repo) = self.repo.take() {
            let (p, k) = (
                std::mem::take(&mut self.principal),
                std::mem::take(&mut self.key),
            );
            actix_web::rt::spawn(async move {
                if let Err(e) = repo.abandon(&p, &k).await {
                    tracing::warn!(error = %e, "could not abandon an idempotency record");
                }
            });
        }
    }
}

/// Hex SHA-256 over method, path (with query) and body.
pub fn request_hash(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

fn idem_error(status: StatusCode, code: &'static str, message: &str) -> ApiError {
    ApiError::new(status, ErrorType::IdempotencyError, code, message).param("Idempotency-Key")
}

fn reply(req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    req.error_response(e).map_into_boxed_body()
}

async fn read_payload(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "invalid_body",
                format!("could not read the request body: {e}"),
            )
        })?;
        if buf.len() + chunk.len() > limit {
            let max_proof = req
                .app_data::<actix_web::web::Data<crate::app::AppState>>()
                .map_or(0, |s| s.settings.max_proof_bytes);
            return Err(crate::extract::too_large(limit, req.path(), max_proof));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Middleware applying the rules above to POST routes that carry the header.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = match req.headers().get(HEADER) {
        Some(v) if req.method() == Method::POST => v
            .to_str()
            .ok()
            .map(str::trim)
            .map(str::to_owned)
            .unwrap_or_default(),
        _ => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body);
        }
    };
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // Gateway webhooks are deduplicated by event id in the domain and carry no API key.
    if !state.routes.has("POST", req.path()) || req.path().starts_with("/v1/webhooks/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    // Authentication comes first: a caller without a valid key learns nothing else.
    let principal = match crate::auth::require(req.request()).await {
        Ok(p) => p,
        Err(e) => return Ok(reply(req, e)),
    };
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(reply(
            req,
            ApiError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1-255 visible ASCII characters (a UUID is a good choice)",
            ),
        ));
    }
    let principal = principal.actor();
    let limit = crate::extract::body_limit(req.path(), state.settings.max_proof_bytes);
    let body = match read_payload(&mut req, limit).await {
        Ok(b) => b,
        Err(e) => return Ok(reply(req, e)),
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let hash = request_hash(req.method().as_str(), &path, &body);
    req.set_payload(Payload::from(body));
    let repo = state.services.repos.idempotency.clone();
    let record = IdempotencyRecord {
        principal: principal.clone(),
        key: key.clone(),
        request_hash: hash.clone(),
        response_status: None,
        response_body: None,
        created_at: state.services.clock.now(),
    };
    let mut begun = repo.begin(&record).await;
    // A first attempt that never finished because its process died (a crash, a kill) holds
    // the key only for the lease: then the retry runs it again.
    if let Ok(IdempotencyBegin::Existing(r)) = &begun
        && r.response_status.is_none()
        && r.request_hash == hash
    {
        let stale_before = record.created_at - state.idempotency_lease;
        if r.created_at < stale_before {
            match repo.take_over_stale(&record, stale_before).await {
                Ok(true) => {
                    tracing::warn!(key = %key, "an unfinished request's Idempotency-Key outlived its lease; running the retry");
                    begun = Ok(IdempotencyBegin::Started);
                }
                Ok(false) => {}
                Err(e) => begun = Err(e),
            }
        }
    }
    match begun {
        Err(e) => Ok(reply(req, e.into())),
        Ok(IdempotencyBegin::Existing(r)) if r.request_hash != hash => Ok(reply(
            req,
            idem_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was already used with a different request (method, path or body); use a new key",
            ),
        )),
        Ok(IdempotencyBegin::Existing(IdempotencyRecord {
            response_status: Some(status),
            response_body,
            ..
        })) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let res = HttpResponse::build(status)
                .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
                .insert_header((REPLAYED_HEADER, "true"))
                .body(response_body.unwrap_or_default());
            Ok(req.into_response(res))
        }
        Ok(IdempotencyBegin::Existing(_)) => Ok(reply(
            req,
            idem_error(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still being processed; retry shortly",
            ),
        )),
        Ok(IdempotencyBegin::Started) => {
            let mut guard = AbandonGuard {
                repo: Some(repo.clone()),
                principal: principal.clone(),
                key: key.clone(),
            };
            // On an error the guard abandons the record.
            let res = next.call(req).await?.map_into_boxed_body();
            let status = res.status();
            let (http_req, res) = res.into_parts();
            let (head, body) = res.into_parts();
            let bytes = match actix_web::body::to_bytes(body).await {
                Ok(b) => b,
                Err(e) => {
                    let e = ApiError::internal(format!("could not buffer the response: {e}"));
                    return Ok(ServiceResponse::new(http_req, e.error_response_boxed()));
                }
            };
            let stored = if status.is_server_error() {
                repo.abandon(&principal, &key).await
            } else {
                repo.complete(&principal, &key, status.as_u16(), &bytes)
                    .await
            };
            match stored {
                Ok(()) => guard.disarm(),
                Err(e) => {
                    tracing::warn!(error = %e, "could not store the idempotent response; the key is released")
                }
            }
            Ok(ServiceResponse::new(
                http_req,
                head.set_body(BoxBody::new(bytes)),
            ))
        }
    }
}

impl ApiError {
    fn error_response_boxed(&self) -> HttpResponse<BoxBody> {
        actix_web::ResponseError::error_response(self)
    }
}
