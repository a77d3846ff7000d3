//! What a plan change takes and answers (`POST …/subscriptions/{sid}/change`): the input,
//! the outcome and the upgrade's numbers. The use case is [`super::change`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::plan_change::PendingUpgrade;
use crate::entities::{Invoice, NextAction, Subscription};

/// How long a preview's instant may be applied (`proration_at`).
pub const PREVIEW_VALIDITY: time::Duration = time::Duration::hours(1);

/// A plan change as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePlanInput {
    /// The new plan (active). The current plan drops a pending change.
    pub plan_id: Option<String>,
    /// ISO 4217 code, one of the new plan's prices. Absent: the subscription's currency.
    /// Another currency takes effect at the period end (nothing is prorated across
    /// currencies).
    pub currency: Option<String>,
    /// `true`: compute the change and return it without applying anything.
    pub preview: Option<bool>,
    /// RFC 3339: the `proration.at` a preview returned; the change is then billed exactly as
    /// previewed. At most one hour old, inside the current period and not before the last
    /// change; else 422 (preview again).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub proration_at: Option<String>,
}

/// What a change did (or, previewed, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChangeOutcome {
    /// The plan switched now (a trial, or an upgrade with nothing to pay).
    Switched,
    /// An upgrade's invoice is out; the plan switches when it is paid (23 h at most).
    AwaitingPayment,
    /// A downgrade or a change of currency: the next period is billed on the new plan.
    AtPeriodEnd,
    /// A change back to the current plan: the pending change was dropped.
    Reverted,
}

/// The numbers of an upgrade, in minor units of the subscription's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProrationView {
    /// The instant they were computed at (give it back as `proration_at` to apply them).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Credit for the unused part of what was billed for the current plan.
    pub credit: i64,
    /// The new plan's charge for the rest of the period (its whole new period when the
    /// interval changes).
    pub charge: i64,
    /// `charge − credit`.
    pub net: i64,
    /// What is invoiced: the net when positive, else 0 (nothing is refunded).
    pub amount_due: i64,
    /// Extra allowance for the rest of the period, granted when paid.
    pub extra_credits: i64,
    /// The interval changes: a new period and anchor start at `at`.
    pub restarts_period: bool,
}

/// What `POST …/change` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanChange {
    /// Nothing was applied.
    pub preview: bool,
    /// What it does.
    pub outcome: ChangeOutcome,
    /// When the new plan applies (`null` while an upgrade awaits payment).
    #[serde(with = "time::serde::rfc3339::option")]
    pub effective_at: Option<OffsetDateTime>,
    /// The upgrade's numbers, if it is one.
    pub proration: Option<ProrationView>,
    /// The subscription (as stored; unchanged by a preview).
    pub subscription: Subscription,
    /// The upgrade's invoice (`subscription_update`), if one is out.
    pub invoice: Option<Invoice>,
    /// What the payer must do to pay it (a pay link, bank details), if anything.
    pub next_action: Option<NextAction>,
}

/// The numbers of a pending upgrade as answered.
pub(super) fn view(up: &PendingUpgrade) -> ProrationView {
    // Both are shares of prices below 10^15 minor units: the difference cannot overflow;
    // saturating keeps the money rule (no unchecked arithmetic) all the same.
    let net = up.charge.saturating_sub(up.credit);
    ProrationView {
        at: up.proration_at,
        credit: up.credit,
        charge: up.charge,
        net,
        amount_due: net.max(0),
        extra_credits: up.extra_credits,
        restarts_period: up.restarts_period,
    }
}
