//! Subscribing: the plan, the currency and the method are checked like a purchase's; the
//! first period is billed at once (or after the trial) and its payment started through the
//! purchase flow, which keeps a Stripe card for the renewals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::entities::audit::RequestContext;
use crate::entities::plan::MAX_TRIAL_DAYS;
use crate::entities::{
    CollectionMethod, Invoice, InvoiceReason, Metadata, NextAction, Payment, PaymentMethodConfig,
    PaymentMethodKind, Subscription, SubscriptionStatus,
};
use crate::error::{BillingError, BillingResult, RepoError, ValidationError};
use crate::ports::subscriptions::ALREADY_SUBSCRIBED;
use crate::ports::{SubscriptionChange, SubscriptionChangeOutcome, SubscriptionFilter};
use crate::services::input::required;
use crate::services::purchases::parse_method;
use crate::types::{AccountId, Currency, Money, PageRequest, PlanId, SubscriptionId};

use super::billing::{PeriodToBill, bill};
use super::{SubscriptionService, events, invalid, scheduled};

/// A subscription as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSubscriptionInput {
    /// The plan (active).
    pub plan_id: Option<String>,
    /// `stripe`, `paypal`, `bank_transfer` or `local_wallet`; must be offered to the account
    /// for the plan's price.
    pub payment_method: Option<String>,
    /// Optional ISO 4217 code; one of the plan's prices. Absent: the account's preferred
    /// currency, else the first price the method accepts.
    pub currency: Option<String>,
    /// Trial days instead of the plan's (0–730; 0: none).
    pub trial_days: Option<i64>,
    /// Free-form data of the platform.
    pub metadata: Option<BTreeMap<String, String>>,
}

/// What subscribing returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionCreated {
    /// The subscription (`incomplete` until the first invoice is paid, `trialing`, or
    /// `active` for a free plan).
    pub subscription: Subscription,
    /// The first invoice, unless there is a trial or the plan is free.
    pub invoice: Option<Invoice>,
    /// Its payment.
    pub payment: Option<Payment>,
    /// What the payer must do next (Checkout or PayPal link, bank details).
    pub next_action: Option<NextAction>,
}

impl SubscriptionService {
    /// Subscribes the account to a plan.
    pub async fn create(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        input: CreateSubscriptionInput,
    ) -> BillingResult<SubscriptionCreated> {
        let id = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&id)?;
        let plan_id = PlanId::parse(required(input.plan_id.as_deref(), "plan_id")?, "plan_id")?;
        let plan = match self.deps.repos.plans.get(&plan_id).await? {
            Some(p) if p.active => p,
            Some(_) => {
                return Err(ValidationError::rule(
                    "plan_id",
                    format!("plan {plan_id} is archived"),
                )
                .into());
            }
            None => {
                return Err(ValidationError::rule("plan_id", format!("no plan {plan_id}")).into());
            }
        };
        let method = parse_method(input.payment_method.as_deref())?;
        let requested = input.currency.as_deref().map(Currency::parse).transpose()?;
        let trial_days = match input.trial_days {
            None => i64::from(plan.trial_days),
            Some(d) if (0..=MAX_TRIAL_DAYS).contains(&d) => d,
            Some(_) => {
                return Err(invalid(
                    "trial_days",
                    format!("must be between 0 and {MAX_TRIAL_DAYS}"),
                ));
            }
        };
        let metadata = Metadata::parse(input.metadata, "metadata")?;
        let (account, profile) = self.deps.payer(&id, "subscribing").await?;
        let candidates = plan
            .prices
            .candidates(requested, profile.preferred_currency)?;
        let (price, config) = self.first_offered(ctx, &id, method, &candidates).await?;
        self.refuse_second_except(&id, &plan_id, None).await?;

        let now = self.deps.clock.now();
        let trial_end = (trial_days > 0).then(|| now + time::Duration::days(trial_days));
        let anchor = trial_end.unwrap_or(now);
        let (start, end) = plan
            .interval
            .period(anchor, 0)
            .ok_or_else(|| invalid("plan_id", "the plan's first period is out of range"))?;
        let mut sub = Subscription {
            id: SubscriptionId::generate(now),
            account_id: id.clone(),
            plan_id: plan.id.clone(),
            status: SubscriptionStatus::Trialing,
            currency: price.currency,
            interval: plan.interval,
            payment_method: method,
            // A free price has nothing to charge: no card is asked for.
            collection_method: if method == PaymentMethodKind::Stripe && price.amount > 0 {
                CollectionMethod::ChargeAutomatically
            } else {
                CollectionMethod::SendInvoice
            },
            gateway_payment_method: None,
            anchor,
            period_index: 0,
            current_period_start: if trial_end.is_some() { now } else { start },
            current_period_end: trial_end.unwrap_or(end),
            trial_end,
            cancel_at_period_end: false,
            trial_reminded: false,
            canceled_at: None,
            latest_invoice_id: None,
            attempt_count: 0,
            next_retry_at: None,
            next_action_at: None,
            billed: None,
            pending_change: None,
            metadata,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let mut change = SubscriptionChange {
            expected_version: None,
            ..SubscriptionChange::of(sub.clone(), &sub)
        };
        if trial_end.is_none() {
            let p = PeriodToBill {
                index: 0,
                start,
                end,
                charge: true,
                reason: InvoiceReason::SubscriptionCreate,
            };
            let mut b = bill(
                &sub,
                &plan,
                price.amount,
                p,
                Some(profile),
                &self.deps.settings,
                now,
            )?;
            if let Some(n) = &mut b.invoice {
                let payment =
                    self.purchases
                        .new_payment(&n.invoice, method, n.invoice.total, ctx, now);
                n.payment = Some(payment);
                sub.latest_invoice_id = Some(n.invoice.id.clone());
                sub.status = SubscriptionStatus::Incomplete;
            } else {
                sub.status = SubscriptionStatus::Active;
            }
            sub.billed = Some(crate::entities::BilledSpan {
                amount: price.amount,
                from: start,
            });
            change.period = Some(b.period);
            change.invoice = b.invoice;
            change.posting = b.posting;
        }
        let sub = scheduled(sub);
        change.events = vec![events::event(
            "subscription.created",
            &sub,
            json!({ "amount": price.amount, "currency": price.currency, "trial_end": trial_end.map(events::rfc3339) }),
            now,
        )];
        change.audit = Some(ctx.audit(
            now,
            "subscription.create",
            "subscription",
            sub.id.as_str(),
            None,
            None::<&()>,
            Some(&sub),
        ));
        change.subscription = sub;
        let payment = change.invoice.as_ref().and_then(|n| n.payment.clone());
        let (sub, invoice) = match self.deps.repos.subscriptions.apply(&change).await {
            Ok(SubscriptionChangeOutcome::Applied {
                subscription,
                invoice,
            }) => (subscription, invoice),
            Ok(_) => {
                return Err(BillingError::Internal(
                    "a new subscription was stale".into(),
                ));
            }
            Err(RepoError::Conflict(m)) if m == ALREADY_SUBSCRIBED => {
                return Err(already_subscribed(&plan_id));
            }
            Err(e) => return Err(e.into()),
        };
        let (Some(invoice), Some(payment), Some(config)) = (invoice, payment, config) else {
            // A card trial: the payer gives the card now, to be charged when the trial ends.
            let next_action = if sub.status == SubscriptionStatus::Trialing
                && sub.collection_method == CollectionMethod::ChargeAutomatically
            {
                match self
                    .start_setup(&sub, format!("billing-setup-{}", sub.id))
                    .await
                {
                    Ok(action) => Some(action),
                    // The trial stands; `POST …/payment-method` opens another session.
                    Err(BillingError::Unavailable(_)) => None,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            return Ok(SubscriptionCreated {
                subscription: sub,
                invoice: None,
                payment: None,
                next_action,
            });
        };
        let started = self
            .purchases
            .start(ctx, invoice, payment, account, config, None)
            .await?;
        Ok(SubscriptionCreated {
            subscription: sub,
            invoice: Some(started.invoice),
            next_action: started.next_action,
            payment: Some(started.payment),
        })
    }

    /// The first candidate price `method` is offered for, with its config (none for a free
    /// price: there is nothing to collect), else the first refusal.
    async fn first_offered(
        &self,
        ctx: &RequestContext,
        account: &AccountId,
        method: PaymentMethodKind,
        candidates: &[Money],
    ) -> BillingResult<(Money, Option<PaymentMethodConfig>)> {
        let mut refusal = None;
        for price in candidates {
            if price.amount == 0 {
                return Ok((*price, None));
            }
            match self
                .purchases
                .offered_config(ctx, account, method, price.currency, price.amount)
                .await
            {
                Ok(config) => return Ok((*price, Some(config))),
                Err(e) => {
                    refusal.get_or_insert(e);
                }
            }
        }
        Err(refusal.unwrap_or_else(|| invalid("currency", "the plan has no price")))
    }

    /// 409 when the account already has a live subscription to the plan, or one moving to it
    /// (a pending plan change), other than `except` (the store's unique index refuses a
    /// second live one too, for two requests at once).
    pub(super) async fn refuse_second_except(
        &self,
        account: &AccountId,
        plan: &PlanId,
        except: Option<&SubscriptionId>,
    ) -> BillingResult<()> {
        let filter = SubscriptionFilter {
            account_id: Some(account.clone()),
            ..SubscriptionFilter::default()
        };
        let mut page = PageRequest::first(100);
        loop {
            let batch = self.deps.repos.subscriptions.list(&filter, &page).await?;
            let taken = batch.data.iter().any(|s| {
                s.is_live()
                    && Some(&s.id) != except
                    && (&s.plan_id == plan
                        || s.pending_change
                            .as_ref()
                            .is_some_and(|c| c.plan_id() == plan))
            });
            if taken {
                return Err(already_subscribed(plan));
            }
            match (batch.has_more, batch.data.last()) {
                (true, Some(last)) => page.starting_after = Some(last.id.to_string()),
                _ => return Ok(()),
            }
        }
    }
}

pub(super) fn already_subscribed(plan: &PlanId) -> BillingError {
    BillingError::conflict_on(
        "plan_id",
        "already_subscribed",
        format!("the account already has a live subscription to plan {plan}"),
    )
}
