//! [`WebhookEventRepository`] in memory.

use time::OffsetDateTime;

use billing_domain::entities::{PaymentMethodKind, WebhookEvent};
use billing_domain::error::RepoError;
use billing_domain::ports::{RecordOutcome, WebhookEventRepository};

use super::Shared;

/// Gateway webhook events, unique by `(gateway, event_id)`.
pub(crate) struct MemoryWebhookEvents(pub(crate) Shared);

#[async_trait::async_trait]
impl WebhookEventRepository for MemoryWebhookEvents {
    async fn record(&self, event: &WebhookEvent) -> Result<RecordOutcome, RepoError> {
        self.0.with(|s| {
            let key = (event.gateway, event.event_id.clone());
            if let Some(stored) = s.webhook_events.get(&key) {
                return Ok(if stored.processed_at.is_some() {
                    RecordOutcome::AlreadyProcessed
                } else {
                    RecordOutcome::SeenUnprocessed
                });
            }
            if s.webhook_events.values().any(|e| e.id == event.id) {
                return Err(RepoError::Conflict(format!(
                    "webhook event {} already exists",
                    event.id
                )));
            }
            s.webhook_events.insert(key, event.clone());
            Ok(RecordOutcome::New)
        })
    }

    async fn mark_processed(
        &self,
        gateway: PaymentMethodKind,
        event_id: &str,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        self.0.with(
            |s| match s.webhook_events.get_mut(&(gateway, event_id.to_owned())) {
                Some(e) if e.processed_at.is_none() => {
                    e.processed_at = Some(at);
                    Ok(true)
                }
                _ => Ok(false),
            },
        )
    }

    async fn get(
        &self,
        gateway: PaymentMethodKind,
        event_id: &str,
    ) -> Result<Option<WebhookEvent>, RepoError> {
        Ok(self
            .0
            .lock()
            .webhook_events
            .get(&(gateway, event_id.to_owned()))
            .cloned())
    }
}
