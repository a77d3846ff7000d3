//! Builders shared by the integration tests: domain entities for a purchase, and a config
//! pointing every PayPal API at local servers.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

pub mod paypal_mock;

use std::time::Duration;

use billing_domain::entities::{
    Account, Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus, Metadata, Payment,
    PaymentMethodConfig, PaymentMethodKind, PaymentStatus,
};
use billing_domain::ports::gateway::StartPayment;
use billing_domain::types::{
    AccountId, BoundedText, CreditPackageId, Currency, InvoiceId, InvoiceLineId, PaymentId,
    PaymentMethodConfigId,
};
use billing_gateway_paypal::PayPalConfig;
use time::OffsetDateTime;

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

/// `(description, quantity, unit_amount, discount_amount)`.
pub type Line = (&'static str, i64, i64, i64);

pub fn invoice(code: &str, lines: &[Line]) -> Invoice {
    let lines: Vec<InvoiceLine> = lines
        .iter()
        .map(|(d, q, u, disc)| InvoiceLine {
            id: InvoiceLineId::generate(now()),
            kind: InvoiceLineKind::CreditPackage,
            description: d.to_string(),
            quantity: *q,
            unit_amount: *u,
            discount_amount: *disc,
            amount: q * u - disc,
            credit_package_id: Some(CreditPackageId::generate(now())),
            credits: Some(100),
            subscription_id: None,
            period_start: None,
            period_end: None,
            rollover: None,
        })
        .collect();
    let (subtotal, discount, total, due) = Invoice::totals(&lines, 0).unwrap();
    Invoice {
        id: InvoiceId::generate(now()),
        account_id: AccountId::generate(now()),
        number: Some("INV-2026-000042".into()),
        status: InvoiceStatus::Pending,
        billing_reason: billing_domain::entities::InvoiceReason::Manual,
        currency: currency(code),
        lines,
        subtotal,
        discount,
        total,
        amount_paid: 0,
        amount_due: due,
        due_at: None,
        billing_snapshot: None,
        status_reason: None,
        metadata: Metadata::default(),
        created_at: now(),
        finalized_at: Some(now()),
        paid_at: None,
        updated_at: now(),
    }
}

pub fn payment(invoice: &Invoice) -> Payment {
    Payment {
        id: PaymentId::generate(now()),
        account_id: invoice.account_id.clone(),
        invoice_id: invoice.id.clone(),
        method: PaymentMethodKind::Paypal,
        status: PaymentStatus::Pending,
        currency: invoice.currency,
        amount: invoice.total,
        amount_received: 0,
        amount_refunded: 0,
        reference: None,
        gateway_reference: None,
        gateway_payment_id: None,
        failure_reason: None,
        expires_at: None,
        next_action: None,
        confirmation: None,
        history: vec![],
        created_at: now(),
        updated_at: now(),
    }
}

pub fn start_request(invoice: Invoice) -> StartPayment {
    let payment = payment(&invoice);
    StartPayment {
        account: Account {
            id: invoice.account_id.clone(),
            name: BoundedText::new("Acme", "name", 200).unwrap(),
            external_id: None,
            billing_profile: None,
            low_balance_threshold: None,
            stripe_customer_id: None,
            metadata: Metadata::default(),
            created_at: now(),
            updated_at: now(),
        },
        config: PaymentMethodConfig {
            id: PaymentMethodConfigId::generate(now()),
            country: None,
            method: PaymentMethodKind::Paypal,
            display_name: BoundedText::new("PayPal", "display_name", 100).unwrap(),
            enabled: true,
            sort_order: 0,
            instructions: None,
            bank_details: None,
            wallet_details: None,
            currencies: vec![],
            amount_limits: vec![],
            created_at: now(),
            updated_at: now(),
        },
        payment,
        invoice,
        stripe_price_id: None,
        save_payment_method: false,
    }
}

/// A config whose every API (and the token endpoint) lives at the given bases.
pub fn config(oauth: &str, orders: &str, payments: &str, notifications: &str) -> PayPalConfig {
    let mut c = PayPalConfig::new("client-id", "client-secret", "96605875FF6516633");
    c.api_base = Some("http://127.0.0.1:9".into());
    c.oauth_base = Some(oauth.into());
    c.orders_base = Some(orders.into());
    c.payments_base = Some(payments.into());
    c.notifications_base = Some(notifications.into());
    c.return_url = "https://shop.example/v1/paypal/return".into();
    c.cancel_url = "https://shop.example/v1/paypal/cancel".into();
    c.timeout = Duration::from_secs(30);
    c.retry_backoff = Duration::from_millis(10);
    c
}
