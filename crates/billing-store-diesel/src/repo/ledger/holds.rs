//! Reservations: hold, settle (commit or release), expire. Each is one write transaction
//! holding the account's balance row. Which entry each change writes and how a settle is
//! answered are the domain's rules (`billing_domain::ports::hold_rules`); this file persists.

use std::collections::BTreeMap;

use billing_domain::RepoError;
use billing_domain::entities::ReservationStatus;
use billing_domain::ports::hold_rules::{SettlePlan, hold_entry, plan_settlement};
use billing_domain::ports::{HoldOutcome, NewHold, ReservationOutcome, SettleReservation};
use billing_domain::types::LedgerEntryId;
use diesel::prelude::*;
use time::OffsetDateTime;

use super::core::{Locked, NewEntry, has_due_holds, set_status};
use crate::convert::ts;
use crate::convert_billing::{entry, reservation, reservation_row};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::rows::ReservationRow;
use crate::schema::reservations;

/// One reservation of one account.
pub(crate) fn find_reservation(
    conn: &mut AnyConnection,
    account: &str,
    id: &str,
) -> DbResult<Option<ReservationRow>> {
    use reservations::dsl as r;
    Ok(r::reservations
        .find(id)
        .filter(r::account_id.eq(account))
        .first(conn)
        .optional()?)
}

/// Creates a hold if enough credits are available, expiring due holds first when short.
/// Due holds are judged against the new reservation's `created_at`.
pub(crate) fn hold(conn: &mut AnyConnection, h: &NewHold) -> DbResult<HoldOutcome> {
    let r = &h.reservation;
    let rule = hold_entry(r)?;
    let row = ReservationRow {
        status: ReservationStatus::Active.as_str().to_owned(),
        committed_amount: 0,
        updated_at: ts(r.created_at),
        ..reservation_row(r)?
    };
    write_transaction(conn, |conn| {
        use reservations::dsl as rs;
        let account = r.account_id.as_str();
        let Some(mut locked) = Locked::lock(conn, account)? else {
            return Err(Fail(RepoError::NotFound));
        };
        let existing: Option<ReservationRow> = rs::reservations
            .filter(rs::account_id.eq(account))
            .filter(rs::reference.eq(&r.reference))
            .first(conn)
            .optional()?;
        if let Some(existing) = existing {
            return Ok(HoldOutcome::Duplicate(reservation(existing)?));
        }
        locked.expire_due_lots(conn, r.created_at)?;
        if locked.available() < r.amount && has_due_holds(conn, account, r.created_at)? {
            locked.expire_due(conn, r.created_at)?;
        }
        if locked.available() < r.amount {
            return Ok(HoldOutcome::Insufficient(locked.credit()));
        }
        diesel::insert_into(rs::reservations)
            .values(&row)
            .execute(conn)?;
        let entry_row = locked.append(
            conn,
            NewEntry::for_hold(
                rule.clone(),
                h.entry_id.to_string(),
                &row,
                &h.actor,
                r.created_at,
            ),
        )?;
        Ok(HoldOutcome::Applied(
            reservation(row.clone())?,
            entry(entry_row)?,
        ))
    })
}

/// Commits or releases an active, unexpired reservation (see `LedgerRepository::settle`).
pub(crate) fn settle(
    conn: &mut AnyConnection,
    account: &str,
    id: &str,
    how: SettleReservation,
    entry_id: &LedgerEntryId,
    actor: &str,
    at: OffsetDateTime,
) -> DbResult<ReservationOutcome> {
    write_transaction(conn, |conn| {
        let Some(mut locked) = Locked::lock(conn, account)? else {
            return Ok(ReservationOutcome::NotFound);
        };
        let Some(r) = find_reservation(conn, account, id)? else {
            return Ok(ReservationOutcome::NotFound);
        };
        match plan_settlement(&reservation(r.clone())?, how, at)? {
            SettlePlan::Answer(answer) => Ok(answer.outcome(reservation(r)?)),
            SettlePlan::Expire(_) => Ok(ReservationOutcome::NotActive(reservation(
                locked.expire(conn, r, at)?,
            )?)),
            SettlePlan::Settle {
                entry: rule,
                status,
                committed,
            } => {
                let before = locked.balance;
                let entry_row = locked.append(
                    conn,
                    NewEntry::for_hold(rule, entry_id.to_string(), &r, actor, at),
                )?;
                // Spending a hold lowers the balance like a debit, so it can cross the
                // threshold too.
                locked.record_low_balance(conn, before, &entry_row)?;
                let settled = set_status(conn, r, status, committed, at)?;
                Ok(ReservationOutcome::Settled(
                    reservation(settled)?,
                    entry(entry_row)?,
                ))
            }
        }
    })
}

/// Expires up to `limit` due holds of any account, the longest overdue first; one write
/// transaction per account.
pub(crate) fn expire_due(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
    limit: u32,
) -> DbResult<u64> {
    use reservations::dsl as r;
    let due: Vec<(String, String)> = r::reservations
        .filter(r::status.eq(ReservationStatus::Active.as_str()))
        .filter(r::expires_at.le(ts(now)))
        .order((r::expires_at.asc(), r::id.asc()))
        .limit(i64::from(limit))
        .select((r::account_id, r::id))
        .load(conn)?;
    let mut by_account: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (account, id) in due {
        by_account.entry(account).or_default().push(id);
    }
    let mut expired = 0_u64;
    for (account, ids) in by_account {
        expired += write_transaction(conn, |conn| {
            let Some(mut locked) = Locked::lock(conn, &account)? else {
                return Ok(0);
            };
            let mut n = 0_u64;
            for id in &ids {
                match find_reservation(conn, &account, id)? {
                    Some(row)
                        if row.status == ReservationStatus::Active.as_str()
                            && row.expires_at.0 <= now =>
                    {
                        locked.expire(conn, row, now)?;
                        n += 1;
                    }
                    _ => {}
                }
            }
            Ok(n)
        })?;
    }
    Ok(expired)
}
