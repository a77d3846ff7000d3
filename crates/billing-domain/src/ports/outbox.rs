//! Outbox port: events recorded with the change that caused them, delivered later.

use time::OffsetDateTime;

use crate::entities::OutboxEvent;
use crate::error::RepoError;
use crate::types::{AccountId, EventId, Page, PageRequest};

/// Reads outbox events.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Writes one event on its own.
    async fn insert(&self, event: &OutboxEvent) -> Result<(), RepoError>;
    /// Events, newest first, optionally of one account and one kind.
    async fn list(
        &self,
        account: Option<AccountId>,
        kind: Option<String>,
        page: &PageRequest,
    ) -> Result<Page<OutboxEvent>, RepoError>;
    /// Up to `limit` undelivered events, oldest first.
    async fn undelivered(&self, limit: u32) -> Result<Vec<OutboxEvent>, RepoError>;
    /// Marks events delivered.
    async fn mark_delivered(&self, ids: &[EventId], at: OffsetDateTime) -> Result<(), RepoError>;
}
