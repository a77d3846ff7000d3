//! A verified gateway webhook, stored raw before it is applied, so every event is kept once
//! (deduplicated by the gateway's event id) and a failed application can be retried.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::PaymentMethodKind;
use crate::types::WebhookEventId;

/// One stored gateway event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// `whe_…`.
    pub id: WebhookEventId,
    /// The gateway that sent it (by the method it serves).
    pub gateway: PaymentMethodKind,
    /// The gateway's event id; unique per gateway.
    pub event_id: String,
    /// The gateway's event type (`checkout.session.completed`, `PAYMENT.CAPTURE.COMPLETED`).
    pub event_type: String,
    /// The raw body as received (lossy UTF-8).
    pub payload: String,
    /// When it was first received.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// When it was applied; `None` until then (a failed application leaves it `None`).
    #[serde(with = "time::serde::rfc3339::option")]
    pub processed_at: Option<OffsetDateTime>,
}
