//! Reservations (holds) of the in-memory ledger: hold, settle, expire. Which entry each
//! change writes and how a settle is answered are the domain's rules
//! (`billing_domain::ports::hold_rules`); this file keeps the state.

use billing_domain::entities::{LedgerEntry, Reservation, ReservationStatus};
use billing_domain::error::RepoError;
use billing_domain::ports::hold_rules::{
    HoldEntry, SettlePlan, expiry_entry, hold_entry, plan_settlement,
};
use billing_domain::ports::{HoldOutcome, NewHold, ReservationOutcome, SettleReservation};
use billing_domain::types::{AccountId, LedgerEntryId, ReservationId};
use time::OffsetDateTime;

use super::ledger::NewEntry;
use super::state::State;

/// The actor of entries the store writes on its own (expiries).
const SYSTEM: &str = "system";

/// Appends the entry of a change of hold `r`.
fn append(
    s: &mut State,
    r: &Reservation,
    e: HoldEntry,
    id: LedgerEntryId,
    actor: &str,
    at: OffsetDateTime,
) -> Result<LedgerEntry, RepoError> {
    s.append(
        &r.account_id,
        NewEntry {
            id,
            kind: e.kind,
            amount: e.amount,
            held_delta: e.held_delta,
            source_ref: e.source_ref,
            reservation_id: Some(r.id.clone()),
            description: e.description,
            metadata: r.metadata.clone(),
            actor: actor.to_owned(),
            at,
            lot: Default::default(),
            explicit: None,
        },
    )
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
        append(
            self,
            &r,
            expiry_entry(&r)?,
            LedgerEntryId::generate(now),
            SYSTEM,
            now,
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
    let entry = hold_entry(r)?;
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
    let entry = append(
        s,
        &stored,
        entry,
        h.entry_id.clone(),
        &h.actor,
        r.created_at,
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
    match plan_settlement(&r, how, at)? {
        SettlePlan::Answer(answer) => Ok(answer.outcome(r)),
        SettlePlan::Expire(_) => Ok(ReservationOutcome::NotActive(
            s.expire_reservation(account, id, at)?,
        )),
        SettlePlan::Settle {
            entry,
            status,
            committed,
        } => {
            s.check_entry_id(&entry_id)?;
            let before = s.ledger(account)?.balance;
            let entry = append(s, &r, entry, entry_id, actor, at)?;
            // Spending a hold lowers the balance like a debit, so it can cross the threshold too.
            super::ledger::record_low_balance(s, before, &entry);
            Ok(ReservationOutcome::Settled(
                set_status(s, account, id, status, committed, at)?,
                entry,
            ))
        }
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
                .filter(|r| r.is_due(now))
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
