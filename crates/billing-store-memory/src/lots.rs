//! Credit lots of the in-memory ledger: which lots each appended entry changes (the domain's
//! `lot_rules` decide, this file keeps the state), lot expiry with rollover, and the lot
//! half of `verify`.

use billing_domain::entities::{CreditLot, LotAllocation};
use billing_domain::error::RepoError;
use billing_domain::ports::hold_rules::hold_source;
use billing_domain::ports::lot_rules::{
    self, EntryLots, EntryShape, LotChange, LotEntry, allocations_of, plan_entry,
};
use billing_domain::types::{AccountId, CreditLotId, LedgerEntryId, ReservationId};
use time::OffsetDateTime;

use super::ledger::NewEntry;
use super::state::{AccountLedger, State, add};

/// The actor of entries the store writes on its own (expiries, rollovers).
const SYSTEM: &str = "system";

/// What a hold pinned: each lot (as it is now) with the part the hold's entry pinned on it.
fn pins(
    l: &AccountLedger,
    rsv: Option<&ReservationId>,
) -> Result<Vec<(CreditLot, i64)>, RepoError> {
    let rsv =
        rsv.ok_or_else(|| RepoError::Other("an entry freeing held credits names no hold".into()))?;
    let hold_entry = l
        .by_source
        .get(&hold_source(rsv, "hold"))
        .ok_or_else(|| RepoError::Other(format!("hold {rsv} has no hold entry")))?;
    l.allocations
        .get(hold_entry)
        .into_iter()
        .flatten()
        .filter(|a| a.held > 0)
        .map(|a| {
            let lot = l.lots.get(&a.lot_id).cloned().ok_or_else(|| {
                RepoError::Other(format!("allocation names unknown lot {}", a.lot_id))
            })?;
            Ok((lot, a.held))
        })
        .collect()
}

impl State {
    /// Decides the lots entry `e` changes, without writing; refuses changes that would break
    /// a lot's `0 ≤ held ≤ remaining ≤ amount`.
    pub(crate) fn plan_lots(
        &self,
        account: &AccountId,
        e: &NewEntry,
    ) -> Result<EntryLots, RepoError> {
        let l = self.ledger(account)?;
        let planned = match &e.explicit {
            Some(changes) => EntryLots {
                changes: changes.clone(),
                ..EntryLots::default()
            },
            None => {
                let live: Vec<CreditLot> =
                    l.lots.values().filter(|x| x.free() > 0).cloned().collect();
                let pins = if e.held_delta < 0 {
                    pins(l, e.reservation_id.as_ref())?
                } else {
                    Vec::new()
                };
                let shape = EntryShape {
                    account,
                    entry_id: &e.id,
                    kind: e.kind,
                    amount: e.amount,
                    held_delta: e.held_delta,
                    terms: e.lot,
                    at: e.at,
                };
                plan_entry(shape, &live, &pins, CreditLotId::generate(e.at))?
            }
        };
        for c in &planned.changes {
            let mut lot = l
                .lots
                .get(&c.lot_id)
                .cloned()
                .ok_or_else(|| RepoError::Other(format!("unknown lot {}", c.lot_id)))?;
            lot_rules::apply(&mut lot, c)?;
        }
        Ok(planned)
    }

    /// Writes what [`Self::plan_lots`] decided for entry `entry`.
    pub(crate) fn put_lots(
        &mut self,
        account: &AccountId,
        entry: &LedgerEntryId,
        planned: &EntryLots,
    ) -> Result<(), RepoError> {
        let l = self.ledgers.get_mut(account).ok_or(RepoError::NotFound)?;
        for c in &planned.changes {
            if let Some(lot) = l.lots.get_mut(&c.lot_id) {
                lot_rules::apply(lot, c)?;
            }
        }
        if let Some(lot) = &planned.grant {
            l.lots.insert(lot.id.clone(), lot.clone());
        }
        let allocations = allocations_of(entry, planned);
        if !allocations.is_empty() {
            l.allocations.insert(entry.clone(), allocations);
        }
        Ok(())
    }

    /// Expires the held parts a hold gave back to lots that expired meanwhile, one `expiry`
    /// entry each, right after the entry that ended the hold.
    pub(crate) fn expire_late(
        &mut self,
        account: &AccountId,
        rsv: Option<&ReservationId>,
        late: Vec<LotChange>,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let Some(rsv) = rsv else {
            return Ok(());
        };
        for c in late {
            let e = lot_rules::late_expiry_entry(c, rsv.as_str());
            self.append(account, system_entry(e, at))?;
        }
        Ok(())
    }

    /// Expires lot `id` at `now`: one `expiry` entry for its free credits, the rollover
    /// grant it carries, and the lot marked expired (held credits wait for their hold).
    pub(crate) fn expire_lot(
        &mut self,
        account: &AccountId,
        id: &CreditLotId,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let Some(lot) = self.ledger(account)?.lots.get(id).cloned() else {
            return Err(RepoError::NotFound);
        };
        let (expiry, rollover) = lot_rules::expiry_entries(&lot);
        if let Some(e) = expiry {
            self.append(account, system_entry(e, now))?;
        }
        if let Some(lot) = self
            .ledgers
            .get_mut(account)
            .and_then(|l| l.lots.get_mut(id))
        {
            lot.expired_at = Some(now);
        }
        if let Some(e) = rollover {
            self.append(account, system_entry(e, now))?;
        }
        Ok(())
    }

    /// Expires every lot of the account due at `now`; returns how many.
    pub(crate) fn expire_lots_of(
        &mut self,
        account: &AccountId,
        now: OffsetDateTime,
    ) -> Result<u64, RepoError> {
        let due: Vec<CreditLotId> = match self.ledgers.get(account) {
            Some(l) => l
                .lots
                .values()
                .filter(|x| x.is_due(now))
                .map(|x| x.id.clone())
                .collect(),
            None => return Ok(0),
        };
        for id in &due {
            self.expire_lot(account, id, now)?;
        }
        Ok(due.len() as u64)
    }
}

/// The ledger entry of a lot's own entry, by the `system` actor at `at`.
fn system_entry(e: LotEntry, at: OffsetDateTime) -> NewEntry {
    NewEntry {
        id: LedgerEntryId::generate(at),
        kind: e.kind,
        amount: e.amount,
        held_delta: 0,
        description: e.description,
        source_ref: e.source_ref,
        reservation_id: None,
        metadata: serde_json::json!({}),
        actor: SYSTEM.to_owned(),
        at,
        lot: e.terms,
        explicit: e.explicit,
    }
}

/// Expires up to `limit` due lots of any account, the longest overdue first.
pub(crate) fn expire_lots_due(
    s: &mut State,
    now: OffsetDateTime,
    limit: u32,
) -> Result<u64, RepoError> {
    let mut due: Vec<(OffsetDateTime, AccountId, CreditLotId)> = s
        .ledgers
        .iter()
        .flat_map(|(a, l)| {
            l.lots
                .values()
                .filter(|x| x.is_due(now))
                .map(move |x| (x.expires_at.unwrap_or(now), a.clone(), x.id.clone()))
        })
        .collect();
    due.sort();
    due.truncate(limit as usize);
    for (_, account, id) in &due {
        s.expire_lot(account, id, now)?;
    }
    Ok(due.len() as u64)
}

/// The lot half of `verify` for one account: `(Σ remaining, Σ held, misallocated)` where
/// misallocated counts entries whose allocations do not sum to the entry and lots whose
/// allocations do not sum to the lot.
pub(crate) fn lot_sums(l: &AccountLedger) -> Result<(i64, i64, u64), RepoError> {
    let (mut remaining, mut held) = (0_i64, 0_i64);
    let mut per_lot: std::collections::HashMap<&CreditLotId, (i64, i64)> = Default::default();
    for lot in l.lots.values() {
        remaining = add(remaining, lot.remaining)?;
        held = add(held, lot.held)?;
        per_lot.insert(&lot.id, (0, 0));
    }
    let mut bad = 0_u64;
    for e in l.entries.values() {
        let allocations: &[LotAllocation] = l.allocations.get(&e.id).map_or(&[], Vec::as_slice);
        let (mut a, mut h) = (0_i64, 0_i64);
        for x in allocations {
            a = add(a, x.amount)?;
            h = add(h, x.held)?;
            match per_lot.get_mut(&x.lot_id) {
                Some(sum) => *sum = (add(sum.0, x.amount)?, add(sum.1, x.held)?),
                None => bad += 1,
            }
        }
        if (a, h) != (e.amount, e.held_delta) {
            bad += 1;
        }
    }
    bad += l
        .lots
        .values()
        .filter(|lot| per_lot.get(&lot.id) != Some(&(lot.remaining, lot.held)))
        .count() as u64;
    Ok((remaining, held, bad))
}
