//! The served document is the contract, checked by the project-pinned tools (installed by
//! `scripts/contract/setup.sh` into `target/contract-venv`): `openapi-spec-validator` over
//! `/openapi.json`, and schemathesis — every check, positive and negative data, the stateful
//! links between operations — against the real server on SQLite, failing on any finding.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{Backend, TestApp};

/// The contract venv's `bin` directory.
fn tools() -> PathBuf {
    let out = Command::new(repo().join("scripts/contract/setup.sh"))
        .output()
        .expect("scripts/contract/setup.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_passes_openapi_spec_validator() {
    let app = TestApp::start(Backend::Sqlite).await;
    let doc = app
        .client
        .get(format!("{}/openapi.json", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, doc).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(tools().join("openapi-spec-validator"))
            .arg(&path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    app.stop().await;
}

/// Schemathesis with `scripts/contract/schemathesis.toml` (which answers count as expected
/// and why): zero findings. The key revocation is left out because it would revoke the key
/// the run authenticates with; `use_after_free` is off because DELETE archives packages and
/// plans, which stay readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_disagreement_between_the_document_and_the_server() {
    let app = TestApp::start(Backend::Sqlite).await;
    let (url, admin) = (format!("{}/openapi.json", app.url), app.admin.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(tools().join("schemathesis"))
            .arg("--config-file")
            .arg(repo().join("scripts/contract/schemathesis.toml"))
            .args(["run", &url, "-H", &format!("Authorization: Bearer {admin}")])
            .args(["--checks", "all", "--exclude-checks", "use_after_free"])
            .args(["--exclude-operation-id", "delete_admin_api_keys_by_id"])
            .args(["--seed", "20261203", "--no-color"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found disagreements:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("Tested: "), "{report}");
    app.stop().await;
}
