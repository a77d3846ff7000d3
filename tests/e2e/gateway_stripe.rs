//! The Stripe flow end to end over HTTP against a local Stripe answering official fixtures.

use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer};

use crate::gateways::*;
use crate::shop::{CREDITS, NET, entries, pid, shop};
use crate::support::{Backend, TestApp};

pub(crate) async fn stripe_checkout_webhooks_and_refund(backend: Backend) {
    let stripe = MockServer::start().await;
    let session = fixture("checkout.session");
    let session_id = session["id"].as_str().unwrap().to_owned();
    let session_url = session["url"].as_str().unwrap().to_owned();
    let pi = session["payment_intent"].as_str().unwrap().to_owned();
    mount_customer_and_session(&stripe, &session).await;
    let mut paid_session = session.clone();
    paid_session["status"] = json!("complete");
    paid_session["payment_status"] = json!("paid");
    paid_session["amount_total"] = json!(NET);
    paid_session["currency"] = json!("eur");
    Mock::given(method("GET"))
        .and(path_regex("^/v1/checkout/sessions/.+"))
        .respond_with(ok(paid_session))
        .mount(&stripe)
        .await;
    let mut refund = fixture("refund");
    refund["amount"] = json!(1000);
    refund["currency"] = json!("eur");
    refund["payment_intent"] = json!(pi);
    refund["status"] = json!("pending");
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ok(refund.clone()))
        .mount(&stripe)
        .await;

    let base = stripe.uri();
    let app = TestApp::start_with(backend, move |c| {
        for (k, v) in [
            ("BILLING_STRIPE_SECRET_KEY", "sk_test_e2e".to_owned()),
            (
                "BILLING_STRIPE_WEBHOOK_SECRETS",
                format!("whsec_old_one,{WHSEC}"),
            ),
            ("BILLING_STRIPE_API_BASE", base),
            (
                "BILLING_STRIPE_SUCCESS_URL",
                "https://shop.example/paid?session={CHECKOUT_SESSION_ID}".to_owned(),
            ),
            (
                "BILLING_STRIPE_CANCEL_URL",
                "https://shop.example/canceled".to_owned(),
            ),
            ("BILLING_STRIPE_TIMEOUT_SECS", "5".to_owned()),
        ] {
            c.gateway_env.set(k, v);
        }
    })
    .await;
    let s = shop(&app).await;
    offer(&app, "stripe", "Karte").await;

    // purchase → Checkout Session → its URL as the next action
    let purchase = buy_with(&app, &s, "stripe").await;
    let id = pid(&purchase);
    assert!(
        purchase["next_action"].to_string().contains(&session_url),
        "the session URL is the next action: {}",
        purchase["next_action"]
    );
    assert_eq!(app.balance(&s.acct).await.0, 0);
    let created: Vec<_> = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/checkout/sessions")
        .collect();
    assert_eq!(created.len(), 1);
    let form = String::from_utf8_lossy(&created[0].body).into_owned();
    assert!(
        form.contains(&format!("client_reference_id={id}")),
        "{form}"
    );

    // the signed checkout.session.completed (official event, our ids) → credits, invoice paid
    let mut event = stripe_event("checkout.session.completed");
    {
        let o = &mut event["data"]["object"];
        o["id"] = json!(session_id);
        o["client_reference_id"] = json!(id);
        o["metadata"] = json!({ "payment_id": id, "invoice_id": purchase["invoice"]["id"] });
        o["payment_status"] = json!("paid");
        o["status"] = json!("complete");
        o["amount_total"] = json!(NET);
        o["currency"] = json!("eur");
        o["payment_intent"] = json!(pi);
    }
    let body = serde_json::to_vec(&event).unwrap();
    let r = webhook(
        &app,
        "stripe",
        &body,
        &[("stripe-signature", stripe_signature(WHSEC, &body))],
    )
    .await
    .expect(200);
    assert_eq!(r.body["event_id"], event["id"]);
    assert_eq!(r.body["event_type"], "checkout.session.completed");
    assert_eq!(r.body["disposition"], "applied", "{}", r.body);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    assert_eq!(payment(&app, &id).await["status"], "succeeded");
    assert_eq!(invoice_status(&app, &s, &purchase).await, "paid");

    // the same event 100 times (an Idempotency-Key header changes nothing): still one grant
    for i in 0..100 {
        let sig = stripe_signature(WHSEC, &body);
        let mut headers = vec![("stripe-signature", sig)];
        if i % 10 == 0 {
            headers.push(("idempotency-key", format!("k{i}")));
        }
        let r = webhook(&app, "stripe", &body, &headers).await.expect(200);
        assert_eq!(r.body["disposition"], "duplicate", "{}", r.body);
    }
    assert_eq!(entries(&app, &s.acct, "purchase_grant").await.len(), 1);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);

    // a bad signature: 400 and nothing changes
    let mut failed = stripe_event("payment_intent.payment_failed");
    failed["id"] = json!("evt_forged_1");
    failed["data"]["object"]["metadata"] = json!({ "payment_id": id });
    let forged = serde_json::to_vec(&failed).unwrap();
    for sig in [
        stripe_signature("whsec_wrong", &forged),
        stripe_signature(WHSEC, &body), // a valid signature of another body
        "t=1,v1=00".to_owned(),
    ] {
        let r = webhook(&app, "stripe", &forged, &[("stripe-signature", sig)])
            .await
            .expect(400);
        r.error_code();
    }
    webhook(&app, "stripe", &forged, &[]).await.expect(400);
    assert_eq!(payment(&app, &id).await["status"], "succeeded");
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);

    // partial refund through Stripe's Refund API → clawback; charge.refunded settles it
    let refund_body = partial_refund(&app, &s, &id).await;
    let rid = refund_body["id"].as_str().unwrap().to_owned();
    let refunds: Vec<_> = stripe
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0]
            .headers
            .get("idempotency-key")
            .unwrap()
            .to_str()
            .unwrap(),
        rid
    );
    let mut charge = stripe_event("charge.refunded");
    let mut settled = refund.clone();
    settled["status"] = json!("succeeded");
    settled["metadata"] = json!({ "refund_id": rid, "payment_id": id });
    charge["data"]["object"]["refunds"]["data"] = json!([settled]);
    charge["data"]["object"]["payment_intent"] = json!(pi);
    let body = serde_json::to_vec(&charge).unwrap();
    let r = webhook(
        &app,
        "stripe",
        &body,
        &[("stripe-signature", stripe_signature(WHSEC, &body))],
    )
    .await
    .expect(200);
    assert_eq!(r.body["disposition"], "applied", "{}", r.body);
    let list = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}/refunds"))
        .await
        .expect(200);
    assert_eq!(list.body["data"][0]["status"], "succeeded", "{}", list.body);
    assert_eq!(app.balance(&s.acct).await.0, CREDITS - 766);
    assert_eq!(entries(&app, &s.acct, "refund_clawback").await.len(), 1);
    let pay = payment(&app, &id).await;
    assert_eq!(pay["status"], "partially_refunded", "{pay}");
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true);
    app.stop().await;
}
