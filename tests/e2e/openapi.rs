//! `/openapi.json` is complete: every documented operation is routed, every issue endpoint is
//! documented, and the document matches the one built from the app's own route registration.

use reqwest::Method;
use serde_json::Value;

use crate::support::TestApp;

crate::backends!(every_documented_operation_is_routed_and_every_endpoint_documented);

const REQUIRED: &[(&str, &str)] = &[
    ("POST", "/v1/accounts"),
    ("GET", "/v1/accounts"),
    ("GET", "/v1/accounts/{id}"),
    ("PATCH", "/v1/accounts/{id}"),
    ("GET", "/v1/accounts/{id}/billing-profile"),
    ("PUT", "/v1/accounts/{id}/billing-profile"),
    ("GET", "/v1/credit-packages"),
    ("GET", "/v1/admin/credit-packages"),
    ("POST", "/v1/admin/credit-packages"),
    ("GET", "/v1/admin/credit-packages/{id}"),
    ("PATCH", "/v1/admin/credit-packages/{id}"),
    ("GET", "/v1/plans"),
    ("GET", "/v1/admin/plans"),
    ("POST", "/v1/admin/plans"),
    ("GET", "/v1/admin/plans/{id}"),
    ("PATCH", "/v1/admin/plans/{id}"),
    ("DELETE", "/v1/admin/plans/{id}"),
    ("GET", "/v1/admin/payment-method-configs"),
    ("POST", "/v1/admin/payment-method-configs"),
    ("GET", "/v1/admin/payment-method-configs/{id}"),
    ("PATCH", "/v1/admin/payment-method-configs/{id}"),
    ("DELETE", "/v1/admin/payment-method-configs/{id}"),
    ("GET", "/v1/accounts/{id}/payment-methods"),
    ("GET", "/v1/admin/accounts/{id}/payment-methods/explain"),
    ("GET", "/v1/admin/api-keys"),
    ("POST", "/v1/admin/api-keys"),
    ("DELETE", "/v1/admin/api-keys/{id}"),
    ("GET", "/v1/admin/audit-log"),
    ("POST", "/v1/accounts/{id}/credits/debit"),
    ("GET", "/v1/accounts/{id}/credits"),
    ("GET", "/v1/accounts/{id}/credits/ledger"),
    ("POST", "/v1/accounts/{id}/credits/reservations"),
    ("GET", "/v1/accounts/{id}/credits/reservations/{rid}"),
    (
        "POST",
        "/v1/accounts/{id}/credits/reservations/{rid}/commit",
    ),
    (
        "POST",
        "/v1/accounts/{id}/credits/reservations/{rid}/release",
    ),
    ("POST", "/v1/accounts/{id}/credits/adjustments"),
    ("GET", "/v1/admin/credits/verify"),
    ("POST", "/v1/admin/invoices"),
    ("GET", "/v1/admin/invoices"),
    ("GET", "/v1/admin/invoices/{id}"),
    ("POST", "/v1/admin/invoices/{id}/finalize"),
    ("POST", "/v1/admin/invoices/{id}/void"),
    ("POST", "/v1/admin/invoices/{id}/mark-uncollectible"),
    ("GET", "/v1/accounts/{id}/invoices"),
    ("GET", "/v1/accounts/{id}/invoices/{iid}"),
    ("POST", "/v1/accounts/{id}/invoices/{iid}/payments"),
    ("POST", "/v1/accounts/{id}/purchases"),
    ("GET", "/v1/accounts/{id}/payments"),
    ("GET", "/v1/accounts/{id}/payments/{pid}"),
    ("POST", "/v1/accounts/{id}/payments/{pid}/confirmation"),
    ("GET", "/v1/accounts/{id}/payments/{pid}/proof"),
    ("GET", "/v1/admin/payments"),
    ("GET", "/v1/admin/payments/{id}"),
    ("GET", "/v1/admin/payments/{id}/proof"),
    ("POST", "/v1/admin/payments/{id}/approve"),
    ("POST", "/v1/admin/payments/{id}/reject"),
    ("POST", "/v1/admin/payments/{id}/refunds"),
    ("GET", "/v1/admin/payments/{id}/refunds"),
    ("POST", "/v1/webhooks/stripe"),
    ("POST", "/v1/webhooks/paypal"),
    ("GET", "/v1/paypal/return"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
];

fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                assert!(
                    op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{method} {path} has no responses"
                );
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out.sort();
    out
}

async fn every_documented_operation_is_routed_and_every_endpoint_documented(app: &TestApp) {
    let doc = TestApp::send(app.request(Method::GET, "/openapi.json", None))
        .await
        .expect(200)
        .body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["components"]["schemas"]["ErrorResponse"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let ops = operations(&doc);
    // every operation has its own operationId, so generated clients do not clash
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    assert_eq!(ids.len(), ops.len(), "every operation has an operationId");
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "operationIds are unique");
    assert!(
        ids.contains(&"get_accounts_by_id_invoices_by_iid"),
        "{ids:?}"
    );
    // the served document is the one built from the app's route registration
    let built = billing_api::app::openapi_json();
    assert_eq!(ops, operations(&built));
    for (m, p) in REQUIRED {
        assert!(
            ops.iter().any(|(om, op)| om == m && op == p),
            "{m} {p} is not documented"
        );
    }
    // every documented operation answers from a handler: never the 404/405 fallback
    for (method, path) in &ops {
        let concrete = path
            .replace("{id}", "acct_00000000000000000000000000")
            .replace("{rid}", "rsv_00000000000000000000000000");
        let rb = app
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &concrete,
                None,
            )
            .header("content-type", "application/json")
            .body("{}");
        let r = TestApp::send(rb).await;
        let code = r.body["error"]["code"].as_str().unwrap_or("");
        assert!(
            code != "route_not_found" && code != "method_not_allowed" && r.status != 405,
            "{method} {path} is documented but not routed: {} {}",
            r.status,
            r.body
        );
        // public on purpose: the catalogs (packages, plans), and what gateways and payers call (signed webhooks,
        // the PayPal return), which authenticate by signature or order id instead
        let public = [
            "/v1/credit-packages",
            "/v1/plans",
            "/v1/webhooks/stripe",
            "/v1/webhooks/paypal",
            "/v1/paypal/return",
        ];
        if public.contains(&path.as_str()) {
            assert_ne!(r.status, 401, "{method} {path} must not require a key");
        } else if path.starts_with("/v1/") {
            assert_eq!(r.status, 401, "{method} {path} must require a key");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_page_shows_every_operation_and_loads_nothing_from_elsewhere() {
    let app = TestApp::start(crate::support::Backend::Sqlite).await;
    let r = app
        .client
        .get(format!("{}/docs", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let page = r.text().await.unwrap();
    let doc = billing_api::app::openapi_json();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            assert!(
                page.contains(&format!("id=\"{id}\"")),
                "{id} is on the page"
            );
        }
        assert!(page.contains(&format!("<code>{path}</code>")), "{path}");
    }
    assert!(page.contains("id=\"schema-CreateAccountInput\""));
    for outside in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(outside), "the page loads nothing: {outside}");
    }
    app.stop().await;
}
