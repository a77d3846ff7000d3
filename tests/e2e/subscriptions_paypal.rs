//! A subscription paid with PayPal without vaulting: every period's invoice is sent with its
//! own PayPal approve link; the payer's return captures it and the period's credits follow.

use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::gateways::{offer, ok};
use crate::shop::shop;
use crate::subscription_support::*;
use crate::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paypal_sqlite_renews_through_a_pay_link() {
    renews_through_a_pay_link(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paypal_postgres_renews_through_a_pay_link() {
    renews_through_a_pay_link(Backend::Postgres).await;
}

/// A new order per request, its id derived from the PayPal-Request-Id.
struct Orders;

impl Respond for Orders {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let key = req
            .headers
            .get("paypal-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("x");
        let id: String = key
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_uppercase();
        let id = format!("O{}", &id[id.len().saturating_sub(16)..]);
        ResponseTemplate::new(201).set_body_json(json!({"id": id, "status": "PAYER_ACTION_REQUIRED", "links": [
            {"href": format!("https://api-m.sandbox.paypal.com/v2/checkout/orders/{id}"), "rel": "self", "method": "GET"},
            {"href": format!("https://www.sandbox.paypal.com/checkoutnow?token={id}"), "rel": "payer-action", "method": "GET"}]}))
    }
}

/// Captures whichever order is named, for the plan's price.
struct Captures;

impl Respond for Captures {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let order = req
            .url
            .path()
            .trim_start_matches("/v2/checkout/orders/")
            .trim_end_matches("/capture")
            .to_owned();
        ResponseTemplate::new(201).set_body_json(json!({"id": order, "status": "COMPLETED", "purchase_units": [{"reference_id": "default", "payments": {"captures": [
            {"id": format!("C{order}"), "status": "COMPLETED", "amount": {"currency_code": "EUR", "value": "19.00"}}]}}]}))
    }
}

async fn paypal_app(backend: Backend) -> (TestApp, MockServer) {
    let paypal = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .respond_with(ok(json!({"access_token": "A21AA-token", "token_type": "Bearer", "expires_in": 32400, "scope": "x"})))
        .mount(&paypal)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .respond_with(Orders)
        .mount(&paypal)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/v2/checkout/orders/[^/]+/capture$"))
        .respond_with(Captures)
        .mount(&paypal)
        .await;
    let base = paypal.uri();
    let app = TestApp::start_with(backend, move |c| {
        c.test_mode = true;
        c.sweep_interval = std::time::Duration::from_secs(3600);
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
    })
    .await;
    (app, paypal)
}

/// The payer approves the order in `link` and comes back: the return captures it.
async fn pay(app: &TestApp, link: &str) {
    let order = link.rsplit("token=").next().unwrap();
    let r = app
        .client
        .get(format!(
            "{}/v1/paypal/return?token={order}&PayerID=FSMVU44LF3YUS",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
}

async fn renews_through_a_pay_link(backend: Backend) {
    let (app, paypal) = paypal_app(backend).await;
    let s = shop(&app).await;
    offer(&app, "paypal", "PayPal").await;
    let plan = monthly_plan(&app, "team", json!(null)).await;
    let created = subscribe(
        &app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "paypal" }),
    )
    .await;
    assert_eq!(created["subscription"]["collection_method"], "send_invoice");
    let sid = created["subscription"]["id"].as_str().unwrap().to_owned();
    pay(&app, created["next_action"]["url"].as_str().unwrap()).await;
    assert_eq!(subscription(&app, &s.acct, &sid).await["status"], "active");
    assert_eq!(app.balance(&s.acct).await.0, PLAN_CREDITS);
    for month in 2..=3 {
        let moved = advance(&app, "P1M").await;
        let sent = event_of(&moved, "invoice.sent");
        assert_eq!(sent["payload"]["payment_method"], "paypal");
        let link = sent["payload"]["next_action"]["url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            link.starts_with("https://www.sandbox.paypal.com/checkoutnow?token="),
            "{sent}"
        );
        pay(&app, &link).await;
        let sub = subscription(&app, &s.acct, &sid).await;
        assert_eq!(sub["status"], "active", "{sub}");
        assert!(sub["next_retry_at"].is_null(), "no reminder once paid");
        assert_eq!(app.balance(&s.acct).await.0, month * PLAN_CREDITS);
    }
    let orders = paypal
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v2/checkout/orders")
        .count();
    assert_eq!(orders, 3, "one order per period");
    let invs = invoices(&app, &s.acct).await;
    assert_eq!(invs.len(), 3);
    assert!(invs.iter().all(|i| i["status"] == "paid"));
    app.stop().await;
}
