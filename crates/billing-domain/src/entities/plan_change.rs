//! Plan changes, decided once for every store: when a change takes effect, what an upgrade
//! bills, and what the subscription looks like once it switched.
//!
//! * **Trial**: the plan switches at once and nothing is charged; the trial end stays.
//! * **Upgrade** (a higher or equal yearly-normalized price, or another interval): at once,
//!   prorated ([`crate::entities::proration`]). A positive net is invoiced
//!   (`subscription_update`) and the plan switches only when that invoice is paid; unpaid
//!   after [`PENDING_UPGRADE_WINDOW`] (or at the period end, if sooner) the upgrade is dropped
//!   and its invoice voided. A net of zero or less switches at once (nothing is refunded).
//! * **Downgrade** (a lower normalized price), and any change of currency: nothing changes
//!   until the period end; the next period is billed on the new plan. A second one replaces
//!   the first; an upgrade drops it; a change back to the current plan drops it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::{Subscription, SubscriptionPeriod};
use crate::types::{BillingInterval, Currency, InvoiceId, PlanId};

/// How long an upgrade's invoice may stay unpaid before the upgrade is dropped (Stripe's
/// pending updates expire after 23 h).
pub const PENDING_UPGRADE_WINDOW: time::Duration = time::Duration::hours(23);

/// What the current plan was billed for in the current period: `amount` for
/// `[from, current_period_end)`. An upgrade's credit is computed from it, never from the
/// plan's current price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BilledSpan {
    /// Minor units billed (the renewal's price, or an upgrade's charge).
    pub amount: i64,
    /// Start of the span (the period start, or the instant of the last upgrade).
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
}

/// A plan change not applied yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingChange {
    /// An upgrade waiting for its invoice to be paid.
    Upgrade(PendingUpgrade),
    /// A downgrade (or a change of currency) applied at the period end.
    AtPeriodEnd(ScheduledChange),
}

impl PendingChange {
    /// The plan it moves to.
    pub fn plan_id(&self) -> &PlanId {
        match self {
            Self::Upgrade(u) => &u.plan_id,
            Self::AtPeriodEnd(s) => &s.plan_id,
        }
    }

    /// The currency it moves to.
    pub fn currency(&self) -> Currency {
        match self {
            Self::Upgrade(u) => u.currency,
            Self::AtPeriodEnd(s) => s.currency,
        }
    }

    /// The upgrade, if this is one.
    pub fn upgrade(&self) -> Option<&PendingUpgrade> {
        match self {
            Self::Upgrade(u) => Some(u),
            Self::AtPeriodEnd(_) => None,
        }
    }
}

/// An upgrade invoiced and not paid yet: what the subscription becomes when it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingUpgrade {
    /// The new plan.
    pub plan_id: PlanId,
    /// The subscription's currency (an upgrade never changes it).
    pub currency: Currency,
    /// The new plan's interval.
    pub interval: BillingInterval,
    /// The proration invoice (`subscription_update`).
    pub invoice_id: InvoiceId,
    /// When the upgrade was requested.
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// The instant the proration was computed at.
    #[serde(with = "time::serde::rfc3339")]
    pub proration_at: OffsetDateTime,
    /// Dropped (its invoice voided) when still unpaid at this instant.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// What the new plan is billed for the rest of the period (the next upgrade's credit is
    /// computed from it).
    pub charge: i64,
    /// The credit for the unused part of what was billed (the invoice line's discount).
    pub credit: i64,
    /// The extra allowance granted with the payment, expiring at the period end.
    pub extra_credits: i64,
    /// The interval changed: a new period (and anchor) starts at `proration_at`.
    pub restarts_period: bool,
    /// The new plan's allowance per period (for the new period's row on a restart).
    pub period_credits: i64,
}

/// A change applied when the current period ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduledChange {
    /// The new plan.
    pub plan_id: PlanId,
    /// The currency of the next periods.
    pub currency: Currency,
    /// The new plan's interval.
    pub interval: BillingInterval,
    /// When it applies (the current period's end).
    #[serde(with = "time::serde::rfc3339")]
    pub effective_at: OffsetDateTime,
}

/// When a requested change takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeTiming {
    /// During a trial: at once, nothing charged.
    Trial,
    /// An upgrade: at once, prorated; `restarts_period` when the interval changes.
    Immediate {
        /// A new period (and anchor) starts now.
        restarts_period: bool,
    },
    /// A downgrade or a change of currency: at the period end.
    AtPeriodEnd,
}

/// One side of a change: a price per interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricedInterval {
    /// Minor units per period.
    pub price: i64,
    /// The period.
    pub interval: BillingInterval,
}

impl PricedInterval {
    /// `self` costs at least as much per year as `other` (Lago compares yearly amounts; an
    /// equal price counts as an upgrade). Exact: cross-multiplied in `i128`.
    pub fn costs_at_least(self, other: Self) -> bool {
        let (n1, d1) = self.interval.periods_per_year();
        let (n2, d2) = other.interval.periods_per_year();
        // price × n / d per year, compared without division.
        i128::from(self.price) * i128::from(n1) * i128::from(d2)
            >= i128::from(other.price) * i128::from(n2) * i128::from(d1)
    }
}

/// When a change of `sub` from `from` to `to` takes effect.
pub fn timing(
    sub: &Subscription,
    from: PricedInterval,
    to: PricedInterval,
    currency: Currency,
) -> ChangeTiming {
    if sub.status == crate::entities::SubscriptionStatus::Trialing {
        ChangeTiming::Trial
    } else if currency != sub.currency {
        ChangeTiming::AtPeriodEnd
    } else if to.interval != from.interval {
        ChangeTiming::Immediate {
            restarts_period: true,
        }
    } else if to.costs_at_least(from) {
        ChangeTiming::Immediate {
            restarts_period: false,
        }
    } else {
        ChangeTiming::AtPeriodEnd
    }
}

/// `sub` on the upgrade's plan from `up.proration_at` (its invoice, `invoice`, paid; or
/// nothing to pay), with the period row a restart begins (`None` when the period goes on, or
/// when the restart falls on the current period's start, whose row already exists).
pub fn switched(
    sub: &Subscription,
    up: &PendingUpgrade,
    invoice: Option<&InvoiceId>,
) -> Option<(Subscription, Option<SubscriptionPeriod>)> {
    let mut next = sub.clone();
    next.plan_id = up.plan_id.clone();
    next.currency = up.currency;
    next.interval = up.interval;
    next.pending_change = None;
    next.billed = Some(BilledSpan {
        amount: up.charge,
        from: up.proration_at,
    });
    let mut period = None;
    if up.restarts_period {
        let (start, end) = up.interval.period(up.proration_at, 0)?;
        next.anchor = up.proration_at;
        next.period_index = 0;
        next.current_period_start = start;
        next.current_period_end = end;
        if start != sub.current_period_start {
            period = Some(SubscriptionPeriod {
                subscription_id: sub.id.clone(),
                index: 0,
                start,
                end,
                plan_id: up.plan_id.clone(),
                amount: up.charge,
                currency: up.currency,
                credits: up.period_credits,
                invoice_id: invoice.cloned(),
                charged: true,
                created_at: up.proration_at,
            });
        }
    }
    Some((next, period))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::IntervalUnit;

    fn priced(price: i64, unit: IntervalUnit, count: u16) -> PricedInterval {
        PricedInterval {
            price,
            interval: BillingInterval { unit, count },
        }
    }

    #[test]
    fn yearly_normalized_prices_decide_the_direction() {
        use IntervalUnit::*;
        // 10/month = 120/year < 130/year; equal counts as an upgrade.
        assert!(priced(13_000, Year, 1).costs_at_least(priced(1_000, Month, 1)));
        assert!(priced(12_000, Year, 1).costs_at_least(priced(1_000, Month, 1)));
        assert!(!priced(11_999, Year, 1).costs_at_least(priced(1_000, Month, 1)));
        // Quarterly 30 = monthly 10; weekly 3 = 156/year > 120.
        assert!(priced(3_000, Month, 3).costs_at_least(priced(1_000, Month, 1)));
        assert!(priced(300, Week, 1).costs_at_least(priced(1_000, Month, 1)));
        assert!(!priced(i64::MAX, Month, 1).costs_at_least(priced(i64::MAX, Week, 1)));
    }
}
