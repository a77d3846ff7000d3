//! Domain errors. The HTTP crate maps each variant to a status code and error code;
//! nothing here knows about HTTP.

use std::fmt;

/// Why a value failed to parse or validate. Always names the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// Dotted path of the field, as the caller sent it (`billing_email`, `address.country`).
    pub field: String,
    /// A sentence a person can act on.
    pub message: String,
    /// The field is well-formed on its own (its type, bounds and pattern are as the API
    /// document says) but breaks a rule that joins it to other fields or to stored data:
    /// HTTP 422 rather than 400, so a client generated from the document can tell the two
    /// apart.
    pub unprocessable: bool,
}

impl ValidationError {
    /// Builds a validation error for `field`: the value itself is malformed (HTTP 400).
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            unprocessable: false,
        }
    }

    /// Builds an error for a well-formed `field` that breaks a rule across fields or
    /// against stored data (HTTP 422): a discount above its line, a referenced package that
    /// does not exist, a subscription without a billing profile.
    pub fn rule(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            unprocessable: true,
            ..Self::new(field, message)
        }
    }

    /// Re-roots the error under a parent field (`country` -> `address.country`).
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

/// Errors of the storage ports, independent of the database behind them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule or an optimistic version check failed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store cannot be reached (pool exhausted, connection refused, database down).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the message is for logs, never for API callers.
    #[error("store error: {0}")]
    Other(String),
}

/// The error of every use case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// The input is malformed or breaks a rule of the domain (HTTP 400).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The resource does not exist, or the caller may not see it (HTTP 404).
    #[error("no such {resource}: {id}")]
    NotFound {
        /// Resource kind, e.g. `account`.
        resource: &'static str,
        /// The id the caller asked for.
        id: String,
    },
    /// The request conflicts with the current state (HTTP 409 or 422 depending on `code`).
    #[error("{message}")]
    Conflict {
        /// Stable machine-readable code, e.g. `slug_taken`.
        code: &'static str,
        /// A sentence a person can act on.
        message: String,
        /// The request field at fault, when one is (`reference`, `external_id`, `slug`).
        param: Option<&'static str>,
    },
    /// A state machine refused a transition (HTTP 409).
    #[error("{entity} cannot go from {from} to {to}")]
    InvalidTransition {
        /// `invoice`, `payment` or `subscription`.
        entity: &'static str,
        /// Current state.
        from: String,
        /// Requested state.
        to: String,
    },
    /// Not enough available credits (HTTP 402). Nothing was written.
    #[error("insufficient credits: requested {requested}, available {available}")]
    InsufficientCredits {
        /// Ledger balance.
        balance: i64,
        /// Balance minus active holds.
        available: i64,
        /// What the caller asked for.
        requested: i64,
        /// `requested - available`.
        shortfall: i64,
    },
    /// No valid credentials were presented (HTTP 401).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is authenticated but lacks the scope (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// A dependency is down; retrying later may work (HTTP 503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A gateway this request needs is not configured in this deployment (HTTP 404: its
    /// endpoints do not exist here); the message says which and is safe to show.
    #[error("{0}")]
    NotConfigured(String),
    /// A bug or an unexpected store failure (HTTP 500). The text is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl BillingError {
    /// Shorthand for [`BillingError::NotFound`].
    pub fn not_found(resource: &'static str, id: impl fmt::Display) -> Self {
        Self::NotFound {
            resource,
            id: id.to_string(),
        }
    }

    /// Shorthand for a validation error on `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(ValidationError::new(field, message))
    }

    /// Shorthand for [`BillingError::Conflict`].
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            param: None,
        }
    }

    /// A conflict caused by the value of request field `param`.
    pub fn conflict_on(
        param: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            param: Some(param),
        }
    }
}

impl From<RepoError> for BillingError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => Self::NotFound {
                resource: "resource",
                id: String::new(),
            },
            RepoError::Conflict(m) => Self::Conflict {
                code: "conflict",
                message: m,
                param: None,
            },
            RepoError::Unavailable(m) => Self::Unavailable(m),
            RepoError::Other(m) => Self::Internal(m),
        }
    }
}

/// Result alias of the use cases.
pub type BillingResult<T> = Result<T, BillingError>;
