//! Accounts and billing profiles.

use serde_json::json;

use crate::support::TestApp;

crate::backends!(
    account_lifecycle,
    billing_profile_get_and_replace,
    bad_account_input_writes_nothing,
    accounts_paginate_with_a_cursor,
    the_platform_finds_an_account_by_its_own_id
);

/// `GET /v1/accounts?external_id=…` finds the account the platform knows by that id (and only
/// it); an unknown query parameter is a 400 naming it instead of being ignored.
async fn the_platform_finds_an_account_by_its_own_id(app: &TestApp) {
    let mine = app
        .post(
            &app.service,
            "/v1/accounts",
            json!({ "name": "Mine", "external_id": "user-42" }),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &app.service,
        "/v1/accounts",
        json!({ "name": "Other", "external_id": "user-43" }),
    )
    .await
    .expect(201);
    let found = app
        .get(&app.service, "/v1/accounts?external_id=user-42")
        .await
        .expect(200);
    let ids: Vec<&str> = found.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [mine.as_str()]);
    assert_eq!(found.body["has_more"], false);
    let none = app
        .get(&app.service, "/v1/accounts?external_id=user-99")
        .await
        .expect(200);
    assert!(none.body["data"].as_array().unwrap().is_empty());
    // An account key finds only itself, even by another account's external id.
    let key = app.account_key(&mine).await;
    let theirs = app
        .get(&key, "/v1/accounts?external_id=user-43")
        .await
        .expect(200);
    assert!(theirs.body["data"].as_array().unwrap().is_empty());
    let own = app
        .get(&key, "/v1/accounts?external_id=user-42")
        .await
        .expect(200);
    assert_eq!(own.body["data"][0]["id"], mine.as_str());
    // Unknown parameters are refused, not silently ignored.
    let r = app
        .get(&app.service, "/v1/accounts?externalid=user-42")
        .await
        .expect(400);
    assert_eq!(r.param(), Some("externalid"), "{}", r.body);
    let r = app
        .get(&app.admin, "/v1/admin/invoices?colour=red")
        .await
        .expect(400);
    assert_eq!(r.param(), Some("colour"), "{}", r.body);
}

fn profile(country: &str) -> serde_json::Value {
    json!({
        "legal_name": "Acme GmbH",
        "billing_email": "billing@acme.example",
        "address": { "line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": country },
        "tax_id": { "type": "eu_vat", "value": "DE123456789" },
        "preferred_currency": "EUR"
    })
}

async fn account_lifecycle(app: &TestApp) {
    let created = app
        .post(&app.service, "/v1/accounts", json!({ "name": "Acme", "external_id": "cus-1", "billing_profile": profile("DE"), "metadata": { "plan": "pro" } }))
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap();
    assert!(id.starts_with("acct_"), "{id}");
    assert_eq!(created.body["billing_profile"]["address"]["country"], "DE");
    let got = app
        .get(&app.service, &format!("/v1/accounts/{id}"))
        .await
        .expect(200);
    assert_eq!(got.body, created.body);
    let list = app.get(&app.admin, "/v1/accounts").await.expect(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["has_more"], false);
    let updated = app
        .patch(
            &app.service,
            &format!("/v1/accounts/{id}"),
            json!({ "name": "Acme Corp", "low_balance_threshold": 50 }),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["name"], "Acme Corp");
    assert_eq!(updated.body["low_balance_threshold"], 50);
    assert_eq!(updated.body["external_id"], "cus-1");
    // external ids are unique
    let dup = app
        .post(
            &app.service,
            "/v1/accounts",
            json!({ "name": "Other", "external_id": "cus-1" }),
        )
        .await
        .expect(409);
    assert_eq!(dup.error_code(), "external_id_taken");
    assert_eq!(dup.param(), Some("external_id"));
    // unknown and malformed ids are 404
    assert_eq!(
        app.get(&app.service, "/v1/accounts/acct_00000000000000000000000000")
            .await
            .expect(404)
            .error_code(),
        "resource_missing"
    );
    assert_eq!(
        app.get(&app.service, "/v1/accounts/not-an-id")
            .await
            .expect(404)
            .error_code(),
        "resource_missing"
    );
}

async fn billing_profile_get_and_replace(app: &TestApp) {
    let id = app.account("Acme").await;
    let path = format!("/v1/accounts/{id}/billing-profile");
    assert_eq!(
        app.get(&app.service, &path).await.expect(404).error_code(),
        "resource_missing"
    );
    let put = app
        .put(&app.service, &path, profile("DE"))
        .await
        .expect(200);
    assert_eq!(put.body["tax_id"]["value"], "DE123456789");
    assert_eq!(
        app.get(&app.service, &path).await.expect(200).body,
        put.body
    );
    // an account key may replace its own profile
    let key = app.account_key(&id).await;
    app.put(&key, &path, profile("FR")).await.expect(200);
    // a bad country is refused and nothing changes
    let bad = app
        .put(&app.service, &path, profile("XX1"))
        .await
        .expect(400);
    assert_eq!(bad.param(), Some("address.country"));
    assert_eq!(
        app.get(&app.service, &path).await.expect(200).body["address"]["country"],
        "FR"
    );
}

async fn bad_account_input_writes_nothing(app: &TestApp) {
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({}), "name"),
        (json!({ "name": "" }), "name"),
        (json!({ "name": "x".repeat(201) }), "name"),
        (json!({ "name": 5 }), "name"),
        (json!({ "name": "A", "nickname": "x" }), "nickname"),
        (
            json!({ "name": "A", "external_id": "e".repeat(201) }),
            "external_id",
        ),
        (
            json!({ "name": "A", "low_balance_threshold": "ten" }),
            "low_balance_threshold",
        ),
        (
            json!({ "name": "A", "billing_profile": { "legal_name": "A", "billing_email": "not-an-email", "address": { "line1": "x", "city": "y", "country": "DE" } } }),
            "billing_profile.billing_email",
        ),
        (
            json!({ "name": "A", "billing_profile": { "legal_name": "A", "billing_email": "a@b.example", "address": { "line1": "x", "city": "y", "country": "Germany" } } }),
            "billing_profile.address.country",
        ),
        // The array form serde would read as a struct: the document says object.
        (
            json!({ "name": "A", "billing_profile": ["A", "a@b.example", ["x", null, "y", null, null, "DE"]] }),
            "billing_profile",
        ),
        (
            json!({ "name": "A", "billing_profile": { "legal_name": "A", "billing_email": "a@b.example", "address": ["x", null, "y", null, null, "DE"] } }),
            "billing_profile.address",
        ),
        (
            json!({ "name": "A", "billing_profile": { "legal_name": "A", "billing_email": "a@b.example", "address": { "line1": "x", "city": "y", "country": "DE" }, "tax_id": ["eu_vat", "DE123456789"] } }),
            "billing_profile.tax_id",
        ),
        (
            json!({ "name": "A", "billing_profile": { "legal_name": "A", "billing_email": "a@b.example", "address": { "line1": "x", "city": "y", "country": 49 } } }),
            "billing_profile.address.country",
        ),
        (
            json!({ "name": "A", "billing_profile": { "legal_name": "A", "billing_email": "a@b.example", "address": { "line1": "x", "city": "y", "country": "DE" }, "preferred_currency": "EURO" } }),
            "billing_profile.preferred_currency",
        ),
    ];
    for (body, param) in cases {
        let r = app
            .post(&app.service, "/v1/accounts", body.clone())
            .await
            .expect(400);
        assert_eq!(r.param(), Some(param), "body {body}: {}", r.body);
        assert_eq!(r.body["error"]["type"], "invalid_request_error");
    }
    let id = app.account("Valid").await;
    let path = format!("/v1/accounts/{id}/billing-profile");
    let mut p = profile("DE");
    p["tax_id"] = json!({ "type": "eu_vat", "value": "DE12" });
    assert!(
        app.put(&app.service, &path, p)
            .await
            .expect(422)
            .param()
            .unwrap()
            .starts_with("tax_id")
    );
    let mut p = profile("US");
    p["tax_id"] = json!({ "type": "us_ein", "value": "12-34" });
    assert!(
        app.put(&app.service, &path, p)
            .await
            .expect(422)
            .param()
            .unwrap()
            .starts_with("tax_id")
    );
    app.get(&app.service, &path).await.expect(404);
    let list = app.get(&app.admin, "/v1/accounts").await.expect(200);
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        1,
        "only the valid account exists: {}",
        list.body
    );
}

async fn accounts_paginate_with_a_cursor(app: &TestApp) {
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.account(&format!("A{i}")).await);
    }
    let mut seen = Vec::new();
    let mut path = "/v1/accounts?limit=2".to_owned();
    loop {
        let page = app.get(&app.service, &path).await.expect(200).body;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
        path = format!(
            "/v1/accounts?limit=2&starting_after={}",
            seen.last().unwrap()
        );
    }
    ids.reverse();
    assert_eq!(seen, ids, "every account once, newest first");
    for bad in ["limit=0", "limit=101", "limit=abc", "starting_after=a%20b"] {
        let r = app
            .get(&app.service, &format!("/v1/accounts?{bad}"))
            .await
            .expect(400);
        assert!(
            matches!(r.param(), Some("limit" | "starting_after")),
            "{bad}: {}",
            r.body
        );
    }
}
