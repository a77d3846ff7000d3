//! Stored results of POST requests, keyed by the caller's `Idempotency-Key`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A stored idempotent request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// Who sent it: the API key id (keys are scoped per caller, as Stripe does).
    pub principal: String,
    /// The caller's `Idempotency-Key`.
    pub key: String,
    /// Hex SHA-256 over method, path and body: a different request under the same key is refused.
    pub request_hash: String,
    /// `None` while the first request is still being processed.
    pub response_status: Option<u16>,
    /// The first response's body.
    pub response_body: Option<Vec<u8>>,
    /// When the first request arrived.
    pub created_at: OffsetDateTime,
}

/// What [`crate::ports::IdempotencyRepository::begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First time: the caller must process the request, then complete or abandon it.
    Started,
    /// Seen before; here is the stored record (complete or still in progress).
    Existing(IdempotencyRecord),
}
