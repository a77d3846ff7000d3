//! Building the Stripe requests for a purchase and reading outcomes back.

use std::collections::HashMap;

use billing_domain::entities::{Account, Invoice, InvoiceLine, Payment};
use billing_domain::ports::gateway::{GatewayError, GatewayOutcome, StartPayment};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionPaymentIntentDataSetupFutureUsage,
    ProductData,
};
use stripe_core::customer::{CreateCustomer, OptionalFieldsCustomerAddress};
use stripe_shared::{
    CheckoutSession, CheckoutSessionMode, CheckoutSessionPaymentStatus, CheckoutSessionStatus,
    PaymentIntent, PaymentIntentStatus,
};

use crate::config::StripeConfig;
use crate::events::{META_INVOICE_ID, META_PAYMENT_ID};

/// Idempotency key of the customer created for `account` (one per account, ever).
pub fn customer_key(account: &Account) -> String {
    format!("billing-customer-{}", account.id)
}

/// Idempotency key of the Checkout Session of `payment`.
pub fn session_key(payment: &Payment) -> String {
    format!("billing-checkout-{}", payment.id)
}

/// The customer for an account: billing email, legal name and address when a profile exists.
pub fn customer_request(account: &Account) -> CreateCustomer {
    let mut metadata = HashMap::new();
    metadata.insert("account_id".to_owned(), account.id.to_string());
    let mut req = CreateCustomer::new().metadata(metadata);
    match &account.billing_profile {
        Some(p) => {
            let a = &p.address;
            let address = OptionalFieldsCustomerAddress {
                city: Some(a.city.to_string()),
                country: Some(a.country.as_str().to_owned()),
                line1: Some(a.line1.to_string()),
                line2: a.line2.as_ref().map(ToString::to_string),
                postal_code: a.postal_code.as_ref().map(ToString::to_string),
                state: a.region.as_ref().map(ToString::to_string),
            };
            req = req
                .email(p.billing_email.as_str())
                .name(p.legal_name.to_string())
                .address(address);
        }
        None => req = req.name(account.name.to_string()),
    }
    req
}

fn stripe_currency(invoice: &Invoice) -> stripe_types::Currency {
    // Stripe's currency codes are the lower-case ISO codes; parsing cannot fail.
    invoice
        .currency
        .code()
        .to_ascii_lowercase()
        .parse()
        .unwrap_or_else(|e: std::convert::Infallible| match e {})
}

fn inline(
    currency: &stripe_types::Currency,
    name: String,
    unit_amount: i64,
    quantity: u64,
) -> CreateCheckoutSessionLineItems {
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
    price.unit_amount = Some(unit_amount);
    price.product_data = Some(ProductData::new(name));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(quantity);
    item
}

fn line_item(
    currency: &stripe_types::Currency,
    line: &InvoiceLine,
    price_id: Option<&str>,
) -> CreateCheckoutSessionLineItems {
    let quantity = u64::try_from(line.quantity).unwrap_or(1).max(1);
    match (price_id, line.discount_amount) {
        // The configured price only when it bills exactly what the line says (no discount).
        (Some(price), 0) => {
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price = Some(price.to_owned());
            item.quantity = Some(quantity);
            item
        }
        (_, 0) => inline(
            currency,
            line.description.clone(),
            line.unit_amount,
            quantity,
        ),
        // A discounted line is sent as one item of its net amount, so Stripe charges the
        // invoice's total to the minor unit.
        _ => {
            let name = if quantity > 1 {
                format!("{} × {quantity}", line.description)
            } else {
                line.description.clone()
            };
            inline(currency, name, line.amount, 1)
        }
    }
}

/// Line items charging exactly `payment.amount`: the invoice lines when they add up to it
/// (the package's price id on its line when configured), else one line for the amount due.
pub fn line_items(request: &StartPayment) -> Vec<CreateCheckoutSessionLineItems> {
    let invoice = &request.invoice;
    let currency = stripe_currency(invoice);
    let sum = invoice
        .lines
        .iter()
        .try_fold(0_i64, |acc, l| acc.checked_add(l.amount));
    let package_lines = invoice
        .lines
        .iter()
        .filter(|l| l.credit_package_id.is_some())
        .count();
    if sum == Some(request.payment.amount) && invoice.lines.iter().all(|l| l.amount > 0) {
        invoice
            .lines
            .iter()
            .map(|l| {
                let price = request
                    .stripe_price_id
                    .as_deref()
                    .filter(|_| l.credit_package_id.is_some() && package_lines == 1);
                line_item(&currency, l, price)
            })
            .collect()
    } else {
        let name = match &invoice.number {
            Some(n) => format!("Invoice {n}"),
            None => format!("Invoice {}", invoice.id),
        };
        vec![inline(&currency, name, request.payment.amount, 1)]
    }
}

/// The Checkout Session for a payment: mode payment, our ids as client reference and metadata
/// (on the session and its PaymentIntent), the configured return URLs.
pub fn session_request(
    config: &StripeConfig,
    request: &StartPayment,
    customer: &str,
) -> CreateCheckoutSession {
    let mut metadata = HashMap::new();
    metadata.insert(META_PAYMENT_ID.to_owned(), request.payment.id.to_string());
    metadata.insert(META_INVOICE_ID.to_owned(), request.invoice.id.to_string());
    let mut intent = CreateCheckoutSessionPaymentIntentData::new();
    intent.metadata = Some(metadata.clone());
    if request.save_payment_method {
        // Keeps the card on the customer for the subscription's off-session renewals.
        intent.setup_future_usage =
            Some(CreateCheckoutSessionPaymentIntentDataSetupFutureUsage::OffSession);
    }
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .customer(customer)
        .client_reference_id(request.payment.id.to_string())
        .metadata(metadata)
        .payment_intent_data(intent)
        .line_items(line_items(request))
        .success_url(config.success_url.clone())
        .cancel_url(config.cancel_url.clone())
}

/// What a retrieved session (with its PaymentIntent expanded, when there is one) says.
pub fn outcome(session: &CheckoutSession) -> Result<GatewayOutcome, GatewayError> {
    let intent: Option<&PaymentIntent> =
        session.payment_intent.as_ref().and_then(|p| p.as_object());
    let intent_id = session.payment_intent.as_ref().map(|p| p.id().to_string());
    let paid = matches!(
        session.payment_status,
        CheckoutSessionPaymentStatus::Paid | CheckoutSessionPaymentStatus::NoPaymentRequired
    );
    Ok(match (&session.status, paid) {
        (Some(CheckoutSessionStatus::Complete), true) => GatewayOutcome::Succeeded {
            amount_received: intent
                .map(|i| i.amount_received)
                .filter(|a| *a > 0)
                .or(session.amount_total)
                .unwrap_or(0),
            gateway_payment_id: intent_id,
        },
        (Some(CheckoutSessionStatus::Expired), _) => GatewayOutcome::Canceled,
        (Some(CheckoutSessionStatus::Complete), false) => match intent.map(|i| &i.status) {
            Some(PaymentIntentStatus::Canceled) => GatewayOutcome::Failed {
                reason: "the payment was canceled".to_owned(),
            },
            Some(PaymentIntentStatus::RequiresPaymentMethod)
                if intent.is_some_and(|i| i.last_payment_error.is_some()) =>
            {
                GatewayOutcome::Failed {
                    reason: intent
                        .and_then(|i| i.last_payment_error.as_ref())
                        .and_then(|e| e.message.clone())
                        .unwrap_or_else(|| "the delayed payment failed".to_owned()),
                }
            }
            _ => GatewayOutcome::Processing,
        },
        (Some(CheckoutSessionStatus::Open), _) => GatewayOutcome::Processing,
        (other, _) => {
            return Err(GatewayError::Other(format!(
                "Checkout Session {} has an unexpected status {:?}",
                session.id,
                other.as_ref().map(|s| s.as_str())
            )));
        }
    })
}
