//! The local Stripe of the end-to-end tests: official fixtures and event envelopes from
//! `shared/gateway-specs/stripe`, wiremock mounts, signed webhooks. Shared by the `e2e` and
//! `portal` test binaries.

use std::path::PathBuf;
use std::sync::OnceLock;

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::shop::Shop;
use crate::support::{Resp, TestApp};

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
