//! What billing one period writes: the period row (the renewal's idempotency key), its
//! finalized invoice (or, for a free period, the allowance granted at once), as pure
//! functions of the subscription, the plan and the time.

use time::OffsetDateTime;

use crate::entities::LotRollover;
use crate::entities::{
    BillingProfile, CollectionMethod, Invoice, InvoiceLine, InvoiceLineKind, InvoiceReason,
    InvoiceStatus, LedgerKind, Metadata, Plan, Subscription, SubscriptionPeriod,
};
use crate::error::{BillingError, BillingResult};
use crate::ports::lot_rules::LotTerms;
use crate::ports::{NewInvoice, Posting, PostingMode};
use crate::services::payment_context::PaymentSettings;
use crate::services::settlement::period_grant_source;
use crate::types::{InvoiceId, InvoiceLineId, LedgerEntryId};

/// One period to bill.
#[derive(Debug, Clone, Copy)]
pub(super) struct PeriodToBill {
    pub index: u32,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    /// Collected (the period contains now), or invoiced and voided (missed in downtime).
    pub charge: bool,
    pub reason: InvoiceReason,
}

/// What billing a period writes.
#[derive(Debug, Clone)]
pub(super) struct PeriodBill {
    pub period: SubscriptionPeriod,
    pub invoice: Option<NewInvoice>,
    pub posting: Option<Posting>,
}

/// The price of the next period: the plan's current price in the subscription's currency
/// (a price edit affects only periods billed after it), else what the last period cost.
pub(super) fn price_of(plan: &Plan, sub: &Subscription, last: Option<i64>) -> BillingResult<i64> {
    plan.prices
        .get(sub.currency)
        .map(|m| m.amount)
        .or(last)
        .ok_or_else(|| {
            BillingError::conflict(
                "plan_price_missing",
                format!(
                    "plan {} has no price in {} any more",
                    plan.id,
                    sub.currency.code()
                ),
            )
        })
}

fn date(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The lot terms of period `p`'s allowance: it expires at the period end; with a capped
/// rollover, up to the cap moves at that instant into a lot expiring at the next period's end.
pub(super) fn allowance_terms(sub: &Subscription, plan: &Plan, p: PeriodToBill) -> LotTerms {
    let rollover = plan.rollover.cap().and_then(|max| {
        let (_, until) = sub.interval.period(sub.anchor, p.index.checked_add(1)?)?;
        Some(LotRollover { max, until })
    });
    LotTerms {
        expires_at: Some(p.end),
        rollover,
    }
}

/// Bills period `p` of `sub` on `plan` at `price`: a period row, and an invoice (pending
/// when charged, voided when missed) or, when the price is 0, the allowance at once. The
/// caller adds the invoice's first payment, if any.
pub(super) fn bill(
    sub: &Subscription,
    plan: &Plan,
    price: i64,
    p: PeriodToBill,
    profile: Option<BillingProfile>,
    settings: &PaymentSettings,
    now: OffsetDateTime,
) -> BillingResult<PeriodBill> {
    let credits = plan.credits_per_period;
    let terms = allowance_terms(sub, plan, p);
    let mut period = SubscriptionPeriod {
        subscription_id: sub.id.clone(),
        index: p.index,
        start: p.start,
        end: p.end,
        plan_id: plan.id.clone(),
        amount: price,
        currency: sub.currency,
        credits,
        invoice_id: None,
        charged: p.charge,
        created_at: now,
    };
    if price == 0 {
        let posting = (credits > 0 && p.charge).then(|| Posting {
            entry_id: LedgerEntryId::generate(now),
            account_id: sub.account_id.clone(),
            kind: LedgerKind::SubscriptionGrant,
            amount: credits,
            mode: PostingMode::Exact,
            source_ref: period_grant_source(&sub.id, p.start),
            description: format!("{} allowance {}–{}", plan.name, date(p.start), date(p.end)),
            metadata: serde_json::json!({ "subscription_id": sub.id, "period_index": p.index }),
            actor: "system".to_owned(),
            at: now,
            audit: None,
            lot: terms,
        });
        return Ok(PeriodBill {
            period,
            invoice: None,
            posting,
        });
    }
    let line = InvoiceLine {
        id: InvoiceLineId::generate(now),
        kind: InvoiceLineKind::Subscription,
        description: format!("{} — {} to {}", plan.name, date(p.start), date(p.end)),
        quantity: 1,
        unit_amount: price,
        discount_amount: 0,
        amount: price,
        credit_package_id: None,
        credits: (credits > 0).then_some(credits),
        subscription_id: Some(sub.id.clone()),
        period_start: Some(p.start),
        period_end: Some(p.end),
        rollover: terms.rollover,
    };
    let (subtotal, discount, total, due) = Invoice::totals(std::slice::from_ref(&line), 0)
        .ok_or_else(|| BillingError::Internal("period total overflow".into()))?;
    let due_at = match sub.collection_method {
        CollectionMethod::ChargeAutomatically if sub.gateway_payment_method.is_some() => now,
        _ => now
            .checked_add(time::Duration::days(settings.subscription_due_days))
            .unwrap_or(p.end)
            .min(p.end),
    };
    let invoice = Invoice {
        id: InvoiceId::generate(now),
        account_id: sub.account_id.clone(),
        number: None,
        status: if p.charge {
            InvoiceStatus::Pending
        } else {
            InvoiceStatus::Void
        },
        billing_reason: p.reason,
        currency: sub.currency,
        lines: vec![line],
        subtotal,
        discount,
        total,
        amount_paid: 0,
        amount_due: if p.charge { due } else { 0 },
        due_at: Some(due_at),
        billing_snapshot: profile,
        status_reason: (!p.charge).then(|| {
            "missed period: the subscription was not renewed while the service was down".into()
        }),
        metadata: Metadata::default(),
        created_at: now,
        finalized_at: Some(now),
        paid_at: None,
        updated_at: now,
    };
    period.invoice_id = Some(invoice.id.clone());
    Ok(PeriodBill {
        period,
        invoice: Some(NewInvoice {
            invoice,
            number_prefix: settings.invoice_prefix.clone(),
            payment: None,
        }),
        posting: None,
    })
}
