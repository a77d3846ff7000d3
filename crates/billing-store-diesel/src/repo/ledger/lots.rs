//! Credit lots in the database: which lots each appended entry changes (the domain's
//! `lot_rules` decide, this file persists) and lot expiry with rollover. Reads are in
//! `lot_reads`, the hot path's shortcut in `lot_head`. Every write here runs under the
//! account's locked balance row, which is what serializes an account's lot changes (the
//! single-statement debit updates that row too).

use billing_domain::RepoError;
use billing_domain::entities::{CreditLot, LotRollover, LotSource};
use billing_domain::ports::hold_rules::hold_source;
use billing_domain::ports::lot_rules::{
    self, EntryLots, EntryShape, LotChange, LotEntry, allocations_of, plan_entry,
};
use billing_domain::types::{AccountId, CreditLotId, LedgerEntryId};
use diesel::prelude::*;
use time::OffsetDateTime;

use super::core::{Locked, NewEntry, SYSTEM, find_entry};
use crate::convert::{parse_enum, ts};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail, corrupt};
use crate::pool::AnyConnection;
use crate::rows::{AllocationRow, LotRow};
use crate::schema::{credit_lots, lot_allocations};

pub(crate) fn lot(r: LotRow) -> DbResult<CreditLot> {
    Ok(CreditLot {
        id: CreditLotId::from_trusted(r.id),
        account_id: AccountId::from_trusted(r.account_id),
        source: parse_enum(&r.source, "lot source", LotSource::parse)?,
        entry_id: r.entry_id.map(LedgerEntryId::from_trusted),
        amount: r.amount,
        remaining: r.remaining,
        held: r.held,
        priority: r.priority,
        expires_at: r.expires_at.map(|t| t.0),
        expired_at: r.expired_at.map(|t| t.0),
        rollover: match (r.rollover_max, r.rollover_until) {
            (Some(max), Some(until)) => Some(LotRollover {
                max,
                until: until.0,
            }),
            (None, None) => None,
            _ => return Err(corrupt("rollover", "a cap without its end, or the reverse")),
        },
        created_at: r.created_at.0,
    })
}

fn lot_row(l: &CreditLot) -> LotRow {
    LotRow {
        id: l.id.to_string(),
        account_id: l.account_id.to_string(),
        source: l.source.as_str().to_owned(),
        entry_id: l.entry_id.as_ref().map(ToString::to_string),
        amount: l.amount,
        remaining: l.remaining,
        held: l.held,
        priority: l.priority,
        expires_at: l.expires_at.map(ts),
        expired_at: l.expired_at.map(ts),
        rollover_max: l.rollover.map(|r| r.max),
        rollover_until: l.rollover.map(|r| ts(r.until)),
        created_at: ts(l.created_at),
    }
}

pub(crate) fn load(rows: Vec<LotRow>) -> DbResult<Vec<CreditLot>> {
    rows.into_iter().map(lot).collect()
}

impl Locked {
    /// What a hold pinned: each lot with the part the hold's entry pinned on it.
    fn pins(&self, conn: &mut AnyConnection, rsv: &str) -> DbResult<Vec<(CreditLot, i64)>> {
        let Some(hold) = find_entry(conn, &self.account, &hold_source(rsv, "hold"))? else {
            return Err(Fail(RepoError::Other(format!(
                "hold {rsv} has no hold entry"
            ))));
        };
        let rows: Vec<(AllocationRow, LotRow)> = lot_allocations::table
            .inner_join(credit_lots::table)
            .filter(lot_allocations::entry_id.eq(&hold.id))
            .filter(lot_allocations::held.gt(0))
            .load(conn)?;
        rows.into_iter()
            .map(|(a, l)| Ok((lot(l)?, a.held)))
            .collect()
    }

    /// Decides the lots entry `e` changes (nothing written yet).
    pub(crate) fn plan_lots(&self, conn: &mut AnyConnection, e: &NewEntry) -> DbResult<EntryLots> {
        if let Some(changes) = &e.explicit {
            return Ok(EntryLots {
                changes: changes.clone(),
                ..EntryLots::default()
            });
        }
        let live = if e.held_delta >= 0 && (e.amount < 0 || e.held_delta > 0) {
            load(
                credit_lots::table
                    .filter(credit_lots::account_id.eq(&self.account))
                    .filter(credit_lots::expired_at.is_null())
                    .filter(credit_lots::remaining.gt(credit_lots::held))
                    .load(conn)?,
            )?
        } else {
            Vec::new()
        };
        let pins = match (&e.reservation_id, e.held_delta < 0) {
            (Some(rsv), true) => self.pins(conn, rsv)?,
            (None, true) => {
                return Err(Fail(RepoError::Other(
                    "an entry freeing held credits names no hold".into(),
                )));
            }
            _ => Vec::new(),
        };
        let account = AccountId::from_trusted(self.account.clone());
        let entry_id = LedgerEntryId::from_trusted(e.id.clone());
        let shape = EntryShape {
            account: &account,
            entry_id: &entry_id,
            kind: e.kind,
            amount: e.amount,
            held_delta: e.held_delta,
            terms: e.lot,
            at: e.at,
        };
        Ok(plan_entry(
            shape,
            &live,
            &pins,
            CreditLotId::generate(e.at),
        )?)
    }

    /// Writes what [`Self::plan_lots`] decided for entry `entry` (the lots' CHECK
    /// constraint refuses anything breaking `0 ≤ held ≤ remaining ≤ amount`).
    pub(crate) fn put_lots(
        &self,
        conn: &mut AnyConnection,
        entry: &str,
        planned: &EntryLots,
    ) -> DbResult<()> {
        use credit_lots::dsl as cl;
        for c in &planned.changes {
            diesel::update(cl::credit_lots.find(c.lot_id.as_str()))
                .set((
                    cl::remaining.eq(cl::remaining + c.amount),
                    cl::held.eq(cl::held + c.held),
                ))
                .execute(conn)?;
        }
        if let Some(l) = &planned.grant {
            diesel::insert_into(cl::credit_lots)
                .values(&lot_row(l))
                .execute(conn)?;
        }
        let entry_id = LedgerEntryId::from_trusted(entry.to_owned());
        let rows: Vec<AllocationRow> = allocations_of(&entry_id, planned)
            .into_iter()
            .map(|a| AllocationRow {
                entry_id: a.entry_id.to_string(),
                lot_id: a.lot_id.to_string(),
                account_id: self.account.clone(),
                amount: a.amount,
                held: a.held,
            })
            .collect();
        // One statement per row: Diesel's multi-backend connection has no batch insert, and
        // an entry touches one lot in the common case.
        for row in &rows {
            diesel::insert_into(lot_allocations::table)
                .values(row)
                .execute(conn)?;
        }
        Ok(())
    }

    /// Expires the held parts a hold gave back to lots that expired meanwhile, one `expiry`
    /// entry each (`expiry:<lot>:<rsv>`).
    pub(crate) fn expire_late(
        &mut self,
        conn: &mut AnyConnection,
        rsv: Option<&str>,
        late: Vec<LotChange>,
        at: OffsetDateTime,
    ) -> DbResult<()> {
        let Some(rsv) = rsv else {
            return Ok(());
        };
        for c in late {
            let e = lot_rules::late_expiry_entry(c, rsv);
            self.append(conn, system_entry(e, at))?;
        }
        Ok(())
    }

    /// Expires `l` at `now`: one `expiry` entry for its free credits, the rollover grant it
    /// carries, and the lot marked expired (held credits wait for their hold).
    fn expire_lot(
        &mut self,
        conn: &mut AnyConnection,
        l: &CreditLot,
        now: OffsetDateTime,
    ) -> DbResult<()> {
        let (expiry, rollover) = lot_rules::expiry_entries(l);
        if let Some(e) = expiry {
            self.append(conn, system_entry(e, now))?;
        }
        self.fold(conn)?;
        diesel::update(credit_lots::table.find(l.id.as_str()))
            .set(credit_lots::expired_at.eq(Some(ts(now))))
            .execute(conn)?;
        self.refresh_head(conn)?;
        self.save_head(conn)?;
        if let Some(e) = rollover {
            self.append(conn, system_entry(e, now))?;
        }
        Ok(())
    }

    /// Expires every lot of this account due at `now`; returns how many.
    pub(crate) fn expire_due_lots(
        &mut self,
        conn: &mut AnyConnection,
        now: OffsetDateTime,
    ) -> DbResult<u64> {
        // The head knows the soonest expiry: nothing to read before it.
        if self.head.next_expiry.is_none_or(|x| x > now) {
            return Ok(0);
        }
        self.fold(conn)?;
        let due = load(
            credit_lots::table
                .filter(credit_lots::account_id.eq(&self.account))
                .filter(credit_lots::expired_at.is_null())
                .filter(credit_lots::expires_at.le(ts(now)))
                .order(credit_lots::id.asc())
                .load(conn)?,
        )?;
        for l in &due {
            self.expire_lot(conn, l, now)?;
        }
        Ok(due.len() as u64)
    }
}

/// The ledger entry of a lot's own entry, by the `system` actor at `at`.
fn system_entry(e: LotEntry, at: OffsetDateTime) -> NewEntry {
    NewEntry {
        id: LedgerEntryId::generate(at).to_string(),
        kind: e.kind,
        amount: e.amount,
        held_delta: 0,
        description: e.description,
        source_ref: e.source_ref,
        reservation_id: None,
        metadata: "{}".to_owned(),
        actor: SYSTEM.to_owned(),
        at,
        lot: e.terms,
        explicit: e.explicit,
    }
}

/// Expires up to `limit` due lots of any account, the longest overdue first; one write
/// transaction per account.
pub(crate) fn expire_lots_due(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
    limit: u32,
) -> DbResult<u64> {
    let accounts: Vec<String> = credit_lots::table
        .filter(credit_lots::expired_at.is_null())
        .filter(credit_lots::expires_at.le(ts(now)))
        .order((credit_lots::expires_at.asc(), credit_lots::id.asc()))
        .limit(i64::from(limit))
        .select(credit_lots::account_id)
        .load(conn)?;
    let mut unique: Vec<String> = accounts;
    unique.sort();
    unique.dedup();
    let mut expired = 0_u64;
    for account in unique {
        expired += write_transaction(conn, |conn| {
            let Some(mut locked) = Locked::lock(conn, &account)? else {
                return Ok(0);
            };
            locked.expire_due_lots(conn, now)
        })?;
    }
    Ok(expired)
}
