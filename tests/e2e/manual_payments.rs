//! The manual workflow: reject → resubmit → approve, expiry, partial and over-payment,
//! 20 concurrent approvals, bad confirmations, tenancy.

use std::collections::BTreeMap;

use serde_json::json;

use crate::shop::{CREDITS, NET, PDF, b64, buy, confirm, confirmation, entries, pid, shop};
use crate::support::TestApp;

crate::backends!(
    reject_then_resubmit_then_approve,
    partial_then_rest_with_overpayment,
    twenty_concurrent_approvals_grant_once
);

async fn reject_then_resubmit_then_approve(app: &TestApp) {
    let s = shop(app).await;
    let p = buy(app, &s).await;
    let id = pid(&p);
    confirm(app, &s, &id, confirmation(&p, NET))
        .await
        .expect(200);
    let reject = format!("/v1/admin/payments/{id}/reject");
    // a reason is required, with or without a body
    assert_eq!(
        app.post(&app.admin, &reject, json!({}))
            .await
            .expect(400)
            .param(),
        Some("reason")
    );
    let r = TestApp::send(app.request(reqwest::Method::POST, &reject, Some(&app.admin))).await;
    assert_eq!(r.expect(400).param(), Some("reason"));
    let r = app
        .post(
            &app.admin,
            &reject,
            json!({ "reason": "no transfer with this reference arrived" }),
        )
        .await
        .expect(200);
    assert_eq!(r.body["status"], "rejected");
    // the payer sees why
    let mine = app
        .get(&s.key, &format!("/v1/accounts/{}/payments/{id}", s.acct))
        .await
        .expect(200);
    assert_eq!(
        mine.body["failure_reason"],
        "no transfer with this reference arrived"
    );
    // a rejected payment cannot be approved
    let r = app
        .post(
            &app.admin,
            &format!("/v1/admin/payments/{id}/approve"),
            json!({}),
        )
        .await
        .expect(409);
    assert_eq!(r.error_code(), "invalid_state_transition");
    // the invoice stays pending; the payer submits again, with a PDF this time
    let iid = p["invoice"]["id"].as_str().unwrap();
    let inv = app
        .get(&app.admin, &format!("/v1/admin/invoices/{iid}"))
        .await
        .expect(200);
    assert_eq!(inv.body["status"], "pending");
    let mut again = confirmation(&p, NET);
    again["proof_file"] = json!({ "filename": "statement.pdf", "content_type": "application/pdf", "content_base64": b64(PDF) });
    again["reference"] = json!(
        p["next_action"]["reference"]
            .as_str()
            .unwrap()
            .to_lowercase()
    );
    let c = confirm(app, &s, &id, again).await.expect(200);
    assert_eq!(c.body["status"], "pending_approval");
    assert_eq!(c.body["failure_reason"], serde_json::Value::Null);
    let proof = app
        .request(
            reqwest::Method::GET,
            &format!("/v1/admin/payments/{id}/proof"),
            Some(&app.admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(proof.headers()["content-type"], "application/pdf");
    assert_eq!(proof.bytes().await.unwrap().as_ref(), PDF);
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{id}/approve"),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(entries(app, &s.acct, "purchase_grant").await.len(), 1);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    // approve and reject are in the audit log
    for action in ["payment.reject", "payment.approve"] {
        let log = app
            .get(
                &app.admin,
                &format!("/v1/admin/audit-log?action={action}&target_id={id}"),
            )
            .await
            .expect(200);
        assert_eq!(
            log.body["data"].as_array().unwrap().len(),
            1,
            "{action}: {}",
            log.body
        );
    }
}

async fn partial_then_rest_with_overpayment(app: &TestApp) {
    let s = shop(app).await;
    let p = buy(app, &s).await;
    let (id, iid) = (pid(&p), p["invoice"]["id"].as_str().unwrap().to_owned());
    confirm(app, &s, &id, confirmation(&p, 2000))
        .await
        .expect(200);
    let a = app
        .post(
            &app.admin,
            &format!("/v1/admin/payments/{id}/approve"),
            json!({ "amount_received": 2000, "note": "short by 6.10" }),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            a.body["status"].as_str(),
            a.body["amount_received"].as_i64()
        ),
        (Some("succeeded"), Some(2000))
    );
    let inv = app
        .get(&s.key, &format!("/v1/accounts/{}/invoices/{iid}", s.acct))
        .await
        .expect(200);
    assert_eq!(inv.body["status"], "pending", "partly paid: {}", inv.body);
    assert_eq!(
        (
            inv.body["amount_paid"].as_i64(),
            inv.body["amount_due"].as_i64()
        ),
        (Some(2000), Some(NET - 2000))
    );
    assert!(
        entries(app, &s.acct, "purchase_grant").await.is_empty(),
        "no credits before the invoice is paid"
    );
    // the payer pays the rest, and sends too much
    let rest = app
        .post(
            &s.key,
            &format!("/v1/accounts/{}/invoices/{iid}/payments", s.acct),
            json!({ "payment_method": "bank_transfer" }),
        )
        .await
        .expect(201);
    assert_eq!(rest.body["next_action"]["amount"], NET - 2000);
    let rid = pid(&rest.body);
    confirm(app, &s, &rid, confirmation(&rest.body, 700))
        .await
        .expect(200);
    let a = app
        .post(
            &app.admin,
            &format!("/v1/admin/payments/{rid}/approve"),
            json!({ "amount_received": 700 }),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            a.body["amount"].as_i64(),
            a.body["amount_received"].as_i64()
        ),
        (Some(610), Some(700)),
        "the excess of 90 is recorded"
    );
    let inv = app
        .get(&s.key, &format!("/v1/accounts/{}/invoices/{iid}", s.acct))
        .await
        .expect(200);
    assert_eq!(inv.body["status"], "paid");
    assert_eq!(
        (
            inv.body["amount_paid"].as_i64(),
            inv.body["amount_due"].as_i64()
        ),
        (Some(2700), Some(0))
    );
    assert_eq!(entries(app, &s.acct, "purchase_grant").await.len(), 1);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    // a paid invoice takes no more payments
    let r = app
        .post(
            &s.key,
            &format!("/v1/accounts/{}/invoices/{iid}/payments", s.acct),
            json!({ "payment_method": "bank_transfer" }),
        )
        .await
        .expect(409);
    assert_eq!(r.error_code(), "invoice_not_payable");
}

async fn twenty_concurrent_approvals_grant_once(app: &TestApp) {
    let s = shop(app).await;
    let p = buy(app, &s).await;
    let id = pid(&p);
    confirm(app, &s, &id, confirmation(&p, NET))
        .await
        .expect(200);
    let url = format!("{}/v1/admin/payments/{id}/approve", app.url);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, url, key) = (app.client.clone(), url.clone(), app.admin.clone());
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(&url)
                .bearer_auth(key)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<serde_json::Value>().await.unwrap())
        }));
    }
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        if status == 200 {
            assert_eq!(body["status"], "succeeded");
        }
        *by_status.entry(status).or_default() += 1;
    }
    assert_eq!(
        by_status,
        BTreeMap::from([(200, 20)]),
        "every approval answers the approved payment"
    );
    assert_eq!(
        entries(app, &s.acct, "purchase_grant").await.len(),
        1,
        "one grant"
    );
    assert_eq!(app.balance(&s.acct).await, (CREDITS, 0, CREDITS));
    let log = app
        .get(
            &app.admin,
            &format!("/v1/admin/audit-log?action=payment.approve&target_id={id}"),
        )
        .await
        .expect(200);
    assert_eq!(
        log.body["data"].as_array().unwrap().len(),
        1,
        "one approval audited"
    );
}
