//! Payment method configs (admin) and the methods an account may use.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post};
use billing_domain::entities::PaymentMethodConfig;
use billing_domain::services::MethodDecision;
use billing_domain::services::payment_method_configs::PaymentMethodConfigInput;
use billing_domain::types::money::MAX_AMOUNT_MINOR;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::{JsonBody, integer};
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::HandlerResult;

crate::list_type!(PaymentMethodConfigList, PaymentMethodConfig);
crate::list_type!(MethodDecisionList, MethodDecision);

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_configs)
        .service(create_config)
        .service(get_config)
        .service(update_config)
        .service(delete_config)
        .service(available)
        .service(explain);
}

/// Filter of the admin listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConfigQuery {
    /// ISO country code, or `default` for the configs that apply to every country.
    pub country: Option<String>,
}

/// What the payer would pay.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResolveQuery {
    /// ISO 4217 currency; defaults to the account's preferred currency.
    pub currency: Option<String>,
    /// Amount in minor units, checked against each method's limits.
    #[param(value_type = Option<i64>)]
    pub amount: Option<String>,
}

/// The `amount` query: whole minor units from 0 to [`MAX_AMOUNT_MINOR`], as documented.
fn amount_query(v: Option<&str>) -> Result<Option<i64>, crate::error::ApiError> {
    match integer(v, "amount")? {
        Some(n) if !(0..=MAX_AMOUNT_MINOR).contains(&n) => Err(crate::error::ApiError::invalid(
            "amount",
            format!("amount must be between 0 and {MAX_AMOUNT_MINOR}"),
        )),
        other => Ok(other),
    }
}

/// Payment method configs (admin), optionally of one country.
#[utoipa::path(tag = "payment-methods", params(ConfigQuery), security(("bearer" = [])), responses((status = 200, body = PaymentMethodConfigList), StdErrors))]
#[get("/v1/admin/payment-method-configs")]
async fn list_configs(state: Data<AppState>, auth: Auth, q: Query<ConfigQuery>) -> HandlerResult {
    let v = state
        .services
        .payment_methods
        .list(auth.ctx(), q.country.as_deref().filter(|c| !c.is_empty()))
        .await?;
    Ok(HttpResponse::Ok().json(PaymentMethodConfigList::from(v)))
}

/// Create a payment method config (admin).
#[utoipa::path(tag = "payment-methods", request_body = PaymentMethodConfigInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = PaymentMethodConfig), PostErrors))]
#[post("/v1/admin/payment-method-configs")]
async fn create_config(
    state: Data<AppState>,
    auth: Auth,
    body: JsonBody<PaymentMethodConfigInput>,
) -> HandlerResult {
    Ok(HttpResponse::Created().json(
        state
            .services
            .payment_methods
            .create(auth.ctx(), body.0)
            .await?,
    ))
}

/// Get a payment method config (admin).
#[utoipa::path(tag = "payment-methods", params(("id" = String, Path, description = "Config id (`pmc_…`)")), security(("bearer" = [])),
    responses((status = 200, body = PaymentMethodConfig), StdErrors))]
#[get("/v1/admin/payment-method-configs/{id}")]
async fn get_config(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(state.services.payment_methods.get(auth.ctx(), &id).await?))
}

/// Update a payment method config (admin); `country` and `method` cannot change.
#[utoipa::path(tag = "payment-methods", request_body = PaymentMethodConfigInput, params(("id" = String, Path, description = "Config id")), security(("bearer" = [])),
    responses((status = 200, body = PaymentMethodConfig), PostErrors))]
#[patch("/v1/admin/payment-method-configs/{id}")]
async fn update_config(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<PaymentMethodConfigInput>,
) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .services
            .payment_methods
            .update(auth.ctx(), &id, body.0)
            .await?,
    ))
}

/// Delete a payment method config (admin); returns the deleted config.
#[utoipa::path(tag = "payment-methods", params(("id" = String, Path, description = "Config id")), security(("bearer" = [])),
    responses((status = 200, body = PaymentMethodConfig), StdErrors))]
#[delete("/v1/admin/payment-method-configs/{id}")]
async fn delete_config(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .services
            .payment_methods
            .delete(auth.ctx(), &id)
            .await?,
    ))
}

/// The payment methods this account may use, in the payer's order.
#[utoipa::path(tag = "payment-methods", params(("id" = String, Path, description = "Account id"), ResolveQuery), security(("bearer" = [])),
    responses((status = 200, body = PaymentMethodConfigList), StdErrors))]
#[get("/v1/accounts/{id}/payment-methods")]
async fn available(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    q: Query<ResolveQuery>,
) -> HandlerResult {
    let amount = amount_query(q.amount.as_deref())?;
    let v = state
        .services
        .payment_methods
        .available(
            auth.ctx(),
            &id,
            q.currency.as_deref().filter(|c| !c.is_empty()),
            amount,
        )
        .await?;
    Ok(HttpResponse::Ok().json(PaymentMethodConfigList::from(v)))
}

/// Every config's decision for this account, with the reason each excluded one is left out (admin).
#[utoipa::path(tag = "payment-methods", params(("id" = String, Path, description = "Account id"), ResolveQuery), security(("bearer" = [])),
    responses((status = 200, body = MethodDecisionList), StdErrors))]
#[get("/v1/admin/accounts/{id}/payment-methods/explain")]
async fn explain(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    q: Query<ResolveQuery>,
) -> HandlerResult {
    let amount = amount_query(q.amount.as_deref())?;
    let v = state
        .services
        .payment_methods
        .explain(
            auth.ctx(),
            &id,
            q.currency.as_deref().filter(|c| !c.is_empty()),
            amount,
        )
        .await?;
    Ok(HttpResponse::Ok().json(MethodDecisionList::from(v)))
}
