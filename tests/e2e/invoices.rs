//! Invoices: manual invoices (draft, finalize, void, uncollectible, pay), listings and filters,
//! bad input, and 50 concurrent finalizations getting 50 distinct, gapless numbers.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::shop::{account_in, buy, confirm, confirmation, entries, pid, sepa, shop};
use crate::support::TestApp;

crate::backends!(
    manual_invoice_lifecycle,
    invoice_listings_filter_and_paginate,
    bad_invoice_input_writes_nothing,
    fifty_concurrent_finalizations_get_gapless_numbers
);

fn consulting(acct: &str, finalize: bool) -> Value {
    json!({ "account_id": acct, "currency": "EUR", "finalize": finalize, "metadata": { "po": "4711" },
        "lines": [
            { "description": "Onboarding workshop", "quantity": 2, "unit_amount": 2500, "discount_amount": 500, "credits": 300 },
            { "description": "Goodwill", "kind": "adjustment", "unit_amount": 0 }
        ] })
}

fn year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

async fn manual_invoice_lifecycle(app: &TestApp) {
    app.post(&app.admin, "/v1/admin/payment-method-configs", sepa())
        .await
        .expect(201);
    let acct = account_in(app, "Kunde", "DE", "EUR").await;
    let key = app.account_key(&acct).await;
    let draft = app
        .post(&app.admin, "/v1/admin/invoices", consulting(&acct, false))
        .await
        .expect(201);
    let id = draft.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("inv_"));
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["number"], Value::Null);
    assert_eq!(
        (
            draft.body["subtotal"].as_i64(),
            draft.body["discount"].as_i64(),
            draft.body["total"].as_i64()
        ),
        (Some(5000), Some(500), Some(4500))
    );
    // a draft cannot be paid
    let r = app
        .post(
            &key,
            &format!("/v1/accounts/{acct}/invoices/{id}/payments"),
            json!({ "payment_method": "bank_transfer" }),
        )
        .await
        .expect(409);
    assert_eq!(r.error_code(), "invoice_not_payable");
    let fin = app
        .post(
            &app.admin,
            &format!("/v1/admin/invoices/{id}/finalize"),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(fin.body["status"], "pending");
    assert_eq!(fin.body["number"], format!("INV-{}-000001", year()));
    assert_eq!(fin.body["billing_snapshot"]["address"]["country"], "DE");
    assert!(fin.body["due_at"].is_string());
    let r = app
        .post(
            &app.admin,
            &format!("/v1/admin/invoices/{id}/finalize"),
            json!({}),
        )
        .await
        .expect(409);
    assert_eq!(r.error_code(), "invalid_state_transition");
    // written off, then paid anyway: credits of its lines are granted
    let u = app
        .post(
            &app.admin,
            &format!("/v1/admin/invoices/{id}/mark-uncollectible"),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(u.body["status"], "uncollectible");
    let p = app
        .post(
            &key,
            &format!("/v1/accounts/{acct}/invoices/{id}/payments"),
            json!({ "payment_method": "bank_transfer" }),
        )
        .await
        .expect(201);
    assert_eq!(p.body["next_action"]["amount"], 4500);
    let s = crate::shop::Shop {
        acct: acct.clone(),
        key: key.clone(),
        package: String::new(),
    };
    confirm(app, &s, &pid(&p.body), confirmation(&p.body, 4500))
        .await
        .expect(200);
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{}/approve", pid(&p.body)),
        json!({}),
    )
    .await
    .expect(200);
    let paid = app
        .get(&key, &format!("/v1/accounts/{acct}/invoices/{id}"))
        .await
        .expect(200);
    assert_eq!(paid.body["status"], "paid");
    assert_eq!(
        entries(app, &acct, "purchase_grant").await[0]["amount"],
        300
    );
    // a paid invoice cannot be voided
    app.post(
        &app.admin,
        &format!("/v1/admin/invoices/{id}/void"),
        json!({ "reason": "oops" }),
    )
    .await
    .expect(409);
    // finalize at once; void needs a reason and is audited
    let second = app
        .post(&app.admin, "/v1/admin/invoices", consulting(&acct, true))
        .await
        .expect(201);
    assert_eq!(second.body["number"], format!("INV-{}-000002", year()));
    let sid = second.body["id"].as_str().unwrap();
    let void = format!("/v1/admin/invoices/{sid}/void");
    assert_eq!(
        app.post(&app.admin, &void, json!({}))
            .await
            .expect(400)
            .param(),
        Some("reason")
    );
    let v = app
        .post(&app.admin, &void, json!({ "reason": "issued twice" }))
        .await
        .expect(200);
    assert_eq!(
        (v.body["status"].as_str(), v.body["status_reason"].as_str()),
        (Some("void"), Some("issued twice"))
    );
    assert_eq!(
        v.body["lines"], second.body["lines"],
        "a finalized invoice's lines never change"
    );
    let log = app
        .get(
            &app.admin,
            &format!("/v1/admin/audit-log?action=invoice.void&target_id={sid}"),
        )
        .await
        .expect(200);
    assert_eq!(log.body["data"][0]["reason"], "issued twice");
    assert_eq!(log.body["data"][0]["before"]["status"], "pending");
    assert_eq!(log.body["data"][0]["after"]["status"], "void");
    // the account may read but not manage its invoices
    app.post(
        &key,
        &format!("/v1/admin/invoices/{sid}/finalize"),
        json!({}),
    )
    .await
    .expect(403);
    app.post(&key, "/v1/admin/invoices", consulting(&acct, true))
        .await
        .expect(403);
}

async fn invoice_listings_filter_and_paginate(app: &TestApp) {
    let s = shop(app).await;
    buy(app, &s).await;
    buy(app, &s).await;
    let other = account_in(app, "Other", "DE", "EUR").await;
    app.post(&app.admin, "/v1/admin/invoices", consulting(&other, false))
        .await
        .expect(201);
    let all = app.get(&app.admin, "/v1/admin/invoices").await.expect(200);
    assert_eq!(all.body["data"].as_array().unwrap().len(), 3);
    let drafts = app
        .get(&app.admin, "/v1/admin/invoices?status=draft")
        .await
        .expect(200);
    assert_eq!(drafts.body["data"][0]["account_id"], other.as_str());
    let mine = app
        .get(
            &app.admin,
            &format!("/v1/admin/invoices?account_id={}&status=pending", s.acct),
        )
        .await
        .expect(200);
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 2);
    let page = app
        .get(&s.key, &format!("/v1/accounts/{}/invoices?limit=1", s.acct))
        .await
        .expect(200);
    assert_eq!(page.body["has_more"], true);
    let first = page.body["data"][0]["id"].as_str().unwrap();
    let next = app
        .get(
            &s.key,
            &format!(
                "/v1/accounts/{}/invoices?limit=1&starting_after={first}",
                s.acct
            ),
        )
        .await
        .expect(200);
    assert_eq!(next.body["has_more"], false);
    assert_ne!(next.body["data"][0]["id"], first);
    assert!(
        next.body["data"][0]["number"].as_str().unwrap()
            < page.body["data"][0]["number"].as_str().unwrap(),
        "newest first"
    );
    let none = app
        .get(
            &app.admin,
            "/v1/admin/invoices?created_gte=2999-01-01T00:00:00Z",
        )
        .await
        .expect(200);
    assert!(none.body["data"].as_array().unwrap().is_empty());
    let old = app
        .get(
            &s.key,
            &format!(
                "/v1/accounts/{}/invoices?created_lt=2000-01-01T00:00:00Z",
                s.acct
            ),
        )
        .await
        .expect(200);
    assert!(old.body["data"].as_array().unwrap().is_empty());
    for (q, param) in [
        ("status=open", "status"),
        ("created_lt=soon", "created_lt"),
        ("limit=0", "limit"),
        ("account_id=acme", "account_id"),
    ] {
        let r = app
            .get(&app.admin, &format!("/v1/admin/invoices?{q}"))
            .await
            .expect(400);
        assert_eq!(r.param(), Some(param), "{q}");
    }
    app.get(
        &s.key,
        &format!("/v1/accounts/{}/invoices?account_id={other}", s.acct),
    )
    .await
    .expect(400);
    app.get(
        &app.admin,
        "/v1/admin/invoices/inv_00000000000000000000000000",
    )
    .await
    .expect(404);
    app.get(&app.admin, "/v1/admin/invoices/nope")
        .await
        .expect(404);
}

async fn bad_invoice_input_writes_nothing(app: &TestApp) {
    let acct = account_in(app, "Kunde", "DE", "EUR").await;
    let with = |k: &str, v: Value| {
        let mut b = consulting(&acct, true);
        b[k] = v;
        b
    };
    let line = |k: &str, v: Value| {
        let mut b = consulting(&acct, true);
        b["lines"][0][k] = v;
        b
    };
    let cases = [
        (with("account_id", json!(null)), "account_id"),
        (
            with("account_id", json!("acct_00000000000000000000000000")),
            "account_id",
        ),
        (with("currency", json!("EURO")), "currency"),
        (with("lines", json!([])), "lines"),
        (with("lines", json!(null)), "lines"),
        (with("finalize", json!("yes")), "finalize"),
        (line("unit_amount", json!(null)), "lines[0].unit_amount"),
        (line("unit_amount", json!(-1)), "lines[0].unit_amount"),
        (line("quantity", json!(0)), "lines[0].quantity"),
        (
            line("discount_amount", json!(6000)),
            "lines[0].discount_amount",
        ),
        (line("description", json!(null)), "lines[0].description"),
        (line("kind", json!("credit_package")), "lines[0].kind"),
        (line("credits", json!(-3)), "lines[0].credits"),
    ];
    for (body, param) in cases {
        let r = app
            .post(&app.admin, "/v1/admin/invoices", body.clone())
            .await
            .expect_refused();
        assert_eq!(r.param(), Some(param), "{body}: {}", r.body);
    }
    for action in ["finalize", "void", "mark-uncollectible"] {
        app.post(
            &app.admin,
            &format!("/v1/admin/invoices/inv_00000000000000000000000000/{action}"),
            json!({ "reason": "x" }),
        )
        .await
        .expect(404);
    }
    let all = app.get(&app.admin, "/v1/admin/invoices").await.expect(200);
    assert!(all.body["data"].as_array().unwrap().is_empty());
    // the next invoice still gets number 1
    let inv = app
        .post(&app.admin, "/v1/admin/invoices", consulting(&acct, true))
        .await
        .expect(201);
    assert_eq!(inv.body["number"], format!("INV-{}-000001", year()));
}

async fn fifty_concurrent_finalizations_get_gapless_numbers(app: &TestApp) {
    let acct = account_in(app, "Kunde", "DE", "EUR").await;
    let mut ids = Vec::new();
    for _ in 0..50 {
        let r = app
            .post(&app.admin, "/v1/admin/invoices", consulting(&acct, false))
            .await
            .expect(201);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let mut tasks = Vec::new();
    for id in ids {
        let (client, url, key) = (
            app.client.clone(),
            format!("{}/v1/admin/invoices/{id}/finalize", app.url),
            app.admin.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(&url)
                .bearer_auth(key)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }));
    }
    let mut numbers = BTreeSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        numbers.insert(body["number"].as_str().unwrap().to_owned());
    }
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("INV-{}-{n:06}", year())).collect();
    assert_eq!(numbers, expected, "50 distinct, gapless numbers");
}
