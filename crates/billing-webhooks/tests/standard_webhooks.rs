#![allow(clippy::unwrap_used, missing_docs)]
//! Our signatures checked by code nobody here wrote: the official `standardwebhooks` library
//! (PyPI, pinned by `scripts/webhooks/setup.sh`) through `scripts/webhooks/verify.py`. It must
//! accept what we sign — with one secret, and with either of two during a rotation — and
//! refuse a tampered body, an old timestamp and the wrong secret.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use billing_webhooks::{WebhookSecret, signed_headers};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The library's verdict on each case, in order.
fn verify(cases: &[Value]) -> Vec<String> {
    let setup = Command::new(repo().join("scripts/webhooks/setup.sh"))
        .output()
        .expect("scripts/webhooks/setup.sh");
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let python = String::from_utf8(setup.stdout).unwrap().trim().to_owned();
    let mut child = Command::new(python)
        .arg(repo().join("scripts/webhooks/verify.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for c in cases {
        writeln!(stdin, "{c}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn case(secret: &WebhookSecret, headers: &[(&str, String); 3], body: &str) -> Value {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    json!({ "secret": secret.expose(), "headers": headers, "body": body })
}

#[test]
fn the_official_library_accepts_our_signatures_and_refuses_forgeries() {
    let now = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let body = r#"{"id":"evt_01kbm4","type":"manual_payment.approved","data":{"amount":2610,"payer":"Müller & Söhne"}}"#;
    let (current, old, other) = (
        WebhookSecret::generate(),
        WebhookSecret::generate(),
        WebhookSecret::generate(),
    );
    let one = signed_headers(&[&current], "evt_01kbm4", now, body.as_bytes());
    let rotating = signed_headers(&[&current, &old], "evt_01kbm4", now, body.as_bytes());
    let stale = signed_headers(&[&current], "evt_01kbm4", now - 600, body.as_bytes());
    let verdicts = verify(&[
        case(&current, &one, body),
        case(&current, &rotating, body),
        case(&old, &rotating, body),
        case(&current, &one, &body.replace("2610", "9999")),
        case(&current, &stale, body),
        case(&other, &one, body),
        case(&old, &one, body),
    ]);
    let ok: Vec<bool> = verdicts.iter().map(|v| v == "ok").collect();
    assert_eq!(
        ok,
        [true, true, true, false, false, false, false],
        "verdicts: {verdicts:#?}"
    );
    assert!(verdicts[4].contains("too old"), "{}", verdicts[4]);
}
