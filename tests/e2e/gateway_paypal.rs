//! The PayPal flow end to end over HTTP: order, approve link, return, capture, webhook, refund.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::gateways::*;
use crate::shop::{CREDITS, entries, pid, shop};
use crate::support::{Backend, TestApp};

// ---------------------------------------------------------------- PayPal

const ORDER: &str = "5O190127TN364715T";
const CAPTURE: &str = "3C679366HH908993F";

pub(crate) fn paypal_headers() -> Vec<(&'static str, String)> {
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

/// A server with PayPal configured against the mock at `base`, verifying webhooks by
/// PayPal's API (the mock's `verify-webhook-signature`).
pub(crate) async fn paypal_app(backend: Backend, base: String) -> TestApp {
    TestApp::start_with(backend, move |c| {
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
    .await
}

pub(crate) async fn paypal_return_capture_webhook_and_refund(backend: Backend) {
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

    let app = paypal_app(backend, paypal.uri()).await;
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
