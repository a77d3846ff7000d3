//! Capture, refunds, read-back, retries keeping the same `PayPal-Request-Id`, timeouts and
//! credential errors, against a wiremock PayPal with PayPal-shaped answers.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use billing_domain::ports::gateway::{GatewayOutcome, GatewayRefundRequest};
use billing_domain::ports::{GatewayError, PaymentGateway};
use billing_domain::types::RefundId;
use billing_gateway_paypal::PayPalGateway;
use common::paypal_mock::*;
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn capture_maps_completed_pending_and_declined() {
    for (status, expected) in [
        (
            "COMPLETED",
            GatewayOutcome::Succeeded {
                amount_received: 1000,
                gateway_payment_id: Some("3C679366HH908993F".into()),
            },
        ),
        ("PENDING", GatewayOutcome::Processing),
        (
            "DECLINED",
            GatewayOutcome::Failed {
                reason: "PayPal capture DECLINED: RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION"
                    .into(),
            },
        ),
    ] {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/v2/checkout/orders/ORD1/capture"))
            .and(header("Prefer", "return=representation"))
            .respond_with(
                ResponseTemplate::new(201)
                    .set_body_json(order_captured("ORD1", status, "10.00", "USD")),
            )
            .mount(&s)
            .await;
        let mut p = payment(&invoice("USD", &[("Pack", 1, 1000, 0)]));
        p.gateway_reference = Some("ORD1".into());
        assert_eq!(gateway(&s).capture(&p).await.unwrap(), expected, "{status}");
        let r = requests_to(
            &s.received_requests().await.unwrap(),
            "/v2/checkout/orders/ORD1/capture",
        )
        .remove(0);
        assert_eq!(
            r.headers
                .get("PayPal-Request-Id")
                .unwrap()
                .to_str()
                .unwrap(),
            format!("{}-capture", p.id)
        );
    }
}

#[tokio::test]
async fn capturing_twice_reads_the_order_back_and_wrong_currency_is_an_error() {
    let s = server().await;
    Mock::given(method("POST")).and(path("/v2/checkout/orders/ORD1/capture")).respond_with(ResponseTemplate::new(422).set_body_json(json!({
        "name": "UNPROCESSABLE_ENTITY", "message": "The requested action could not be performed.", "debug_id": "f1a2",
        "details": [{"issue": "ORDER_ALREADY_CAPTURED", "description": "Order already captured."}]}))).mount(&s).await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/ORD1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(order_captured(
            "ORD1",
            "COMPLETED",
            "10.00",
            "USD",
        )))
        .mount(&s)
        .await;
    Mock::given(method("POST")).and(path("/v2/checkout/orders/ORD2/capture")).respond_with(ResponseTemplate::new(422).set_body_json(json!({
        "name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "INSTRUMENT_DECLINED"}], "message": "declined"}))).mount(&s).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/ORD3/capture"))
        .respond_with(ResponseTemplate::new(201).set_body_json(order_captured(
            "ORD3",
            "COMPLETED",
            "10.00",
            "EUR",
        )))
        .mount(&s)
        .await;
    let gw = gateway(&s);
    let mut p = payment(&invoice("USD", &[("Pack", 1, 1000, 0)]));
    p.gateway_reference = Some("ORD1".into());
    assert!(matches!(
        gw.capture(&p).await.unwrap(),
        GatewayOutcome::Succeeded {
            amount_received: 1000,
            ..
        }
    ));
    p.gateway_reference = Some("ORD2".into());
    assert!(
        matches!(gw.capture(&p).await, Err(GatewayError::Declined { code, .. }) if code == "INSTRUMENT_DECLINED")
    );
    p.gateway_reference = Some("ORD3".into());
    assert!(matches!(gw.capture(&p).await, Err(GatewayError::Other(_))));
    p.gateway_reference = Some("../../v1/oauth2/token".into());
    assert!(
        gw.capture(&p).await.is_err(),
        "ids are never spliced into paths unchecked"
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_request_id_then_uncertain() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/ORD1/capture"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/ORD2/capture"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/ORD2/capture"))
        .respond_with(ResponseTemplate::new(201).set_body_json(order_captured(
            "ORD2",
            "COMPLETED",
            "10.00",
            "USD",
        )))
        .mount(&s)
        .await;
    let gw = gateway(&s);
    let mut p = payment(&invoice("USD", &[("Pack", 1, 1000, 0)]));
    p.gateway_reference = Some("ORD1".into());
    assert!(matches!(
        gw.capture(&p).await,
        Err(GatewayError::Uncertain(_))
    ));
    let tries = requests_to(
        &s.received_requests().await.unwrap(),
        "/v2/checkout/orders/ORD1/capture",
    );
    assert_eq!(tries.len(), 3, "1 try + 2 retries");
    let ids: Vec<_> = tries
        .iter()
        .map(|r| {
            r.headers
                .get("PayPal-Request-Id")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(ids.iter().all(|i| *i == format!("{}-capture", p.id)));
    p.gateway_reference = Some("ORD2".into());
    assert!(
        matches!(
            gw.capture(&p).await.unwrap(),
            GatewayOutcome::Succeeded { .. }
        ),
        "recovers within the retries"
    );
}

#[tokio::test]
async fn a_timeout_is_uncertain() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/SLOW"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(5)))
        .mount(&s)
        .await;
    let mut c = config(&s.uri(), &s.uri(), &s.uri(), &s.uri());
    c.timeout = std::time::Duration::from_millis(300);
    c.max_retries = 1;
    let gw = PayPalGateway::new(c).unwrap();
    let mut p = payment(&invoice("USD", &[("Pack", 1, 1000, 0)]));
    p.gateway_reference = Some("SLOW".into());
    assert!(matches!(
        gw.fetch_status(&p).await,
        Err(GatewayError::Uncertain(_))
    ));
}

#[tokio::test]
async fn refunds_partial_amounts_by_capture_with_our_refund_id() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/payments/captures/CAP1/refund"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": "1JU08902781691411", "status": "COMPLETED"})),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET")).and(path("/v2/payments/captures/CAP1")).respond_with(ResponseTemplate::new(200).set_body_json(json!({
        "id": "CAP1", "status": "PARTIALLY_REFUNDED", "amount": {"currency_code": "KWD", "value": "12.300"}}))).mount(&s).await;
    let gw = gateway(&s);
    let mut p = payment(&invoice("KWD", &[("Pack", 1, 12_300, 0)]));
    p.gateway_reference = Some("ORD1".into());
    p.gateway_payment_id = Some("CAP1".into());
    let refund_id = RefundId::generate(now());
    let out = gw
        .refund(&GatewayRefundRequest {
            refund_id: refund_id.clone(),
            payment: p.clone(),
            amount: 1_500,
            reason: "Goodwill".into(),
        })
        .await
        .unwrap();
    assert_eq!(out.gateway_refund_id.as_deref(), Some("1JU08902781691411"));
    assert!(!out.settled, "settled by PAYMENT.CAPTURE.REFUNDED");
    let r = requests_to(
        &s.received_requests().await.unwrap(),
        "/v2/payments/captures/CAP1/refund",
    )
    .remove(0);
    assert_eq!(
        r.headers
            .get("PayPal-Request-Id")
            .unwrap()
            .to_str()
            .unwrap(),
        refund_id.as_str()
    );
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        json!({"amount": {"currency_code": "KWD", "value": "1.500"}, "custom_id": refund_id.as_str(), "note_to_payer": "Goodwill"})
    );
    assert_eq!(
        gw.fetch_status(&p).await.unwrap(),
        GatewayOutcome::Succeeded {
            amount_received: 12_300,
            gateway_payment_id: Some("CAP1".into())
        }
    );
}

#[tokio::test]
async fn wrong_credentials_are_a_configuration_error() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&s)
        .await;
    let mut p = payment(&invoice("USD", &[("Pack", 1, 1000, 0)]));
    p.gateway_reference = Some("ORD1".into());
    let err = gateway(&s).fetch_status(&p).await.unwrap_err();
    assert!(
        matches!(&err, GatewayError::Misconfigured(m) if !m.contains("client-secret")),
        "{err}"
    );
}
