//! Vaulted PayPal renewals against a wiremock PayPal with PayPal-shaped answers: the first
//! order asks PayPal to keep the payer only when vaulting is on, the kept token is read
//! back, a renewal is one single-step order on it keyed per invoice and attempt, refusals
//! become the decline codes the dunning reads, and a lost order waits for its event.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use billing_domain::ports::GatewayError;
use billing_domain::ports::PaymentGateway;
use billing_domain::ports::gateway::{GatewayOutcome, OffSessionCharge};
use billing_gateway_paypal::{LOST_ORDER_HORIZON, PayPalGateway};
use common::paypal_mock::*;
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn vaulting(s: &MockServer) -> PayPalGateway {
    let mut c = config(&s.uri(), &s.uri(), &s.uri(), &s.uri());
    c.vault = true;
    PayPalGateway::new(c).unwrap()
}

fn renewal() -> OffSessionCharge {
    let req = start_request(invoice("EUR", &[("Team, monthly", 1, 1900, 0)]));
    OffSessionCharge {
        payment: req.payment.clone(),
        idempotency_key: format!("{}:attempt:2", req.invoice.id),
        invoice: req.invoice,
        account: req.account,
        payment_method: "8kk8451t".into(),
    }
}

async fn sent_orders(s: &MockServer) -> Vec<Value> {
    requests_to(&s.received_requests().await.unwrap(), "/v2/checkout/orders")
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn only_a_subscription_order_with_vaulting_on_asks_paypal_to_keep_the_payer() {
    for (vault, save, kept) in [
        (true, true, true),
        (true, false, false),
        (false, true, false),
    ] {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/v2/checkout/orders"))
            .respond_with(ResponseTemplate::new(200).set_body_json(order_created("5O19")))
            .mount(&s)
            .await;
        let mut request = start_request(invoice("EUR", &[("Team, monthly", 1, 1900, 0)]));
        request.save_payment_method = save;
        let gw = if vault { vaulting(&s) } else { gateway(&s) };
        gw.start(&request).await.unwrap();
        let body = &sent_orders(&s).await[0];
        let attributes = &body["payment_source"]["paypal"]["attributes"];
        if kept {
            assert_eq!(
                attributes["vault"],
                json!({"store_in_vault": "ON_SUCCESS", "usage_type": "MERCHANT", "usage_pattern": "RECURRING_PREPAID"})
            );
        } else {
            assert!(attributes.is_null(), "vault {vault}, save {save}: {body}");
        }
        // The payer still approves it on PayPal's page.
        assert!(body["payment_source"]["paypal"]["experience_context"]["return_url"].is_string());
    }
}

#[tokio::test]
async fn the_token_a_paid_order_kept_is_read_back_once_vaulted() {
    let s = server().await;
    let mut order = order_captured("5O19", "COMPLETED", "19.00", "EUR");
    order["payment_source"] = json!({"paypal": {"email_address": "payer@example.com",
        "attributes": {"vault": {"id": "8kk8451t", "status": "VAULTED", "customer": {"id": "wxj1234"}}}}});
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/5O19"))
        .respond_with(ResponseTemplate::new(200).set_body_json(order.clone()))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    // Still being created: no token yet.
    order["payment_source"]["paypal"]["attributes"]["vault"]["status"] = json!("APPROVED");
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/5O19"))
        .respond_with(ResponseTemplate::new(200).set_body_json(order))
        .mount(&s)
        .await;
    let mut p = payment(&invoice("EUR", &[("Team, monthly", 1, 1900, 0)]));
    p.gateway_reference = Some("5O19".into());
    let gw = vaulting(&s);
    assert_eq!(
        gw.saved_payment_method(&p).await.unwrap().as_deref(),
        Some("8kk8451t")
    );
    assert_eq!(gw.saved_payment_method(&p).await.unwrap(), None);
    // Vaulting off: PayPal is not asked.
    let before = s.received_requests().await.unwrap().len();
    assert_eq!(gateway(&s).saved_payment_method(&p).await.unwrap(), None);
    assert_eq!(s.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn a_renewal_is_one_single_step_order_on_the_token_keyed_per_attempt() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .respond_with(ResponseTemplate::new(201).set_body_json(order_captured(
            "9RN1",
            "COMPLETED",
            "19.00",
            "EUR",
        )))
        .expect(1)
        .mount(&s)
        .await;
    let c = renewal();
    let out = vaulting(&s).charge_saved(&c).await.unwrap();
    assert_eq!(
        out,
        GatewayOutcome::Succeeded {
            amount_received: 1900,
            gateway_payment_id: Some("3C679366HH908993F".into())
        }
    );
    let reqs = requests_to(&s.received_requests().await.unwrap(), "/v2/checkout/orders");
    assert_eq!(
        reqs[0]
            .headers
            .get("PayPal-Request-Id")
            .unwrap()
            .to_str()
            .unwrap(),
        c.idempotency_key
    );
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(body["intent"], "CAPTURE");
    assert_eq!(
        body["payment_source"],
        json!({"paypal": {"vault_id": "8kk8451t"}})
    );
    assert_eq!(
        body["purchase_units"][0]["custom_id"],
        c.payment.id.as_str()
    );
    assert_eq!(body["purchase_units"][0]["amount"]["value"], "19.00");
}

#[tokio::test]
async fn refusals_become_the_decline_codes_the_dunning_reads() {
    for (answer, code) in [
        (
            ResponseTemplate::new(422).set_body_json(json!({"name": "UNPROCESSABLE_ENTITY",
                "details": [{"issue": "INSTRUMENT_DECLINED"}], "message": "declined", "debug_id": "d1"})),
            "card_declined",
        ),
        (
            ResponseTemplate::new(422).set_body_json(json!({"name": "UNPROCESSABLE_ENTITY",
                "details": [{"issue": "TOKEN_ID_NOT_FOUND"}], "message": "no token", "debug_id": "d2"})),
            "no_payment_method",
        ),
        (
            ResponseTemplate::new(201).set_body_json(order_created("9RN2")),
            "authentication_required",
        ),
    ] {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/v2/checkout/orders"))
            .respond_with(answer)
            .mount(&s)
            .await;
        match vaulting(&s).charge_saved(&renewal()).await {
            Err(GatewayError::Declined { code: got, .. }) => assert_eq!(got, code),
            other => panic!("{code}: {other:?}"),
        }
    }
    // A declined capture inside a completed order is an ordinary (retried) failure.
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(order_captured("9RN3", "DECLINED", "19.00", "EUR")),
        )
        .mount(&s)
        .await;
    assert!(matches!(
        vaulting(&s).charge_saved(&renewal()).await,
        Ok(GatewayOutcome::Failed { .. })
    ));
}

#[tokio::test]
async fn an_approved_renewal_order_is_captured_keyed_by_our_payment() {
    let s = server().await;
    let mut approved = order_created("9RN4");
    approved["status"] = json!("APPROVED");
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .respond_with(ResponseTemplate::new(201).set_body_json(approved))
        .mount(&s)
        .await;
    let c = renewal();
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/9RN4/capture"))
        .and(header(
            "PayPal-Request-Id",
            format!("{}-capture", c.payment.id).as_str(),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(order_captured(
            "9RN4",
            "COMPLETED",
            "19.00",
            "EUR",
        )))
        .expect(1)
        .mount(&s)
        .await;
    assert!(matches!(
        vaulting(&s).charge_saved(&c).await,
        Ok(GatewayOutcome::Succeeded { .. })
    ));
}

#[tokio::test]
async fn without_vaulting_nothing_is_charged_and_a_lost_order_waits_for_its_event() {
    let s = server().await;
    assert!(matches!(
        gateway(&s).charge_saved(&renewal()).await,
        Err(GatewayError::Misconfigured(_))
    ));
    assert!(s.received_requests().await.unwrap().is_empty());
    // An order PayPal never named: uncertain while its capture event may still come.
    let mut p = renewal().payment;
    assert!(matches!(
        gateway(&s).fetch_status(&p).await,
        Err(GatewayError::Uncertain(_))
    ));
    p.created_at = now() - LOST_ORDER_HORIZON - time::Duration::minutes(1);
    assert_eq!(
        gateway(&s).fetch_status(&p).await.unwrap(),
        GatewayOutcome::Canceled
    );
    assert!(s.received_requests().await.unwrap().is_empty());
}
