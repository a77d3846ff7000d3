//! Stripe and PayPal end to end over HTTP: the real server configured against local
//! `wiremock` gateways, purchases, signed webhooks, the PayPal return, refunds and clawbacks.

use std::path::PathBuf;
use std::sync::OnceLock;

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::shop::{CREDITS, NET, Shop, entries, pid, shop};
use crate::support::{Backend, Resp, TestApp};

mod sqlite {
    use crate::support::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stripe_checkout_webhooks_and_refund() {
        super::stripe_checkout_webhooks_and_refund(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paypal_return_capture_webhook_and_refund() {
        super::paypal_return_capture_webhook_and_refund(Backend::Sqlite).await;
    }
}

mod postgres {
    use crate::support::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stripe_checkout_webhooks_and_refund() {
        super::stripe_checkout_webhooks_and_refund(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paypal_return_capture_webhook_and_refund() {
        super::paypal_return_capture_webhook_and_refund(Backend::Postgres).await;
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

async fn invoice_status(app: &TestApp, s: &Shop, purchase: &Value) -> String {
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
async fn partial_refund(app: &TestApp, s: &Shop, id: &str) -> Value {
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

async fn stripe_checkout_webhooks_and_refund(backend: Backend) {
    let stripe = MockServer::start().await;
    let session = fixture("checkout.session");
    let session_id = session["id"].as_str().unwrap().to_owned();
    let session_url = session["url"].as_str().unwrap().to_owned();
    let pi = session["payment_intent"].as_str().unwrap().to_owned();
    mount_customer_and_session(&stripe, &session).await;
    let mut paid_session = session.clone();
    paid_session["status"] = json!("complete");
    paid_session["payment_status"] = json!("paid");
    paid_session["amount_total"] = json!(NET);
    paid_session["currency"] = json!("eur");
    Mock::given(method("GET"))
        .and(path_regex("^/v1/checkout/sessions/.+"))
        .respond_with(ok(paid_session))
        .mount(&stripe)
        .await;
    let mut refund = fixture("refund");
    refund["amount"] = json!(1000);
    refund["currency"] = json!("eur");
    refund["payment_intent"] = json!(pi);
    refund["status"] = json!("pending");
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ok(refund.clone()))
        .mount(&stripe)
        .await;

    let base = stripe.uri();
    let app = TestApp::start_with(backend, move |c| {
        for (k, v) in [
            ("BILLING_STRIPE_SECRET_KEY", "sk_test_e2e".to_owned()),
            (
                "BILLING_STRIPE_WEBHOOK_SECRETS",
                format!("whsec_old_one,{WHSEC}"),
            ),
            ("BILLING_STRIPE_API_BASE", base),
            (
                "BILLING_STRIPE_SUCCESS_URL",
                "https://shop.example/paid?session={CHECKOUT_SESSION_ID}".to_owned(),
            ),
            (
                "BILLING_STRIPE_CANCEL_URL",
                "https://shop.example/canceled".to_owned(),
            ),
            ("BILLING_STRIPE_TIMEOUT_SECS", "5".to_owned()),
        ] {
            c.gateway_env.set(k, v);
        }
    })
    .await;
    let s = shop(&app).await;
    offer(&app, "stripe", "Karte").await;

    // purchase → Checkout Session → its URL as the next action
    let purchase = buy_with(&app, &s, "stripe").await;
    let id = pid(&purchase);
    assert!(
        purchase["next_action"].to_string().contains(&session_url),
        "the session URL is the next action: {}",
        purchase["next_action"]
    );
    assert_eq!(app.balance(&s.acct).await.0, 0);
    let created: Vec<_> = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/checkout/sessions")
        .collect();
    assert_eq!(created.len(), 1);
    let form = String::from_utf8_lossy(&created[0].body).into_owned();
    assert!(
        form.contains(&format!("client_reference_id={id}")),
        "{form}"
    );

    // the signed checkout.session.completed (official event, our ids) → credits, invoice paid
    let mut event = stripe_event("checkout.session.completed");
    {
        let o = &mut event["data"]["object"];
        o["id"] = json!(session_id);
        o["client_reference_id"] = json!(id);
        o["metadata"] = json!({ "payment_id": id, "invoice_id": purchase["invoice"]["id"] });
        o["payment_status"] = json!("paid");
        o["status"] = json!("complete");
        o["amount_total"] = json!(NET);
        o["currency"] = json!("eur");
        o["payment_intent"] = json!(pi);
    }
    let body = serde_json::to_vec(&event).unwrap();
    let r = webhook(
        &app,
        "stripe",
        &body,
        &[("stripe-signature", stripe_signature(WHSEC, &body))],
    )
    .await
    .expect(200);
    assert_eq!(r.body["event_id"], event["id"]);
    assert_eq!(r.body["event_type"], "checkout.session.completed");
    assert_eq!(r.body["disposition"], "applied", "{}", r.body);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    assert_eq!(payment(&app, &id).await["status"], "succeeded");
    assert_eq!(invoice_status(&app, &s, &purchase).await, "paid");

    // the same event 100 times (an Idempotency-Key header changes nothing): still one grant
    for i in 0..100 {
        let sig = stripe_signature(WHSEC, &body);
        let mut headers = vec![("stripe-signature", sig)];
        if i % 10 == 0 {
            headers.push(("idempotency-key", format!("k{i}")));
        }
        let r = webhook(&app, "stripe", &body, &headers).await.expect(200);
        assert_eq!(r.body["disposition"], "duplicate", "{}", r.body);
    }
    assert_eq!(entries(&app, &s.acct, "purchase_grant").await.len(), 1);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);

    // a bad signature: 400 and nothing changes
    let mut failed = stripe_event("payment_intent.payment_failed");
    failed["id"] = json!("evt_forged_1");
    failed["data"]["object"]["metadata"] = json!({ "payment_id": id });
    let forged = serde_json::to_vec(&failed).unwrap();
    for sig in [
        stripe_signature("whsec_wrong", &forged),
        stripe_signature(WHSEC, &body), // a valid signature of another body
        "t=1,v1=00".to_owned(),
    ] {
        let r = webhook(&app, "stripe", &forged, &[("stripe-signature", sig)])
            .await
            .expect(400);
        r.error_code();
    }
    webhook(&app, "stripe", &forged, &[]).await.expect(400);
    assert_eq!(payment(&app, &id).await["status"], "succeeded");
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);

    // partial refund through Stripe's Refund API → clawback; charge.refunded settles it
    let refund_body = partial_refund(&app, &s, &id).await;
    let rid = refund_body["id"].as_str().unwrap().to_owned();
    let refunds: Vec<_> = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0]
            .headers
            .get("idempotency-key")
            .unwrap()
            .to_str()
            .unwrap(),
        rid
    );
    let mut charge = stripe_event("charge.refunded");
    let mut settled = refund.clone();
    settled["status"] = json!("succeeded");
    settled["metadata"] = json!({ "refund_id": rid, "payment_id": id });
    charge["data"]["object"]["refunds"]["data"] = json!([settled]);
    charge["data"]["object"]["payment_intent"] = json!(pi);
    let body = serde_json::to_vec(&charge).unwrap();
    let r = webhook(
        &app,
        "stripe",
        &body,
        &[("stripe-signature", stripe_signature(WHSEC, &body))],
    )
    .await
    .expect(200);
    assert_eq!(r.body["disposition"], "applied", "{}", r.body);
    let list = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}/refunds"))
        .await
        .expect(200);
    assert_eq!(list.body["data"][0]["status"], "succeeded", "{}", list.body);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS - 766);
    assert_eq!(entries(&app, &s.acct, "refund_clawback").await.len(), 1);
    let pay = payment(&app, &id).await;
    assert_eq!(pay["status"], "partially_refunded", "{pay}");
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true);
    app.stop().await;
}

// ---------------------------------------------------------------- PayPal

const ORDER: &str = "5O190127TN364715T";
const CAPTURE: &str = "3C679366HH908993F";

fn paypal_headers() -> Vec<(&'static str, String)> {
    vec![
        (
            "paypal-transmission-id",
            "69cd13f0-d67a-11e5-baa3-778b53f4ae55".to_owned(),
        ),
        (
            "paypal-transmission-time",
            "2026-11-23T12:00:00Z".to_owned(),
        ),
        (
            "paypal-cert-url",
            "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
                .to_owned(),
        ),
        ("paypal-auth-algo", "SHA256withRSA".to_owned()),
        (
            "paypal-transmission-sig",
            "bG9jYWwgdGVzdCBzaWduYXR1cmU=".to_owned(),
        ),
    ]
}

async fn paypal_return_capture_webhook_and_refund(backend: Backend) {
    let paypal = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .respond_with(ok(json!({"access_token": "A21AA-token", "token_type": "Bearer", "expires_in": 32400, "scope": "x"})))
        .mount(&paypal)
        .await;
    let approve = format!("https://www.sandbox.paypal.com/checkoutnow?token={ORDER}");
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": ORDER, "status": "PAYER_ACTION_REQUIRED", "links": [
            {"href": format!("https://api-m.sandbox.paypal.com/v2/checkout/orders/{ORDER}"), "rel": "self", "method": "GET"},
            {"href": approve, "rel": "payer-action", "method": "GET"}]})))
        .mount(&paypal)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v2/checkout/orders/{ORDER}/capture")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": ORDER, "status": "COMPLETED", "purchase_units": [{"reference_id": "default", "payments": {"captures": [
            {"id": CAPTURE, "status": "COMPLETED", "amount": {"currency_code": "EUR", "value": "26.10"}}]}}]})))
        .mount(&paypal)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v2/payments/captures/{CAPTURE}/refund")))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": "1JU08902781691411", "status": "PENDING"})),
        )
        .mount(&paypal)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/notifications/verify-webhook-signature"))
        .respond_with(ok(json!({"verification_status": "SUCCESS"})))
        .mount(&paypal)
        .await;

    let base = paypal.uri();
    let app = TestApp::start_with(backend, move |c| {
        for (k, v) in [
            ("BILLING_PAYPAL_CLIENT_ID", "client-e2e"),
            ("BILLING_PAYPAL_CLIENT_SECRET", "secret-e2e"),
            ("BILLING_PAYPAL_WEBHOOK_ID", "WH-E2E-1"),
            (
                "BILLING_PAYPAL_RETURN_URL",
                "https://billing.example/v1/paypal/return",
            ),
            ("BILLING_PAYPAL_CANCEL_URL", "https://shop.example/canceled"),
            ("BILLING_PAYPAL_VERIFY", "api"),
            ("BILLING_PAYPAL_TIMEOUT_MS", "5000"),
        ] {
            c.gateway_env.set(k, v);
        }
        for k in ["ORDERS", "PAYMENTS", "NOTIFICATIONS", "OAUTH"] {
            c.gateway_env
                .set(format!("BILLING_PAYPAL_{k}_BASE"), base.clone());
        }
        c.paypal_return_page = Some("https://shop.example/thanks".to_owned());
    })
    .await;
    let s = shop(&app).await;
    offer(&app, "paypal", "PayPal").await;

    // purchase → order → approve link
    let purchase = buy_with(&app, &s, "paypal").await;
    let id = pid(&purchase);
    assert!(
        purchase["next_action"].to_string().contains(&approve),
        "the approve link is the next action: {}",
        purchase["next_action"]
    );
    // the payer comes back → capture → credits; 303 to the configured page
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirects
        .get(format!(
            "{}/v1/paypal/return?token={ORDER}&PayerID=FSMVU44LF3YUS",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://shop.example/thanks?") && location.contains(&id),
        "{location}"
    );
    assert!(location.contains("status=succeeded"), "{location}");
    assert_eq!(payment(&app, &id).await["status"], "succeeded");
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    assert_eq!(invoice_status(&app, &s, &purchase).await, "paid");
    // coming back twice captures nothing more
    let r = no_redirects
        .get(format!("{}/v1/paypal/return?token={ORDER}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let captures = paypal
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().ends_with("/capture"))
        .count();
    assert_eq!(captures, 1);

    // PAYMENT.CAPTURE.COMPLETED afterwards → no second grant
    let event = json!({"id": "WH-2WR32451HC0233532-67976317FL4543714", "event_version": "1.0", "create_time": "2026-11-23T12:00:00Z",
        "resource_type": "capture", "event_type": "PAYMENT.CAPTURE.COMPLETED", "summary": "Payment completed for EUR 26.10",
        "resource": {"id": CAPTURE, "status": "COMPLETED", "amount": {"currency_code": "EUR", "value": "26.10"}, "custom_id": id,
            "final_capture": true, "supplementary_data": {"related_ids": {"order_id": ORDER}}}});
    let body = serde_json::to_vec(&event).unwrap();
    let r = webhook(&app, "paypal", &body, &paypal_headers())
        .await
        .expect(200);
    assert_eq!(r.body["event_type"], "PAYMENT.CAPTURE.COMPLETED");
    assert_ne!(r.body["disposition"], "duplicate", "{}", r.body);
    let r = webhook(&app, "paypal", &body, &paypal_headers())
        .await
        .expect(200);
    assert_eq!(r.body["disposition"], "duplicate", "{}", r.body);
    assert_eq!(entries(&app, &s.acct, "purchase_grant").await.len(), 1);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    let verified = paypal
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/notifications/verify-webhook-signature")
        .collect::<Vec<_>>();
    assert!(!verified.is_empty());
    let sent: Value = serde_json::from_slice(&verified[0].body).unwrap();
    assert_eq!(sent["webhook_id"], "WH-E2E-1");

    // without PayPal's transmission headers → 400, nothing stored or changed
    let mut other = event.clone();
    other["id"] = json!("WH-UNSIGNED-1");
    other["event_type"] = json!("PAYMENT.CAPTURE.REVERSED");
    let r = webhook(&app, "paypal", &serde_json::to_vec(&other).unwrap(), &[])
        .await
        .expect(400);
    r.error_code();
    assert_eq!(payment(&app, &id).await["status"], "succeeded");

    // partial refund through the capture → clawback
    let refund_body = partial_refund(&app, &s, &id).await;
    let refunds = paypal
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == format!("/v2/payments/captures/{CAPTURE}/refund"))
        .collect::<Vec<_>>();
    assert_eq!(refunds.len(), 1);
    let sent: Value = serde_json::from_slice(&refunds[0].body).unwrap();
    assert_eq!(
        sent["amount"],
        json!({"currency_code": "EUR", "value": "10.00"})
    );
    assert_eq!(sent["custom_id"], refund_body["id"]);
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true);
    app.stop().await;
}
