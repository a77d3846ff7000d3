//! What a paid invoice does to its subscription. The settlement (payment, invoice, grant)
//! is already committed when this runs; if this step is lost (a crash in between), the
//! scheduler repairs it: before expiring or retrying, it looks at the invoice again.

use serde_json::json;

use crate::entities::plan_change::switched;
use crate::entities::{
    CollectionMethod, Invoice, InvoiceStatus, Payment, PendingChange, Subscription,
    SubscriptionStatus,
};
use crate::error::BillingResult;
use crate::ports::{SubscriptionChange, SubscriptionChangeOutcome};
use crate::services::payment_context::{MAX_ATTEMPTS, PaymentDeps};

use super::{events, scheduled};

/// The subscription after one of its invoices was paid (`None`: nothing changes): on the new
/// plan when it was an upgrade's; active again with no retry pending when it was the latest;
/// charged automatically with the card the payment kept.
pub(super) fn after_paid(
    sub: &Subscription,
    invoice: &Invoice,
    saved_method: Option<&str>,
    now: time::OffsetDateTime,
) -> Option<SubscriptionChange> {
    if sub.status.is_terminal() || invoice.status != InvoiceStatus::Paid {
        return None;
    }
    let mut next = sub.clone();
    let latest = sub.latest_invoice_id.as_ref() == Some(&invoice.id);
    let mut events = Vec::new();
    // The invoice of an upgrade awaiting payment: the plan switches now.
    let mut period = None;
    let upgrade = sub
        .pending_change
        .as_ref()
        .and_then(PendingChange::upgrade)
        .filter(|u| u.invoice_id == invoice.id);
    if let Some((switched, row)) = upgrade.and_then(|u| switched(sub, u, Some(&invoice.id))) {
        next = switched;
        period = row;
        events.push("subscription.updated");
    }
    if latest
        && sub.status.can_become(SubscriptionStatus::Active)
        && sub.status != SubscriptionStatus::Trialing
    {
        next.status = SubscriptionStatus::Active;
        events.push("subscription.activated");
    }
    if latest {
        next.attempt_count = 0;
        next.next_retry_at = None;
    }
    if let Some(pm) = saved_method
        && sub.gateway_payment_method.as_deref() != Some(pm)
    {
        next.gateway_payment_method = Some(pm.to_owned());
        next.collection_method = CollectionMethod::ChargeAutomatically;
    }
    next.updated_at = sub.updated_at;
    if next == *sub {
        return None;
    }
    next.updated_at = now;
    let next = scheduled(next);
    let mut change = SubscriptionChange::of(next.clone(), sub);
    change.events = events
        .into_iter()
        .map(|k| {
            let extra = json!({ "invoice_id": invoice.id, "previous_plan_id": sub.plan_id });
            events::event(k, &next, extra, now)
        })
        .collect();
    change.period = period;
    Some(change)
}

/// Applies [`after_paid`] for `invoice` (paid by `payment`), asking the payment's gateway
/// which card it kept. Invoices of no subscription are left alone.
pub async fn invoice_paid(
    deps: &PaymentDeps,
    invoice: &Invoice,
    payment: &Payment,
) -> BillingResult<()> {
    let Some((sid, _)) = invoice.subscription_period() else {
        return Ok(());
    };
    let saved = match deps.gateways.get(payment.method) {
        // A card kept is an improvement, not a condition: without it renewals are sent.
        Ok(g) => g.saved_payment_method(payment).await.ok().flatten(),
        Err(_) => None,
    };
    for _ in 0..MAX_ATTEMPTS {
        let Some(sub) = deps.repos.subscriptions.get(sid).await? else {
            return Ok(());
        };
        let Some(change) = after_paid(&sub, invoice, saved.as_deref(), deps.clock.now()) else {
            return Ok(());
        };
        if let SubscriptionChangeOutcome::Applied { .. } =
            deps.repos.subscriptions.apply(&change).await?
        {
            return Ok(());
        }
    }
    Ok(())
}
