//! The payment method a subscription is charged with: given without a payment (a trial's
//! card, or a new card later) through the gateway's setup session, kept when the gateway
//! reports it, dropped when the gateway says it can no longer be charged. A trial that ends
//! with no payment method pauses the subscription; one kept later resumes it.

use serde::Serialize;
use serde_json::json;

use crate::entities::audit::RequestContext;
use crate::entities::{
    CollectionMethod, InvoiceStatus, NextAction, PaymentMethodKind, Subscription,
    SubscriptionStatus,
};
use crate::error::{BillingError, BillingResult};
use crate::ports::gateway::StartSetup;
use crate::ports::{GatewayError, SubscriptionChange, SubscriptionChangeOutcome};
use crate::services::payment_context::{MAX_ATTEMPTS, PaymentDeps};
use crate::types::SubscriptionId;

use super::{SubscriptionService, events, scheduled};

/// A session opened for the payer to give a payment method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentMethodSetup {
    /// The subscription, as it is now (the method is kept once the gateway reports it).
    pub subscription: Subscription,
    /// Where to send the payer (Stripe Checkout in `setup` mode).
    pub next_action: NextAction,
}

impl SubscriptionService {
    /// Opens a session where the payer gives a new payment method for `subscription_id`:
    /// for a trial, a paused subscription, or to replace the card of a live one.
    pub async fn setup_payment_method(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        subscription_id: &str,
    ) -> BillingResult<PaymentMethodSetup> {
        let sub = self.owned(ctx, account_id, subscription_id).await?;
        let now = self.deps.clock.now();
        let key = format!("billing-setup-{}-{}", sub.id, now.unix_timestamp_nanos());
        let next_action = self.start_setup(&sub, key).await?;
        Ok(PaymentMethodSetup {
            subscription: sub,
            next_action,
        })
    }

    /// Asks the subscription's gateway for a setup session (no transaction is open) and
    /// keeps the gateway customer it created on the account.
    pub(super) async fn start_setup(
        &self,
        sub: &Subscription,
        idempotency_key: String,
    ) -> BillingResult<NextAction> {
        if sub.status.is_terminal() || sub.status == SubscriptionStatus::Incomplete {
            return Err(BillingError::conflict(
                "invalid_state",
                format!(
                    "subscription {} is {}: {}",
                    sub.id,
                    sub.status,
                    if sub.status.is_terminal() {
                        "it has ended"
                    } else {
                        "its first invoice's checkout keeps the payment method"
                    }
                ),
            ));
        }
        let gateway = self.deps.gateways.get(sub.payment_method)?;
        if !gateway.capabilities().setup_sessions {
            return Err(BillingError::conflict(
                "setup_unsupported",
                format!(
                    "subscription {} is paid by {}, which cannot keep a payment method without a payment; it keeps one when an invoice is paid",
                    sub.id, sub.payment_method
                ),
            ));
        }
        let account = self.account(sub).await?;
        let request = StartSetup {
            subscription_id: sub.id.clone(),
            account: account.clone(),
            currency: sub.currency,
            idempotency_key,
        };
        let started = gateway.start_setup(&request).await.map_err(|e| match e {
            GatewayError::Declined { message, .. } => {
                BillingError::conflict("setup_declined", message)
            }
            other => BillingError::Unavailable(format!(
                "{} did not open a setup session: {other}",
                sub.payment_method
            )),
        })?;
        if let Some(customer) = started.customer_id {
            crate::services::purchases::remember_customer(&self.deps, &account, customer).await?;
        }
        Ok(started.next_action)
    }

    /// The trial of `sub` ended and no payment method is kept: ask the gateway once more (a
    /// setup whose webhook was lost), else pause it (no invoice until a method is given). A
    /// gateway without setup sessions sends the first invoice instead (its payment keeps
    /// the method).
    pub(super) async fn end_trial_without_method(&self, sub: Subscription) -> BillingResult<()> {
        let account = self.account(&sub).await?;
        let gateway = self
            .deps
            .gateways
            .get(sub.payment_method)
            .ok()
            .filter(|g| g.capabilities().setup_sessions);
        let found = match gateway {
            Some(g) => g
                .saved_for_subscription(&account, sub.id.as_str())
                .await
                .map_err(|e| {
                    BillingError::Unavailable(format!(
                        "could not ask {} for the trial's payment method: {e}",
                        sub.payment_method
                    ))
                })?,
            None => {
                let mut next = sub.clone();
                next.collection_method = CollectionMethod::SendInvoice;
                next.updated_at = self.deps.clock.now();
                let change = SubscriptionChange::of(scheduled(next), &sub);
                self.deps.repos.subscriptions.apply(&change).await?;
                return Ok(());
            }
        };
        let now = self.deps.clock.now();
        let mut next = sub.clone();
        next.updated_at = now;
        let event = match found {
            Some(pm) => {
                next.gateway_payment_method = Some(pm.clone());
                events::event(
                    "subscription.payment_method_saved",
                    &next,
                    json!({ "gateway_payment_method": pm }),
                    now,
                )
            }
            None => {
                next.status = sub.status.transition(SubscriptionStatus::Paused)?;
                events::event(
                    "subscription.paused",
                    &next,
                    json!({ "reason": "trial_ended_without_payment_method" }),
                    now,
                )
            }
        };
        let next = scheduled(next);
        let mut change = SubscriptionChange::of(next, &sub);
        change.events.push(event);
        self.deps.repos.subscriptions.apply(&change).await?;
        Ok(())
    }
}

/// The subscription after the payer gave `pm` (`None`: nothing changes). A past-due one is
/// tried again at once with the new method; a paused one resumes at the next scheduler run.
fn with_method(
    sub: &Subscription,
    pm: &str,
    retries: u32,
    invoice_open: bool,
    now: time::OffsetDateTime,
) -> Option<SubscriptionChange> {
    if sub.status.is_terminal()
        || (sub.gateway_payment_method.as_deref() == Some(pm)
            && sub.collection_method == CollectionMethod::ChargeAutomatically)
    {
        return None;
    }
    let mut next = sub.clone();
    next.gateway_payment_method = Some(pm.to_owned());
    next.collection_method = CollectionMethod::ChargeAutomatically;
    next.updated_at = now;
    if sub.status == SubscriptionStatus::PastDue && invoice_open {
        // The dunning goes on from where it was; the new method is its next attempt (the
        // last one when the schedule was used up, e.g. after a hard decline).
        next.attempt_count = next.attempt_count.min(retries);
        next.next_retry_at = Some(now);
    }
    let next = scheduled(next);
    let mut change = SubscriptionChange::of(next.clone(), sub);
    change.events.push(events::event(
        "subscription.payment_method_saved",
        &next,
        json!({ "gateway_payment_method": pm }),
        now,
    ));
    Some(change)
}

/// The payer gave a payment method for subscription `subscription_id` through `method`'s
/// setup session. `pm` is read back from the gateway when the event did not carry it; an
/// event whose customer is not the account's is ignored. `Ok(false)` when nothing matched.
pub async fn payment_method_saved(
    deps: &PaymentDeps,
    method: PaymentMethodKind,
    subscription_id: &str,
    pm: Option<&str>,
    customer: Option<&str>,
) -> BillingResult<bool> {
    let Ok(id) = SubscriptionId::parse(subscription_id, "subscription_id") else {
        return Ok(false);
    };
    let Some(sub) = deps.repos.subscriptions.get(&id).await? else {
        return Ok(false);
    };
    let Some(account) = deps.repos.accounts.get(&sub.account_id).await? else {
        return Ok(false);
    };
    if sub.payment_method != method
        || customer.is_some_and(|c| account.stripe_customer_id.as_deref() != Some(c))
    {
        return Ok(false);
    }
    let pm = match pm {
        Some(pm) => pm.to_owned(),
        None => {
            let gateway = deps.gateways.get(method)?;
            match gateway
                .saved_for_subscription(&account, subscription_id)
                .await
                .map_err(|e| {
                    BillingError::Unavailable(format!(
                        "could not read the payment method back from {method}: {e}"
                    ))
                })? {
                Some(pm) => pm,
                None => return Ok(false),
            }
        }
    };
    let plan = deps.repos.plans.get(&sub.plan_id).await?;
    let retries = plan.map_or(0, |p| {
        u32::try_from(p.dunning.retry_days.len()).unwrap_or(u32::MAX)
    });
    for _ in 0..MAX_ATTEMPTS {
        let Some(sub) = deps.repos.subscriptions.get(&id).await? else {
            return Ok(false);
        };
        let invoice_open = match &sub.latest_invoice_id {
            Some(i) => deps
                .repos
                .invoices
                .get(i)
                .await?
                .is_some_and(|i| i.status == InvoiceStatus::Pending),
            None => false,
        };
        let Some(change) = with_method(&sub, &pm, retries, invoice_open, deps.clock.now()) else {
            return Ok(true);
        };
        if let SubscriptionChangeOutcome::Applied { .. } =
            deps.repos.subscriptions.apply(&change).await?
        {
            return Ok(true);
        }
    }
    Err(BillingError::conflict(
        "concurrent_update",
        format!("subscription {id} changed concurrently; retry"),
    ))
}

/// A saved payment method was removed at the gateway: every live subscription charged with it
/// goes back to sent invoices (a pay link each period) until a new one is kept. `Ok(false)`
/// when no subscription used it.
pub async fn payment_method_removed(
    deps: &PaymentDeps,
    gateway_payment_method: &str,
) -> BillingResult<bool> {
    let filter = crate::ports::SubscriptionFilter {
        gateway_payment_method: Some(gateway_payment_method.to_owned()),
        ..crate::ports::SubscriptionFilter::default()
    };
    let mut any = false;
    loop {
        let page = deps
            .repos
            .subscriptions
            .list(&filter, &crate::types::PageRequest::first(100))
            .await?;
        if page.data.is_empty() {
            return Ok(any);
        }
        for sub in page.data {
            any = true;
            let now = deps.clock.now();
            let mut next = sub.clone();
            next.gateway_payment_method = None;
            next.collection_method = CollectionMethod::SendInvoice;
            next.updated_at = now;
            let next = scheduled(next);
            let mut change = SubscriptionChange::of(next.clone(), &sub);
            change.events = vec![events::event(
                "subscription.payment_method_removed",
                &next,
                json!({ "gateway_payment_method": gateway_payment_method }),
                now,
            )];
            // A lost race re-reads: the next page lists it again if it still uses the card.
            deps.repos.subscriptions.apply(&change).await?;
        }
    }
}
