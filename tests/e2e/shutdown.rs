//! `billing serve` on SIGTERM, as a real process: not ready at once but still serving while
//! a load balancer drains it, then it stops accepting, exits cleanly, and leaves the database
//! ready for the next start (nothing locked, nothing half-written).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process, killed when dropped (when an assertion fails before it exits).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &str, port: u16) -> Process {
    Command::new(env!("CARGO_BIN_EXE_billing"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", db)
        .env("BILLING_SHUTDOWN_DRAIN_SECONDS", "2")
        .env("BILLING_LOG", "info")
        .env_remove("BILLING_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Process)
        .expect("start billing serve")
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn sigterm(p: &Process) {
    let ok = Command::new("kill")
        .args(["-TERM", &p.0.id().to_string()])
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
    let mut child = serve(&db, port);
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
        if let Some(s) = child.0.try_wait().unwrap() {
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
    let again = serve(&db, port);
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
