//! The outbox events the payment flows record with their changes, for the e-mail and webhook
//! consumers: `payment.awaiting_transfer`, `payment.succeeded`, `payment.rejected`,
//! `refund.succeeded` and `invoice.finalized`. Payloads name what happened with ids and
//! amounts; a consumer reads anything else it needs from the store.

use serde_json::json;
use time::OffsetDateTime;

use crate::entities::{Invoice, OutboxEvent, Payment, Refund};

/// A manual payment now waits for the payer's transfer (the instructions e-mail).
pub fn awaiting_transfer(payment: &Payment, at: OffsetDateTime) -> OutboxEvent {
    OutboxEvent::new(
        "payment.awaiting_transfer",
        &payment.account_id,
        json!({
            "payment_id": payment.id,
            "invoice_id": payment.invoice_id,
            "payment_method": payment.method,
            "amount": payment.amount,
            "currency": payment.currency,
            "reference": payment.reference,
            "expires_at": payment.expires_at.map(rfc3339),
        }),
        at,
    )
}

/// Money arrived on `payment` for `invoice` (both as they are after the change).
pub fn succeeded(payment: &Payment, invoice: &Invoice, at: OffsetDateTime) -> OutboxEvent {
    OutboxEvent::new(
        "payment.succeeded",
        &payment.account_id,
        json!({
            "payment_id": payment.id,
            "invoice_id": invoice.id,
            "invoice_number": invoice.number,
            "invoice_status": invoice.status,
            "amount_due": invoice.amount_due,
            "payment_method": payment.method,
            "amount_received": payment.amount_received,
            "currency": payment.currency,
        }),
        at,
    )
}

/// An operator rejected a manual payment for `reason`.
pub fn rejected(payment: &Payment, reason: &str, at: OffsetDateTime) -> OutboxEvent {
    OutboxEvent::new(
        "payment.rejected",
        &payment.account_id,
        json!({
            "payment_id": payment.id,
            "invoice_id": payment.invoice_id,
            "payment_method": payment.method,
            "reason": reason,
        }),
        at,
    )
}

/// A refund went through.
pub fn refund_succeeded(refund: &Refund, at: OffsetDateTime) -> OutboxEvent {
    OutboxEvent::new(
        "refund.succeeded",
        &refund.account_id,
        json!({
            "refund_id": refund.id,
            "payment_id": refund.payment_id,
            "amount": refund.amount,
            "currency": refund.currency,
            "reason": refund.reason,
        }),
        at,
    )
}

/// An invoice an operator made was finalized (numbered and due).
pub fn invoice_finalized(invoice: &Invoice, at: OffsetDateTime) -> OutboxEvent {
    OutboxEvent::new(
        "invoice.finalized",
        &invoice.account_id,
        json!({
            "invoice_id": invoice.id,
            "amount_due": invoice.amount_due,
            "currency": invoice.currency,
            "due_at": invoice.due_at.map(rfc3339),
        }),
        at,
    )
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
