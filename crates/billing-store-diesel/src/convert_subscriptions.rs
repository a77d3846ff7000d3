//! Domain ⇄ row conversions for subscriptions and their periods.

use billing_domain::entities::{
    BilledSpan, CollectionMethod, PaymentMethodKind, Subscription, SubscriptionPeriod,
    SubscriptionStatus,
};
use billing_domain::types::{
    AccountId, BillingInterval, IntervalUnit, InvoiceId, PlanId, SubscriptionId,
};

use crate::convert::{currency, from_json, from_opt_json, parse_enum, to_json, to_opt_json, ts};
use crate::error::{DbResult, corrupt};
use crate::rows::{SubscriptionPeriodRow, SubscriptionRow};

fn to_i64(v: u64, what: &str) -> DbResult<i64> {
    i64::try_from(v).map_err(|e| crate::error::encode_error(what, e))
}

/// The row of `s` at `version`, with no claim.
pub(crate) fn subscription_row(s: &Subscription, version: u64) -> DbResult<SubscriptionRow> {
    Ok(SubscriptionRow {
        id: s.id.to_string(),
        account_id: s.account_id.to_string(),
        plan_id: s.plan_id.to_string(),
        status: s.status.as_str().to_owned(),
        currency: s.currency.code().to_owned(),
        interval_unit: s.interval.unit.as_str().to_owned(),
        interval_count: i32::from(s.interval.count),
        payment_method: s.payment_method.as_str().to_owned(),
        collection_method: s.collection_method.as_str().to_owned(),
        gateway_payment_method: s.gateway_payment_method.clone(),
        anchor: ts(s.anchor),
        period_index: i64::from(s.period_index),
        current_period_start: ts(s.current_period_start),
        current_period_end: ts(s.current_period_end),
        trial_end: s.trial_end.map(ts),
        cancel_at_period_end: s.cancel_at_period_end,
        trial_reminded: s.trial_reminded,
        canceled_at: s.canceled_at.map(ts),
        latest_invoice_id: s.latest_invoice_id.as_ref().map(ToString::to_string),
        attempt_count: i64::from(s.attempt_count),
        next_retry_at: s.next_retry_at.map(ts),
        next_action_at: s.next_action_at.map(ts),
        metadata: to_json(&s.metadata, "subscription metadata")?,
        created_at: ts(s.created_at),
        updated_at: ts(s.updated_at),
        version: to_i64(version, "subscription version")?,
        claimed_until: None,
        billed_amount: s.billed.map(|b| b.amount),
        billed_from: s.billed.map(|b| ts(b.from)),
        pending_change: to_opt_json(s.pending_change.as_ref(), "pending plan change")?,
    })
}

pub(crate) fn subscription(r: SubscriptionRow) -> DbResult<Subscription> {
    Ok(Subscription {
        id: SubscriptionId::from_trusted(r.id),
        account_id: AccountId::from_trusted(r.account_id),
        plan_id: PlanId::from_trusted(r.plan_id),
        status: parse_enum(&r.status, "subscription status", SubscriptionStatus::parse)?,
        currency: currency(&r.currency)?,
        interval: BillingInterval {
            unit: parse_enum(&r.interval_unit, "interval", IntervalUnit::parse)?,
            count: u16::try_from(r.interval_count).map_err(|e| corrupt("interval_count", e))?,
        },
        payment_method: parse_enum(
            &r.payment_method,
            "payment method",
            PaymentMethodKind::parse,
        )?,
        collection_method: parse_enum(
            &r.collection_method,
            "collection method",
            CollectionMethod::parse,
        )?,
        gateway_payment_method: r.gateway_payment_method,
        anchor: r.anchor.0,
        period_index: u32::try_from(r.period_index).map_err(|e| corrupt("period_index", e))?,
        current_period_start: r.current_period_start.0,
        current_period_end: r.current_period_end.0,
        trial_end: r.trial_end.map(|t| t.0),
        cancel_at_period_end: r.cancel_at_period_end,
        trial_reminded: r.trial_reminded,
        canceled_at: r.canceled_at.map(|t| t.0),
        latest_invoice_id: r.latest_invoice_id.map(InvoiceId::from_trusted),
        attempt_count: u32::try_from(r.attempt_count).map_err(|e| corrupt("attempt_count", e))?,
        next_retry_at: r.next_retry_at.map(|t| t.0),
        next_action_at: r.next_action_at.map(|t| t.0),
        metadata: from_json(&r.metadata, "subscription metadata")?,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
        version: u64::try_from(r.version).map_err(|e| corrupt("version", e))?,
        billed: match (r.billed_amount, r.billed_from) {
            (Some(amount), Some(from)) => Some(BilledSpan {
                amount,
                from: from.0,
            }),
            _ => None,
        },
        pending_change: from_opt_json(r.pending_change.as_deref(), "pending plan change")?,
    })
}

pub(crate) fn period_row(p: &SubscriptionPeriod) -> SubscriptionPeriodRow {
    SubscriptionPeriodRow {
        subscription_id: p.subscription_id.to_string(),
        period_start: ts(p.start),
        period_index: i64::from(p.index),
        period_end: ts(p.end),
        plan_id: p.plan_id.to_string(),
        amount: p.amount,
        currency: p.currency.code().to_owned(),
        credits: p.credits,
        invoice_id: p.invoice_id.as_ref().map(ToString::to_string),
        charged: p.charged,
        created_at: ts(p.created_at),
    }
}

pub(crate) fn period(r: SubscriptionPeriodRow) -> DbResult<SubscriptionPeriod> {
    Ok(SubscriptionPeriod {
        subscription_id: SubscriptionId::from_trusted(r.subscription_id),
        index: u32::try_from(r.period_index).map_err(|e| corrupt("period_index", e))?,
        start: r.period_start.0,
        end: r.period_end.0,
        plan_id: PlanId::from_trusted(r.plan_id),
        amount: r.amount,
        currency: currency(&r.currency)?,
        credits: r.credits,
        invoice_id: r.invoice_id.map(InvoiceId::from_trusted),
        charged: r.charged,
        created_at: r.created_at.0,
    })
}
