//! What billing one period writes: the period row (the renewal's idempotency key), its
//! finalized invoice (or, for a free period, the allowance granted at once), as pure
//! functions of the subscription, the plan and the time.

use time::OffsetDateTime;

use crate::entities::LotRollover;
use crate::entities::proration::Proration;
use crate::entities::{
    BillingProfile, CollectionMethod, Invoice, InvoiceLine, InvoiceLineKind, InvoiceReason,
    InvoiceStatus, LedgerKind, Metadata, PendingUpgrade, Plan, Subscription, SubscriptionPeriod,
};
use crate::error::{BillingError, BillingResult};
use crate::ports::lot_rules::LotTerms;
use crate::ports::{NewInvoice, Posting, PostingMode};
use crate::services::payment_context::PaymentSettings;
use crate::services::settlement::{period_grant_source, proration_source};
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

pub(super) fn date(t: OffsetDateTime) -> String {
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

/// An allowance grant of `amount` to `sub`'s account, once per `source`.
fn grant(
    sub: &Subscription,
    amount: i64,
    source: String,
    description: String,
    lot: LotTerms,
    now: OffsetDateTime,
) -> Posting {
    Posting {
        entry_id: LedgerEntryId::generate(now),
        account_id: sub.account_id.clone(),
        kind: LedgerKind::SubscriptionGrant,
        amount,
        mode: PostingMode::Exact,
        source_ref: source,
        description,
        metadata: serde_json::json!({ "subscription_id": sub.id, "period_index": sub.period_index }),
        actor: "system".to_owned(),
        at: now,
        audit: None,
        lot,
    }
}

/// The grant of an upgrade that switched with nothing to pay (`sub` as switched): the extra
/// allowance, expiring at the period end; on an interval change, the new period's allowance
/// with the plan's rollover. Keyed `proration:<sub>:<instant>`, so a change at a period's
/// very start does not collide with that period's allowance.
pub(super) fn switch_grant(
    sub: &Subscription,
    plan: &Plan,
    up: &PendingUpgrade,
    now: OffsetDateTime,
) -> BillingResult<Option<Posting>> {
    let (amount, terms) = if up.restarts_period {
        let p = PeriodToBill {
            index: 0,
            start: sub.current_period_start,
            end: sub.current_period_end,
            charge: true,
            reason: InvoiceReason::SubscriptionUpdate,
        };
        (plan.credits_per_period, allowance_terms(sub, plan, p))
    } else {
        let terms = LotTerms {
            expires_at: Some(sub.current_period_end),
            rollover: None,
        };
        (up.extra_credits, terms)
    };
    if amount <= 0 {
        return Ok(None);
    }
    let at = up
        .proration_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| BillingError::Internal(format!("instant: {e}")))?;
    Ok(Some(grant(
        sub,
        amount,
        proration_source(&sub.id, &at),
        format!(
            "{} allowance from the plan change, to {}",
            plan.name,
            date(sub.current_period_end)
        ),
        terms,
        now,
    )))
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
        let posting = (credits > 0 && p.charge).then(|| {
            grant(
                sub,
                credits,
                period_grant_source(&sub.id, p.start),
                format!("{} allowance {}–{}", plan.name, date(p.start), date(p.end)),
                terms,
                now,
            )
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

/// The invoice of an upgrade that has something to pay (`subscription_update`): one line,
/// the new plan's charge for the rest of the period (or its whole new period when the
/// interval changed) less, as the line's discount, the unused part of what was billed. Its
/// credits are the extra allowance (or the new period's allowance), granted when it is paid,
/// expiring at the line's end. Due at once with a kept card, else by the upgrade's expiry.
#[allow(clippy::too_many_arguments)] // the facts of one upgrade
pub(super) fn update_invoice(
    sub: &Subscription,
    old: &Plan,
    new: &Plan,
    up: &PendingUpgrade,
    p: &Proration,
    profile: Option<BillingProfile>,
    settings: &PaymentSettings,
    now: OffsetDateTime,
) -> BillingResult<NewInvoice> {
    let out_of_range = || BillingError::Internal("period out of range".into());
    let (start, end) = if up.restarts_period {
        up.interval
            .period(up.proration_at, 0)
            .ok_or_else(out_of_range)?
    } else {
        (up.proration_at, sub.current_period_end)
    };
    let (credits, rollover) = if up.restarts_period {
        let until = up
            .interval
            .period(up.proration_at, 1)
            .ok_or_else(out_of_range)?
            .1;
        let rollover = new.rollover.cap().map(|max| LotRollover { max, until });
        (new.credits_per_period, rollover)
    } else {
        (p.extra_credits, None)
    };
    let line = InvoiceLine {
        id: InvoiceLineId::generate(now),
        kind: InvoiceLineKind::Subscription,
        description: format!(
            "{} — {} to {}, less unused time on {}",
            new.name,
            date(start),
            date(end),
            old.name
        ),
        quantity: 1,
        unit_amount: p.charge,
        discount_amount: p.credit,
        amount: p.net,
        credit_package_id: None,
        credits: (credits > 0).then_some(credits),
        subscription_id: Some(sub.id.clone()),
        period_start: Some(start),
        period_end: Some(end),
        rollover,
    };
    let (subtotal, discount, total, due) = Invoice::totals(std::slice::from_ref(&line), 0)
        .ok_or_else(|| BillingError::Internal("update total overflow".into()))?;
    let due_at = match sub.collection_method {
        CollectionMethod::ChargeAutomatically if sub.gateway_payment_method.is_some() => now,
        _ => up.expires_at,
    };
    let invoice = Invoice {
        id: up.invoice_id.clone(),
        account_id: sub.account_id.clone(),
        number: None,
        status: InvoiceStatus::Pending,
        billing_reason: InvoiceReason::SubscriptionUpdate,
        currency: sub.currency,
        lines: vec![line],
        subtotal,
        discount,
        total,
        amount_paid: 0,
        amount_due: due,
        due_at: Some(due_at),
        billing_snapshot: profile,
        status_reason: None,
        metadata: Metadata::default(),
        created_at: now,
        finalized_at: Some(now),
        paid_at: None,
        updated_at: now,
    };
    Ok(NewInvoice {
        invoice,
        number_prefix: settings.invoice_prefix.clone(),
        payment: None,
    })
}
