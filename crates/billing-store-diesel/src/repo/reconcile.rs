//! The gateway-side reads and writes of the payment flow: the janitor's queue and refund
//! settlement (called from [`super::payment_flow`]).

use billing_domain::entities::{Payment, PaymentMethodKind, PaymentStatus, Refund, RefundStatus};
use billing_domain::ports::{RefundUpdate, RetryBackoff};
use billing_domain::types::RefundId;
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::ts;
use crate::convert_billing::{payment, refund};
use crate::dialect::write_transaction;
use crate::error::DbResult;
use crate::pool::AnyConnection;
use crate::repo::convert_all;
use crate::rows::{PaymentRow, RefundRow};
use crate::schema::{gateway_retries, payments, refunds};

/// Gateway payments in `statuses` last updated before `before`, least recently updated first,
/// leaving out those deferred past `due_at`.
pub(crate) fn to_reconcile(
    conn: &mut AnyConnection,
    statuses: &[PaymentStatus],
    before: OffsetDateTime,
    limit: u32,
    due_at: OffsetDateTime,
) -> DbResult<Vec<Payment>> {
    use payments::dsl as p;
    let deferred = gateway_retries::table
        .filter(gateway_retries::subject_id.eq(p::id))
        .filter(gateway_retries::next_at.gt(ts(due_at)));
    let gateways: Vec<&str> = PaymentMethodKind::ALL
        .iter()
        .filter(|m| !m.is_manual())
        .map(|m| m.as_str())
        .collect();
    let rows: Vec<PaymentRow> = p::payments
        .filter(p::status.eq_any(statuses.iter().map(|s| s.as_str())))
        .filter(p::method.eq_any(gateways))
        .filter(p::updated_at.lt(ts(before)))
        .filter(diesel::dsl::not(diesel::dsl::exists(deferred)))
        .order((p::updated_at.asc(), p::id.asc()))
        .limit(i64::from(limit))
        .load(conn)?;
    convert_all(rows, payment)
}

/// The id of the refund with our id, else of the first with the gateway's id.
fn find_id(
    conn: &mut AnyConnection,
    refund_id: Option<&RefundId>,
    gateway_refund_id: Option<&String>,
) -> DbResult<Option<String>> {
    use refunds::dsl as r;
    Ok(match (refund_id, gateway_refund_id) {
        (Some(id), _) => r::refunds
            .find(id.as_str())
            .select(r::id)
            .first(conn)
            .optional()?,
        (None, Some(g)) => r::refunds
            .filter(r::gateway_refund_id.eq(g))
            .select(r::id)
            .order(r::id.asc())
            .first(conn)
            .optional()?,
        (None, None) => None,
    })
}

/// The refund with our id, else the first with the gateway's id.
pub(crate) fn find(
    conn: &mut AnyConnection,
    refund_id: Option<RefundId>,
    gateway_refund_id: Option<String>,
) -> DbResult<Option<Refund>> {
    let Some(id) = find_id(conn, refund_id.as_ref(), gateway_refund_id.as_ref())? else {
        return Ok(None);
    };
    let row: RefundRow = refunds::table.find(&id).first(conn)?;
    refund(row).map(Some)
}

/// A refund's stored status text.
pub(crate) fn refund_status(conn: &mut AnyConnection, id: &RefundId) -> DbResult<Option<String>> {
    Ok(refunds::table
        .find(id.as_str())
        .select(refunds::status)
        .first(conn)
        .optional()?)
}

/// Writes a (checked) refund update inside the caller's transaction; returns the refund.
pub(crate) fn update_refund(conn: &mut AnyConnection, u: &RefundUpdate) -> DbResult<Refund> {
    use refunds::dsl as r;
    let row: RefundRow = r::refunds.find(u.id.as_str()).first(conn)?;
    let mut updated = refund(row)?;
    u.apply_to(&mut updated);
    diesel::update(r::refunds.find(u.id.as_str()))
        .set((
            r::status.eq(updated.status.as_str()),
            r::gateway_refund_id.eq(&updated.gateway_refund_id),
            r::updated_at.eq(ts(u.at)),
        ))
        .execute(conn)?;
    Ok(updated)
}

/// Counts one more failed attempt for `subject` and defers it by `backoff`; returns the
/// attempts so far.
pub(crate) fn defer(
    conn: &mut AnyConnection,
    subject: &str,
    error: &str,
    now: OffsetDateTime,
    backoff: RetryBackoff,
) -> DbResult<u32> {
    use gateway_retries::dsl as g;
    write_transaction(conn, |conn| {
        let before: Option<i32> = g::gateway_retries
            .find(subject)
            .select(g::attempts)
            .first(conn)
            .optional()?;
        let attempts = before.unwrap_or(0).saturating_add(1);
        let counted = u32::try_from(attempts).unwrap_or(1);
        let next_at = ts(backoff.next_at(now, counted));
        // Error text is for operators; keep it bounded.
        let error: String = error.chars().take(500).collect();
        if before.is_some() {
            diesel::update(g::gateway_retries.find(subject))
                .set((
                    g::attempts.eq(attempts),
                    g::next_at.eq(next_at),
                    g::last_error.eq(&error),
                    g::updated_at.eq(ts(now)),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(g::gateway_retries)
                .values((
                    g::subject_id.eq(subject),
                    g::attempts.eq(attempts),
                    g::next_at.eq(next_at),
                    g::last_error.eq(&error),
                    g::updated_at.eq(ts(now)),
                ))
                .execute(conn)?;
        }
        Ok(counted)
    })
}

/// Forgets `subject`'s retry record.
pub(crate) fn clear(conn: &mut AnyConnection, subject: &str) -> DbResult<()> {
    diesel::delete(gateway_retries::table.find(subject)).execute(conn)?;
    Ok(())
}

/// Pending refunds without a gateway id created in `[after, before)`, oldest first.
pub(crate) fn unacknowledged(
    conn: &mut AnyConnection,
    after: OffsetDateTime,
    before: OffsetDateTime,
    limit: u32,
    due_at: OffsetDateTime,
) -> DbResult<Vec<Refund>> {
    use refunds::dsl as r;
    let deferred = gateway_retries::table
        .filter(gateway_retries::subject_id.eq(r::id))
        .filter(gateway_retries::next_at.gt(ts(due_at)));
    let rows: Vec<RefundRow> = r::refunds
        .filter(r::status.eq(RefundStatus::Pending.as_str()))
        .filter(r::gateway_refund_id.is_null())
        .filter(r::created_at.ge(ts(after)))
        .filter(r::created_at.lt(ts(before)))
        .filter(diesel::dsl::not(diesel::dsl::exists(deferred)))
        .order(r::id.asc())
        .limit(i64::from(limit))
        .load(conn)?;
    convert_all(rows, refund)
}

/// Settles a pending refund (found by our id, else by the gateway's) in one write transaction;
/// the status update is guarded by `status = 'pending'`.
pub(crate) fn settle(
    conn: &mut AnyConnection,
    refund_id: Option<RefundId>,
    gateway_refund_id: Option<String>,
    status: RefundStatus,
    at: OffsetDateTime,
    event: Option<billing_domain::entities::OutboxEvent>,
) -> DbResult<Option<Refund>> {
    write_transaction(conn, |conn| {
        use refunds::dsl as r;
        let Some(id) = find_id(conn, refund_id.as_ref(), gateway_refund_id.as_ref())? else {
            return Ok(None);
        };
        let pending = r::refunds
            .find(&id)
            .filter(r::status.eq(RefundStatus::Pending.as_str()));
        if let Some(g) = &gateway_refund_id {
            diesel::update(pending.filter(r::gateway_refund_id.is_null()))
                .set(r::gateway_refund_id.eq(g))
                .execute(conn)?;
        }
        let moved = diesel::update(pending)
            .set((r::status.eq(status.as_str()), r::updated_at.eq(ts(at))))
            .execute(conn)?;
        if moved == 1 && status == RefundStatus::Succeeded {
            crate::repo::insert_events(conn, &event)?;
        }
        let row: RefundRow = r::refunds.find(&id).first(conn)?;
        refund(row).map(Some)
    })
}
