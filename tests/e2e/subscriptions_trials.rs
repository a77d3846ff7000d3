//! Card trials over real HTTP with the test clock: the card is given through a Stripe setup
//! session (no charge) and charged off-session at the trial end; a trial that ends with no
//! card pauses the subscription, and a card given later resumes it from a new anchor; a new
//! card for a past-due subscription is charged at once.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::gateways::{fixture, offer, ok, stripe_event, webhook};
use crate::shop::shop;
use crate::subscription_support::*;
use crate::support::{Backend, TestApp};

crate::backend_fns!(
    trials_sqlite, trials_postgres;
    a_card_given_by_setup_is_charged_when_the_trial_ends,
    a_trial_ending_without_a_card_pauses_and_a_card_resumes_it,
    a_new_card_for_a_past_due_subscription_is_tried_at_once,
);

/// A completed setup session of subscription `sid`, its SetupIntent expanded (as the list
/// of the customer's sessions answers it).
fn setup_session(sid: &str) -> Value {
    let mut s = fixture("checkout.session");
    s["id"] = json!("cs_setup_1");
    s["mode"] = json!("setup");
    s["status"] = json!("complete");
    s["payment_status"] = json!("no_payment_required");
    s["payment_intent"] = Value::Null;
    s["metadata"] = json!({ "subscription_id": sid });
    let mut i = fixture("setup_intent");
    i["status"] = json!("succeeded");
    i["payment_method"] = json!("pm_card_visa");
    s["setup_intent"] = i;
    s
}

fn sessions(data: Vec<Value>) -> Value {
    json!({ "object": "list", "url": "/v1/checkout/sessions", "has_more": false, "data": data })
}

/// Sends a signed Stripe event of `kind` about `object`; returns the disposition.
async fn send(app: &TestApp, id: &str, kind: &str, object: Value) -> String {
    let mut event = stripe_event("checkout.session.completed");
    event["id"] = json!(id);
    event["type"] = json!(kind);
    event["data"]["object"] = object;
    let body = serde_json::to_vec(&event).unwrap();
    let r = webhook(
        app,
        "stripe",
        &body,
        &[("stripe-signature", signed(app, &body))],
    )
    .await
    .expect(200);
    r.body["disposition"].as_str().unwrap().to_owned()
}

/// A server with Stripe, an account offered it, a monthly plan, and the account on a card
/// trial of `days`; returns the app, the stub, the account, its key and the creation answer.
async fn on_trial(backend: Backend, days: i64) -> (TestApp, MockServer, String, String, Value) {
    let (stripe, _charges) = stripe_stub().await;
    let app = app_in_test_mode(backend, Some(stripe.uri())).await;
    let s = shop(&app).await;
    offer(&app, "stripe", "Karte").await;
    let plan = monthly_plan(&app, "team", json!(null)).await;
    let created = subscribe(
        &app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "stripe", "trial_days": days }),
    )
    .await;
    assert_eq!(created["subscription"]["status"], "trialing", "{created}");
    assert!(created["invoice"].is_null(), "a trial bills nothing yet");
    assert!(
        created["next_action"]["url"].is_string(),
        "a setup link: {created}"
    );
    // A setup session: it keeps the card and charges nothing.
    let form = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/checkout/sessions")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .next_back()
        .unwrap();
    assert!(form.contains("mode=setup"), "{form}");
    assert!(!form.contains("line_items"), "{form}");
    (app, stripe, s.acct, s.key, created)
}

async fn a_card_given_by_setup_is_charged_when_the_trial_ends(backend: Backend) {
    let (app, _stripe, acct, key, created) = on_trial(backend, 14).await;
    let sid = created["subscription"]["id"].as_str().unwrap().to_owned();
    let mut intent = fixture("setup_intent");
    intent["status"] = json!("succeeded");
    intent["payment_method"] = json!("pm_card_visa");
    intent["customer"] = fixture("customer")["id"].clone();
    intent["metadata"] = json!({ "subscription_id": sid });
    assert_eq!(
        send(
            &app,
            "evt_setup_1",
            "setup_intent.succeeded",
            intent.clone()
        )
        .await,
        "applied"
    );
    // The same event again is a duplicate.
    assert_ne!(
        send(&app, "evt_setup_1", "setup_intent.succeeded", intent).await,
        "applied"
    );
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["gateway_payment_method"], "pm_card_visa", "{sub}");
    assert_eq!(sub["status"], "trialing");
    assert_eq!(
        app.balance(&acct).await.0,
        0,
        "nothing granted in the trial"
    );

    let moved = advance(&app, "P15D").await;
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "active", "{:?}", kinds(&moved));
    assert_eq!(sub["current_period_start"], sub["trial_end"]);
    let all = invoices(&app, &acct).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["status"], "paid", "charged off-session: {}", all[0]);
    assert_eq!(all[0]["billing_reason"], "subscription_create");
    assert_eq!(app.balance(&acct).await.0, PLAN_CREDITS);
    // The account's own key may replace the card of a live subscription.
    let replaced = app
        .post(
            &key,
            &format!("/v1/accounts/{acct}/subscriptions/{sid}/payment-method"),
            json!({}),
        )
        .await
        .expect(200)
        .body;
    assert!(replaced["next_action"]["url"].is_string(), "{replaced}");
    app.stop().await;
}

async fn a_trial_ending_without_a_card_pauses_and_a_card_resumes_it(backend: Backend) {
    let (app, stripe, acct, key, created) = on_trial(backend, 7).await;
    let sid = created["subscription"]["id"].as_str().unwrap().to_owned();
    // Asked at the trial end: no setup completed. Later: the one completed below.
    Mock::given(method("GET"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ok(sessions(vec![])))
        .up_to_n_times(1)
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ok(sessions(vec![setup_session(&sid)])))
        .mount(&stripe)
        .await;

    let moved = advance(&app, "P8D").await;
    let paused = event_of(&moved, "subscription.paused");
    assert_eq!(
        paused["payload"]["reason"],
        "trial_ended_without_payment_method"
    );
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "paused", "{sub}");
    assert!(sub["next_action_at"].is_null(), "paused waits for a card");
    assert!(
        invoices(&app, &acct).await.is_empty(),
        "paused bills nothing"
    );
    let ent = app
        .get(&key, &format!("/v1/accounts/{acct}/entitlements"))
        .await
        .expect(200)
        .body;
    assert_eq!(ent["features"], json!([]), "paused grants no features");
    // Months pass: still nothing billed.
    advance(&app, "P2M").await;
    assert!(invoices(&app, &acct).await.is_empty());

    // The payer gives a card: a new setup session, then Stripe's event naming only it.
    let setup = app
        .post(
            &key,
            &format!("/v1/accounts/{acct}/subscriptions/{sid}/payment-method"),
            json!({}),
        )
        .await
        .expect(200)
        .body;
    assert!(setup["next_action"]["url"].is_string(), "{setup}");
    let mut completed = setup_session(&sid);
    completed["setup_intent"] = json!("seti_1");
    completed["customer"] = fixture("customer")["id"].clone();
    assert_eq!(
        send(&app, "evt_setup_2", "checkout.session.completed", completed).await,
        "applied"
    );
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(
        sub["gateway_payment_method"], "pm_card_visa",
        "read back: {sub}"
    );

    let moved = advance(&app, "PT1M").await;
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "active", "{:?}", kinds(&moved));
    assert_ne!(
        sub["anchor"], sub["trial_end"],
        "restarted from a new anchor"
    );
    assert_eq!(sub["current_period_start"], sub["anchor"]);
    let all = invoices(&app, &acct).await;
    assert_eq!(all.len(), 1, "one invoice, for the period from the resume");
    assert_eq!(all[0]["status"], "paid", "{}", all[0]);
    assert_eq!(app.balance(&acct).await.0, PLAN_CREDITS);
    // A month later it renews from the new anchor.
    advance(&app, "P1M").await;
    assert_eq!(invoices(&app, &acct).await.len(), 2);
    app.stop().await;
}

async fn a_new_card_for_a_past_due_subscription_is_tried_at_once(backend: Backend) {
    let (app, stripe, charges, acct, sid) =
        crate::subscriptions_stripe::subscribed(backend, json!(null)).await;
    charges.then(&[Some("insufficient_funds")]);
    advance(&app, "P1M").await;
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "past_due", "{sub}");
    let mut intent = fixture("setup_intent");
    intent["status"] = json!("succeeded");
    intent["payment_method"] = json!("pm_card_mastercard");
    intent["customer"] = fixture("customer")["id"].clone();
    intent["metadata"] = json!({ "subscription_id": sid });
    assert_eq!(
        send(&app, "evt_setup_pd", "setup_intent.succeeded", intent).await,
        "applied"
    );
    // Not three days later on the schedule: within the minute, on the new card.
    advance(&app, "PT1M").await;
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "active", "{sub}");
    // (The stub's PaymentIntent read-back always names pm_card_visa, so the card kept after
    // the payment is not asserted; the charge itself shows which card was used.)
    let last = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/payment_intents" && r.method.as_str() == "POST")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .next_back()
        .unwrap();
    assert!(last.contains("payment_method=pm_card_mastercard"), "{last}");
    // The first period's allowance expired at its end; the recovered second one is here.
    assert_eq!(app.balance(&acct).await.0, PLAN_CREDITS);
    app.stop().await;
}
