//! Test harness (feature `testing`): a real SMTP server to deliver to — aiosmtpd, from
//! `scripts/mail/smtp_sink.py`, installed pinned into `target/mail-venv` by
//! `scripts/mail/setup.sh` — and what it received, parsed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use mail_parser::MimeHeaders;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running SMTP server storing what it accepts; stopped on drop.
pub struct SmtpSink {
    port: u16,
    dir: tempfile::TempDir,
    _child: Child,
}

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The bytes received, with the envelope in `X-Envelope-From`/`-To` headers first.
    pub raw: String,
    /// `RCPT TO` addresses.
    pub envelope_to: String,
    /// Decoded subject.
    pub subject: String,
    /// Decoded plain-text body.
    pub text: String,
    /// Decoded HTML body.
    pub html: String,
    /// Attachments: file name and bytes.
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl SmtpSink {
    /// Starts a server; `fail` is `451:2` (the first two DATA answered 451) or `550:*`.
    pub async fn start(fail: Option<&str>) -> Self {
        let setup = std::process::Command::new(repo().join("scripts/mail/setup.sh"))
            .output()
            .expect("scripts/mail/setup.sh");
        assert!(
            setup.status.success(),
            "{}",
            String::from_utf8_lossy(&setup.stderr)
        );
        let python = String::from_utf8(setup.stdout).unwrap().trim().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(python);
        cmd.arg(repo().join("scripts/mail/smtp_sink.py"))
            .arg(dir.path());
        if let Some(f) = fail {
            cmd.args(["--fail", f]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP sink");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next_line()
            .await
            .unwrap()
            .expect("the sink says its port");
        let port = first.strip_prefix("PORT ").unwrap().parse().unwrap();
        Self {
            port,
            dir,
            _child: child,
        }
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The raw messages stored so far, oldest first.
    pub fn stored(&self) -> Vec<String> {
        let mut n = 1;
        let mut out = vec![];
        while let Ok(m) = std::fs::read_to_string(self.dir.path().join(format!("{n}.eml"))) {
            out.push(m);
            n += 1;
        }
        out
    }

    /// The messages stored so far, parsed.
    pub fn received(&self) -> Vec<Received> {
        self.stored().into_iter().map(|raw| parse(&raw)).collect()
    }

    /// The answer code of every DATA received, in order.
    pub fn attempts(&self) -> Vec<String> {
        read_lines(&self.dir.path().join("attempts.log"))
    }
}

fn read_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Parses a received message.
pub fn parse(raw: &str) -> Received {
    let m = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a MIME message");
    let envelope_to = raw
        .lines()
        .find_map(|l| l.strip_prefix("X-Envelope-To: "))
        .unwrap_or_default()
        .to_owned();
    Received {
        raw: raw.to_owned(),
        envelope_to,
        subject: m.subject().unwrap_or_default().to_owned(),
        text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        attachments: m
            .attachments()
            .map(|a| {
                (
                    a.attachment_name().unwrap_or_default().to_owned(),
                    a.contents().to_vec(),
                )
            })
            .collect(),
    }
}
