//! Refunds: partial with pro-rata clawback, a clawback beyond the balance (deficit), refusals;
//! and expiry of unpaid manual payments by the server's sweep.

use serde_json::json;

use crate::shop::{CREDITS, NET, buy, confirm, confirmation, entries, pid, shop};
use crate::support::{Backend, TestApp};

crate::backends!(
    partial_refunds_claw_back_pro_rata,
    clawback_beyond_the_balance_is_a_deficit,
    bad_refunds_write_nothing
);

/// Buys and approves the Pro package; returns the payment id.
async fn paid(app: &TestApp, s: &crate::shop::Shop) -> String {
    let p = buy(app, s).await;
    let id = pid(&p);
    confirm(app, s, &id, confirmation(&p, NET))
        .await
        .expect(200);
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{id}/approve"),
        json!({}),
    )
    .await
    .expect(200);
    id
}

async fn partial_refunds_claw_back_pro_rata(app: &TestApp) {
    let s = shop(app).await;
    let id = paid(app, &s).await;
    let path = format!("/v1/admin/payments/{id}/refunds");
    let r = app
        .post(
            &app.admin,
            &path,
            json!({ "amount": 1000, "reason": "customer changed plans" }),
        )
        .await
        .expect(201);
    assert!(r.body["id"].as_str().unwrap().starts_with("re_"));
    assert_eq!(
        r.body["status"], "succeeded",
        "a manual refund is recorded as made"
    );
    assert_eq!(r.body["amount"], 1000);
    // ⌊2000 × 1000 / 2610⌋ = 766
    assert_eq!(
        (
            r.body["credits_clawed_back"].as_i64(),
            r.body["credits_deficit"].as_i64()
        ),
        (Some(766), Some(0))
    );
    assert_eq!(app.balance(&s.acct).await.0, CREDITS - 766);
    let pay = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}"))
        .await
        .expect(200);
    assert_eq!(
        (
            pay.body["status"].as_str(),
            pay.body["amount_refunded"].as_i64()
        ),
        (Some("partially_refunded"), Some(1000))
    );
    // the rest (no amount: everything refundable) claws back the rest, to the credit
    let r = app
        .post(
            &app.admin,
            &path,
            json!({ "reason": "closing the account" }),
        )
        .await
        .expect(201);
    assert_eq!(r.body["amount"], NET - 1000);
    assert_eq!(r.body["credits_clawed_back"], CREDITS - 766);
    assert_eq!(app.balance(&s.acct).await, (0, 0, 0));
    let claws = entries(app, &s.acct, "refund_clawback").await;
    assert_eq!(claws.len(), 2);
    let pay = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}"))
        .await
        .expect(200);
    assert_eq!(pay.body["status"], "refunded");
    let list = app.get(&app.admin, &path).await.expect(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(list.body["data"][0]["amount"], 1000, "oldest first");
    // nothing left to refund
    let r = app
        .post(&app.admin, &path, json!({ "amount": 1, "reason": "again" }))
        .await
        .expect(409);
    assert_eq!(r.error_code(), "payment_not_refundable");
    // the invoice itself stays as finalized
    let log = app
        .get(
            &app.admin,
            &format!("/v1/admin/audit-log?action=payment.refund&target_id={id}"),
        )
        .await
        .expect(200);
    assert_eq!(log.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(log.body["data"][0]["reason"], "closing the account");
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true);
}

async fn clawback_beyond_the_balance_is_a_deficit(app: &TestApp) {
    let s = shop(app).await;
    let id = paid(app, &s).await;
    app.post(
        &app.service,
        &format!("/v1/accounts/{}/credits/debit", s.acct),
        json!({ "credits": 1900, "operation": "render", "reference": "job-1" }),
    )
    .await
    .expect(200);
    let r = app
        .post(
            &app.admin,
            &format!("/v1/admin/payments/{id}/refunds"),
            json!({ "reason": "chargeback threat" }),
        )
        .await
        .expect(201);
    assert_eq!(
        (
            r.body["credits_clawed_back"].as_i64(),
            r.body["credits_deficit"].as_i64()
        ),
        (Some(100), Some(1900)),
        "{}",
        r.body
    );
    assert_eq!(app.balance(&s.acct).await, (0, 0, 0), "never below zero");
    let list = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}/refunds"))
        .await
        .expect(200);
    assert_eq!(
        list.body["data"][0]["credits_deficit"], 1900,
        "the deficit is shown"
    );
}

async fn bad_refunds_write_nothing(app: &TestApp) {
    let s = shop(app).await;
    let id = paid(app, &s).await;
    let path = format!("/v1/admin/payments/{id}/refunds");
    for (body, param) in [
        (json!({ "amount": NET + 1, "reason": "too much" }), "amount"),
        (json!({ "amount": 0, "reason": "nothing" }), "amount"),
        (json!({ "amount": 100 }), "reason"),
        (
            json!({ "amount": 100, "reason": "r".repeat(501) }),
            "reason",
        ),
        (json!({ "amount": "all", "reason": "x" }), "amount"),
    ] {
        let r = app.post(&app.admin, &path, body).await.expect(400);
        assert_eq!(r.param(), Some(param), "{}", r.body);
    }
    app.post(&s.key, &path, json!({ "amount": 100, "reason": "mine" }))
        .await
        .expect(403);
    app.post(
        &app.admin,
        "/v1/admin/payments/pay_00000000000000000000000000/refunds",
        json!({ "reason": "x" }),
    )
    .await
    .expect(404);
    // an unpaid payment has nothing to refund
    let p = buy(app, &s).await;
    let r = app
        .post(
            &app.admin,
            &format!("/v1/admin/payments/{}/refunds", pid(&p)),
            json!({ "reason": "x" }),
        )
        .await
        .expect(409);
    assert_eq!(r.error_code(), "payment_not_refundable");
    assert!(
        app.get(&app.admin, &path).await.expect(200).body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    let pay = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}"))
        .await
        .expect(200);
    assert_eq!(
        (
            pay.body["status"].as_str(),
            pay.body["amount_refunded"].as_i64()
        ),
        (Some("succeeded"), Some(0))
    );
}

/// Unpaid manual payments are canceled by the server's sweep once they expire.
async fn unpaid_transfers_expire(backend: Backend) {
    let app = TestApp::start_with(backend, |c| {
        c.sweep_interval = std::time::Duration::from_secs(1)
    })
    .await;
    let s = shop(&app).await;
    let p = buy(&app, &s).await;
    let rejected = buy(&app, &s).await;
    let (id, rid) = (pid(&p), pid(&rejected));
    confirm(&app, &s, &rid, confirmation(&rejected, NET))
        .await
        .expect(200);
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{rid}/reject"),
        json!({ "reason": "not found" }),
    )
    .await
    .expect(200);
    app.clock.advance(time::Duration::days(8));
    let mut status = String::new();
    for _ in 0..40 {
        let r = app
            .get(&app.admin, &format!("/v1/admin/payments/{id}"))
            .await
            .expect(200);
        status = r.body["status"].as_str().unwrap().to_owned();
        if status == "canceled" {
            let last = r.body["history"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .clone();
            assert_eq!(
                (last["actor"].as_str(), last["note"].as_str()),
                (Some("system"), Some("expired unpaid"))
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(status, "canceled", "the sweep cancels the expired payment");
    let r = app
        .get(&app.admin, &format!("/v1/admin/payments/{rid}"))
        .await
        .expect(200);
    assert_eq!(
        r.body["status"], "canceled",
        "a rejected, never resubmitted payment expires too"
    );
    // too late to confirm or approve; the invoice stays pending (it may be paid another way)
    let r = confirm(&app, &s, &id, confirmation(&p, NET))
        .await
        .expect(409);
    assert_eq!(r.error_code(), "payment_not_awaiting_transfer");
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{id}/approve"),
        json!({}),
    )
    .await
    .expect(409);
    let iid = p["invoice"]["id"].as_str().unwrap();
    assert_eq!(
        app.get(&app.admin, &format!("/v1/admin/invoices/{iid}"))
            .await
            .expect(200)
            .body["status"],
        "pending"
    );
    assert!(entries(&app, &s.acct, "purchase_grant").await.is_empty());
    app.stop().await;
}

mod expiry {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::unpaid_transfers_expire(crate::support::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::unpaid_transfers_expire(crate::support::Backend::Postgres).await;
    }
}
