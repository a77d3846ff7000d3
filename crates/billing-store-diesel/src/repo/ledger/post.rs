//! `LedgerRepository::post`: the hot path.
//!
//! PostgreSQL, `Exact` debits without an audit entry (usage debits): ONE statement. A
//! conditional `UPDATE credit_balances … WHERE balance - held >= need AND the head lot covers
//! it RETURNING …` feeds the entry insert (whose `lot_id` is its allocation) and, when the
//! balance crosses its threshold downwards, the low-balance outbox insert. A repeated `(account_id, source_ref)` violates the unique constraint, the whole
//! statement rolls back and the original entry is returned. When the update matches no row
//! (account missing, short balance, due holds) the posting falls through to the locked path.
//!
//! Locked path (SQLite always; PostgreSQL for `UpToAvailable`, audited postings and the
//! fall-through): one write transaction holding the balance row, which checks duplicates,
//! expires due holds when short, and applies or refuses the posting.

use billing_domain::RepoError;
use billing_domain::ports::{Posting, PostingMode, PostingOutcome};
use billing_domain::types::EventId;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Text};

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

// A debit the head lot covers (see `lots::Head`): the balance row's conditional update also
// takes the credits from the head lot's shortcut counters, and the entry names the head lot
// as its whole allocation. No lot row is read or written. When the row does not match
// (account missing, short balance, no head or a head too small, a lot due), the locked path
// decides.
const DEBIT_SQL: &str = r#"
WITH bal AS (
    UPDATE credit_balances
       SET balance = balance + $3, head_avail = head_avail + $3, head_spent = head_spent - $3,
           updated_at = $9
     WHERE account_id = $2 AND balance - held >= -$3
       AND head_lot IS NOT NULL AND head_avail >= -$3
       AND (lots_next_expiry IS NULL OR lots_next_expiry > $9)
 RETURNING balance, held, low_balance_threshold, head_lot
), entry AS (
    INSERT INTO ledger_entries (id, account_id, kind, amount, held_delta, balance_after, held_after,
                                source_ref, reservation_id, description, metadata, actor, created_at,
                                lot_id)
    SELECT $1, $2, $4, $3, 0, bal.balance, bal.held, $5, NULL, $6, $7, $8, $9, bal.head_lot FROM bal
 RETURNING *
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

#[derive(QueryableByName)]
struct Posted {
    #[diesel(embed)]
    entry: EntryRow,
    #[diesel(sql_type = BigInt)]
    crossed: i64,
}

/// The single-statement debit; `None` when it could not apply here (a grant, account missing,
/// short balance, due holds, no head lot covering it, a lot due) and the locked path decides.
fn post_single_statement(
    conn: &mut AnyConnection,
    p: &Posting,
) -> DbResult<Option<PostingOutcome>> {
    let AnyConnection::Postgres(pg) = conn else {
        return Ok(None);
    };
    if p.amount > 0 {
        // A grant creates a lot and may change the head: the locked path.
        return Ok(None);
    }
    let result = diesel::sql_query(DEBIT_SQL)
        .bind::<Text, _>(p.entry_id.as_str())
        .bind::<Text, _>(p.account_id.as_str())
        .bind::<BigInt, _>(p.amount)
        .bind::<Text, _>(p.kind.as_str())
        .bind::<Text, _>(&p.source_ref)
        .bind::<Text, _>(&p.description)
        .bind::<Text, _>(to_json(&p.metadata, "entry metadata")?)
        .bind::<Text, _>(&p.actor)
        .bind::<UtcTimestamp, _>(UtcDateTime(p.at))
        .bind::<Text, _>(EventId::generate(p.at).to_string())
        .bind::<Text, _>(LOW_BALANCE)
        .get_result::<Posted>(pg)
        .optional();
    match result {
        Ok(Some(posted)) => Ok(Some(PostingOutcome::Applied {
            entry: entry(posted.entry)?,
            low_balance_crossed: posted.crossed > 0,
        })),
        Ok(None) => Ok(None),
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
