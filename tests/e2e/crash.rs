//! Crash safety: a real `billing serve` is killed with SIGKILL in the middle of mixed load
//! (debits, holds and their commits, on many accounts) and started again on the same
//! database and port while its clients retry with their Idempotency-Keys. Afterwards every
//! request that was answered 2xx is in the ledger exactly once, nothing was applied twice,
//! no reservation is left half-settled, and `verify` is clean — on PostgreSQL and on SQLite.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::concurrency::post_with_retries;
use crate::processes::{free_port, serve, wait_ready};
use crate::support::{Backend, TestApp};

/// The keys of requests the kill interrupted are free again two seconds on.
const LEASE: &[(&str, &str)] = &[("BILLING_IDEMPOTENCY_LEASE_SECONDS", "2")];

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
async fn killed_under_load(app: &TestApp, db: &str) {
    const ACCOUNTS: usize = 5;
    const PER_ACCOUNT: usize = 60;
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let acct = app.account(&format!("Crash {i}")).await;
        app.grant(&acct, 1_000).await;
        accounts.push(acct);
    }
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut first = serve(db, port, LEASE);
    wait_ready(&app.client, &url).await;
    let url = Arc::new(url);
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
    let again = serve(db, port, LEASE);
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
    let app = TestApp::start(Backend::Postgres).await;
    let db = app.db_url.clone();
    killed_under_load(&app, &db).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_under_load_loses_nothing_and_applies_nothing_twice() {
    let app = TestApp::start(Backend::Sqlite).await;
    let db = app.db_url.clone();
    killed_under_load(&app, &db).await;
    app.stop().await;
}
