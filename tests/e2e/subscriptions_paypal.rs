//! Subscriptions paid with PayPal. Without vaulting every period's invoice is sent with its
//! own PayPal approve link; the payer's return captures it and the period's credits follow.
//! With vaulting (`BILLING_PAYPAL_VAULT=true`) the first order keeps the payer and renewals
//! are charged on the vault token, until PayPal reports the token deleted.

use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::gateways::{offer, ok};
use crate::shop::{entries, shop};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paypal_sqlite_renews_on_the_vaulted_payer() {
    renews_on_the_vaulted_payer(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paypal_postgres_renews_on_the_vaulted_payer() {
    renews_on_the_vaulted_payer(Backend::Postgres).await;
}

/// The vault token every paid first order keeps in these tests.
const VAULT_ID: &str = "8kk8451t";

/// A new order per request, its id derived from the PayPal-Request-Id.
pub(crate) struct Orders;

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
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        if body["payment_source"]["paypal"]["vault_id"] == VAULT_ID {
            // A renewal on the token: captured in the same step.
            return ResponseTemplate::new(201).set_body_json(json!({"id": id, "status": "COMPLETED",
                "purchase_units": [{"reference_id": "default", "payments": {"captures": [
                    {"id": format!("C{id}"), "status": "COMPLETED", "amount": {"currency_code": "EUR", "value": "19.00"}}]}}]}));
        }
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

async fn paypal_app(backend: Backend, vault: bool) -> (TestApp, MockServer) {
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
    // A paid order read back: the payer it kept.
    Mock::given(method("GET"))
        .and(path_regex("^/v2/checkout/orders/[^/]+$"))
        .respond_with(ok(json!({"id": "O1", "status": "COMPLETED", "payment_source": {"paypal": {
            "attributes": {"vault": {"id": VAULT_ID, "status": "VAULTED", "customer": {"id": "wxj1234"}}}}}})))
        .mount(&paypal)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/notifications/verify-webhook-signature"))
        .respond_with(ok(json!({"verification_status": "SUCCESS"})))
        .mount(&paypal)
        .await;
    let base = paypal.uri();
    let app = TestApp::start_with(backend, move |c| {
        if vault {
            c.gateway_env.set("BILLING_PAYPAL_VAULT", "true");
        }
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
    let (app, paypal) = paypal_app(backend, false).await;
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
        // Each period's allowance expires at its end: only this period's is left.
        assert_eq!(app.balance(&s.acct).await.0, PLAN_CREDITS);
        assert_eq!(entries(&app, &s.acct, "expiry").await.len(), month - 1);
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

fn orders_sent(requests: &[Request]) -> Vec<serde_json::Value> {
    requests
        .iter()
        .filter(|r| r.url.path() == "/v2/checkout/orders")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn renews_on_the_vaulted_payer(backend: Backend) {
    let (app, paypal) = paypal_app(backend, true).await;
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
    let sid = created["subscription"]["id"].as_str().unwrap().to_owned();
    let first = &orders_sent(&paypal.received_requests().await.unwrap())[0];
    assert_eq!(
        first["payment_source"]["paypal"]["attributes"]["vault"]["store_in_vault"], "ON_SUCCESS",
        "{first}"
    );
    pay(&app, created["next_action"]["url"].as_str().unwrap()).await;
    let sub = subscription(&app, &s.acct, &sid).await;
    assert_eq!(sub["status"], "active", "{sub}");
    assert_eq!(sub["gateway_payment_method"], VAULT_ID);
    assert_eq!(sub["collection_method"], "charge_automatically");

    // Two renewals charged on the token, no pay link sent.
    for month in 2..=3 {
        let moved = advance(&app, "P1M").await;
        assert!(
            !kinds(&moved).contains(&"invoice.sent".to_owned()),
            "{:?}",
            kinds(&moved)
        );
        // Each period's allowance expires at its end: only this period's is left.
        assert_eq!(app.balance(&s.acct).await.0, PLAN_CREDITS);
        assert_eq!(entries(&app, &s.acct, "expiry").await.len(), month - 1);
    }
    let requests = paypal.received_requests().await.unwrap();
    let renewals: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/v2/checkout/orders")
        .skip(1)
        .collect();
    assert_eq!(renewals.len(), 2);
    for r in &renewals {
        let key = r
            .headers
            .get("paypal-request-id")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            key.ends_with(":attempt:1"),
            "one key per invoice and attempt: {key}"
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["payment_source"]["paypal"]["vault_id"], VAULT_ID);
    }

    // The payer revokes the token at PayPal: the next renewal is a pay link again.
    let event = json!({"id": "WH-VAULT-DELETED-1", "event_version": "1.0", "create_time": "2026-11-23T12:00:00Z",
        "resource_type": "payment_token", "event_type": "VAULT.PAYMENT-TOKEN.DELETED", "summary": "A payment token has been deleted.",
        "resource": {"id": VAULT_ID, "payment_source": {"paypal": {}}}});
    let body = serde_json::to_vec(&event).unwrap();
    let r = crate::gateways::webhook(
        &app,
        "paypal",
        &body,
        &crate::gateway_paypal::paypal_headers(),
    )
    .await
    .expect(200);
    assert_eq!(r.body["disposition"], "applied", "{}", r.body);
    let sub = subscription(&app, &s.acct, &sid).await;
    assert_eq!(sub["collection_method"], "send_invoice");
    assert!(sub["gateway_payment_method"].is_null());
    let moved = advance(&app, "P1M").await;
    let sent = event_of(&moved, "invoice.sent");
    assert!(sent["payload"]["next_action"]["url"].is_string(), "{sent}");
    assert_eq!(
        orders_sent(&paypal.received_requests().await.unwrap()).len(),
        4,
        "no charge on the deleted token"
    );
    let invs = invoices(&app, &s.acct).await;
    assert_eq!(invs.len(), 4);
    assert!(invs[..3].iter().all(|i| i["status"] == "paid"));
    assert_eq!(invs[3]["status"], "pending");
    app.stop().await;
}
