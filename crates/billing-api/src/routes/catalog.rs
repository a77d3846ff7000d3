//! Credit packages: the public catalog and its administration.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, delete, get, patch, post};
use billing_domain::entities::CreditPackage;
use billing_domain::services::credit_packages::CreditPackageInput;
use billing_domain::types::Money;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::{Auth, MaybeAuth};
use crate::extract::JsonBody;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::HandlerResult;

/// A package with its computed prices.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditPackageView {
    /// The package.
    #[serde(flatten)]
    pub package: CreditPackage,
    /// The discount amount (price × discount %, rounded half away from zero to the minor unit).
    pub discount: Money,
    /// What the buyer pays: price − discount.
    pub net_price: Money,
}

impl From<CreditPackage> for CreditPackageView {
    fn from(p: CreditPackage) -> Self {
        Self {
            discount: p.discount(),
            net_price: p.net_price(),
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
