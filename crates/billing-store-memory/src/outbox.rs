//! [`OutboxRepository`] in memory.

use time::OffsetDateTime;

use billing_domain::entities::OutboxEvent;
use billing_domain::error::RepoError;
use billing_domain::ports::OutboxRepository;
use billing_domain::types::{AccountId, EventId, Page, PageRequest};

use super::Shared;
use super::state::{Order, exists, paginate};

/// Outbox events (the ledger writes `credits.low_balance` here with its postings).
pub(crate) struct MemoryOutbox(pub(crate) Shared);

#[async_trait::async_trait]
impl OutboxRepository for MemoryOutbox {
    async fn insert(&self, event: &OutboxEvent) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.outbox.contains_key(&event.id) {
                return Err(exists("event", &event.id));
            }
            s.outbox.insert(event.id.clone(), event.clone());
            Ok(())
        })
    }

    async fn list(
        &self,
        account: Option<AccountId>,
        kind: Option<String>,
        page: &PageRequest,
    ) -> Result<Page<OutboxEvent>, RepoError> {
        let s = self.0.lock();
        let rows = s.outbox.values().filter(|e| {
            account
                .as_ref()
                .is_none_or(|a| e.account_id.as_ref() == Some(a))
                && kind.as_ref().is_none_or(|k| *k == e.kind)
        });
        Ok(paginate(rows, |e| e.id.as_str(), Order::NewestFirst, page))
    }

    async fn undelivered(&self, limit: u32) -> Result<Vec<OutboxEvent>, RepoError> {
        let s = self.0.lock();
        Ok(s.outbox
            .values()
            .filter(|e| e.delivered_at.is_none())
            .take(limit as usize)
            .cloned()
            .collect())
    }

    /// Marks the events delivered; already delivered events keep their first time, unknown ids
    /// are ignored.
    async fn mark_delivered(&self, ids: &[EventId], at: OffsetDateTime) -> Result<(), RepoError> {
        self.0.with(|s| {
            for id in ids {
                if let Some(e) = s.outbox.get_mut(id) {
                    e.delivered_at.get_or_insert(at);
                }
            }
            Ok(())
        })
    }
}
