//! Refunds that fail, over HTTP against a local Stripe: a refusal answers 409 and undoes the
//! refund; a refund Stripe later reports failed is undone once, however often it is reported.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::gateways::{
    WHSEC, buy_with, fixture, mount_customer_and_session, offer, ok, payment, stripe_event,
    stripe_signature, webhook,
};
use crate::shop::{CREDITS, NET, Shop, entries, pid, shop};
use crate::support::{Backend, Resp, TestApp};

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_refund_is_failed_and_undone() {
        super::a_refused_refund_is_failed_and_undone(crate::support::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refund_reported_failed_is_undone_once() {
        super::a_refund_reported_failed_is_undone_once(crate::support::Backend::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_refund_is_failed_and_undone() {
        super::a_refused_refund_is_failed_and_undone(crate::support::Backend::Postgres).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refund_reported_failed_is_undone_once() {
        super::a_refund_reported_failed_is_undone_once(crate::support::Backend::Postgres).await;
    }
}

/// A server on a local Stripe whose refund endpoint answers `refunds`, and a Stripe purchase
/// of the Pro package paid by its signed `checkout.session.completed`. Returns the payment id.
async fn paid(backend: Backend, refunds: ResponseTemplate) -> (MockServer, TestApp, Shop, String) {
    let stripe = MockServer::start().await;
    let session = fixture("checkout.session");
    let pi = session["payment_intent"].as_str().unwrap().to_owned();
    mount_customer_and_session(&stripe, &session).await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1/checkout/sessions/.+"))
        .respond_with(ok(session.clone()))
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(refunds)
        .up_to_n_times(1)
        .mount(&stripe)
        .await;
    let base = stripe.uri();
    let app = TestApp::start_with(backend, move |c| {
        c.gateway_env
            .set("BILLING_STRIPE_SECRET_KEY", "sk_test_e2e".to_owned());
        c.gateway_env
            .set("BILLING_STRIPE_WEBHOOK_SECRETS", WHSEC.to_owned());
        c.gateway_env.set("BILLING_STRIPE_API_BASE", base);
        c.gateway_env.set(
            "BILLING_STRIPE_SUCCESS_URL",
            "https://shop.example/paid".to_owned(),
        );
        c.gateway_env.set(
            "BILLING_STRIPE_CANCEL_URL",
            "https://shop.example/no".to_owned(),
        );
    })
    .await;
    let s = shop(&app).await;
    offer(&app, "stripe", "Karte").await;
    let purchase = buy_with(&app, &s, "stripe").await;
    let id = pid(&purchase);
    let mut event = stripe_event("checkout.session.completed");
    {
        let o = &mut event["data"]["object"];
        o["client_reference_id"] = json!(id);
        o["metadata"] = json!({ "payment_id": id, "invoice_id": purchase["invoice"]["id"] });
        o["payment_status"] = json!("paid");
        o["status"] = json!("complete");
        o["amount_total"] = json!(NET);
        o["currency"] = json!("eur");
        o["payment_intent"] = json!(pi);
    }
    signed(&app, &event).await;
    assert_eq!(app.balance(&s.acct).await.0, CREDITS);
    (stripe, app, s, id)
}

async fn signed(app: &TestApp, event: &Value) -> Value {
    let body = serde_json::to_vec(event).unwrap();
    let sig = stripe_signature(WHSEC, &body);
    webhook(app, "stripe", &body, &[("stripe-signature", sig)])
        .await
        .expect(200)
        .body
}

/// Asks for a refund of everything still refundable on payment `id`.
async fn refund_all(app: &TestApp, id: &str) -> Resp {
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{id}/refunds"),
        json!({ "reason": "customer asked" }),
    )
    .await
}

async fn refunds_of(app: &TestApp, id: &str) -> Vec<Value> {
    let r = app
        .get(&app.admin, &format!("/v1/admin/payments/{id}/refunds"))
        .await
        .expect(200);
    r.body["data"].as_array().unwrap().clone()
}

async fn a_refused_refund_is_failed_and_undone(backend: Backend) {
    let refusal = json!({"error": {"type": "invalid_request_error", "code": "charge_disputed",
        "message": "Charge ch_1 has been charged back; cannot issue a refund."}});
    let (_stripe, app, s, id) =
        paid(backend, ResponseTemplate::new(400).set_body_json(refusal)).await;
    let r = refund_all(&app, &id).await.expect(409);
    assert_eq!(r.error_code(), "refund_declined");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("charged back")
    );
    let refunds = refunds_of(&app, &id).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["status"], "failed");
    let pay = payment(&app, &id).await;
    assert_eq!(
        (pay["status"].as_str(), pay["amount_refunded"].as_i64()),
        (Some("succeeded"), Some(0))
    );
    assert_eq!(
        app.balance(&s.acct).await.0,
        CREDITS,
        "clawed back and given back"
    );
    assert_eq!(entries(&app, &s.acct, "refund_reversal").await.len(), 1);
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true, "{}", v.body);
    app.stop().await;
}

async fn a_refund_reported_failed_is_undone_once(backend: Backend) {
    let mut pending = fixture("refund");
    pending["status"] = json!("pending");
    pending["amount"] = json!(NET);
    let (stripe, app, s, id) = paid(backend, ok(pending.clone())).await;
    let r = refund_all(&app, &id).await.expect(201);
    assert_eq!(r.body["status"], "pending");
    let rid = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.balance(&s.acct).await.0, 0);
    assert_eq!(payment(&app, &id).await["status"], "refunded");

    let mut failed = pending.clone();
    failed["status"] = json!("failed");
    failed["metadata"] = json!({ "refund_id": rid, "payment_id": id });
    for n in 0..3 {
        // The official refund envelope, as the `refund.updated` Stripe sends on failure.
        let mut event = stripe_event("refund.created");
        event["type"] = json!("refund.updated");
        event["id"] = json!(format!("evt_refund_failed_{n}"));
        event["data"]["object"] = failed.clone();
        let receipt = signed(&app, &event).await;
        assert_eq!(receipt["disposition"], "applied", "{receipt}");
    }
    let refunds = refunds_of(&app, &id).await;
    assert_eq!(refunds[0]["status"], "failed");
    assert_eq!(payment(&app, &id).await["status"], "succeeded");
    assert_eq!(app.balance(&s.acct).await.0, CREDITS, "given back once");
    assert_eq!(entries(&app, &s.acct, "refund_reversal").await.len(), 1);
    // Refundable again (Stripe gives the new refund its own id).
    let mut second = pending.clone();
    second["id"] = json!("re_second_try");
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ok(second))
        .mount(&stripe)
        .await;
    refund_all(&app, &id).await.expect(201);
    assert_eq!(app.balance(&s.acct).await.0, 0);
    app.stop().await;
}
