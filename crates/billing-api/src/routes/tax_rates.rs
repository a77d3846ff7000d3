//! Tax rates (admin, audited) and which one applies to an account, with the rule table's
//! explanation (like the payment-method resolver's).

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post, put};
use billing_domain::entities::TaxRate;
use billing_domain::services::tax_rates::{
    TaxExemption, TaxExemptionInput, TaxRateInput, TaxTreatmentView,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::JsonBody;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::{HandlerResult, path_ids};

crate::list_type!(TaxRateList, TaxRate);

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_rate)
        .service(update)
        .service(treatment)
        .service(exempt)
        .service(lift_exemption);
}

/// Filter of the listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaxRateQuery {
    /// Only the rates of this ISO 3166-1 country.
    pub country: Option<String>,
}

/// Tax rates (admin), by country and region; optionally of one country.
#[utoipa::path(tag = "tax", params(TaxRateQuery), security(("bearer" = [])), responses((status = 200, body = TaxRateList), StdErrors))]
#[get("/v1/admin/tax-rates")]
async fn list(state: Data<AppState>, auth: Auth, q: Query<TaxRateQuery>) -> HandlerResult {
    let country = q.country.as_deref().filter(|c| !c.is_empty());
    let all = state.tax_rates.list(auth.ctx(), country).await?;
    Ok(HttpResponse::Ok().json(TaxRateList::from(all)))
}

/// Create a tax rate (admin): display name, country, optional region, percentage (a string,
/// 0–100, at most 4 decimals), inclusive or exclusive, active. One active rate per country
/// and region (409 `tax_rate_overlap` otherwise).
#[utoipa::path(tag = "tax", request_body = TaxRateInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = TaxRate), PostErrors))]
#[post("/v1/admin/tax-rates")]
async fn create(state: Data<AppState>, auth: Auth, body: JsonBody<TaxRateInput>) -> HandlerResult {
    Ok(HttpResponse::Created().json(state.tax_rates.create(auth.ctx(), body.0).await?))
}

/// Get a tax rate (admin).
#[utoipa::path(tag = "tax", params(("id" = String, Path, description = "Tax rate id (`txr_…`)")), security(("bearer" = [])),
    responses((status = 200, body = TaxRate), StdErrors))]
#[get("/v1/admin/tax-rates/{id}")]
async fn get_rate(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let rate = state
        .tax_rates
        .get(auth.ctx(), &id)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(rate))
}

/// Change a tax rate (admin); absent fields keep their value. Finalized invoices keep the
/// rate they were computed with.
#[utoipa::path(tag = "tax", request_body = TaxRateInput, params(("id" = String, Path, description = "Tax rate id")), security(("bearer" = [])),
    responses((status = 200, body = TaxRate), PostErrors))]
#[patch("/v1/admin/tax-rates/{id}")]
async fn update(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<TaxRateInput>,
) -> HandlerResult {
    let rate = state
        .tax_rates
        .update(auth.ctx(), &id, body.0)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(rate))
}

/// Which tax applies to an account (admin): taxed at a rate, reverse charge, or not taxed
/// with the reason, and each rule of the table considered ([docs/tax.md](docs/tax.md)).
#[utoipa::path(tag = "tax", params(("id" = String, Path, description = "Account id (`acct_…`)")), security(("bearer" = [])),
    responses((status = 200, body = TaxTreatmentView),
        (status = 422, description = "The account has no billing profile (no country to tax by)", body = crate::error::ErrorResponse), StdErrors))]
#[get("/v1/admin/accounts/{id}/tax-treatment")]
async fn treatment(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let view = state
        .tax_rates
        .treatment(auth.ctx(), &id)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(view))
}

/// Exempt an account from tax (admin), with the reason its invoices will record (required);
/// exempting again replaces the reason. Audited.
#[utoipa::path(tag = "tax", request_body = TaxExemptionInput, params(("id" = String, Path, description = "Account id (`acct_…`)")),
    security(("bearer" = [])), responses((status = 200, body = TaxExemption), PostErrors))]
#[put("/v1/admin/accounts/{id}/tax-exemption")]
async fn exempt(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<TaxExemptionInput>,
) -> HandlerResult {
    let done = state
        .tax_rates
        .exempt(auth.ctx(), &id, body.0)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(done))
}

/// Lift an account's tax exemption (admin); lifting none is harmless. Audited.
#[utoipa::path(tag = "tax", params(("id" = String, Path, description = "Account id (`acct_…`)")),
    security(("bearer" = [])), responses((status = 204, description = "Lifted"), StdErrors))]
#[delete("/v1/admin/accounts/{id}/tax-exemption")]
async fn lift_exemption(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    state
        .tax_rates
        .lift_exemption(auth.ctx(), &id)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::NoContent().finish())
}
