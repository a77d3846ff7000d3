//! Subscriptions: subscribe, read, cancel and resume, entitlements; the scheduler
//! ([`scheduler`]) renews, collects, retries and ends them; [`activation`] reacts to a paid
//! invoice. Every change is one guarded store transaction ([`SubscriptionChange`]); gateway
//! calls happen only after it committed.

pub mod activation;
mod billing;
mod cancel;
mod change;
mod change_answer;
mod collection;
mod create;
mod events;
pub mod payment_method;
pub mod scheduler;
pub mod test_clock;
mod update_collection;

use serde::Serialize;

use crate::entities::audit::RequestContext;
use crate::entities::{Plan, Subscription, SubscriptionPeriod, SubscriptionStatus};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::{SubscriptionChange, SubscriptionChangeOutcome, SubscriptionFilter};
use crate::services::payment_context::{MAX_ATTEMPTS, PaymentDeps};
use crate::services::purchases::PurchaseService;
use crate::types::{AccountId, Page, PageRequest, PlanId, SubscriptionId};

pub use cancel::CancelInput;
pub use change::{ChangeOutcome, ChangePlanInput, PREVIEW_VALIDITY, PlanChange, ProrationView};
pub use create::{CreateSubscriptionInput, SubscriptionCreated};
pub use payment_method::PaymentMethodSetup;

/// How long a scheduler process holds the subscriptions it claimed.
const CLAIM: time::Duration = time::Duration::minutes(5);

/// A subscription with its periods, as `GET …/subscriptions/{sid}` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionDetail {
    /// The subscription.
    #[serde(flatten)]
    pub subscription: Subscription,
    /// Every billed period, oldest first.
    pub periods: Vec<SubscriptionPeriod>,
}

/// One subscription's share of an account's entitlements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntitledPlan {
    /// The subscription.
    pub subscription_id: SubscriptionId,
    /// Its plan.
    pub plan_id: PlanId,
    /// The plan's slug.
    pub plan_slug: String,
    /// The subscription's status.
    pub status: SubscriptionStatus,
    /// End of the current period.
    #[serde(with = "time::serde::rfc3339")]
    pub current_period_end: time::OffsetDateTime,
    /// Whether it ends at the period end.
    pub cancel_at_period_end: bool,
    /// The plan's features.
    pub features: Vec<String>,
}

/// What an account may use now: its plans whose status grants features (trialing, active,
/// past due until the final action) and the union of their features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entitlements {
    /// The account.
    pub account_id: AccountId,
    /// Every feature granted, sorted, once.
    pub features: Vec<String>,
    /// The subscriptions granting them.
    pub plans: Vec<EntitledPlan>,
}

/// Subscription use cases.
#[derive(Clone)]
pub struct SubscriptionService {
    deps: PaymentDeps,
    purchases: PurchaseService,
}

impl SubscriptionService {
    /// Wires the service; `purchases` starts the payments of its invoices.
    pub fn new(deps: PaymentDeps, purchases: PurchaseService) -> Self {
        Self { deps, purchases }
    }

    /// One subscription of the account, with its periods.
    pub async fn get(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        subscription_id: &str,
    ) -> BillingResult<SubscriptionDetail> {
        let sub = self.owned(ctx, account_id, subscription_id).await?;
        let periods = self.deps.repos.subscriptions.periods(&sub.id).await?;
        Ok(SubscriptionDetail {
            subscription: sub,
            periods,
        })
    }

    /// The account's subscriptions, newest first.
    pub async fn list_for_account(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        page: &PageRequest,
    ) -> BillingResult<Page<Subscription>> {
        let id = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&id)?;
        let filter = SubscriptionFilter {
            account_id: Some(id),
            ..SubscriptionFilter::default()
        };
        Ok(self.deps.repos.subscriptions.list(&filter, page).await?)
    }

    /// Every subscription (operators), newest first.
    pub async fn list_all(
        &self,
        ctx: &RequestContext,
        filter: &SubscriptionFilter,
        page: &PageRequest,
    ) -> BillingResult<Page<Subscription>> {
        ctx.principal.ensure_admin()?;
        Ok(self.deps.repos.subscriptions.list(filter, page).await?)
    }

    /// What the account may use now (see [`Entitlements`]).
    pub async fn entitlements(
        &self,
        ctx: &RequestContext,
        account_id: &str,
    ) -> BillingResult<Entitlements> {
        let id = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&id)?;
        if self.deps.repos.accounts.get(&id).await?.is_none() {
            return Err(BillingError::not_found("account", &id));
        }
        let filter = SubscriptionFilter {
            account_id: Some(id.clone()),
            ..SubscriptionFilter::default()
        };
        let mut plans = Vec::new();
        let mut features = std::collections::BTreeSet::new();
        let mut page = PageRequest::default();
        loop {
            let batch = self.deps.repos.subscriptions.list(&filter, &page).await?;
            for sub in batch.data.iter().filter(|s| s.status.grants_features()) {
                let plan = self.plan(&sub.plan_id).await?;
                features.extend(plan.features.iter().cloned());
                plans.push(EntitledPlan {
                    subscription_id: sub.id.clone(),
                    plan_id: plan.id.clone(),
                    plan_slug: plan.slug.to_string(),
                    status: sub.status,
                    current_period_end: sub.current_period_end,
                    cancel_at_period_end: sub.cancel_at_period_end,
                    features: plan.features.clone(),
                });
            }
            match (batch.has_more, batch.data.last()) {
                (true, Some(last)) => page.starting_after = Some(last.id.to_string()),
                _ => break,
            }
        }
        Ok(Entitlements {
            account_id: id,
            features: features.into_iter().collect(),
            plans,
        })
    }

    /// The subscription `subscription_id` of `account_id`, as the caller may see it (another
    /// account's is not found).
    async fn owned(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        subscription_id: &str,
    ) -> BillingResult<Subscription> {
        let account = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&account)?;
        let sid = SubscriptionId::parse(subscription_id, "subscription_id")?;
        self.deps
            .repos
            .subscriptions
            .get(&sid)
            .await?
            .filter(|s| s.account_id == account)
            .ok_or_else(|| BillingError::not_found("subscription", &sid))
    }

    async fn plan(&self, id: &PlanId) -> BillingResult<Plan> {
        self.deps
            .repos
            .plans
            .get(id)
            .await?
            .ok_or_else(|| BillingError::Internal(format!("plan {id} of a subscription is gone")))
    }

    /// Decides a change on the stored subscription and applies it, deciding again on a lost
    /// race. `decide` returns `None` when nothing is to be done.
    async fn change<F>(&self, id: &SubscriptionId, mut decide: F) -> BillingResult<Subscription>
    where
        F: FnMut(&Subscription) -> BillingResult<Option<SubscriptionChange>>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let current = self
                .deps
                .repos
                .subscriptions
                .get(id)
                .await?
                .ok_or_else(|| BillingError::not_found("subscription", id))?;
            let Some(change) = decide(&current)? else {
                return Ok(current);
            };
            match self.deps.repos.subscriptions.apply(&change).await? {
                SubscriptionChangeOutcome::Applied { subscription, .. } => return Ok(subscription),
                SubscriptionChangeOutcome::Stale | SubscriptionChangeOutcome::PeriodTaken => {}
            }
        }
        Err(BillingError::conflict(
            "concurrent_update",
            format!("subscription {id} changed concurrently; retry"),
        ))
    }
}

/// `next_action_at` recomputed from the state about to be stored.
fn scheduled(mut sub: Subscription) -> Subscription {
    sub.next_action_at = crate::entities::subscription_schedule::next_action_at(&sub);
    sub
}

/// A 400 on `field`.
fn invalid(field: &str, message: impl Into<String>) -> BillingError {
    ValidationError::new(field, message).into()
}
