//! [`IdempotencyRepository`] in memory.

use time::OffsetDateTime;

use billing_domain::entities::{IdempotencyBegin, IdempotencyRecord};
use billing_domain::error::RepoError;
use billing_domain::ports::IdempotencyRepository;

use super::Shared;

/// Idempotency records keyed by `(principal, key)`.
pub(crate) struct MemoryIdempotency(pub(crate) Shared);

fn key(principal: &str, key: &str) -> (String, String) {
    (principal.to_owned(), key.to_owned())
}

#[async_trait::async_trait]
impl IdempotencyRepository for MemoryIdempotency {
    async fn begin(&self, record: &IdempotencyRecord) -> Result<IdempotencyBegin, RepoError> {
        self.0.with(|s| {
            let k = key(&record.principal, &record.key);
            if let Some(existing) = s.idempotency.get(&k) {
                return Ok(IdempotencyBegin::Existing(existing.clone()));
            }
            let started = IdempotencyRecord {
                response_status: None,
                response_body: None,
                ..record.clone()
            };
            s.idempotency.insert(k, started);
            Ok(IdempotencyBegin::Started)
        })
    }

    async fn take_over_stale(
        &self,
        record: &IdempotencyRecord,
        stale_before: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        self.0.with(|s| {
            let Some(existing) = s.idempotency.get_mut(&key(&record.principal, &record.key)) else {
                return Ok(false);
            };
            if existing.response_status.is_some()
                || existing.request_hash != record.request_hash
                || existing.created_at >= stale_before
            {
                return Ok(false);
            }
            existing.created_at = record.created_at;
            Ok(true)
        })
    }

    /// Stores the response; a record that already has one keeps its first response.
    async fn complete(
        &self,
        principal: &str,
        k: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), RepoError> {
        self.0.with(|s| {
            let record = s
                .idempotency
                .get_mut(&key(principal, k))
                .ok_or(RepoError::NotFound)?;
            if record.response_status.is_none() {
                record.response_status = Some(status);
                record.response_body = Some(body.to_vec());
            }
            Ok(())
        })
    }

    /// Forgets an unfinished record; completed records and unknown keys are left alone.
    async fn abandon(&self, principal: &str, k: &str) -> Result<(), RepoError> {
        self.0.with(|s| {
            let k = key(principal, k);
            if s.idempotency
                .get(&k)
                .is_some_and(|r| r.response_status.is_none())
            {
                s.idempotency.remove(&k);
            }
            Ok(())
        })
    }

    async fn purge_before(&self, before: OffsetDateTime) -> Result<u64, RepoError> {
        self.0.with(|s| {
            let n = s.idempotency.len();
            s.idempotency.retain(|_, r| r.created_at >= before);
            Ok(u64::try_from(n - s.idempotency.len()).unwrap_or(u64::MAX))
        })
    }
}
