//! `verify` in memory: one account's cached balance against its entries, holds and lots.

use billing_domain::entities::ReservationStatus;
use billing_domain::error::RepoError;
use billing_domain::ports::DriftReport;
use billing_domain::types::AccountId;

use super::state::{AccountLedger, add};

/// Recomputes one account's sums; `Some` when they disagree with the cached row.
pub(crate) fn drift_of(
    account: &AccountId,
    l: &AccountLedger,
) -> Result<Option<DriftReport>, RepoError> {
    let (mut entries_balance, mut entries_held, mut active_holds) = (0_i64, 0_i64, 0_i64);
    for e in l.entries.values() {
        entries_balance = add(entries_balance, e.amount)?;
        entries_held = add(entries_held, e.held_delta)?;
    }
    for r in l
        .reservations
        .values()
        .filter(|r| r.status == ReservationStatus::Active)
    {
        active_holds = add(active_holds, r.amount)?;
    }
    let (lots_remaining, lots_held, misallocated) = super::lots::lot_sums(l)?;
    let ok = l.balance == entries_balance
        && lots_remaining == l.balance
        && lots_held == l.held
        && misallocated == 0
        && l.held == entries_held
        && l.held == active_holds
        && l.balance >= 0
        && (0..=l.balance).contains(&l.held);
    Ok((!ok).then(|| DriftReport {
        account_id: account.clone(),
        balance: l.balance,
        entries_balance,
        held: l.held,
        entries_held,
        active_holds,
        lots_remaining,
        lots_held,
        misallocated,
    }))
}
