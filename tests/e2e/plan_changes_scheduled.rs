//! Plan changes that do not bill at once, over HTTP with the test clock: a downgrade applies
//! at the period boundary and not a second before, a second downgrade replaces the first, an
//! upgrade drops a pending downgrade and the current plan reverts one; a change during a
//! trial switches at once, keeps the trial end and bills nothing; bad input is refused naming
//! the field.

use serde_json::json;
use time::Duration;

use crate::plan_change_support::*;
use crate::shop::{account_in, shop};
use crate::subscription_support::*;
use crate::support::TestApp;

crate::clock_backends!(
    a_downgrade_applies_at_the_boundary_and_a_second_one_replaces_it,
    an_upgrade_drops_a_pending_downgrade_and_the_current_plan_reverts_one,
    a_change_during_a_trial_keeps_the_trial_end_and_bills_nothing,
    bad_changes_are_refused_naming_the_field,
);

/// The features the account is entitled to now.
async fn features(app: &TestApp, key: &str, acct: &str) -> serde_json::Value {
    app.get(key, &format!("/v1/accounts/{acct}/entitlements"))
        .await
        .expect(200)
        .body["features"]
        .clone()
}

async fn a_downgrade_applies_at_the_boundary_and_a_second_one_replaces_it(app: &TestApp) {
    let s = shop(app).await;
    let pro = plan(app, "pro", 2000, 3000, "month").await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let starter = plan(app, "starter", 500, 400, "month").await;
    let sid = paid_by_transfer(app, &s.key, &s.acct, &pro).await;
    let sub = subscription(app, &s.acct, &sid).await;
    let end = instant(&sub["current_period_end"]);
    at_fraction(app, &s.acct, &sid, 1, 3).await;
    let invoices_before = invoices(app, &s.acct).await.len();

    let first = change(app, &s.key, &s.acct, &sid, json!({ "plan_id": basic }))
        .await
        .expect(200)
        .body;
    assert_eq!(first["outcome"], "at_period_end");
    assert_eq!(instant(&first["effective_at"]), end);
    assert_eq!(
        (&first["invoice"], &first["proration"]),
        (&json!(null), &json!(null))
    );
    let pending = &first["subscription"]["pending_change"];
    assert_eq!(
        (&pending["kind"], &pending["plan_id"]),
        (&json!("at_period_end"), &json!(basic))
    );
    assert_eq!(first["subscription"]["plan_id"], pro, "not yet");

    // A second downgrade replaces the first; nothing is billed by either.
    let second = change(app, &s.key, &s.acct, &sid, json!({ "plan_id": starter }))
        .await
        .expect(200)
        .body;
    assert_eq!(second["outcome"], "at_period_end");
    assert_eq!(second["subscription"]["pending_change"]["plan_id"], starter);
    assert_eq!(invoices(app, &s.acct).await.len(), invoices_before);

    // One second before the boundary the old plan still holds.
    move_to(app, end - Duration::SECOND).await;
    let before = subscription(app, &s.acct, &sid).await;
    assert_eq!(before["plan_id"], pro);
    assert_eq!(features(app, &s.key, &s.acct).await, json!(["tier:pro"]));

    // At the boundary the renewal bills the new plan and the change is done.
    let renewed = move_to(app, end).await;
    assert!(
        kinds(&renewed).contains(&"subscription.updated".to_owned()),
        "{:?}",
        kinds(&renewed)
    );
    let after = subscription(app, &s.acct, &sid).await;
    assert_eq!(after["plan_id"], starter);
    assert_eq!(after["pending_change"], json!(null));
    assert_eq!(instant(&after["current_period_start"]), end);
    assert_eq!(
        (
            &after["billed"]["amount"],
            instant(&after["billed"]["from"])
        ),
        (&json!(500), end)
    );
    let last = invoices(app, &s.acct).await.pop().unwrap();
    assert_eq!(
        (&last["billing_reason"], &last["total"]),
        (&json!("subscription_cycle"), &json!(500))
    );
    assert_eq!(last["lines"][0]["credits"], 400);
    assert_eq!(invoices(app, &s.acct).await.len(), invoices_before + 1);
    approve(app, &newest_payment(app, &s.acct).await).await;
    assert_eq!(
        features(app, &s.key, &s.acct).await,
        json!(["tier:starter"])
    );
    let verify = app.get(&app.admin, "/v1/admin/credits/verify").await;
    assert_eq!(verify.expect(200).body["ok"], true);
}

async fn an_upgrade_drops_a_pending_downgrade_and_the_current_plan_reverts_one(app: &TestApp) {
    let s = shop(app).await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let pro = plan(app, "pro", 2000, 3000, "month").await;
    let business = plan(app, "business", 4000, 5000, "month").await;
    let sid = paid_by_transfer(app, &s.key, &s.acct, &pro).await;
    let end = instant(&subscription(app, &s.acct, &sid).await["current_period_end"]);
    at_fraction(app, &s.acct, &sid, 1, 2).await;

    // Back to the current plan: the pending downgrade is dropped.
    change(app, &s.key, &s.acct, &sid, json!({ "plan_id": basic }))
        .await
        .expect(200);
    let reverted = change(app, &s.key, &s.acct, &sid, json!({ "plan_id": pro }))
        .await
        .expect(200)
        .body;
    assert_eq!(reverted["outcome"], "reverted");
    assert_eq!(reverted["subscription"]["pending_change"], json!(null));
    assert_eq!(reverted["subscription"]["plan_id"], pro);

    // A downgrade again, then an upgrade: the upgrade replaces it and is billed from pro.
    change(app, &s.key, &s.acct, &sid, json!({ "plan_id": basic }))
        .await
        .expect(200);
    let up = change(app, &s.key, &s.acct, &sid, json!({ "plan_id": business }))
        .await
        .expect(200)
        .body;
    assert_eq!(up["outcome"], "awaiting_payment");
    assert_eq!(up["subscription"]["pending_change"]["kind"], "upgrade");
    let p = &up["proration"];
    assert_eq!(
        (&p["credit"], &p["charge"], &p["net"]),
        (&json!(1000), &json!(2000), &json!(1000)),
        "half of pro's 20.00 credited, half of business's 40.00 charged"
    );
    approve(app, &newest_payment(app, &s.acct).await).await;
    assert_eq!(subscription(app, &s.acct, &sid).await["plan_id"], business);

    // The dropped downgrade does not come back at the boundary.
    move_to(app, end).await;
    let after = subscription(app, &s.acct, &sid).await;
    assert_eq!(after["plan_id"], business);
    let last = invoices(app, &s.acct).await.pop().unwrap();
    assert_eq!(
        (&last["billing_reason"], &last["total"]),
        (&json!("subscription_cycle"), &json!(4000))
    );
}

async fn a_change_during_a_trial_keeps_the_trial_end_and_bills_nothing(app: &TestApp) {
    let s = shop(app).await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let pro = plan(app, "pro", 2000, 3000, "month").await;
    let body = json!({ "plan_id": basic, "payment_method": "bank_transfer", "trial_days": 10 });
    let created = subscribe(app, &s.key, &s.acct, body).await;
    let sid = created["subscription"]["id"].as_str().unwrap().to_owned();
    let trial_end = created["subscription"]["trial_end"].clone();
    advance(app, "P2D").await;

    let changed = change(app, &s.key, &s.acct, &sid, json!({ "plan_id": pro }))
        .await
        .expect(200)
        .body;
    assert_eq!(changed["outcome"], "switched");
    assert_eq!(
        (&changed["invoice"], &changed["proration"]),
        (&json!(null), &json!(null))
    );
    let sub = &changed["subscription"];
    assert_eq!(
        (&sub["plan_id"], &sub["status"], &sub["trial_end"]),
        (&json!(pro), &json!("trialing"), &trial_end)
    );
    assert!(
        invoices(app, &s.acct).await.is_empty(),
        "a trial bills nothing"
    );
    assert_eq!(features(app, &s.key, &s.acct).await, json!(["tier:pro"]));

    // The trial ends when it would have; the first invoice is the new plan's.
    move_to(app, instant(&trial_end)).await;
    let first = invoices(app, &s.acct).await;
    assert_eq!(first.len(), 1);
    assert_eq!(
        (&first[0]["billing_reason"], &first[0]["total"]),
        (&json!("subscription_create"), &json!(2000))
    );
}

async fn bad_changes_are_refused_naming_the_field(app: &TestApp) {
    let s = shop(app).await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let pro = plan(app, "pro", 2000, 3000, "month").await;
    let old = plan(app, "old", 3000, 3000, "month").await;
    app.delete(&app.admin, &format!("/v1/admin/plans/{old}"))
        .await
        .expect(200);
    let sid = paid_by_transfer(app, &s.key, &s.acct, &basic).await;
    let refused = |body: serde_json::Value, status: u16, param: &'static str| {
        let (key, acct, sid) = (s.key.clone(), s.acct.clone(), sid.clone());
        async move {
            let r = change(app, &key, &acct, &sid, body.clone()).await;
            let r = r.expect(status);
            assert_eq!(r.param(), Some(param), "{body}: {}", r.body);
        }
    };
    refused(json!({}), 400, "plan_id").await;
    refused(json!({ "plan_id": basic }), 422, "plan_id").await;
    refused(json!({ "plan_id": old }), 422, "plan_id").await;
    refused(json!({ "plan_id": "plan_nonexistent" }), 400, "plan_id").await;
    let unknown = "plan_01arz3ndektsv4rrffq69g5fav";
    refused(json!({ "plan_id": unknown }), 422, "plan_id").await;
    refused(
        json!({ "plan_id": pro, "currency": "USD" }),
        422,
        "currency",
    )
    .await;
    refused(
        json!({ "plan_id": pro, "currency": "EURO" }),
        400,
        "currency",
    )
    .await;
    refused(
        json!({ "plan_id": pro, "proration_at": "yesterday" }),
        400,
        "proration_at",
    )
    .await;
    let r = change(
        app,
        &s.key,
        &s.acct,
        &sid,
        json!({ "plan_id": pro, "seats": 3 }),
    )
    .await;
    assert_eq!(r.expect(400).body["error"]["type"], "invalid_request_error");

    // A preview's instant is good for an hour, and only inside the current period.
    let now = instant(&subscription(app, &s.acct, &sid).await["current_period_start"]);
    let preview = change(
        app,
        &s.key,
        &s.acct,
        &sid,
        json!({ "plan_id": pro, "preview": true }),
    )
    .await
    .expect(200)
    .body;
    let at = preview["proration"]["at"].clone();
    move_to(app, instant(&at) + Duration::hours(2)).await;
    refused(
        json!({ "plan_id": pro, "proration_at": at }),
        422,
        "proration_at",
    )
    .await;
    let outside = rfc(now - Duration::DAY);
    refused(
        json!({ "plan_id": pro, "proration_at": outside }),
        422,
        "proration_at",
    )
    .await;
    assert_eq!(
        subscription(app, &s.acct, &sid).await["pending_change"],
        json!(null),
        "nothing refused was half-applied"
    );

    // Another account sees no such subscription, through its own path or ours.
    let other = account_in(app, "Other", "DE", "EUR").await;
    let other_key = app.account_key(&other).await;
    change(app, &other_key, &other, &sid, json!({ "plan_id": pro }))
        .await
        .expect(404);
    let foreign = change(app, &other_key, &s.acct, &sid, json!({ "plan_id": pro })).await;
    assert!(
        matches!(foreign.status, 403 | 404),
        "{}: {}",
        foreign.status,
        foreign.body
    );

    // A canceled subscription changes nothing.
    let base = format!("/v1/accounts/{}/subscriptions/{sid}", s.acct);
    app.post(&s.key, &format!("{base}/cancel"), json!({}))
        .await
        .expect(200);
    let r = change(app, &s.key, &s.acct, &sid, json!({ "plan_id": pro }))
        .await
        .expect(409);
    assert_eq!(
        (r.error_code(), r.param()),
        ("subscription_not_changeable", Some("id"))
    );
    assert_eq!(
        invoices(app, &s.acct).await.len(),
        1,
        "only the first invoice"
    );
}
