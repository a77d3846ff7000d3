//! Helpers of the subscription tests: a server in test mode (its clock moved over HTTP), a
//! plan, the clock, and a local Stripe answering official fixtures whose renewal charges
//! succeed or decline as the test says.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::gateways::{WHSEC, fixture, mount_customer_and_session, ok, stripe_event, webhook};
use crate::support::{Backend, TestApp};

/// Credits a test plan grants each period.
pub const PLAN_CREDITS: i64 = 1000;
/// A test plan's monthly price in EUR cents.
pub const PLAN_PRICE: i64 = 1900;

/// A server in test mode (no background sweeps: only the test clock moves things), with
/// Stripe configured against `stripe` when given.
pub async fn app_in_test_mode(backend: Backend, stripe: Option<String>) -> TestApp {
    app_in_test_mode_with(backend, stripe, |_| {}).await
}

/// [`app_in_test_mode`], with the configuration then adjusted by `extra`.
pub async fn app_in_test_mode_with(
    backend: Backend,
    stripe: Option<String>,
    extra: impl FnOnce(&mut billing_api::config::Config) + Send + 'static,
) -> TestApp {
    TestApp::start_with(backend, move |c| {
        c.test_mode = true;
        c.sweep_interval = std::time::Duration::from_secs(3600);
        if let Some(base) = stripe {
            for (k, v) in [
                ("BILLING_STRIPE_SECRET_KEY", "sk_test_e2e".to_owned()),
                ("BILLING_STRIPE_WEBHOOK_SECRETS", WHSEC.to_owned()),
                ("BILLING_STRIPE_API_BASE", base),
                (
                    "BILLING_STRIPE_SUCCESS_URL",
                    "https://shop.example/paid".to_owned(),
                ),
                (
                    "BILLING_STRIPE_CANCEL_URL",
                    "https://shop.example/canceled".to_owned(),
                ),
                ("BILLING_STRIPE_TIMEOUT_SECS", "5".to_owned()),
            ] {
                c.gateway_env.set(k, v);
            }
        }
        extra(c);
    })
    .await
}

/// A monthly plan in EUR (and USD) with `retry_days` and `final_action`; returns its id.
pub async fn monthly_plan(app: &TestApp, slug: &str, dunning: Value) -> String {
    app.post(
        &app.admin,
        "/v1/admin/plans",
        json!({
            "name": "Team", "slug": slug,
            "prices": [{"amount": PLAN_PRICE, "currency": "EUR"}, {"amount": 2100, "currency": "USD"}],
            "interval": "month", "credits_per_period": PLAN_CREDITS,
            "features": ["api_access", "seats:5"], "dunning": dunning
        }),
    )
    .await
    .expect(201)
    .body["id"]
    .as_str()
    .unwrap()
    .to_owned()
}

/// Moves the server's clock by `advance` (ISO 8601, e.g. `P1M`); returns the answer.
pub async fn advance(app: &TestApp, advance: &str) -> Value {
    app.post(&app.admin, "/v1/test/clock", json!({ "advance": advance }))
        .await
        .expect(200)
        .body
}

/// The subscription as the account sees it (with its periods).
pub async fn subscription(app: &TestApp, acct: &str, sid: &str) -> Value {
    app.get(
        &app.admin,
        &format!("/v1/accounts/{acct}/subscriptions/{sid}"),
    )
    .await
    .expect(200)
    .body
}

/// Every invoice of the account, oldest first.
pub async fn invoices(app: &TestApp, acct: &str) -> Vec<Value> {
    let mut all = app
        .get(
            &app.admin,
            &format!("/v1/admin/invoices?account_id={acct}&limit=100"),
        )
        .await
        .expect(200)
        .body["data"]
        .as_array()
        .unwrap()
        .clone();
    all.reverse();
    all
}

/// The kinds of `events` (a clock answer's), in order.
pub fn kinds(answer: &Value) -> Vec<String> {
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// What the local Stripe answers to the next renewal charges: `None` succeeds, `Some(code)`
/// declines with that decline code. Empty: succeed.
#[derive(Clone, Default)]
pub struct Charges(Arc<Mutex<VecDeque<Option<&'static str>>>>);

impl Charges {
    /// Queues answers.
    pub fn then(&self, answers: &[Option<&'static str>]) {
        self.0.lock().unwrap().extend(answers.iter().copied());
    }
}

impl Respond for Charges {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let key = req
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect();
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let amount: i64 = get("amount").parse().unwrap_or(0);
        let mut pi = fixture("payment_intent");
        pi["id"] = json!(format!("pi_{}", key.replace([':', '_'], "")));
        pi["amount"] = json!(amount);
        pi["currency"] = json!(get("currency"));
        pi["customer"] = json!(get("customer"));
        pi["payment_method"] = json!(get("payment_method"));
        pi["metadata"] = json!({ "payment_id": get("metadata[payment_id]"), "invoice_id": get("metadata[invoice_id]") });
        match self.0.lock().unwrap().pop_front().flatten() {
            None => {
                pi["status"] = json!("succeeded");
                pi["amount_received"] = json!(amount);
                ok(pi)
            }
            Some(code) => ResponseTemplate::new(402).set_body_json(json!({ "error": {
                "type": "card_error", "code": "card_declined", "decline_code": code,
                "message": format!("Your card was declined ({code})."), "payment_intent": pi } })),
        }
    }
}

/// The local Stripe: customers, Checkout Sessions, PaymentIntents (the first one's saved card
/// is `pm_card_visa`), and renewal charges answered by [`Charges`].
pub async fn stripe_stub() -> (MockServer, Charges) {
    let stripe = MockServer::start().await;
    mount_customer_and_session(&stripe, &fixture("checkout.session")).await;
    let mut first = fixture("payment_intent");
    first["id"] = json!("pi_first_payment");
    first["status"] = json!("succeeded");
    first["payment_method"] = json!("pm_card_visa");
    Mock::given(method("GET"))
        .and(path_regex("^/v1/payment_intents/.+"))
        .respond_with(ok(first))
        .mount(&stripe)
        .await;
    // A pay link's session, still open when the janitor asks about it.
    Mock::given(method("GET"))
        .and(path_regex("^/v1/checkout/sessions/.+"))
        .respond_with(ok(fixture("checkout.session")))
        .mount(&stripe)
        .await;
    let charges = Charges::default();
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(charges.clone())
        .mount(&stripe)
        .await;
    (stripe, charges)
}

/// Signs `body` as Stripe does, at the server's (moved) time.
pub fn signed(app: &TestApp, body: &[u8]) -> String {
    use billing_domain::ports::Clock;
    billing_gateway_stripe::sign_webhook(WHSEC, app.clock.now().unix_timestamp(), body)
}

/// Stripe's `checkout.session.completed` for the first payment of `created` (a subscription
/// answer), sent signed; asserts it was applied.
pub async fn complete_checkout(app: &TestApp, created: &Value) {
    let mut event = stripe_event("checkout.session.completed");
    event["id"] = json!(format!(
        "evt_{}",
        created["payment"]["id"].as_str().unwrap()
    ));
    let o = &mut event["data"]["object"];
    o["id"] = json!(fixture("checkout.session")["id"]);
    o["client_reference_id"] = created["payment"]["id"].clone();
    o["metadata"] =
        json!({ "payment_id": created["payment"]["id"], "invoice_id": created["invoice"]["id"] });
    o["payment_status"] = json!("paid");
    o["status"] = json!("complete");
    o["amount_total"] = created["invoice"]["total"].clone();
    o["currency"] = json!("eur");
    o["payment_intent"] = json!("pi_first_payment");
    let body = serde_json::to_vec(&event).unwrap();
    let r = webhook(
        app,
        "stripe",
        &body,
        &[("stripe-signature", signed(app, &body))],
    )
    .await
    .expect(200);
    assert_eq!(r.body["disposition"], "applied", "{}", r.body);
}

/// Runs each `async fn(&TestApp)` on SQLite and on PostgreSQL, the server in test mode.
#[macro_export]
macro_rules! clock_backends {
    ($($name:ident),* $(,)?) => {
        mod clock_sqlite { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() {
            let app = $crate::subscription_support::app_in_test_mode($crate::support::Backend::Sqlite, None).await;
            super::$name(&app).await;
            app.stop().await;
        })* }
        mod clock_postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() {
            let app = $crate::subscription_support::app_in_test_mode($crate::support::Backend::Postgres, None).await;
            super::$name(&app).await;
            app.stop().await;
        })* }
    };
}

/// Subscribes `acct` (with its `key`) to `plan` by `method`; returns the answer.
pub async fn subscribe(app: &TestApp, key: &str, acct: &str, body: Value) -> Value {
    app.post(key, &format!("/v1/accounts/{acct}/subscriptions"), body)
        .await
        .expect(201)
        .body
}

/// The one event of `kind` in a clock answer.
pub fn event_of<'a>(answer: &'a Value, kind: &str) -> &'a Value {
    let all: Vec<&Value> = answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect();
    assert_eq!(all.len(), 1, "one {kind} in {:?}", kinds(answer));
    all[0]
}

/// Approves a manual payment as an operator.
pub async fn approve(app: &TestApp, payment: &str) {
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{payment}/approve"),
        json!({}),
    )
    .await
    .expect(200);
}

/// Subscribes `acct` to `plan` by bank transfer and approves the first payment: an active
/// subscription; returns its id.
pub async fn paid_by_transfer(app: &TestApp, key: &str, acct: &str, plan: &str) -> String {
    let created = subscribe(
        app,
        key,
        acct,
        json!({ "plan_id": plan, "payment_method": "bank_transfer" }),
    )
    .await;
    approve(app, created["payment"]["id"].as_str().unwrap()).await;
    created["subscription"]["id"].as_str().unwrap().to_owned()
}

/// The off-session charges (`POST /v1/payment_intents`) the local Stripe received, oldest
/// first, as `(idempotency key, form body)`.
pub async fn charges_received(stripe: &MockServer) -> Vec<(String, String)> {
    stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/payment_intents" && r.method.as_str() == "POST")
        .map(|r| {
            let key = r.headers.get("idempotency-key").unwrap().to_str().unwrap();
            (
                key.to_owned(),
                String::from_utf8_lossy(&r.body).into_owned(),
            )
        })
        .collect()
}
