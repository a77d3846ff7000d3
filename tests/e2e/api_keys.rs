//! API keys: create (secret once), list (never the secret), revoke.

use serde_json::json;

use crate::support::TestApp;

crate::backends!(api_key_lifecycle, bad_api_key_input);

async fn api_key_lifecycle(app: &TestApp) {
    let created = app
        .post(
            &app.admin,
            "/v1/admin/api-keys",
            json!({ "scope": "service", "name": "backend" }),
        )
        .await
        .expect(201);
    let secret = created.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("bk_service_"));
    assert!(created.body["id"].as_str().unwrap().starts_with("key_"));
    assert!(created.body.get("secret_hash").is_none());
    app.get(secret, "/v1/accounts").await.expect(200);
    let list = app
        .get(&app.admin, "/v1/admin/api-keys?limit=100")
        .await
        .expect(200);
    let keys = list.body["data"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "the two harness keys and the new one");
    let text = list.body.to_string();
    assert!(
        !text.contains(secret) && !text.contains("secret_hash"),
        "listing leaks secrets: {text}"
    );
    let id = created.body["id"].as_str().unwrap();
    let revoked = app
        .delete(&app.admin, &format!("/v1/admin/api-keys/{id}"))
        .await
        .expect(200);
    assert!(revoked.body["revoked_at"].is_string());
    app.delete(&app.admin, &format!("/v1/admin/api-keys/{id}"))
        .await
        .expect(200);
    app.get(secret, "/v1/accounts").await.expect(401);
    app.delete(
        &app.admin,
        "/v1/admin/api-keys/key_00000000000000000000000000",
    )
    .await
    .expect(404);
    let log = app
        .get(
            &app.admin,
            &format!("/v1/admin/audit-log?target_type=api_key&target_id={id}"),
        )
        .await
        .expect(200);
    let actions: Vec<&str> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.last(), Some(&"api_key.create"), "{actions:?}");
    assert!(
        actions.contains(&"api_key.revoke"),
        "create and revoke are audited: {actions:?}"
    );
}

async fn bad_api_key_input(app: &TestApp) {
    assert_eq!(
        app.post(&app.admin, "/v1/admin/api-keys", json!({ "scope": "root" }))
            .await
            .expect(400)
            .param(),
        Some("scope")
    );
    assert_eq!(
        app.post(
            &app.admin,
            "/v1/admin/api-keys",
            json!({ "scope": "account" })
        )
        .await
        .expect(400)
        .param(),
        Some("account_id")
    );
    let r = app
        .post(
            &app.admin,
            "/v1/admin/api-keys",
            json!({ "scope": "account", "account_id": "acct_00000000000000000000000000" }),
        )
        .await
        .expect(422);
    assert_eq!(r.param(), Some("account_id"));
    assert_eq!(
        app.post(
            &app.admin,
            "/v1/admin/api-keys",
            json!({ "scope": "service", "name": "n".repeat(101) })
        )
        .await
        .expect(400)
        .param(),
        Some("name")
    );
    let list = app.get(&app.admin, "/v1/admin/api-keys").await.expect(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
}
