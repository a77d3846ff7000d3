//! [`JobLeaseRepository`] in memory.

use time::OffsetDateTime;

use billing_domain::error::RepoError;
use billing_domain::ports::JobLeaseRepository;

use super::Shared;

/// Leases on singleton background jobs.
pub(crate) struct MemoryJobLeases(pub(crate) Shared);

#[async_trait::async_trait]
impl JobLeaseRepository for MemoryJobLeases {
    async fn acquire(
        &self,
        job: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        self.0.with(|s| {
            let free = s
                .job_leases
                .get(job)
                .is_none_or(|(h, end)| h == holder || *end <= now);
            if free {
                s.job_leases
                    .insert(job.to_owned(), (holder.to_owned(), until));
            }
            Ok(free)
        })
    }

    async fn release(&self, job: &str, holder: &str) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.job_leases.get(job).is_some_and(|(h, _)| h == holder) {
                s.job_leases.remove(job);
            }
            Ok(())
        })
    }
}
