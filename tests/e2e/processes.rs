//! Real `billing serve` processes for the tests that need more than this test's own server:
//! several processes on one database, a kill, a shutdown by signal.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, killed when dropped (also when an assertion fails first). Its log goes
/// to a file whose warnings and errors are printed if the test fails, so a failure says what the server saw.
pub struct Process {
    /// The running `billing serve`.
    pub child: Child,
    log: PathBuf,
}

impl Process {
    /// SIGKILL now, without warning; the log stays for the failure report.
    pub fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill_now();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            // Warnings and errors are what explain a failure; request lines would bury them,
            // and so would the expected takeovers of keys a kill left unfinished.
            let lines: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                .filter(|l| !l.contains("outlived its lease"))
                .collect();
            let tail = &lines[lines.len().saturating_sub(30)..];
            eprintln!(
                "--- warnings and errors of {} ---\n{}",
                self.log.display(),
                tail.join("\n")
            );
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `billing serve` on `db` at `127.0.0.1:port`, with `env` on top of the defaults (no
/// failed-authentication throttle: tests send from one address).
pub fn serve(db: &str, port: u16, env: &[(&str, &str)]) -> Process {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_billing"));
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", db)
        .env("BILLING_AUTH_FAILURE_LIMIT", "0")
        // No .eml files in the test's directory; the mail tests turn it on with their SMTP server.
        .env("BILLING_MAIL_ENABLED", "false")
        .env_remove("BILLING_CONFIG")
        .stdout(Stdio::null());
    let log = std::env::temp_dir().join(format!(
        "billing-serve-{port}-{}-{}.log",
        std::process::id(),
        next_log_number()
    ));
    let file = std::fs::File::create(&log).expect("create the server log");
    cmd.stderr(file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start billing serve");
    Process { child, log }
}

/// Waits until `url` answers `/readyz` with 200 (30 s at most).
pub async fn wait_ready(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{url}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A name part unique within this test process (two servers on one port, one after the other).
fn next_log_number() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
