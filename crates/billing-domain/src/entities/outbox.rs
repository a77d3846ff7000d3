//! Outbox events: facts recorded in the same transaction as the change, delivered later
//! (e-mail, webhooks to the platform).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::types::{AccountId, EventId};

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxEvent {
    /// `evt_…`.
    pub id: EventId,
    /// Dotted type, e.g. `credits.low_balance`.
    pub kind: String,
    /// The account concerned.
    pub account_id: Option<AccountId>,
    /// Event data.
    pub payload: serde_json::Value,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When a consumer delivered it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
}

impl OutboxEvent {
    /// A new, undelivered event of `kind` about `account`.
    pub fn new(
        kind: &str,
        account_id: &AccountId,
        payload: serde_json::Value,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: EventId::generate(at),
            kind: kind.to_owned(),
            account_id: Some(account_id.clone()),
            payload,
            created_at: at,
            delivered_at: None,
        }
    }
}
