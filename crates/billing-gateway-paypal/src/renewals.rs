//! Subscription renewals on a vaulted PayPal wallet: one single-step order per invoice and
//! attempt (`payment_source.paypal.vault_id`, `PayPal-Request-Id` = the domain's key per
//! invoice and attempt, so a retried call never charges twice), captured by PayPal at once;
//! and PayPal's refusals mapped onto the decline codes the domain's dunning reads.

use billing_domain::ports::GatewayError;
use billing_domain::ports::gateway::{GatewayOutcome, OffSessionCharge};
use reqwest::Method;

use crate::client::{Api, CallError};
use crate::orders::{capture_request_id, renewal_body};
use crate::wire::Order;

/// The code the domain's dunning sees for PayPal's `issue` on a refused renewal: the payer
/// must act (`authentication_required`), the token is gone (`no_payment_method`), the
/// account cannot pay (`do_not_honor`) — all three stop automatic retries — or a decline
/// worth retrying (`card_declined`). Unknown issues keep their name (retried).
pub fn decline_code(issue: &str) -> &str {
    match issue {
        "PAYER_ACTION_REQUIRED" | "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING" => {
            "authentication_required"
        }
        "TOKEN_ID_NOT_FOUND"
        | "TOKEN_EXPIRED"
        | "AGREEMENT_ALREADY_CANCELLED"
        | "BILLING_AGREEMENT_NOT_FOUND"
        | "MISMATCHED_VAULT_ID_TO_PAYMENT_SOURCE"
        | "PAYMENT_SOURCE_CANNOT_BE_USED"
        | "NOT_ELIGIBLE_FOR_TOKEN_PROCESSING" => "no_payment_method",
        "PAYER_ACCOUNT_LOCKED_OR_CLOSED" | "PAYER_ACCOUNT_RESTRICTED" | "PAYER_CANNOT_PAY" => {
            "do_not_honor"
        }
        "INSTRUMENT_DECLINED"
        | "TRANSACTION_REFUSED"
        | "PAYMENT_SOURCE_DECLINED_BY_PROCESSOR"
        | "DECLINED_DUE_TO_RELATED_TXN" => "card_declined",
        other => other,
    }
}

/// Charges `request` on its vault token. A decline is `Declined` with [`decline_code`].
pub(crate) async fn charge(
    api: &Api,
    request: &OffSessionCharge,
) -> Result<GatewayOutcome, GatewayError> {
    let body = serde_json::to_vec(&renewal_body(request)?)
        .map_err(|e| GatewayError::Other(e.to_string()))?;
    let url = format!("{}/v2/checkout/orders", api.config.orders_url());
    let currency = Some(request.payment.currency);
    let order: Order = match api
        .call(
            Method::POST,
            &url,
            Some(&request.idempotency_key),
            Some(body),
        )
        .await
    {
        Ok(order) => order,
        Err(CallError::Rejected(r)) if r.status == 422 => {
            let issue = r.code();
            return Err(GatewayError::Declined {
                code: decline_code(&issue).to_owned(),
                message: format!("PayPal refused the renewal: {issue}: {}", r.message),
            });
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(payment = %request.payment.id, order = %order.id, status = ?order.status, "paypal: renewal order");
    match order.status.as_deref() {
        Some("PAYER_ACTION_REQUIRED") => Err(GatewayError::Declined {
            code: "authentication_required".to_owned(),
            message: format!("PayPal order {} needs the payer", order.id),
        }),
        // Not captured in the same step (PayPal normally does): capture it now, keyed by our
        // payment so a retry captures once.
        Some("APPROVED") => {
            let capture_url = format!("{url}/{}/capture", crate::wire::safe_id(&order.id)?);
            let request_id = capture_request_id(request.payment.id.as_str());
            let captured: Order = api
                .call(
                    Method::POST,
                    &capture_url,
                    Some(&request_id),
                    Some(b"{}".to_vec()),
                )
                .await?;
            captured.outcome(currency)
        }
        _ => order.outcome(currency),
    }
}
