//! The one code path by which money arriving changes things: payment succeeded, invoice paid
//! (or partly paid), credits granted once. Manual approvals and gateway webhooks both use it.

use time::OffsetDateTime;

use crate::entities::{AuditEntry, Invoice, InvoiceStatus, LedgerKind, Payment, PaymentStatus};
use crate::error::{BillingError, BillingResult};
use crate::ports::{InvoiceChange, PaymentChange, PaymentGuard, Posting, PostingMode};
use crate::services::payment_context::transition;
use crate::types::LedgerEntryId;

/// The ledger source of an invoice's credit grant: one grant per invoice, ever; for a
/// subscription period's invoice one per period, ever (`subscription:<sub>:<period start>`);
/// for a plan change's invoice one per change (`proration:<sub>:<invoice>`: an upgrade at a
/// period's very start must not collide with that period's allowance).
pub fn grant_source(invoice: &Invoice) -> String {
    match invoice.subscription_period() {
        Some((sub, _))
            if invoice.billing_reason == crate::entities::InvoiceReason::SubscriptionUpdate =>
        {
            proration_source(sub, invoice.id.as_str())
        }
        Some((sub, start)) => period_grant_source(sub, start),
        None => format!("invoice:{}", invoice.id),
    }
}

/// The ledger source of a plan change's extra allowance: `proration:<sub>:<key>` (the
/// change's invoice id, or its instant when nothing was invoiced).
pub fn proration_source(subscription: &crate::types::SubscriptionId, key: &str) -> String {
    format!("proration:{subscription}:{key}")
}

/// The ledger source of a subscription period's allowance.
pub fn period_grant_source(
    subscription: &crate::types::SubscriptionId,
    period_start: OffsetDateTime,
) -> String {
    let start = period_start
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| period_start.unix_timestamp().to_string());
    format!("subscription:{subscription}:{start}")
}

/// Builds the change that records `received` minor units on `payment` (now succeeded) and
/// applies them to `invoice`: `amount_paid` grows by what was received; when it reaches the
/// total the invoice is paid and its credits are granted. Overpayment stays visible as the
/// payment's `excess()`; underpayment leaves the invoice pending with the rest due.
// Three callers (manual approval, gateway outcome, tests) pass these positionally; a
// parameter struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn settle_succeeded(
    payment: &Payment,
    invoice: &Invoice,
    received: i64,
    gateway_payment_id: Option<String>,
    actor: &str,
    note: Option<String>,
    at: OffsetDateTime,
    audit: Option<AuditEntry>,
) -> BillingResult<PaymentChange> {
    if invoice.status == InvoiceStatus::Void {
        return Err(BillingError::conflict(
            "invoice_void",
            format!("invoice {} is void; refund the payer instead", invoice.id),
        ));
    }
    let mut next = payment.clone();
    transition(&mut next, PaymentStatus::Succeeded, actor, note, at)?;
    next.amount_received = received;
    if gateway_payment_id.is_some() {
        next.gateway_payment_id = gateway_payment_id;
    }
    let mut inv = invoice.clone();
    inv.amount_paid = invoice
        .amount_paid
        .checked_add(received)
        .ok_or_else(|| BillingError::Internal("amount overflow".into()))?;
    inv.amount_due = (inv.total - inv.amount_paid).max(0);
    inv.updated_at = at;
    let mut posting = None;
    if inv.amount_due == 0 && invoice.status != InvoiceStatus::Paid {
        inv.status = invoice.status.transition(InvoiceStatus::Paid)?;
        inv.paid_at = Some(at);
        let credits = invoice.credits_granted();
        if credits > 0 {
            posting = Some(Posting {
                entry_id: LedgerEntryId::generate(at),
                account_id: invoice.account_id.clone(),
                kind: if invoice.subscription_period().is_some() {
                    LedgerKind::SubscriptionGrant
                } else {
                    LedgerKind::PurchaseGrant
                },
                amount: credits,
                mode: PostingMode::Exact,
                source_ref: grant_source(invoice),
                description: format!(
                    "Invoice {} paid",
                    invoice.number.as_deref().unwrap_or(invoice.id.as_str())
                ),
                metadata: serde_json::json!({ "invoice_id": invoice.id, "payment_id": payment.id }),
                actor: actor.to_owned(),
                at,
                audit: None,
                lot: invoice.lot_terms(),
            });
        }
    }
    let events = vec![crate::services::payment_events::succeeded(&next, &inv, at)];
    Ok(PaymentChange {
        payment: next,
        guard: PaymentGuard::of(payment),
        invoice: Some(InvoiceChange {
            invoice: inv,
            expected_status: invoice.status,
            expected_amount_paid: invoice.amount_paid,
        }),
        posting,
        refund: None,
        refund_update: None,
        proof: None,
        audit,
        events,
    })
}
