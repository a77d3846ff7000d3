//! Reservations: hold credits for a long operation, then commit all or part, or release.
//! Holds expire on their own (swept in the background and on every balance read).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::entities::audit::RequestContext;
use crate::entities::{Metadata, Reservation, ReservationStatus};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::{
    Clock, HoldOutcome, NewHold, Repositories, ReservationOutcome, SettleReservation,
};
use crate::services::credits::{not_found, parse_reference};
use crate::services::input::required;
use crate::types::{AccountId, Credits, LedgerEntryId, ReservationId};

/// Default lifetime of a hold.
pub const DEFAULT_HOLD_SECONDS: i64 = 15 * 60;
/// Longest lifetime of a hold: seven days.
pub const MAX_HOLD_SECONDS: i64 = 7 * 24 * 3600;

/// A hold as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    /// Credits to hold (positive).
    pub credits: Option<i64>,
    /// The caller's unique reference (≤ 200); a repeat returns the same reservation.
    pub reference: Option<String>,
    /// Seconds until the hold expires (1 – 604800, default 900).
    pub expires_in_seconds: Option<i64>,
    /// Free-form metadata.
    pub metadata: Option<BTreeMap<String, String>>,
}

/// A commit as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommitInput {
    /// Credits actually spent (≤ held); absent means all of them.
    pub credits: Option<i64>,
}

/// Reservation use cases (service or admin keys).
#[derive(Clone)]
pub struct ReservationService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
}

impl ReservationService {
    /// Wires the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>) -> Self {
        Self { repos, clock }
    }

    fn ids(
        ctx: &RequestContext,
        account_id: &str,
        rid: Option<&str>,
    ) -> BillingResult<(AccountId, Option<ReservationId>)> {
        ctx.principal.ensure_service()?;
        let id = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&id)?;
        let rid = rid
            .map(|r| ReservationId::parse(r, "reservation_id"))
            .transpose()?;
        Ok((id, rid))
    }

    /// Holds credits if available. A repeat with the same reference and amount returns the
    /// existing reservation; another amount under that reference is a 409.
    pub async fn hold(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        input: HoldInput,
    ) -> BillingResult<Reservation> {
        let (account, _) = Self::ids(ctx, account_id, None)?;
        let credits = Credits::new(*required(input.credits.as_ref(), "credits")?, "credits")?;
        let reference = parse_reference(input.reference.as_deref(), "reference")?;
        let seconds = input.expires_in_seconds.unwrap_or(DEFAULT_HOLD_SECONDS);
        if !(1..=MAX_HOLD_SECONDS).contains(&seconds) {
            return Err(ValidationError::new(
                "expires_in_seconds",
                format!("must be between 1 and {MAX_HOLD_SECONDS}"),
            )
            .into());
        }
        let metadata = Metadata::parse(input.metadata, "metadata")?;
        let now = self.clock.now();
        let reservation = Reservation {
            id: ReservationId::generate(now),
            account_id: account.clone(),
            amount: credits.get(),
            committed_amount: 0,
            status: ReservationStatus::Active,
            reference,
            metadata: serde_json::to_value(metadata).unwrap_or_default(),
            expires_at: now + time::Duration::seconds(seconds),
            created_at: now,
            updated_at: now,
        };
        let hold = NewHold {
            reservation,
            entry_id: LedgerEntryId::generate(now),
            actor: ctx.principal.actor(),
        };
        match self
            .repos
            .ledger
            .hold(&hold)
            .await
            .map_err(|e| not_found(e, &account))?
        {
            HoldOutcome::Applied(r, _) => Ok(r),
            HoldOutcome::Duplicate(r) if r.amount == credits.get() => Ok(r),
            HoldOutcome::Duplicate(r) => Err(BillingError::conflict_on(
                "reference",
                "reference_reused",
                format!(
                    "reference is already used by reservation {} of {} credits",
                    r.id, r.amount
                ),
            )),
            HoldOutcome::Insufficient(b) => Err(BillingError::InsufficientCredits {
                balance: b.balance,
                available: b.available,
                requested: credits.get(),
                shortfall: credits.get().saturating_sub(b.available),
            }),
        }
    }

    /// Reads a reservation of the account.
    pub async fn get(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        rid: &str,
    ) -> BillingResult<Reservation> {
        let (account, rid) = Self::ids(ctx, account_id, Some(rid))?;
        let rid = rid.ok_or_else(|| BillingError::Internal("reservation id missing".into()))?;
        self.repos
            .ledger
            .get_reservation(&account, &rid)
            .await?
            .ok_or_else(|| BillingError::not_found("reservation", &rid))
    }

    /// Spends all or part of a hold; the rest returns to the available balance.
    pub async fn commit(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        rid: &str,
        input: CommitInput,
    ) -> BillingResult<Reservation> {
        // Who may touch this hold is decided before the body is judged.
        let current = self.get(ctx, account_id, rid).await?;
        let amount = input
            .credits
            .map(|c| Credits::new(c, "credits"))
            .transpose()?;
        let amount = amount.map_or(current.amount, Credits::get);
        if amount > current.amount {
            return Err(ValidationError::new(
                "credits",
                format!("exceeds the {} credits held", current.amount),
            )
            .into());
        }
        self.settle(ctx, current, SettleReservation::Commit { amount })
            .await
    }

    /// Gives a hold back.
    pub async fn release(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        rid: &str,
    ) -> BillingResult<Reservation> {
        let current = self.get(ctx, account_id, rid).await?;
        self.settle(ctx, current, SettleReservation::Release).await
    }

    async fn settle(
        &self,
        ctx: &RequestContext,
        r: Reservation,
        how: SettleReservation,
    ) -> BillingResult<Reservation> {
        let now = self.clock.now();
        let outcome = self
            .repos
            .ledger
            .settle(
                &r.account_id,
                &r.id,
                how,
                LedgerEntryId::generate(now),
                &ctx.principal.actor(),
                now,
            )
            .await?;
        match outcome {
            ReservationOutcome::Settled(r, _) => Ok(r),
            // A retry of the same commit answers like the first; another amount is a
            // different request reusing a settled hold, refused like a reused debit reference.
            ReservationOutcome::AlreadySettled(r) => match how {
                SettleReservation::Commit { amount } if amount != r.committed_amount => {
                    Err(BillingError::conflict_on(
                        "credits",
                        "reservation_already_committed",
                        format!(
                            "reservation {} was already committed with {} credits",
                            r.id, r.committed_amount
                        ),
                    ))
                }
                _ => Ok(r),
            },
            ReservationOutcome::NotActive(r) => Err(BillingError::conflict(
                "reservation_not_active",
                format!("reservation {} is {}", r.id, r.status.as_str()),
            )),
            ReservationOutcome::ExceedsHold(r) => Err(ValidationError::new(
                "credits",
                format!("exceeds the {} credits held", r.amount),
            )
            .into()),
            ReservationOutcome::NotFound => Err(BillingError::not_found("reservation", &r.id)),
        }
    }
}
