//! Ending subscriptions: at the period end (and undoing it), now (the open invoice voided),
//! and now with a prorated refund of the unused part of a paid period.

use serde_json::json;

use crate::shop::shop;
use crate::subscription_support::*;
use crate::support::TestApp;

crate::clock_backends!(
    cancel_at_period_end_issues_no_further_invoice_and_resume_undoes_it,
    cancel_now_voids_the_open_invoice,
    an_operator_cancels_with_a_prorated_refund,
);

async fn cancel_at_period_end_issues_no_further_invoice_and_resume_undoes_it(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let sid = &paid_by_transfer(app, &s.key, &s.acct, &plan).await;
    let base = format!("/v1/accounts/{}/subscriptions/{sid}", s.acct);
    // Resume without a cancel pending: 409.
    let r = app
        .post(&s.key, &format!("{base}/resume"), json!({}))
        .await
        .expect(409);
    assert_eq!(r.error_code(), "not_canceling");
    let c = app
        .post(
            &s.key,
            &format!("{base}/cancel"),
            json!({ "at_period_end": true }),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            c.body["status"].as_str(),
            c.body["cancel_at_period_end"].as_bool()
        ),
        (Some("active"), Some(true))
    );
    let r = app
        .post(&s.key, &format!("{base}/resume"), json!({}))
        .await
        .expect(200);
    assert_eq!(r.body["cancel_at_period_end"], false);
    // Renews once, then canceled at the end of the period in which the cancel was set.
    let moved = advance(app, "P1M").await;
    assert_eq!(
        kinds(&moved)
            .iter()
            .filter(|k| *k == "subscription.renewed")
            .count(),
        1
    );
    approve(
        app,
        event_of(&moved, "invoice.sent")["payload"]["payment_id"]
            .as_str()
            .unwrap(),
    )
    .await;
    app.post(
        &s.key,
        &format!("{base}/cancel"),
        json!({ "at_period_end": true }),
    )
    .await
    .expect(200);
    let end = advance(app, "P1M").await;
    assert!(
        kinds(&end).contains(&"subscription.canceled".to_owned()),
        "{:?}",
        kinds(&end)
    );
    assert!(!kinds(&end).contains(&"subscription.renewed".to_owned()));
    let sub = subscription(app, &s.acct, sid).await;
    assert_eq!(sub["status"], "canceled");
    assert_eq!(sub["canceled_at"], sub["current_period_end"]);
    assert_eq!(invoices(app, &s.acct).await.len(), 2);
    // Canceled is final: cancel and resume are refused, and a new subscription is allowed.
    let r = app
        .post(&s.key, &format!("{base}/cancel"), json!({}))
        .await
        .expect(409);
    assert_eq!(
        (r.error_code(), r.param()),
        ("subscription_ended", Some("id"))
    );
    app.post(&s.key, &format!("{base}/resume"), json!({}))
        .await
        .expect(409);
    subscribe(
        app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "bank_transfer" }),
    )
    .await;
}

async fn cancel_now_voids_the_open_invoice(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let sid = &paid_by_transfer(app, &s.key, &s.acct, &plan).await;
    advance(app, "P1M").await;
    let r = app
        .post(
            &app.admin,
            &format!("/v1/accounts/{}/subscriptions/{sid}/cancel", s.acct),
            json!({ "reason": "customer asked by phone" }),
        )
        .await
        .expect(200);
    assert_eq!(r.body["status"], "canceled");
    let inv = invoices(app, &s.acct).await.pop().unwrap();
    assert_eq!(
        (inv["status"].as_str(), inv["status_reason"].as_str()),
        (Some("void"), Some("subscription canceled"))
    );
    let audit = app
        .get(&app.admin, "/v1/admin/audit-log?action=subscription.cancel")
        .await
        .expect(200);
    assert_eq!(audit.body["data"][0]["reason"], "customer asked by phone");
    // Nothing is retried or renewed after.
    let later = advance(app, "P2M").await;
    assert!(kinds(&later).is_empty(), "{:?}", kinds(&later));
    let key = app.account_key(&s.acct).await;
    let e = app
        .get(&key, &format!("/v1/accounts/{}/entitlements", s.acct))
        .await
        .expect(200);
    assert_eq!(e.body["plans"], json!([]));
}

async fn an_operator_cancels_with_a_prorated_refund(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let sid = &paid_by_transfer(app, &s.key, &s.acct, &plan).await;
    let base = format!("/v1/accounts/{}/subscriptions/{sid}/cancel", s.acct);
    // Only an operator refunds, only with a cancel now, and only `prorated` or `none`.
    let r = app
        .post(&s.key, &base, json!({ "refund": "prorated" }))
        .await
        .expect(403);
    r.error_code();
    let r = app
        .post(
            &app.admin,
            &base,
            json!({ "refund": "prorated", "at_period_end": true }),
        )
        .await
        .expect(400);
    assert_eq!(r.param(), Some("refund"));
    let r = app
        .post(&app.admin, &base, json!({ "refund": "all" }))
        .await
        .expect(400);
    assert_eq!(r.param(), Some("refund"));
    assert_eq!(
        subscription(app, &s.acct, sid).await["status"],
        "active",
        "nothing written"
    );
    advance(app, "P10D").await;
    let sub = subscription(app, &s.acct, sid).await;
    let ts = |v: &serde_json::Value, k: &str| {
        time::OffsetDateTime::parse(
            v[k].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let (start, end) = (
        ts(&sub, "current_period_start"),
        ts(&sub, "current_period_end"),
    );
    app.post(
        &app.admin,
        &base,
        json!({ "refund": "prorated", "reason": "moved to a competitor" }),
    )
    .await
    .expect(200);
    let sub = subscription(app, &s.acct, sid).await;
    assert_eq!(sub["status"], "canceled");
    let at = ts(&sub, "canceled_at");
    // Half up at the minor unit, over microseconds, in integers (as the domain rounds).
    let (rem, len) = (
        (end - at).whole_microseconds(),
        (end - start).whole_microseconds(),
    );
    let expected = i64::try_from((1900 * rem * 2 + len) / (2 * len)).unwrap();
    let payment = invoices(app, &s.acct).await[0]["id"].clone();
    let payments = app
        .get(
            &app.admin,
            &format!("/v1/admin/payments?account_id={}", s.acct),
        )
        .await
        .expect(200);
    let paid = payments.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["invoice_id"] == payment)
        .unwrap()
        .clone();
    let refunds = app
        .get(
            &app.admin,
            &format!(
                "/v1/admin/payments/{}/refunds",
                paid["id"].as_str().unwrap()
            ),
        )
        .await
        .expect(200);
    let refund = &refunds.body["data"][0];
    assert_eq!(refund["amount"], expected, "{refund}");
    assert!(
        refund["reason"]
            .as_str()
            .unwrap()
            .contains("moved to a competitor")
    );
    // The unused share of the period's credits is clawed back by the refund rule.
    assert!(app.balance(&s.acct).await.0 < PLAN_CREDITS);
}
