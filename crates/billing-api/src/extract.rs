//! Request extractors with errors a person can act on: JSON bodies whose type errors name the
//! field (via `serde_path_to_error`), content-type checks, and query-string parsing helpers.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use billing_domain::types::PageRequest;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::error::{ApiError, ErrorType};
pub use crate::json_input::parse_json;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON request body of type `T`. Requires `Content-Type: application/json` and a body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// A JSON body that may be absent (empty body, no content type): then `T::default()`.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub T);

fn is_json(req: &HttpRequest) -> Option<bool> {
    let ct = req.headers().get(CONTENT_TYPE)?;
    let ct = ct
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json")))
}

fn unsupported_media_type(req: &HttpRequest) -> ApiError {
    let got = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorType::InvalidRequestError,
        "unsupported_media_type",
        format!("Content-Type must be application/json (got {got})"),
    )
    .param("Content-Type")
}

/// 413 for a body over `limit`; on the proof route the message names the largest proof
/// accepted, `max_proof_bytes` (the configured limit itself, not one derived from `limit`).
pub fn too_large(limit: usize, path: &str, max_proof_bytes: usize) -> ApiError {
    let e = ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorType::InvalidRequestError,
        "body_too_large",
        format!("the body exceeds {limit} bytes"),
    );
    if is_proof_route(path) {
        let mut e = e.param("proof_file");
        e.error.message = format!(
            "the body exceeds {limit} bytes: proof_file is too large (at most \
             {max_proof_bytes} bytes once decoded)"
        );
        e
    } else {
        e
    }
}

/// Room for the other fields of a confirmation beside the base64 of the largest proof.
const PROOF_BODY_SLACK: usize = 64 * 1024;

/// Whether `path` is `POST /v1/accounts/{id}/payments/{pid}/confirmation`, whose body carries
/// a base64 proof file and so may be larger than [`MAX_BODY_BYTES`].
pub fn is_proof_route(path: &str) -> bool {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        segs.as_slice(),
        ["v1", "accounts", _, "payments", _, "confirmation"]
    )
}

/// The largest body accepted on `path`: [`MAX_BODY_BYTES`], or enough for the base64 of a
/// proof of `max_proof_bytes` on the confirmation route.
pub fn body_limit(path: &str, max_proof_bytes: usize) -> usize {
    if is_proof_route(path) {
        (max_proof_bytes.div_ceil(3) * 4 + PROOF_BODY_SLACK).max(MAX_BODY_BYTES)
    } else {
        MAX_BODY_BYTES
    }
}

/// The raw body up to `limit` bytes, or 413 (webhooks: verified over the exact bytes).
pub async fn raw_body(payload: Payload, limit: usize, path: &str) -> Result<Bytes, ApiError> {
    collect(payload, limit, path, 0).await
}

/// The body of `req` up to `limit` bytes, or 413.
async fn collect(
    mut payload: Payload,
    limit: usize,
    path: &str,
    max_proof_bytes: usize,
) -> Result<Bytes, ApiError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "invalid_body",
                format!("could not read the request body: {e}"),
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large(limit, path, max_proof_bytes));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    optional: bool,
    limit: usize,
) -> impl Future<Output = Result<Option<Bytes>, ApiError>> + 'static {
    let json = is_json(req);
    let req2 = req.clone();
    let stream = payload.take();
    let max_proof = req
        .app_data::<actix_web::web::Data<crate::app::AppState>>()
        .map_or(0, |s| s.settings.max_proof_bytes);
    async move {
        let bytes = collect(stream, limit, req2.path(), max_proof).await?;
        match json {
            Some(true) => {}
            None if optional && bytes.is_empty() => return Ok(None),
            None if bytes.is_empty() => {
                return Err(ApiError::bad_request(
                    "missing_body",
                    "a JSON body is required (Content-Type: application/json)",
                ));
            }
            _ => return Err(unsupported_media_type(&req2)),
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return if optional {
                Ok(None)
            } else {
                Err(ApiError::bad_request(
                    "missing_body",
                    "the JSON body is empty",
                ))
            };
        }
        Ok(Some(bytes))
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload, false, MAX_BODY_BYTES);
        let req = req.clone();
        Box::pin(async move {
            let body = body.await;
            // Authentication errors come before body errors.
            crate::auth::require(&req).await?;
            let bytes = body?
                .ok_or_else(|| ApiError::bad_request("missing_body", "a JSON body is required"))?;
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// A JSON body of type `T` that may carry an uploaded file: up to
/// [`body_limit`] of the configured proof size instead of [`MAX_BODY_BYTES`].
#[derive(Debug)]
pub struct UploadJsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for UploadJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let max_proof = req
            .app_data::<actix_web::web::Data<crate::app::AppState>>()
            .map_or(0, |s| s.settings.max_proof_bytes);
        let body = read_body(req, payload, false, body_limit(req.path(), max_proof));
        let req = req.clone();
        Box::pin(async move {
            let body = body.await;
            crate::auth::require(&req).await?;
            let bytes = body?
                .ok_or_else(|| ApiError::bad_request("missing_body", "a JSON body is required"))?;
            parse_json(&bytes).map(UploadJsonBody)
        })
    }
}

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload, true, MAX_BODY_BYTES);
        let req = req.clone();
        Box::pin(async move {
            let body = body.await;
            crate::auth::require(&req).await?;
            match body? {
                None => Ok(OptionalJsonBody(T::default())),
                Some(bytes) => parse_json(&bytes).map(OptionalJsonBody),
            }
        })
    }
}

/// Parses the cursor pagination parameters (`limit` 1–100, `starting_after` an id).
pub fn page(limit: Option<&str>, starting_after: Option<String>) -> Result<PageRequest, ApiError> {
    // An empty `limit=` is not a number either (the document says integer): leave it out
    // for the default.
    let limit = limit
        .map(|l| {
            l.parse::<u32>().map_err(|_| {
                ApiError::invalid("limit", "limit must be a whole number between 1 and 100")
            })
        })
        .transpose()?;
    Ok(PageRequest::new(limit, starting_after)?)
}

/// Parses an RFC 3339 timestamp query parameter. An empty value is not a timestamp either
/// (the document says `format: date-time`): leave the parameter out to not filter.
pub fn timestamp(v: Option<&str>, field: &str) -> Result<Option<OffsetDateTime>, ApiError> {
    v.map(|s| {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| {
            ApiError::invalid(
                field,
                format!("{field} must be an RFC 3339 timestamp, e.g. 2025-01-31T00:00:00Z"),
            )
        })
    })
    .transpose()
}

/// Parses an optional integer query parameter.
pub fn integer(v: Option<&str>, field: &str) -> Result<Option<i64>, ApiError> {
    v.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ApiError::invalid(field, format!("{field} must be a whole number")))
        })
        .transpose()
}

/// Account-scoped listings take the account from the path; an `account_id` query filter
/// (meant for the admin listings) is refused rather than silently ignored.
pub fn no_account_filter(account_id: Option<&str>) -> Result<(), ApiError> {
    if account_id.is_some_and(|a| !a.is_empty()) {
        return Err(ApiError::invalid(
            "account_id",
            "account_id filters the admin listing only; the account is in the path",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        country: Option<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: Option<String>,
        address: Option<Inner>,
        items: Option<Vec<i64>>,
    }

    fn err(body: &str) -> ApiError {
        parse_json::<Outer>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(err(r#"{"name": 5}"#).error.param.as_deref(), Some("name"));
        assert_eq!(
            err(r#"{"address": {"country": 5}}"#).error.param.as_deref(),
            Some("address.country")
        );
        assert_eq!(
            err(r#"{"items": [1, "x"]}"#).error.param.as_deref(),
            Some("items[1]")
        );
        assert_eq!(err(r#"{"nick": 1}"#).error.param.as_deref(), Some("nick"));
        assert_eq!(
            err(r#"{"address": {"zip": 1}}"#).error.param.as_deref(),
            Some("address.zip")
        );
        let e = err(r#"[1, 2]"#);
        assert_eq!(e.error.code, "invalid_json", "{e:?}");
        assert_eq!(err(r#"5"#).error.code, "invalid_json");
        assert_eq!(err(r#"{"name": "#).error.code, "invalid_json");
        assert_eq!(err(r#"{} x"#).error.code, "invalid_json");
    }
}
