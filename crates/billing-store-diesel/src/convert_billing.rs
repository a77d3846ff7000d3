//! Domain ⇄ row conversions for the ledger, reservations, invoices, payments and refunds.

use billing_domain::entities::{
    Invoice, InvoiceLine, InvoiceLineKind, InvoiceReason, InvoiceStatus, LedgerEntry, LedgerKind,
    LotRollover, Payment, PaymentMethodKind, PaymentStatus, ProofFile, Refund, RefundStatus,
    Reservation, ReservationStatus,
};
use billing_domain::types::{
    AccountId, CreditPackageId, FileId, InvoiceId, InvoiceLineId, LedgerEntryId, PaymentId,
    RefundId, ReservationId, SubscriptionId,
};

use crate::convert::{currency, from_json, from_opt_json, parse_enum, to_json, to_opt_json, ts};
use crate::error::DbResult;
use crate::rows::{
    EntryRow, InvoiceLineRow, InvoiceRow, PaymentRow, ProofRow, RefundRow, ReservationRow,
};

pub(crate) fn entry(r: EntryRow) -> DbResult<LedgerEntry> {
    Ok(LedgerEntry {
        id: LedgerEntryId::from_trusted(r.id),
        account_id: AccountId::from_trusted(r.account_id),
        kind: parse_enum(&r.kind, "ledger kind", LedgerKind::parse)?,
        amount: r.amount,
        held_delta: r.held_delta,
        balance_after: r.balance_after,
        held_after: r.held_after,
        source_ref: r.source_ref,
        reservation_id: r.reservation_id.map(ReservationId::from_trusted),
        description: r.description,
        metadata: from_json(&r.metadata, "entry metadata")?,
        actor: r.actor,
        created_at: r.created_at.0,
    })
}

pub(crate) fn reservation_row(r: &Reservation) -> DbResult<ReservationRow> {
    Ok(ReservationRow {
        id: r.id.to_string(),
        account_id: r.account_id.to_string(),
        amount: r.amount,
        committed_amount: r.committed_amount,
        status: r.status.as_str().to_owned(),
        reference: r.reference.clone(),
        metadata: to_json(&r.metadata, "reservation metadata")?,
        expires_at: ts(r.expires_at),
        created_at: ts(r.created_at),
        updated_at: ts(r.updated_at),
    })
}

pub(crate) fn reservation(r: ReservationRow) -> DbResult<Reservation> {
    Ok(Reservation {
        id: ReservationId::from_trusted(r.id),
        account_id: AccountId::from_trusted(r.account_id),
        amount: r.amount,
        committed_amount: r.committed_amount,
        status: parse_enum(&r.status, "reservation status", ReservationStatus::parse)?,
        reference: r.reference,
        metadata: from_json(&r.metadata, "reservation metadata")?,
        expires_at: r.expires_at.0,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}

pub(crate) fn invoice_row(i: &Invoice) -> DbResult<InvoiceRow> {
    Ok(InvoiceRow {
        id: i.id.to_string(),
        account_id: i.account_id.to_string(),
        number: i.number.clone(),
        status: i.status.as_str().to_owned(),
        billing_reason: i.billing_reason.as_str().to_owned(),
        currency: i.currency.code().to_owned(),
        subtotal: i.subtotal,
        discount: i.discount,
        total: i.total,
        amount_paid: i.amount_paid,
        amount_due: i.amount_due,
        due_at: i.due_at.map(ts),
        billing_snapshot: to_opt_json(i.billing_snapshot.as_ref(), "billing snapshot")?,
        status_reason: i.status_reason.clone(),
        metadata: to_json(&i.metadata, "invoice metadata")?,
        created_at: ts(i.created_at),
        finalized_at: i.finalized_at.map(ts),
        paid_at: i.paid_at.map(ts),
        updated_at: ts(i.updated_at),
    })
}

pub(crate) fn line_rows(i: &Invoice) -> DbResult<Vec<InvoiceLineRow>> {
    i.lines
        .iter()
        .enumerate()
        .map(|(n, l)| {
            Ok(InvoiceLineRow {
                id: l.id.to_string(),
                invoice_id: i.id.to_string(),
                position: i32::try_from(n)
                    .map_err(|e| crate::error::encode_error("invoice line", e))?,
                kind: l.kind.as_str().to_owned(),
                description: l.description.clone(),
                quantity: l.quantity,
                unit_amount: l.unit_amount,
                discount_amount: l.discount_amount,
                amount: l.amount,
                credit_package_id: l.credit_package_id.as_ref().map(ToString::to_string),
                credits: l.credits,
                subscription_id: l.subscription_id.as_ref().map(ToString::to_string),
                period_start: l.period_start.map(ts),
                period_end: l.period_end.map(ts),
                rollover_max: l.rollover.map(|r| r.max),
                rollover_until: l.rollover.map(|r| ts(r.until)),
            })
        })
        .collect()
}

fn line(r: InvoiceLineRow) -> DbResult<InvoiceLine> {
    Ok(InvoiceLine {
        id: InvoiceLineId::from_trusted(r.id),
        kind: parse_enum(&r.kind, "invoice line kind", InvoiceLineKind::parse)?,
        description: r.description,
        quantity: r.quantity,
        unit_amount: r.unit_amount,
        discount_amount: r.discount_amount,
        amount: r.amount,
        credit_package_id: r.credit_package_id.map(CreditPackageId::from_trusted),
        credits: r.credits,
        subscription_id: r.subscription_id.map(SubscriptionId::from_trusted),
        period_start: r.period_start.map(|t| t.0),
        period_end: r.period_end.map(|t| t.0),
        rollover: match (r.rollover_max, r.rollover_until) {
            (Some(max), Some(until)) => Some(LotRollover {
                max,
                until: until.0,
            }),
            _ => None,
        },
    })
}

/// An invoice from its row and its line rows (in position order).
pub(crate) fn invoice(r: InvoiceRow, lines: Vec<InvoiceLineRow>) -> DbResult<Invoice> {
    Ok(Invoice {
        id: InvoiceId::from_trusted(r.id),
        account_id: AccountId::from_trusted(r.account_id),
        number: r.number,
        status: parse_enum(&r.status, "invoice status", InvoiceStatus::parse)?,
        billing_reason: parse_enum(&r.billing_reason, "invoice reason", InvoiceReason::parse)?,
        currency: currency(&r.currency)?,
        lines: lines.into_iter().map(line).collect::<DbResult<_>>()?,
        subtotal: r.subtotal,
        discount: r.discount,
        total: r.total,
        amount_paid: r.amount_paid,
        amount_due: r.amount_due,
        due_at: r.due_at.map(|t| t.0),
        billing_snapshot: from_opt_json(r.billing_snapshot.as_deref(), "billing snapshot")?,
        status_reason: r.status_reason,
        metadata: from_json(&r.metadata, "invoice metadata")?,
        created_at: r.created_at.0,
        finalized_at: r.finalized_at.map(|t| t.0),
        paid_at: r.paid_at.map(|t| t.0),
        updated_at: r.updated_at.0,
    })
}

pub(crate) fn payment_row(p: &Payment) -> DbResult<PaymentRow> {
    Ok(PaymentRow {
        id: p.id.to_string(),
        account_id: p.account_id.to_string(),
        invoice_id: p.invoice_id.to_string(),
        method: p.method.as_str().to_owned(),
        status: p.status.as_str().to_owned(),
        currency: p.currency.code().to_owned(),
        amount: p.amount,
        amount_received: p.amount_received,
        amount_refunded: p.amount_refunded,
        reference: p.reference.clone(),
        gateway_reference: p.gateway_reference.clone(),
        gateway_payment_id: p.gateway_payment_id.clone(),
        failure_reason: p.failure_reason.clone(),
        expires_at: p.expires_at.map(ts),
        next_action: to_opt_json(p.next_action.as_ref(), "next action")?,
        confirmation: to_opt_json(p.confirmation.as_ref(), "payment confirmation")?,
        history: to_json(&p.history, "payment history")?,
        created_at: ts(p.created_at),
        updated_at: ts(p.updated_at),
    })
}

pub(crate) fn payment(r: PaymentRow) -> DbResult<Payment> {
    Ok(Payment {
        id: PaymentId::from_trusted(r.id),
        account_id: AccountId::from_trusted(r.account_id),
        invoice_id: InvoiceId::from_trusted(r.invoice_id),
        method: parse_enum(&r.method, "payment method", PaymentMethodKind::parse)?,
        status: parse_enum(&r.status, "payment status", PaymentStatus::parse)?,
        currency: currency(&r.currency)?,
        amount: r.amount,
        amount_received: r.amount_received,
        amount_refunded: r.amount_refunded,
        reference: r.reference,
        gateway_reference: r.gateway_reference,
        gateway_payment_id: r.gateway_payment_id,
        failure_reason: r.failure_reason,
        expires_at: r.expires_at.map(|t| t.0),
        next_action: from_opt_json(r.next_action.as_deref(), "next action")?,
        confirmation: from_opt_json(r.confirmation.as_deref(), "payment confirmation")?,
        history: from_json(&r.history, "payment history")?,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}

pub(crate) fn proof_row(f: &ProofFile) -> ProofRow {
    ProofRow {
        id: f.id.to_string(),
        payment_id: f.payment_id.to_string(),
        filename: f.filename.clone(),
        content_type: f.content_type.clone(),
        sha256: f.sha256.clone(),
        data: f.data.clone(),
        created_at: ts(f.created_at),
    }
}

pub(crate) fn proof(r: ProofRow) -> ProofFile {
    ProofFile {
        id: FileId::from_trusted(r.id),
        payment_id: PaymentId::from_trusted(r.payment_id),
        filename: r.filename,
        content_type: r.content_type,
        sha256: r.sha256,
        data: r.data,
        created_at: r.created_at.0,
    }
}

pub(crate) fn refund_row(r: &Refund) -> RefundRow {
    RefundRow {
        id: r.id.to_string(),
        payment_id: r.payment_id.to_string(),
        account_id: r.account_id.to_string(),
        status: r.status.as_str().to_owned(),
        currency: r.currency.code().to_owned(),
        amount: r.amount,
        reason: r.reason.clone(),
        gateway_refund_id: r.gateway_refund_id.clone(),
        credits_clawed_back: r.credits_clawed_back,
        credits_deficit: r.credits_deficit,
        actor: r.actor.clone(),
        created_at: ts(r.created_at),
        updated_at: ts(r.updated_at),
    }
}

pub(crate) fn refund(r: RefundRow) -> DbResult<Refund> {
    Ok(Refund {
        id: RefundId::from_trusted(r.id),
        payment_id: PaymentId::from_trusted(r.payment_id),
        account_id: AccountId::from_trusted(r.account_id),
        status: parse_enum(&r.status, "refund status", RefundStatus::parse)?,
        currency: currency(&r.currency)?,
        amount: r.amount,
        reason: r.reason,
        gateway_refund_id: r.gateway_refund_id,
        credits_clawed_back: r.credits_clawed_back,
        credits_deficit: r.credits_deficit,
        actor: r.actor,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}
