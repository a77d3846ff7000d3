//! `Idempotency-Key`: replay, 422 on another body, 409 while in progress, per-key scoping.

use billing_domain::entities::{IdempotencyBegin, IdempotencyRecord};
use serde_json::json;

use crate::support::TestApp;

crate::backends!(
    same_key_same_body_replays,
    same_key_other_body_is_422,
    in_progress_duplicate_is_409,
    keys_are_scoped_per_api_key_and_validated,
    errors_are_replayed_too
);

async fn count_accounts(app: &TestApp) -> usize {
    app.get(&app.admin, "/v1/accounts?limit=100")
        .await
        .expect(200)
        .body["data"]
        .as_array()
        .unwrap()
        .len()
}

async fn same_key_same_body_replays(app: &TestApp) {
    let body = json!({ "name": "Acme" });
    let first = app
        .post_idem(&app.service, "/v1/accounts", "create-acme-1", body.clone())
        .await
        .expect(201);
    assert!(first.header("idempotent-replayed").is_none());
    let again = app
        .post_idem(&app.service, "/v1/accounts", "create-acme-1", body)
        .await
        .expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the stored response, byte for byte");
    assert_eq!(count_accounts(app).await, 1);
    // debits too: charged once
    let acct = first.body["id"].as_str().unwrap();
    app.grant(acct, 10).await;
    let path = format!("/v1/accounts/{acct}/credits/debit");
    let d1 = app
        .post_idem(
            &app.service,
            &path,
            "debit-1",
            json!({ "credits": 2, "operation": "x", "reference": "ref-1" }),
        )
        .await
        .expect(200);
    let d2 = app
        .post_idem(
            &app.service,
            &path,
            "debit-1",
            json!({ "credits": 2, "operation": "x", "reference": "ref-1" }),
        )
        .await
        .expect(200);
    assert_eq!(d1.body, d2.body);
    assert_eq!(app.balance(acct).await, (8, 0, 8));
}

async fn same_key_other_body_is_422(app: &TestApp) {
    app.post_idem(
        &app.service,
        "/v1/accounts",
        "k-422",
        json!({ "name": "Acme" }),
    )
    .await
    .expect(201);
    let r = app
        .post_idem(
            &app.service,
            "/v1/accounts",
            "k-422",
            json!({ "name": "Other" }),
        )
        .await
        .expect(422);
    assert_eq!(r.error_code(), "idempotency_key_reused");
    assert_eq!(r.body["error"]["type"], "idempotency_error");
    let acct = app.account("B").await;
    // same key on another path is another request too
    let r = app
        .post_idem(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations"),
            "k-422",
            json!({ "name": "Acme" }),
        )
        .await
        .expect(422);
    assert_eq!(r.error_code(), "idempotency_key_reused");
    assert_eq!(count_accounts(app).await, 2);
}

async fn in_progress_duplicate_is_409(app: &TestApp) {
    // Simulate a first request still running: its record exists without a response.
    let keys = app
        .get(&app.admin, "/v1/admin/api-keys?limit=100")
        .await
        .expect(200)
        .body;
    let service_key_id = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["scope"] == "service")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({ "name": "Slow" });
    let hash = billing_api::idempotency::request_hash(
        "POST",
        "/v1/accounts",
        &serde_json::to_vec(&body).unwrap(),
    );
    let record = IdempotencyRecord {
        principal: service_key_id.clone(),
        key: "slow-1".into(),
        request_hash: hash,
        response_status: None,
        response_body: None,
        created_at: time::OffsetDateTime::now_utc(),
    };
    assert_eq!(
        app.services.repos.idempotency.begin(&record).await.unwrap(),
        IdempotencyBegin::Started
    );
    let r = app
        .post_idem(&app.service, "/v1/accounts", "slow-1", body.clone())
        .await
        .expect(409);
    assert_eq!(r.error_code(), "idempotency_in_progress");
    assert_eq!(count_accounts(app).await, 0);
    // once the first request is abandoned (e.g. it failed with a 5xx), a retry runs
    app.services
        .repos
        .idempotency
        .abandon(&service_key_id, "slow-1")
        .await
        .unwrap();
    app.post_idem(&app.service, "/v1/accounts", "slow-1", body)
        .await
        .expect(201);
    assert_eq!(count_accounts(app).await, 1);
}

async fn keys_are_scoped_per_api_key_and_validated(app: &TestApp) {
    let a = app
        .post_idem(
            &app.service,
            "/v1/accounts",
            "shared-key",
            json!({ "name": "Acme" }),
        )
        .await
        .expect(201);
    let b = app
        .post_idem(
            &app.admin,
            "/v1/accounts",
            "shared-key",
            json!({ "name": "Acme" }),
        )
        .await
        .expect(201);
    assert_ne!(
        a.body["id"], b.body["id"],
        "another API key's Idempotency-Key is another request"
    );
    assert!(b.header("idempotent-replayed").is_none());
    let r = app
        .post_idem(
            &app.service,
            "/v1/accounts",
            &"k".repeat(256),
            json!({ "name": "Acme" }),
        )
        .await
        .expect(400);
    assert_eq!(r.param(), Some("Idempotency-Key"));
    // without a key, POSTs are not deduplicated
    app.post(&app.service, "/v1/accounts", json!({ "name": "Acme" }))
        .await
        .expect(201);
    app.post(&app.service, "/v1/accounts", json!({ "name": "Acme" }))
        .await
        .expect(201);
    assert_eq!(count_accounts(app).await, 4);
    // an invalid key with an Idempotency-Key is still a plain 401
    let r = app
        .post_idem(
            "bk_service_nope",
            "/v1/accounts",
            "x-1",
            json!({ "name": "Acme" }),
        )
        .await
        .expect(401);
    assert_eq!(r.error_code(), "invalid_api_key");
    // authentication comes first: no key and a malformed Idempotency-Key is a 401, not a 400
    let r = TestApp::send(
        app.request(reqwest::Method::POST, "/v1/accounts", None)
            .header("Idempotency-Key", "k".repeat(256))
            .json(&json!({ "name": "Acme" })),
    )
    .await
    .expect(401);
    assert_ne!(r.param(), Some("Idempotency-Key"));
}

async fn errors_are_replayed_too(app: &TestApp) {
    let first = app
        .post_idem(&app.service, "/v1/accounts", "bad-1", json!({ "name": "" }))
        .await
        .expect(400);
    let again = app
        .post_idem(&app.service, "/v1/accounts", "bad-1", json!({ "name": "" }))
        .await
        .expect(400);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.body, again.body);
    let acct = app.account("Poor").await;
    let path = format!("/v1/accounts/{acct}/credits/debit");
    app.post_idem(
        &app.service,
        &path,
        "poor-1",
        json!({ "credits": 5, "operation": "x", "reference": "p" }),
    )
    .await
    .expect(402);
    app.grant(&acct, 10).await;
    // the 402 is the recorded answer of that key; a new key runs again
    app.post_idem(
        &app.service,
        &path,
        "poor-1",
        json!({ "credits": 5, "operation": "x", "reference": "p" }),
    )
    .await
    .expect(402);
    app.post_idem(
        &app.service,
        &path,
        "poor-2",
        json!({ "credits": 5, "operation": "x", "reference": "p" }),
    )
    .await
    .expect(200);
    assert_eq!(app.balance(&acct).await, (5, 0, 5));
}
