//! Renewals: a PaymentIntent confirmed at once on the customer's saved card, without the
//! payer (`off_session=true`, `confirm=true`), and what its answer means.

use std::collections::HashMap;

use billing_domain::ports::gateway::{GatewayError, GatewayOutcome, OffSessionCharge};
use stripe_core::payment_intent::{CreatePaymentIntent, CreatePaymentIntentOffSession};
use stripe_shared::{PaymentIntent, PaymentIntentStatus};

use crate::events::{META_INVOICE_ID, META_PAYMENT_ID};

/// The PaymentIntent for a renewal of `request.invoice` by `customer`.
pub fn charge_request(request: &OffSessionCharge, customer: &str) -> CreatePaymentIntent {
    let mut metadata = HashMap::new();
    metadata.insert(META_PAYMENT_ID.to_owned(), request.payment.id.to_string());
    metadata.insert(META_INVOICE_ID.to_owned(), request.invoice.id.to_string());
    let currency: stripe_types::Currency = request
        .invoice
        .currency
        .code()
        .to_ascii_lowercase()
        .parse()
        .unwrap_or_else(|e: std::convert::Infallible| match e {});
    let description = match &request.invoice.number {
        Some(n) => format!("Invoice {n}"),
        None => format!("Invoice {}", request.invoice.id),
    };
    CreatePaymentIntent::new(request.payment.amount, currency)
        .customer(customer)
        .payment_method(request.payment_method.clone())
        .off_session(CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .description(description)
        .metadata(metadata)
}

/// What a confirmed PaymentIntent says. One that needs the payer (3-D Secure) is declined
/// with `authentication_required`: retrying off-session cannot help, a pay link can.
pub fn outcome(intent: &PaymentIntent) -> Result<GatewayOutcome, GatewayError> {
    let error = intent.last_payment_error.as_ref();
    let message = error
        .and_then(|e| e.message.clone())
        .unwrap_or_else(|| format!("PaymentIntent {} is {}", intent.id, intent.status.as_str()));
    Ok(match intent.status {
        PaymentIntentStatus::Succeeded => GatewayOutcome::Succeeded {
            amount_received: intent.amount_received,
            gateway_payment_id: Some(intent.id.to_string()),
        },
        PaymentIntentStatus::Processing | PaymentIntentStatus::RequiresCapture => {
            GatewayOutcome::Processing
        }
        PaymentIntentStatus::RequiresAction | PaymentIntentStatus::RequiresConfirmation => {
            return Err(GatewayError::Declined {
                code: "authentication_required".to_owned(),
                message,
            });
        }
        PaymentIntentStatus::RequiresPaymentMethod => {
            let code = error
                .and_then(|e| {
                    e.decline_code
                        .clone()
                        .or_else(|| e.code.as_ref().map(|c| c.as_str().to_owned()))
                })
                .unwrap_or_else(|| "card_declined".to_owned());
            return Err(GatewayError::Declined { code, message });
        }
        _ => GatewayOutcome::Failed { reason: message },
    })
}
