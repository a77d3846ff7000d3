//! Subscription plans: the public listing and its administration. Editing a plan's prices
//! changes only future periods: every period's invoice carries the price it was billed at.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::entities::audit::RequestContext;
use crate::entities::credit_package::parse_gateway_ref;
use crate::entities::plan::{parse_credits_per_period, parse_features, parse_trial_days};
use crate::entities::{DunningPolicy, Plan, RolloverPolicy};
use crate::error::{BillingError, BillingResult, RepoError, ValidationError};
use crate::ports::{Clock, Repositories};
use crate::services::catalog;
use crate::services::input::{required, sort_order};
use crate::types::{BillingInterval, BoundedText, PlanId, PriceInput, PriceList, Slug};

/// How failed renewals are retried, as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DunningInput {
    /// Days after the previous attempt, each 1–60, at most 10 (default `[3, 7, 11]`).
    pub retry_days: Option<Vec<i64>>,
    /// `cancel` (default), `unpaid` or `leave_past_due`.
    pub final_action: Option<String>,
}

/// A plan as sent on create; on update (PATCH) absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Display name (≤ 100).
    pub name: Option<String>,
    /// Unique URL-safe name.
    pub slug: Option<String>,
    /// Marketing text (≤ 1000).
    pub description: Option<String>,
    /// One price per period per currency, `[{"amount": 1900, "currency": "USD"}, …]`.
    pub prices: Option<Vec<PriceInput>>,
    /// `week`, `month` or `year`.
    pub interval: Option<String>,
    /// Units per period (default 1; quarterly = 3 months).
    pub interval_count: Option<i64>,
    /// Credits granted per paid period (0 or more).
    pub credits_per_period: Option<i64>,
    /// Feature keys the platform checks (`api_access`, `seats:5`).
    pub features: Option<Vec<String>>,
    /// Days of trial (0–730, default 0).
    pub trial_days: Option<i64>,
    /// Retry schedule and final action.
    #[serde(default, deserialize_with = "crate::services::input::object")]
    pub dunning: Option<DunningInput>,
    /// What happens to unspent allowance at period end (default `{"kind": "none"}`).
    #[serde(default, deserialize_with = "crate::services::input::object")]
    pub rollover: Option<crate::entities::RolloverInput>,
    /// Can be subscribed to (default true); `false` archives it.
    pub active: Option<bool>,
    /// Shown first.
    pub featured: Option<bool>,
    /// Listing position.
    pub sort_order: Option<i64>,
    /// Stripe product id.
    pub stripe_product_id: Option<String>,
    /// PayPal product id.
    pub paypal_product_id: Option<String>,
}

/// Plan use cases.
#[derive(Clone)]
pub struct PlanService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
}

fn slug_conflict(e: RepoError, slug: &Slug) -> BillingError {
    catalog::slug_conflict(e, "plan", slug)
}

/// The public order (see [`catalog::listing_key`]).
fn sort_public(plans: &mut [Plan]) {
    plans.sort_by(|a, b| {
        catalog::listing_key(a.featured, a.sort_order, a.id.as_str()).cmp(&catalog::listing_key(
            b.featured,
            b.sort_order,
            b.id.as_str(),
        ))
    });
}

impl PlanService {
    /// Wires the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>) -> Self {
        Self { repos, clock }
    }

    /// Active plans in public order. No key needed.
    pub async fn list_public(&self) -> BillingResult<Vec<Plan>> {
        let mut all = self.repos.plans.list(true).await?;
        sort_public(&mut all);
        Ok(all)
    }

    /// Every plan, archived ones included, in public order (admin).
    pub async fn list_all(&self, ctx: &RequestContext) -> BillingResult<Vec<Plan>> {
        ctx.principal.ensure_admin()?;
        let mut all = self.repos.plans.list(false).await?;
        sort_public(&mut all);
        Ok(all)
    }

    /// One plan; archived ones only for admins.
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> BillingResult<Plan> {
        let id = PlanId::parse(id, "id")?;
        let p = self
            .repos
            .plans
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("plan", &id))?;
        if !p.active && ctx.principal.ensure_admin().is_err() {
            return Err(BillingError::not_found("plan", &id));
        }
        Ok(p)
    }

    /// Creates a plan (admin).
    pub async fn create(&self, ctx: &RequestContext, input: PlanInput) -> BillingResult<Plan> {
        ctx.principal.ensure_admin()?;
        let now = self.clock.now();
        let interval = BillingInterval::parse(input.interval.as_deref(), input.interval_count)?;
        let dunning = input.dunning.unwrap_or_default();
        let p = Plan {
            id: PlanId::generate(now),
            name: BoundedText::new(required(input.name.as_deref(), "name")?, "name", 100)?,
            slug: Slug::new(required(input.slug.as_deref(), "slug")?, "slug")?,
            description: BoundedText::optional(input.description.as_deref(), "description", 1000)?,
            prices: PriceList::parse(required(input.prices.as_ref(), "prices")?, "prices")?,
            interval,
            credits_per_period: parse_credits_per_period(input.credits_per_period)?,
            features: parse_features(input.features.as_deref().unwrap_or_default())?,
            trial_days: parse_trial_days(input.trial_days, "trial_days")?,
            dunning: DunningPolicy::parse(
                dunning.retry_days.as_deref(),
                dunning.final_action.as_deref(),
                &interval,
            )?,
            rollover: match &input.rollover {
                Some(r) => RolloverPolicy::from_input(r)?,
                None => RolloverPolicy::None,
            },
            active: input.active.unwrap_or(true),
            featured: input.featured.unwrap_or(false),
            sort_order: sort_order(input.sort_order, "sort_order")?,
            stripe_product_id: parse_gateway_ref(
                input.stripe_product_id.as_deref(),
                "stripe_product_id",
            )?,
            paypal_product_id: parse_gateway_ref(
                input.paypal_product_id.as_deref(),
                "paypal_product_id",
            )?,
            created_at: now,
            updated_at: now,
        };
        let audit = ctx.audit(
            now,
            "plan.create",
            "plan",
            p.id.as_str(),
            None,
            None::<&()>,
            Some(&p),
        );
        self.repos
            .plans
            .insert(&p, &audit)
            .await
            .map_err(|e| slug_conflict(e, &p.slug))?;
        Ok(p)
    }

    /// Changes a plan (admin); `active: false` archives it. Subscribers keep their plan; new
    /// prices apply from their next period.
    pub async fn update(
        &self,
        ctx: &RequestContext,
        id: &str,
        input: PlanInput,
    ) -> BillingResult<Plan> {
        ctx.principal.ensure_admin()?;
        let before = self.get(ctx, id).await?;
        let mut p = before.clone();
        if let Some(v) = input.name.as_deref() {
            p.name = BoundedText::new(v, "name", 100)?;
        }
        if let Some(v) = input.slug.as_deref() {
            p.slug = Slug::new(v, "slug")?;
        }
        if input.description.is_some() {
            p.description =
                BoundedText::optional(input.description.as_deref(), "description", 1000)?;
        }
        if let Some(v) = &input.prices {
            p.prices = PriceList::parse(v, "prices")?;
        }
        if input.interval.is_some() || input.interval_count.is_some() {
            if input.interval.is_none() {
                return Err(ValidationError::new(
                    "interval",
                    "is required when interval_count changes",
                )
                .into());
            }
            // An absent count keeps the stored one: `{"interval": "month"}` on a quarterly
            // plan changes nothing rather than making it monthly.
            let count = input.interval_count.or(Some(i64::from(p.interval.count)));
            p.interval = BillingInterval::parse(input.interval.as_deref(), count)?;
        }
        if input.credits_per_period.is_some() {
            p.credits_per_period = parse_credits_per_period(input.credits_per_period)?;
        }
        if let Some(v) = &input.features {
            p.features = parse_features(v)?;
        }
        if input.trial_days.is_some() {
            p.trial_days = parse_trial_days(input.trial_days, "trial_days")?;
        }
        // The schedule is checked against the (possibly new) interval either way.
        let d = input.dunning.unwrap_or_default();
        let retry_days: Vec<i64> = p.dunning.retry_days.iter().map(|d| i64::from(*d)).collect();
        p.dunning = DunningPolicy::parse(
            Some(d.retry_days.as_deref().unwrap_or(&retry_days)),
            Some(
                d.final_action
                    .as_deref()
                    .unwrap_or(p.dunning.final_action.as_str()),
            ),
            &p.interval,
        )?;
        if let Some(r) = &input.rollover {
            p.rollover = RolloverPolicy::from_input(r)?;
        }
        if let Some(v) = input.active {
            p.active = v;
        }
        if let Some(v) = input.featured {
            p.featured = v;
        }
        if input.sort_order.is_some() {
            p.sort_order = sort_order(input.sort_order, "sort_order")?;
        }
        if input.stripe_product_id.is_some() {
            p.stripe_product_id =
                parse_gateway_ref(input.stripe_product_id.as_deref(), "stripe_product_id")?;
        }
        if input.paypal_product_id.is_some() {
            p.paypal_product_id =
                parse_gateway_ref(input.paypal_product_id.as_deref(), "paypal_product_id")?;
        }
        if p == before {
            return Ok(p);
        }
        p.updated_at = self.clock.now();
        let action = if before.active && !p.active {
            "plan.archive"
        } else {
            "plan.update"
        };
        let audit = ctx.audit(
            p.updated_at,
            action,
            "plan",
            p.id.as_str(),
            None,
            Some(&before),
            Some(&p),
        );
        self.repos
            .plans
            .update(&p, &audit)
            .await
            .map_err(|e| slug_conflict(e, &p.slug))?;
        Ok(p)
    }
}
