//! The adapter against a local HTTP stub answering with Stripe's official fixture objects;
//! every parameter sent is checked against Stripe's official OpenAPI spec.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use billing_domain::entities::NextAction;
use billing_domain::ports::gateway::{
    GatewayError, GatewayOutcome, GatewayRefundRequest, PaymentGateway,
};
use billing_domain::types::RefundId;
use billing_gateway_stripe::{StripeConfig, StripeGateway};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn gateway(server: &MockServer, timeout_ms: u64) -> StripeGateway {
    let mut c = StripeConfig::new(
        "sk_test_123",
        "https://app.example/paid?session={CHECKOUT_SESSION_ID}",
        "https://app.example/canceled",
    );
    c.api_base = server.uri();
    c.timeout = Duration::from_millis(timeout_ms);
    c.retry_base_delay = Duration::from_millis(10);
    StripeGateway::new(c).unwrap()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn session(status: &str, payment_status: &str) -> Value {
    let mut s = common::fixture("checkout.session");
    s["status"] = json!(status);
    s["payment_status"] = json!(payment_status);
    s["amount_total"] = json!(2500);
    s
}

/// Every request sent: form/query parameters in the official spec, our key and headers.
async fn check_requests(server: &MockServer) -> Vec<wiremock::Request> {
    let requests = server.received_requests().await.unwrap();
    for r in &requests {
        assert_eq!(
            r.headers.get("authorization").unwrap(),
            "Bearer sk_test_123"
        );
        assert!(
            r.headers.get("stripe-version").is_some(),
            "Stripe-Version pins the API version"
        );
        let p = r.url.path();
        let spec_path = match p {
            "/v1/customers"
            | "/v1/checkout/sessions"
            | "/v1/refunds"
            | "/v1/payment_intents/search" => p.to_owned(),
            _ if p.starts_with("/v1/checkout/sessions/") => {
                "/v1/checkout/sessions/{session}".to_owned()
            }
            other => panic!("unexpected call {other}"),
        };
        let m = r.method.as_str().to_ascii_lowercase();
        let params: Vec<(String, String)> = if m == "get" {
            r.url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        } else {
            assert!(
                r.headers.get("idempotency-key").is_some(),
                "{p}: every write carries an idempotency key"
            );
            serde_urlencoded::from_bytes(&r.body).unwrap()
        };
        common::assert_params_in_spec(&spec_path, &m, &params);
    }
    requests
}

fn form(r: &wiremock::Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&r.body).unwrap()
}

fn param<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn start_creates_the_customer_once_then_a_checkout_session() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ok(common::fixture("customer")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ok(common::fixture("checkout.session")))
        .mount(&server)
        .await;
    let gw = gateway(&server, 5_000);
    let account = common::account(None);
    let req = common::purchase(&account, 500, None);
    let started = gw.start(&req).await.unwrap();
    let fx = common::fixture("checkout.session");
    assert_eq!(started.gateway_reference.as_deref(), fx["id"].as_str());
    assert_eq!(
        started.next_action,
        NextAction::RedirectToUrl {
            url: fx["url"].as_str().unwrap().to_owned()
        }
    );
    assert_eq!(
        started.customer_id.as_deref(),
        common::fixture("customer")["id"].as_str()
    );

    let requests = check_requests(&server).await;
    let customer = form(&requests[0]);
    assert_eq!(
        requests[0].headers.get("idempotency-key").unwrap(),
        &format!("billing-customer-{}", account.id)
    );
    assert_eq!(param(&customer, "email"), Some("billing@acme.example"));
    assert_eq!(param(&customer, "address[country]"), Some("DE"));
    assert_eq!(
        param(&customer, "metadata[account_id]"),
        Some(account.id.as_str())
    );
    let s = form(&requests[1]);
    assert_eq!(
        requests[1].headers.get("idempotency-key").unwrap(),
        &format!("billing-checkout-{}", req.payment.id)
    );
    assert_eq!(param(&s, "mode"), Some("payment"));
    assert_eq!(param(&s, "customer"), fx_customer().as_deref());
    assert_eq!(
        param(&s, "client_reference_id"),
        Some(req.payment.id.as_str())
    );
    assert_eq!(
        param(&s, "metadata[payment_id]"),
        Some(req.payment.id.as_str())
    );
    assert_eq!(
        param(&s, "metadata[invoice_id]"),
        Some(req.invoice.id.as_str())
    );
    assert_eq!(
        param(&s, "payment_intent_data[metadata][payment_id]"),
        Some(req.payment.id.as_str())
    );
    assert_eq!(
        param(&s, "success_url"),
        Some("https://app.example/paid?session={CHECKOUT_SESSION_ID}")
    );
    assert_eq!(
        param(&s, "cancel_url"),
        Some("https://app.example/canceled")
    );
    // Discounted line: one item of the net amount, in minor units of the invoice currency.
    assert_eq!(
        param(&s, "line_items[0][price_data][currency]"),
        Some("usd")
    );
    assert_eq!(
        param(&s, "line_items[0][price_data][unit_amount]"),
        Some("2500")
    );
    assert_eq!(param(&s, "line_items[0][quantity]"), Some("1"));
    assert_eq!(param(&s, "line_items[0][price]"), None);
}

fn fx_customer() -> Option<String> {
    common::fixture("customer")["id"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn an_existing_customer_and_a_configured_price_are_reused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ok(common::fixture("checkout.session")))
        .mount(&server)
        .await;
    let gw = gateway(&server, 5_000);
    let req = common::purchase(&common::account(Some("cus_known")), 0, Some("price_123"));
    let started = gw.start(&req).await.unwrap();
    assert_eq!(started.customer_id, None, "nothing new to store");
    let requests = check_requests(&server).await;
    assert_eq!(requests.len(), 1, "no customer created");
    let s = form(&requests[0]);
    assert_eq!(param(&s, "customer"), Some("cus_known"));
    assert_eq!(param(&s, "line_items[0][price]"), Some("price_123"));
    assert_eq!(param(&s, "line_items[0][quantity]"), Some("2"));
}

#[tokio::test]
async fn a_500_is_retried_with_the_same_idempotency_key() {
    let server = MockServer::start().await;
    let error =
        json!({"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}});
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(500).set_body_json(error))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ok(common::fixture("checkout.session")))
        .with_priority(2)
        .mount(&server)
        .await;
    let gw = gateway(&server, 5_000);
    let req = common::purchase(&common::account(Some("cus_known")), 0, None);
    let started = gw.start(&req).await.unwrap();
    assert!(started.gateway_reference.is_some());
    let requests = check_requests(&server).await;
    assert_eq!(requests.len(), 2);
    let key = |r: &wiremock::Request| {
        r.headers
            .get("idempotency-key")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(key(&requests[0]), key(&requests[1]));
    assert_eq!(
        requests[0].body, requests[1].body,
        "one logical create: identical retries"
    );
}

#[tokio::test]
async fn rate_limits_until_retries_run_out_are_uncertain_and_4xx_are_not_retried() {
    let server = MockServer::start().await;
    let busy = json!({"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}});
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(429).set_body_json(busy))
        .mount(&server)
        .await;
    let gw = gateway(&server, 5_000);
    let req = common::purchase(&common::account(Some("cus_known")), 0, None);
    assert!(matches!(
        gw.start(&req).await,
        Err(GatewayError::Uncertain(_))
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    server.reset().await;
    let bad = json!({"error": {"type": "invalid_request_error", "message": "No such price: 'price_x'", "param": "line_items[0][price]"}});
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(400).set_body_json(bad))
        .mount(&server)
        .await;
    assert!(
        matches!(gw.start(&req).await, Err(GatewayError::Other(m)) if m.contains("No such price"))
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_timeout_is_uncertain_and_fetch_status_resolves_it_once_stripe_answers() {
    let server = MockServer::start().await;
    let gw = gateway(&server, 300);
    let req = common::purchase(&common::account(Some("cus_known")), 0, None);
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ok(common::fixture("checkout.session")).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    assert!(matches!(
        gw.start(&req).await,
        Err(GatewayError::Uncertain(_))
    ));

    let mut payment = req.payment.clone();
    payment.gateway_reference = common::fixture("checkout.session")["id"]
        .as_str()
        .map(str::to_owned);
    let mut paid = session("complete", "paid");
    let mut intent = common::fixture("payment_intent");
    intent["status"] = json!("succeeded");
    intent["amount_received"] = json!(2500);
    paid["payment_intent"] = intent.clone();
    server.reset().await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/checkout/sessions/cs_"))
        .respond_with(ok(paid.clone()).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    assert!(
        matches!(
            gw.fetch_status(&payment).await,
            Err(GatewayError::Uncertain(_))
        ),
        "still not answering"
    );

    server.reset().await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/checkout/sessions/cs_"))
        .respond_with(ok(paid))
        .mount(&server)
        .await;
    let outcome = gw.fetch_status(&payment).await.unwrap();
    assert_eq!(
        outcome,
        GatewayOutcome::Succeeded {
            amount_received: 2500,
            gateway_payment_id: intent["id"].as_str().map(str::to_owned)
        }
    );
    let requests = check_requests(&server).await;
    assert!(
        requests[0]
            .url
            .query()
            .unwrap_or_default()
            .contains("payment_intent"),
        "the PaymentIntent is expanded"
    );
    assert_eq!(
        gw.capture(&payment).await.unwrap(),
        outcome,
        "capture reads the outcome"
    );
}

#[tokio::test]
async fn fetch_status_maps_open_expired_and_unsent_sessions() {
    let server = MockServer::start().await;
    let gw = gateway(&server, 5_000);
    let req = common::purchase(&common::account(Some("cus_known")), 0, None);
    let mut payment = req.payment.clone();
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/search"))
        .respond_with(ok(json!({"object": "search_result", "url": "/v1/payment_intents/search", "has_more": false, "data": []})))
        .mount(&server)
        .await;
    assert_eq!(
        gw.fetch_status(&payment).await.unwrap(),
        GatewayOutcome::Canceled,
        "no session ever reached the payer, and no PaymentIntent carries its id"
    );
    payment.gateway_reference = Some("cs_test_1".into());
    for (status, pay, expected) in [
        ("open", "unpaid", GatewayOutcome::Processing),
        ("expired", "unpaid", GatewayOutcome::Canceled),
        ("complete", "unpaid", GatewayOutcome::Processing),
    ] {
        server.reset().await;
        Mock::given(method("GET"))
            .and(path("/v1/checkout/sessions/cs_test_1"))
            .respond_with(ok(session(status, pay)))
            .mount(&server)
            .await;
        assert_eq!(
            gw.fetch_status(&payment).await.unwrap(),
            expected,
            "{status}/{pay}"
        );
        check_requests(&server).await;
    }
}

#[tokio::test]
async fn refunds_go_by_payment_intent_keyed_by_our_refund_id() {
    let server = MockServer::start().await;
    let mut pending = common::fixture("refund");
    pending["status"] = json!("pending");
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ok(pending.clone()))
        .mount(&server)
        .await;
    let gw = gateway(&server, 5_000);
    let req = common::purchase(&common::account(Some("cus_known")), 0, None);
    let mut payment = req.payment.clone();
    payment.gateway_payment_id = Some("pi_123".into());
    let refund_id = RefundId::generate(common::t0());
    let r = GatewayRefundRequest {
        refund_id: refund_id.clone(),
        payment: payment.clone(),
        amount: 700,
        reason: "customer asked".into(),
    };
    let refunded = gw.refund(&r).await.unwrap();
    assert_eq!(
        refunded.gateway_refund_id.as_deref(),
        pending["id"].as_str()
    );
    assert!(!refunded.settled, "settles by webhook");
    let requests = check_requests(&server).await;
    assert_eq!(
        requests[0].headers.get("idempotency-key").unwrap(),
        refund_id.as_str()
    );
    let f = form(&requests[0]);
    assert_eq!(param(&f, "payment_intent"), Some("pi_123"));
    assert_eq!(param(&f, "amount"), Some("700"));
    assert_eq!(param(&f, "metadata[refund_id]"), Some(refund_id.as_str()));

    // Without a known PaymentIntent, the session is read first.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/checkout/sessions/cs_test_1"))
        .respond_with(ok(session("complete", "paid")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ok(pending))
        .mount(&server)
        .await;
    payment.gateway_payment_id = None;
    payment.gateway_reference = Some("cs_test_1".into());
    gw.refund(&GatewayRefundRequest { payment, ..r })
        .await
        .unwrap();
    let requests = check_requests(&server).await;
    let pi = common::fixture("checkout.session")["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        param(&form(&requests[1]), "payment_intent"),
        Some(pi.as_str())
    );
}

#[tokio::test]
async fn a_coded_refusal_of_a_refund_is_declined_not_uncertain() {
    let server = MockServer::start().await;
    let refused = json!({"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
        "message": "Charge ch_1 has already been refunded."}});
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ResponseTemplate::new(400).set_body_json(refused))
        .mount(&server)
        .await;
    let gw = gateway(&server, 5_000);
    let mut payment = common::purchase(&common::account(Some("cus_known")), 0, None).payment;
    payment.gateway_payment_id = Some("pi_123".into());
    let r = GatewayRefundRequest {
        refund_id: RefundId::generate(common::t0()),
        payment,
        amount: 700,
        reason: "customer asked".into(),
    };
    assert!(matches!(
        gw.refund(&r).await,
        Err(GatewayError::Declined { code, message })
            if code == "charge_already_refunded" && message.contains("already been refunded")
    ));
    assert_eq!(check_requests(&server).await.len(), 1, "not retried");
}

#[test]
fn the_spec_check_refuses_parameters_stripe_does_not_define() {
    let sent = |k: &str| vec![(k.to_owned(), "x".to_owned())];
    common::assert_params_in_spec(
        "/v1/checkout/sessions",
        "post",
        &sent("line_items[0][price_data][unit_amount]"),
    );
    common::assert_params_in_spec("/v1/checkout/sessions", "post", &sent("metadata[anything]"));
    for bad in ["foo", "line_items[0][bogus]", "metadata[a][b]"] {
        let r = std::panic::catch_unwind(|| {
            common::assert_params_in_spec("/v1/checkout/sessions", "post", &sent(bad))
        });
        assert!(r.is_err(), "`{bad}` must be refused");
    }
}
