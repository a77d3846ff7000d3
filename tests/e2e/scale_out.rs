//! Several server processes on one PostgreSQL, the way users scale out: this test's server
//! and two real `billing serve` processes share the database and nothing else. A thousand
//! concurrent debits on one account, spread over the three, end exactly: 500 charged, 500
//! refused, every balance from 500 down to 0 once, the ledger verified; one Idempotency-Key
//! sent to every process charges once.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use crate::concurrency::post_with_retries;
use crate::processes::{Process, free_port, serve, wait_ready};
use crate::support::{Backend, TestApp};

async fn spawn_server(db: &str, client: &reqwest::Client) -> (Process, String) {
    let port = free_port();
    let process = serve(
        db,
        port,
        &[("BILLING_DB_POOL_SIZE", "8"), ("BILLING_WORKERS", "2")],
    );
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(client, &url).await;
    (process, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_take_a_thousand_debits_on_one_account_exactly() {
    let app = TestApp::start(Backend::Postgres).await;
    let (_p2, url2) = spawn_server(&app.db_url, &app.client).await;
    let (_p3, url3) = spawn_server(&app.db_url, &app.client).await;
    let urls = Arc::new([app.url.clone(), url2, url3]);
    let acct = app.account("Hot across processes").await;
    app.grant(&acct, 500).await;

    let mut tasks = Vec::with_capacity(1000);
    for i in 0..1000 {
        let (client, urls, key) = (app.client.clone(), urls.clone(), app.service.clone());
        let path = format!("{}/v1/accounts/{acct}/credits/debit", urls[i % 3]);
        tasks.push(tokio::spawn(async move {
            let body =
                json!({ "credits": 1, "operation": "api.call", "reference": format!("call-{i}") });
            post_with_retries(&client, &path, &key, &format!("debit-{i}"), &body).await
        }));
    }
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for t in tasks {
        let (status, _, _) = t.await.unwrap();
        *by_status.entry(status).or_default() += 1;
    }
    assert_eq!(by_status, BTreeMap::from([(200, 500), (402, 500)]));
    assert_eq!(app.balance(&acct).await, (0, 0, 0));
    let ledger = app.ledger(&acct).await;
    let mut afters: Vec<i64> = ledger
        .iter()
        .map(|e| e["balance_after"].as_i64().unwrap())
        .collect();
    afters.sort_unstable();
    assert_eq!(afters, (0..=500).collect::<Vec<_>>());

    // One Idempotency-Key, sent to all three at once: one charge, the same answer.
    app.grant(&acct, 30).await;
    let mut same = Vec::new();
    for url in urls.iter() {
        let (client, key) = (app.client.clone(), app.service.clone());
        let path = format!("{url}/v1/accounts/{acct}/credits/debit");
        same.push(tokio::spawn(async move {
            let body = json!({ "credits": 10, "operation": "export", "reference": "export-1" });
            post_with_retries(&client, &path, &key, "one-key-three-processes", &body).await
        }));
    }
    let mut entries = Vec::new();
    for t in same {
        let (status, body, _) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        let id = body["id"].as_str().expect("a ledger entry id").to_owned();
        entries.push(id);
    }
    entries.dedup();
    assert_eq!(entries.len(), 1, "one entry: {entries:?}");
    assert_eq!(app.balance(&acct).await.0, 20);
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true, "{}", v.body);
    app.stop().await;
}
