//! Credit lots in the database: which lots each appended entry changes (the domain's
//! `lot_rules` decide, this file persists), lot expiry with rollover, the listing, and the
//! lot half of `verify`. Every write here runs under the account's locked balance row, which
//! is what serializes an account's lot changes (the single-statement debit locks that row
//! first too).

use std::collections::BTreeMap;

use billing_domain::RepoError;
use billing_domain::entities::{CreditLot, LedgerKind, LotAllocation, LotRollover, LotSource};
use billing_domain::ports::hold_rules::hold_source;
use billing_domain::ports::lot_rules::{
    self, EntryLots, EntryShape, LotChange, LotTerms, allocations_of, plan_entry,
};
use billing_domain::types::{AccountId, CreditLotId, LedgerEntryId};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use time::OffsetDateTime;

use super::core::{Locked, NewEntry, SYSTEM, find_entry};
use crate::convert::{parse_enum, ts};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail, corrupt};
use crate::pool::AnyConnection;
use crate::rows::{AllocationRow, BalanceRow, LotRow};
use crate::schema::{credit_lots, lot_allocations};

/// How many lots the listing returns at most.
const LISTED: i64 = 500;

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

fn load(rows: Vec<LotRow>) -> DbResult<Vec<CreditLot>> {
    rows.into_iter().map(lot).collect()
}

/// The hot path's shortcut, kept on the locked balance row: the lot the next debit takes from
/// (the first in spend order with free credits), its free credits left for debits that take
/// only from it, what such debits took and is not yet written into the lot's row, and the
/// soonest expiry among the unexpired lots. A debit it covers writes the balance row and its
/// entry (whose `lot_id` is its allocation) and touches no lot row; any other write first
/// folds `spent` into the lot ([`Locked::fold`]) and recomputes the head after it
/// ([`Locked::refresh_head`]). Spend order is the domain's either way: the head *is* the
/// first lot that order would take from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Head {
    pub lot: Option<String>,
    pub avail: i64,
    pub spent: i64,
    pub next_expiry: Option<OffsetDateTime>,
}

impl Head {
    pub(crate) fn of(row: &BalanceRow) -> Self {
        Self {
            lot: row.head_lot.clone(),
            avail: row.head_avail,
            spent: row.head_spent,
            next_expiry: row.lots_next_expiry.map(|t| t.0),
        }
    }

    /// The lot entry `e` takes from whole without reading lots: a plain debit the head's free
    /// credits cover, with no lot due at its instant.
    pub(crate) fn takes(&self, e: &NewEntry) -> Option<String> {
        let plain_debit = e.explicit.is_none() && e.amount < 0 && e.held_delta == 0;
        let none_due = self.next_expiry.is_none_or(|x| x > e.at);
        (plain_debit && none_due && self.avail >= -e.amount)
            .then(|| self.lot.clone())
            .flatten()
    }
}

impl Locked {
    /// Writes what shortcut debits took from the head lot into its row.
    pub(crate) fn fold(&mut self, conn: &mut AnyConnection) -> DbResult<()> {
        use credit_lots::dsl as cl;
        if let (Some(lot), true) = (&self.head.lot, self.head.spent != 0) {
            diesel::update(cl::credit_lots.find(lot))
                .set(cl::remaining.eq(cl::remaining - self.head.spent))
                .execute(conn)?;
            self.head.spent = 0;
        }
        Ok(())
    }

    /// Recomputes the head from the lots (after a fold and a change of lots).
    pub(crate) fn refresh_head(&mut self, conn: &mut AnyConnection) -> DbResult<()> {
        debug_assert_eq!(self.head.spent, 0, "refreshed after a fold");
        let lots = load(
            credit_lots::table
                .filter(credit_lots::account_id.eq(&self.account))
                .filter(credit_lots::expired_at.is_null())
                .filter(
                    credit_lots::remaining
                        .gt(credit_lots::held)
                        .or(credit_lots::expires_at.is_not_null()),
                )
                .load(conn)?,
        )?;
        let head = lots
            .iter()
            .filter(|l| l.free() > 0)
            .min_by(|a, b| billing_domain::entities::credit_lot::spend_order(a, b));
        self.head = Head {
            lot: head.map(|l| l.id.to_string()),
            avail: head.map_or(0, CreditLot::free),
            spent: 0,
            next_expiry: lots.iter().filter_map(|l| l.expires_at).min(),
        };
        Ok(())
    }

    /// Writes the head to the balance row (after changes that appended no entry).
    fn save_head(&self, conn: &mut AnyConnection) -> DbResult<()> {
        use crate::schema::credit_balances::dsl as cb;
        diesel::update(cb::credit_balances.find(&self.account))
            .set((
                cb::head_lot.eq(&self.head.lot),
                cb::head_avail.eq(self.head.avail),
                cb::head_spent.eq(self.head.spent),
                cb::lots_next_expiry.eq(self.head.next_expiry.map(ts)),
            ))
            .execute(conn)?;
        Ok(())
    }

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
            let source = format!("expiry:{}:{rsv}", c.lot_id);
            self.append(
                conn,
                system_entry(LedgerKind::Expiry, c.amount, source, at, Some(vec![c])),
            )?;
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
        let plan = lot_rules::expire(l);
        if plan.expired > 0 {
            let change = LotChange {
                lot_id: l.id.clone(),
                amount: -plan.expired,
                held: 0,
            };
            let source = lot_rules::expiry_source(&l.id);
            self.append(
                conn,
                system_entry(
                    LedgerKind::Expiry,
                    -plan.expired,
                    source,
                    now,
                    Some(vec![change]),
                ),
            )?;
        }
        self.fold(conn)?;
        diesel::update(credit_lots::table.find(l.id.as_str()))
            .set(credit_lots::expired_at.eq(Some(ts(now))))
            .execute(conn)?;
        self.refresh_head(conn)?;
        self.save_head(conn)?;
        if let Some((n, until)) = plan.rollover {
            let source = lot_rules::rollover_source(&l.id);
            let mut e = system_entry(LedgerKind::RolloverGrant, n, source, now, None);
            e.lot = LotTerms {
                expires_at: Some(until),
                rollover: None,
            };
            e.description = format!("Rollover of {n} credits until {}", until.date());
            self.append(conn, e)?;
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

/// An entry the store writes on its own.
fn system_entry(
    kind: LedgerKind,
    amount: i64,
    source_ref: String,
    at: OffsetDateTime,
    explicit: Option<Vec<LotChange>>,
) -> NewEntry {
    NewEntry {
        id: LedgerEntryId::generate(at).to_string(),
        kind,
        amount,
        held_delta: 0,
        description: match kind {
            LedgerKind::Expiry => format!("{} credits expired", -amount),
            _ => format!("{amount} credits"),
        },
        source_ref,
        reservation_id: None,
        metadata: "{}".to_owned(),
        actor: SYSTEM.to_owned(),
        at,
        lot: LotTerms::default(),
        explicit,
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

/// A lot row with what shortcut debits took from it and is not yet in its row.
#[derive(QueryableByName)]
struct LotWithPending {
    #[diesel(embed)]
    lot: LotRow,
    #[diesel(sql_type = BigInt)]
    pending: i64,
}

/// `$n` on PostgreSQL, `?` on SQLite.
fn param(conn: &AnyConnection, n: u8) -> String {
    match conn {
        AnyConnection::Postgres(_) => format!("${n}"),
        AnyConnection::Sqlite(_) => "?".to_owned(),
    }
}

/// The account's lots in spend order (the newest [`LISTED`]), with the head lot's pending
/// shortcut debits applied (one statement, so the lots and the balance row agree).
pub(crate) fn lots(conn: &mut AnyConnection, account: &str) -> DbResult<Vec<CreditLot>> {
    let sql = format!(
        "SELECT l.*, CAST(CASE WHEN b.head_lot = l.id THEN b.head_spent ELSE 0 END AS BIGINT) AS pending \
           FROM credit_lots l JOIN credit_balances b ON b.account_id = l.account_id \
          WHERE l.account_id = {} ORDER BY l.id DESC LIMIT {LISTED}",
        param(conn, 1)
    );
    let rows: Vec<LotWithPending> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(account)
        .load(conn)?;
    let mut lots = rows
        .into_iter()
        .map(|r| {
            let mut l = lot(r.lot)?;
            l.remaining -= r.pending;
            Ok(l)
        })
        .collect::<DbResult<Vec<CreditLot>>>()?;
    lots.sort_by(billing_domain::entities::credit_lot::spend_order);
    Ok(lots)
}

/// What one entry of `account` took from or gave to each lot: its allocation rows, or the
/// one lot a shortcut debit took from whole.
pub(crate) fn allocations(
    conn: &mut AnyConnection,
    account: &str,
    entry: &str,
) -> DbResult<Vec<LotAllocation>> {
    use crate::schema::ledger_entries::dsl as le;
    let rows: Vec<AllocationRow> = lot_allocations::table
        .filter(lot_allocations::entry_id.eq(entry))
        .filter(lot_allocations::account_id.eq(account))
        .order(lot_allocations::lot_id.asc())
        .load(conn)?;
    let whole: Option<(Option<String>, i64)> = le::ledger_entries
        .find(entry)
        .filter(le::account_id.eq(account))
        .select((le::lot_id, le::amount))
        .first(conn)
        .optional()?;
    let shortcut = whole.and_then(|(lot, amount)| {
        lot.map(|lot_id| AllocationRow {
            entry_id: entry.to_owned(),
            lot_id,
            account_id: account.to_owned(),
            amount,
            held: 0,
        })
    });
    Ok(rows
        .into_iter()
        .chain(shortcut)
        .map(|a| LotAllocation {
            entry_id: LedgerEntryId::from_trusted(a.entry_id),
            lot_id: CreditLotId::from_trusted(a.lot_id),
            amount: a.amount,
            held: a.held,
        })
        .collect())
}

#[derive(QueryableByName)]
struct AccountOf {
    #[diesel(sql_type = diesel::sql_types::Text)]
    account_id: String,
}

#[derive(QueryableByName)]
struct LotSums {
    #[diesel(sql_type = diesel::sql_types::Text)]
    account_id: String,
    #[diesel(sql_type = BigInt)]
    remaining: i64,
    #[diesel(sql_type = BigInt)]
    held: i64,
}

/// Per account: `(Σ remaining, Σ held, misallocated)`, misallocated counting entries whose
/// allocations do not sum to the entry and lots whose allocations do not sum to the lot. A
/// shortcut debit's allocation is its `lot_id`; the head lot's pending shortcut debits count
/// against its remaining credits.
pub(crate) fn lot_sums(conn: &mut AnyConnection) -> DbResult<BTreeMap<String, (i64, i64, u64)>> {
    let mut out: BTreeMap<String, (i64, i64, u64)> = BTreeMap::new();
    let sums: Vec<LotSums> = diesel::sql_query(
        "SELECT b.account_id, \
                CAST(COALESCE(SUM(l.remaining), 0) - b.head_spent AS BIGINT) AS remaining, \
                CAST(COALESCE(SUM(l.held), 0) AS BIGINT) AS held \
           FROM credit_balances b LEFT JOIN credit_lots l ON l.account_id = b.account_id \
          GROUP BY b.account_id, b.head_spent",
    )
    .load(conn)?;
    for s in sums {
        out.insert(s.account_id, (s.remaining, s.held, 0));
    }
    // Each side grouped once and joined by hash, not a correlated subquery per row.
    let bad_entries: Vec<AccountOf> = diesel::sql_query(
        "SELECT e.account_id FROM ledger_entries e \
           LEFT JOIN (SELECT entry_id, SUM(amount) AS s, SUM(held) AS h \
                        FROM lot_allocations GROUP BY entry_id) a ON a.entry_id = e.id \
          WHERE e.amount <> COALESCE(a.s, 0) + CASE WHEN e.lot_id IS NULL THEN 0 ELSE e.amount END \
             OR e.held_delta <> COALESCE(a.h, 0)",
    )
    .load(conn)?;
    let bad_lots: Vec<AccountOf> = diesel::sql_query(
        "SELECT l.account_id FROM credit_lots l \
           JOIN credit_balances b ON b.account_id = l.account_id \
           LEFT JOIN (SELECT lot_id, SUM(amount) AS s, SUM(held) AS h \
                        FROM lot_allocations GROUP BY lot_id) a ON a.lot_id = l.id \
           LEFT JOIN (SELECT lot_id, SUM(amount) AS s FROM ledger_entries \
                       WHERE lot_id IS NOT NULL GROUP BY lot_id) f ON f.lot_id = l.id \
          WHERE l.remaining - CASE WHEN b.head_lot = l.id THEN b.head_spent ELSE 0 END \
                    <> COALESCE(a.s, 0) + COALESCE(f.s, 0) \
             OR l.held <> COALESCE(a.h, 0)",
    )
    .load(conn)?;
    for AccountOf { account_id } in bad_entries.into_iter().chain(bad_lots) {
        out.entry(account_id).or_insert((0, 0, 0)).2 += 1;
    }
    Ok(out)
}
