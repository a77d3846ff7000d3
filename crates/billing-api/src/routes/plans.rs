//! Subscription plans: the public listing and its administration.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, delete, get, patch, post};
use billing_domain::entities::Plan;
use billing_domain::services::plans::PlanInput;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::{Auth, MaybeAuth};
use crate::extract::JsonBody;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::{HandlerResult, path_ids};

crate::list_type!(PlanList, Plan);

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_public)
        .service(list_admin)
        .service(create)
        .service(get_one)
        .service(update)
        .service(archive);
}

/// Active plans in public order: featured first, then `sort_order`. No key needed.
#[utoipa::path(tag = "plans", responses((status = 200, body = PlanList), StdErrors))]
#[get("/v1/plans")]
async fn list_public(state: Data<AppState>, _auth: MaybeAuth) -> HandlerResult {
    Ok(HttpResponse::Ok().json(PlanList::from(state.services.plans.list_public().await?)))
}

/// Every plan, archived ones included (admin).
#[utoipa::path(tag = "plans", security(("bearer" = [])), responses((status = 200, body = PlanList), StdErrors))]
#[get("/v1/admin/plans")]
async fn list_admin(state: Data<AppState>, auth: Auth) -> HandlerResult {
    Ok(HttpResponse::Ok().json(PlanList::from(
        state.services.plans.list_all(auth.ctx()).await?,
    )))
}

/// Create a plan (admin). A retry schedule that does not end before the shortest period of
/// the interval is refused (`dunning.retry_days`).
#[utoipa::path(tag = "plans", request_body = PlanInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = Plan), PostErrors))]
#[post("/v1/admin/plans")]
async fn create(state: Data<AppState>, auth: Auth, body: JsonBody<PlanInput>) -> HandlerResult {
    let p = state.services.plans.create(auth.ctx(), body.0).await?;
    Ok(HttpResponse::Created().json(p))
}

/// Get a plan (admin; archived ones included).
#[utoipa::path(tag = "plans", params(("id" = String, Path, description = "Plan id (`plan_…`)")), security(("bearer" = [])),
    responses((status = 200, body = Plan), StdErrors))]
#[get("/v1/admin/plans/{id}")]
async fn get_one(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    auth.ctx().principal.ensure_admin()?;
    let p = state
        .services
        .plans
        .get(auth.ctx(), &id)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(p))
}

/// Update a plan (admin); absent fields stay. New prices apply from each subscriber's next
/// period; `active: false` archives it.
#[utoipa::path(tag = "plans", request_body = PlanInput, params(("id" = String, Path, description = "Plan id")), security(("bearer" = [])),
    responses((status = 200, body = Plan), PostErrors))]
#[patch("/v1/admin/plans/{id}")]
async fn update(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<PlanInput>,
) -> HandlerResult {
    let p = state
        .services
        .plans
        .update(auth.ctx(), &id, body.0)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(p))
}

/// Archive a plan (admin): no new subscriptions; existing ones go on. Plans are never
/// deleted: subscriptions and invoices refer to them.
#[utoipa::path(tag = "plans", params(("id" = String, Path, description = "Plan id")), security(("bearer" = [])),
    responses((status = 200, body = Plan), StdErrors))]
#[delete("/v1/admin/plans/{id}")]
async fn archive(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let input = PlanInput {
        active: Some(false),
        ..PlanInput::default()
    };
    let p = state
        .services
        .plans
        .update(auth.ctx(), &id, input)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(p))
}
