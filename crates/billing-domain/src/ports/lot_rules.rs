//! The rules of credit lots, written once for every store: which lots a debit, a hold, its
//! commit or release, and an expiry touch, and by how much. A store locks the account, reads
//! its lots, asks these functions, and persists the [`LotChange`]s they return as lot updates
//! and allocation rows (see `entities::credit_lot` for the invariants).
//!
//! Source references of the entries the lots write on their own: `expiry:<lot>` (what was left
//! at the expiry instant), `expiry:<lot>:<rsv>` (a held part released after its lot expired),
//! `rollover:<lot>` (the capped part carried into the next period). Unique per account like
//! every entry, so no expiry is ever written twice.

use time::OffsetDateTime;

use crate::entities::{CreditLot, LotAllocation, LotRollover, LotSource, credit_lot::spend_order};
use crate::error::RepoError;
use crate::types::{AccountId, CreditLotId, LedgerEntryId};

/// One entry's change of one lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotChange {
    /// The lot.
    pub lot_id: CreditLotId,
    /// Change of `remaining`.
    pub amount: i64,
    /// Change of `held`.
    pub held: i64,
}

/// The terms of the lot a positive entry creates (beyond what the entry says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LotTerms {
    /// When what is left expires; `None`: never.
    pub expires_at: Option<OffsetDateTime>,
    /// For an allowance whose plan rolls over.
    pub rollover: Option<LotRollover>,
}

fn short(what: &str, need: i64, have: i64) -> RepoError {
    RepoError::Other(format!(
        "the account's lots hold {have} credits to {what}, {need} needed: lots drift from the balance"
    ))
}

fn in_spend_order(lots: &[CreditLot]) -> Vec<&CreditLot> {
    let mut sorted: Vec<&CreditLot> = lots.iter().collect();
    sorted.sort_by(|a, b| spend_order(a, b));
    sorted
}

/// Splits `need` over the free credits of `lots` in spend order: `(lot, part)` pairs with
/// positive parts summing to `need`. `Other` if the lots hold fewer free credits (a broken
/// invariant: the store checked the balance first).
fn split(lots: &[CreditLot], need: i64, what: &str) -> Result<Vec<(CreditLotId, i64)>, RepoError> {
    let mut left = need;
    let mut parts = Vec::new();
    for lot in in_spend_order(lots) {
        if left == 0 {
            break;
        }
        let part = lot.free().min(left);
        if part > 0 {
            parts.push((lot.id.clone(), part));
            left -= part;
        }
    }
    if left > 0 {
        return Err(short(what, need, need - left));
    }
    Ok(parts)
}

/// A debit (or clawback, or negative adjustment) of `need` credits: taken from the free part
/// of the lots, soonest spent first.
pub fn take(lots: &[CreditLot], need: i64) -> Result<Vec<LotChange>, RepoError> {
    Ok(split(lots, need, "spend")?
        .into_iter()
        .map(|(lot_id, part)| LotChange {
            lot_id,
            amount: -part,
            held: 0,
        })
        .collect())
}

/// A hold of `n` credits: pinned on the free part of the lots, soonest spent first, so the
/// credits a hold may still commit cannot be spent or expire under it.
pub fn pin(lots: &[CreditLot], n: i64) -> Result<Vec<LotChange>, RepoError> {
    Ok(split(lots, n, "hold")?
        .into_iter()
        .map(|(lot_id, part)| LotChange {
            lot_id,
            amount: 0,
            held: part,
        })
        .collect())
}

/// What ending a hold does to its lots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unpin {
    /// For the commit/release/expiry entry: every pin freed, the spent part consumed.
    pub changes: Vec<LotChange>,
    /// Pinned credits given back to lots that expired meanwhile: they expire now, one
    /// `expiry:<lot>:<rsv>` entry each (`amount` < 0).
    pub expire: Vec<LotChange>,
}

/// Ends a hold that pinned `pins` (each lot as it is now, with what this hold pinned on it),
/// spending `spent` of them (0 for a release or a timeout) in spend order.
pub fn unpin(pins: &[(CreditLot, i64)], spent: i64) -> Result<Unpin, RepoError> {
    let pinned: i64 = pins.iter().map(|(_, p)| *p).sum();
    if spent < 0 || spent > pinned {
        return Err(RepoError::Other(format!(
            "a hold pinned {pinned} credits and cannot spend {spent}"
        )));
    }
    let mut order: Vec<&(CreditLot, i64)> = pins.iter().collect();
    order.sort_by(|a, b| spend_order(&a.0, &b.0));
    let mut left = spent;
    let mut out = Unpin::default();
    for (lot, p) in order {
        if *p <= 0 || *p > lot.held {
            return Err(RepoError::Other(format!(
                "lot {} holds {} credits, not the {p} its hold pinned",
                lot.id, lot.held
            )));
        }
        let used = (*p).min(left);
        left -= used;
        out.changes.push(LotChange {
            lot_id: lot.id.clone(),
            amount: -used,
            held: -*p,
        });
        if lot.expired_at.is_some() && *p > used {
            out.expire.push(LotChange {
                lot_id: lot.id.clone(),
                amount: -(*p - used),
                held: 0,
            });
        }
    }
    Ok(out)
}

/// What a lot's expiry writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryPlan {
    /// Credits that expire now (the free part; held ones wait for their hold). May be 0: the
    /// lot is then only marked expired.
    pub expired: i64,
    /// Credits carried into a new rollover lot and when it expires.
    pub rollover: Option<(i64, OffsetDateTime)>,
}

/// The expiry of `lot` (its `expires_at` has come).
pub fn expire(lot: &CreditLot) -> ExpiryPlan {
    let expired = lot.free().max(0);
    let rollover = lot
        .rollover
        .map(|r| (expired.min(r.max), r.until))
        .filter(|(n, _)| *n > 0);
    ExpiryPlan { expired, rollover }
}

/// An entry the lots write on their own (an expiry, a rollover grant); the store adds the id,
/// the `system` actor and the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotEntry {
    /// `expiry` or `rollover_grant`.
    pub kind: crate::entities::LedgerKind,
    /// Change of the balance.
    pub amount: i64,
    /// Its unique source reference.
    pub source_ref: String,
    /// Human-readable text.
    pub description: String,
    /// For the rollover grant: its lot's terms.
    pub terms: LotTerms,
    /// The lot change it is (for an expiry); `None` for a grant (it creates its lot).
    pub explicit: Option<Vec<LotChange>>,
}

fn expiry_entry(change: LotChange, source_ref: String) -> LotEntry {
    LotEntry {
        kind: crate::entities::LedgerKind::Expiry,
        amount: change.amount,
        source_ref,
        description: format!("{} credits expired", -change.amount),
        terms: LotTerms::default(),
        explicit: Some(vec![change]),
    }
}

/// The entries expiring `lot` writes, in order: the expiry of its free credits (if any), then
/// the rollover grant it carries (if any). The store marks the lot expired in between.
pub fn expiry_entries(lot: &CreditLot) -> (Option<LotEntry>, Option<LotEntry>) {
    let plan = expire(lot);
    let expiry = (plan.expired > 0).then(|| {
        let change = LotChange {
            lot_id: lot.id.clone(),
            amount: -plan.expired,
            held: 0,
        };
        expiry_entry(change, expiry_source(&lot.id))
    });
    let rollover = plan.rollover.map(|(n, until)| LotEntry {
        kind: crate::entities::LedgerKind::RolloverGrant,
        amount: n,
        source_ref: rollover_source(&lot.id),
        description: format!("Rollover of {n} credits until {}", until.date()),
        terms: LotTerms {
            expires_at: Some(until),
            rollover: None,
        },
        explicit: None,
    });
    (expiry, rollover)
}

/// The expiry of a held part hold `reservation` gave back to an expired lot.
pub fn late_expiry_entry(change: LotChange, reservation: &str) -> LotEntry {
    let source_ref = format!("expiry:{}:{reservation}", change.lot_id);
    expiry_entry(change, source_ref)
}

/// `expiry:<lot>`.
pub fn expiry_source(lot: &CreditLotId) -> String {
    format!("expiry:{lot}")
}

/// `rollover:<lot>`.
pub fn rollover_source(lot: &CreditLotId) -> String {
    format!("rollover:{lot}")
}

/// The lot a positive entry creates. `None` for an entry kind that grants nothing (a store
/// refuses positive amounts of those as a bug).
#[allow(clippy::too_many_arguments)]
pub fn grant_lot(
    id: CreditLotId,
    account: &AccountId,
    source: LotSource,
    entry_id: Option<LedgerEntryId>,
    amount: i64,
    terms: LotTerms,
    at: OffsetDateTime,
) -> CreditLot {
    CreditLot {
        id,
        account_id: account.clone(),
        source,
        entry_id,
        amount,
        remaining: amount,
        held: 0,
        priority: source.priority(),
        expires_at: terms.expires_at,
        expired_at: None,
        rollover: terms.rollover,
        created_at: at,
    }
}

/// Applies `c` to `lot` in memory (the in-memory store, and tests), refusing anything that
/// would break `0 ≤ held ≤ remaining`.
pub fn apply(lot: &mut CreditLot, c: &LotChange) -> Result<(), RepoError> {
    let remaining = lot.remaining.checked_add(c.amount);
    let held = lot.held.checked_add(c.held);
    match (remaining, held) {
        (Some(r), Some(h)) if h >= 0 && r >= h && r <= lot.amount => {
            lot.remaining = r;
            lot.held = h;
            Ok(())
        }
        _ => Err(RepoError::Other(format!(
            "lot {} would hold remaining {:?} and held {:?}",
            lot.id, remaining, held
        ))),
    }
}

/// What one entry does to the account's lots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryLots {
    /// The lot a grant creates (its allocation is the whole amount).
    pub grant: Option<CreditLot>,
    /// Changes of existing lots (the entry's allocations).
    pub changes: Vec<LotChange>,
    /// Held parts of expired lots a hold gave back: each is expired at once in its own
    /// `expiry` entry (`expiry:<lot>:<rsv>`), right after this one.
    pub late_expiries: Vec<LotChange>,
}

/// The facts about an entry that decide its lots.
#[derive(Debug, Clone, Copy)]
pub struct EntryShape<'a> {
    /// The account.
    pub account: &'a AccountId,
    /// The entry.
    pub entry_id: &'a LedgerEntryId,
    /// Its kind.
    pub kind: crate::entities::LedgerKind,
    /// Change of the balance.
    pub amount: i64,
    /// Change of held credits.
    pub held_delta: i64,
    /// Terms of the lot a grant creates.
    pub terms: LotTerms,
    /// When.
    pub at: OffsetDateTime,
}

/// Decides the lots of one entry: a grant creates a lot; a debit takes from `live` (the
/// account's unexpired lots with free credits); a hold pins on `live`; an entry that ends a
/// hold (`held_delta < 0`) unpins what the hold pinned (`pins`, each lot with its pinned
/// part) and spends `-amount` of it. `new_lot` is the id a grant's lot gets.
pub fn plan_entry(
    e: EntryShape<'_>,
    live: &[CreditLot],
    pins: &[(CreditLot, i64)],
    new_lot: CreditLotId,
) -> Result<EntryLots, RepoError> {
    let mut out = EntryLots::default();
    match (e.amount.signum(), e.held_delta.signum()) {
        (0, 0) => {}
        (1, 0) => {
            let source = LotSource::of_grant(e.kind).ok_or_else(|| {
                RepoError::Other(format!("a {} entry never adds credits", e.kind.as_str()))
            })?;
            out.grant = Some(grant_lot(
                new_lot,
                e.account,
                source,
                Some(e.entry_id.clone()),
                e.amount,
                e.terms,
                e.at,
            ));
        }
        (-1, 0) => out.changes = take(live, -e.amount)?,
        (0, 1) => out.changes = pin(live, e.held_delta)?,
        (0 | -1, -1) => {
            let pinned: i64 = pins.iter().map(|(_, p)| *p).sum();
            if pinned != -e.held_delta {
                return Err(RepoError::Other(format!(
                    "a hold pinned {pinned} credits on its lots, not the {} it frees",
                    -e.held_delta
                )));
            }
            let u = unpin(pins, -e.amount)?;
            out.changes = u.changes;
            out.late_expiries = u.expire;
        }
        _ => {
            return Err(RepoError::Other(format!(
                "an entry changing the balance by {} and held by {} has no lot rule",
                e.amount, e.held_delta
            )));
        }
    }
    Ok(out)
}

/// The allocations `lots` amount to for entry `entry_id`.
pub fn allocations_of(entry_id: &LedgerEntryId, lots: &EntryLots) -> Vec<LotAllocation> {
    let grant = lots.grant.iter().map(|l| LotAllocation {
        entry_id: entry_id.clone(),
        lot_id: l.id.clone(),
        amount: l.amount,
        held: 0,
    });
    let changes = lots.changes.iter().map(|c| LotAllocation {
        entry_id: entry_id.clone(),
        lot_id: c.lot_id.clone(),
        amount: c.amount,
        held: c.held,
    });
    grant.chain(changes).collect()
}

#[cfg(test)]
#[path = "lot_rules_tests.rs"]
mod tests;
