//! A wiremock PayPal with PayPal-shaped answers, shared by the REST tests.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use billing_gateway_paypal::PayPalGateway;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::config;

pub async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "A21AA-token", "token_type": "Bearer", "expires_in": 32400, "scope": "x"}))
                .set_delay(std::time::Duration::from_millis(100)),
        )
        .named("token")
        .mount(&s)
        .await;
    s
}

pub fn gateway(s: &MockServer) -> PayPalGateway {
    PayPalGateway::new(config(&s.uri(), &s.uri(), &s.uri(), &s.uri())).unwrap()
}

pub fn order_created(id: &str) -> Value {
    json!({"id": id, "status": "PAYER_ACTION_REQUIRED", "links": [
        {"href": format!("https://api-m.sandbox.paypal.com/v2/checkout/orders/{id}"), "rel": "self", "method": "GET"},
        {"href": format!("https://www.sandbox.paypal.com/checkoutnow?token={id}"), "rel": "payer-action", "method": "GET"}]})
}

pub fn order_captured(id: &str, capture_status: &str, value: &str, code: &str) -> Value {
    json!({"id": id, "status": "COMPLETED", "purchase_units": [{"reference_id": "default", "payments": {"captures": [
        {"id": "3C679366HH908993F", "status": capture_status, "amount": {"currency_code": code, "value": value},
         "status_details": {"reason": "RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION"}}]}}]})
}

pub fn requests_to(all: &[Request], p: &str) -> Vec<Request> {
    all.iter().filter(|r| r.url.path() == p).cloned().collect()
}
