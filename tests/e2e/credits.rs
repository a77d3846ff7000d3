//! Credits: adjustments, debits, the ledger, 402 insufficient credits, verification, metrics.

use serde_json::json;

use crate::support::TestApp;

crate::backends!(
    debit_and_ledger,
    debits_are_idempotent_by_reference,
    insufficient_credits_is_402_and_writes_nothing,
    bad_debits_and_adjustments_are_400,
    verify_reports_no_drift_and_metrics_count_debits
);

async fn debit_and_ledger(app: &TestApp) {
    let acct = app.account("Acme").await;
    assert_eq!(app.balance(&acct).await, (0, 0, 0));
    let adj = app
        .post(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/adjustments"),
            json!({ "credits": 100, "reason": "welcome bonus" }),
        )
        .await
        .expect(201);
    assert_eq!(adj.body["kind"], "admin_adjustment");
    assert_eq!(adj.body["balance_after"], 100);
    let d = app.post(&app.service, &format!("/v1/accounts/{acct}/credits/debit"), json!({ "credits": 30, "operation": "image.generate", "reference": "job-1", "metadata": { "model": "xl" } })).await.expect(200);
    assert_eq!(d.body["kind"], "usage_debit");
    assert_eq!(d.body["amount"], -30);
    assert_eq!(d.body["balance_after"], 70);
    assert_eq!(d.body["metadata"]["model"], "xl");
    assert_eq!(app.balance(&acct).await, (70, 0, 70));
    let ledger = app.ledger(&acct).await;
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger[0]["kind"], "usage_debit", "newest first");
    let only = app
        .get(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/ledger?kind=admin_adjustment"),
        )
        .await
        .expect(200);
    assert_eq!(only.body["data"].as_array().unwrap().len(), 1);
    let both = app
        .get(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/ledger?kind=admin_adjustment,usage_debit"),
        )
        .await
        .expect(200);
    assert_eq!(both.body["data"].as_array().unwrap().len(), 2);
    let future = app
        .get(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/ledger?created_gte=2999-01-01T00:00:00Z"),
        )
        .await
        .expect(200);
    assert!(future.body["data"].as_array().unwrap().is_empty());
    let past = app
        .get(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/ledger?created_lt=2000-01-01T00:00:00Z"),
        )
        .await
        .expect(200);
    assert!(past.body["data"].as_array().unwrap().is_empty());
    let page = app
        .get(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/ledger?limit=1"),
        )
        .await
        .expect(200);
    assert_eq!(page.body["has_more"], true);
    let next = app
        .get(
            &app.admin,
            &format!(
                "/v1/accounts/{acct}/credits/ledger?limit=1&starting_after={}",
                page.body["data"][0]["id"].as_str().unwrap()
            ),
        )
        .await
        .expect(200);
    assert_eq!(next.body["data"][0]["kind"], "admin_adjustment");
    assert_eq!(next.body["has_more"], false);
    assert_eq!(
        app.get(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/ledger?kind=gift")
        )
        .await
        .expect(400)
        .param(),
        Some("kind")
    );
    assert_eq!(
        app.get(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/ledger?created_lt=soon")
        )
        .await
        .expect(400)
        .param(),
        Some("created_lt")
    );
    // negative adjustments, never below zero
    app.post(
        &app.admin,
        &format!("/v1/accounts/{acct}/credits/adjustments"),
        json!({ "credits": -20, "reason": "correction" }),
    )
    .await
    .expect(201);
    let r = app
        .post(
            &app.admin,
            &format!("/v1/accounts/{acct}/credits/adjustments"),
            json!({ "credits": -51, "reason": "too much" }),
        )
        .await
        .expect(402);
    assert_eq!(r.error_code(), "insufficient_credits");
    assert_eq!(app.balance(&acct).await, (50, 0, 50));
}

async fn debits_are_idempotent_by_reference(app: &TestApp) {
    let acct = app.account("Acme").await;
    app.grant(&acct, 10).await;
    let path = format!("/v1/accounts/{acct}/credits/debit");
    let body = json!({ "credits": 3, "operation": "export", "reference": "exp-42" });
    let first = app
        .post(&app.service, &path, body.clone())
        .await
        .expect(200);
    let again = app.post(&app.service, &path, body).await.expect(200);
    assert_eq!(
        first.body["id"], again.body["id"],
        "a repeated reference returns the original entry"
    );
    assert_eq!(app.balance(&acct).await, (7, 0, 7));
    let r = app
        .post(
            &app.service,
            &path,
            json!({ "credits": 4, "operation": "export", "reference": "exp-42" }),
        )
        .await
        .expect(409);
    assert_eq!(r.error_code(), "reference_reused");
    assert_eq!(r.param(), Some("reference"));
    assert_eq!(app.balance(&acct).await, (7, 0, 7));
}

async fn insufficient_credits_is_402_and_writes_nothing(app: &TestApp) {
    let acct = app.account("Acme").await;
    app.grant(&acct, 25).await;
    let r = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/debit"),
            json!({ "credits": 40, "operation": "render", "reference": "big" }),
        )
        .await
        .expect(402);
    assert_eq!(r.error_code(), "insufficient_credits");
    let e = &r.body["error"];
    assert_eq!(
        (
            e["balance"].as_i64(),
            e["available"].as_i64(),
            e["shortfall"].as_i64()
        ),
        (Some(25), Some(25), Some(15)),
        "{}",
        r.body
    );
    assert_eq!(app.balance(&acct).await, (25, 0, 25));
    assert_eq!(app.ledger(&acct).await.len(), 1);
    // the same reference can be used once credits arrive: nothing was recorded under it
    app.grant(&acct, 100).await;
    app.post(
        &app.service,
        &format!("/v1/accounts/{acct}/credits/debit"),
        json!({ "credits": 40, "operation": "render", "reference": "big" }),
    )
    .await
    .expect(200);
    assert_eq!(app.balance(&acct).await, (85, 0, 85));
}

async fn bad_debits_and_adjustments_are_400(app: &TestApp) {
    let acct = app.account("Acme").await;
    app.grant(&acct, 100).await;
    let path = format!("/v1/accounts/{acct}/credits/debit");
    let cases = [
        (
            json!({ "credits": 0, "operation": "x", "reference": "r" }),
            "credits",
        ),
        (
            json!({ "credits": -5, "operation": "x", "reference": "r" }),
            "credits",
        ),
        (
            json!({ "credits": 1e20, "operation": "x", "reference": "r" }),
            "credits",
        ),
        (
            json!({ "credits": 18_446_744_073_709_551_615_u64, "operation": "x", "reference": "r" }),
            "credits",
        ),
        (
            json!({ "credits": "ten", "operation": "x", "reference": "r" }),
            "credits",
        ),
        (json!({ "operation": "x", "reference": "r" }), "credits"),
        (json!({ "credits": 1, "reference": "r" }), "operation"),
        (
            json!({ "credits": 1, "operation": "o".repeat(101), "reference": "r" }),
            "operation",
        ),
        (json!({ "credits": 1, "operation": "x" }), "reference"),
        (
            json!({ "credits": 1, "operation": "x", "reference": "has space" }),
            "reference",
        ),
        (
            json!({ "credits": 1, "operation": "x", "reference": "r".repeat(201) }),
            "reference",
        ),
        (
            json!({ "credits": 1, "operation": "x", "reference": "r", "metadata": { "k": 5 } }),
            "metadata.k",
        ),
    ];
    for (body, param) in cases {
        let r = app
            .post(&app.service, &path, body.clone())
            .await
            .expect(400);
        assert_eq!(r.param(), Some(param), "{body}: {}", r.body);
    }
    let r = app
        .post(
            &app.service,
            "/v1/accounts/acct_00000000000000000000000000/credits/debit",
            json!({ "credits": 1, "operation": "x", "reference": "r" }),
        )
        .await
        .expect(404);
    assert_eq!(r.error_code(), "resource_missing");
    let adj = format!("/v1/accounts/{acct}/credits/adjustments");
    assert_eq!(
        app.post(&app.admin, &adj, json!({ "credits": 5 }))
            .await
            .expect(400)
            .param(),
        Some("reason")
    );
    assert_eq!(
        app.post(&app.admin, &adj, json!({ "credits": 0, "reason": "x" }))
            .await
            .expect(400)
            .param(),
        Some("credits")
    );
    assert_eq!(
        app.post(
            &app.admin,
            &adj,
            json!({ "credits": 5, "reason": "r".repeat(501) })
        )
        .await
        .expect(400)
        .param(),
        Some("reason")
    );
    assert_eq!(
        app.balance(&acct).await,
        (100, 0, 100),
        "nothing was written"
    );
    assert_eq!(app.ledger(&acct).await.len(), 1);
}

async fn verify_reports_no_drift_and_metrics_count_debits(app: &TestApp) {
    let a = app.account("A").await;
    let b = app.account("B").await;
    app.grant(&a, 10).await;
    app.grant(&b, 5).await;
    app.post(
        &app.service,
        &format!("/v1/accounts/{a}/credits/debit"),
        json!({ "credits": 4, "operation": "x", "reference": "r1" }),
    )
    .await
    .expect(200);
    app.post(
        &app.service,
        &format!("/v1/accounts/{b}/credits/debit"),
        json!({ "credits": 6, "operation": "x", "reference": "r1" }),
    )
    .await
    .expect(402);
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true, "{}", v.body);
    assert!(v.body["accounts_checked"].as_u64().unwrap() >= 2);
    assert!(v.body["drift"].as_array().unwrap().is_empty());
    let metrics = reqwest::get(format!("{}/metrics", app.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("billing_credit_debits_total{outcome=\"succeeded\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("billing_credit_debits_total{outcome=\"insufficient_credits\"} 1"));
    assert!(metrics.contains("billing_http_requests_total{method=\"POST\",route=\"/v1/accounts/{id}/credits/debit\",status=\"402\"} 1"));
    assert!(metrics.contains("billing_http_request_duration_seconds_bucket"));
}
