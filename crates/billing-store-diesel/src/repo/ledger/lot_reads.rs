//! Reads of credit lots: the listing, one entry's allocations, and the lot half of `verify`.
//! Each counts the head lot's pending shortcut debits (see `lot_head`).

use std::collections::BTreeMap;

use billing_domain::entities::{CreditLot, LotAllocation};
use billing_domain::types::{CreditLotId, LedgerEntryId};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::lots::lot;
use crate::error::DbResult;
use crate::pool::AnyConnection;
use crate::rows::{AllocationRow, LotRow};
use crate::schema::lot_allocations;

/// How many lots the listing returns at most.
const LISTED: i64 = 500;

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
/// one lot a shortcut debit took from whole; `None` if the account has no such entry.
pub(crate) fn allocations(
    conn: &mut AnyConnection,
    account: &str,
    entry: &str,
) -> DbResult<Option<Vec<LotAllocation>>> {
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
    let Some(whole) = whole else {
        return Ok(None);
    };
    let shortcut = Some(whole).and_then(|(lot, amount)| {
        lot.map(|lot_id| AllocationRow {
            entry_id: entry.to_owned(),
            lot_id,
            account_id: account.to_owned(),
            amount,
            held: 0,
        })
    });
    Ok(Some(
        rows.into_iter()
            .chain(shortcut)
            .map(|a| LotAllocation {
                entry_id: LedgerEntryId::from_trusted(a.entry_id),
                lot_id: CreditLotId::from_trusted(a.lot_id),
                amount: a.amount,
                held: a.held,
            })
            .collect(),
    ))
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
