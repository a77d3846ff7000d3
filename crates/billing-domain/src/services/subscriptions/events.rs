//! The outbox events a subscription records with its changes, for the e-mail and webhook
//! consumers: `subscription.created|activated|renewed|past_due|unpaid|canceled|
//! incomplete_expired|trial_will_end`, `invoice.sent` (a pay link or bank details for the
//! payer) and `invoice.payment_failed`.

use serde_json::json;
use time::OffsetDateTime;

use crate::entities::{Invoice, OutboxEvent, Subscription};
use crate::types::EventId;

/// An event about `sub` with `extra` merged into its payload (which always names the
/// subscription, its status, plan and current period).
pub(super) fn event(
    kind: &str,
    sub: &Subscription,
    extra: serde_json::Value,
    at: OffsetDateTime,
) -> OutboxEvent {
    let mut payload = json!({
        "subscription_id": sub.id,
        "plan_id": sub.plan_id,
        "status": sub.status,
        "current_period_start": rfc3339(sub.current_period_start),
        "current_period_end": rfc3339(sub.current_period_end),
    });
    if let (Some(p), serde_json::Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    OutboxEvent {
        id: EventId::generate(at),
        kind: kind.to_owned(),
        account_id: Some(sub.account_id.clone()),
        payload,
        created_at: at,
        delivered_at: None,
    }
}

/// `invoice.payment_failed` for collection attempt `attempt` of `invoice`.
pub(super) fn payment_failed(
    sub: &Subscription,
    invoice: &Invoice,
    attempt: u32,
    reason: &str,
    pay_link: Option<&str>,
    at: OffsetDateTime,
) -> OutboxEvent {
    event(
        "invoice.payment_failed",
        sub,
        json!({
            "invoice_id": invoice.id,
            "invoice_number": invoice.number,
            "amount_due": invoice.amount_due,
            "currency": invoice.currency,
            "attempt_count": attempt,
            "next_retry_at": sub.next_retry_at.map(rfc3339),
            "reason": reason,
            "pay_link": pay_link,
        }),
        at,
    )
}

pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
