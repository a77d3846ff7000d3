//! One billed period of a subscription. The row keyed by `(subscription_id, start)` is the
//! renewal's idempotency key: a renewal that finds its row already written did nothing.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::types::{Currency, InvoiceId, PlanId, SubscriptionId};

/// A period `[start, end)` of a subscription, as it was billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionPeriod {
    /// The subscription.
    pub subscription_id: SubscriptionId,
    /// Index from the anchor (0 = the first period).
    pub index: u32,
    /// Start (inclusive), derived from the anchor.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// End (exclusive) = the next period's start.
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
    /// The plan billed for it.
    pub plan_id: PlanId,
    /// The price billed, in minor units of `currency` (the plan's price at the renewal).
    pub amount: i64,
    /// The subscription's currency.
    pub currency: Currency,
    /// Credits the period grants once paid.
    pub credits: i64,
    /// Its invoice; `None` for a free period (granted at once).
    pub invoice_id: Option<InvoiceId>,
    /// Whether it was collected; a period missed during downtime is invoiced and voided.
    pub charged: bool,
    /// When the row was written.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}
