//! Reservations: hold credits for a long operation, then commit all or part, or release.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use billing_domain::entities::Reservation;
use billing_domain::services::reservations::{CommitInput, HoldInput};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::{JsonBody, OptionalJsonBody};
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::HandlerResult;

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(hold)
        .service(get_one)
        .service(commit)
        .service(release);
}

/// Hold credits (service or admin key); they expire after `expires_in_seconds` (default 900).
#[utoipa::path(tag = "credits", request_body = HoldInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = Reservation), (status = 402, description = "Insufficient credits", body = crate::error::ErrorResponse), PostErrors))]
#[post("/v1/accounts/{id}/credits/reservations")]
async fn hold(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<HoldInput>,
) -> HandlerResult {
    Ok(HttpResponse::Created().json(
        state
            .services
            .reservations
            .hold(auth.ctx(), &id, body.0)
            .await?,
    ))
}

/// Get a reservation.
#[utoipa::path(tag = "credits", params(("id" = String, Path, description = "Account id"), ("rid" = String, Path, description = "Reservation id (`rsv_…`)")),
    security(("bearer" = [])), responses((status = 200, body = Reservation), StdErrors))]
#[get("/v1/accounts/{id}/credits/reservations/{rid}")]
async fn get_one(state: Data<AppState>, auth: Auth, path: Path<(String, String)>) -> HandlerResult {
    let (id, rid) = path.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .services
            .reservations
            .get(auth.ctx(), &id, &rid)
            .await?,
    ))
}

/// Commit a reservation: spend `credits` (default: all held); the rest is freed.
#[utoipa::path(tag = "credits", request_body(content = CommitInput, description = "Optional"), security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"), ("rid" = String, Path, description = "Reservation id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 200, body = Reservation), PostErrors))]
#[post("/v1/accounts/{id}/credits/reservations/{rid}/commit")]
async fn commit(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, String)>,
    body: OptionalJsonBody<CommitInput>,
) -> HandlerResult {
    let (id, rid) = path.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .services
            .reservations
            .commit(auth.ctx(), &id, &rid, body.0)
            .await?,
    ))
}

/// Release a reservation: every held credit becomes available again.
#[utoipa::path(tag = "credits", security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"), ("rid" = String, Path, description = "Reservation id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 200, body = Reservation), PostErrors))]
#[post("/v1/accounts/{id}/credits/reservations/{rid}/release")]
async fn release(state: Data<AppState>, auth: Auth, path: Path<(String, String)>) -> HandlerResult {
    let (id, rid) = path.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .services
            .reservations
            .release(auth.ctx(), &id, &rid)
            .await?,
    ))
}
