//! One guarded step of a payment flow ([`PaymentChange`]), applied in the caller's write
//! transaction: the payment row (and the invoice row) are locked and their guards checked
//! before anything is written; a failed guard reports `Stale` with nothing written.

use billing_domain::entities::{Invoice, InvoiceStatus, PaymentStatus, RefundStatus};
use billing_domain::ports::{InvoiceChange, PaymentChange, PaymentChangeOutcome, PaymentGuard};
use diesel::prelude::*;

use crate::convert::parse_enum;
use crate::convert_billing::{invoice_row, payment_row, proof_row, refund_row};
use crate::dialect::{lock_invoice, lock_payment};
use crate::error::DbResult;
use crate::pool::AnyConnection;
use crate::repo::ledger::post::post_locked;
use crate::repo::{insert_audit, insert_events};
use crate::rows::PaymentRow;
use crate::schema::{invoices, payments, proof_files, refunds};

/// Whether the locked payment row may take the change (the domain's guard rule).
fn guard_holds(stored: &PaymentRow, g: &PaymentGuard) -> DbResult<bool> {
    let status = parse_enum(&stored.status, "payment status", PaymentStatus::parse)?;
    Ok(g.admits(status, stored.amount_received, stored.amount_refunded))
}

/// Writes every mutable payment column (all but id, account, invoice and created_at).
fn write_payment(conn: &mut AnyConnection, row: &PaymentRow) -> DbResult<()> {
    use payments::dsl as p;
    diesel::update(p::payments.find(&row.id))
        .set((
            p::method.eq(&row.method),
            p::status.eq(&row.status),
            p::currency.eq(&row.currency),
            p::amount.eq(row.amount),
            p::amount_received.eq(row.amount_received),
            p::amount_refunded.eq(row.amount_refunded),
            p::reference.eq(&row.reference),
            p::gateway_reference.eq(&row.gateway_reference),
            p::gateway_payment_id.eq(&row.gateway_payment_id),
            p::failure_reason.eq(&row.failure_reason),
            p::expires_at.eq(row.expires_at),
            p::next_action.eq(&row.next_action),
            p::confirmation.eq(&row.confirmation),
            p::history.eq(&row.history),
            p::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Locks the invoice of `change` (PostgreSQL) and says whether its guard still holds.
pub(crate) fn invoice_guard_holds(
    conn: &mut AnyConnection,
    change: &InvoiceChange,
) -> DbResult<bool> {
    Ok(match lock_invoice(conn, change.invoice.id.as_str())? {
        Some((status, paid)) => change.admits(
            parse_enum(&status, "invoice status", InvoiceStatus::parse)?,
            paid,
        ),
        None => false,
    })
}

/// Writes an invoice's state after a payment or a status change: status, amounts paid and
/// due, paid_at, status_reason, updated_at (inside the caller's transaction; the caller
/// checked its guard).
pub(crate) fn write_invoice_state(conn: &mut AnyConnection, invoice: &Invoice) -> DbResult<()> {
    let row = invoice_row(invoice)?;
    use invoices::dsl as i;
    diesel::update(i::invoices.find(&row.id))
        .set((
            i::status.eq(&row.status),
            i::amount_paid.eq(row.amount_paid),
            i::amount_due.eq(row.amount_due),
            i::paid_at.eq(row.paid_at),
            i::status_reason.eq(&row.status_reason),
            i::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Applies `c` (see [`PaymentChange`]).
pub(crate) fn apply(conn: &mut AnyConnection, c: &PaymentChange) -> DbResult<PaymentChangeOutcome> {
    let Some(stored) = lock_payment(conn, c.payment.id.as_str())? else {
        return Ok(PaymentChangeOutcome::Stale);
    };
    if !guard_holds(&stored, &c.guard)? {
        return Ok(PaymentChangeOutcome::Stale);
    }
    if let Some(ic) = &c.invoice
        && !invoice_guard_holds(conn, ic)?
    {
        return Ok(PaymentChangeOutcome::Stale);
    }
    // Every change of a refund goes through its payment, whose row is locked above.
    if let Some(u) = &c.refund_update
        && !u.admits(
            crate::repo::reconcile::refund_status(conn, &u.id)?
                .map(|s| parse_enum(&s, "refund status", RefundStatus::parse))
                .transpose()?,
        )
    {
        return Ok(PaymentChangeOutcome::Stale);
    }
    let posting = c
        .posting
        .as_ref()
        .map(|p| post_locked(conn, p))
        .transpose()?;
    let refund = match c.refund_to_insert(posting.as_ref()) {
        Some(r) => {
            diesel::insert_into(refunds::table)
                .values(refund_row(&r))
                .execute(conn)?;
            Some(r)
        }
        None => match &c.refund_update {
            Some(u) => Some(crate::repo::reconcile::update_refund(conn, u)?),
            None => None,
        },
    };
    write_payment(conn, &payment_row(&c.payment)?)?;
    if let Some(ic) = &c.invoice {
        write_invoice_state(conn, &ic.invoice)?;
    }
    if let Some(f) = &c.proof {
        diesel::insert_into(proof_files::table)
            .values(proof_row(f))
            .execute(conn)?;
    }
    if let Some(a) = &c.audit {
        insert_audit(conn, a)?;
    }
    insert_events(conn, &c.events)?;
    Ok(PaymentChangeOutcome::Applied { posting, refund })
}
