//! The outgoing e-mail queue (see [`OutgoingEmail`]).

use time::OffsetDateTime;

use crate::entities::{AuditEntry, EmailKind, EmailStatus, OutgoingEmail};
use crate::error::RepoError;
use crate::types::{AccountId, EmailId, Page, PageRequest};

/// Which messages a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailFilter {
    /// Of one account.
    pub account_id: Option<AccountId>,
    /// Of one kind.
    pub kind: Option<EmailKind>,
    /// In one status.
    pub status: Option<EmailStatus>,
}

/// Queued and delivered messages.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait EmailRepository: Send + Sync {
    /// Queues `email` unless a message with its `dedupe_key` exists; `true` when written,
    /// with `audit` (an operator's resend) in the same transaction.
    async fn enqueue(
        &self,
        email: &OutgoingEmail,
        audit: Option<AuditEntry>,
    ) -> Result<bool, RepoError>;
    /// Up to `limit` queued messages due at `now` and not leased, oldest due first, leased
    /// until `until`. Concurrent callers (other processes on the same database) never get
    /// the same message while its lease lasts.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutgoingEmail>, RepoError>;
    /// Writes a message's outcome (status, attempts, next attempt, sent time, lease cleared)
    /// if it still carries the lease `lease` it was claimed with; `false` otherwise (the
    /// lease ran out and another worker took it).
    async fn finish(&self, email: &OutgoingEmail, lease: OffsetDateTime)
    -> Result<bool, RepoError>;
    /// One message.
    async fn get(&self, id: &EmailId) -> Result<Option<OutgoingEmail>, RepoError>;
    /// Messages, newest first.
    async fn list(
        &self,
        filter: &EmailFilter,
        page: &PageRequest,
    ) -> Result<Page<OutgoingEmail>, RepoError>;
}
