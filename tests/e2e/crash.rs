//! Crash safety: a real `billing serve` is killed with SIGKILL in the middle of mixed load
//! (debits, holds and their commits on many accounts, operators approving bank transfers,
//! Stripe delivering payment webhooks) and started again on the same database and port while
//! its clients retry — API calls with their Idempotency-Keys, webhooks as Stripe redelivers
//! them. Afterwards every request that was answered 2xx is in the ledger exactly once,
//! nothing was applied twice, no reservation is left half-settled, every payment is granted
//! once, and `verify` is clean — on PostgreSQL and on SQLite.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::concurrency::post_with_retries;
use crate::gateways::{WHSEC, buy_with, offer};
use crate::processes::{free_port, serve, wait_ready};
use crate::shop::{CREDITS, NET, Shop, buy, confirm, confirmation, entries, pid, shop};
use crate::subscription_support::{app_in_test_mode, stripe_stub};
use crate::support::{Backend, TestApp};
use crate::webhook_storm::{Delivery, event, paying, signed};

/// Bank transfers approved and Stripe payments completed during the load.
const PAYMENTS: usize = 10;

/// The child's settings: keys a kill left unfinished are free again two seconds on, and
/// Stripe is the test's stub.
fn child_env(stripe: &str) -> Vec<(&'static str, String)> {
    vec![
        ("BILLING_IDEMPOTENCY_LEASE_SECONDS", "2".to_owned()),
        ("BILLING_STRIPE_SECRET_KEY", "sk_test_e2e".to_owned()),
        ("BILLING_STRIPE_WEBHOOK_SECRETS", WHSEC.to_owned()),
        ("BILLING_STRIPE_API_BASE", stripe.to_owned()),
        (
            "BILLING_STRIPE_SUCCESS_URL",
            "https://shop.example/paid".to_owned(),
        ),
        (
            "BILLING_STRIPE_CANCEL_URL",
            "https://shop.example/canceled".to_owned(),
        ),
    ]
}

/// Sends a webhook until it is answered 2xx, as Stripe redelivers after a failure; panics
/// on a 4xx (a delivery refused for good) or after 40 tries.
async fn deliver_with_retries(client: &reqwest::Client, url: &str, d: &Delivery, name: &str) {
    let mut last = String::new();
    for retry in 0..40u64 {
        let sent = client
            .post(url)
            .header("content-type", "application/json")
            .header("stripe-signature", &d.signature)
            .body(d.body.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) if r.status().is_client_error() => {
                panic!("{name} refused with {}: {:?}", r.status(), r.text().await)
            }
            Ok(r) => last = format!("{}", r.status()),
            Err(e) => last = format!("{e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50 * (retry + 1).min(20))).await;
    }
    panic!("{name} still failing after 40 deliveries: {last}");
}

/// Payments ready for the load: bank transfers confirmed by the payer (each waiting for an
/// operator), and Stripe checkouts whose `checkout.session.completed` is signed and ready.
async fn payments_waiting(app: &TestApp, s: &Shop) -> (Vec<String>, Vec<Delivery>) {
    offer(app, "stripe", "Karte").await;
    let mut transfers = Vec::new();
    let mut webhooks = Vec::new();
    for n in 0..PAYMENTS {
        let p = buy(app, s).await;
        confirm(app, s, &pid(&p), confirmation(&p, NET))
            .await
            .expect(200);
        transfers.push(pid(&p));
        let card = buy_with(app, s, "stripe").await;
        let [(id, kind, object), _] = paying(n, &card);
        webhooks.push(signed(app, event(&id, kind, object)));
    }
    (transfers, webhooks)
}

async fn get(client: &reqwest::Client, url: &str, key: &str) -> Value {
    client
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Runs the load against a process on `db` that is killed and restarted once; checks the
/// outcome through `app` (a server on the same database).
async fn killed_under_load(app: &TestApp, db: &str, stripe: &str) {
    const ACCOUNTS: usize = 5;
    const PER_ACCOUNT: usize = 60;
    let s = shop(app).await;
    let (transfers, webhooks) = payments_waiting(app, &s).await;
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let acct = app.account(&format!("Crash {i}")).await;
        app.grant(&acct, 1_000).await;
        accounts.push(acct);
    }
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let env = child_env(stripe);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut first = serve(db, port, &env);
    wait_ready(&app.client, &url).await;
    let url = Arc::new(url);
    let mut payments = Vec::new();
    for (i, (payment, webhook)) in transfers.into_iter().zip(webhooks).enumerate() {
        let (client, url, admin) = (app.client.clone(), url.clone(), app.admin.clone());
        payments.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((i * 45) as u64)).await;
            let (status, body, tries) = post_with_retries(
                &client,
                &format!("{url}/v1/admin/payments/{payment}/approve"),
                &admin,
                &format!("approve-{i}"),
                &json!({}),
            )
            .await;
            assert_eq!(status, 200, "approve-{i} after {tries} retries: {body}");
            let hook = format!("{url}/v1/webhooks/stripe");
            deliver_with_retries(&client, &hook, &webhook, &format!("webhook-{i}")).await;
        }));
    }
    let mut tasks = Vec::new();
    for (a, acct) in accounts.iter().enumerate() {
        for i in 0..PER_ACCOUNT {
            let (client, url, key, acct) = (
                app.client.clone(),
                url.clone(),
                app.service.clone(),
                acct.clone(),
            );
            tasks.push(tokio::spawn(async move {
                // Spread the requests over the kill.
                tokio::time::sleep(Duration::from_millis((i * 10) as u64)).await;
                if i % 3 == 0 {
                    // A hold, then its commit of part of it.
                    let body = json!({ "credits": 5, "reference": format!("job-{a}-{i}") });
                    let (status, held, tries) = post_with_retries(
                        &client,
                        &format!("{url}/v1/accounts/{acct}/credits/reservations"),
                        &key,
                        &format!("hold-{a}-{i}"),
                        &body,
                    )
                    .await;
                    assert_eq!(status, 201, "hold-{a}-{i} after {tries} retries: {held}");
                    let rid = held["id"].as_str().unwrap().to_owned();
                    let (status, done, tries) = post_with_retries(
                        &client,
                        &format!("{url}/v1/accounts/{acct}/credits/reservations/{rid}/commit"),
                        &key,
                        &format!("commit-{a}-{i}"),
                        &json!({ "credits": 3 }),
                    )
                    .await;
                    assert_eq!(status, 200, "commit-{a}-{i} after {tries} retries: {done}");
                    ("commit", 3)
                } else {
                    let body = json!({ "credits": 2, "operation": "api.call", "reference": format!("call-{a}-{i}") });
                    let (status, debit, tries) = post_with_retries(
                        &client,
                        &format!("{url}/v1/accounts/{acct}/credits/debit"),
                        &key,
                        &format!("debit-{a}-{i}"),
                        &body,
                    )
                    .await;
                    assert_eq!(status, 200, "debit-{a}-{i} after {tries} retries: {debit}");
                    ("debit", 2)
                }
            }));
        }
    }
    // Kill it mid-load, without warning, and bring it back on the same port.
    tokio::time::sleep(Duration::from_millis(250)).await;
    first.kill_now();
    let again = serve(db, port, &env);
    for p in payments {
        p.await.unwrap();
    }
    let mut spent: BTreeMap<&str, i64> = BTreeMap::new();
    for t in tasks {
        let (kind, credits) = t.await.unwrap();
        *spent.entry(kind).or_default() += credits;
    }
    // Every answered request counted once; nothing applied twice.
    let per_account = i64::try_from(PER_ACCOUNT).unwrap();
    let commits = (per_account + 2) / 3;
    let debits = per_account - commits;
    for acct in &accounts {
        assert_eq!(
            app.balance(acct).await,
            (
                1_000 - 3 * commits - 2 * debits,
                0,
                1_000 - 3 * commits - 2 * debits
            ),
            "{acct}"
        );
        let ledger = app.ledger(acct).await;
        let usage = ledger.iter().filter(|e| e["kind"] == "usage_debit").count();
        assert_eq!(usage, usize::try_from(debits).unwrap(), "{acct}");
        let holds = ledger
            .iter()
            .filter(|e| e["kind"] == "reservation_hold")
            .count();
        assert_eq!(holds, usize::try_from(commits).unwrap(), "{acct}");
    }
    let accounts_n = i64::try_from(ACCOUNTS).unwrap();
    assert_eq!(
        spent["commit"] + spent["debit"],
        (3 * commits + 2 * debits) * accounts_n
    );
    // Every transfer approved and every card payment completed: granted once each.
    let grants = entries(app, &s.acct, "purchase_grant").await;
    assert_eq!(grants.len(), 2 * PAYMENTS, "{grants:?}");
    let paid = i64::try_from(2 * PAYMENTS).unwrap() * CREDITS;
    assert_eq!(app.balance(&s.acct).await, (paid, 0, paid));
    let v = get(
        &app.client,
        &format!("{}/v1/admin/credits/verify", app.url),
        &app.admin,
    )
    .await;
    assert_eq!(v["ok"], true, "{v}");
    drop(again);
    drop(first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_under_load_loses_nothing_and_applies_nothing_twice() {
    killed_under_load_on(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_under_load_loses_nothing_and_applies_nothing_twice() {
    killed_under_load_on(Backend::Sqlite).await;
}

async fn killed_under_load_on(backend: Backend) {
    let (stripe, _charges) = stripe_stub().await;
    let app = app_in_test_mode(backend, Some(stripe.uri())).await;
    let db = app.db_url.clone();
    killed_under_load(&app, &db, &stripe.uri()).await;
    app.stop().await;
}
