//! Invoices and their lines. Lifecycle `draft → pending → paid | void | uncollectible`;
//! once finalized (`pending`), lines and amounts never change again.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::{BillingProfile, Metadata};
use crate::error::BillingError;
use crate::types::{
    AccountId, CreditPackageId, Currency, InvoiceId, InvoiceLineId, SubscriptionId,
};

/// Invoice states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InvoiceStatus {
    /// Editable; no number yet.
    Draft,
    /// Finalized, numbered, awaiting payment.
    Pending,
    /// Fully paid.
    Paid,
    /// Cancelled; never to be paid.
    Void,
    /// Written off; can still be paid or voided.
    Uncollectible,
}

impl InvoiceStatus {
    /// Every state.
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Pending,
        Self::Paid,
        Self::Void,
        Self::Uncollectible,
    ];

    /// The allowed transitions. Everything else is refused.
    pub fn can_become(self, to: Self) -> bool {
        use InvoiceStatus::*;
        matches!(
            (self, to),
            (Draft, Pending)
                | (Draft, Void)
                | (Pending, Paid)
                | (Pending, Void)
                | (Pending, Uncollectible)
                | (Uncollectible, Paid)
                | (Uncollectible, Void)
        )
    }

    /// Checks a transition.
    pub fn transition(self, to: Self) -> Result<Self, BillingError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(BillingError::InvalidTransition {
                entity: "invoice",
                from: self.to_string(),
                to: to.to_string(),
            })
        }
    }

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Void => "void",
            Self::Uncollectible => "uncollectible",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an invoice line bills for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InvoiceLineKind {
    /// A prepaid credit package.
    CreditPackage,
    /// A subscription period.
    Subscription,
    /// Anything an operator typed in.
    Manual,
    /// A correction.
    Adjustment,
}

impl InvoiceLineKind {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreditPackage => "credit_package",
            Self::Subscription => "subscription",
            Self::Manual => "manual",
            Self::Adjustment => "adjustment",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::CreditPackage,
            Self::Subscription,
            Self::Manual,
            Self::Adjustment,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Why an invoice was created (Stripe's `billing_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InvoiceReason {
    /// Typed in by an operator.
    #[default]
    Manual,
    /// A credit package bought.
    Purchase,
    /// The first period of a new subscription.
    SubscriptionCreate,
    /// A renewal: one period of a subscription.
    SubscriptionCycle,
    /// A plan change mid-period: the new plan's rest of the period less the unused part of
    /// what was billed.
    SubscriptionUpdate,
}

impl InvoiceReason {
    /// Every reason.
    pub const ALL: [Self; 5] = [
        Self::Manual,
        Self::Purchase,
        Self::SubscriptionCreate,
        Self::SubscriptionCycle,
        Self::SubscriptionUpdate,
    ];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Purchase => "purchase",
            Self::SubscriptionCreate => "subscription_create",
            Self::SubscriptionCycle => "subscription_cycle",
            Self::SubscriptionUpdate => "subscription_update",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One line of an invoice. `amount = quantity × unit_amount − discount_amount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceLine {
    /// `il_…`.
    pub id: InvoiceLineId,
    /// What is billed.
    pub kind: InvoiceLineKind,
    /// Text printed on the invoice.
    pub description: String,
    /// Positive quantity.
    pub quantity: i64,
    /// Price of one unit in minor units of the invoice currency.
    pub unit_amount: i64,
    /// Discount on this line in minor units.
    pub discount_amount: i64,
    /// Line total in minor units.
    pub amount: i64,
    /// The package bought, for credit package lines.
    pub credit_package_id: Option<CreditPackageId>,
    /// Credits granted when the invoice is paid.
    pub credits: Option<i64>,
    /// The subscription billed, for subscription lines.
    pub subscription_id: Option<SubscriptionId>,
    /// Start of the billed period (inclusive), for subscription lines.
    #[serde(with = "time::serde::rfc3339::option")]
    pub period_start: Option<OffsetDateTime>,
    /// End of the billed period (exclusive), for subscription lines.
    #[serde(with = "time::serde::rfc3339::option")]
    pub period_end: Option<OffsetDateTime>,
    /// For a subscription line: what of the period's allowance rolls over at its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollover: Option<crate::entities::LotRollover>,
}

/// An invoice. Amounts are minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    /// `inv_…`.
    pub id: InvoiceId,
    /// The billed account.
    pub account_id: AccountId,
    /// Gapless number per year, assigned at finalization (`INV-2026-000001`).
    pub number: Option<String>,
    /// Lifecycle state.
    pub status: InvoiceStatus,
    /// Why it was created.
    pub billing_reason: InvoiceReason,
    /// Currency of every amount.
    pub currency: Currency,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
    /// Σ quantity × unit_amount.
    pub subtotal: i64,
    /// Σ line discounts.
    pub discount: i64,
    /// subtotal − discount.
    pub total: i64,
    /// Received so far.
    pub amount_paid: i64,
    /// total − amount_paid, never below zero.
    pub amount_due: i64,
    /// Payment due date.
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    /// The billing profile as it was at finalization.
    pub billing_snapshot: Option<BillingProfile>,
    /// Why it was voided or written off.
    pub status_reason: Option<String>,
    /// Free-form metadata.
    pub metadata: Metadata,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Finalization time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finalized_at: Option<OffsetDateTime>,
    /// When fully paid.
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Invoice {
    /// Recomputes subtotal, discount, total and amount due from the lines with checked
    /// arithmetic; `None` on overflow.
    pub fn totals(lines: &[InvoiceLine], amount_paid: i64) -> Option<(i64, i64, i64, i64)> {
        let mut subtotal = 0_i64;
        let mut discount = 0_i64;
        for l in lines {
            subtotal = subtotal.checked_add(l.quantity.checked_mul(l.unit_amount)?)?;
            discount = discount.checked_add(l.discount_amount)?;
        }
        let total = subtotal.checked_sub(discount)?;
        let due = total.checked_sub(amount_paid)?.max(0);
        Some((subtotal, discount, total, due))
    }

    /// Credits granted when this invoice is paid: the sum of its lines' credits.
    pub fn credits_granted(&self) -> i64 {
        self.lines.iter().filter_map(|l| l.credits).sum()
    }

    /// The terms of the credit lot this invoice grants: a subscription period's allowance
    /// expires at the period end (with the line's rollover); other credits never expire.
    pub fn lot_terms(&self) -> crate::ports::lot_rules::LotTerms {
        self.lines
            .iter()
            .find(|l| l.subscription_id.is_some())
            .map(|l| crate::ports::lot_rules::LotTerms {
                expires_at: l.period_end,
                rollover: l.rollover,
            })
            .unwrap_or_default()
    }

    /// The subscription period this invoice bills (its first subscription line's), if any.
    pub fn subscription_period(&self) -> Option<(&SubscriptionId, OffsetDateTime)> {
        self.lines
            .iter()
            .find_map(|l| Some((l.subscription_id.as_ref()?, l.period_start?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_invoice_states() {
        use InvoiceStatus::*;
        let allowed = [
            (Draft, Pending),
            (Draft, Void),
            (Pending, Paid),
            (Pending, Void),
            (Pending, Uncollectible),
            (Uncollectible, Paid),
            (Uncollectible, Void),
        ];
        for from in InvoiceStatus::ALL {
            for to in InvoiceStatus::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from} -> {to}");
                assert_eq!(from.transition(to).is_ok(), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn status_text_round_trips() {
        for s in InvoiceStatus::ALL {
            assert_eq!(InvoiceStatus::parse(s.as_str()), Some(s));
        }
    }
}
