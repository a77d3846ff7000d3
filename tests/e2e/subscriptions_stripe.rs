//! Subscriptions charged by Stripe, over real HTTP with the test clock: a year of renewals,
//! a declined renewal recovered on its third attempt, exhausted retries, a hard decline.

use serde_json::{Value, json};

use crate::gateways::offer;
use crate::shop::{entries, shop};
use crate::subscription_support::*;
use crate::support::{Backend, TestApp};

crate::backend_fns!(
    stripe_sqlite, stripe_postgres;
    a_year_of_monthly_renewals_charged_off_session,
    a_declined_renewal_is_retried_and_recovers_on_attempt_three,
    exhausted_retries_cancel_and_write_the_invoice_off,
    a_hard_decline_stops_retries_and_sends_a_pay_link,
    a_detached_card_sends_the_next_renewal_with_a_pay_link,
);

/// A server with Stripe, an account in Germany offered Stripe, a monthly plan, and the
/// account subscribed with its first invoice paid through Checkout (the card kept).
pub(crate) async fn subscribed(
    backend: Backend,
    dunning: Value,
) -> (TestApp, wiremock::MockServer, Charges, String, String) {
    subscribed_with(backend, dunning, |_| {}).await
}

/// [`subscribed`], with the server's configuration adjusted by `extra`.
pub(crate) async fn subscribed_with(
    backend: Backend,
    dunning: Value,
    extra: impl FnOnce(&mut billing_api::config::Config) + Send + 'static,
) -> (TestApp, wiremock::MockServer, Charges, String, String) {
    let (stripe, charges) = stripe_stub().await;
    let app = app_in_test_mode_with(backend, Some(stripe.uri()), extra).await;
    let s = shop(&app).await;
    offer(&app, "stripe", "Karte").await;
    let plan = monthly_plan(&app, "team", dunning).await;
    let created = app
        .post(
            &s.key,
            &format!("/v1/accounts/{}/subscriptions", s.acct),
            json!({ "plan_id": plan, "payment_method": "stripe" }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["subscription"]["status"], "incomplete", "{created}");
    assert_eq!(created["invoice"]["billing_reason"], "subscription_create");
    assert_eq!(created["invoice"]["total"], PLAN_PRICE);
    assert!(
        created["next_action"]["url"].is_string(),
        "a Checkout link: {created}"
    );
    // The Checkout Session keeps the card for the renewals.
    let sessions: Vec<_> = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/checkout/sessions")
        .collect();
    let form = String::from_utf8_lossy(&sessions[0].body).into_owned();
    assert!(
        form.contains("payment_intent_data[setup_future_usage]=off_session"),
        "{form}"
    );
    complete_checkout(&app, &created).await;
    let sid = created["subscription"]["id"].as_str().unwrap().to_owned();
    let sub = subscription(&app, &s.acct, &sid).await;
    assert_eq!(sub["status"], "active", "{sub}");
    assert_eq!(sub["gateway_payment_method"], "pm_card_visa");
    assert_eq!(sub["collection_method"], "charge_automatically");
    assert_eq!(app.balance(&s.acct).await.0, PLAN_CREDITS);
    (app, stripe, charges, s.acct, sid)
}

async fn renewal_charges(stripe: &wiremock::MockServer) -> Vec<String> {
    charges_received(stripe)
        .await
        .into_iter()
        .map(|(key, form)| {
            for p in [
                "off_session=true",
                "confirm=true",
                "payment_method=pm_card_visa",
                "amount=1900",
                "currency=eur",
            ] {
                assert!(form.contains(p), "{p} in {form}");
            }
            key
        })
        .collect()
}

async fn a_year_of_monthly_renewals_charged_off_session(backend: Backend) {
    let (app, stripe, _charges, acct, sid) = subscribed(backend, json!(null)).await;
    let moved = advance(&app, "P12M").await;
    let renewed = kinds(&moved)
        .iter()
        .filter(|k| *k == "subscription.renewed")
        .count();
    assert_eq!(renewed, 12, "{:?}", kinds(&moved));
    assert!(moved["instants"].as_array().unwrap().len() >= 12);
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["period_index"], 12);
    let periods = sub["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 13);
    for w in periods.windows(2) {
        assert_eq!(w[0]["end"], w[1]["start"], "periods tile");
    }
    // 13 invoices (the first and 12 renewals), each numbered, paid, one period each.
    let invs = invoices(&app, &acct).await;
    assert_eq!(invs.len(), 13);
    let mut numbers: Vec<_> = invs
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_owned())
        .collect();
    numbers.dedup();
    assert_eq!(numbers.len(), 13);
    for (i, inv) in invs.iter().enumerate() {
        assert_eq!(inv["status"], "paid", "{inv}");
        let reason = if i == 0 {
            "subscription_create"
        } else {
            "subscription_cycle"
        };
        assert_eq!(inv["billing_reason"], reason);
        assert_eq!(inv["lines"][0]["period_start"], periods[i]["start"]);
    }
    // 12 off-session charges, one key per invoice and attempt; 13 grants.
    let keys = renewal_charges(&stripe).await;
    assert_eq!(keys.len(), 12);
    for (k, inv) in keys.iter().zip(&invs[1..]) {
        assert_eq!(k, &format!("{}:attempt:1", inv["id"].as_str().unwrap()));
    }
    assert_eq!(entries(&app, &acct, "subscription_grant").await.len(), 13);
    // Each period's allowance expires at its end: only the current one is left.
    assert_eq!(app.balance(&acct).await.0, PLAN_CREDITS);
    assert_eq!(entries(&app, &acct, "expiry").await.len(), 12);
    // Moving again to now: nothing more happens.
    let again = app
        .post(&app.admin, "/v1/test/clock", json!({ "advance": "PT1H" }))
        .await
        .expect(200)
        .body;
    assert!(kinds(&again).iter().all(|k| k != "subscription.renewed"));
    assert_eq!(invoices(&app, &acct).await.len(), 13);
    let e = app
        .get(
            &acct_key(&app, &acct).await,
            &format!("/v1/accounts/{acct}/entitlements"),
        )
        .await
        .expect(200);
    assert_eq!(e.body["features"], json!(["api_access", "seats:5"]));
    app.stop().await;
}

async fn acct_key(app: &TestApp, acct: &str) -> String {
    app.account_key(acct).await
}

async fn a_declined_renewal_is_retried_and_recovers_on_attempt_three(backend: Backend) {
    let (app, stripe, charges, acct, sid) = subscribed(backend, json!(null)).await;
    charges.then(&[Some("insufficient_funds"), Some("insufficient_funds"), None]);
    let renewal = advance(&app, "P1M").await;
    let ks = kinds(&renewal);
    assert!(
        ks.contains(&"invoice.payment_failed".to_owned())
            && ks.contains(&"subscription.past_due".to_owned()),
        "{ks:?}"
    );
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "past_due", "{sub}");
    assert_eq!(sub["attempt_count"], 1);
    let renewed_at = time::OffsetDateTime::parse(
        sub["current_period_start"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let retry = |s: &Value| {
        time::OffsetDateTime::parse(
            s["next_retry_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert!(
        (retry(&sub) - renewed_at - time::Duration::days(3)).abs() < time::Duration::minutes(1),
        "first retry 3 days on"
    );
    // Still entitled while past due; the period's credits wait for the payment.
    let key = app.account_key(&acct).await;
    let e = app
        .get(&key, &format!("/v1/accounts/{acct}/entitlements"))
        .await
        .expect(200);
    assert_eq!(e.body["plans"][0]["status"], "past_due");
    // The first period's allowance expired at its end; the second's waits for the payment.
    assert_eq!(app.balance(&acct).await.0, 0);
    advance(&app, "P3D").await;
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(
        (sub["status"].as_str(), sub["attempt_count"].as_i64()),
        (Some("past_due"), Some(2))
    );
    assert!(
        (retry(&sub) - renewed_at - time::Duration::days(10)).abs() < time::Duration::minutes(1),
        "second retry on day 10"
    );
    let recovered = advance(&app, "P7D").await;
    assert!(
        kinds(&recovered).contains(&"subscription.activated".to_owned()),
        "{:?}",
        kinds(&recovered)
    );
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "active");
    assert!(sub["next_retry_at"].is_null());
    assert_eq!(
        app.balance(&acct).await.0,
        PLAN_CREDITS,
        "the period's credits once paid (the first period's expired at its end)"
    );
    let keys = renewal_charges(&stripe).await;
    let inv = sub["latest_invoice_id"].as_str().unwrap();
    assert_eq!(
        keys,
        (1..=3)
            .map(|n| format!("{inv}:attempt:{n}"))
            .collect::<Vec<_>>()
    );
    // Stripe's own payment_intent.succeeded for that charge arrives too: nothing changes.
    let third = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/payment_intents" && r.method.as_str() == "POST")
        .nth(2)
        .unwrap();
    let sent: Vec<(String, String)> = url::form_urlencoded::parse(&third.body)
        .into_owned()
        .collect();
    let pay_id = sent
        .iter()
        .find(|(k, _)| k == "metadata[payment_id]")
        .unwrap()
        .1
        .clone();
    let mut event = crate::gateways::stripe_event("payment_intent.succeeded");
    event["id"] = json!("evt_renewal_paid");
    event["data"]["object"]["metadata"] = json!({ "payment_id": pay_id, "invoice_id": inv });
    event["data"]["object"]["amount_received"] = json!(PLAN_PRICE);
    let body = serde_json::to_vec(&event).unwrap();
    let r = crate::gateways::webhook(
        &app,
        "stripe",
        &body,
        &[("stripe-signature", signed(&app, &body))],
    )
    .await
    .expect(200);
    assert_ne!(r.body["disposition"], "failed", "{}", r.body);
    assert_eq!(app.balance(&acct).await.0, PLAN_CREDITS, "granted once");
    assert_eq!(subscription(&app, &acct, &sid).await["status"], "active");
    // No further attempt.
    advance(&app, "P15D").await;
    assert_eq!(renewal_charges(&stripe).await.len(), 3);
    app.stop().await;
}

async fn exhausted_retries_cancel_and_write_the_invoice_off(backend: Backend) {
    let (app, stripe, charges, acct, sid) = subscribed(backend, json!(null)).await;
    charges.then(&[Some("insufficient_funds"); 4]);
    advance(&app, "P1M").await;
    let last = advance(&app, "P22D").await;
    assert!(
        kinds(&last).contains(&"subscription.canceled".to_owned()),
        "{:?}",
        kinds(&last)
    );
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "canceled");
    assert_eq!(sub["attempt_count"], 4);
    assert_eq!(
        renewal_charges(&stripe).await.len(),
        4,
        "attempts on days 0, 3, 10 and 21"
    );
    let inv = invoices(&app, &acct).await.pop().unwrap();
    assert_eq!(inv["status"], "uncollectible", "{inv}");
    let key = app.account_key(&acct).await;
    let e = app
        .get(&key, &format!("/v1/accounts/{acct}/entitlements"))
        .await
        .expect(200);
    assert_eq!(e.body["features"], json!([]));
    // Nothing renews any more.
    advance(&app, "P2M").await;
    assert_eq!(invoices(&app, &acct).await.len(), 2);
    app.stop().await;
}

async fn a_hard_decline_stops_retries_and_sends_a_pay_link(backend: Backend) {
    let (app, stripe, charges, acct, sid) =
        subscribed(backend, json!({ "final_action": "unpaid" })).await;
    charges.then(&[Some("authentication_required")]);
    let renewal = advance(&app, "P1M").await;
    let failed = renewal["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "invoice.payment_failed")
        .unwrap()
        .clone();
    assert!(
        failed["payload"]["pay_link"]
            .as_str()
            .is_some_and(|l| l.starts_with("https://")),
        "{failed}"
    );
    // No automatic retry until the deadline, then the final action (unpaid).
    advance(&app, "P20D").await;
    assert_eq!(renewal_charges(&stripe).await.len(), 1);
    assert_eq!(subscription(&app, &acct, &sid).await["status"], "past_due");
    advance(&app, "P2D").await;
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["status"], "unpaid", "{sub}");
    assert_eq!(renewal_charges(&stripe).await.len(), 1);
    app.stop().await;
}

async fn a_detached_card_sends_the_next_renewal_with_a_pay_link(backend: Backend) {
    let (app, stripe, _charges, acct, sid) = subscribed(backend, json!(null)).await;
    // Stripe's payment_method.detached (the official event envelope shape around the official
    // PaymentMethod fixture, our card's id), signed.
    let mut event = crate::gateways::stripe_event("checkout.session.completed");
    event["id"] = json!("evt_detached_1");
    event["type"] = json!("payment_method.detached");
    let mut card = crate::gateways::fixture("payment_method");
    card["id"] = json!("pm_card_visa");
    card["customer"] = json!(null);
    event["data"]["object"] = card;
    let body = serde_json::to_vec(&event).unwrap();
    let r = crate::gateways::webhook(
        &app,
        "stripe",
        &body,
        &[("stripe-signature", signed(&app, &body))],
    )
    .await
    .expect(200);
    assert_eq!(r.body["disposition"], "applied", "{}", r.body);
    let sub = subscription(&app, &acct, &sid).await;
    assert!(sub["gateway_payment_method"].is_null(), "{sub}");
    assert_eq!(sub["collection_method"], "send_invoice");
    let moved = advance(&app, "P1M").await;
    let sent = event_of(&moved, "invoice.sent");
    assert!(
        sent["payload"]["next_action"]["url"].is_string(),
        "a Checkout link: {sent}"
    );
    assert!(
        renewal_charges(&stripe).await.is_empty(),
        "no off-session charge without a card"
    );
    app.stop().await;
}
