//! The rules of a hold's life, written once for every store: which ledger entry each change
//! of a reservation writes, and how a request to settle one is answered. A store locks the
//! account, reads the reservation, asks [`plan_settlement`], and persists what it returns.
//!
//! Entries (`amount` / `held_delta`): hold `0 / +n`, commit `−c / −n`, release `0 / −n`,
//! expiry `0 / −n`, with source references `reservation:{id}:hold|commit|release|expiry`
//! (unique per account like every entry, so no change of a hold can be written twice).

use time::OffsetDateTime;

use crate::entities::{LedgerKind, Reservation, ReservationStatus};
use crate::error::RepoError;
use crate::ports::{ReservationOutcome, SettleReservation};

/// The ledger entry a change of a hold writes; the store adds the entry id, the account,
/// the reservation id, its metadata, the actor and the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldEntry {
    /// `reservation_hold`, `_commit`, `_release` or `_expiry`.
    pub kind: LedgerKind,
    /// Balance change: minus what a commit spends, else 0.
    pub amount: i64,
    /// Held change: `+n` for the hold, `−n` for everything after it.
    pub held_delta: i64,
    /// `reservation:{id}:{what}`.
    pub source_ref: String,
    /// `hold {reference}`, `hold {reference} committed`, …
    pub description: String,
}

/// What a store does with a settle request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettlePlan {
    /// Write nothing and answer (see [`SettlePlan::answer`]).
    Answer(SettleAnswer),
    /// The hold is past its expiry: expire it (write the entry, status `expired`, nothing
    /// committed) and answer `NotActive` with the expired reservation.
    Expire(HoldEntry),
    /// Write `entry`, then set the reservation's status and committed amount.
    Settle {
        /// The commit or release entry.
        entry: HoldEntry,
        /// `committed` or `released`.
        status: ReservationStatus,
        /// Credits spent (0 for a release).
        committed: i64,
    },
}

/// The answers that write nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleAnswer {
    /// Settled the same way before: a retry.
    AlreadySettled,
    /// Expired, or settled the other way.
    NotActive,
    /// A commit above the held amount.
    ExceedsHold,
}

impl SettleAnswer {
    /// The outcome to return for `reservation` as stored.
    pub fn outcome(self, reservation: Reservation) -> ReservationOutcome {
        match self {
            Self::AlreadySettled => ReservationOutcome::AlreadySettled(reservation),
            Self::NotActive => ReservationOutcome::NotActive(reservation),
            Self::ExceedsHold => ReservationOutcome::ExceedsHold(reservation),
        }
    }
}

fn overflow() -> RepoError {
    RepoError::Other("credit amount overflows".into())
}

/// The source reference of one change of reservation `id`.
pub fn hold_source(id: impl std::fmt::Display, what: &str) -> String {
    format!("reservation:{id}:{what}")
}

/// The entry that creates hold `r`. `Other` for a non-positive amount.
pub fn hold_entry(r: &Reservation) -> Result<HoldEntry, RepoError> {
    if r.amount <= 0 {
        return Err(RepoError::Other("a hold's amount is positive".into()));
    }
    Ok(HoldEntry {
        kind: LedgerKind::ReservationHold,
        amount: 0,
        held_delta: r.amount,
        source_ref: hold_source(&r.id, "hold"),
        description: format!("hold {}", r.reference),
    })
}

/// The entry that expires hold `r`.
pub fn expiry_entry(r: &Reservation) -> Result<HoldEntry, RepoError> {
    Ok(HoldEntry {
        kind: LedgerKind::ReservationExpiry,
        amount: 0,
        held_delta: r.amount.checked_neg().ok_or_else(overflow)?,
        source_ref: hold_source(&r.id, "expiry"),
        description: format!("hold {} expired", r.reference),
    })
}

/// How to answer `how` for reservation `r` (as stored, its account locked) at `at`:
/// a settled hold answers `AlreadySettled` to the same request and `NotActive` to the other;
/// an active hold past its expiry is expired first; a commit may spend at most what is held.
/// `Other` for a negative commit amount (the use case refuses those before the store).
pub fn plan_settlement(
    r: &Reservation,
    how: SettleReservation,
    at: OffsetDateTime,
) -> Result<SettlePlan, RepoError> {
    match (r.status, how) {
        (ReservationStatus::Active, _) if r.is_due(at) => Ok(SettlePlan::Expire(expiry_entry(r)?)),
        (ReservationStatus::Active, SettleReservation::Commit { amount }) if amount > r.amount => {
            Ok(SettlePlan::Answer(SettleAnswer::ExceedsHold))
        }
        (ReservationStatus::Active, SettleReservation::Commit { amount }) if amount < 0 => {
            Err(RepoError::Other("a commit amount is never negative".into()))
        }
        (ReservationStatus::Active, how) => {
            let (kind, spent, status, what, verb) = match how {
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
            Ok(SettlePlan::Settle {
                entry: HoldEntry {
                    kind,
                    amount: spent.checked_neg().ok_or_else(overflow)?,
                    held_delta: r.amount.checked_neg().ok_or_else(overflow)?,
                    source_ref: hold_source(&r.id, what),
                    description: format!("hold {} {verb}", r.reference),
                },
                status,
                committed: spent,
            })
        }
        (ReservationStatus::Committed, SettleReservation::Commit { .. })
        | (ReservationStatus::Released, SettleReservation::Release) => {
            Ok(SettlePlan::Answer(SettleAnswer::AlreadySettled))
        }
        _ => Ok(SettlePlan::Answer(SettleAnswer::NotActive)),
    }
}
