//! `billing serve` on SIGTERM, as a real process: not ready at once but still serving while
//! a load balancer drains it, then it stops accepting, exits cleanly, and leaves the database
//! ready for the next start (nothing locked, nothing half-written).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::processes::{Process, free_port, serve, wait_ready};

/// A short drain period, so the test sees it and does not wait long.
const DRAIN: &[(&str, &str)] = &[("BILLING_SHUTDOWN_DRAIN_SECONDS", "2")];

fn sigterm(p: &Process) {
    let ok = Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_then_stops_and_the_database_is_ready_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("serve.db").display());
    let key = Command::new(env!("CARGO_BIN_EXE_billing"))
        .args(["api-key", "create", "--scope", "admin"])
        .env("DATABASE_URL", &db)
        .env_remove("BILLING_CONFIG")
        .output()
        .unwrap();
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(&db, port, DRAIN);
    wait_ready(&client, &base).await;
    let r = client
        .post(format!("{base}/v1/accounts"))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "name": "Before" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);

    sigterm(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Draining: not ready, so the load balancer stops sending traffic ...
    let r = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "shutting_down");
    // ... while what still arrives is served.
    let r = client
        .post(format!("{base}/v1/accounts"))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "name": "During the drain" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);

    // Then it stops accepting and exits cleanly, well within its bounds.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "nothing listens any more"
    );

    // The next start finds both accounts and a consistent ledger.
    let again = serve(&db, port, DRAIN);
    wait_ready(&client, &base).await;
    let list: serde_json::Value = client
        .get(format!("{base}/v1/accounts"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2, "{list}");
    let verify: serde_json::Value = client
        .get(format!("{base}/v1/admin/credits/verify"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verify["drift"], serde_json::json!([]), "{verify}");
    sigterm(&again);
}
