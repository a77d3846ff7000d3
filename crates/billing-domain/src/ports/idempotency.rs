//! Idempotency records port.

use time::OffsetDateTime;

use crate::entities::{IdempotencyBegin, IdempotencyRecord};
use crate::error::RepoError;

/// Stores the first response of each `(principal, key)`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait IdempotencyRepository: Send + Sync {
    /// Atomically inserts `record` (with no response yet) unless `(principal, key)` exists;
    /// returns `Started` when inserted, else the existing record. Concurrent callers with the
    /// same key: exactly one gets `Started`.
    async fn begin(&self, record: &IdempotencyRecord) -> Result<IdempotencyBegin, RepoError>;
    /// Stores the response of a started request. A record that already has a response keeps
    /// it (the first response is what every replay answers); an unknown key is `NotFound`.
    async fn complete(
        &self,
        principal: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), RepoError>;
    /// Restarts a started request whose process died before it completed (a crash, a kill):
    /// the record of `(record.principal, record.key)` is taken over as `record` if it still
    /// has no response, carries the same request hash and was begun before `stale_before`.
    /// `true` when taken; of concurrent callers at most one is. What the dead request did
    /// is not undone: the request runs again, and the operations it performs are themselves
    /// idempotent (a debit's or hold's reference, a payment's guard), so it lands once.
    async fn take_over_stale(
        &self,
        record: &IdempotencyRecord,
        stale_before: OffsetDateTime,
    ) -> Result<bool, RepoError>;
    /// Forgets a started request that failed without side effects (so it can be retried).
    async fn abandon(&self, principal: &str, key: &str) -> Result<(), RepoError>;
    /// Deletes records created before `before`; returns how many.
    async fn purge_before(&self, before: OffsetDateTime) -> Result<u64, RepoError>;
}
