//! The error shape everywhere: unknown routes, wrong methods, bad JSON, wrong content type,
//! request ids.

use reqwest::Method;

use crate::support::TestApp;

crate::backends!(
    unknown_route_is_404_and_wrong_method_is_405,
    body_problems_are_400_naming_the_problem,
    request_ids_are_echoed_or_generated,
    an_unconfigured_gateway_says_so,
    a_stripe_delivery_without_its_signature_is_a_400
);

/// Webhooks for a gateway this deployment has no credentials for: 404 naming the gateway
/// (its endpoint does not exist here), not a 5xx blaming the database.
async fn an_unconfigured_gateway_says_so(app: &TestApp) {
    for (path, gateway) in [
        ("/v1/webhooks/stripe", "stripe"),
        ("/v1/webhooks/paypal", "paypal"),
    ] {
        let r = TestApp::send(
            app.request(reqwest::Method::POST, path, None)
                .header("content-type", "application/json")
                .header("stripe-signature", "t=1,v1=00")
                .body("{}"),
        )
        .await
        .expect(404);
        assert_eq!(
            r.error_code(),
            "gateway_not_configured",
            "{path}: {}",
            r.body
        );
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(gateway) && message.contains("not configured"),
            "{path}: {message}"
        );
    }
}

/// A Stripe delivery without its signature header is malformed, configured or not: 400
/// naming the header (the document marks it required).
async fn a_stripe_delivery_without_its_signature_is_a_400(app: &TestApp) {
    let r = TestApp::send(
        app.request(reqwest::Method::POST, "/v1/webhooks/stripe", None)
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await
    .expect(400);
    assert_eq!(r.param(), Some("Stripe-Signature"), "{}", r.body);
}

async fn unknown_route_is_404_and_wrong_method_is_405(app: &TestApp) {
    let r = app.get(&app.admin, "/v1/nope").await.expect(404);
    assert_eq!(r.error_code(), "route_not_found");
    assert_eq!(r.body["error"]["type"], "not_found");
    let r = TestApp::send(app.request(Method::GET, "/nothing/here", None))
        .await
        .expect(404);
    assert_eq!(r.error_code(), "route_not_found");
    let r = app.delete(&app.admin, "/v1/accounts").await.expect(405);
    assert_eq!(r.error_code(), "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let acct = app.account("A").await;
    let r = TestApp::send(app.request(
        Method::POST,
        &format!("/v1/accounts/{acct}/credits"),
        Some(&app.service),
    ))
    .await
    .expect(405);
    assert_eq!(r.header("allow"), Some("GET"));
    let r = app
        .put(
            &app.admin,
            "/v1/admin/api-keys/key_x",
            serde_json::json!({}),
        )
        .await
        .expect(405);
    assert_eq!(r.header("allow"), Some("DELETE"));
}

async fn body_problems_are_400_naming_the_problem(app: &TestApp) {
    let post = |ct: Option<&str>, body: &'static str| {
        let mut rb = app
            .request(Method::POST, "/v1/accounts", Some(&app.service))
            .body(body);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        TestApp::send(rb)
    };
    let r = post(Some("application/json"), "{\"name\": ")
        .await
        .expect(400);
    assert_eq!(r.error_code(), "invalid_json");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );
    let r = post(Some("application/json"), "{\"name\": \"a\"} trailing")
        .await
        .expect(400);
    assert_eq!(r.error_code(), "invalid_json");
    let r = post(Some("application/json"), "[1, 2]").await.expect(400);
    assert_eq!(r.error_code(), "invalid_json");
    let r = post(Some("text/plain"), "{\"name\": \"a\"}")
        .await
        .expect(415);
    assert_eq!(r.error_code(), "unsupported_media_type");
    assert_eq!(r.param(), Some("Content-Type"));
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    let r = post(None, "{\"name\": \"a\"}").await.expect(415);
    assert_eq!(r.error_code(), "unsupported_media_type");
    let r = post(Some("application/json"), "").await.expect(400);
    assert_eq!(r.error_code(), "missing_body");
    let r = post(Some("application/json; charset=utf-8"), "{\"name\": true}")
        .await
        .expect(400);
    assert_eq!(r.param(), Some("name"));
    let r = post(
        Some("application/json"),
        "{\"name\": \"a\", \"billing_profile\": {\"address\": {\"country\": 7}}}",
    )
    .await
    .expect(400);
    assert_eq!(r.param(), Some("billing_profile.address.country"));
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let r = TestApp::send(
        app.request(Method::POST, "/v1/accounts", Some(&app.service))
            .header("content-type", "application/json")
            .body(big),
    )
    .await
    .expect(413);
    assert_eq!(r.error_code(), "body_too_large");
    let list = app.get(&app.admin, "/v1/accounts").await.expect(200);
    assert!(
        list.body["data"].as_array().unwrap().is_empty(),
        "nothing was written"
    );
}

async fn request_ids_are_echoed_or_generated(app: &TestApp) {
    let r = TestApp::send(
        app.request(Method::GET, "/v1/accounts", None)
            .header("X-Request-Id", "trace-abc-123"),
    )
    .await
    .expect(401);
    assert_eq!(r.header("x-request-id"), Some("trace-abc-123"));
    assert_eq!(r.body["request_id"], "trace-abc-123");
    let r = app.get(&app.admin, "/v1/accounts").await.expect(200);
    assert!(r.header("x-request-id").unwrap().starts_with("req_"));
    let r = TestApp::send(
        app.request(Method::GET, "/healthz", None)
            .header("X-Request-Id", "bad id with spaces"),
    )
    .await
    .expect(200);
    assert!(
        r.header("x-request-id").unwrap().starts_with("req_"),
        "an unusable id is replaced"
    );
    // audit entries carry the request id of the change
    let created = TestApp::send(
        app.request(Method::POST, "/v1/admin/credit-packages", Some(&app.admin))
            .header("X-Request-Id", "audit-me-1")
            .json(&serde_json::json!({ "name": "P", "slug": "p", "credits": 1, "prices": [{"amount": 1, "currency": "USD"}] })),
    )
    .await
    .expect(201);
    let id = created.body["id"].as_str().unwrap();
    let log = app
        .get(&app.admin, &format!("/v1/admin/audit-log?target_id={id}"))
        .await
        .expect(200);
    assert_eq!(log.body["data"][0]["request_id"], "audit-me-1");
}
