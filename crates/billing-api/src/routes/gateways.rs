//! Stripe and PayPal talking back: signed webhooks and the payer's return from PayPal.
//!
//! The webhooks carry no API key (the gateway's signature is the authentication) and are not
//! subject to `Idempotency-Key` (events are deduplicated by their id). The raw body is handed
//! to the gateway's verifier byte for byte, with every header.

use actix_web::http::header::LOCATION;
use actix_web::web::{Data, Payload, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use billing_domain::entities::PaymentMethodKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::error::{ApiError, ErrorResponse};
use crate::routes::HandlerResult;

/// The largest webhook body accepted (gateways send a few KiB).
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(stripe_webhook)
        .service(paypal_webhook)
        .service(paypal_return);
}

/// The answer to a webhook delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReceiptBody {
    /// The gateway's event id.
    pub event_id: String,
    /// The gateway's event type.
    pub event_type: String,
    /// `applied`, `duplicate` (processed before: nothing changed) or `ignored` (recorded,
    /// means nothing for us).
    #[schema(example = "applied")]
    pub disposition: String,
}

async fn webhook(
    state: &AppState,
    method: PaymentMethodKind,
    req: &HttpRequest,
    payload: Payload,
) -> HandlerResult {
    // A delivery without its signature is malformed whether or not the gateway is set up.
    if method == PaymentMethodKind::Stripe && !req.headers().contains_key("stripe-signature") {
        return Err(ApiError::invalid(
            "Stripe-Signature",
            "the Stripe-Signature header is required",
        ));
    }
    let body =
        crate::extract::raw_body(payload.into_inner(), MAX_WEBHOOK_BYTES, req.path()).await?;
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let receipt = state
        .payments
        .events
        .handle_webhook(method, &headers, &body)
        .await?;
    Ok(HttpResponse::Ok().json(receipt))
}

/// Stripe webhook endpoint: verifies `Stripe-Signature` over the raw body, records the event
/// (deduplicated by id) and applies it. 400 for a bad signature (nothing stored); 5xx when
/// applying failed, so Stripe delivers again. No API key.
#[utoipa::path(tag = "payments",
    request_body(content = String, content_type = "application/json", description = "The Stripe event, exactly as Stripe sent it"),
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature header")),
    responses((status = 200, body = WebhookReceiptBody),
        (status = 400, body = ErrorResponse, description = "Missing or invalid signature, or not an event"),
        (status = 404, body = ErrorResponse, description = "Stripe is not configured in this deployment (`gateway_not_configured`)"),
        (status = 413, body = ErrorResponse, description = "Body above 1 MiB"),
        (status = 500, body = ErrorResponse, description = "Applying failed; Stripe retries"),
        (status = 503, body = ErrorResponse, description = "The store or Stripe is unreachable")))]
#[post("/v1/webhooks/stripe")]
async fn stripe_webhook(
    state: Data<AppState>,
    req: HttpRequest,
    payload: Payload,
) -> HandlerResult {
    webhook(&state, PaymentMethodKind::Stripe, &req, payload).await
}

/// PayPal webhook endpoint: verifies the `PAYPAL-*` transmission headers (locally or with
/// PayPal's verification API), records the event (deduplicated by id) and applies it. 400 for
/// a bad signature (nothing stored); 5xx when applying failed, so PayPal delivers again.
/// No API key.
#[utoipa::path(tag = "payments",
    request_body(content = String, content_type = "application/json", description = "The PayPal event, exactly as PayPal sent it"),
    responses((status = 200, body = WebhookReceiptBody),
        (status = 400, body = ErrorResponse, description = "Missing or invalid signature, or not an event"),
        (status = 404, body = ErrorResponse, description = "PayPal is not configured in this deployment (`gateway_not_configured`)"),
        (status = 413, body = ErrorResponse, description = "Body above 1 MiB"),
        (status = 500, body = ErrorResponse, description = "Applying failed; PayPal retries"),
        (status = 503, body = ErrorResponse, description = "The store or PayPal is unreachable")))]
#[post("/v1/webhooks/paypal")]
async fn paypal_webhook(
    state: Data<AppState>,
    req: HttpRequest,
    payload: Payload,
) -> HandlerResult {
    webhook(&state, PaymentMethodKind::Paypal, &req, payload).await
}

/// The query PayPal appends to the return URL.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayPalReturnQuery {
    /// The PayPal order id.
    #[param(required = true, min_length = 1)]
    pub token: Option<String>,
    /// The payer's PayPal id (unused).
    #[serde(rename = "PayerID")]
    #[param(rename = "PayerID")]
    pub payer_id: Option<String>,
}

/// The JSON answer of the return when no return page is configured.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayPalReturnBody {
    /// Our payment id.
    pub payment_id: String,
    /// The payment's status after the capture (`succeeded`, `processing`, …).
    pub status: String,
}

/// Where PayPal sends the payer after approving (`BILLING_PAYPAL_RETURN_URL` should point
/// here): captures the order unless that already happened, then redirects (303) to
/// `BILLING_PAYPAL_RETURN_PAGE` with `payment_id` and `status` appended, or answers them as
/// JSON when no page is configured. No API key: the order id is the payer's proof.
#[utoipa::path(tag = "payments", params(PayPalReturnQuery),
    responses((status = 303, description = "Redirect to the configured return page"),
        (status = 200, body = PayPalReturnBody, description = "No return page configured"),
        (status = 400, body = ErrorResponse, description = "No token"),
        (status = 404, body = ErrorResponse, description = "No payment for this order"),
        (status = 409, body = ErrorResponse, description = "PayPal declined the capture"),
        (status = 503, body = ErrorResponse, description = "PayPal unreachable; the webhook or the janitor will capture")))]
#[get("/v1/paypal/return")]
async fn paypal_return(state: Data<AppState>, query: Query<PayPalReturnQuery>) -> HandlerResult {
    let token = query
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::invalid("token", "token (the PayPal order id) is required"))?;
    let payment = state.payments.events.paypal_return(token).await?;
    let body = PayPalReturnBody {
        payment_id: payment.id.to_string(),
        status: payment.status.as_str().to_owned(),
    };
    match &state.paypal_return_page {
        Some(page) => {
            let sep = if page.contains('?') { '&' } else { '?' };
            let location = format!(
                "{page}{sep}payment_id={}&status={}",
                body.payment_id, body.status
            );
            Ok(HttpResponse::SeeOther()
                .insert_header((LOCATION, location))
                .finish())
        }
        None => Ok(HttpResponse::Ok().json(body)),
    }
}
