//! Helpers of the payment tests: a German account that may pay by SEPA transfer, a package
//! sold in EUR, purchases, confirmations, and small real proof files.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::TestApp;

/// A real 1×1 PNG (69 bytes).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A minimal one-page PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Base64 of `bytes`.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What the payment tests start from.
pub struct Shop {
    /// A German account with a billing profile.
    pub acct: String,
    /// Its account-scoped key.
    pub key: String,
    /// "Pro": 2000 credits for 29.00 EUR minus 10 % = 26.10 EUR.
    pub package: String,
}

/// The Pro package's net price, minor units.
pub const NET: i64 = 2610;
/// The Pro package's credits.
pub const CREDITS: i64 = 2000;

/// SEPA transfer for Germany (EUR, 5.00–1000.00).
pub fn sepa() -> Value {
    json!({
        "country": "DE", "method": "bank_transfer", "display_name": "SEPA", "currencies": ["EUR"],
        "instructions": "Transfer the exact amount and quote the reference.",
        "bank_details": { "bank_name": "Commerzbank", "account_holder": "Billing GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX" },
        "amount_limits": [{ "currency": "EUR", "min": 500, "max": 100000 }]
    })
}

/// An account in `country` paying in `currency`.
pub async fn account_in(app: &TestApp, name: &str, country: &str, currency: &str) -> String {
    let body = json!({ "name": name, "billing_profile": {
        "legal_name": format!("{name} GmbH"), "billing_email": "pay@customer.example",
        "address": { "line1": "Hauptstr. 1", "city": "Berlin", "country": country }, "preferred_currency": currency } });
    app.post(&app.service, "/v1/accounts", body)
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The SEPA config, the Pro package in EUR, and a German account with its key.
pub async fn shop(app: &TestApp) -> Shop {
    app.post(&app.admin, "/v1/admin/payment-method-configs", sepa())
        .await
        .expect(201);
    let package = app
        .post(
            &app.admin,
            "/v1/admin/credit-packages",
            json!({ "name": "Pro", "slug": "pro", "credits": CREDITS, "prices": [{"amount": 2900, "currency": "EUR"}], "discount_percent": "10" }),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let acct = account_in(app, "Kunde", "DE", "EUR").await;
    let key = app.account_key(&acct).await;
    Shop { acct, key, package }
}

/// Buys the Pro package by bank transfer as the account; returns the purchase body.
pub async fn buy(app: &TestApp, shop: &Shop) -> Value {
    app.post(
        &shop.key,
        &format!("/v1/accounts/{}/purchases", shop.acct),
        json!({ "credit_package_id": shop.package, "payment_method": "bank_transfer" }),
    )
    .await
    .expect(201)
    .body
}

/// A valid confirmation of `purchase` for `amount`, with a PNG proof.
pub fn confirmation(purchase: &Value, amount: i64) -> Value {
    json!({
        "reference": purchase["next_action"]["reference"],
        "amount": amount,
        "paid_on": time::OffsetDateTime::now_utc().date().to_string(),
        "payer_name": "Kunde GmbH",
        "note": "sent from our Sparkasse account",
        "proof_file": { "filename": "receipt.png", "content_type": "image/png", "content_base64": b64(PNG) }
    })
}

/// Submits `body` as the account's confirmation of payment `pid`.
pub async fn confirm(app: &TestApp, shop: &Shop, pid: &str, body: Value) -> crate::support::Resp {
    app.post(
        &shop.key,
        &format!("/v1/accounts/{}/payments/{pid}/confirmation", shop.acct),
        body,
    )
    .await
}

/// The payment's id from a purchase body.
pub fn pid(purchase: &Value) -> String {
    purchase["payment"]["id"].as_str().unwrap().to_owned()
}

/// The account's ledger entries of `kind`.
pub async fn entries(app: &TestApp, acct: &str, kind: &str) -> Vec<Value> {
    app.ledger(acct)
        .await
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}
