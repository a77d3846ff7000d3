//! Card checkout against the local Stripe: the portal sends the payer to the Checkout
//! Session, the return lands on a confirmation page that says "processing" — the redirect
//! proves nothing — and the page turns to paid by itself when the signed webhook arrives.

use std::time::Duration;

use serde_json::json;
use wiremock::MockServer;

use crate::browser::Browser;
use crate::portal_support::link;
use crate::shop::{NET, shop};
use crate::stripe_stub::{
    WHSEC, fixture, mount_customer_and_session, offer, stripe_event, stripe_signature, webhook,
};
use crate::support::{Backend, TestApp};

crate::backend_fns!(sqlite, postgres; card_checkout_waits_for_the_webhook);

async fn card_checkout_waits_for_the_webhook(backend: Backend) {
    let stripe = MockServer::start().await;
    let session = fixture("checkout.session");
    mount_customer_and_session(&stripe, &session).await;
    let base = stripe.uri();
    let app = TestApp::start_with(backend, move |c| {
        for (k, v) in [
            ("BILLING_STRIPE_SECRET_KEY", "sk_test_portal".to_owned()),
            ("BILLING_STRIPE_WEBHOOK_SECRETS", WHSEC.to_owned()),
            ("BILLING_STRIPE_API_BASE", base),
            (
                "BILLING_STRIPE_SUCCESS_URL",
                "http://127.0.0.1/portal/checkout/return".to_owned(),
            ),
            (
                "BILLING_STRIPE_CANCEL_URL",
                "http://127.0.0.1/portal/credits".to_owned(),
            ),
        ] {
            c.gateway_env.set(k, v);
        }
    })
    .await;
    let s = shop(&app).await;
    offer(&app, "stripe", "Card").await;
    let b = Browser::start(&format!("card-checkout-{backend:?}").to_lowercase()).await;

    b.goto(&link(&app, &s.acct, Some(json!({ "type": "buy_credits" }))).await)
        .await;
    assert_eq!(
        b.path().await,
        "/portal/credits",
        "the buy_credits flow lands on its page"
    );
    b.click("input[name=payment_method][value=stripe]").await;
    b.click("[data-testid=checkout]").await;
    // Off to Stripe Checkout (not reachable from here: only its address matters).
    let session_url = session["url"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !b
        .client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .starts_with(session_url)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the checkout did not redirect to Stripe"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = b.console_errors().await; // the unreachable Stripe page's own errors are not ours

    // Stripe sends the payer back: the page waits, whatever the redirect claims.
    b.goto(&format!("{}/portal/checkout/return", app.url)).await;
    b.wait_attr(
        "#payment-status",
        "data-state",
        "processing",
        Duration::from_secs(5),
    )
    .await;
    assert!(
        b.text("#payment-status")
            .await
            .contains("Waiting for confirmation from Card")
    );
    b.look("card-processing").await;
    let pid = b.path().await.rsplit('/').next().unwrap().to_owned();
    let payment = app
        .get(&app.admin, &format!("/v1/admin/payments/{pid}"))
        .await
        .expect(200);
    assert_eq!(app.balance(&s.acct).await.0, 0);

    // The signed webhook settles it; the open page updates itself (htmx polling).
    let mut event = stripe_event("checkout.session.completed");
    {
        let o = &mut event["data"]["object"];
        o["id"] = session["id"].clone();
        o["client_reference_id"] = json!(pid);
        o["metadata"] = json!({ "payment_id": pid, "invoice_id": payment.body["invoice_id"] });
        o["payment_status"] = json!("paid");
        o["status"] = json!("complete");
        o["amount_total"] = json!(NET);
        o["currency"] = json!("eur");
        o["payment_intent"] = session["payment_intent"].clone();
    }
    let body = serde_json::to_vec(&event).unwrap();
    webhook(
        &app,
        "stripe",
        &body,
        &[("stripe-signature", stripe_signature(WHSEC, &body))],
    )
    .await
    .expect(200);
    b.wait_attr(
        "#payment-status",
        "data-state",
        "paid",
        Duration::from_secs(15),
    )
    .await;
    assert!(b.text("#payment-status").await.contains("Payment received"));
    b.look("card-paid").await;
    assert_eq!(app.balance(&s.acct).await.0, 2000);
    b.stop().await;
    app.stop().await;
}
