//! Credit packages: the public catalog and its administration.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, delete, get, patch, post};
use billing_domain::entities::CreditPackage;
use billing_domain::services::credit_packages::CreditPackageInput;
use billing_domain::types::Currency;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::{Auth, MaybeAuth};
use crate::extract::JsonBody;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::HandlerResult;

/// What a package costs in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackagePrice {
    /// ISO 4217 code.
    pub currency: Currency,
    /// List price, integer minor units.
    pub amount: i64,
    /// The discount (amount × discount %, rounded half away from zero to the minor unit).
    pub discount: i64,
    /// What the buyer pays: amount − discount.
    pub net_amount: i64,
}

/// A package with what it costs in each currency it is sold in.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditPackageView {
    /// The package (its `prices` are the list prices, the shape `prices` is written in).
    #[serde(flatten)]
    pub package: CreditPackage,
    /// Per currency, in the order of `prices`: list price, discount, net price.
    pub net_prices: Vec<PackagePrice>,
}

impl From<CreditPackage> for CreditPackageView {
    fn from(p: CreditPackage) -> Self {
        Self {
            net_prices: p
                .prices
                .prices()
                .iter()
                .map(|price| PackagePrice {
                    currency: price.currency,
                    amount: price.amount,
                    discount: p.discount_on(*price).amount,
                    net_amount: p.net_of(*price).amount,
                })
                .collect(),
            package: p,
        }
    }
}

crate::list_type!(CreditPackageList, CreditPackageView);

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_public)
        .service(list_admin)
        .service(create)
        .service(get_one)
        .service(update)
        .service(deactivate);
}

fn list(v: Vec<CreditPackage>) -> CreditPackageList {
    CreditPackageList::from(
        v.into_iter()
            .map(CreditPackageView::from)
            .collect::<Vec<_>>(),
    )
}

/// Active packages in public order: featured first, then `sort_order`. No key needed.
#[utoipa::path(tag = "catalog", responses((status = 200, body = CreditPackageList), StdErrors))]
#[get("/v1/credit-packages")]
async fn list_public(state: Data<AppState>, _auth: MaybeAuth) -> HandlerResult {
    Ok(HttpResponse::Ok().json(list(state.services.packages.list_public().await?)))
}

/// Every package, active or not (admin).
#[utoipa::path(tag = "catalog", security(("bearer" = [])), responses((status = 200, body = CreditPackageList), StdErrors))]
#[get("/v1/admin/credit-packages")]
async fn list_admin(state: Data<AppState>, auth: Auth) -> HandlerResult {
    Ok(HttpResponse::Ok().json(list(state.services.packages.list_all(auth.ctx()).await?)))
}

/// Create a package (admin).
#[utoipa::path(tag = "catalog", request_body = CreditPackageInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = CreditPackageView), PostErrors))]
#[post("/v1/admin/credit-packages")]
async fn create(
    state: Data<AppState>,
    auth: Auth,
    body: JsonBody<CreditPackageInput>,
) -> HandlerResult {
    let p = state.services.packages.create(auth.ctx(), body.0).await?;
    Ok(HttpResponse::Created().json(CreditPackageView::from(p)))
}

/// Get a package (admin; inactive ones included).
#[utoipa::path(tag = "catalog", params(("id" = String, Path, description = "Package id (`cpkg_…`)")), security(("bearer" = [])),
    responses((status = 200, body = CreditPackageView), StdErrors))]
#[get("/v1/admin/credit-packages/{id}")]
async fn get_one(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    auth.ctx().principal.ensure_admin()?;
    Ok(HttpResponse::Ok().json(CreditPackageView::from(
        state.services.packages.get(auth.ctx(), &id).await?,
    )))
}

/// Update a package (admin); absent fields stay; `active: false` deactivates it.
#[utoipa::path(tag = "catalog", request_body = CreditPackageInput, params(("id" = String, Path, description = "Package id")), security(("bearer" = [])),
    responses((status = 200, body = CreditPackageView), PostErrors))]
#[patch("/v1/admin/credit-packages/{id}")]
async fn update(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<CreditPackageInput>,
) -> HandlerResult {
    Ok(HttpResponse::Ok().json(CreditPackageView::from(
        state
            .services
            .packages
            .update(auth.ctx(), &id, body.0)
            .await?,
    )))
}

/// Deactivate a package (admin). Packages are never deleted: invoices refer to them.
#[utoipa::path(tag = "catalog", params(("id" = String, Path, description = "Package id")), security(("bearer" = [])),
    responses((status = 200, body = CreditPackageView), StdErrors))]
#[delete("/v1/admin/credit-packages/{id}")]
async fn deactivate(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let input = CreditPackageInput {
        active: Some(false),
        ..CreditPackageInput::default()
    };
    Ok(HttpResponse::Ok().json(CreditPackageView::from(
        state
            .services
            .packages
            .update(auth.ctx(), &id, input)
            .await?,
    )))
}
