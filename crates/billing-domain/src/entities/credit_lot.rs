//! Credit lots: every grant of credits (a package purchase, a subscription period's
//! allowance, an operator's adjustment, a refund reversal) is a lot with its own remaining
//! amount and optional expiry. Debits, holds and clawbacks draw from the lots in one written
//! order ([`spend_order`]), so an allowance that expires at period end is spent before
//! purchased credits that never expire.
//!
//! Invariants (checked by the store's `verify`): per account `Σ lot.remaining == balance` and
//! `Σ lot.held == held`; per lot `0 ≤ held ≤ remaining ≤ amount`; what every entry took from
//! which lot is stored as [`LotAllocation`]s that sum to the entry.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::LedgerKind;
use crate::error::ValidationError;
use crate::types::{AccountId, CreditLotId, LedgerEntryId};

/// Where a lot's credits came from; also decides its spend priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LotSource {
    /// A subscription period's allowance (expires at period end).
    Allowance,
    /// What a capped rollover carried into the next period.
    Rollover,
    /// An operator's grant.
    Adjustment,
    /// A bought package.
    Purchase,
    /// Clawed-back credits given back because their refund failed.
    RefundReversal,
    /// The balance an account had before lots existed.
    Migrated,
}

impl LotSource {
    /// Every source.
    pub const ALL: [Self; 6] = [
        Self::Allowance,
        Self::Rollover,
        Self::Adjustment,
        Self::Purchase,
        Self::RefundReversal,
        Self::Migrated,
    ];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowance => "allowance",
            Self::Rollover => "rollover",
            Self::Adjustment => "adjustment",
            Self::Purchase => "purchase",
            Self::RefundReversal => "refund_reversal",
            Self::Migrated => "migrated",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Lower is spent first: granted credits (allowance, rollover, then an operator's grant)
    /// before paid ones, the order Lago's wallets and Stripe's credit grants use.
    pub fn priority(self) -> i16 {
        match self {
            Self::Allowance | Self::Rollover => 10,
            Self::Adjustment => 20,
            Self::Purchase | Self::RefundReversal | Self::Migrated => 30,
        }
    }

    /// The source of the lot a positive entry of `kind` creates; `None` for kinds that never
    /// add credits.
    pub fn of_grant(kind: LedgerKind) -> Option<Self> {
        match kind {
            LedgerKind::PurchaseGrant => Some(Self::Purchase),
            LedgerKind::SubscriptionGrant => Some(Self::Allowance),
            LedgerKind::RolloverGrant => Some(Self::Rollover),
            LedgerKind::AdminAdjustment => Some(Self::Adjustment),
            LedgerKind::RefundReversal => Some(Self::RefundReversal),
            _ => None,
        }
    }
}

/// What happens to a subscription allowance left at period end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RolloverPolicy {
    /// It expires (the default).
    #[default]
    None,
    /// Up to `max` credits move into a new lot expiring at the next period end.
    Capped {
        /// The most that moves.
        max: i64,
    },
}

impl RolloverPolicy {
    /// `None` without a cap; `Capped` with one, which must be ≥ 0.
    pub fn parse(cap: Option<i64>, field: &str) -> Result<Self, ValidationError> {
        match cap {
            None => Ok(Self::None),
            Some(max) if max < 0 => Err(ValidationError::new(
                field,
                "must be zero or more (the most credits carried into the next period)",
            )),
            Some(max) => Ok(Self::Capped { max }),
        }
    }

    /// Reads the API's `rollover` object: `{"kind": "none"}` or `{"kind": "capped", "max": N}`.
    pub fn from_input(input: &RolloverInput) -> Result<Self, ValidationError> {
        match input.kind.as_deref() {
            Some("none") if input.max.is_some() => Err(ValidationError::rule(
                "rollover.max",
                "only a capped rollover has a max",
            )),
            Some("none") => Ok(Self::None),
            Some("capped") => match input.max {
                // Well-formed on its own; it is the pairing with `capped` that needs a cap.
                None => Err(ValidationError::rule(
                    "rollover.max",
                    "is required for a capped rollover",
                )),
                cap => Self::parse(cap, "rollover.max"),
            },
            Some(_) => Err(ValidationError::new(
                "rollover.kind",
                "must be `none` or `capped`",
            )),
            None => Err(ValidationError::new("rollover.kind", "is required")),
        }
    }

    /// The cap, if any.
    pub fn cap(self) -> Option<i64> {
        match self {
            Self::None => None,
            Self::Capped { max } => Some(max),
        }
    }
}

/// The `rollover` object of a plan's create or update body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RolloverInput {
    /// `none` (the allowance expires at period end) or `capped`.
    pub kind: Option<String>,
    /// For `capped`: the most credits carried into the next period (≥ 0).
    pub max: Option<i64>,
}

/// The rollover a lot carries: at its expiry up to `max` of what is left moves into a new
/// lot expiring at `until` (the next period end, known when the allowance is granted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotRollover {
    /// The most that moves.
    pub max: i64,
    /// When the carried lot expires.
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
}

/// One grant of credits and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditLot {
    /// `lot_…`.
    pub id: CreditLotId,
    /// The account.
    pub account_id: AccountId,
    /// Where the credits came from.
    pub source: LotSource,
    /// The entry that granted it (none for the migrated balance).
    pub entry_id: Option<LedgerEntryId>,
    /// Credits granted.
    pub amount: i64,
    /// Credits not yet spent or expired (held ones included).
    pub remaining: i64,
    /// Of `remaining`, credits pinned by active holds.
    pub held: i64,
    /// Lower is spent first.
    pub priority: i16,
    /// When what is left expires; `None`: never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Set once the lot has expired; only held credits can remain, and they expire when
    /// their hold gives them back.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expired_at: Option<OffsetDateTime>,
    /// What moves on at expiry, for an allowance whose plan rolls over.
    pub rollover: Option<LotRollover>,
    /// When it was granted.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl CreditLot {
    /// Credits a debit or a new hold may take: not held and not expired.
    pub fn free(&self) -> i64 {
        if self.expired_at.is_some() {
            0
        } else {
            self.remaining - self.held
        }
    }

    /// Not yet expired, but its expiry instant has come.
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        self.expired_at.is_none() && self.expires_at.is_some_and(|e| e <= now)
    }
}

/// The order lots are spent in: priority, then soonest expiry (no expiry last), then oldest,
/// then id (a total order, so every store picks the same lots).
pub fn spend_order(a: &CreditLot, b: &CreditLot) -> Ordering {
    let expiry = |l: &CreditLot| (l.expires_at.is_none(), l.expires_at);
    a.priority
        .cmp(&b.priority)
        .then_with(|| expiry(a).cmp(&expiry(b)))
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.as_str().cmp(b.id.as_str()))
}

/// What one entry did to one lot: `amount` is the change of `remaining`, `held` the change
/// of `held`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotAllocation {
    /// The entry.
    pub entry_id: LedgerEntryId,
    /// The lot.
    pub lot_id: CreditLotId,
    /// Change of the lot's remaining credits.
    pub amount: i64,
    /// Change of the lot's held credits.
    pub held: i64,
}
