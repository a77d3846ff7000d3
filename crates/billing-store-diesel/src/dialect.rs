//! Every difference between the two backends, in one place:
//!
//! * write transactions: `BEGIN IMMEDIATE` on SQLite (so concurrent writers queue on the
//!   busy timeout instead of failing when a read lock cannot be upgraded), plain `BEGIN` on
//!   PostgreSQL, where row locks do the serialising;
//! * `SELECT … FOR UPDATE` of an account's balance row (PostgreSQL only; SQLite's
//!   `BEGIN IMMEDIATE` already holds the database's write lock);
//! * `INSERT … ON CONFLICT DO NOTHING` (not expressible over `MultiBackend`);
//! * which embedded migrations to run.
//!
//! Multi-row inserts are avoided everywhere (SQLite has no `DEFAULT` in `VALUES`): rows are
//! inserted one by one inside the surrounding transaction.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::rows::{IdempotencyRow, PaymentRow};
use crate::schema::{
    credit_balances, idempotency_keys, invoice_number_sequences, invoices, payments,
};

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Runs the pending migrations of the connection's backend.
pub(crate) fn run_migrations(conn: &mut AnyConnection) -> Result<usize, String> {
    let migrations = match conn {
        AnyConnection::Postgres(_) => POSTGRES_MIGRATIONS,
        AnyConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    };
    conn.run_pending_migrations(migrations)
        .map(|done| done.len())
        .map_err(|e| e.to_string())
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL.
/// Commits when `f` returns `Ok`, rolls back otherwise. Every write use case goes through it.
pub(crate) fn write_transaction<T, F>(conn: &mut AnyConnection, f: F) -> DbResult<T>
where
    F: FnOnce(&mut AnyConnection) -> DbResult<T>,
{
    match conn {
        AnyConnection::Postgres(_) => return conn.transaction(f),
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
    }
    match f(conn) {
        Ok(value) => {
            match <AnyConnection as Connection>::TransactionManager::commit_transaction(conn) {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(Fail::from(e))
                }
            }
        }
        Err(e) => {
            let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// The balance row of `account`, locked for the rest of the transaction on PostgreSQL. Call
/// inside [`write_transaction`].
pub(crate) fn lock_balance(
    conn: &mut AnyConnection,
    account: &str,
) -> DbResult<Option<crate::rows::BalanceRow>> {
    use credit_balances::dsl as cb;
    let query = cb::credit_balances.find(account);
    let row = match conn {
        AnyConnection::Postgres(c) => query.for_update().first(c).optional()?,
        AnyConnection::Sqlite(c) => query.first(c).optional()?,
    };
    Ok(row)
}

/// A payment row, locked for the rest of the transaction on PostgreSQL.
pub(crate) fn lock_payment(conn: &mut AnyConnection, id: &str) -> DbResult<Option<PaymentRow>> {
    let query = payments::table.find(id);
    let row = match conn {
        AnyConnection::Postgres(c) => query.for_update().first(c).optional()?,
        AnyConnection::Sqlite(c) => query.first(c).optional()?,
    };
    Ok(row)
}

/// An invoice's `(status, amount_paid)`, locked for the rest of the transaction on PostgreSQL.
pub(crate) fn lock_invoice(conn: &mut AnyConnection, id: &str) -> DbResult<Option<(String, i64)>> {
    let query = invoices::table
        .find(id)
        .select((invoices::status, invoices::amount_paid));
    let row = match conn {
        AnyConnection::Postgres(c) => query.for_update().first(c).optional()?,
        AnyConnection::Sqlite(c) => query.first(c).optional()?,
    };
    Ok(row)
}

/// Takes the next value of the gapless counter `(prefix, year)`: creates the row if absent
/// (`ON CONFLICT DO NOTHING`), locks it, increments it. Rolled back with the transaction, so
/// a number is only used by a committed invoice.
pub(crate) fn next_in_sequence(conn: &mut AnyConnection, prefix: &str, year: i32) -> DbResult<i64> {
    use invoice_number_sequences::dsl as s;
    let seed = diesel::insert_into(s::invoice_number_sequences).values((
        s::prefix.eq(prefix),
        s::year.eq(year),
        s::next_value.eq(1_i64),
    ));
    let query = s::invoice_number_sequences
        .find((prefix, year))
        .select(s::next_value);
    let next: i64 = match conn {
        AnyConnection::Postgres(c) => {
            seed.on_conflict_do_nothing().execute(c)?;
            query.for_update().first(c)?
        }
        AnyConnection::Sqlite(c) => {
            seed.on_conflict_do_nothing().execute(c)?;
            query.first(c)?
        }
    };
    let after = next.checked_add(1).ok_or_else(|| {
        Fail(billing_domain::RepoError::Other(
            "invoice counter overflows".into(),
        ))
    })?;
    diesel::update(s::invoice_number_sequences.find((prefix, year)))
        .set(s::next_value.eq(after))
        .execute(conn)?;
    Ok(next)
}

/// Inserts an idempotency record unless `(principal, key)` exists; returns whether it did.
pub(crate) fn insert_idempotency_if_absent(
    conn: &mut AnyConnection,
    row: &IdempotencyRow,
) -> DbResult<bool> {
    let statement = diesel::insert_into(idempotency_keys::table).values(row);
    let inserted = match conn {
        AnyConnection::Postgres(c) => statement.on_conflict_do_nothing().execute(c)?,
        AnyConnection::Sqlite(c) => statement.on_conflict_do_nothing().execute(c)?,
    };
    Ok(inserted == 1)
}

/// Whether the connection is PostgreSQL (for the single-statement ledger fast path).
pub(crate) fn is_postgres(conn: &AnyConnection) -> bool {
    matches!(conn, AnyConnection::Postgres(_))
}
