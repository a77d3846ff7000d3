//! Authentication (401), scopes (403) and tenancy (404 for another account's data).

use reqwest::Method;
use serde_json::json;

use crate::support::TestApp;

crate::backends!(
    missing_invalid_and_revoked_keys_are_401,
    wrong_scope_is_403,
    account_keys_see_only_their_account
);

async fn missing_invalid_and_revoked_keys_are_401(app: &TestApp) {
    let r = TestApp::send(app.request(Method::GET, "/v1/accounts", None))
        .await
        .expect(401);
    assert_eq!(r.error_code(), "missing_api_key");
    assert_eq!(r.body["error"]["type"], "authentication_error");
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    let r = app
        .get("bk_admin_notarealkey000000000000000000", "/v1/accounts")
        .await
        .expect(401);
    assert_eq!(r.error_code(), "invalid_api_key");
    let r = TestApp::send(
        app.request(Method::GET, "/v1/accounts", None)
            .header("Authorization", format!("Basic {}", app.admin)),
    )
    .await
    .expect(401);
    assert_eq!(r.error_code(), "invalid_authorization");
    // POST without a key: 401 before any body problem
    let r = TestApp::send(
        app.request(Method::POST, "/v1/accounts", None)
            .header("content-type", "application/json")
            .body("{oops"),
    )
    .await
    .expect(401);
    assert_eq!(r.error_code(), "missing_api_key");
    // revoked keys stop working at once
    let created = app
        .post(
            &app.admin,
            "/v1/admin/api-keys",
            json!({ "scope": "service", "name": "soon revoked" }),
        )
        .await
        .expect(201);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    app.get(&secret, "/v1/accounts").await.expect(200);
    app.delete(
        &app.admin,
        &format!(
            "/v1/admin/api-keys/{}",
            created.body["id"].as_str().unwrap()
        ),
    )
    .await
    .expect(200);
    let r = app.get(&secret, "/v1/accounts").await.expect(401);
    assert_eq!(r.body["error"]["type"], "authentication_error");
}

async fn wrong_scope_is_403(app: &TestApp) {
    let account = app.account("Acme").await;
    let account_key = app.account_key(&account).await;
    for path in [
        "/v1/admin/api-keys",
        "/v1/admin/credit-packages",
        "/v1/admin/payment-method-configs",
        "/v1/admin/credits/verify",
        "/v1/admin/audit-log",
    ] {
        let r = app.get(&app.service, path).await.expect(403);
        assert_eq!(r.error_code(), "insufficient_scope", "{path}");
        assert_eq!(r.body["error"]["type"], "permission_error");
        app.get(&account_key, path).await.expect(403);
    }
    app.post(&account_key, "/v1/accounts", json!({ "name": "x" }))
        .await
        .expect(403);
    app.post(
        &account_key,
        &format!("/v1/accounts/{account}/credits/debit"),
        json!({ "credits": 1, "operation": "x", "reference": "r1" }),
    )
    .await
    .expect(403);
    app.post(
        &app.service,
        &format!("/v1/accounts/{account}/credits/adjustments"),
        json!({ "credits": 5, "reason": "x" }),
    )
    .await
    .expect(403);
    app.post(
        &app.service,
        "/v1/admin/api-keys",
        json!({ "scope": "admin" }),
    )
    .await
    .expect(403);
}

async fn account_keys_see_only_their_account(app: &TestApp) {
    let mine = app.account("Mine").await;
    let theirs = app.account("Theirs").await;
    let key = app.account_key(&mine).await;
    for suffix in [
        "",
        "/credits",
        "/credits/ledger",
        "/billing-profile",
        "/payment-methods?currency=USD",
    ] {
        let r = app
            .get(&key, &format!("/v1/accounts/{theirs}{suffix}"))
            .await;
        assert_eq!(r.status, 404, "{suffix}: {}", r.body);
        assert_eq!(r.error_code(), "resource_missing");
    }
    app.get(&key, &format!("/v1/accounts/{mine}"))
        .await
        .expect(200);
    app.get(&key, &format!("/v1/accounts/{mine}/credits"))
        .await
        .expect(200);
    app.get(&key, &format!("/v1/accounts/{mine}/credits/ledger"))
        .await
        .expect(200);
    let r = app
        .put(
            &key,
            &format!("/v1/accounts/{theirs}/billing-profile"),
            json!({ "legal_name": "x" }),
        )
        .await;
    assert!(r.status == 404 || r.status == 400, "{}", r.body);
    let list = app.get(&key, "/v1/accounts").await.expect(200);
    let ids: Vec<&str> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![mine.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_are_throttled_with_retry_after() {
    let app = TestApp::start_with(crate::support::Backend::Sqlite, |c| {
        c.auth_failure_limit = 3;
    })
    .await;
    // The admin key works, and working never counts.
    for _ in 0..5 {
        app.get(&app.admin, "/v1/accounts").await.expect(200);
    }
    for i in 0..3 {
        let r = app
            .get(&format!("bk_admin_guess{i:026}"), "/v1/accounts")
            .await
            .expect(401);
        assert_eq!(r.error_code(), "invalid_api_key");
    }
    // The fourth guess from this address is refused before any lookup.
    let r = app
        .get("bk_admin_guess99999999999999999999999999", "/v1/accounts")
        .await
        .expect(429);
    assert_eq!(r.error_code(), "too_many_failed_authentications");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The whole address is: that is what stops a guesser who rotates keys.
    app.get(&app.admin, "/v1/accounts").await.expect(429);
    // A request without a key is not a failed guess and is told so.
    let r = TestApp::send(app.request(Method::GET, "/v1/accounts", None))
        .await
        .expect(401);
    assert_eq!(r.error_code(), "missing_api_key");
    app.stop().await;
}
