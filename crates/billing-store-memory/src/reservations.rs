//! Reservations (holds) of the in-memory ledger: hold, settle, expire.
//!
//! Each change of a hold is one entry with `amount` (balance change) and `held_delta`:
//! hold `0 / +n`, commit `−c / −n`, release `0 / −n`, expiry `0 / −n`, with source references
//! `reservation:{id}:hold|commit|release|expiry` (unique per account, like every entry).

use time::OffsetDateTime;

use billing_domain::entities::{LedgerKind, Reservation, ReservationStatus};
use billing_domain::error::RepoError;
use billing_domain::ports::{HoldOutcome, NewHold, ReservationOutcome, SettleReservation};
use billing_domain::types::{AccountId, LedgerEntryId, ReservationId};

use super::ledger::{NewEntry, is_due};
use super::state::State;

/// The actor of entries the store writes on its own (expiries).
const SYSTEM: &str = "system";

fn source(id: &ReservationId, what: &str) -> String {
    format!("reservation:{id}:{what}")
}

impl State {
    /// Expires one active reservation at `now`: status `expired`, one `reservation_expiry` entry.
    pub(crate) fn expire_reservation(
        &mut self,
        account: &AccountId,
        id: &ReservationId,
        now: OffsetDateTime,
    ) -> Result<Reservation, RepoError> {
        let r = self
            .ledger(account)?
            .reservations
            .get(id)
            .cloned()
            .ok_or(RepoError::NotFound)?;
        let held_delta = r
            .amount
            .checked_neg()
            .ok_or_else(|| RepoError::Other("hold amount overflows".into()))?;
        self.append(
            account,
            NewEntry {
                id: LedgerEntryId::generate(now),
                kind: LedgerKind::ReservationExpiry,
                amount: 0,
                held_delta,
                source_ref: source(id, "expiry"),
                reservation_id: Some(id.clone()),
                description: format!("hold {} expired", r.reference),
                metadata: r.metadata.clone(),
                actor: SYSTEM.into(),
                at: now,
            },
        )?;
        set_status(self, account, id, ReservationStatus::Expired, 0, now)
    }
}

/// Writes a reservation's new status and returns it.
fn set_status(
    s: &mut State,
    account: &AccountId,
    id: &ReservationId,
    status: ReservationStatus,
    committed: i64,
    at: OffsetDateTime,
) -> Result<Reservation, RepoError> {
    let r = s
        .ledgers
        .get_mut(account)
        .and_then(|l| l.reservations.get_mut(id))
        .ok_or(RepoError::NotFound)?;
    r.status = status;
    r.committed_amount = committed;
    r.updated_at = at;
    Ok(r.clone())
}

/// Creates a hold if enough credits are available (see `LedgerRepository::hold`). Due holds
/// are judged against the new reservation's `created_at`.
pub(crate) fn hold(s: &mut State, h: &NewHold) -> Result<HoldOutcome, RepoError> {
    let r = &h.reservation;
    let account = &r.account_id;
    let ledger = s.ledger(account)?;
    if let Some(existing) = ledger
        .by_reference
        .get(&r.reference)
        .and_then(|id| ledger.reservations.get(id))
    {
        return Ok(HoldOutcome::Duplicate(existing.clone()));
    }
    if r.amount <= 0 {
        return Err(RepoError::Other("a hold's amount is positive".into()));
    }
    if s.reservation_ids.contains(&r.id) {
        return Err(RepoError::Conflict(format!(
            "reservation {} already exists",
            r.id
        )));
    }
    s.check_entry_id(&h.entry_id)?;
    if s.available_for(account, r.amount, r.created_at)? < r.amount {
        return Ok(HoldOutcome::Insufficient(s.credit_balance(account)?));
    }
    let stored = Reservation {
        status: ReservationStatus::Active,
        committed_amount: 0,
        updated_at: r.created_at,
        ..r.clone()
    };
    let entry = s.append(
        account,
        NewEntry {
            id: h.entry_id.clone(),
            kind: LedgerKind::ReservationHold,
            amount: 0,
            held_delta: r.amount,
            source_ref: source(&r.id, "hold"),
            reservation_id: Some(r.id.clone()),
            description: format!("hold {}", r.reference),
            metadata: r.metadata.clone(),
            actor: h.actor.clone(),
            at: r.created_at,
        },
    )?;
    let l = s.ledgers.get_mut(account).ok_or(RepoError::NotFound)?;
    l.by_reference
        .insert(stored.reference.clone(), stored.id.clone());
    l.reservations.insert(stored.id.clone(), stored.clone());
    s.reservation_ids.insert(stored.id.clone());
    Ok(HoldOutcome::Applied(stored, entry))
}

/// Commits or releases a reservation (see `LedgerRepository::settle`).
pub(crate) fn settle(
    s: &mut State,
    account: &AccountId,
    id: &ReservationId,
    how: SettleReservation,
    entry_id: LedgerEntryId,
    actor: &str,
    at: OffsetDateTime,
) -> Result<ReservationOutcome, RepoError> {
    let Some(r) = s
        .ledgers
        .get(account)
        .and_then(|l| l.reservations.get(id))
        .cloned()
    else {
        return Ok(ReservationOutcome::NotFound);
    };
    match (r.status, how) {
        (ReservationStatus::Active, _) if is_due(&r, at) => Ok(ReservationOutcome::NotActive(
            s.expire_reservation(account, id, at)?,
        )),
        (ReservationStatus::Active, SettleReservation::Commit { amount }) if amount > r.amount => {
            Ok(ReservationOutcome::ExceedsHold(r))
        }
        (ReservationStatus::Active, SettleReservation::Commit { amount }) if amount < 0 => {
            Err(RepoError::Other("a commit amount is never negative".into()))
        }
        (ReservationStatus::Active, how) => {
            s.check_entry_id(&entry_id)?;
            let (kind, amount, status, what, verb) = match how {
                SettleReservation::Commit { amount } => (
                    LedgerKind::ReservationCommit,
                    amount,
                    ReservationStatus::Committed,
                    "commit",
                    "committed",
                ),
                SettleReservation::Release => (
                    LedgerKind::ReservationRelease,
                    0,
                    ReservationStatus::Released,
                    "release",
                    "released",
                ),
            };
            let overflow = || RepoError::Other("amount overflows".into());
            let before = s.ledger(account)?.balance;
            let entry = s.append(
                account,
                NewEntry {
                    id: entry_id,
                    kind,
                    amount: amount.checked_neg().ok_or_else(overflow)?,
                    held_delta: r.amount.checked_neg().ok_or_else(overflow)?,
                    source_ref: source(id, what),
                    reservation_id: Some(id.clone()),
                    description: format!("hold {} {verb}", r.reference),
                    metadata: r.metadata.clone(),
                    actor: actor.to_owned(),
                    at,
                },
            )?;
            // Spending a hold lowers the balance like a debit, so it can cross the threshold too.
            super::ledger::record_low_balance(s, before, &entry);
            Ok(ReservationOutcome::Settled(
                set_status(s, account, id, status, amount, at)?,
                entry,
            ))
        }
        (ReservationStatus::Committed, SettleReservation::Commit { .. })
        | (ReservationStatus::Released, SettleReservation::Release) => {
            Ok(ReservationOutcome::AlreadySettled(r))
        }
        _ => Ok(ReservationOutcome::NotActive(r)),
    }
}

/// Expires up to `limit` due holds of any account, the longest overdue first.
pub(crate) fn expire_due(s: &mut State, now: OffsetDateTime, limit: u32) -> Result<u64, RepoError> {
    let mut due: Vec<(OffsetDateTime, AccountId, ReservationId)> = s
        .ledgers
        .iter()
        .flat_map(|(a, l)| {
            l.reservations
                .values()
                .filter(|r| is_due(r, now))
                .map(move |r| (r.expires_at, a.clone(), r.id.clone()))
        })
        .collect();
    due.sort();
    due.truncate(limit as usize);
    for (_, account, id) in &due {
        s.expire_reservation(account, id, now)?;
    }
    Ok(due.len() as u64)
}
