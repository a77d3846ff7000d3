//! Reservations: hold, commit (all or part), release, expiry, tenancy.

use serde_json::json;

use crate::support::TestApp;

crate::backends!(
    hold_then_commit_part,
    hold_then_release,
    holds_expire,
    bad_reservation_requests
);

async fn hold(app: &TestApp, acct: &str, credits: i64, reference: &str) -> String {
    let r = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations"),
            json!({ "credits": credits, "reference": reference }),
        )
        .await
        .expect(201);
    assert_eq!(r.body["status"], "active");
    r.body["id"].as_str().unwrap().to_owned()
}

async fn hold_then_commit_part(app: &TestApp) {
    let acct = app.account("Acme").await;
    app.grant(&acct, 100).await;
    let rid = hold(app, &acct, 40, "video-1").await;
    assert!(rid.starts_with("rsv_"));
    assert_eq!(app.balance(&acct).await, (100, 40, 60));
    let r = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/debit"),
            json!({ "credits": 70, "operation": "x", "reference": "d1" }),
        )
        .await
        .expect(402);
    assert_eq!(r.body["error"]["available"], 60);
    let got = app
        .get(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations/{rid}"),
        )
        .await
        .expect(200);
    assert_eq!(got.body["amount"], 40);
    let c = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations/{rid}/commit"),
            json!({ "credits": 25 }),
        )
        .await
        .expect(200);
    assert_eq!(c.body["status"], "committed");
    assert_eq!(c.body["committed_amount"], 25);
    assert_eq!(app.balance(&acct).await, (75, 0, 75));
    // committing again changes nothing; releasing a committed hold is a conflict
    app.post(
        &app.service,
        &format!("/v1/accounts/{acct}/credits/reservations/{rid}/commit"),
        json!({ "credits": 25 }),
    )
    .await
    .expect(200);
    // the same hold committed again with another amount: 409, like a reused debit reference
    let other = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations/{rid}/commit"),
            json!({ "credits": 30 }),
        )
        .await
        .expect(409);
    assert_eq!(other.error_code(), "reservation_already_committed");
    assert_eq!(other.param(), Some("credits"));
    let r = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations/{rid}/release"),
            json!({}),
        )
        .await
        .expect(409);
    assert_eq!(r.error_code(), "reservation_not_active");
    assert_eq!(app.balance(&acct).await, (75, 0, 75));
    let kinds: Vec<String> = app
        .ledger(&acct)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["reservation_commit", "reservation_hold", "admin_adjustment"]
    );
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true, "{}", v.body);
}

async fn hold_then_release(app: &TestApp) {
    let acct = app.account("Acme").await;
    app.grant(&acct, 50).await;
    let rid = hold(app, &acct, 50, "job").await;
    assert_eq!(app.balance(&acct).await, (50, 50, 0));
    // a commit without a body spends everything; here we release instead (empty body allowed)
    let r = app.request(
        reqwest::Method::POST,
        &format!("/v1/accounts/{acct}/credits/reservations/{rid}/release"),
        Some(&app.service),
    );
    let r = TestApp::send(r).await.expect(200);
    assert_eq!(r.body["status"], "released");
    assert_eq!(app.balance(&acct).await, (50, 0, 50));
    let rid2 = hold(app, &acct, 20, "job-2").await;
    let r = TestApp::send(app.request(
        reqwest::Method::POST,
        &format!("/v1/accounts/{acct}/credits/reservations/{rid2}/commit"),
        Some(&app.service),
    ))
    .await
    .expect(200);
    assert_eq!(r.body["committed_amount"], 20);
    assert_eq!(app.balance(&acct).await, (30, 0, 30));
}

async fn holds_expire(app: &TestApp) {
    let acct = app.account("Acme").await;
    app.grant(&acct, 10).await;
    let r = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations"),
            json!({ "credits": 8, "reference": "short", "expires_in_seconds": 1 }),
        )
        .await
        .expect(201);
    let rid = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.balance(&acct).await, (10, 8, 2));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        app.balance(&acct).await,
        (10, 0, 10),
        "expired holds return on read"
    );
    let got = app
        .get(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations/{rid}"),
        )
        .await
        .expect(200);
    let r = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations/{rid}/commit"),
            json!({}),
        )
        .await;
    assert!(
        r.status == 409 || got.body["status"] == "expired",
        "an expired hold cannot be committed: {} {}",
        got.body,
        r.body
    );
    assert_eq!(app.balance(&acct).await, (10, 0, 10));
}

async fn bad_reservation_requests(app: &TestApp) {
    let acct = app.account("Acme").await;
    let other = app.account("Other").await;
    app.grant(&acct, 10).await;
    let base = format!("/v1/accounts/{acct}/credits/reservations");
    for (body, param) in [
        (json!({ "credits": 0, "reference": "r" }), "credits"),
        (json!({ "credits": -1, "reference": "r" }), "credits"),
        (json!({ "credits": 1 }), "reference"),
        (
            json!({ "credits": 1, "reference": "r", "expires_in_seconds": 0 }),
            "expires_in_seconds",
        ),
        (
            json!({ "credits": 1, "reference": "r", "expires_in_seconds": 604801 }),
            "expires_in_seconds",
        ),
    ] {
        assert_eq!(
            app.post(&app.service, &base, body.clone())
                .await
                .expect(400)
                .param(),
            Some(param),
            "{body}"
        );
    }
    assert_eq!(
        app.post(
            &app.service,
            &base,
            json!({ "credits": 11, "reference": "r" })
        )
        .await
        .expect(402)
        .error_code(),
        "insufficient_credits"
    );
    let rid = hold(app, &acct, 5, "r").await;
    let r = app
        .post(
            &app.service,
            &format!("{base}/{rid}/commit"),
            json!({ "credits": 6 }),
        )
        .await
        .expect(400);
    assert_eq!(r.param(), Some("credits"));
    // another account's reservation is not found
    app.get(
        &app.service,
        &format!("/v1/accounts/{other}/credits/reservations/{rid}"),
    )
    .await
    .expect(404);
    app.post(
        &app.service,
        &format!("/v1/accounts/{other}/credits/reservations/{rid}/commit"),
        json!({}),
    )
    .await
    .expect(404);
    app.get(
        &app.service,
        &format!("{base}/rsv_00000000000000000000000000"),
    )
    .await
    .expect(404);
    let key = app.account_key(&acct).await;
    app.post(&key, &base, json!({ "credits": 1, "reference": "mine" }))
        .await
        .expect(403);
    assert_eq!(app.balance(&acct).await, (10, 5, 5));
}
