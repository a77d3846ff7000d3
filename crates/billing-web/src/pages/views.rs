//! View models shared by several pages: entities turned into the strings templates show.

use billing_domain::entities::{Invoice, InvoiceStatus, Payment};
use time::OffsetDateTime;

use crate::format::{self, Badge};

/// An invoice in a list.
pub(crate) struct InvoiceRow {
    pub id: String,
    pub number: String,
    pub date: String,
    pub description: String,
    pub badge: Badge,
    pub total: String,
    pub amount_due: String,
    pub due: String,
    pub overdue: bool,
    pub payable: bool,
}

impl InvoiceRow {
    pub fn new(i: &Invoice, now: OffsetDateTime) -> Self {
        let payable = i.status == InvoiceStatus::Pending && i.amount_due > 0;
        Self {
            id: i.id.to_string(),
            number: i.number.clone().unwrap_or_else(|| "Draft".to_owned()),
            date: format::date(i.finalized_at.unwrap_or(i.created_at)),
            description: i
                .lines
                .first()
                .map(|l| {
                    if i.lines.len() > 1 {
                        format!("{} and {} more", l.description, i.lines.len() - 1)
                    } else {
                        l.description.clone()
                    }
                })
                .unwrap_or_default(),
            badge: format::invoice_badge(i.status),
            total: format::money(i.total, i.currency),
            amount_due: format::money(i.amount_due, i.currency),
            due: i.due_at.map(format::date).unwrap_or_default(),
            overdue: payable && i.due_at.is_some_and(|d| d < now),
            payable,
        }
    }
}

/// A payment in a list.
pub(crate) struct PaymentRow {
    pub id: String,
    pub date: String,
    pub method: String,
    pub badge: Badge,
    pub amount: String,
    pub refunded: String,
    pub reference: String,
    pub needs_action: bool,
}

impl PaymentRow {
    pub fn new(p: &Payment) -> Self {
        use billing_domain::entities::PaymentStatus as S;
        Self {
            id: p.id.to_string(),
            date: format::datetime(p.created_at),
            method: format::method_name(p.method).to_owned(),
            badge: format::payment_badge(p.status),
            amount: format::money(p.amount, p.currency),
            refunded: if p.amount_refunded > 0 {
                format::money(p.amount_refunded, p.currency)
            } else {
                String::new()
            },
            reference: p.reference.clone().unwrap_or_default(),
            needs_action: p.method.is_manual()
                && matches!(p.status, S::AwaitingTransfer | S::Rejected),
        }
    }
}
