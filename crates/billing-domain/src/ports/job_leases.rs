//! Leases on singleton background jobs: with several server processes on one database, one
//! process at a time runs each janitor. A holder renews its lease every pass; a lease that
//! is not renewed (its process died) runs out and another process takes the job over.

use time::OffsetDateTime;

use crate::error::RepoError;

/// The job leases store.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait JobLeaseRepository: Send + Sync {
    /// Takes or renews the lease on `job` for `holder` until `until`, when it is free: never
    /// taken, run out at `now`, or already `holder`'s. `true` when `holder` holds it now. Of
    /// concurrent callers at most one holds it.
    async fn acquire(
        &self,
        job: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, RepoError>;
    /// Gives the lease on `job` up, if `holder` holds it (a process shutting down).
    async fn release(&self, job: &str, holder: &str) -> Result<(), RepoError>;
}
