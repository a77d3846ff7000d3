//! The adapter against Stoplight Prism serving PayPal's official OpenAPI specs (Orders v2,
//! Payments v2, Notifications v1), one process per spec on a free port, static mode without
//! `--errors`. Every request the adapter makes must pass Prism's request validation: no
//! `Violation: request` in the logs and only 2xx answers. Prism's responses are schema
//! placeholders (`"id": "string"`), so response *values* are not asserted here (the wiremock
//! tests do that with PayPal-shaped answers); what is asserted is that PayPal's own spec
//! accepts what we send. The token endpoint is in no official spec: wiremock stubs it.
//!
//! Prism 5.14.2 is installed from npm by `scripts/prism/install.sh` into the target dir.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use billing_domain::ports::gateway::GatewayRefundRequest;
use billing_domain::ports::{GatewayError, PaymentGateway};
use billing_domain::types::RefundId;
use billing_gateway_paypal::{PayPalGateway, VerifyMode};
use common::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn specs_dir() -> PathBuf {
    std::env::var("PAYPAL_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/gateway-specs/paypal")
        })
}

fn install_prism() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/prism/install.sh");
    let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join("prism");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&dest)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/prism/install.sh");
    assert!(out.status.success(), "installing Prism failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One Prism process; killed when dropped.
struct Prism {
    child: Child,
    log: PathBuf,
    base: String,
}

impl Prism {
    fn start(bin: &Path, spec: &Path, name: &str) -> Self {
        assert!(
            spec.exists(),
            "PayPal spec {} is needed (shared/gateway-specs beside the repository, or PAYPAL_SPECS_DIR)",
            spec.display()
        );
        let port = free_port();
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("prism-{name}-{port}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(spec)
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .expect("start prism");
        Self {
            child,
            log,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_ready(&mut self, deadline: Instant) {
        while Instant::now() < deadline {
            if self.log().contains("Prism is listening") {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("Prism exited ({status}):\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("Prism did not start in time:\n{}", self.log());
    }

    /// Asserts that every request so far passed validation and got a 2xx; returns how many.
    fn assert_all_valid(&self) -> usize {
        let log = self.log();
        let violations: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("Violation: request"))
            .collect();
        assert!(
            violations.is_empty(),
            "Prism ({}) refused our requests:\n{}",
            self.base,
            violations.join("\n")
        );
        let received = log
            .lines()
            .filter(|l| l.contains("Request received"))
            .count();
        let passed = log
            .lines()
            .filter(|l| l.contains("The request passed the validation rules"))
            .count();
        assert_eq!(
            received, passed,
            "every request must pass validation:\n{log}"
        );
        for l in log
            .lines()
            .filter(|l| l.contains("Responding with the requested status code"))
        {
            let code: u16 = l.rsplit(' ').next().unwrap().trim().parse().unwrap_or(0);
            assert!((200..300).contains(&code), "non-2xx answer: {l}");
        }
        received
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn not_a_rejection(what: &str, r: &Result<impl std::fmt::Debug, GatewayError>) {
    // Prism's placeholder answers may not parse into a PayPal order (`Other`), but a 4xx
    // (Declined / Misconfigured), an invalid webhook or an unreachable server would show here.
    match r {
        Ok(_) | Err(GatewayError::Other(_)) => {}
        Err(e) => panic!("{what}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_passes_prism_validation_against_the_official_specs() {
    let bin = install_prism();
    let specs = specs_dir();
    let mut orders = Prism::start(
        &bin,
        &specs.join("prism-patched/checkout_orders_v2.prism.json"),
        "orders",
    );
    let mut payments = Prism::start(
        &bin,
        &specs.join("prism-patched/payments_payment_v2.prism.json"),
        "payments",
    );
    let mut notifications = Prism::start(
        &bin,
        &specs.join("notifications_webhooks_v1.json"),
        "notifications",
    );
    let deadline = Instant::now() + Duration::from_secs(240);
    for p in [&mut orders, &mut payments, &mut notifications] {
        p.wait_ready(deadline);
    }

    let oauth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "A21AA-prism", "token_type": "Bearer", "expires_in": 32400}),
        ))
        .mount(&oauth)
        .await;
    let mut cfg = config(
        &oauth.uri(),
        &orders.base,
        &payments.base,
        &notifications.base,
    );
    cfg.verify = VerifyMode::Api;
    cfg.brand_name = Some("Acme Credits".into());
    cfg.max_retries = 0;
    let gw = PayPalGateway::new(cfg).unwrap();

    // Orders v2: create (0, 2 and 3 decimals, with and without a breakdown), capture, read.
    for (code, lines) in [
        ("USD", vec![("1,000 credits", 2, 1250, 500)]),
        ("JPY", vec![("Pack", 3, 1500, 0)]),
        ("KWD", vec![("Pack", 1, 12_345, 45)]),
    ] {
        let request = start_request(invoice(code, &lines));
        not_a_rejection("start", &gw.start(&request).await);
    }
    let mut partial = start_request(invoice("USD", &[("Pack", 1, 1000, 0)]));
    partial.payment.amount = 400;
    not_a_rejection("start without breakdown", &gw.start(&partial).await);

    // Vaulting: a subscription's first order keeping the payer, then a renewal on the token.
    let mut vaulted_cfg = config(
        &oauth.uri(),
        &orders.base,
        &payments.base,
        &notifications.base,
    );
    vaulted_cfg.vault = true;
    vaulted_cfg.max_retries = 0;
    let vaulted = PayPalGateway::new(vaulted_cfg).unwrap();
    let mut first = start_request(invoice("EUR", &[("Team, monthly", 1, 1900, 0)]));
    first.save_payment_method = true;
    not_a_rejection("start keeping the payer", &vaulted.start(&first).await);
    let renewal = billing_domain::ports::gateway::OffSessionCharge {
        payment: first.payment.clone(),
        invoice: first.invoice.clone(),
        account: first.account.clone(),
        payment_method: "8kk8451t".into(),
        idempotency_key: format!("{}:attempt:1", first.invoice.id),
    };
    match vaulted.charge_saved(&renewal).await {
        // Prism's placeholder order has a placeholder status.
        Err(GatewayError::Declined { .. }) => {}
        other => not_a_rejection("renewal on the token", &other),
    }

    let mut p = payment(&invoice("USD", &[("Pack", 1, 1000, 0)]));
    p.gateway_reference = Some("5O190127TN364715T".into());
    not_a_rejection("capture", &gw.capture(&p).await);
    not_a_rejection("fetch order", &gw.fetch_status(&p).await);

    // Payments v2: refund (partial), capture read-back.
    p.gateway_payment_id = Some("3C679366HH908993F".into());
    let refund = GatewayRefundRequest {
        refund_id: RefundId::generate(now()),
        payment: p.clone(),
        amount: 250,
        reason: "Customer asked".into(),
    };
    match gw.refund(&refund).await {
        // Prism answers 201 with the schema's first enum value, `"status": "CANCELLED"`.
        Err(GatewayError::Declined { code, .. }) if code == "CANCELLED" => {}
        other => not_a_rejection("refund", &other),
    }
    not_a_rejection("fetch capture", &gw.fetch_status(&p).await);

    // Notifications v1: verify-webhook-signature with the real signed event, byte for byte.
    let vector: serde_json::Value = serde_json::from_slice(
        &std::fs::read(specs.join("webhook-signature-vector/signed-event.json")).unwrap(),
    )
    .unwrap();
    let headers: Vec<(String, String)> = vector["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let verified = gw
        .verify_webhook(&headers, vector["body"].as_str().unwrap().as_bytes())
        .await
        .unwrap();
    assert_eq!(verified.event_type, "BILLING.PLAN.CREATED");
    assert_eq!(verified.effect, None);

    assert_eq!(
        orders.assert_all_valid(),
        8,
        "4 creates, 1 keeping the payer, 1 renewal, 1 capture, 1 read"
    );
    assert_eq!(payments.assert_all_valid(), 2, "1 refund, 1 read");
    assert_eq!(notifications.assert_all_valid(), 1);

    // Control: Prism really validates — an invalid order is refused and logged.
    let bad = reqwest::Client::new()
        .post(format!("{}/v2/checkout/orders", orders.base))
        .bearer_auth("x")
        .json(&json!({"intent": "BUY", "purchase_units": [{"amount": {"currency_code": "USD", "value": 10}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    assert!(orders.log().contains("Violation: request"));
}
