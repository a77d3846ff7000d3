//! The issue-3 concurrency guarantees over real HTTP, on both stores.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::json;

use crate::support::TestApp;

/// Sends a POST as a careful client does, retrying with the same `Idempotency-Key` (which is
/// what the key is for) whenever the answer says "try again":
/// * a connection error (a loaded 2-core machine may reset a few of a thousand simultaneous
///   connections);
/// * 409 `idempotency_in_progress` (a retry overtook the first attempt, still running);
/// * 503 (every pooled database connection stayed busy past the pool's wait limit: a thousand
///   debits on one account queue behind one row lock).
///
/// Returns the final status and body, and how many retries it took.
pub(crate) async fn post_with_retries(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    idem: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value, u32) {
    const MAX_RETRIES: u32 = 40;
    let mut retries = 0;
    // Kept for the failure message rather than printed: a kill makes hundreds of retries,
    // and their lines would push the panic out of a truncated CI log.
    let mut last_why = String::new();
    loop {
        let outcome = client
            .post(url)
            .bearer_auth(key)
            .header("Idempotency-Key", idem)
            .json(body)
            .send()
            .await;
        let why = match outcome {
            Ok(res) => {
                let status = res.status().as_u16();
                let json: serde_json::Value = res.json().await.unwrap_or_default();
                let in_progress =
                    status == 409 && json["error"]["code"] == "idempotency_in_progress";
                if !(in_progress || status == 503) {
                    return (status, json, retries);
                }
                format!("{status} {}", json["error"]["code"])
            }
            Err(e) => format!("{e:?}"),
        };
        assert!(
            retries < MAX_RETRIES,
            "request {idem} still failing after {retries} retries: {why} (before: {last_why})"
        );
        retries += 1;
        last_why = why;
        // Linear backoff, capped: 50 ms, 100 ms, … 1 s.
        tokio::time::sleep(std::time::Duration::from_millis(
            50 * u64::from(retries.min(20)),
        ))
        .await;
    }
}

crate::backends!(
    thousand_concurrent_debits_on_five_hundred_credits,
    same_idempotency_key_fifty_times_charges_once,
    same_reference_under_many_keys_charges_once
);

async fn thousand_concurrent_debits_on_five_hundred_credits(app: &TestApp) {
    let acct = app.account("Hot").await;
    app.grant(&acct, 500).await;
    let path = Arc::new(format!("{}/v1/accounts/{acct}/credits/debit", app.url));
    let mut tasks = Vec::with_capacity(1000);
    for i in 0..1000 {
        let (client, path, key) = (app.client.clone(), path.clone(), app.service.clone());
        tasks.push(tokio::spawn(async move {
            let body =
                json!({ "credits": 1, "operation": "api.call", "reference": format!("call-{i}") });
            post_with_retries(&client, &path, &key, &format!("debit-{i}"), &body).await
        }));
    }
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut retries = 0;
    for t in tasks {
        let (status, body, r) = t.await.unwrap();
        retries += r;
        if status == 402 {
            assert_eq!(body["error"]["code"], "insufficient_credits");
        }
        *by_status.entry(status).or_default() += 1;
    }
    assert_eq!(
        by_status,
        BTreeMap::from([(200, 500), (402, 500)]),
        "exactly 500 succeed and 500 get 402 ({retries} retries)"
    );
    assert_eq!(app.balance(&acct).await, (0, 0, 0));
    let ledger = app.ledger(&acct).await;
    assert_eq!(ledger.len(), 501);
    assert_eq!(
        ledger
            .iter()
            .map(|e| e["amount"].as_i64().unwrap())
            .sum::<i64>(),
        0,
        "Σ entries == balance"
    );
    assert_eq!(
        ledger.iter().filter(|e| e["kind"] == "usage_debit").count(),
        500
    );
    let mut afters: Vec<i64> = ledger
        .iter()
        .map(|e| e["balance_after"].as_i64().unwrap())
        .collect();
    afters.sort_unstable();
    assert_eq!(
        afters,
        (0..=500).collect::<Vec<_>>(),
        "every balance from 500 down to 0 exactly once"
    );
    let v = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(v.body["ok"], true, "{}", v.body);
}

async fn same_idempotency_key_fifty_times_charges_once(app: &TestApp) {
    let acct = app.account("Retry").await;
    app.grant(&acct, 100).await;
    let path = Arc::new(format!("{}/v1/accounts/{acct}/credits/debit", app.url));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (client, path, key) = (app.client.clone(), path.clone(), app.service.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({ "credits": 7, "operation": "export", "reference": "export-1" });
            post_with_retries(&client, &path, &key, "same-key-50", &body).await
        }));
    }
    // Those that arrive while the first runs get 409 and retry; in the end all fifty see the
    // first one's response.
    let mut ids = BTreeSet::new();
    for t in tasks {
        let (status, body, _) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        ids.insert(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "every answer is the same ledger entry");
    assert_eq!(app.balance(&acct).await, (93, 0, 93), "charged once");
    let debits = app
        .ledger(&acct)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "usage_debit")
        .count();
    assert_eq!(debits, 1);
    // after the dust settles, a retry replays
    let r = app
        .post_idem(
            &app.service,
            &format!("/v1/accounts/{acct}/credits/debit"),
            "same-key-50",
            json!({ "credits": 7, "operation": "export", "reference": "export-1" }),
        )
        .await
        .expect(200);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
}

async fn same_reference_under_many_keys_charges_once(app: &TestApp) {
    let acct = app.account("Ref").await;
    app.grant(&acct, 100).await;
    let path = Arc::new(format!("{}/v1/accounts/{acct}/credits/debit", app.url));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (client, path, key) = (app.client.clone(), path.clone(), app.service.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({ "credits": 5, "operation": "export", "reference": "one-job" });
            post_with_retries(&client, &path, &key, &format!("k-{i}"), &body).await
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        let (status, body, _) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        ids.insert(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(app.balance(&acct).await, (95, 0, 95));
}
