//! The gateway-side reads and writes of the payment flow: the janitor's queue and refund
//! settlement (called from [`super::payment_flow`]).

use billing_domain::entities::{Payment, PaymentMethodKind, PaymentStatus, Refund, RefundStatus};
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
use crate::schema::{payments, refunds};

/// Gateway payments in `statuses` last updated before `before`, least recently updated first.
pub(crate) fn to_reconcile(
    conn: &mut AnyConnection,
    statuses: &[PaymentStatus],
    before: OffsetDateTime,
    limit: u32,
) -> DbResult<Vec<Payment>> {
    use payments::dsl as p;
    let gateways: Vec<&str> = PaymentMethodKind::ALL
        .iter()
        .filter(|m| !m.is_manual())
        .map(|m| m.as_str())
        .collect();
    let rows: Vec<PaymentRow> = p::payments
        .filter(p::status.eq_any(statuses.iter().map(|s| s.as_str())))
        .filter(p::method.eq_any(gateways))
        .filter(p::updated_at.lt(ts(before)))
        .order((p::updated_at.asc(), p::id.asc()))
        .limit(i64::from(limit))
        .load(conn)?;
    convert_all(rows, payment)
}

/// Settles a pending refund (found by our id, else by the gateway's) in one write transaction;
/// the status update is guarded by `status = 'pending'`.
pub(crate) fn settle(
    conn: &mut AnyConnection,
    refund_id: Option<RefundId>,
    gateway_refund_id: Option<String>,
    status: RefundStatus,
    at: OffsetDateTime,
) -> DbResult<Option<Refund>> {
    write_transaction(conn, |conn| {
        use refunds::dsl as r;
        let id: Option<String> = match (&refund_id, &gateway_refund_id) {
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
        };
        let Some(id) = id else { return Ok(None) };
        let pending = r::refunds
            .find(&id)
            .filter(r::status.eq(RefundStatus::Pending.as_str()));
        if let Some(g) = &gateway_refund_id {
            diesel::update(pending.filter(r::gateway_refund_id.is_null()))
                .set(r::gateway_refund_id.eq(g))
                .execute(conn)?;
        }
        diesel::update(pending)
            .set((r::status.eq(status.as_str()), r::updated_at.eq(ts(at))))
            .execute(conn)?;
        let row: RefundRow = r::refunds.find(&id).first(conn)?;
        refund(row).map(Some)
    })
}
