//! The scheduler: claims the subscriptions whose `next_action_at` has come and applies, one
//! step at a time and in order, what [`due_action`] says is due. Each step is one guarded
//! transaction; collection runs after it. Safe with several processes on one database: a
//! claim is exclusive, a renewal's period row unique, every change version-guarded.

use serde_json::json;

use crate::entities::subscription_schedule::{DueAction, due_action};
use crate::entities::{
    BilledSpan, CollectionMethod, FinalAction, InvoiceReason, InvoiceStatus, PendingChange, Plan,
    Subscription, SubscriptionStatus,
};
use crate::error::{BillingError, BillingResult};
use crate::ports::{InvoiceChange, SubscriptionChange, SubscriptionChangeOutcome};

use super::activation::after_paid;
use super::billing::{PeriodToBill, bill, price_of};
use super::cancel::void_open;
use super::{CLAIM, SubscriptionService, events, scheduled};

/// Steps one subscription may take in one run (a year of weekly catch-up and its dunning).
const MAX_STEPS: u32 = 500;

/// What a scheduler run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedulerRun {
    /// Steps applied (renewals, attempts, expiries, cancellations, …).
    pub steps: u32,
    /// Subscriptions whose step failed (left for the next run).
    pub failures: u32,
}

impl SubscriptionService {
    /// Applies everything due up to now.
    pub async fn run_due(&self) -> BillingResult<SchedulerRun> {
        let mut run = SchedulerRun::default();
        let mut failed = std::collections::HashSet::new();
        loop {
            let now = self.deps.clock.now();
            let claimed = self
                .deps
                .repos
                .subscriptions
                .claim_due(now, now + CLAIM, 50)
                .await?;
            if claimed.is_empty() {
                return Ok(run);
            }
            // One that failed earlier in this run and was claimed again (its claim ran out
            // under a moved clock) waits for the next run; the others go on.
            let fresh: Vec<_> = claimed
                .into_iter()
                .filter(|s| !failed.contains(&s.id))
                .collect();
            for sub in fresh {
                match self.process(&sub).await {
                    Ok(n) => run.steps += n,
                    Err(_) => {
                        // Held by the claim until it runs out: retried by a later run.
                        run.failures += 1;
                        failed.insert(sub.id.clone());
                    }
                }
            }
        }
    }

    /// Every step due for one subscription, in order.
    async fn process(&self, claimed: &Subscription) -> BillingResult<u32> {
        for steps in 0..MAX_STEPS {
            let sub = self
                .deps
                .repos
                .subscriptions
                .get(&claimed.id)
                .await?
                .ok_or_else(|| BillingError::not_found("subscription", &claimed.id))?;
            let plan = self.plan(&sub.plan_id).await?;
            let now = self.deps.clock.now();
            let Some(action) = due_action(&sub, &plan.dunning, now) else {
                self.deps.repos.subscriptions.release(&sub.id).await?;
                return Ok(steps);
            };
            self.step(sub, &plan, action).await?;
        }
        Ok(MAX_STEPS)
    }

    async fn step(&self, sub: Subscription, plan: &Plan, action: DueAction) -> BillingResult<()> {
        let now = self.deps.clock.now();
        // A paid invoice whose activation was lost is noticed before it is expired or retried.
        if matches!(
            action,
            DueAction::ExpireIncomplete | DueAction::Retry { .. } | DueAction::Final(_)
        ) && let Some(invoice) = self.latest_invoice(&sub).await?
        {
            if let Some(change) = after_paid(&sub, &invoice, None, now) {
                self.deps.repos.subscriptions.apply(&change).await?;
                return Ok(());
            }
            if let DueAction::Retry { attempt } = action
                && invoice.status == InvoiceStatus::Pending
            {
                return self.attempt(sub, plan, attempt, invoice).await;
            }
        }
        let mut next = sub.clone();
        next.updated_at = now;
        let mut change = SubscriptionChange::of(next.clone(), &sub);
        match action {
            DueAction::ExpireIncomplete => {
                next.status = sub
                    .status
                    .transition(SubscriptionStatus::IncompleteExpired)?;
                change.invoice_changes = void_open(
                    self.latest_invoice(&sub).await?,
                    "first invoice not paid in time",
                    now,
                );
                change.events.push(events::event(
                    "subscription.incomplete_expired",
                    &next,
                    json!({}),
                    now,
                ));
            }
            DueAction::TrialWillEnd => {
                next.trial_reminded = true;
                let trial_end = sub.trial_end.map(events::rfc3339);
                change.events.push(events::event(
                    "subscription.trial_will_end",
                    &next,
                    json!({ "trial_end": trial_end }),
                    now,
                ));
            }
            // A card subscription whose trial ends with no card kept: paused, unless the
            // gateway knows of one given meanwhile.
            DueAction::EndTrial { .. }
                if sub.collection_method == CollectionMethod::ChargeAutomatically
                    && sub.gateway_payment_method.is_none() =>
            {
                return self.end_trial_without_method(sub).await;
            }
            DueAction::EndTrial { charge } => {
                let (start, end) = sub
                    .interval
                    .period(sub.anchor, 0)
                    .ok_or_else(|| BillingError::Internal("period out of range".into()))?;
                let p = PeriodToBill {
                    index: 0,
                    start,
                    end,
                    charge,
                    reason: InvoiceReason::SubscriptionCreate,
                };
                return self.renew(sub, plan, p, SubscriptionStatus::Active).await;
            }
            DueAction::Renew {
                index,
                start,
                end,
                charge,
            } => {
                let p = PeriodToBill {
                    index,
                    start,
                    end,
                    charge,
                    reason: InvoiceReason::SubscriptionCycle,
                };
                return self.renew(sub.clone(), plan, p, sub.status).await;
            }
            // Restarted from now: a new anchor, the first period billed and charged.
            DueAction::Resume => {
                let mut restarted = sub.clone();
                restarted.anchor = now;
                let (start, end) = sub
                    .interval
                    .period(now, 0)
                    .ok_or_else(|| BillingError::Internal("period out of range".into()))?;
                let p = PeriodToBill {
                    index: 0,
                    start,
                    end,
                    charge: true,
                    reason: InvoiceReason::SubscriptionCreate,
                };
                return self
                    .renew(restarted, plan, p, SubscriptionStatus::Active)
                    .await;
            }
            DueAction::CancelAtPeriodEnd => {
                next.status = sub.status.transition(SubscriptionStatus::Canceled)?;
                next.canceled_at = Some(sub.current_period_end);
                next.cancel_at_period_end = false;
                change.events.push(events::event(
                    "subscription.canceled",
                    &next,
                    json!({ "reason": "period_end" }),
                    now,
                ));
            }
            // A retry of an invoice no longer open: nothing to collect.
            DueAction::Retry { .. } | DueAction::Final(FinalAction::LeavePastDue) => {
                next.next_retry_at = None;
            }
            DueAction::Final(FinalAction::Cancel) => {
                next.status = sub.status.transition(SubscriptionStatus::Canceled)?;
                next.canceled_at = Some(now);
                next.next_retry_at = None;
                change.invoice_changes = written_off(self.latest_invoice(&sub).await?, now);
                change.events.push(events::event(
                    "subscription.canceled",
                    &next,
                    json!({ "reason": "payment_failed" }),
                    now,
                ));
            }
            DueAction::DropPendingUpgrade => {
                let invoice = self.pending_upgrade_invoice(&sub).await?;
                // Paid, but the switch was lost (a crash after the settlement): switch now.
                if let Some(change) = invoice
                    .as_ref()
                    .and_then(|i| after_paid(&sub, i, None, now))
                {
                    self.deps.repos.subscriptions.apply(&change).await?;
                    return Ok(());
                }
                next.pending_change = None;
                change.invoice_changes =
                    void_open(invoice, "the upgrade was not paid in time", now);
                change.events.push(events::event(
                    "subscription.pending_update_expired",
                    &next,
                    json!({ "invoice_id": sub.pending_change.as_ref().and_then(|c| c.upgrade()).map(|u| u.invoice_id.clone()) }),
                    now,
                ));
            }
            DueAction::Final(FinalAction::Unpaid) => {
                next.status = sub.status.transition(SubscriptionStatus::Unpaid)?;
                next.next_retry_at = None;
                change.events.push(events::event(
                    "subscription.unpaid",
                    &next,
                    json!({ "invoice_id": sub.latest_invoice_id }),
                    now,
                ));
            }
        }
        // An ending subscription drops its pending change (and voids an upgrade's invoice).
        if sub.pending_change.is_some()
            && (next.status.is_terminal() || next.status == SubscriptionStatus::Unpaid)
        {
            next.pending_change = None;
            change.invoice_changes.extend(void_open(
                self.pending_upgrade_invoice(&sub).await?,
                "subscription ended",
                now,
            ));
        }
        change.subscription = scheduled(next);
        self.deps.repos.subscriptions.apply(&change).await?;
        Ok(())
    }

    /// Bills period `p` (a renewal, or the first period when a trial ends) and sends or
    /// charges its invoice once that committed.
    async fn renew(
        &self,
        sub: Subscription,
        plan: &Plan,
        p: PeriodToBill,
        status: SubscriptionStatus,
    ) -> BillingResult<()> {
        let now = self.deps.clock.now();
        // A change scheduled for this boundary: the period is billed on the new plan (a new
        // anchor when the interval changes).
        let previous = sub.plan_id.clone();
        let (mut sub, mut p) = (sub, p);
        let new_plan;
        let mut plan = plan;
        if let Some(PendingChange::AtPeriodEnd(c)) = sub.pending_change.clone()
            && c.effective_at <= p.start
        {
            new_plan = self.plan(&c.plan_id).await?;
            plan = &new_plan;
            sub.plan_id = c.plan_id.clone();
            sub.currency = c.currency;
            sub.pending_change = None;
            if c.interval != sub.interval {
                sub.interval = c.interval;
                sub.anchor = p.start;
                let (start, end) = c
                    .interval
                    .period(p.start, 0)
                    .ok_or_else(|| BillingError::Internal("period out of range".into()))?;
                p = PeriodToBill {
                    index: 0,
                    start,
                    end,
                    ..p
                };
            }
        }
        let last = self
            .deps
            .repos
            .subscriptions
            .periods(&sub.id)
            .await?
            .last()
            .map(|x| x.amount);
        let price = price_of(plan, &sub, last)?;
        let profile = self.account(&sub).await?.billing_profile;
        let b = bill(&sub, plan, price, p, profile, &self.deps.settings, now)?;
        let mut next = sub.clone();
        next.status = if status == sub.status {
            status
        } else {
            sub.status.transition(status)?
        };
        next.period_index = p.index;
        next.current_period_start = p.start;
        next.current_period_end = p.end;
        next.attempt_count = 0;
        next.next_retry_at = None;
        next.updated_at = now;
        next.billed = p.charge.then_some(BilledSpan {
            amount: price,
            from: p.start,
        });
        let charged = b
            .invoice
            .as_ref()
            .filter(|_| p.charge)
            .map(|n| n.invoice.clone());
        if let Some(invoice) = &charged {
            next.latest_invoice_id = Some(invoice.id.clone());
            // Charged at once when a card is kept; a sent invoice is due at its due date.
            next.next_retry_at = Some(match &next.gateway_payment_method {
                Some(_) if next.collection_method == CollectionMethod::ChargeAutomatically => now,
                _ => invoice.due_at.unwrap_or(p.end),
            });
        }
        let next = scheduled(next);
        let mut change = SubscriptionChange::of(next.clone(), &sub);
        change.events.push(events::event(
            "subscription.renewed",
            &next,
            json!({
                "period_index": p.index,
                "period_start": events::rfc3339(p.start),
                "period_end": events::rfc3339(p.end),
                "invoice_id": b.invoice.as_ref().map(|n| n.invoice.id.clone()),
                "amount": price,
                "charged": p.charge,
            }),
            now,
        ));
        if previous != next.plan_id {
            let mut read = sub.clone();
            read.plan_id = previous;
            change
                .events
                .push(super::change::updated_event(&next, &read, None, now));
        }
        change.period = Some(b.period);
        change.invoice = b.invoice;
        change.posting = b.posting;
        // Two open renewal invoices never coexist: one still open (left past due, or an
        // attempt that ran past the period end) is written off; it can still be paid.
        change.invoice_changes = written_off(self.latest_invoice(&sub).await?, now);
        let SubscriptionChangeOutcome::Applied {
            subscription,
            invoice,
        } = self.deps.repos.subscriptions.apply(&change).await?
        else {
            // Done by another process, or changed meanwhile: the next step re-reads.
            return Ok(());
        };
        if let (Some(invoice), true) = (
            invoice.filter(|_| charged.is_some()),
            subscription.next_retry_at != Some(now),
        ) {
            self.issue(&subscription, invoice).await?;
        }
        Ok(())
    }

    async fn latest_invoice(
        &self,
        sub: &Subscription,
    ) -> BillingResult<Option<crate::entities::Invoice>> {
        Ok(match &sub.latest_invoice_id {
            Some(id) => self.deps.repos.invoices.get(id).await?,
            None => None,
        })
    }
}

/// The open invoice marked uncollectible (it can still be paid, or voided).
fn written_off(
    invoice: Option<crate::entities::Invoice>,
    at: time::OffsetDateTime,
) -> Vec<InvoiceChange> {
    super::cancel::moved(
        invoice,
        &[InvoiceStatus::Pending],
        InvoiceStatus::Uncollectible,
        "every collection attempt failed",
        at,
    )
}
