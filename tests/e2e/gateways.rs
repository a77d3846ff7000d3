//! Stripe and PayPal end to end over HTTP: the real server configured against local
//! `wiremock` gateways, purchases, signed webhooks, the PayPal return, refunds and clawbacks.
//! The flows are in `gateway_stripe.rs` and `gateway_paypal.rs`; the shared helpers are here.

use serde_json::{Value, json};

use crate::shop::{CREDITS, Shop, entries};
use crate::support::TestApp;

mod sqlite {
    use crate::support::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stripe_checkout_webhooks_and_refund() {
        crate::gateway_stripe::stripe_checkout_webhooks_and_refund(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paypal_return_capture_webhook_and_refund() {
        crate::gateway_paypal::paypal_return_capture_webhook_and_refund(Backend::Sqlite).await;
    }
}

mod postgres {
    use crate::support::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stripe_checkout_webhooks_and_refund() {
        crate::gateway_stripe::stripe_checkout_webhooks_and_refund(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paypal_return_capture_webhook_and_refund() {
        crate::gateway_paypal::paypal_return_capture_webhook_and_refund(Backend::Postgres).await;
    }
}

pub(crate) use crate::stripe_stub::*;

pub(crate) async fn payment(app: &TestApp, id: &str) -> Value {
    app.get(&app.admin, &format!("/v1/admin/payments/{id}"))
        .await
        .expect(200)
        .body
}

pub(crate) async fn invoice_status(app: &TestApp, s: &Shop, purchase: &Value) -> String {
    let iid = purchase["invoice"]["id"].as_str().unwrap();
    app.get(&s.key, &format!("/v1/accounts/{}/invoices/{iid}", s.acct))
        .await
        .expect(200)
        .body["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The Pro purchase's partial refund of 10.00 EUR: ⌊2000 × 1000 / 2610⌋ = 766 credits back.
pub(crate) async fn partial_refund(app: &TestApp, s: &Shop, id: &str) -> Value {
    let r = app
        .post(
            &app.admin,
            &format!("/v1/admin/payments/{id}/refunds"),
            json!({ "amount": 1000, "reason": "customer changed plans" }),
        )
        .await
        .expect(201);
    assert_eq!(r.body["amount"], 1000);
    assert_eq!(
        (
            r.body["credits_clawed_back"].as_i64(),
            r.body["credits_deficit"].as_i64()
        ),
        (Some(766), Some(0)),
        "{}",
        r.body
    );
    assert_eq!(app.balance(&s.acct).await.0, CREDITS - 766);
    assert_eq!(entries(app, &s.acct, "refund_clawback").await.len(), 1);
    let pay = payment(app, id).await;
    assert_eq!(pay["amount_refunded"], 1000, "{pay}");
    r.body
}
