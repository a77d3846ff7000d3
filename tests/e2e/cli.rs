//! The `billing` binary: migrate, seed (idempotent), api-key create (secret alone on stdout).

use std::process::Command;

use billing_api::config::Config;

fn billing(db: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_billing"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("BILLING_LOG", "info")
        .env_remove("BILLING_CONFIG")
        .output()
        .expect("run billing");
    assert!(
        out.status.success(),
        "billing {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_seed_and_create_a_key_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    billing(&db, &["migrate"]);
    let first = billing(&db, &["seed"]);
    assert!(String::from_utf8_lossy(&first.stderr).contains("packages=4 plans=5"));
    assert!(first.stdout.is_empty(), "logs go to stderr");
    let second = billing(&db, &["seed"]);
    assert!(
        String::from_utf8_lossy(&second.stderr)
            .contains("packages=0 plans=0 payment_method_configs=0"),
        "a second seed creates nothing"
    );
    let out = billing(
        &db,
        &["api-key", "create", "--scope", "admin", "--name", "cli"],
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "the secret alone: {stdout:?}");
    let secret = lines[0].to_owned();
    assert!(secret.starts_with("bk_admin_"));
    // the key works against a server on the same database
    let server =
        tokio::task::spawn_blocking(move || billing_api::server::start(Config::for_tests(db)))
            .await
            .unwrap()
            .expect("server");
    let res = reqwest::Client::new()
        .get(format!("{}/v1/admin/credit-packages", server.url()))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 4);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_every_committed_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("live.db").display());
    billing(&db, &["migrate"]);
    billing(&db, &["seed"]);
    let admin = String::from_utf8(billing(&db, &["api-key", "create", "--scope", "admin"]).stdout)
        .unwrap()
        .trim()
        .to_owned();
    let live = db.clone();
    let server =
        tokio::task::spawn_blocking(move || billing_api::server::start(Config::for_tests(live)))
            .await
            .unwrap()
            .expect("server");
    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{}/v1/accounts", server.url()))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": "Kept", "external_id": "kept-1" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let copy = dir.path().join("copy.db");
    let copy_arg = copy.display().to_string();
    // Taken while the server holds the database open.
    billing(&db, &["backup", "--to", &copy_arg]);
    // Never over an existing file.
    let again = Command::new(env!("CARGO_BIN_EXE_billing"))
        .args(["backup", "--to", &copy_arg])
        .env("DATABASE_URL", &db)
        .env_remove("BILLING_CONFIG")
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("never overwrites"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    // The copy is a working database: the same key and the account are in it.
    let restored = format!("sqlite://{}", copy.display());
    let server2 = tokio::task::spawn_blocking(move || {
        billing_api::server::start(Config::for_tests(restored))
    })
    .await
    .unwrap()
    .expect("server on the copy");
    let found: serde_json::Value = client
        .get(format!("{}/v1/accounts?external_id=kept-1", server2.url()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["data"][0]["id"], created["id"], "{found}");
    let verify: serde_json::Value = client
        .get(format!("{}/v1/admin/credits/verify", server2.url()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verify["drift"], serde_json::json!([]), "{verify}");
}
