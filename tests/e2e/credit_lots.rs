//! Credit lots over HTTP with the test clock: an allowance spent before purchased credits, its
//! expiry at period end, a capped rollover, and a hold across the expiry.

use serde_json::{Value, json};

use crate::shop::{CREDITS, buy, entries, pid, shop};
use crate::subscription_support::*;
use crate::support::TestApp;

crate::clock_backends!(
    an_allowance_is_spent_first_and_its_rest_expires_at_period_end,
    a_capped_rollover_carries_100_and_a_hold_keeps_its_credits_across_the_expiry,
    a_rollover_cap_below_zero_is_refused,
);

async fn credits(app: &TestApp, acct: &str) -> Value {
    app.get(&app.admin, &format!("/v1/accounts/{acct}/credits"))
        .await
        .expect(200)
        .body
}

/// `(source, remaining, held)` of the account's lots with credits left, in spend order.
async fn lots(app: &TestApp, acct: &str) -> Vec<(String, i64, i64)> {
    credits(app, acct).await["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().to_owned(),
                l["remaining"].as_i64().unwrap(),
                l["held"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn debit(app: &TestApp, key: &str, acct: &str, n: i64, reference: &str) -> Value {
    app.post(
        key,
        &format!("/v1/accounts/{acct}/credits/debit"),
        json!({ "credits": n, "operation": "render", "reference": reference }),
    )
    .await
    .expect(200)
    .body
}

async fn verified(app: &TestApp) {
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true, "{}", v.body);
}

/// Moves the clock to the subscription's current period end.
async fn to_period_end(app: &TestApp, acct: &str, sid: &str) -> Value {
    let end = subscription(app, acct, sid).await["current_period_end"].clone();
    app.post(&app.admin, "/v1/test/clock", json!({ "to": end }))
        .await
        .expect(200)
        .body
}

async fn an_allowance_is_spent_first_and_its_rest_expires_at_period_end(app: &TestApp) {
    let s = shop(app).await;
    approve(app, &pid(&buy(app, &s).await)).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let sid = paid_by_transfer(app, &s.key, &s.acct, &plan).await;
    assert_eq!(
        lots(app, &s.acct).await,
        vec![
            ("allowance".into(), PLAN_CREDITS, 0),
            ("purchase".into(), CREDITS, 0)
        ]
    );
    debit(app, &app.admin, &s.acct, 750, "op-1").await;
    let view = credits(app, &s.acct).await;
    let end = subscription(app, &s.acct, &sid).await["current_period_end"].clone();
    assert_eq!(view["next_expiry"], json!({ "at": end, "credits": 250 }));
    // At the period end the 250 left expire, once; the purchased credits stay.
    let renewal = to_period_end(app, &s.acct, &sid).await;
    let expired = entries(app, &s.acct, "expiry").await;
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0]["amount"], -250);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    advance(app, "PT1H").await;
    assert_eq!(entries(app, &s.acct, "expiry").await.len(), 1);
    // The renewal paid: a new allowance; a debit spanning it and the purchase takes it first.
    let payment = event_of(&renewal, "invoice.sent")["payload"]["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    approve(app, &payment).await;
    let spent = debit(app, &app.admin, &s.acct, PLAN_CREDITS + 100, "op-2").await;
    let taken = app
        .get(
            &app.admin,
            &format!(
                "/v1/accounts/{}/credits/ledger/{}/allocations",
                s.acct,
                spent["id"].as_str().unwrap()
            ),
        )
        .await
        .expect(200)
        .body;
    let mut amounts: Vec<i64> = taken
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["amount"].as_i64().unwrap())
        .collect();
    amounts.sort();
    assert_eq!(amounts, vec![-PLAN_CREDITS, -100], "{taken}");
    // Unknown or malformed entry ids name no entry.
    for entry in ["cle_00000000000000000000000000", "0"] {
        app.get(
            &app.admin,
            &format!("/v1/accounts/{}/credits/ledger/{entry}/allocations", s.acct),
        )
        .await
        .expect(404);
    }
    assert_eq!(
        lots(app, &s.acct).await,
        vec![("purchase".into(), CREDITS - 100, 0)]
    );
    verified(app).await;
}

async fn a_capped_rollover_carries_100_and_a_hold_keeps_its_credits_across_the_expiry(
    app: &TestApp,
) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    app.patch(
        &app.admin,
        &format!("/v1/admin/plans/{plan}"),
        json!({ "rollover": { "kind": "capped", "max": 100 } }),
    )
    .await
    .expect(200);
    let sid = paid_by_transfer(app, &s.key, &s.acct, &plan).await;
    debit(app, &app.admin, &s.acct, 500, "op-1").await;
    advance(app, "P25D").await;
    let hold = app
        .post(
            &app.admin,
            &format!("/v1/accounts/{}/credits/reservations", s.acct),
            json!({ "credits": 200, "reference": "job-1", "expires_in_seconds": 7 * 24 * 3600 }),
        )
        .await
        .expect(201)
        .body;
    to_period_end(app, &s.acct, &sid).await;
    // 500 were left, 200 of them held: the free 300 expire, 100 of them roll over, and the
    // held 200 stay on the expired allowance.
    let expired = entries(app, &s.acct, "expiry").await;
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["amount"], -300);
    assert_eq!(
        entries(app, &s.acct, "rollover_grant").await[0]["amount"],
        100
    );
    assert_eq!(
        lots(app, &s.acct).await,
        vec![("allowance".into(), 200, 200), ("rollover".into(), 100, 0)]
    );
    // A commit after the expiry spends its pinned credits; what it leaves expires then.
    app.post(
        &app.admin,
        &format!(
            "/v1/accounts/{}/credits/reservations/{}/commit",
            s.acct,
            hold["id"].as_str().unwrap()
        ),
        json!({ "credits": 150 }),
    )
    .await
    .expect(200);
    let expired = entries(app, &s.acct, "expiry").await;
    assert_eq!(expired.len(), 2);
    assert_eq!(expired[0]["amount"], -50, "newest first: {expired:?}");
    assert_eq!(app.balance(&s.acct).await, (100, 0, 100));
    assert_eq!(lots(app, &s.acct).await, vec![("rollover".into(), 100, 0)]);
    verified(app).await;
}

async fn a_rollover_cap_below_zero_is_refused(app: &TestApp) {
    let plan = monthly_plan(app, "team", json!(null)).await;
    for (body, field) in [
        (
            json!({ "rollover": { "kind": "capped", "max": -1 } }),
            "rollover.max",
        ),
        (json!({ "rollover": { "kind": "capped" } }), "rollover.max"),
        (
            json!({ "rollover": { "kind": "forever" } }),
            "rollover.kind",
        ),
    ] {
        let r = app
            .patch(&app.admin, &format!("/v1/admin/plans/{plan}"), body)
            .await
            .expect_refused();
        assert_eq!(r.body["error"]["param"], field, "{}", r.body);
    }
    let stored = app
        .get(&app.admin, &format!("/v1/admin/plans/{plan}"))
        .await
        .expect(200)
        .body;
    assert_eq!(stored["rollover"], json!({ "kind": "none" }));
}
