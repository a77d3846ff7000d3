//! Subscriptions paid by bank transfer (sent invoices, operator approval, due dates and
//! reminders), trials, free plans, the incomplete window, and bad input.

use serde_json::json;

use crate::shop::{entries, shop};
use crate::subscription_support::*;
use crate::support::TestApp;

crate::clock_backends!(
    a_bank_transfer_subscription_renews_through_operator_approval,
    an_unpaid_sent_invoice_goes_past_due_and_a_late_approval_recovers,
    a_trial_reminds_then_bills_and_a_free_plan_grants_each_period,
    an_unpaid_first_invoice_expires_after_23_hours,
    bad_input_is_refused_naming_the_field,
);

async fn a_bank_transfer_subscription_renews_through_operator_approval(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let created = subscribe(
        app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "bank_transfer" }),
    )
    .await;
    assert_eq!(created["subscription"]["status"], "incomplete");
    assert_eq!(created["subscription"]["collection_method"], "send_invoice");
    assert_eq!(created["payment"]["status"], "awaiting_transfer");
    assert!(created["next_action"]["reference"].is_string(), "{created}");
    approve(app, created["payment"]["id"].as_str().unwrap()).await;
    let sid = created["subscription"]["id"].as_str().unwrap();
    assert_eq!(subscription(app, &s.acct, sid).await["status"], "active");
    assert_eq!(app.balance(&s.acct).await.0, PLAN_CREDITS);
    for month in 2..=3 {
        let moved = advance(app, "P1M").await;
        let sent = event_of(&moved, "invoice.sent");
        assert_eq!(sent["payload"]["amount_due"], PLAN_PRICE);
        assert!(
            sent["payload"]["next_action"]["reference"].is_string(),
            "{sent}"
        );
        assert!(
            sent["payload"]["next_action"]["bank_details"]["iban"].is_string(),
            "{sent}"
        );
        approve(app, sent["payload"]["payment_id"].as_str().unwrap()).await;
        let sub = subscription(app, &s.acct, sid).await;
        assert_eq!(sub["status"], "active");
        // Each period's allowance expires at its end: only this period's is left.
        assert_eq!(app.balance(&s.acct).await.0, PLAN_CREDITS);
        assert_eq!(
            entries(app, &s.acct, "expiry").await.len() as i64,
            month - 1
        );
    }
    let invs = invoices(app, &s.acct).await;
    assert_eq!(invs.len(), 3);
    assert!(invs.iter().all(|i| i["status"] == "paid"));
    // An approval that arrives twice changes nothing the second time.
    let again = app
        .post(
            &app.admin,
            &format!(
                "/v1/admin/payments/{}/approve",
                created["payment"]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_ne!(again.status, 500);
    assert_eq!(entries(app, &s.acct, "subscription_grant").await.len(), 3);
}

async fn an_unpaid_sent_invoice_goes_past_due_and_a_late_approval_recovers(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let sid = &paid_by_transfer(app, &s.key, &s.acct, &plan).await;
    let renewal = advance(app, "P1M").await;
    let payment = event_of(&renewal, "invoice.sent")["payload"]["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Due 7 days after the renewal: then past due, with a reminder naming the attempt.
    let due = advance(app, "P8D").await;
    let failed = event_of(&due, "invoice.payment_failed");
    assert_eq!(failed["payload"]["attempt_count"], 1);
    assert_eq!(subscription(app, &s.acct, sid).await["status"], "past_due");
    // The manual payment expired meanwhile (7 days); the payer pays the invoice again.
    let inv = subscription(app, &s.acct, sid).await["latest_invoice_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let expired = app
        .get(&app.admin, &format!("/v1/admin/payments/{payment}"))
        .await
        .expect(200);
    assert_eq!(expired.body["status"], "canceled", "{}", expired.body);
    let pay = app
        .post(
            &s.key,
            &format!("/v1/accounts/{}/invoices/{inv}/payments", s.acct),
            json!({ "payment_method": "bank_transfer" }),
        )
        .await
        .expect(201);
    let pid = pay.body["payment"]["id"].as_str().unwrap().to_owned();
    approve(app, &pid).await;
    let sub = subscription(app, &s.acct, sid).await;
    assert_eq!(sub["status"], "active", "{sub}");
    assert!(sub["next_retry_at"].is_null());
    // The first period's allowance expired at its end; the late-paid second one is here.
    assert_eq!(app.balance(&s.acct).await.0, PLAN_CREDITS);
}

async fn a_trial_reminds_then_bills_and_a_free_plan_grants_each_period(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let created = subscribe(
        app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "bank_transfer", "trial_days": 10 }),
    )
    .await;
    assert_eq!(created["subscription"]["status"], "trialing");
    assert!(created["invoice"].is_null());
    let sid = created["subscription"]["id"].as_str().unwrap().to_owned();
    let key = app.account_key(&s.acct).await;
    let e = app
        .get(&key, &format!("/v1/accounts/{}/entitlements", s.acct))
        .await
        .expect(200);
    assert_eq!(
        e.body["features"],
        json!(["api_access", "seats:5"]),
        "a trial is entitled"
    );
    // A bank transfer keeps no card: its invoice is sent when the trial ends.
    let refused = app
        .post(
            &key,
            &format!("/v1/accounts/{}/subscriptions/{sid}/payment-method", s.acct),
            json!({}),
        )
        .await
        .expect(409);
    assert_eq!(refused.error_code(), "setup_unsupported");
    let notice = advance(app, "P7D").await;
    assert_eq!(
        kinds(&notice),
        vec!["subscription.trial_will_end".to_owned()]
    );
    let end = advance(app, "P3D").await;
    let sent = event_of(&end, "invoice.sent");
    let sub = subscription(app, &s.acct, &sid).await;
    assert_eq!(sub["status"], "active");
    assert_eq!(
        sub["current_period_start"], sub["trial_end"],
        "the anchor is the trial end"
    );
    approve(app, sent["payload"]["payment_id"].as_str().unwrap()).await;
    assert_eq!(app.balance(&s.acct).await.0, PLAN_CREDITS);

    // A free plan: active at once, its allowance granted every period without an invoice.
    let free = app
        .post(&app.admin, "/v1/admin/plans", json!({ "name": "Free", "slug": "free", "prices": [{"amount": 0, "currency": "EUR"}], "interval": "month", "credits_per_period": 100, "features": ["basic"] }))
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = crate::shop::account_in(app, "Frei", "DE", "EUR").await;
    let okey = app.account_key(&other).await;
    let f = subscribe(
        app,
        &okey,
        &other,
        json!({ "plan_id": free, "payment_method": "bank_transfer" }),
    )
    .await;
    assert_eq!(f["subscription"]["status"], "active");
    advance(app, "P2M").await;
    // Three free periods granted, the first two expired at their ends.
    assert_eq!(entries(app, &other, "subscription_grant").await.len(), 3);
    assert_eq!(app.balance(&other).await.0, 100);
    assert!(invoices(app, &other).await.is_empty());
}

async fn an_unpaid_first_invoice_expires_after_23_hours(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let created = subscribe(
        app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "bank_transfer" }),
    )
    .await;
    let sid = created["subscription"]["id"].as_str().unwrap();
    assert!(kinds(&advance(app, "PT22H").await).is_empty());
    let expired = advance(app, "PT2H").await;
    assert_eq!(
        kinds(&expired),
        vec!["subscription.incomplete_expired".to_owned()]
    );
    let sub = subscription(app, &s.acct, sid).await;
    assert_eq!(sub["status"], "incomplete_expired");
    assert_eq!(invoices(app, &s.acct).await[0]["status"], "void");
    assert_eq!(app.balance(&s.acct).await.0, 0);
    // The account may subscribe again.
    subscribe(
        app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "bank_transfer" }),
    )
    .await;
}

async fn bad_input_is_refused_naming_the_field(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let path = format!("/v1/accounts/{}/subscriptions", s.acct);
    let archived = monthly_plan(app, "old", json!(null)).await;
    app.patch(
        &app.admin,
        &format!("/v1/admin/plans/{archived}"),
        json!({ "active": false }),
    )
    .await
    .expect(200);
    for (body, param, code) in [
        (json!({ "payment_method": "bank_transfer" }), "plan_id", 400),
        (
            json!({ "plan_id": "plan_01jqk3v2g2x0m8s0q1b2c3d4e5", "payment_method": "bank_transfer" }),
            "plan_id",
            422,
        ),
        (
            json!({ "plan_id": archived, "payment_method": "bank_transfer" }),
            "plan_id",
            422,
        ),
        (
            json!({ "plan_id": plan, "payment_method": "bank_transfer", "currency": "GBP" }),
            "currency",
            422,
        ),
        (
            json!({ "plan_id": plan, "payment_method": "stripe" }),
            "payment_method",
            422,
        ),
        (
            json!({ "plan_id": plan, "payment_method": "cash" }),
            "payment_method",
            400,
        ),
        (
            json!({ "plan_id": plan, "payment_method": "bank_transfer", "trial_days": 731 }),
            "trial_days",
            400,
        ),
        (
            json!({ "plan_id": plan, "payment_method": "bank_transfer", "trial_days": -1 }),
            "trial_days",
            400,
        ),
    ] {
        let r = app.post(&s.key, &path, body.clone()).await.expect(code);
        assert_eq!(r.param(), Some(param), "{body}: {}", r.body);
    }
    let gbp = app
        .post(
            &s.key,
            &path,
            json!({ "plan_id": plan, "payment_method": "bank_transfer", "currency": "GBP" }),
        )
        .await;
    assert!(
        gbp.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("EUR"),
        "lists the currencies on offer: {}",
        gbp.body
    );
    assert!(
        app.get(&s.key, &path).await.expect(200).body["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing written"
    );
    subscribe(
        app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "bank_transfer" }),
    )
    .await;
    let r = app
        .post(
            &s.key,
            &path,
            json!({ "plan_id": plan, "payment_method": "bank_transfer" }),
        )
        .await
        .expect(409);
    assert_eq!(
        (r.error_code(), r.param()),
        ("already_subscribed", Some("plan_id"))
    );
    // A retry schedule longer than the period is refused at plan creation.
    let r = app
        .post(&app.admin, "/v1/admin/plans", json!({ "name": "W", "slug": "weekly", "prices": [{"amount": 500, "currency": "EUR"}], "interval": "week", "credits_per_period": 1, "dunning": { "retry_days": [3, 4] } }))
        .await
        .expect(422);
    assert_eq!(r.param(), Some("dunning.retry_days"));
    // The clock never moves backwards.
    let r = app
        .post(
            &app.admin,
            "/v1/test/clock",
            json!({ "to": "2020-01-01T00:00:00Z" }),
        )
        .await
        .expect(400);
    assert_eq!(r.param(), Some("to"));
    app.post(&app.admin, "/v1/test/clock", json!({ "advance": "P1X" }))
        .await
        .expect(400);
    app.post(&app.admin, "/v1/test/clock", json!({}))
        .await
        .expect(400);
    app.post(&s.key, "/v1/test/clock", json!({ "advance": "P1D" }))
        .await
        .expect(403);
    // Another account's subscription is not found.
    let other = crate::shop::account_in(app, "Other", "DE", "EUR").await;
    let okey = app.account_key(&other).await;
    let mine = app.get(&s.key, &path).await.expect(200).body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&okey, &format!("/v1/accounts/{other}/subscriptions/{mine}"))
        .await
        .expect(404);
    app.post(
        &okey,
        &format!("/v1/accounts/{other}/subscriptions/{mine}/cancel"),
        json!({}),
    )
    .await
    .expect(404);
    let admin = app
        .get(
            &app.admin,
            &format!("/v1/admin/subscriptions?status=incomplete&plan_id={plan}"),
        )
        .await
        .expect(200);
    assert_eq!(admin.body["data"].as_array().unwrap().len(), 1);
    app.get(&app.admin, "/v1/admin/subscriptions?status=nope")
        .await
        .expect(400);
}
