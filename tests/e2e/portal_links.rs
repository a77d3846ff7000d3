//! `POST /v1/portal/sessions` and `DELETE /v1/accounts/{id}/portal-sessions` over HTTP: who
//! may ask, what is refused (naming the field), the link's shape, flows on the account's own
//! invoices and payments only.

use serde_json::json;

use crate::shop::{account_in, buy, pid, shop};
use crate::support::TestApp;

crate::backends!(
    portal_links_are_made_for_the_platform_only,
    portal_flows_point_at_the_accounts_own_things
);

async fn portal_links_are_made_for_the_platform_only(app: &TestApp) {
    let s = shop(app).await;
    let body = json!({ "account_id": s.acct, "return_url": "https://app.example.com/billing" });
    let r = app
        .post(&app.service, "/v1/portal/sessions", body.clone())
        .await
        .expect(201);
    let url = r.body["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/portal/s/", app.url)), "{url}");
    assert_eq!(
        url.rsplit('/').next().unwrap().len(),
        43,
        "256-bit token, base64url"
    );
    assert_eq!(r.body["return_url"], "https://app.example.com/billing");
    assert_eq!(r.body["flow"], serde_json::Value::Null);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    app.post(&app.admin, "/v1/portal/sessions", body.clone())
        .await
        .expect(201);
    let r = app
        .post(&s.key, "/v1/portal/sessions", body)
        .await
        .expect(403);
    r.error_code();

    for (bad, param) in [
        (
            json!({ "return_url": "https://app.example.com/" }),
            "account_id",
        ),
        (json!({ "account_id": s.acct }), "return_url"),
        (
            json!({ "account_id": s.acct, "return_url": "javascript:alert(1)" }),
            "return_url",
        ),
        (
            json!({ "account_id": s.acct, "return_url": "https://u:p@app.example.com/" }),
            "return_url",
        ),
        (
            json!({ "account_id": "acct_nope", "return_url": "https://app.example.com/" }),
            "account_id",
        ),
        (
            json!({ "account_id": s.acct, "return_url": "https://app.example.com/", "flow": { "type": "wander" } }),
            "flow.type",
        ),
        (
            json!({ "account_id": s.acct, "return_url": "https://app.example.com/", "flow": { "type": "pay_invoice" } }),
            "flow.invoice_id",
        ),
        (
            json!({ "account_id": s.acct, "return_url": "https://app.example.com/", "extra": 1 }),
            "extra",
        ),
    ] {
        let r = app
            .post(&app.service, "/v1/portal/sessions", bad.clone())
            .await
            .expect_refused();
        assert_eq!(r.param(), Some(param), "{bad}: {}", r.body);
    }
    let r = app.request(
        reqwest::Method::DELETE,
        &format!("/v1/accounts/{}/portal-sessions", s.acct),
        Some(&app.service),
    );
    assert_eq!(TestApp::send(r).await.expect(200).body["revoked"], 0);
    let r = app.request(
        reqwest::Method::DELETE,
        &format!("/v1/accounts/{}/portal-sessions", s.acct),
        Some(&s.key),
    );
    TestApp::send(r).await.expect(403);
}

async fn portal_flows_point_at_the_accounts_own_things(app: &TestApp) {
    let s = shop(app).await;
    let mine = buy(app, &s).await;
    let other = account_in(app, "Fremd", "DE", "EUR").await;
    let flow = |f: serde_json::Value| json!({ "account_id": s.acct, "return_url": "https://app.example.com/", "flow": f });
    let r = app
        .post(
            &app.service,
            "/v1/portal/sessions",
            flow(json!({ "type": "manual_payment", "payment_id": pid(&mine) })),
        )
        .await
        .expect(201);
    assert_eq!(r.body["flow"]["type"], "manual_payment");
    app.post(
        &app.service,
        "/v1/portal/sessions",
        flow(json!({ "type": "pay_invoice", "invoice_id": mine["invoice"]["id"] })),
    )
    .await
    .expect(201);
    // Another account's invoice or payment is refused as if it did not exist.
    let r = app
        .post(
            &app.service,
            "/v1/portal/sessions",
            json!({ "account_id": other, "return_url": "https://app.example.com/", "flow": { "type": "pay_invoice", "invoice_id": mine["invoice"]["id"] } }),
        )
        .await
        .expect(422);
    assert_eq!(r.param(), Some("flow.invoice_id"));
    let r = app
        .post(
            &app.service,
            "/v1/portal/sessions",
            json!({ "account_id": other, "return_url": "https://app.example.com/", "flow": { "type": "manual_payment", "payment_id": pid(&mine) } }),
        )
        .await
        .expect(422);
    assert_eq!(r.param(), Some("flow.payment_id"));
}
