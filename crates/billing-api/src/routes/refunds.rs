//! Refunds (admin): full or partial, through the gateway that took the money; for manual
//! payments the money goes back outside the system and the refund is recorded. Credits are
//! clawed back pro rata (see `billing_domain::services::refunds`).

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use billing_domain::entities::Refund;
use billing_domain::services::refunds::RefundInput;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::JsonBody;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::HandlerResult;

crate::list_type!(RefundList, Refund);

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create).service(list);
}

/// Refund a succeeded payment (admin; `reason` required, `amount` defaults to everything still
/// refundable). More than the refundable amount is 400 `amount`. Credits are clawed back by the
/// written rule, never below zero: what the balance cannot cover is `credits_deficit`.
///
/// The refund is recorded before the gateway is asked, so concurrent refunds never return more
/// than was paid. The gateway refusing is 409 `refund_declined`: the refund stays listed as
/// `failed` and its amount and credits are given back. A gateway that does not answer leaves
/// the refund `pending` (201); a background job asks again with the same idempotency key.
#[utoipa::path(tag = "payments", request_body = RefundInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Payment id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: without it a retry refunds twice")),
    responses((status = 201, body = Refund), PostErrors))]
#[post("/v1/admin/payments/{id}/refunds")]
async fn create(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<RefundInput>,
) -> HandlerResult {
    Ok(HttpResponse::Created().json(
        state
            .payments
            .refunds
            .refund(auth.ctx(), &id, body.0)
            .await?,
    ))
}

/// The refunds of a payment, oldest first (admin).
#[utoipa::path(tag = "payments", params(("id" = String, Path, description = "Payment id")), security(("bearer" = [])),
    responses((status = 200, body = RefundList), StdErrors))]
#[get("/v1/admin/payments/{id}/refunds")]
async fn list(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let v = state
        .payments
        .payments
        .refunds(auth.ctx(), None, &id)
        .await?;
    Ok(HttpResponse::Ok().json(RefundList::from(v)))
}
