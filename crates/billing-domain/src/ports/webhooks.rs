//! Stored gateway webhooks: recorded raw and deduplicated by `(gateway, event_id)` before
//! they are applied, and marked processed once applied.

use time::OffsetDateTime;

use crate::entities::{PaymentMethodKind, WebhookEvent};
use crate::error::RepoError;

/// What recording an event found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// First time seen: stored.
    New,
    /// Seen before but never applied (an earlier application failed or is running): apply it.
    SeenUnprocessed,
    /// Applied before: change nothing.
    AlreadyProcessed,
}

/// Stores gateway webhook events.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait WebhookEventRepository: Send + Sync {
    /// Stores `event` unless `(gateway, event_id)` is stored already, atomically under
    /// concurrency (exactly one concurrent caller gets `New`). An existing row is not changed.
    async fn record(&self, event: &WebhookEvent) -> Result<RecordOutcome, RepoError>;
    /// Sets `processed_at` if not yet set. `false` if no such event or already processed.
    async fn mark_processed(
        &self,
        gateway: PaymentMethodKind,
        event_id: &str,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError>;
    /// Reads one event.
    async fn get(
        &self,
        gateway: PaymentMethodKind,
        event_id: &str,
    ) -> Result<Option<WebhookEvent>, RepoError>;
}
