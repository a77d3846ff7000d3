//! Keeping a card without a charge (a subscription's trial) against a local Stripe answering
//! official fixtures: the setup Checkout Session (every parameter in the official spec) and
//! reading the card back from the customer's completed setup sessions.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use billing_domain::ports::PaymentGateway;
use billing_domain::ports::gateway::{NextAction, StartSetup};
use billing_domain::types::{Currency, SubscriptionId};
use billing_gateway_stripe::{StripeConfig, StripeGateway};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn gateway(server: &MockServer) -> StripeGateway {
    let mut c = StripeConfig::new(
        "sk_test_123",
        "https://app.example/paid",
        "https://app.example/canceled",
    );
    c.api_base = server.uri();
    c.timeout = Duration::from_secs(5);
    c.retry_base_delay = Duration::from_millis(10);
    StripeGateway::new(c).unwrap()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn pairs(r: &wiremock::Request) -> Vec<(String, String)> {
    if r.method.as_str() == "GET" {
        r.url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    } else {
        serde_urlencoded::from_bytes(&r.body).unwrap()
    }
}

fn get<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

fn setup_request(customer: Option<&str>) -> StartSetup {
    StartSetup {
        subscription_id: SubscriptionId::generate(common::t0()),
        account: common::account(customer),
        currency: Currency::parse("EUR").unwrap(),
        idempotency_key: "billing-setup-sub_1".into(),
    }
}

/// A completed setup session for `sub`, created at `created`, its SetupIntent expanded.
fn completed(sub: &str, created: i64, intent_status: &str, pm: &str) -> Value {
    let mut s = common::fixture("checkout.session");
    s["id"] = json!(format!("cs_setup_{created}"));
    s["mode"] = json!("setup");
    s["status"] = json!("complete");
    s["payment_status"] = json!("no_payment_required");
    s["payment_intent"] = Value::Null;
    s["created"] = json!(created);
    s["metadata"] = json!({ "subscription_id": sub });
    let mut i = common::fixture("setup_intent");
    i["id"] = json!(format!("seti_{created}"));
    i["status"] = json!(intent_status);
    i["payment_method"] = json!(pm);
    s["setup_intent"] = i;
    s
}

#[tokio::test]
async fn a_setup_session_keeps_a_card_for_the_subscription_without_a_charge() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ok(common::fixture("customer")))
        .expect(1)
        .mount(&server)
        .await;
    let mut session = common::fixture("checkout.session");
    session["mode"] = json!("setup");
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ok(session.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let req = setup_request(None);
    let started = gateway(&server).start_setup(&req).await.unwrap();
    assert_eq!(
        started.next_action,
        NextAction::RedirectToUrl {
            url: session["url"].as_str().unwrap().to_owned()
        }
    );
    assert_eq!(started.gateway_reference.as_deref(), session["id"].as_str());
    // The customer created for it is handed back to be stored on the account.
    assert_eq!(
        started.customer_id.as_deref(),
        common::fixture("customer")["id"].as_str()
    );
    let requests = server.received_requests().await.unwrap();
    let sent = pairs(&requests[1]);
    common::assert_params_in_spec("/v1/checkout/sessions", "post", &sent);
    assert_eq!(
        requests[1].headers.get("idempotency-key").unwrap(),
        "billing-setup-sub_1"
    );
    assert_eq!(get(&sent, "mode"), Some("setup"));
    assert_eq!(get(&sent, "currency"), Some("eur"));
    assert_eq!(get(&sent, "customer"), started.customer_id.as_deref());
    let sub = req.subscription_id.to_string();
    assert_eq!(get(&sent, "client_reference_id"), Some(sub.as_str()));
    assert_eq!(get(&sent, "metadata[subscription_id]"), Some(sub.as_str()));
    assert_eq!(
        get(&sent, "setup_intent_data[metadata][subscription_id]"),
        Some(sub.as_str())
    );
    // Nothing is charged: no line items, no PaymentIntent data.
    assert!(
        sent.iter()
            .all(|(k, _)| !k.starts_with("line_items") && !k.starts_with("payment_intent_data")),
        "{sent:?}"
    );
}

#[tokio::test]
async fn the_card_is_read_back_from_the_newest_completed_setup_of_that_subscription() {
    let server = MockServer::start().await;
    let req = setup_request(Some("cus_known"));
    let sub = req.subscription_id.to_string();
    let list = json!({"object": "list", "url": "/v1/checkout/sessions", "has_more": false, "data": [
        completed(&sub, 100, "succeeded", "pm_old"),
        completed(&sub, 300, "succeeded", "pm_new"),
        // Newer, but its SetupIntent did not succeed; another subscription's is not ours.
        completed(&sub, 400, "requires_payment_method", "pm_failed"),
        completed("sub_other", 500, "succeeded", "pm_other"),
    ]});
    Mock::given(method("GET"))
        .and(path("/v1/checkout/sessions"))
        .and(query_param("customer", "cus_known"))
        .respond_with(ok(list))
        .expect(1)
        .mount(&server)
        .await;
    let found = gateway(&server)
        .saved_for_subscription(&req.account, &sub)
        .await
        .unwrap();
    assert_eq!(found.as_deref(), Some("pm_new"));
    let requests = server.received_requests().await.unwrap();
    let query = pairs(&requests[0]);
    common::assert_params_in_spec("/v1/checkout/sessions", "get", &query);
    assert_eq!(get(&query, "limit"), Some("100"));
    assert_eq!(get(&query, "expand[0]"), Some("data.setup_intent"));
}

#[tokio::test]
async fn an_account_without_a_customer_has_no_card_and_stripe_is_not_asked() {
    let server = MockServer::start().await;
    let req = setup_request(None);
    let found = gateway(&server)
        .saved_for_subscription(&req.account, req.subscription_id.as_str())
        .await
        .unwrap();
    assert_eq!(found, None);
    assert!(server.received_requests().await.unwrap().is_empty());
}
