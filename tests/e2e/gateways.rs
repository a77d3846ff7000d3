//! Stripe and PayPal end to end over HTTP: the real server configured against local
//! `wiremock` gateways, purchases, signed webhooks, the PayPal return, refunds and clawbacks.
//! The flows are in `gateway_stripe.rs` and `gateway_paypal.rs`; the shared helpers are here.

use std::path::PathBuf;
use std::sync::OnceLock;

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::shop::{CREDITS, Shop, entries};
use crate::support::{Resp, TestApp};

mod sqlite {
    use crate::support::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stripe_checkout_webhooks_and_refund() {
        crate::gateway_stripe::stripe_checkout_webhooks_and_refund(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paypal_return_capture_webhook_and_refund() {
        crate::gateway_paypal::paypal_return_capture_webhook_and_refund(Backend::Sqlite).await;
    }
}

mod postgres {
    use crate::support::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stripe_checkout_webhooks_and_refund() {
        crate::gateway_stripe::stripe_checkout_webhooks_and_refund(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paypal_return_capture_webhook_and_refund() {
        crate::gateway_paypal::paypal_return_capture_webhook_and_refund(Backend::Postgres).await;
    }
}

// ---------------------------------------------------------------- Stripe

pub(crate) const WHSEC: &str = "whsec_e2e_test_secret";

/// `shared/gateway-specs/stripe` beside the workspace, as the Stripe adapter's tests find it.
fn stripe_shared() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/gateway-specs/stripe");
    assert!(
        dir.is_dir(),
        "the official Stripe fixtures are expected in {} (shared/ beside the workspace)",
        dir.display()
    );
    dir
}

fn stripe_read(name: &str) -> Value {
    let p = stripe_shared().join(name);
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

/// An official fixture object from fixtures3.2026-07-29.json.
pub(crate) fn fixture(resource: &str) -> Value {
    static F: OnceLock<Value> = OnceLock::new();
    F.get_or_init(|| stripe_read("fixtures3.2026-07-29.json"))["resources"][resource].clone()
}

/// An official event envelope from events.derived.2026-07-29.json.
pub(crate) fn stripe_event(kind: &str) -> Value {
    static E: OnceLock<Value> = OnceLock::new();
    let e = E.get_or_init(|| stripe_read("events.derived.2026-07-29.json"))[kind].clone();
    assert!(e.is_object(), "no official {kind} event");
    e
}

/// Mounts Stripe's customer creation and Checkout Session creation answering `session`.
pub(crate) async fn mount_customer_and_session(stripe: &MockServer, session: &Value) {
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ok(fixture("customer")))
        .mount(stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ok(session.clone()))
        .mount(stripe)
        .await;
}

pub(crate) fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A method config offering `method` in Germany for EUR.
pub(crate) async fn offer(app: &TestApp, method: &str, name: &str) {
    app.post(
        &app.admin,
        "/v1/admin/payment-method-configs",
        json!({ "country": "DE", "method": method, "display_name": name, "currencies": ["EUR"] }),
    )
    .await
    .expect(201);
}

/// Buys the Pro package with `method`; returns the purchase body.
pub(crate) async fn buy_with(app: &TestApp, s: &Shop, method: &str) -> Value {
    app.post(
        &s.key,
        &format!("/v1/accounts/{}/purchases", s.acct),
        json!({ "credit_package_id": s.package, "payment_method": method }),
    )
    .await
    .expect(201)
    .body
}

/// POSTs a raw webhook body with `headers`, no API key.
pub(crate) async fn webhook(
    app: &TestApp,
    gateway: &str,
    body: &[u8],
    headers: &[(&str, String)],
) -> Resp {
    let mut rb = app
        .client
        .request(Method::POST, format!("{}/v1/webhooks/{gateway}", app.url))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        rb = rb.header(*k, v);
    }
    TestApp::send(rb).await
}

pub(crate) fn stripe_signature(secret: &str, body: &[u8]) -> String {
    billing_gateway_stripe::sign_webhook(
        secret,
        time::OffsetDateTime::now_utc().unix_timestamp(),
        body,
    )
}

pub(crate) async fn payment(app: &TestApp, id: &str) -> Value {
    app.get(&app.admin, &format!("/v1/admin/payments/{id}"))
        .await
        .expect(200)
        .body
}

pub(crate) async fn invoice_status(app: &TestApp, s: &Shop, purchase: &Value) -> String {
    let iid = purchase["invoice"]["id"].as_str().unwrap();
    app.get(&s.key, &format!("/v1/accounts/{}/invoices/{iid}", s.acct))
        .await
        .expect(200)
        .body["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The Pro purchase's partial refund of 10.00 EUR: ⌊2000 × 1000 / 2610⌋ = 766 credits back.
pub(crate) async fn partial_refund(app: &TestApp, s: &Shop, id: &str) -> Value {
    let r = app
        .post(
            &app.admin,
            &format!("/v1/admin/payments/{id}/refunds"),
            json!({ "amount": 1000, "reason": "customer changed plans" }),
        )
        .await
        .expect(201);
    assert_eq!(r.body["amount"], 1000);
    assert_eq!(
        (
            r.body["credits_clawed_back"].as_i64(),
            r.body["credits_deficit"].as_i64()
        ),
        (Some(766), Some(0)),
        "{}",
        r.body
    );
    assert_eq!(app.balance(&s.acct).await.0, CREDITS - 766);
    assert_eq!(entries(app, &s.acct, "refund_clawback").await.len(), 1);
    let pay = payment(app, id).await;
    assert_eq!(pay["amount_refunded"], 1000, "{pay}");
    r.body
}
