//! Buying credits by bank transfer over HTTP: instructions, approval, credits, invoice paid.

use reqwest::Method;
use serde_json::json;

use crate::shop::{CREDITS, NET, PNG, account_in, buy, confirm, confirmation, entries, pid, shop};
use crate::support::TestApp;

crate::backends!(
    bank_transfer_purchase_to_credits,
    bad_purchases_say_why_and_write_nothing
);

async fn bank_transfer_purchase_to_credits(app: &TestApp) {
    let s = shop(app).await;
    let p = buy(app, &s).await;
    // the invoice: finalized, numbered, the package at its discounted price
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(p["invoice"]["status"], "pending", "{p}");
    assert_eq!(p["invoice"]["number"], format!("INV-{year}-000001"));
    assert_eq!(p["invoice"]["total"], NET);
    assert_eq!(p["invoice"]["amount_due"], NET);
    assert_eq!(p["invoice"]["lines"][0]["kind"], "credit_package");
    assert_eq!(p["invoice"]["lines"][0]["discount_amount"], 290);
    // what to do next: the bank details, the exact amount and the reference
    let next = &p["next_action"];
    assert_eq!(next["type"], "manual_transfer");
    assert_eq!(next["amount"], NET);
    assert_eq!(next["currency"], "EUR");
    assert_eq!(next["bank_details"]["iban"], "DE89370400440532013000");
    assert!(next["instructions"].as_str().unwrap().contains("reference"));
    let reference = next["reference"].as_str().unwrap();
    assert!(reference.len() >= 6, "{reference}");
    assert_eq!(p["payment"]["status"], "awaiting_transfer");
    assert_eq!(p["payment"]["reference"], reference);
    assert!(p["payment"]["expires_at"].is_string());
    let id = pid(&p);
    // the payer sends proof
    let sent = confirmation(&p, NET);
    let c = confirm(app, &s, &id, sent.clone()).await.expect(200);
    assert_eq!(c.body["status"], "pending_approval");
    assert_eq!(c.body["confirmation"]["payer_name"], "Kunde GmbH");
    assert_eq!(
        c.body["confirmation"]["paid_on"], sent["paid_on"],
        "a date is answered as it was sent, YYYY-MM-DD"
    );
    assert!(c.body["confirmation"]["proof_file_id"].is_string());
    // the proof comes back byte for byte, to the account and the operator
    for (key, path) in [
        (
            &s.key,
            format!("/v1/accounts/{}/payments/{id}/proof", s.acct),
        ),
        (&app.admin, format!("/v1/admin/payments/{id}/proof")),
    ] {
        let res = app
            .request(Method::GET, &path, Some(key))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    }
    // it is in the operator's queue
    let q = app
        .get(&app.admin, "/v1/admin/payments?status=pending_approval")
        .await
        .expect(200);
    assert_eq!(q.body["data"][0]["id"], id.as_str());
    assert!(entries(app, &s.acct, "purchase_grant").await.is_empty());
    // approve
    let a = app
        .post(
            &app.admin,
            &format!("/v1/admin/payments/{id}/approve"),
            json!({ "note": "seen on the statement" }),
        )
        .await
        .expect(200);
    assert_eq!(a.body["status"], "succeeded");
    assert_eq!(a.body["amount_received"], NET);
    let statuses: Vec<&str> = a.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "pending",
            "awaiting_transfer",
            "pending_approval",
            "succeeded"
        ]
    );
    assert!(
        a.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["at"].is_string())
    );
    // credits granted once, invoice paid
    let grants = entries(app, &s.acct, "purchase_grant").await;
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["amount"], CREDITS);
    assert_eq!(app.balance(&s.acct).await, (CREDITS, 0, CREDITS));
    let iid = p["invoice"]["id"].as_str().unwrap();
    let inv = app
        .get(&s.key, &format!("/v1/accounts/{}/invoices/{iid}", s.acct))
        .await
        .expect(200);
    assert_eq!(inv.body["status"], "paid");
    assert_eq!(inv.body["amount_paid"], NET);
    assert_eq!(inv.body["amount_due"], 0);
    // approving again changes nothing
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{id}/approve"),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(app.balance(&s.acct).await, (CREDITS, 0, CREDITS));
    // the account sees its payment and invoice in its listings
    let mine = app
        .get(
            &s.key,
            &format!("/v1/accounts/{}/payments?status=succeeded", s.acct),
        )
        .await
        .expect(200);
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1);
    let invs = app
        .get(
            &s.key,
            &format!("/v1/accounts/{}/invoices?status=paid", s.acct),
        )
        .await
        .expect(200);
    assert_eq!(invs.body["data"][0]["id"], iid);
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true);
}

async fn bad_purchases_say_why_and_write_nothing(app: &TestApp) {
    let s = shop(app).await;
    let path = format!("/v1/accounts/{}/purchases", s.acct);
    let retired = app
        .post(
            &app.admin,
            "/v1/admin/credit-packages",
            json!({ "name": "Old", "slug": "old", "credits": 10, "prices": [{"amount": 900, "currency": "EUR"}] }),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete(&app.admin, &format!("/v1/admin/credit-packages/{retired}"))
        .await
        .expect(200);
    app.post(
        &app.admin,
        "/v1/admin/payment-method-configs",
        json!({ "country": "DE", "method": "stripe", "display_name": "Karte", "currencies": ["EUR"] }),
    )
    .await
    .expect(201);
    let buy_with =
        |pkg: &str, method: &str| json!({ "credit_package_id": pkg, "payment_method": method });
    let cases = [
        (
            buy_with("cpkg_00000000000000000000000000", "bank_transfer"),
            "credit_package_id",
            "no credit package",
        ),
        (buy_with("pro", "bank_transfer"), "credit_package_id", ""),
        (
            buy_with(&retired, "bank_transfer"),
            "credit_package_id",
            "no longer sold",
        ),
        (
            buy_with(&s.package, "cash"),
            "payment_method",
            "must be one of",
        ),
        (
            buy_with(&s.package, "local_wallet"),
            "payment_method",
            "not offered",
        ),
        (
            buy_with(&s.package, "stripe"),
            "payment_method",
            "Stripe is not configured in this deployment",
        ),
        (
            json!({ "credit_package_id": s.package, "payment_method": "bank_transfer", "currency": "USD" }),
            "currency",
            "there is no price in USD; prices are offered in EUR",
        ),
        (
            json!({ "credit_package_id": s.package }),
            "payment_method",
            "",
        ),
        (
            json!({ "payment_method": "bank_transfer" }),
            "credit_package_id",
            "",
        ),
        (
            json!({ "credit_package_id": s.package, "payment_method": "bank_transfer", "coupon": "X" }),
            "coupon",
            "",
        ),
    ];
    for (body, param, says) in cases {
        let r = app.post(&s.key, &path, body.clone()).await.expect_refused();
        assert_eq!(r.param(), Some(param), "{body}: {}", r.body);
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    // outside the method's amount limits (5.00–1000.00 EUR)
    let cheap = app
        .post(
            &app.admin,
            "/v1/admin/credit-packages",
            json!({ "name": "Mini", "slug": "mini", "credits": 10, "prices": [{"amount": 100, "currency": "EUR"}] }),
        )
        .await
        .expect(201);
    let r = app
        .post(
            &s.key,
            &path,
            buy_with(cheap.body["id"].as_str().unwrap(), "bank_transfer"),
        )
        .await
        .expect(422);
    assert_eq!(r.param(), Some("payment_method"));
    // no billing profile yet
    let bare = app.account("No profile").await;
    let r = app
        .post(
            &app.service,
            &format!("/v1/accounts/{bare}/purchases"),
            buy_with(&s.package, "bank_transfer"),
        )
        .await
        .expect(422);
    assert_eq!(r.param(), Some("billing_profile"));
    // another country has no SEPA
    let us = account_in(app, "Yankee", "US", "EUR").await;
    let r = app
        .post(
            &app.service,
            &format!("/v1/accounts/{us}/purchases"),
            buy_with(&s.package, "bank_transfer"),
        )
        .await
        .expect(422);
    assert_eq!(r.param(), Some("payment_method"));
    // another account's key, an unknown account
    let other_key = app.account_key(&us).await;
    app.post(&other_key, &path, buy_with(&s.package, "bank_transfer"))
        .await
        .expect(404);
    app.post(
        &app.service,
        "/v1/accounts/acct_00000000000000000000000000/purchases",
        buy_with(&s.package, "bank_transfer"),
    )
    .await
    .expect(404);
    // nothing was written
    for list in ["/v1/admin/invoices", "/v1/admin/payments"] {
        let r = app.get(&app.admin, list).await.expect(200);
        assert!(
            r.body["data"].as_array().unwrap().is_empty(),
            "{list}: {}",
            r.body
        );
    }
    // an Idempotency-Key makes a retried purchase buy once
    let body = buy_with(&s.package, "bank_transfer");
    let first = app
        .post_idem(&s.key, &path, "buy-1", body.clone())
        .await
        .expect(201);
    let again = app
        .post_idem(&s.key, &path, "buy-1", body)
        .await
        .expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.body["payment"]["id"], again.body["payment"]["id"]);
    let r = app.get(&app.admin, "/v1/admin/invoices").await.expect(200);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
}
