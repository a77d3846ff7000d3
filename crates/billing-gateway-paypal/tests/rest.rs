//! The adapter's REST behaviour against a wiremock PayPal with PayPal-shaped answers: the
//! create-order body (0, 2 and 3 decimals, breakdown), token single flight and refresh on 401.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use billing_domain::ports::GatewayError;
use billing_domain::ports::PaymentGateway;
use billing_domain::ports::gateway::{GatewayOutcome, NextAction};
use common::paypal_mock::*;
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn start_sends_the_order_paypal_wants_and_returns_the_approve_link() {
    for (code, lines, expect_amount, expect_items, expect_discount) in [
        (
            "USD",
            vec![("1,000 credits", 2, 1250, 500)],
            "20.00",
            "25.00",
            Some("5.00"),
        ),
        (
            "JPY",
            vec![("1,000 credits", 1, 1500, 0), ("Bonus pack", 3, 100, 0)],
            "1800",
            "1800",
            None,
        ),
        (
            "KWD",
            vec![("Pack", 1, 12_345, 45)],
            "12.300",
            "12.345",
            Some("0.045"),
        ),
    ] {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/v2/checkout/orders"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(order_created("5O190127TN364715T")),
            )
            .mount(&s)
            .await;
        let request = start_request(invoice(code, &lines));
        let started = gateway(&s).start(&request).await.unwrap();
        assert_eq!(
            started.gateway_reference.as_deref(),
            Some("5O190127TN364715T")
        );
        assert_eq!(
            started.next_action,
            NextAction::RedirectToUrl {
                url: "https://www.sandbox.paypal.com/checkoutnow?token=5O190127TN364715T".into()
            }
        );

        let reqs = requests_to(&s.received_requests().await.unwrap(), "/v2/checkout/orders");
        assert_eq!(reqs.len(), 1);
        let r = &reqs[0];
        assert_eq!(
            r.headers
                .get("PayPal-Request-Id")
                .unwrap()
                .to_str()
                .unwrap(),
            format!("{}-order", request.payment.id)
        );
        assert_eq!(
            r.headers.get("Authorization").unwrap().to_str().unwrap(),
            "Bearer A21AA-token"
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["intent"], "CAPTURE");
        let unit = &body["purchase_units"][0];
        assert_eq!(body["purchase_units"].as_array().unwrap().len(), 1);
        assert_eq!(unit["custom_id"], request.payment.id.as_str());
        assert_eq!(unit["invoice_id"], "INV-2026-000042");
        assert_eq!(unit["amount"]["value"], expect_amount, "{code}");
        assert_eq!(unit["amount"]["currency_code"], code);
        assert_eq!(
            unit["amount"]["breakdown"]["item_total"]["value"], expect_items,
            "{code}"
        );
        assert_eq!(
            unit["amount"]["breakdown"]["discount"]["value"].as_str(),
            expect_discount,
            "{code}"
        );
        assert_eq!(unit["items"].as_array().unwrap().len(), lines.len());
        assert_eq!(unit["items"][0]["quantity"], lines[0].1.to_string());
        let ctx = &body["payment_source"]["paypal"]["experience_context"];
        assert_eq!(ctx["return_url"], "https://shop.example/v1/paypal/return");
        assert_eq!(ctx["cancel_url"], "https://shop.example/v1/paypal/cancel");
    }
}

#[tokio::test]
async fn lines_that_do_not_add_up_send_the_amount_alone() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .respond_with(ResponseTemplate::new(201).set_body_json(order_created("ORD2")))
        .mount(&s)
        .await;
    let mut request = start_request(invoice("USD", &[("Pack", 1, 1000, 0)]));
    request.payment.amount = 600; // e.g. a remainder after a partial payment
    request.invoice.number = None;
    gateway(&s).start(&request).await.unwrap();
    let r = requests_to(&s.received_requests().await.unwrap(), "/v2/checkout/orders").remove(0);
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    let unit = &body["purchase_units"][0];
    assert_eq!(
        unit["amount"],
        json!({"currency_code": "USD", "value": "6.00"})
    );
    assert!(unit.get("items").is_none());
    assert_eq!(
        unit["invoice_id"],
        request.invoice.id.as_str(),
        "no number yet: the invoice id"
    );
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/ORD1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "ORD1", "status": "APPROVED"})),
        )
        .mount(&s)
        .await;
    let gw = Arc::new(gateway(&s));
    let mut p = payment(&invoice("USD", &[("Pack", 1, 1000, 0)]));
    p.gateway_reference = Some("ORD1".into());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (gw, p) = (gw.clone(), p.clone());
            tokio::spawn(async move { gw.fetch_status(&p).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), GatewayOutcome::Approved);
    }
    let all = s.received_requests().await.unwrap();
    assert_eq!(
        requests_to(&all, "/v1/oauth2/token").len(),
        1,
        "one token for 20 concurrent calls"
    );
    let token_req = &requests_to(&all, "/v1/oauth2/token")[0];
    assert!(
        token_req
            .headers
            .get("Authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(token_req.body, b"grant_type=client_credentials");
    gw.fetch_status(&p).await.unwrap();
    assert_eq!(
        requests_to(&s.received_requests().await.unwrap(), "/v1/oauth2/token").len(),
        1,
        "cached"
    );
}

#[tokio::test]
async fn a_401_refreshes_the_token_once() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/ORD1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_token"})))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/ORD1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "ORD1", "status": "VOIDED"})),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/ORD9"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_token"})))
        .mount(&s)
        .await;
    let gw = gateway(&s);
    let mut p = payment(&invoice("USD", &[("Pack", 1, 1000, 0)]));
    p.gateway_reference = Some("ORD1".into());
    assert_eq!(gw.fetch_status(&p).await.unwrap(), GatewayOutcome::Canceled);
    assert_eq!(
        requests_to(&s.received_requests().await.unwrap(), "/v1/oauth2/token").len(),
        2
    );
    p.gateway_reference = Some("ORD9".into());
    assert!(
        matches!(
            gw.fetch_status(&p).await,
            Err(GatewayError::Misconfigured(_))
        ),
        "a second 401 is not retried forever"
    );
    assert_eq!(
        requests_to(
            &s.received_requests().await.unwrap(),
            "/v2/checkout/orders/ORD9"
        )
        .len(),
        2
    );
}
