//! The authorization matrix, generated from the route table (`billing_api::app::openapi()`,
//! the list the server registers), so a new route cannot skip it: every operation × {no key,
//! revoked key, another account's key, the account's own key, service key, admin key, and
//! the own key asking for another account's invoice, payment or reservation} gets the status
//! its rule says; no answer carries an id of another account's data that the request did not
//! send itself, and nothing let through answers 5xx.

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
    "/docs",
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
    // Ending an account's portal sessions is the platform's (or an operator's) call.
    ("DELETE", "/v1/accounts/{id}/portal-sessions"),
];

/// Routes outside /v1/admin that only an operator may call.
const ADMIN_ONLY: &[&str] = &["/v1/test/clock"];

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
    /// The account's own key, its own account in the path, and another account's invoice,
    /// payment or reservation id: the object must stay hidden.
    OwnKeyOthersObject,
}

const CALLERS: [Caller; 7] = [
    Caller::NoKey,
    Caller::Revoked,
    Caller::OtherAccount,
    Caller::OwnAccount,
    Caller::Service,
    Caller::Admin,
    Caller::OwnKeyOthersObject,
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
    if caller == OwnKeyOthersObject {
        return rule(method, path, OwnAccount);
    }
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
    if path.starts_with("/v1/admin/") || ADMIN_ONLY.contains(&path) {
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

/// An account with data of its own: a key, a paid-for invoice and its payment (a bank
/// transfer purchase), a reservation, ledger entries.
struct Party {
    account: String,
    key: String,
    invoice: String,
    payment: String,
    reservation: String,
    /// Every id of its data, the account's included.
    ids: Vec<String>,
}

async fn party(app: &TestApp, shop: &crate::shop::Shop, account: String, key: String) -> Party {
    app.grant(&account, 100).await;
    let purchase = app
        .post(
            &key,
            &format!("/v1/accounts/{account}/purchases"),
            json!({ "credit_package_id": shop.package, "payment_method": "bank_transfer" }),
        )
        .await
        .expect(201)
        .body;
    let reservation = app
        .post(
            &app.service,
            &format!("/v1/accounts/{account}/credits/reservations"),
            json!({ "credits": 5, "reference": "job-1", "expires_in_seconds": 600 }),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invoice = purchase["invoice"]["id"].as_str().unwrap().to_owned();
    let payment = purchase["payment"]["id"].as_str().unwrap().to_owned();
    let mut ids = vec![
        account.clone(),
        invoice.clone(),
        payment.clone(),
        reservation.clone(),
    ];
    ids.extend(
        app.ledger(&account)
            .await
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_owned)),
    );
    Party {
        account,
        key,
        invoice,
        payment,
        reservation,
        ids,
    }
}

/// `path` with this party's account and objects (or `objects`' objects) in it.
fn concrete(path: &str, me: &Party, objects: &Party) -> String {
    path.replace(
        "{id}",
        if path.starts_with("/v1/accounts/") {
            &me.account
        } else {
            "x_01jqk3v2g2x0m8s0q1b2c3d4e5"
        },
    )
    .replace("{iid}", &objects.invoice)
    .replace("{pid}", &objects.payment)
    .replace("{rid}", &objects.reservation)
}

/// Ids of `party` in `body` that the request did not itself send.
fn leaked<'a>(body: &str, request: &str, party: &'a Party) -> Vec<&'a str> {
    party
        .ids
        .iter()
        .map(String::as_str)
        .filter(|id| body.contains(id) && !request.contains(id))
        .collect()
}

async fn every_route_answers_each_kind_of_caller_as_its_rule_says(app: &TestApp) {
    let shop = crate::shop::shop(app).await;
    let me = party(app, &shop, shop.acct.clone(), shop.key.clone()).await;
    let theirs = crate::shop::account_in(app, "Theirs", "DE", "EUR").await;
    let their_key = app.account_key(&theirs).await;
    let them = party(app, &shop, theirs, their_key).await;
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
            let has_object = ["{iid}", "{pid}", "{rid}"].iter().any(|p| path.contains(p));
            for caller in CALLERS {
                if caller == Caller::OwnKeyOthersObject
                    && !(path.starts_with("/v1/accounts/{id}") && has_object)
                {
                    continue;
                }
                let key = match caller {
                    Caller::NoKey => None,
                    Caller::Revoked => Some(revoked.as_str()),
                    Caller::OtherAccount => Some(them.key.as_str()),
                    Caller::OwnAccount | Caller::OwnKeyOthersObject => Some(me.key.as_str()),
                    Caller::Service => Some(app.service.as_str()),
                    Caller::Admin => Some(app.admin.as_str()),
                };
                let concrete = if caller == Caller::OwnKeyOthersObject {
                    concrete(path, &me, &them)
                } else {
                    concrete(path, &me, &me)
                };
                let expected = match rule(&method, path, caller) {
                    // Another account's object under one's own account is hidden too.
                    Expect::LetThrough if caller == Caller::OwnKeyOthersObject => Expect::Hidden,
                    e => e,
                };
                let m = Method::from_bytes(method.as_bytes()).unwrap();
                let mut rb = app.request(m, &concrete, key);
                if method != "GET" && method != "DELETE" {
                    rb = rb.header("content-type", "application/json").body("{}");
                }
                let r = TestApp::send(rb).await;
                checked += 1;
                let text = r.body.to_string();
                // Whose data this caller must never see in an answer.
                let foreign = match caller {
                    Caller::OtherAccount => Some(&me),
                    Caller::OwnAccount | Caller::OwnKeyOthersObject => Some(&them),
                    _ => None,
                };
                let leaks = foreign.map_or_else(Vec::new, |p| leaked(&text, &concrete, p));
                let ok = leaks.is_empty()
                    && match expected {
                        Expect::Status(s) => r.status == s,
                        Expect::LetThrough => r.status != 401 && r.status != 403 && r.status < 500,
                        Expect::Hidden => r.status == 404 || r.status == 403,
                    };
                if !ok {
                    wrong.push(format!(
                        "{method} {path} as {caller:?}: {} expected {expected:?}, leaked {leaks:?}: {}",
                        r.status,
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
