//! The credit ledger: append-only entries, a cached balance, and reservations (holds).
//!
//! Invariants, checked by the store's `verify` and the tests:
//! * `balance == Σ entry.amount` and `held == Σ entry.held_delta` per account;
//! * `held == Σ amount of active reservations`;
//! * `balance >= 0` and `0 <= held <= balance`;
//! * one entry per `(account_id, source_ref)`: the same payment, debit or adjustment can
//!   never be applied twice (a unique constraint, not only code).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::types::{AccountId, LedgerEntryId, ReservationId};

/// Why the balance (or the held amount) changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LedgerKind {
    /// Credits bought with a package.
    PurchaseGrant,
    /// Credits of a subscription period.
    SubscriptionGrant,
    /// Credits spent on an operation.
    UsageDebit,
    /// Credits set aside for a long operation (changes `held`, not `balance`).
    ReservationHold,
    /// A hold spent: the committed part leaves the balance, the whole hold is freed.
    ReservationCommit,
    /// A hold given back unused.
    ReservationRelease,
    /// A hold that timed out, given back.
    ReservationExpiry,
    /// Credits taken back because their payment was refunded.
    RefundClawback,
    /// Clawed-back credits given back because their refund failed at the gateway.
    RefundReversal,
    /// An operator's correction, positive or negative.
    AdminAdjustment,
    /// Credits that expired.
    Expiry,
    /// What a capped rollover carried from an expired allowance into the next period.
    RolloverGrant,
}

impl LedgerKind {
    /// Every kind.
    pub const ALL: [Self; 12] = [
        Self::PurchaseGrant,
        Self::SubscriptionGrant,
        Self::UsageDebit,
        Self::ReservationHold,
        Self::ReservationCommit,
        Self::ReservationRelease,
        Self::ReservationExpiry,
        Self::RefundClawback,
        Self::RefundReversal,
        Self::AdminAdjustment,
        Self::Expiry,
        Self::RolloverGrant,
    ];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PurchaseGrant => "purchase_grant",
            Self::SubscriptionGrant => "subscription_grant",
            Self::UsageDebit => "usage_debit",
            Self::ReservationHold => "reservation_hold",
            Self::ReservationCommit => "reservation_commit",
            Self::ReservationRelease => "reservation_release",
            Self::ReservationExpiry => "reservation_expiry",
            Self::RefundClawback => "refund_clawback",
            Self::RefundReversal => "refund_reversal",
            Self::AdminAdjustment => "admin_adjustment",
            Self::Expiry => "expiry",
            Self::RolloverGrant => "rollover_grant",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for LedgerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One immutable ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    /// `cle_…`; time-ordered, so also the listing order.
    pub id: LedgerEntryId,
    /// The account.
    pub account_id: AccountId,
    /// Why.
    pub kind: LedgerKind,
    /// Change of the balance (+ grant, − debit).
    pub amount: i64,
    /// Change of the held amount (+ hold, − commit/release/expiry).
    pub held_delta: i64,
    /// Balance after this entry.
    pub balance_after: i64,
    /// Held amount after this entry.
    pub held_after: i64,
    /// What caused it, unique per account: `debit:<reference>`, `payment:<pay_id>`, …
    pub source_ref: String,
    /// The reservation concerned, for hold/commit/release/expiry.
    pub reservation_id: Option<ReservationId>,
    /// Human-readable text.
    pub description: String,
    /// Caller-supplied data (operation name, …).
    pub metadata: serde_json::Value,
    /// Who caused it: key id, `system`, or a gateway.
    pub actor: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The cached balance of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditBalance {
    /// Σ entries.
    pub balance: i64,
    /// Σ active holds.
    pub held: i64,
    /// `balance − held`: what a debit or a new hold may use.
    pub available: i64,
}

impl CreditBalance {
    /// Builds the triple from balance and held.
    pub fn new(balance: i64, held: i64) -> Self {
        Self {
            balance,
            held,
            available: balance - held,
        }
    }
}

/// Reservation states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReservationStatus {
    /// Holding credits.
    Active,
    /// Spent (all or part).
    Committed,
    /// Given back.
    Released,
    /// Timed out and given back.
    Expired,
}

impl ReservationStatus {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Committed => "committed",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Committed, Self::Released, Self::Expired]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Credits held for a long operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reservation {
    /// `rsv_…`.
    pub id: ReservationId,
    /// The account.
    pub account_id: AccountId,
    /// Credits held.
    pub amount: i64,
    /// Credits spent at commit.
    pub committed_amount: i64,
    /// State.
    pub status: ReservationStatus,
    /// The caller's reference, unique per account.
    pub reference: String,
    /// Caller-supplied data.
    pub metadata: serde_json::Value,
    /// When an active hold expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Reservation {
    /// Active and not past its expiry at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.status == ReservationStatus::Active && self.expires_at > now
    }

    /// Active and past its expiry at `now`: the next touch expires it (an expiry is due at
    /// `expires_at` itself).
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        self.status == ReservationStatus::Active && self.expires_at <= now
    }
}
