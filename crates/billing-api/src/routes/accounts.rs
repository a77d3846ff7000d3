//! Accounts and billing profiles.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, get, patch, post, put};
use billing_domain::entities::{Account, BillingProfile};
use billing_domain::services::accounts::{
    BillingProfileInput, CreateAccountInput, UpdateAccountInput,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::JsonBody;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::HandlerResult;

crate::list_type!(AccountList, Account);

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_account)
        .service(list_accounts)
        .service(get_account)
        .service(update_account)
        .service(get_billing_profile)
        .service(put_billing_profile);
}

/// Create an account (service or admin key).
#[utoipa::path(tag = "accounts", request_body = CreateAccountInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, description = "Created", body = Account), PostErrors))]
#[post("/v1/accounts")]
async fn create_account(
    state: Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateAccountInput>,
) -> HandlerResult {
    let a = state.services.accounts.create(auth.ctx(), body.0).await?;
    Ok(HttpResponse::Created().json(a))
}

/// Filters of the account listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountListQuery {
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Id of the last account of the previous page.
    pub starting_after: Option<String>,
    /// Only the account with this external id (your platform's own id for it).
    pub external_id: Option<String>,
}

/// List accounts, newest first (an account key sees only its own); `external_id` finds the
/// account your platform knows by that id.
#[utoipa::path(tag = "accounts", params(AccountListQuery), security(("bearer" = [])), responses((status = 200, body = AccountList), StdErrors))]
#[get("/v1/accounts")]
async fn list_accounts(
    state: Data<AppState>,
    auth: Auth,
    q: Query<AccountListQuery>,
) -> HandlerResult {
    let page_request = crate::extract::page(q.limit.as_deref(), q.starting_after.clone())?;
    let page = state
        .services
        .accounts
        .list(auth.ctx(), &page_request, q.external_id.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(AccountList::from(page)))
}

/// Get an account.
#[utoipa::path(tag = "accounts", params(("id" = String, Path, description = "Account id (`acct_…`)")), security(("bearer" = [])),
    responses((status = 200, body = Account), StdErrors))]
#[get("/v1/accounts/{id}")]
async fn get_account(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(state.services.accounts.get(auth.ctx(), &id).await?))
}

/// Update an account's name, external id, low-balance threshold or metadata (service or admin key).
#[utoipa::path(tag = "accounts", request_body = UpdateAccountInput, params(("id" = String, Path, description = "Account id")), security(("bearer" = [])),
    responses((status = 200, body = Account), PostErrors))]
#[patch("/v1/accounts/{id}")]
async fn update_account(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<UpdateAccountInput>,
) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .services
            .accounts
            .update(auth.ctx(), &id, body.0)
            .await?,
    ))
}

/// Get an account's billing profile (404 `resource_missing` when it has none yet).
#[utoipa::path(tag = "accounts", params(("id" = String, Path, description = "Account id")), security(("bearer" = [])),
    responses((status = 200, body = BillingProfile), StdErrors))]
#[get("/v1/accounts/{id}/billing-profile")]
async fn get_billing_profile(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .services
            .accounts
            .billing_profile(auth.ctx(), &id)
            .await?,
    ))
}

/// Replace an account's billing profile as a whole (account keys may edit their own).
#[utoipa::path(tag = "accounts", request_body = BillingProfileInput, params(("id" = String, Path, description = "Account id")), security(("bearer" = [])),
    responses((status = 200, body = BillingProfile), PostErrors))]
#[put("/v1/accounts/{id}/billing-profile")]
async fn put_billing_profile(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<BillingProfileInput>,
) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .services
            .accounts
            .replace_billing_profile(auth.ctx(), &id, body.0)
            .await?,
    ))
}
