//! Changing plan (`POST …/subscriptions/{sid}/change`). What takes effect when is decided by
//! [`crate::entities::plan_change`]; the money by [`crate::entities::proration`]. A preview
//! returns the numbers and the instant they were computed at; applying with that instant
//! (`proration_at`) bills exactly them. Every change is one guarded store transaction; an
//! upgrade's invoice is collected after it committed, like a renewal's.

use serde_json::json;
use time::OffsetDateTime;

use crate::entities::audit::RequestContext;
use crate::entities::plan_change::{
    ChangeTiming, PENDING_UPGRADE_WINDOW, PendingChange, PendingUpgrade, PricedInterval,
    ScheduledChange, switched, timing,
};
use crate::entities::proration::{BilledLine, NewTerms, prorate};
use crate::entities::{Invoice, Plan, Subscription, SubscriptionStatus};
use crate::error::{BillingError, BillingResult, RepoError, ValidationError};
use crate::ports::subscriptions::ALREADY_SUBSCRIBED;
use crate::ports::{SubscriptionChange, SubscriptionChangeOutcome};
use crate::services::input::required;
use crate::services::payment_context::MAX_ATTEMPTS;
use crate::types::{Currency, InvoiceId, PlanId};

use super::billing::update_invoice;
use super::change_answer::view;
pub use super::change_answer::{
    ChangeOutcome, ChangePlanInput, PREVIEW_VALIDITY, PlanChange, ProrationView,
};
use super::{SubscriptionService, events, scheduled};

/// A decided change: the answer, and the transaction that applies it.
struct Decided {
    answer: PlanChange,
    change: Option<SubscriptionChange>,
}

impl SubscriptionService {
    /// Changes the plan of a trialing or active subscription (see the module doc).
    pub async fn change_plan(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        subscription_id: &str,
        input: ChangePlanInput,
    ) -> BillingResult<PlanChange> {
        let mut sub = self.owned(ctx, account_id, subscription_id).await?;
        let plan_id = PlanId::parse(required(input.plan_id.as_deref(), "plan_id")?, "plan_id")?;
        let currency = input.currency.as_deref().map(Currency::parse).transpose()?;
        let preview = input.preview.unwrap_or(false);
        let at = input
            .proration_at
            .as_deref()
            .map(|t| {
                OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).map_err(
                    |_| ValidationError::new("proration_at", "must be an RFC 3339 instant"),
                )
            })
            .transpose()?;
        let target = self.changeable_plan(&plan_id).await?;
        for _ in 0..MAX_ATTEMPTS {
            let d = self.decide_change(ctx, &sub, &target, currency, at).await?;
            let Some(change) = d.change.filter(|_| !preview) else {
                return Ok(PlanChange {
                    preview,
                    ..d.answer
                });
            };
            match self.deps.repos.subscriptions.apply(&change).await {
                Ok(SubscriptionChangeOutcome::Applied {
                    subscription,
                    invoice,
                }) => {
                    return self.after_change(d.answer, subscription, invoice).await;
                }
                Ok(_) => {}
                Err(RepoError::Conflict(m)) if m == ALREADY_SUBSCRIBED => {
                    return Err(super::create::already_subscribed(&plan_id));
                }
                Err(e) => return Err(e.into()),
            }
            sub = self
                .deps
                .repos
                .subscriptions
                .get(&sub.id)
                .await?
                .ok_or_else(|| BillingError::not_found("subscription", &sub.id))?;
        }
        Err(BillingError::conflict(
            "concurrent_update",
            format!("subscription {} changed concurrently; retry", sub.id),
        ))
    }

    /// The plan to change to: a 422 on `plan_id` when there is none or it is archived.
    async fn changeable_plan(&self, id: &PlanId) -> BillingResult<Plan> {
        match self.deps.repos.plans.get(id).await? {
            Some(p) if p.active => Ok(p),
            Some(_) => {
                Err(ValidationError::rule("plan_id", format!("plan {id} is archived")).into())
            }
            None => Err(ValidationError::rule("plan_id", format!("no plan {id}")).into()),
        }
    }

    async fn decide_change(
        &self,
        ctx: &RequestContext,
        sub: &Subscription,
        target: &Plan,
        requested: Option<Currency>,
        at: Option<OffsetDateTime>,
    ) -> BillingResult<Decided> {
        if !matches!(
            sub.status,
            SubscriptionStatus::Active | SubscriptionStatus::Trialing
        ) {
            return Err(BillingError::conflict_on(
                "id",
                "subscription_not_changeable",
                format!(
                    "subscription {} is {}; only a trialing or active subscription changes plan",
                    sub.id, sub.status
                ),
            ));
        }
        let now = self.deps.clock.now();
        let currency = requested.unwrap_or(sub.currency);
        let price = target.prices.require(currency)?.amount;
        let answer = |outcome, effective_at, proration, subscription: &Subscription| PlanChange {
            preview: false,
            outcome,
            effective_at,
            proration,
            subscription: subscription.clone(),
            invoice: None,
            next_action: None,
        };
        let mut next = sub.clone();
        next.updated_at = now;
        let mut change = SubscriptionChange::of(next.clone(), sub);
        // Whatever else happens, an upgrade still awaiting payment is dropped first.
        let pending_invoice = self.pending_upgrade_invoice(sub).await?;
        if target.id == sub.plan_id && currency == sub.currency {
            if sub.pending_change.is_none() {
                return Err(ValidationError::rule(
                    "plan_id",
                    format!("subscription {} is already on plan {}", sub.id, target.id),
                )
                .into());
            }
            next.pending_change = None;
            change.invoice_changes =
                super::cancel::void_open(pending_invoice, "plan change reverted", now);
            change.events.push(events::event(
                "subscription.change_canceled",
                &next,
                json!({}),
                now,
            ));
            let d = answer(ChangeOutcome::Reverted, None, None, sub);
            return Ok(self.decided(ctx, d, change, next, sub, now));
        }
        if let Some(same) = sub
            .pending_change
            .as_ref()
            .filter(|c| c.plan_id() == &target.id && c.currency() == currency)
        {
            // Asked again: the change already made stands (nothing new is billed).
            let mut d = answer(ChangeOutcome::AtPeriodEnd, None, None, sub);
            match same {
                PendingChange::AtPeriodEnd(s) => d.effective_at = Some(s.effective_at),
                PendingChange::Upgrade(u) => {
                    d.outcome = ChangeOutcome::AwaitingPayment;
                    d.proration = Some(view(u));
                    d.invoice = pending_invoice;
                }
            }
            return Ok(Decided {
                answer: d,
                change: None,
            });
        }
        self.refuse_second_except(&sub.account_id, &target.id, Some(&sub.id))
            .await?;
        if currency != sub.currency && price > 0 {
            self.purchases
                .offered_config(ctx, &sub.account_id, sub.payment_method, currency, price)
                .await?;
        }
        let old = self.plan(&sub.plan_id).await?;
        let old_price = old
            .prices
            .get(sub.currency)
            .map(|m| m.amount)
            .or(sub.billed.map(|b| b.amount))
            .unwrap_or(0);
        let from = PricedInterval {
            price: old_price,
            interval: sub.interval,
        };
        let to = PricedInterval {
            price,
            interval: target.interval,
        };
        change.invoice_changes =
            super::cancel::void_open(pending_invoice, "replaced by another plan change", now);
        next.pending_change = None;
        match timing(sub, from, to, currency) {
            ChangeTiming::Trial => {
                next.plan_id = target.id.clone();
                next.currency = currency;
                next.interval = target.interval;
                change.events.push(updated_event(&next, sub, None, now));
                let d = answer(ChangeOutcome::Switched, Some(now), None, sub);
                Ok(self.decided(ctx, d, change, next, sub, now))
            }
            ChangeTiming::AtPeriodEnd => {
                let effective_at = sub.current_period_end;
                next.pending_change = Some(PendingChange::AtPeriodEnd(ScheduledChange {
                    plan_id: target.id.clone(),
                    currency,
                    interval: target.interval,
                    effective_at,
                }));
                change.events.push(events::event(
                    "subscription.change_scheduled",
                    &next,
                    json!({ "new_plan_id": target.id, "currency": currency, "effective_at": events::rfc3339(effective_at) }),
                    now,
                ));
                let d = answer(ChangeOutcome::AtPeriodEnd, Some(effective_at), None, sub);
                Ok(self.decided(ctx, d, change, next, sub, now))
            }
            ChangeTiming::Immediate { restarts_period } => {
                let at = proration_instant(sub, at, now)?;
                let line = BilledLine {
                    amount: sub.billed.map_or(0, |b| b.amount),
                    from: sub.billed.map_or(sub.current_period_start, |b| b.from),
                    to: sub.current_period_end,
                    credited: 0,
                };
                let terms = NewTerms {
                    period_start: sub.current_period_start,
                    price,
                    restarts_period,
                    old_credits: old.credits_per_period,
                    new_credits: target.credits_per_period,
                };
                let p = prorate(line, terms, at)?;
                let up = PendingUpgrade {
                    plan_id: target.id.clone(),
                    currency,
                    interval: target.interval,
                    invoice_id: InvoiceId::generate(now),
                    requested_at: now,
                    proration_at: at,
                    expires_at: (now + PENDING_UPGRADE_WINDOW).min(sub.current_period_end),
                    charge: p.charge,
                    credit: p.credit,
                    extra_credits: p.extra_credits,
                    restarts_period,
                    period_credits: target.credits_per_period,
                };
                if p.net > 0 {
                    let profile = self.account(sub).await?.billing_profile;
                    let invoice = update_invoice(
                        sub,
                        &old,
                        target,
                        &up,
                        &p,
                        profile,
                        &self.deps.settings,
                        now,
                    )?;
                    next.pending_change = Some(PendingChange::Upgrade(up.clone()));
                    change.events.push(events::event(
                        "subscription.pending_update_created",
                        &next,
                        json!({ "new_plan_id": target.id, "invoice_id": invoice.invoice.id, "expires_at": events::rfc3339(up.expires_at) }),
                        now,
                    ));
                    let mut d = answer(ChangeOutcome::AwaitingPayment, None, Some(view(&up)), sub);
                    d.invoice = Some(invoice.invoice.clone());
                    change.invoice = Some(invoice);
                    return Ok(self.decided(ctx, d, change, next, sub, now));
                }
                // Nothing to pay: the plan switches now; the extra allowance (or a new
                // period's) is granted in the same transaction.
                let (switched_sub, period) = switched(&next, &up, None)
                    .ok_or_else(|| BillingError::Internal("period out of range".into()))?;
                next = switched_sub;
                change.posting = super::billing::switch_grant(&next, target, &up, now)?;
                change.period = period;
                change.events.push(updated_event(&next, sub, None, now));
                let d = answer(ChangeOutcome::Switched, Some(at), Some(view(&up)), sub);
                Ok(self.decided(ctx, d, change, next, sub, now))
            }
        }
    }

    /// The answer and its transaction, with the audit entry and the next action instant.
    fn decided(
        &self,
        ctx: &RequestContext,
        answer: PlanChange,
        mut change: SubscriptionChange,
        next: Subscription,
        read: &Subscription,
        now: OffsetDateTime,
    ) -> Decided {
        let next = scheduled(next);
        change.audit = Some(ctx.audit(
            now,
            "subscription.change",
            "subscription",
            read.id.as_str(),
            None,
            Some(read),
            Some(&next),
        ));
        change.subscription = next;
        Decided {
            answer,
            change: Some(change),
        }
    }

    /// Collects an upgrade's invoice once its change committed, and answers with what is
    /// stored then (a card charged at once has switched the plan already).
    async fn after_change(
        &self,
        mut answer: PlanChange,
        stored: Subscription,
        invoice: Option<Invoice>,
    ) -> BillingResult<PlanChange> {
        answer.subscription = stored;
        if let Some(invoice) = invoice {
            answer.next_action = self
                .collect_update(&answer.subscription, invoice.clone())
                .await?;
            answer.invoice = self
                .deps
                .repos
                .invoices
                .get(&invoice.id)
                .await?
                .or(Some(invoice));
            if let Some(now) = self
                .deps
                .repos
                .subscriptions
                .get(&answer.subscription.id)
                .await?
            {
                if now.plan_id != answer.subscription.plan_id {
                    answer.outcome = ChangeOutcome::Switched;
                    answer.effective_at = answer.proration.map(|p| p.at);
                }
                answer.subscription = now;
            }
        }
        Ok(answer)
    }

    /// The invoice of `sub`'s upgrade awaiting payment, if any.
    pub(super) async fn pending_upgrade_invoice(
        &self,
        sub: &Subscription,
    ) -> BillingResult<Option<Invoice>> {
        match sub.pending_change.as_ref().and_then(PendingChange::upgrade) {
            Some(u) => Ok(self.deps.repos.invoices.get(&u.invoice_id).await?),
            None => Ok(None),
        }
    }
}

/// The instant an upgrade is prorated at: now, or a preview's instant while it still
/// describes the subscription (422 on `proration_at` otherwise).
fn proration_instant(
    sub: &Subscription,
    given: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> BillingResult<OffsetDateTime> {
    let Some(at) = given else {
        return Ok(now);
    };
    let since = sub
        .billed
        .map_or(sub.current_period_start, |b| b.from)
        .max(sub.current_period_start);
    let stale = at > now
        || now - at > PREVIEW_VALIDITY
        || at < since
        || at >= sub.current_period_end
        || sub
            .pending_change
            .as_ref()
            .and_then(PendingChange::upgrade)
            .is_some_and(|u| u.requested_at > at);
    if stale {
        return Err(ValidationError::rule(
            "proration_at",
            "the preview is stale (older than an hour, in the future, or the subscription changed since); preview again",
        )
        .into());
    }
    Ok(at)
}

/// `subscription.updated`: the plan switched (from `read`'s).
pub(super) fn updated_event(
    next: &Subscription,
    read: &Subscription,
    invoice: Option<&InvoiceId>,
    now: OffsetDateTime,
) -> crate::entities::OutboxEvent {
    events::event(
        "subscription.updated",
        next,
        json!({ "previous_plan_id": read.plan_id, "invoice_id": invoice }),
        now,
    )
}
