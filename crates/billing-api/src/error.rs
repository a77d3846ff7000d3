//! One error shape everywhere: `{"error": {"type", "code", "message", "param"}, "request_id"}`.
//!
//! [`ApiError`] is what every handler, extractor and middleware returns; it maps each
//! [`BillingError`] to a status and a stable code. 5xx errors log their detail with the request
//! id and answer a generic message, so internals never leak.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use billing_domain::{BillingError, RepoError, ValidationError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id;

/// The `error.type` values: the broad category a client can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The request is wrong (400, 402, 405, 409, 413, 415).
    InvalidRequestError,
    /// No valid API key (401).
    AuthenticationError,
    /// The key lacks the scope (403).
    PermissionError,
    /// No such resource or route (404).
    NotFound,
    /// `Idempotency-Key` misuse (409, 422).
    IdempotencyError,
    /// Our fault or a dependency's (500, 503).
    ApiError,
}

/// The `error` object of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorObject {
    /// Broad category.
    #[serde(rename = "type")]
    pub kind: ErrorType,
    /// Stable machine-readable code, e.g. `parameter_invalid`, `insufficient_credits`.
    pub code: Cow<'static, str>,
    /// A sentence a person can act on.
    pub message: String,
    /// The offending field (dotted path, e.g. `billing_profile.address.country`), if any.
    pub param: Option<String>,
    /// For `insufficient_credits`: the ledger balance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
    /// For `insufficient_credits`: balance minus active holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    /// For `insufficient_credits`: the credits asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested: Option<i64>,
    /// For `insufficient_credits`: `requested - available`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<i64>,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: ErrorObject,
    /// The request id (also in the `X-Request-Id` header); quote it when asking for help.
    pub request_id: Option<String>,
}

/// An HTTP error: a status and the error object.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {}: {}", .error.code, .error.message)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The body's `error` object (boxed: errors travel in every `Result`).
    pub error: Box<ErrorObject>,
    /// Extra response headers (e.g. `Allow` on 405).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// A new error without `param`.
    pub fn new(
        status: StatusCode,
        kind: ErrorType,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error: Box::new(ErrorObject {
                kind,
                code: code.into(),
                message: message.into(),
                param: None,
                balance: None,
                available: None,
                requested: None,
                shortfall: None,
            }),
            headers: Vec::new(),
        }
    }

    /// Names the offending field.
    #[must_use]
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.error.param = Some(param.into());
        self
    }

    /// Adds a response header.
    #[must_use]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// 400 `parameter_invalid` on `param`.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            "parameter_invalid",
            message,
        )
        .param(param)
    }

    /// 400 with a code and no param.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            code,
            message,
        )
    }

    /// 401.
    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorType::AuthenticationError,
            code,
            message,
        )
    }

    /// 404 for an unknown route.
    pub fn route_not_found(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::NotFound,
            "route_not_found",
            format!("no route {method} {path}; see /openapi.json"),
        )
    }

    /// 405 listing the allowed methods.
    pub fn method_not_allowed(method: &str, path: &str, allowed: &[String]) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorType::InvalidRequestError,
            "method_not_allowed",
            format!(
                "{method} is not allowed on {path}; allowed: {}",
                allowed.join(", ")
            ),
        )
        .header("Allow", allowed.join(", "))
    }

    /// 500 with a generic message; `detail` is logged with the request id, never returned.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::ApiError,
            "internal_error",
            "something went wrong on our side; it has been logged, retry later or quote the request id",
        )
    }

    /// 503; `detail` is logged, never returned.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::ApiError,
            "service_unavailable",
            "a service this request needs (the database or a payment gateway) is temporarily \
             unavailable; retry later",
        )
        .header("Retry-After", "5")
    }

    /// The full body, with the current request id.
    pub fn body(&self) -> ErrorResponse {
        ErrorResponse {
            error: (*self.error).clone(),
            request_id: request_id::current(),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        let code = if e.message == "is required" {
            "parameter_missing"
        } else {
            "parameter_invalid"
        };
        let message = if e.field.is_empty() {
            e.message.clone()
        } else {
            format!("{} {}", e.field, e.message)
        };
        // 400: the value breaks the document's own rules; 422: each value is well-formed
        // but together (or with stored data) they break a rule of the domain.
        let status = if e.unprocessable {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::new(status, ErrorType::InvalidRequestError, code, message).param(e.field)
    }
}

impl From<BillingError> for ApiError {
    fn from(e: BillingError) -> Self {
        use StatusCode as S;
        match e {
            // A malformed id in the path names nothing that exists: answer like an unknown id.
            BillingError::Validation(v) if v.field == "id" || v.field == "reservation_id" => {
                Self::new(
                    S::NOT_FOUND,
                    ErrorType::NotFound,
                    "resource_missing",
                    format!("no such resource: {}", v.message),
                )
                .param(v.field)
            }
            BillingError::Validation(v) => v.into(),
            BillingError::NotFound { resource, id } => {
                let message = if id.is_empty() {
                    format!("no such {resource}")
                } else {
                    format!("no such {resource}: {id}")
                };
                Self::new(
                    S::NOT_FOUND,
                    ErrorType::NotFound,
                    "resource_missing",
                    message,
                )
            }
            BillingError::Conflict {
                code,
                message,
                param,
            } => {
                let e = Self::new(S::CONFLICT, ErrorType::InvalidRequestError, code, message);
                match param {
                    Some(p) => e.param(p),
                    None => e,
                }
            }
            BillingError::InvalidTransition { .. } => Self::new(
                S::CONFLICT,
                ErrorType::InvalidRequestError,
                "invalid_state_transition",
                e.to_string(),
            ),
            BillingError::InsufficientCredits {
                balance,
                available,
                requested,
                shortfall,
            } => {
                let mut err = Self::new(
                    S::PAYMENT_REQUIRED,
                    ErrorType::InvalidRequestError,
                    "insufficient_credits",
                    format!("insufficient credits: requested {requested}, available {available} (balance {balance}), short by {shortfall}"),
                )
                .param("credits");
                err.error.balance = Some(balance);
                err.error.available = Some(available);
                err.error.requested = Some(requested);
                err.error.shortfall = Some(shortfall);
                err
            }
            BillingError::Unauthenticated(m) => Self::unauthenticated("invalid_api_key", m),
            BillingError::Forbidden(m) => Self::new(
                S::FORBIDDEN,
                ErrorType::PermissionError,
                "insufficient_scope",
                m,
            ),
            BillingError::Unavailable(m) => Self::unavailable(m),
            BillingError::NotConfigured(m) => Self::new(
                S::NOT_FOUND,
                ErrorType::ApiError,
                "gateway_not_configured",
                m,
            ),
            BillingError::Internal(m) => Self::internal(m),
        }
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        BillingError::from(e).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            res.insert_header((*name, value.as_str()));
        }
        res.json(self.body())
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
