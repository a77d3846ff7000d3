//! The repository implementations, one file per port. Each method runs its sync Diesel work
//! on the blocking pool through [`Db::run`].

pub(crate) mod accounts;
pub(crate) mod api_keys;
pub(crate) mod audit;
pub(crate) mod billing;
pub(crate) mod catalog;
pub(crate) mod emails;
pub(crate) mod health;
pub(crate) mod idempotency;
pub(crate) mod job_leases;
pub(crate) mod ledger;
pub(crate) mod outbox;
pub(crate) mod payment_change;
pub(crate) mod payment_flow;
pub(crate) mod plans;
pub(crate) mod portal_sessions;
pub(crate) mod reconcile;
pub(crate) mod subscriptions;
pub(crate) mod tax_rates;
pub(crate) mod webhooks;

use billing_domain::RepoError;
use billing_domain::entities::AuditEntry;
use diesel::prelude::*;

use crate::convert::audit_row;
use crate::error::{DbResult, Fail, pool_error};
use crate::pool::{AnyConnection, Pool, Pooled};
use crate::schema::audit_log;

/// The pool, shared by every repository of one store.
#[derive(Clone)]
pub(crate) struct Db {
    pool: Pool,
}

impl Db {
    pub(crate) fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool. Pool timeouts (database
    /// down, pool exhausted) become `Unavailable`.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, RepoError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> DbResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut pooled = pool.get().map_err(pool_error)?;
            with_connection(&mut pooled, f)
        })
        .await
        .map_err(|e| RepoError::Other(format!("store task failed: {e}")))?
    }

    /// Runs `f` synchronously on the calling thread (start-up work such as migrations).
    pub(crate) fn run_blocking<T>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> DbResult<T>,
    ) -> Result<T, RepoError> {
        let mut pooled = self.pool.get().map_err(pool_error)?;
        with_connection(&mut pooled, f)
    }
}

/// Runs `f`; a PostgreSQL connection that failed as unreachable is not returned to the pool.
fn with_connection<T>(
    pooled: &mut Pooled,
    f: impl FnOnce(&mut AnyConnection) -> DbResult<T>,
) -> Result<T, RepoError> {
    let result = f(&mut pooled.conn).map_err(|Fail(e)| e);
    if matches!(result, Err(RepoError::Unavailable(_)))
        && matches!(pooled.conn, AnyConnection::Postgres(_))
    {
        pooled.lost = true;
    }
    result
}

/// A unique violation on a catalog's `slug` becomes the port's readable `Conflict`
/// (`message`); other errors pass through.
pub(crate) fn slug_taken(e: diesel::result::Error, message: &'static str) -> Fail {
    match Fail::from(e) {
        Fail(RepoError::Conflict(m)) if m.contains("slug") => {
            Fail(RepoError::Conflict(message.into()))
        }
        other => other,
    }
}

/// Writes an audit entry (inside the caller's transaction).
pub(crate) fn insert_audit(conn: &mut AnyConnection, entry: &AuditEntry) -> DbResult<()> {
    diesel::insert_into(audit_log::table)
        .values(audit_row(entry)?)
        .execute(conn)?;
    Ok(())
}

/// Writes outbox events (inside the caller's transaction).
pub(crate) fn insert_events<'a>(
    conn: &mut AnyConnection,
    events: impl IntoIterator<Item = &'a billing_domain::entities::OutboxEvent>,
) -> DbResult<()> {
    for e in events {
        diesel::insert_into(crate::schema::outbox_events::table)
            .values(crate::convert::outbox_row(e)?)
            .execute(conn)?;
    }
    Ok(())
}

/// Fetch size for a page: one more than asked, to tell `has_more`.
pub(crate) fn overfetch(limit: u32) -> i64 {
    i64::from(limit) + 1
}

/// Converts rows, failing on the first corrupt one.
pub(crate) fn convert_all<R, T>(rows: Vec<R>, f: fn(R) -> DbResult<T>) -> DbResult<Vec<T>> {
    rows.into_iter().map(f).collect()
}
