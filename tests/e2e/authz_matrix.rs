//! The authorization matrix, generated from the route table (`billing_api::app::openapi()`,
//! the list the server registers), so a new route cannot skip it: every operation × {no key,
//! revoked key, another account's key, the account's own key, service key, admin key} gets
//! the status its rule says, and no answer to another account's key carries this account's
//! data.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestApp;

crate::backends!(every_route_answers_each_kind_of_caller_as_its_rule_says);

/// Routes that need no key: the catalogs, what gateways and payers call (they authenticate by
/// signature or order id), and operations.
const PUBLIC: &[&str] = &[
    "/v1/credit-packages",
    "/v1/plans",
    "/v1/webhooks/stripe",
    "/v1/webhooks/paypal",
    "/v1/paypal/return",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
];

/// Account routes only an operator may call (scope admin).
const ADMIN_ONLY_ACCOUNT_ROUTES: &[(&str, &str)] =
    &[("POST", "/v1/accounts/{id}/credits/adjustments")];

/// Account routes for the platform's backend and operators, not for an account's own key:
/// spending credits is the platform's call (an account key is what a portal holds).
const SERVICE_ACCOUNT_ROUTES: &[(&str, &str)] = &[
    ("PATCH", "/v1/accounts/{id}"),
    ("POST", "/v1/accounts/{id}/credits/debit"),
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
];

/// Public listings that still refuse a key that is not valid (a typo should not pass
/// silently as anonymous).
const PUBLIC_CHECKING_KEYS: &[&str] = &["/v1/credit-packages", "/v1/plans"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    NoKey,
    Revoked,
    OtherAccount,
    OwnAccount,
    Service,
    Admin,
}

const CALLERS: [Caller; 6] = [
    Caller::NoKey,
    Caller::Revoked,
    Caller::OtherAccount,
    Caller::OwnAccount,
    Caller::Service,
    Caller::Admin,
];

/// What a caller must get: an exact status, or "let through" (any answer but 401/403, and
/// for another account's key on this account's data, never a success).
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Status(u16),
    LetThrough,
    Hidden,
}

fn rule(method: &str, path: &str, caller: Caller) -> Expect {
    use Caller::*;
    if PUBLIC_CHECKING_KEYS.contains(&path) && caller == Revoked {
        return Expect::Status(401);
    }
    if PUBLIC.contains(&path) {
        return Expect::LetThrough;
    }
    if !path.starts_with("/v1/") {
        return Expect::LetThrough;
    }
    match caller {
        NoKey | Revoked => return Expect::Status(401),
        Admin => return Expect::LetThrough,
        _ => {}
    }
    if path.starts_with("/v1/admin/") {
        return Expect::Status(403);
    }
    if path == "/v1/accounts" {
        return match (method, caller) {
            ("GET", _) | (_, Service) => Expect::LetThrough,
            _ => Expect::Status(403),
        };
    }
    if path.starts_with("/v1/accounts/{id}") {
        let admin_only = ADMIN_ONLY_ACCOUNT_ROUTES.contains(&(method, path));
        let service_only = SERVICE_ACCOUNT_ROUTES.contains(&(method, path));
        return match caller {
            OtherAccount => Expect::Hidden,
            Service if admin_only => Expect::Status(403),
            Service => Expect::LetThrough,
            OwnAccount if admin_only || service_only => Expect::Status(403),
            _ => Expect::LetThrough,
        };
    }
    // Anything else under /v1 (the API keys of one account, …) is for operators.
    match caller {
        Service => Expect::LetThrough,
        _ => Expect::Status(403),
    }
}

async fn account_with_data(app: &TestApp, name: &str) -> (String, String, Vec<String>) {
    let acct = app.account(name).await;
    app.grant(&acct, 100).await;
    let key = app.account_key(&acct).await;
    // Some data of its own: a reservation and a ledger entry.
    let rsv = app
        .post(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/reservations"),
            json!({ "credits": 5, "reference": "job-1", "expires_in_seconds": 600 }),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ledger = app.ledger(&acct).await;
    let mut ids = vec![rsv];
    ids.extend(
        ledger
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_owned)),
    );
    (acct, key, ids)
}

async fn every_route_answers_each_kind_of_caller_as_its_rule_says(app: &TestApp) {
    let (mine, my_key, my_ids) = account_with_data(app, "Mine").await;
    let (_theirs, their_key, _) = account_with_data(app, "Theirs").await;
    let revoked = app
        .post(
            &app.admin,
            "/v1/admin/api-keys",
            json!({ "scope": "service", "name": "gone" }),
        )
        .await
        .expect(201);
    app.delete(
        &app.admin,
        &format!(
            "/v1/admin/api-keys/{}",
            revoked.body["id"].as_str().unwrap()
        ),
    )
    .await
    .expect(200);
    let revoked = revoked.body["secret"].as_str().unwrap().to_owned();
    let doc = serde_json::to_value(billing_api::app::openapi()).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let method = method.to_uppercase();
            // This account in `{id}` under /v1/accounts; well-formed ids elsewhere.
            let concrete = path
                .replace(
                    "{id}",
                    if path.starts_with("/v1/accounts/") {
                        &mine
                    } else {
                        "x_01jqk3v2g2x0m8s0q1b2c3d4e5"
                    },
                )
                .replace("{iid}", "inv_01jqk3v2g2x0m8s0q1b2c3d4e5")
                .replace("{pid}", "pay_01jqk3v2g2x0m8s0q1b2c3d4e5")
                .replace("{rid}", &my_ids[0]);
            for caller in CALLERS {
                let key = match caller {
                    Caller::NoKey => None,
                    Caller::Revoked => Some(revoked.as_str()),
                    Caller::OtherAccount => Some(their_key.as_str()),
                    Caller::OwnAccount => Some(my_key.as_str()),
                    Caller::Service => Some(app.service.as_str()),
                    Caller::Admin => Some(app.admin.as_str()),
                };
                let m = Method::from_bytes(method.as_bytes()).unwrap();
                let mut rb = app.request(m, &concrete, key);
                if method != "GET" && method != "DELETE" {
                    rb = rb.header("content-type", "application/json").body("{}");
                }
                let r = TestApp::send(rb).await;
                checked += 1;
                let ok = match rule(&method, path, caller) {
                    Expect::Status(s) => r.status == s,
                    Expect::LetThrough => r.status != 401 && r.status != 403,
                    Expect::Hidden => {
                        let text = r.body.to_string();
                        !(200..300).contains(&r.status)
                            && (r.status == 404 || r.status == 403)
                            && my_ids.iter().all(|id| !text.contains(id.as_str()))
                    }
                };
                if !ok {
                    wrong.push(format!(
                        "{method} {path} as {caller:?}: {} expected {:?}: {}",
                        r.status,
                        rule(&method, path, caller),
                        short(&r.body)
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 6 * 60,
        "every operation × every caller ({checked})"
    );
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(160).collect()
}
