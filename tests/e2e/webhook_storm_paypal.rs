//! The PayPal half of the webhook storm: 1,000 deliveries for 100 PayPal purchases — each
//! purchase's `PAYMENT.CAPTURE.COMPLETED`, 800 events that mean nothing to us (orders
//! approved elsewhere, disputes we do not act on), 100 redeliveries of events already sent
//! — shuffled and sent 32 at a time, each verified by PayPal's verify API (the mock). Each
//! purchase is paid and granted exactly once. Deliveries whose signature PayPal's API
//! reports as forged, for ten more purchases, are all refused and change nothing.

use futures_util::StreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer};

use crate::gateway_paypal::{paypal_app, paypal_headers};
use crate::gateways::{buy_with, offer, ok};
use crate::shop::shop;
use crate::subscriptions_paypal::Orders;
use crate::support::Backend;
use crate::webhook_storm::{granted_once_and_spoofed_untouched, shuffled};

async fn paypal_mock() -> MockServer {
    let paypal = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .respond_with(ok(json!({"access_token": "A21AA-token", "token_type": "Bearer", "expires_in": 32400, "scope": "x"})))
        .mount(&paypal)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .respond_with(Orders)
        .mount(&paypal)
        .await;
    // PayPal's verdict: deliveries whose transmission id says "forged" fail verification.
    Mock::given(method("POST"))
        .and(path("/v1/notifications/verify-webhook-signature"))
        .and(body_string_contains("forged-"))
        .respond_with(ok(json!({"verification_status": "FAILURE"})))
        .with_priority(1)
        .mount(&paypal)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/notifications/verify-webhook-signature"))
        .respond_with(ok(json!({"verification_status": "SUCCESS"})))
        .mount(&paypal)
        .await;
    paypal
}

/// A delivery: the body and its transmission id.
struct Delivery {
    body: Vec<u8>,
    transmission: String,
}

fn delivery(id: &str, kind: &str, resource: Value, transmission: String) -> Delivery {
    let event = json!({"id": id, "event_version": "1.0", "create_time": "2026-11-23T12:00:00Z",
        "resource_type": "capture", "event_type": kind, "summary": kind, "resource": resource});
    Delivery {
        body: serde_json::to_vec(&event).unwrap(),
        transmission,
    }
}

/// The capture that pays `purchase`, as PayPal reports it.
fn captured(n: usize, purchase: &Value, transmission: String) -> Delivery {
    let payment = purchase["payment"]["id"].as_str().unwrap();
    let resource = json!({"id": format!("CAPSTORM{n:08}"), "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "26.10"}, "custom_id": payment, "final_capture": true,
        "supplementary_data": {"related_ids": {"order_id": purchase["payment"]["gateway_payment_id"]}}});
    delivery(
        &format!("WH-STORM-CAP-{n}"),
        "PAYMENT.CAPTURE.COMPLETED",
        resource,
        transmission,
    )
}

async fn send(client: &reqwest::Client, url: &str, d: &Delivery) -> (u16, Value) {
    let mut rb = client
        .post(url)
        .header("content-type", "application/json")
        .body(d.body.clone());
    for (k, v) in paypal_headers() {
        let v = if k == "paypal-transmission-id" {
            d.transmission.clone()
        } else {
            v
        };
        rb = rb.header(k, v);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

async fn storm(backend: Backend) {
    let paypal = paypal_mock().await;
    let app = paypal_app(backend, paypal.uri()).await;
    let s = shop(&app).await;
    offer(&app, "paypal", "PayPal").await;
    let mut purchases = Vec::new();
    for _ in 0..110 {
        purchases.push(buy_with(&app, &s, "paypal").await);
    }
    let spoofed = purchases.split_off(100);
    let mut deliveries: Vec<Delivery> = purchases
        .iter()
        .enumerate()
        .map(|(n, p)| captured(n, p, format!("tx-cap-{n}")))
        .collect();
    for n in 0..800 {
        let resource = json!({"id": format!("PP-D-{n}"), "status": "UNDER_REVIEW"});
        deliveries.push(delivery(
            &format!("WH-STORM-NOISE-{n}"),
            "CUSTOMER.DISPUTE.UPDATED",
            resource,
            format!("tx-noise-{n}"),
        ));
    }
    // Redeliveries: the same event again, as PayPal resends it.
    for n in (0..deliveries.len()).step_by(9).take(100) {
        let again = Delivery {
            body: deliveries[n].body.clone(),
            transmission: format!("{}-again", deliveries[n].transmission),
        };
        deliveries.push(again);
    }
    assert_eq!(deliveries.len(), 1000);
    let url = format!("{}/v1/webhooks/paypal", app.url);
    let answers: Vec<(u16, Value)> = futures_util::stream::iter(shuffled(deliveries.len()))
        .map(|i| {
            let (client, url) = (app.client.clone(), url.clone());
            let d = &deliveries[i];
            async move { send(&client, &url, d).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    let events: std::collections::BTreeSet<&str> = answers
        .iter()
        .map(|(_, b)| b["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(events.len(), 900);

    // Forged deliveries for the ten other purchases: refused, no effect.
    for (n, p) in spoofed.iter().enumerate() {
        let forged = captured(1000 + n, p, format!("forged-{n}"));
        let (status, body) = send(&app.client, &url, &forged).await;
        assert_eq!(status, 400, "{body}");
    }

    // Each of the hundred paid and granted once; the ten others untouched.
    granted_once_and_spoofed_untouched(&app, &s.acct, &spoofed).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paypal_storm_on_sqlite_grants_each_purchase_once() {
    storm(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paypal_storm_on_postgres_grants_each_purchase_once() {
    storm(Backend::Postgres).await;
}
