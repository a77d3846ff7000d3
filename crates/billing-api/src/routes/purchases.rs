//! Buying credits and paying invoices: both answer the invoice, the payment and what the
//! payer must do next (bank details and reference for manual methods, a redirect URL later).

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, post};
use billing_domain::services::purchases::{PayInvoiceInput, PurchaseInput, PurchaseResult};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::JsonBody;
use crate::openapi::PostErrors;
use crate::routes::{HandlerResult, path_ids};

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(purchase).service(pay_invoice);
}

/// Buy a credit package: checks the method is offered to the account (country, currency,
/// amount limits; a refused method says why in `error.message`, `param` = `payment_method`),
/// creates the finalized invoice and the payment, and starts it. For `bank_transfer` and
/// `local_wallet`, `next_action` holds the instructions, the bank or wallet details, the exact
/// amount and the unique reference to quote.
#[utoipa::path(tag = "payments", request_body = PurchaseInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: without it a retry buys twice")),
    responses((status = 201, body = PurchaseResult), PostErrors))]
#[post("/v1/accounts/{id}/purchases")]
async fn purchase(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<PurchaseInput>,
) -> HandlerResult {
    let r = state
        .payments
        .purchases
        .purchase(auth.ctx(), &id, body.0)
        .await?;
    Ok(HttpResponse::Created().json(r))
}

/// Pay the amount due on a pending (or uncollectible) invoice of the account: a manual
/// invoice, or the rest of a partly paid one. Same answer as a purchase.
#[utoipa::path(tag = "payments", request_body = PayInvoiceInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"), ("iid" = String, Path, description = "Invoice id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = PurchaseResult), PostErrors))]
#[post("/v1/accounts/{id}/invoices/{iid}/payments")]
async fn pay_invoice(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, String)>,
    body: JsonBody<PayInvoiceInput>,
) -> HandlerResult {
    let (id, iid) = path.into_inner();
    let r = state
        .payments
        .purchases
        .pay_invoice(auth.ctx(), &id, &iid, body.0)
        .await
        .map_err(path_ids(&["invoice_id"]))?;
    Ok(HttpResponse::Created().json(r))
}
