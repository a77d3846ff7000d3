//! `LedgerRepository::post`: the hot path.
//!
//! PostgreSQL, `Exact` postings without an audit entry (usage debits, grants): ONE statement.
//! A conditional `UPDATE credit_balances … WHERE balance - held >= need RETURNING …` feeds the
//! lot allocation (a debit takes from its lots in spend order; a grant creates its lot), the
//! entry insert and, when the balance crosses its threshold downwards, the low-balance outbox
//! insert. A repeated `(account_id, source_ref)` violates the unique constraint, the whole
//! statement rolls back and the original entry is returned. When the update matches no row
//! (account missing, short balance, due holds) the posting falls through to the locked path.
//!
//! Locked path (SQLite always; PostgreSQL for `UpToAvailable`, audited postings and the
//! fall-through): one write transaction holding the balance row, which checks duplicates,
//! expires due holds when short, and applies or refuses the posting.

use billing_domain::RepoError;
use billing_domain::entities::LotSource;
use billing_domain::ports::{Posting, PostingMode, PostingOutcome};
use billing_domain::types::{CreditLotId, EventId};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Nullable, SmallInt, Text};

use super::core::{LOW_BALANCE, Locked, NewEntry, find_entry, has_due_holds, overflow};
use crate::convert::to_json;
use crate::convert_billing::entry;
use crate::dialect::{is_postgres, write_transaction};
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::repo::insert_audit;
use crate::rows::EntryRow;
use crate::sql_types::{UtcDateTime, UtcTimestamp};

/// Applies one posting (see the module docs).
pub(crate) fn post(conn: &mut AnyConnection, p: &Posting) -> DbResult<PostingOutcome> {
    if p.amount == 0 {
        return Err(Fail(RepoError::Other(
            "a posting's amount is never zero".into(),
        )));
    }
    if p.mode == PostingMode::Exact
        && p.audit.is_none()
        && is_postgres(conn)
        && let Some(outcome) = post_single_statement(conn, p)?
    {
        return Ok(outcome);
    }
    write_transaction(conn, |conn| post_locked(conn, p))
}

// A debit: the balance row first (its lock orders every writer of the account's lots), then
// the unexpired lots with free credits, locked; a running sum in spend order says what each
// lot gives. If a lot is past its expiry and not yet swept (it must expire first, as on the
// locked path) or the lots give less than the debit needs, the entry's id is NULL, the
// statement fails on NOT NULL and nothing is written: the locked path then decides. In the common case one lot is read
// and updated and one allocation row is written.
const DEBIT_SQL: &str = r#"
WITH bal AS (
    UPDATE credit_balances
       SET balance = balance + $3, updated_at = $9
     WHERE account_id = $2 AND balance - held >= -$3
 RETURNING balance, held, low_balance_threshold
), lots AS (
    SELECT l.id, l.remaining - l.held AS free, l.priority, l.expires_at, l.created_at
      FROM credit_lots l, bal
     WHERE l.account_id = $2 AND l.expired_at IS NULL AND l.remaining > l.held
       FOR UPDATE OF l
), alloc AS (
    SELECT id, LEAST(free, -$3 - (SUM(free) OVER w - free)) AS take
      FROM lots
     WHERE expires_at IS NULL OR expires_at > $9
    WINDOW w AS (ORDER BY priority, expires_at NULLS LAST, created_at, id COLLATE "C"
                 ROWS UNBOUNDED PRECEDING)
), taken AS (
    UPDATE credit_lots l SET remaining = l.remaining - a.take
      FROM alloc a WHERE l.id = a.id AND a.take > 0
 RETURNING l.id, a.take
), entry AS (
    INSERT INTO ledger_entries (id, account_id, kind, amount, held_delta, balance_after, held_after,
                                source_ref, reservation_id, description, metadata, actor, created_at)
    SELECT CASE WHEN (SELECT COALESCE(SUM(take), 0) FROM alloc WHERE take > 0) = -$3
                 AND NOT EXISTS (SELECT 1 FROM credit_lots d WHERE d.account_id = $2
                                    AND d.expired_at IS NULL AND d.expires_at <= $9) THEN $1 END,
           $2, $4, $3, 0, bal.balance, bal.held, $5, NULL, $6, $7, $8, $9 FROM bal
 RETURNING *
), allocs AS (
    INSERT INTO lot_allocations (entry_id, lot_id, account_id, amount, held)
    SELECT $1, id, $2, -take, 0 FROM taken
), event AS (
    INSERT INTO outbox_events (id, kind, account_id, payload, created_at, delivered_at)
    SELECT $10, $11, $2,
           json_build_object('account_id', $2::text, 'balance', bal.balance,
                             'available', bal.balance - bal.held,
                             'threshold', bal.low_balance_threshold, 'entry_id', $1::text)::text,
           $9, NULL
      FROM bal
     WHERE bal.low_balance_threshold IS NOT NULL
       AND bal.balance - $3 >= bal.low_balance_threshold
       AND bal.balance < bal.low_balance_threshold
 RETURNING 1
)
SELECT entry.*, (SELECT COUNT(*) FROM event) AS crossed FROM entry
"#;

// A grant: the balance, the entry, its lot and the lot's one allocation. A grant never
// crosses the low-balance threshold downwards.
const GRANT_SQL: &str = r#"
WITH bal AS (
    UPDATE credit_balances
       SET balance = balance + $3, updated_at = $9
     WHERE account_id = $2
 RETURNING balance, held
), entry AS (
    INSERT INTO ledger_entries (id, account_id, kind, amount, held_delta, balance_after, held_after,
                                source_ref, reservation_id, description, metadata, actor, created_at)
    SELECT $1, $2, $4, $3, 0, bal.balance, bal.held, $5, NULL, $6, $7, $8, $9 FROM bal
 RETURNING *
), lot AS (
    INSERT INTO credit_lots (id, account_id, source, entry_id, amount, remaining, held, priority,
                             expires_at, expired_at, rollover_max, rollover_until, created_at)
    SELECT $10, $2, $11, $1, $3, $3, 0, $12, $13, NULL, $14, $15, $9 FROM bal
 RETURNING id
), allocs AS (
    INSERT INTO lot_allocations (entry_id, lot_id, account_id, amount, held)
    SELECT $1, id, $2, $3, 0 FROM lot
)
SELECT entry.*, CAST(0 AS BIGINT) AS crossed FROM entry
"#;

#[derive(QueryableByName)]
struct Posted {
    #[diesel(embed)]
    entry: EntryRow,
    #[diesel(sql_type = BigInt)]
    crossed: i64,
}

/// The single-statement posting; `None` when it could not apply here (account missing,
/// short balance, due holds, lots short of the debit) and the locked path must decide.
fn post_single_statement(
    conn: &mut AnyConnection,
    p: &Posting,
) -> DbResult<Option<PostingOutcome>> {
    let AnyConnection::Postgres(pg) = conn else {
        return Ok(None);
    };
    let metadata = to_json(&p.metadata, "entry metadata")?;
    let query = diesel::sql_query(if p.amount > 0 { GRANT_SQL } else { DEBIT_SQL })
        .bind::<Text, _>(p.entry_id.as_str())
        .bind::<Text, _>(p.account_id.as_str())
        .bind::<BigInt, _>(p.amount)
        .bind::<Text, _>(p.kind.as_str())
        .bind::<Text, _>(&p.source_ref)
        .bind::<Text, _>(&p.description)
        .bind::<Text, _>(metadata)
        .bind::<Text, _>(&p.actor)
        .bind::<UtcTimestamp, _>(UtcDateTime(p.at));
    let result = if p.amount > 0 {
        let Some(source) = LotSource::of_grant(p.kind) else {
            return Ok(None);
        };
        query
            .bind::<Text, _>(CreditLotId::generate(p.at).to_string())
            .bind::<Text, _>(source.as_str())
            .bind::<SmallInt, _>(source.priority())
            .bind::<Nullable<UtcTimestamp>, _>(p.lot.expires_at.map(UtcDateTime))
            .bind::<Nullable<BigInt>, _>(p.lot.rollover.map(|r| r.max))
            .bind::<Nullable<UtcTimestamp>, _>(p.lot.rollover.map(|r| UtcDateTime(r.until)))
            .get_result::<Posted>(pg)
            .optional()
    } else {
        query
            .bind::<Text, _>(EventId::generate(p.at).to_string())
            .bind::<Text, _>(LOW_BALANCE)
            .get_result::<Posted>(pg)
            .optional()
    };
    match result {
        Ok(Some(posted)) => Ok(Some(PostingOutcome::Applied {
            entry: entry(posted.entry)?,
            low_balance_crossed: posted.crossed > 0,
        })),
        Ok(None) | Err(DieselError::DatabaseError(DatabaseErrorKind::NotNullViolation, _)) => {
            Ok(None)
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
            match find_entry(conn, p.account_id.as_str(), &p.source_ref)? {
                Some(original) => Ok(Some(PostingOutcome::Duplicate(entry(original)?))),
                None => Err(Fail(RepoError::Conflict(info.message().to_owned()))),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// The posting under the locked balance row (both backends). Runs inside the caller's write
/// transaction (the payment flows apply postings with their other writes).
pub(crate) fn post_locked(conn: &mut AnyConnection, p: &Posting) -> DbResult<PostingOutcome> {
    if p.amount == 0 {
        return Err(Fail(RepoError::Other(
            "a posting's amount is never zero".into(),
        )));
    }
    let account = p.account_id.as_str();
    let Some(mut locked) = Locked::lock(conn, account)? else {
        return Err(Fail(RepoError::NotFound));
    };
    if let Some(original) = find_entry(conn, account, &p.source_ref)? {
        return Ok(PostingOutcome::Duplicate(entry(original)?));
    }
    let amount = if p.amount < 0 {
        let need = p.amount.checked_neg().ok_or_else(overflow)?;
        // Credits past their expiry are never spent: due lots expire first.
        locked.expire_due_lots(conn, p.at)?;
        if locked.available() < need && has_due_holds(conn, account, p.at)? {
            locked.expire_due(conn, p.at)?;
        }
        let available = locked.available();
        match p.mode {
            _ if available >= need => p.amount,
            PostingMode::Exact => return Ok(PostingOutcome::Insufficient(locked.credit())),
            PostingMode::UpToAvailable => -available.max(0),
        }
    } else {
        p.amount
    };
    let before = locked.balance;
    let row = locked.append(
        conn,
        NewEntry {
            id: p.entry_id.to_string(),
            kind: p.kind,
            amount,
            held_delta: 0,
            source_ref: p.source_ref.clone(),
            reservation_id: None,
            description: p.description.clone(),
            metadata: to_json(&p.metadata, "entry metadata")?,
            actor: p.actor.clone(),
            at: p.at,
            lot: p.lot,
            explicit: None,
        },
    )?;
    let crossed = locked.record_low_balance(conn, before, &row)?;
    if let Some(audit) = &p.audit {
        insert_audit(conn, audit)?;
    }
    Ok(PostingOutcome::Applied {
        entry: entry(row)?,
        low_balance_crossed: crossed,
    })
}
