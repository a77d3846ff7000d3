//! Renewals against a local Stripe answering official fixtures: the off-session charge (every
//! parameter in the official spec), its outcomes, the card a paid subscription invoice kept,
//! and finding a charge whose answer was lost.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use billing_domain::ports::PaymentGateway;
use billing_domain::ports::gateway::{GatewayError, GatewayOutcome, OffSessionCharge};
use billing_gateway_stripe::{StripeConfig, StripeGateway};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
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

fn intent(status: &str) -> Value {
    let mut pi = common::fixture("payment_intent");
    pi["id"] = json!("pi_renewal_1");
    pi["status"] = json!(status);
    pi["amount"] = json!(2500);
    pi["amount_received"] = json!(if status == "succeeded" { 2500 } else { 0 });
    pi["payment_method"] = json!("pm_card_visa");
    pi
}

fn charge() -> OffSessionCharge {
    let req = common::purchase(&common::account(Some("cus_known")), 0, None);
    OffSessionCharge {
        payment: req.payment.clone(),
        invoice: req.invoice.clone(),
        account: req.account.clone(),
        payment_method: "pm_card_visa".into(),
        idempotency_key: format!("{}:attempt:2", req.invoice.id),
    }
}

fn form(r: &wiremock::Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&r.body).unwrap()
}

#[tokio::test]
async fn a_renewal_is_one_confirmed_off_session_payment_intent_keyed_per_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded")))
        .expect(1)
        .mount(&server)
        .await;
    let c = charge();
    let out = gateway(&server).charge_saved(&c).await.unwrap();
    assert_eq!(
        out,
        GatewayOutcome::Succeeded {
            amount_received: 2500,
            gateway_payment_id: Some("pi_renewal_1".into())
        }
    );
    let reqs = server.received_requests().await.unwrap();
    let sent = form(&reqs[0]);
    common::assert_params_in_spec("/v1/payment_intents", "post", &sent);
    let get = |k: &str| sent.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("off_session").as_deref(), Some("true"));
    assert_eq!(get("confirm").as_deref(), Some("true"));
    assert_eq!(get("customer").as_deref(), Some("cus_known"));
    assert_eq!(get("payment_method").as_deref(), Some("pm_card_visa"));
    assert_eq!(get("amount"), Some(c.payment.amount.to_string()));
    assert_eq!(get("metadata[payment_id]"), Some(c.payment.id.to_string()));
    assert_eq!(get("metadata[invoice_id]"), Some(c.invoice.id.to_string()));
    assert_eq!(
        reqs[0]
            .headers
            .get("idempotency-key")
            .unwrap()
            .to_str()
            .unwrap(),
        c.idempotency_key
    );
}

#[tokio::test]
async fn declines_and_authentication_are_declined_with_their_code() {
    for (answer, code) in [
        (
            ResponseTemplate::new(402).set_body_json(json!({"error": {"type": "card_error", "code": "card_declined",
                "decline_code": "insufficient_funds", "message": "Your card has insufficient funds."}})),
            "insufficient_funds",
        ),
        (ResponseTemplate::new(200).set_body_json(intent("requires_action")), "authentication_required"),
        (
            ResponseTemplate::new(402).set_body_json(json!({"error": {"type": "card_error", "code": "authentication_required",
                "message": "This payment requires authentication."}})),
            "authentication_required",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST")).and(path("/v1/payment_intents")).respond_with(answer).mount(&server).await;
        match gateway(&server).charge_saved(&charge()).await {
            Err(GatewayError::Declined { code: c, .. }) => assert_eq!(c, code),
            other => panic!("expected a decline with {code}, got {other:?}"),
        }
    }
    // No Stripe customer: nothing to charge, said without calling Stripe.
    let server = MockServer::start().await;
    let mut c = charge();
    c.account.stripe_customer_id = None;
    match gateway(&server).charge_saved(&c).await {
        Err(GatewayError::Declined { code, .. }) => assert_eq!(code, "no_payment_method"),
        other => panic!("{other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_card_a_paid_invoice_kept_is_read_from_its_payment_intent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/pi_renewal_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent("succeeded")))
        .mount(&server)
        .await;
    let mut p = charge().payment;
    p.gateway_payment_id = Some("pi_renewal_1".into());
    assert_eq!(
        gateway(&server)
            .saved_payment_method(&p)
            .await
            .unwrap()
            .as_deref(),
        Some("pm_card_visa")
    );
}

#[tokio::test]
async fn a_lost_charge_is_found_by_search_and_none_found_is_believed_only_when_old() {
    let server = MockServer::start().await;
    let found = json!({"object": "search_result", "url": "/v1/payment_intents/search", "has_more": false, "data": [intent("succeeded")]});
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(found))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let gw = gateway(&server);
    let mut p = charge().payment;
    assert!(matches!(
        gw.fetch_status(&p).await.unwrap(),
        GatewayOutcome::Succeeded { .. }
    ));
    let q = server.received_requests().await.unwrap()[0]
        .url
        .query_pairs()
        .find(|(k, _)| k == "query")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(q, format!("metadata['payment_id']:'{}'", p.id));
    let query: Vec<(String, String)> = server.received_requests().await.unwrap()[0]
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    common::assert_params_in_spec("/v1/payment_intents/search", "get", &query);
    let none = json!({"object": "search_result", "url": "/v1/payment_intents/search", "has_more": false, "data": []});
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(none))
        .mount(&server)
        .await;
    // An old payment with no PaymentIntent: it never reached Stripe.
    assert_eq!(gw.fetch_status(&p).await.unwrap(), GatewayOutcome::Canceled);
    // A young one: search may not list it yet.
    p.created_at = time::OffsetDateTime::now_utc();
    assert!(matches!(
        gw.fetch_status(&p).await,
        Err(GatewayError::Uncertain(_))
    ));
}
