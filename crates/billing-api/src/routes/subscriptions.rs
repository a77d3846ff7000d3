//! Subscriptions: subscribe, read, change plan, cancel and resume (the account or an
//! operator), the operators' listing, the account's entitlements.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, get, post};
use billing_domain::entities::{Subscription, SubscriptionStatus};
use billing_domain::ports::SubscriptionFilter;
use billing_domain::services::subscriptions::{
    CancelInput, ChangePlanInput, CreateSubscriptionInput, Entitlements, PaymentMethodSetup,
    PlanChange, SubscriptionCreated, SubscriptionDetail,
};
use billing_domain::types::PlanId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, OptionalJsonBody, page, timestamp};
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::{HandlerResult, PageQuery, path_ids};

crate::list_type!(SubscriptionList, Subscription);

/// Filters and pagination of the operators' subscription listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionQuery {
    /// `incomplete`, `incomplete_expired`, `trialing`, `active`, `past_due`, `unpaid`,
    /// `paused` or `canceled`.
    pub status: Option<String>,
    /// One plan's subscriptions (`plan_…`).
    pub plan_id: Option<String>,
    /// Subscriptions created at or after this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_gte: Option<String>,
    /// Subscriptions created before this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_lt: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Id of the last subscription of the previous page.
    pub starting_after: Option<String>,
}

impl SubscriptionQuery {
    fn filter(&self) -> Result<SubscriptionFilter, ApiError> {
        let status = self
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                SubscriptionStatus::parse(s).ok_or_else(|| {
                    ApiError::invalid(
                        "status",
                        "status must be one of incomplete, incomplete_expired, trialing, active, past_due, unpaid, paused, canceled",
                    )
                })
            })
            .transpose()?;
        let plan_id = self
            .plan_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|p| PlanId::parse(p, "plan_id"))
            .transpose()?;
        Ok(SubscriptionFilter {
            account_id: None,
            status,
            plan_id,
            from: timestamp(self.created_gte.as_deref(), "created_gte")?,
            to: timestamp(self.created_lt.as_deref(), "created_lt")?,
            gateway_payment_method: None,
        })
    }
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(change_plan)
        .service(cancel)
        .service(resume)
        .service(setup_payment_method)
        .service(entitlements)
        .service(admin_list);
}

/// Subscribe the account to a plan: the first invoice (`subscription_create`) and its payment
/// start at once (Stripe Checkout keeping the card for renewals, a PayPal link, or bank
/// details), unless the plan has a trial or is free. 409 `already_subscribed` for a second
/// live subscription to the same plan.
#[utoipa::path(tag = "subscriptions", request_body = CreateSubscriptionInput,
    params(("id" = String, Path, description = "Account id (`acct_…`)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    security(("bearer" = [])), responses((status = 201, body = SubscriptionCreated), PostErrors))]
#[post("/v1/accounts/{id}/subscriptions")]
async fn create(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<CreateSubscriptionInput>,
) -> HandlerResult {
    let created = state
        .payments
        .subscriptions
        .create(auth.ctx(), &id, body.0)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Created().json(created))
}

/// The account's subscriptions, newest first.
#[utoipa::path(tag = "subscriptions", params(("id" = String, Path, description = "Account id"), PageQuery),
    security(("bearer" = [])), responses((status = 200, body = SubscriptionList), StdErrors))]
#[get("/v1/accounts/{id}/subscriptions")]
async fn list(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    q: Query<PageQuery>,
) -> HandlerResult {
    let page = q.page()?;
    let subs = state
        .payments
        .subscriptions
        .list_for_account(auth.ctx(), &id, &page)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(SubscriptionList::from(subs)))
}

/// One subscription with every period billed.
#[utoipa::path(tag = "subscriptions", params(("id" = String, Path, description = "Account id"),
    ("sid" = String, Path, description = "Subscription id (`sub_…`)")),
    security(("bearer" = [])), responses((status = 200, body = SubscriptionDetail), StdErrors))]
#[get("/v1/accounts/{id}/subscriptions/{sid}")]
async fn get_one(state: Data<AppState>, auth: Auth, ids: Path<(String, String)>) -> HandlerResult {
    let (id, sid) = ids.into_inner();
    let sub = state
        .payments
        .subscriptions
        .get(auth.ctx(), &id, &sid)
        .await
        .map_err(path_ids(&["id", "subscription_id"]))?;
    Ok(HttpResponse::Ok().json(sub))
}

/// Change the plan of a trialing or active subscription. An upgrade (a higher or equal
/// yearly-normalized price, or another interval) is prorated to the second: the unused part
/// of what was billed is credited, the new plan's rest of the period charged, and a positive
/// net invoiced at once (`subscription_update`) and collected like a renewal; the plan
/// switches when it is paid (unpaid after 23 h, or at the period end, the upgrade is dropped).
/// A downgrade, or another currency, applies at the period end. During a trial the plan
/// switches at once and nothing is charged. `preview: true` returns the numbers and their
/// instant (`proration.at`) without applying; send that instant back as `proration_at` to
/// apply them exactly. 409 `subscription_not_changeable` unless trialing or active,
/// `already_subscribed` when the account has the new plan already.
#[utoipa::path(tag = "subscriptions", request_body = ChangePlanInput,
    params(("id" = String, Path, description = "Account id"), ("sid" = String, Path, description = "Subscription id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    security(("bearer" = [])), responses((status = 200, body = PlanChange), PostErrors))]
#[post("/v1/accounts/{id}/subscriptions/{sid}/change")]
async fn change_plan(
    state: Data<AppState>,
    auth: Auth,
    ids: Path<(String, String)>,
    body: JsonBody<ChangePlanInput>,
) -> HandlerResult {
    let (id, sid) = ids.into_inner();
    let change = state
        .payments
        .subscriptions
        .change_plan(auth.ctx(), &id, &sid, body.0)
        .await
        .map_err(path_ids(&["id", "subscription_id"]))?;
    Ok(HttpResponse::Ok().json(change))
}

/// Cancel now (an open renewal invoice is voided, no further retries) or, with
/// `at_period_end: true`, when the current period ends. 409 `subscription_ended` if it ended.
#[utoipa::path(tag = "subscriptions", request_body(content = CancelInput, description = "Optional"),
    params(("id" = String, Path, description = "Account id"), ("sid" = String, Path, description = "Subscription id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    security(("bearer" = [])), responses((status = 200, body = Subscription), PostErrors))]
#[post("/v1/accounts/{id}/subscriptions/{sid}/cancel")]
async fn cancel(
    state: Data<AppState>,
    auth: Auth,
    ids: Path<(String, String)>,
    body: OptionalJsonBody<CancelInput>,
) -> HandlerResult {
    let (id, sid) = ids.into_inner();
    let sub = state
        .payments
        .subscriptions
        .cancel(auth.ctx(), &id, &sid, body.0)
        .await
        .map_err(path_ids(&["id", "subscription_id"]))?;
    Ok(HttpResponse::Ok().json(sub))
}

/// Undo a cancel at the period end, before that end. 409 `not_canceling` or
/// `subscription_ended` otherwise.
#[utoipa::path(tag = "subscriptions",
    params(("id" = String, Path, description = "Account id"), ("sid" = String, Path, description = "Subscription id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    security(("bearer" = [])), responses((status = 200, body = Subscription), PostErrors))]
#[post("/v1/accounts/{id}/subscriptions/{sid}/resume")]
async fn resume(state: Data<AppState>, auth: Auth, ids: Path<(String, String)>) -> HandlerResult {
    let (id, sid) = ids.into_inner();
    let sub = state
        .payments
        .subscriptions
        .resume(auth.ctx(), &id, &sid)
        .await
        .map_err(path_ids(&["id", "subscription_id"]))?;
    Ok(HttpResponse::Ok().json(sub))
}

/// Open a Stripe Checkout session (`mode=setup`) where the payer gives a card for the
/// subscription without paying now: for a trial, to resume a `paused` subscription, or to
/// replace the card of a live one. The card is kept when Stripe reports it
/// (`setup_intent.succeeded` or `checkout.session.completed`); a paused subscription then
/// restarts and a past-due one is charged again at once. 409 `setup_unsupported` for a
/// subscription paid by bank transfer, wallet or PayPal, `invalid_state` for an ended or
/// incomplete one.
#[utoipa::path(tag = "subscriptions",
    params(("id" = String, Path, description = "Account id"), ("sid" = String, Path, description = "Subscription id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    security(("bearer" = [])), responses((status = 200, body = PaymentMethodSetup), PostErrors))]
#[post("/v1/accounts/{id}/subscriptions/{sid}/payment-method")]
async fn setup_payment_method(
    state: Data<AppState>,
    auth: Auth,
    ids: Path<(String, String)>,
) -> HandlerResult {
    let (id, sid) = ids.into_inner();
    let setup = state
        .payments
        .subscriptions
        .setup_payment_method(auth.ctx(), &id, &sid)
        .await
        .map_err(path_ids(&["id", "subscription_id"]))?;
    Ok(HttpResponse::Ok().json(setup))
}

/// What the account may use now: the plans whose subscription is trialing, active or past due
/// (until the final action) and the union of their features.
#[utoipa::path(tag = "subscriptions", params(("id" = String, Path, description = "Account id")),
    security(("bearer" = [])), responses((status = 200, body = Entitlements), StdErrors))]
#[get("/v1/accounts/{id}/entitlements")]
async fn entitlements(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let e = state
        .payments
        .subscriptions
        .entitlements(auth.ctx(), &id)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(e))
}

/// Every subscription (admin), newest first, by status, plan and creation time.
#[utoipa::path(tag = "subscriptions", params(SubscriptionQuery), security(("bearer" = [])),
    responses((status = 200, body = SubscriptionList), StdErrors))]
#[get("/v1/admin/subscriptions")]
async fn admin_list(
    state: Data<AppState>,
    auth: Auth,
    q: Query<SubscriptionQuery>,
) -> HandlerResult {
    let filter = q.filter()?;
    let page = page(q.limit.as_deref(), q.starting_after.clone())?;
    let subs = state
        .payments
        .subscriptions
        .list_all(auth.ctx(), &filter, &page)
        .await?;
    Ok(HttpResponse::Ok().json(SubscriptionList::from(subs)))
}
