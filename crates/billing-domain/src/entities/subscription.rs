//! Subscriptions: an account on a plan, renewed every period from its anchor. Our database is
//! the source of truth for the schedule, the invoices and the retries; gateways only collect
//! money for one of our invoices.
//!
//! ```text
//! create (no trial) ─► incomplete ─first invoice paid─► active ◄────────── paid ───┐
//!                        │ unpaid after 23 h                 │ renewal failed        │
//!                        ▼                                   ▼                       │
//!                 incomplete_expired                     past_due ───────────────────┤
//! create (trial) ─► trialing ─trial end, paid─► active      │ retries exhausted      │
//!                        │ no payment method                 ├─ cancel ─► canceled    │
//!                        ▼                                   └─ unpaid ─► unpaid ─────┘
//!                      paused ─payment method + paid─► active
//! ```
//! Every state but the two terminal ones can be canceled.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::{BilledSpan, Metadata, PaymentMethodKind, PendingChange};
use crate::error::BillingError;
use crate::types::{AccountId, BillingInterval, Currency, InvoiceId, PlanId, SubscriptionId};

/// Subscription states (Stripe's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SubscriptionStatus {
    /// The first invoice is not paid yet.
    Incomplete,
    /// The first invoice was not paid in time (terminal; the invoice is voided).
    IncompleteExpired,
    /// In its trial; no charge yet.
    Trialing,
    /// Paid up.
    Active,
    /// A renewal is unpaid and being retried; features kept.
    PastDue,
    /// Retries exhausted with the `unpaid` policy: no renewals, no features, until paid.
    Unpaid,
    /// The trial ended without a payment method: no invoices until one is added.
    Paused,
    /// Ended (terminal).
    Canceled,
}

impl SubscriptionStatus {
    /// Every state.
    pub const ALL: [Self; 8] = [
        Self::Incomplete,
        Self::IncompleteExpired,
        Self::Trialing,
        Self::Active,
        Self::PastDue,
        Self::Unpaid,
        Self::Paused,
        Self::Canceled,
    ];

    /// The allowed transitions. Everything else is refused.
    pub fn can_become(self, to: Self) -> bool {
        use SubscriptionStatus::*;
        matches!(
            (self, to),
            (Incomplete, Active | IncompleteExpired | Canceled)
                | (Trialing, Active | PastDue | Paused | Canceled)
                | (Active, PastDue | Canceled)
                | (PastDue, Active | Unpaid | Canceled)
                | (Unpaid, Active | Canceled)
                | (Paused, Active | PastDue | Canceled)
        )
    }

    /// Checks a transition.
    pub fn transition(self, to: Self) -> Result<Self, BillingError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(BillingError::InvalidTransition {
                entity: "subscription",
                from: self.as_str().to_owned(),
                to: to.as_str().to_owned(),
            })
        }
    }

    /// No further change is possible.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Canceled | Self::IncompleteExpired)
    }

    /// Whether the plan's features are granted in this state (past_due keeps them until the
    /// final action; unpaid, paused and the terminal states lose them).
    pub fn grants_features(self) -> bool {
        matches!(self, Self::Trialing | Self::Active | Self::PastDue)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Unpaid => "unpaid",
            Self::Paused => "paused",
            Self::Canceled => "canceled",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How renewals are paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CollectionMethod {
    /// Charged off-session on a saved card (Stripe) or vaulted payer (PayPal).
    ChargeAutomatically,
    /// The renewal invoice is sent with a pay link or bank details, due in some days.
    SendInvoice,
}

impl CollectionMethod {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChargeAutomatically => "charge_automatically",
            Self::SendInvoice => "send_invoice",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "charge_automatically" => Some(Self::ChargeAutomatically),
            "send_invoice" => Some(Self::SendInvoice),
            _ => None,
        }
    }
}

/// A subscription of one account to one plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    /// `sub_…`.
    pub id: SubscriptionId,
    /// The subscriber.
    pub account_id: AccountId,
    /// The current plan.
    pub plan_id: PlanId,
    /// Current state.
    pub status: SubscriptionStatus,
    /// The currency every invoice of this subscription is in.
    pub currency: Currency,
    /// The plan's interval when subscribed (periods are computed from it and the anchor).
    pub interval: BillingInterval,
    /// How renewals are paid.
    pub payment_method: PaymentMethodKind,
    /// Charged off-session, or invoiced.
    pub collection_method: CollectionMethod,
    /// The saved Stripe payment method or PayPal vault token, once the gateway gave one.
    pub gateway_payment_method: Option<String>,
    /// Where every period boundary is derived from (the trial end when there is a trial).
    #[serde(with = "time::serde::rfc3339")]
    pub anchor: OffsetDateTime,
    /// Index of the current period (0 = the first after the anchor).
    pub period_index: u32,
    /// Start of the current period (or of the trial).
    #[serde(with = "time::serde::rfc3339")]
    pub current_period_start: OffsetDateTime,
    /// End of the current period (or of the trial).
    #[serde(with = "time::serde::rfc3339")]
    pub current_period_end: OffsetDateTime,
    /// End of the trial, if any.
    #[serde(with = "time::serde::rfc3339::option")]
    pub trial_end: Option<OffsetDateTime>,
    /// Ends at the current period's end instead of renewing.
    pub cancel_at_period_end: bool,
    /// `subscription.trial_will_end` was recorded for this trial.
    pub trial_reminded: bool,
    /// When it was canceled.
    #[serde(with = "time::serde::rfc3339::option")]
    pub canceled_at: Option<OffsetDateTime>,
    /// The newest invoice (first, renewal or retry target).
    pub latest_invoice_id: Option<InvoiceId>,
    /// Collection attempts made on the latest invoice (0 before the first).
    pub attempt_count: u32,
    /// When the next automatic attempt is due (dunning).
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_retry_at: Option<OffsetDateTime>,
    /// The earliest instant the scheduler must look at this subscription again.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_action_at: Option<OffsetDateTime>,
    /// What the current plan was billed for in the current period (`None` in a trial, or
    /// before the first period); an upgrade's credit is computed from it.
    pub billed: Option<BilledSpan>,
    /// A plan change not applied yet: an upgrade awaiting its invoice's payment, or a
    /// downgrade for the period end.
    pub pending_change: Option<PendingChange>,
    /// Free-form data of the platform.
    pub metadata: Metadata,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Bumped by every stored change; a change applies only to the version it was decided on.
    #[serde(skip)]
    pub version: u64,
}

impl Subscription {
    /// Whether the subscription still counts as the account's subscription to its plan (a
    /// second one to the same plan is refused while this one lives).
    pub fn is_live(&self) -> bool {
        !self.status.is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_table_over_every_pair() {
        use SubscriptionStatus::*;
        let allowed = [
            (Incomplete, Active),
            (Incomplete, IncompleteExpired),
            (Incomplete, Canceled),
            (Trialing, Active),
            (Trialing, PastDue),
            (Trialing, Paused),
            (Trialing, Canceled),
            (Active, PastDue),
            (Active, Canceled),
            (PastDue, Active),
            (PastDue, Unpaid),
            (PastDue, Canceled),
            (Unpaid, Active),
            (Unpaid, Canceled),
            (Paused, Active),
            (Paused, PastDue),
            (Paused, Canceled),
        ];
        for from in SubscriptionStatus::ALL {
            for to in SubscriptionStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
                assert_eq!(from.transition(to).is_ok(), allowed.contains(&(from, to)));
            }
            assert_eq!(SubscriptionStatus::parse(from.as_str()), Some(from));
        }
        for terminal in [Canceled, IncompleteExpired] {
            assert!(terminal.is_terminal());
            assert!(
                SubscriptionStatus::ALL
                    .iter()
                    .all(|to| !terminal.can_become(*to))
            );
        }
    }

    #[test]
    fn features_follow_the_status() {
        use SubscriptionStatus::*;
        let with: Vec<_> = SubscriptionStatus::ALL
            .into_iter()
            .filter(|s| s.grants_features())
            .collect();
        assert_eq!(with, vec![Trialing, Active, PastDue]);
    }
}
