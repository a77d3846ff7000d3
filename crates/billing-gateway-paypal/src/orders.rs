//! Orders v2 request building: one purchase unit, intent CAPTURE, amount with a breakdown
//! that adds up exactly, our ids for reconciliation, return and cancel URLs.

use billing_domain::entities::{Invoice, InvoiceLine, Payment};
use billing_domain::ports::GatewayError;
use billing_domain::ports::gateway::{OffSessionCharge, StartPayment};
use billing_domain::types::Currency;
use serde_json::{Value, json};

use crate::amount::to_paypal;
use crate::config::PayPalConfig;

/// PayPal's limit for names, ids and descriptions (characters).
const MAX_TEXT: usize = 127;
/// PayPal's largest item quantity (`^[1-9][0-9]{0,9}$`).
const MAX_QUANTITY: i64 = 9_999_999_999;

/// `PayPal-Request-Id` of the create-order call for our payment.
pub fn order_request_id(payment_id: &str) -> String {
    format!("{payment_id}-order")
}

/// `PayPal-Request-Id` of the capture call for our payment.
pub fn capture_request_id(payment_id: &str) -> String {
    format!("{payment_id}-capture")
}

/// Cuts `text` to PayPal's limit on a character boundary; `None` if it is empty.
pub(crate) fn clip(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.chars().take(MAX_TEXT).collect())
}

/// The purchase unit charging `payment` for `invoice`: our payment id as `custom_id` (every
/// capture event echoes it), the invoice number, the amount with a breakdown when the
/// lines add up to it.
pub(crate) fn purchase_unit(payment: &Payment, invoice: &Invoice) -> Result<Value, GatewayError> {
    let currency = payment.currency;
    let mut amount = serde_json::to_value(to_paypal(payment.amount, currency)?)
        .map_err(|e| GatewayError::Other(e.to_string()))?;
    let invoice_ref = invoice
        .number
        .clone()
        .unwrap_or_else(|| invoice.id.to_string());
    let mut unit = json!({
        "reference_id": "default",
        "custom_id": payment.id.as_str(),
        "invoice_id": clip(&invoice_ref),
        "description": clip(&format!("Invoice {invoice_ref}")),
        "amount": amount.clone(),
    });
    if let Some((items, breakdown)) = breakdown(invoice, currency, payment.amount)? {
        amount["breakdown"] = breakdown;
        unit["amount"] = amount;
        unit["items"] = Value::Array(items);
    }
    Ok(unit)
}

/// The create-order body for `request`. A subscription's order asks PayPal to keep the
/// payer for the renewals when the merchant is approved for it ([`PayPalConfig::vault`]).
pub fn order_body(request: &StartPayment, config: &PayPalConfig) -> Result<Value, GatewayError> {
    let unit = purchase_unit(&request.payment, &request.invoice)?;
    let mut experience = json!({
        "return_url": config.return_url,
        "cancel_url": config.cancel_url,
        "user_action": "PAY_NOW",
        "shipping_preference": "NO_SHIPPING",
    });
    if let Some(brand) = config.brand_name.as_deref().and_then(clip) {
        experience["brand_name"] = Value::String(brand);
    }
    let mut paypal = json!({ "experience_context": experience });
    if request.save_payment_method && config.vault {
        paypal["attributes"] = json!({ "vault": {
            "store_in_vault": "ON_SUCCESS",
            "usage_type": "MERCHANT",
            "usage_pattern": "RECURRING_PREPAID",
        }});
    }
    Ok(json!({
        "intent": "CAPTURE",
        "purchase_units": [unit],
        "payment_source": { "paypal": paypal },
    }))
}

/// The single-step order of a renewal: captured at once on the payer's vault token.
pub fn renewal_body(request: &OffSessionCharge) -> Result<Value, GatewayError> {
    let unit = purchase_unit(&request.payment, &request.invoice)?;
    Ok(json!({
        "intent": "CAPTURE",
        "purchase_units": [unit],
        "payment_source": { "paypal": { "vault_id": request.payment_method } },
    }))
}

/// Items and `amount.breakdown` from the invoice lines, when they add up to exactly the
/// amount charged (`item_total − discount == amount`); otherwise `None` and the order carries
/// the amount alone (PayPal refuses a breakdown that does not add up).
pub fn breakdown(
    invoice: &Invoice,
    currency: Currency,
    amount: i64,
) -> Result<Option<(Vec<Value>, Value)>, GatewayError> {
    if invoice.currency != currency || invoice.lines.is_empty() || !invoice.lines.iter().all(fits) {
        return Ok(None);
    }
    let mut item_total = 0_i64;
    let mut discount = 0_i64;
    let mut items = Vec::with_capacity(invoice.lines.len());
    for line in &invoice.lines {
        let Some(total) = line.quantity.checked_mul(line.unit_amount) else {
            return Ok(None);
        };
        let (Some(t), Some(d)) = (
            item_total.checked_add(total),
            discount.checked_add(line.discount_amount),
        ) else {
            return Ok(None);
        };
        item_total = t;
        discount = d;
        let mut item = json!({
            "name": clip(&line.description).unwrap_or_else(|| "Item".into()),
            "quantity": line.quantity.to_string(),
            "unit_amount": to_paypal(line.unit_amount, currency)?,
            "category": "DIGITAL_GOODS",
        });
        if let Some(sku) = &line.credit_package_id {
            item["sku"] = Value::String(sku.to_string());
        }
        items.push(item);
    }
    if item_total.checked_sub(discount) != Some(amount) {
        tracing::debug!(
            item_total,
            discount,
            amount,
            "paypal: invoice lines do not add up to the amount; sending no breakdown"
        );
        return Ok(None);
    }
    let mut breakdown = json!({ "item_total": to_paypal(item_total, currency)? });
    if discount > 0 {
        breakdown["discount"] = serde_json::to_value(to_paypal(discount, currency)?)
            .map_err(|e| GatewayError::Other(e.to_string()))?;
    }
    Ok(Some((items, breakdown)))
}

fn fits(line: &InvoiceLine) -> bool {
    (1..=MAX_QUANTITY).contains(&line.quantity)
        && line.unit_amount >= 0
        && line.discount_amount >= 0
}
