//! Bad input on the manual workflow (confirmations, operator actions, filters), each writing
//! nothing, and tenancy: an account key never sees another account's invoices or payments.

use serde_json::json;

use crate::shop::{NET, PDF, PNG, b64, buy, confirm, confirmation, entries, pid, shop};
use crate::support::{Backend, TestApp};

crate::backends!(
    bad_confirmations_write_nothing,
    bad_operator_actions,
    accounts_cannot_see_each_others_payments
);

async fn bad_confirmations_write_nothing(app: &TestApp) {
    let s = shop(app).await;
    let p = buy(app, &s).await;
    let id = pid(&p);
    let good = confirmation(&p, NET);
    let with = |k: &str, v: serde_json::Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let text = b64(b"just some text, not a receipt");
    let cases = [
        (with("reference", json!("XXXX-XXXX-X")), "reference"),
        (with("reference", json!(null)), "reference"),
        (with("amount", json!(0)), "amount"),
        (with("amount", json!("lots")), "amount"),
        (with("paid_on", json!("yesterday")), "paid_on"),
        (with("paid_on", json!("2999-01-01")), "paid_on"),
        (with("payer_name", json!(null)), "payer_name"),
        (
            with("proof_url", json!("ftp://example.com/r.png")),
            "proof_url",
        ),
        (with("colour", json!("blue")), "colour"),
        // The array form serde would read as a struct: the document says object.
        (
            with("proof_file", json!(["r.png", "image/png", b64(PNG)])),
            "proof_file",
        ),
        (
            with(
                "proof_file",
                json!({ "filename": "r.png", "content_type": "image/png", "content_base64": "%%%" }),
            ),
            "proof_file.content_base64",
        ),
        (
            with(
                "proof_file",
                json!({ "filename": "r.txt", "content_type": "text/plain", "content_base64": text }),
            ),
            "proof_file",
        ),
        (
            with(
                "proof_file",
                json!({ "filename": "r.png", "content_type": "image/png", "content_base64": b64(PDF) }),
            ),
            "proof_file",
        ),
        (
            with(
                "proof_file",
                json!({ "filename": "r.png", "content_type": "image/png", "content_base64": "" }),
            ),
            "proof_file",
        ),
    ];
    for (body, param) in cases {
        let r = confirm(app, &s, &id, body.clone()).await.expect(400);
        assert_eq!(r.param(), Some(param), "{}", r.body);
    }
    // nothing was written
    let now = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}"))
        .await
        .expect(200);
    assert_eq!(now.body["status"], "awaiting_transfer");
    assert_eq!(now.body["confirmation"], serde_json::Value::Null);
    // a payment pending approval takes no second confirmation
    confirm(app, &s, &id, good.clone()).await.expect(200);
    let r = confirm(app, &s, &id, with("amount", json!(1)))
        .await
        .expect(409);
    assert_eq!(r.error_code(), "payment_not_awaiting_transfer");
}

async fn bad_operator_actions(app: &TestApp) {
    let s = shop(app).await;
    let p = buy(app, &s).await;
    let id = pid(&p);
    let approve = format!("/v1/admin/payments/{id}/approve");
    // a payment awaiting transfer cannot be rejected (nothing was claimed)
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{id}/reject"),
        json!({ "reason": "x" }),
    )
    .await
    .expect(409);
    for (body, param) in [
        (json!({ "amount_received": 0 }), "amount_received"),
        (json!({ "amount_received": -5 }), "amount_received"),
        (json!({ "note": "n".repeat(501) }), "note"),
        (json!({ "approved": true }), "approved"),
    ] {
        let r = app.post(&app.admin, &approve, body).await.expect(400);
        assert_eq!(r.param(), Some(param), "{}", r.body);
    }
    app.post(
        &app.admin,
        "/v1/admin/payments/pay_00000000000000000000000000/approve",
        json!({}),
    )
    .await
    .expect(404);
    app.post(&app.admin, "/v1/admin/payments/nope/approve", json!({}))
        .await
        .expect(404);
    // the account cannot approve its own payment
    app.post(&s.key, &approve, json!({})).await.expect(403);
    app.post(&app.service, &approve, json!({}))
        .await
        .expect(403);
    let now = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}"))
        .await
        .expect(200);
    assert_eq!(now.body["status"], "awaiting_transfer");
    assert!(entries(app, &s.acct, "purchase_grant").await.is_empty());
    // filters
    for q in [
        "status=lost",
        "method=cash",
        "order=sideways",
        "created_gte=soon",
        "account_id=x",
    ] {
        app.get(&app.admin, &format!("/v1/admin/payments?{q}"))
            .await
            .expect(400);
    }
    let by_method = app
        .get(&app.admin, "/v1/admin/payments?method=local_wallet")
        .await
        .expect(200);
    assert!(by_method.body["data"].as_array().unwrap().is_empty());
    let by_acct = app
        .get(
            &app.admin,
            &format!(
                "/v1/admin/payments?account_id={}&method=bank_transfer",
                s.acct
            ),
        )
        .await
        .expect(200);
    assert_eq!(by_acct.body["data"].as_array().unwrap().len(), 1);
}

async fn accounts_cannot_see_each_others_payments(app: &TestApp) {
    let s = shop(app).await;
    let p = buy(app, &s).await;
    let (id, iid) = (pid(&p), p["invoice"]["id"].as_str().unwrap().to_owned());
    confirm(app, &s, &id, confirmation(&p, NET))
        .await
        .expect(200);
    let other = crate::shop::account_in(app, "Other", "DE", "EUR").await;
    let okey = app.account_key(&other).await;
    for path in [
        format!("/v1/accounts/{}/payments/{id}", s.acct),
        format!("/v1/accounts/{}/payments/{id}/proof", s.acct),
        format!("/v1/accounts/{}/payments", s.acct),
        format!("/v1/accounts/{}/invoices/{iid}", s.acct),
        format!("/v1/accounts/{}/invoices", s.acct),
        format!("/v1/accounts/{other}/payments/{id}"),
        format!("/v1/accounts/{other}/payments/{id}/proof"),
        format!("/v1/accounts/{other}/invoices/{iid}"),
    ] {
        let r = app.get(&okey, &path).await.expect(404);
        assert_eq!(r.error_code(), "resource_missing", "{path}");
    }
    let theirs = app
        .get(&okey, &format!("/v1/accounts/{other}/payments"))
        .await
        .expect(200);
    assert!(theirs.body["data"].as_array().unwrap().is_empty());
    confirm(
        app,
        &crate::shop::Shop {
            acct: other.clone(),
            key: okey.clone(),
            package: s.package.clone(),
        },
        &id,
        confirmation(&p, NET),
    )
    .await
    .expect(404);
    app.post(
        &okey,
        &format!("/v1/accounts/{other}/invoices/{iid}/payments"),
        json!({ "payment_method": "bank_transfer" }),
    )
    .await
    .expect(404);
    for path in ["/v1/admin/payments", "/v1/admin/invoices"] {
        app.get(&okey, path).await.expect(403);
    }
    app.get(&okey, &format!("/v1/admin/payments/{id}/proof"))
        .await
        .expect(403);
}

/// Proof size limits with `max_proof_bytes` = 512 KiB: a proof above the general 256 KiB body
/// limit is accepted on the confirmation route (also through the idempotency layer), one byte
/// above the maximum is a 400 naming `proof_file`, a body far above it a 413 naming `proof_file`.
async fn proof_size_limits(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.payments.max_proof_bytes = 512 * 1024).await;
    let s = shop(&app).await;
    let p = buy(&app, &s).await;
    let id = pid(&p);
    let path = format!("/v1/accounts/{}/payments/{id}/confirmation", s.acct);
    let with_file = |len: usize| {
        let mut bytes = PDF.to_vec();
        bytes.resize(len, b' ');
        let mut body = confirmation(&p, NET);
        body["proof_file"] = json!({ "filename": "scan.pdf", "content_type": "application/pdf", "content_base64": b64(&bytes) });
        body
    };
    let r = app
        .post(&s.key, &path, with_file(512 * 1024 + 1))
        .await
        .expect(400);
    assert_eq!(r.param(), Some("proof_file"), "{}", r.body);
    let res = app
        .request(reqwest::Method::POST, &path, Some(&s.key))
        .json(&with_file(700 * 1024))
        .send()
        .await;
    // the server may close the connection before the client has sent everything
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["param"], "proof_file", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("at most 524288 bytes once decoded"),
            "the configured limit, not one off: {message}"
        );
    }
    let now = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}"))
        .await
        .expect(200);
    assert_eq!(
        now.body["status"], "awaiting_transfer",
        "nothing was written"
    );
    let ok = app
        .post_idem(&s.key, &path, "confirm-1", with_file(400 * 1024))
        .await
        .expect(200);
    assert_eq!(ok.body["status"], "pending_approval");
    let file = app
        .request(
            reqwest::Method::GET,
            &format!("/v1/admin/payments/{id}/proof"),
            Some(&app.admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes().await.unwrap().len(), 400 * 1024);
    app.stop().await;
}

mod proof_limits {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::proof_size_limits(crate::support::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::proof_size_limits(crate::support::Backend::Postgres).await;
    }
}
