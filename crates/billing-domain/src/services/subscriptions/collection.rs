//! Collecting a subscription's invoice after its change committed (no transaction is open):
//! an off-session charge of the saved card, or a sent invoice (pay link, bank details) whose
//! due date and reminders drive the dunning. Each attempt is recorded before the gateway is
//! called, with a key per invoice and attempt, so a crash or a timeout never charges twice.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::entities::audit::RequestContext;
use crate::entities::subscription_schedule::{after_failed_attempt, stops_retries};
use crate::entities::{
    CollectionMethod, Invoice, InvoiceStatus, NextAction, PaymentStatus, Plan, Subscription,
    SubscriptionStatus,
};
use crate::error::{BillingError, BillingResult};
use crate::ports::gateway::{GatewayOutcome, OffSessionCharge};
use crate::ports::{GatewayError, PaymentChange, SubscriptionChange};
use crate::services::gateway_outcomes::is_open;
use crate::services::payment_context::transition;

use super::{SubscriptionService, events, scheduled};

/// How long an attempt in flight holds off the next one (its outcome may still arrive).
const ATTEMPT_HOLD: Duration = Duration::hours(1);

impl SubscriptionService {
    /// Sends `invoice`: starts a payment by the subscription's method (a Checkout or PayPal
    /// link, or a bank reference with instructions). `None` when the method is no longer
    /// offered to the account (the payer can still pay the invoice by another).
    pub(super) async fn issue(
        &self,
        sub: &Subscription,
        invoice: Invoice,
    ) -> BillingResult<Option<NextAction>> {
        if let Some(open) = self.open_payment(&invoice).await? {
            return Ok(open.next_action);
        }
        let ctx = RequestContext::system();
        let Ok(config) = self
            .purchases
            .offered_config(
                &ctx,
                &sub.account_id,
                sub.payment_method,
                invoice.currency,
                invoice.amount_due,
            )
            .await
        else {
            return Ok(None);
        };
        let account = self.account(sub).await?;
        let now = self.deps.clock.now();
        let payment =
            self.purchases
                .new_payment(&invoice, sub.payment_method, invoice.amount_due, &ctx, now);
        self.deps.repos.payments.insert(&payment).await?;
        let started = self
            .purchases
            .start(&ctx, invoice, payment, account, config, None)
            .await?;
        // What the e-mail and the platform's webhook send the payer.
        let sent = events::event(
            "invoice.sent",
            sub,
            json!({
                "invoice_id": started.invoice.id,
                "invoice_number": started.invoice.number,
                "amount_due": started.invoice.amount_due,
                "currency": started.invoice.currency,
                "due_at": started.invoice.due_at.map(events::rfc3339),
                "payment_id": started.payment.id,
                "payment_method": started.payment.method,
                "next_action": started.next_action,
            }),
            self.deps.clock.now(),
        );
        self.deps.repos.outbox.insert(&sent).await?;
        Ok(started.next_action)
    }

    /// Collection attempt `attempt` of the latest invoice of `sub`.
    pub(super) async fn attempt(
        &self,
        sub: Subscription,
        plan: &Plan,
        attempt: u32,
        invoice: Invoice,
    ) -> BillingResult<()> {
        let now = self.deps.clock.now();
        let card = sub
            .gateway_payment_method
            .clone()
            .filter(|_| sub.collection_method == CollectionMethod::ChargeAutomatically);
        let Some(card) = card else {
            // A sent invoice: its due date (attempt 1) or a reminder passed unpaid. The hold
            // makes this process the one that sends it (another one deciding on the same
            // version is stale).
            if !self
                .hold(&sub, sub.attempt_count, now + ATTEMPT_HOLD)
                .await?
            {
                return Ok(());
            }
            let link = self.issue(&sub, invoice.clone()).await?;
            return self
                .failed(
                    &sub,
                    plan,
                    &invoice,
                    attempt,
                    "the invoice is past its due date",
                    false,
                    link.as_ref(),
                )
                .await;
        };
        if let Some(open) = self.open_payment(&invoice).await? {
            // An attempt recorded but never sent or answered (a crash in between): the
            // janitor asks the gateway about it from now on.
            if open.status == PaymentStatus::Pending
                && open.gateway_reference.is_none()
                && open.gateway_payment_id.is_none()
                && open.created_at + ATTEMPT_HOLD <= now
            {
                self.mark_unknown(&open, "system", "the attempt's answer never arrived")
                    .await?;
            }
            // An earlier attempt's outcome is still coming (webhook, janitor): wait for it.
            self.hold(&sub, sub.attempt_count, now + ATTEMPT_HOLD)
                .await?;
            return Ok(());
        }
        if !self.hold(&sub, attempt, now + ATTEMPT_HOLD).await? {
            return Ok(());
        }
        let gateway = self.deps.gateways.get(sub.payment_method)?;
        let ctx = RequestContext::system();
        let payment =
            self.purchases
                .new_payment(&invoice, sub.payment_method, invoice.amount_due, &ctx, now);
        self.deps.repos.payments.insert(&payment).await?;
        let request = OffSessionCharge {
            payment: payment.clone(),
            invoice: invoice.clone(),
            account: self.account(&sub).await?,
            payment_method: card,
            idempotency_key: format!("{}:attempt:{attempt}", invoice.id),
        };
        let events =
            crate::services::gateway_events::GatewayEventService::new(self.deps.clone(), None);
        let (reason, code) = match gateway.charge_saved(&request).await {
            Ok(GatewayOutcome::Failed { reason }) => (reason, String::new()),
            Ok(outcome) => {
                // Paid (the settlement activates the subscription) or still processing.
                events
                    .apply_outcome(&payment.id, &outcome, "gateway")
                    .await?;
                return Ok(());
            }
            Err(GatewayError::Uncertain(m)) => {
                self.mark_unknown(&payment, "gateway", &m).await?;
                // The janitor asks Stripe (by our payment id) what became of it; until that
                // payment is settled no further attempt is made (see `open_payment` above),
                // so an answer lost on the way never turns into a second charge.
                return self.hold_latest(&sub, attempt).await;
            }
            Err(GatewayError::Declined { code, message }) => (message, code),
            // No gateway, or its credentials are wrong: nothing was charged.
            Err(e @ GatewayError::Misconfigured(_)) => {
                (e.to_string(), "no_payment_method".to_owned())
            }
            // An answer we could not read may hide a charge: like a lost answer, the janitor
            // asks the gateway before anything else is attempted.
            Err(e) => {
                self.mark_unknown(&payment, "gateway", &e.to_string())
                    .await?;
                return self.hold_latest(&sub, attempt).await;
            }
        };
        let failed = GatewayOutcome::Failed {
            reason: reason.clone(),
        };
        events
            .apply_outcome(&payment.id, &failed, "gateway")
            .await?;
        let stop = stops_retries(&code);
        let link = if stop {
            self.pay_link(&sub, invoice.clone()).await?
        } else {
            None
        };
        self.failed(&sub, plan, &invoice, attempt, &reason, stop, link.as_ref())
            .await
    }

    /// A link for the payer to pay `invoice` on-session (after a decline retrying cannot fix).
    pub(super) async fn pay_link(
        &self,
        sub: &Subscription,
        invoice: Invoice,
    ) -> BillingResult<Option<NextAction>> {
        match self.issue(sub, invoice).await {
            Ok(link) => Ok(link),
            // The link is a help; the dunning goes on without it.
            Err(BillingError::Unavailable(_) | BillingError::Conflict { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Records attempt `attempt` failed: past due, the next retry on the plan's schedule (or,
    /// when retrying cannot help, none: the final action at the schedule's end), the event.
    #[allow(clippy::too_many_arguments)] // the facts of one failed attempt
    async fn failed(
        &self,
        sub: &Subscription,
        plan: &Plan,
        invoice: &Invoice,
        attempt: u32,
        reason: &str,
        stop: bool,
        link: Option<&NextAction>,
    ) -> BillingResult<()> {
        let link = link.and_then(|l| match l {
            NextAction::RedirectToUrl { url } => Some(url.clone()),
            _ => None,
        });
        // Paid meanwhile (the pay link, an approval): this failure is moot.
        let fresh = self.deps.repos.invoices.get(&invoice.id).await?;
        if fresh.is_none_or(|i| i.status != InvoiceStatus::Pending) {
            return Ok(());
        }
        self.change(&sub.id, |current| {
            if current.latest_invoice_id.as_ref() != Some(&invoice.id)
                || !matches!(
                    current.status,
                    SubscriptionStatus::Active
                        | SubscriptionStatus::PastDue
                        | SubscriptionStatus::Trialing
                )
            {
                return Ok(None);
            }
            let now = self.deps.clock.now();
            let mut next = current.clone();
            if next.status != SubscriptionStatus::PastDue {
                next.status = current.status.transition(SubscriptionStatus::PastDue)?;
            }
            let retries = u32::try_from(plan.dunning.retry_days.len()).unwrap_or(u32::MAX);
            if stop {
                let remaining: i64 = plan
                    .dunning
                    .retry_days
                    .iter()
                    .skip(usize::try_from(attempt.saturating_sub(1)).unwrap_or(usize::MAX))
                    .map(|d| i64::from(*d))
                    .sum();
                next.attempt_count = attempt.max(retries.saturating_add(1));
                next.next_retry_at = Some(now + Duration::days(remaining));
            } else {
                next.attempt_count = attempt;
                next.next_retry_at = Some(after_failed_attempt(&plan.dunning, attempt, now));
            }
            next.updated_at = now;
            let next = scheduled(next);
            let mut change = SubscriptionChange::of(next.clone(), current);
            change.events.push(events::payment_failed(
                &next,
                invoice,
                attempt,
                reason,
                link.as_deref(),
                now,
            ));
            if current.status != SubscriptionStatus::PastDue {
                change.events.push(events::event(
                    "subscription.past_due",
                    &next,
                    json!({ "invoice_id": invoice.id }),
                    now,
                ));
            }
            Ok(Some(change))
        })
        .await?;
        Ok(())
    }

    /// Stores attempt `attempt` as made and holds further attempts until `until`. `false`
    /// when the subscription moved meanwhile (another process took it).
    async fn hold(
        &self,
        sub: &Subscription,
        attempt: u32,
        until: OffsetDateTime,
    ) -> BillingResult<bool> {
        let mut next = sub.clone();
        next.attempt_count = attempt;
        next.next_retry_at = Some(until);
        next.updated_at = self.deps.clock.now();
        let change = SubscriptionChange::of(scheduled(next), sub);
        Ok(matches!(
            self.deps.repos.subscriptions.apply(&change).await?,
            crate::ports::SubscriptionChangeOutcome::Applied { .. }
        ))
    }

    /// [`Self::hold`] on the subscription as stored now.
    async fn hold_latest(&self, sub: &Subscription, attempt: u32) -> BillingResult<()> {
        if let Some(current) = self.deps.repos.subscriptions.get(&sub.id).await? {
            let until = self.deps.clock.now() + ATTEMPT_HOLD;
            self.hold(&current, attempt, until).await?;
        }
        Ok(())
    }

    /// Leaves `payment`'s outcome to the janitor, which asks the gateway about it.
    pub(super) async fn mark_unknown(
        &self,
        payment: &crate::entities::Payment,
        actor: &str,
        why: &str,
    ) -> BillingResult<()> {
        let mut next = payment.clone();
        let now = self.deps.clock.now();
        transition(
            &mut next,
            PaymentStatus::Unknown,
            actor,
            Some(why.to_owned()),
            now,
        )?;
        self.deps
            .flow
            .apply_payment_change(&PaymentChange::payment_only(next, payment))
            .await?;
        Ok(())
    }

    /// The invoice's payment still waiting for an outcome, if any.
    async fn open_payment(
        &self,
        invoice: &Invoice,
    ) -> BillingResult<Option<crate::entities::Payment>> {
        if invoice.status != InvoiceStatus::Pending {
            return Ok(None);
        }
        Ok(self.payments_of(invoice).await?.into_iter().find(|p| {
            is_open(p.status)
                || matches!(
                    p.status,
                    PaymentStatus::AwaitingTransfer | PaymentStatus::PendingApproval
                )
        }))
    }

    /// The payments of `invoice`: the account's payments since it was created (the newest
    /// 100), filtered to it.
    pub(super) async fn payments_of(
        &self,
        invoice: &Invoice,
    ) -> BillingResult<Vec<crate::entities::Payment>> {
        self.deps.payments_of(invoice).await
    }

    pub(super) async fn account(
        &self,
        sub: &Subscription,
    ) -> BillingResult<crate::entities::Account> {
        self.deps
            .repos
            .accounts
            .get(&sub.account_id)
            .await?
            .ok_or_else(|| BillingError::not_found("account", &sub.account_id))
    }
}
