//! Delivery to a real SMTP server: aiosmtpd (`scripts/mail/smtp_sink.py`, installed into
//! `target/mail-venv` by `scripts/mail/setup.sh`), which stores what it accepts and can be
//! told to answer 451 or 550.

#![allow(clippy::unwrap_used, missing_docs)]

use billing_domain::ports::{MailAttachment, MailError, MailMessage, Mailer};
use billing_mail::testing::SmtpSink;
use billing_mail::{FileMailer, Sender, SmtpMailer};

/// The sink and a mailer delivering to it.
async fn sink(fail: Option<&str>) -> (SmtpSink, SmtpMailer) {
    let sink = SmtpSink::start(fail).await;
    let sender = Sender::new(
        "Nimbus Billing <billing@nimbus.example>",
        Some("help@nimbus.example"),
    )
    .unwrap();
    let mailer = SmtpMailer::new(&sink.url(), sender).unwrap();
    (sink, mailer)
}

fn message() -> MailMessage {
    MailMessage {
        message_id: "eml_01kbm4example@billing.local".into(),
        to: "buchhaltung@mueller.example".into(),
        to_name: Some("Müller & Söhne GmbH".into()),
        subject: "Receipt for invoice INV-2026-000042".into(),
        text: "Thank you: we received EUR 26.10.".into(),
        html: "<p>Thank you: we received <strong>EUR 26.10</strong>.</p>".into(),
        attachments: vec![MailAttachment {
            filename: "INV-2026-000042.pdf".into(),
            content_type: "application/pdf".into(),
            // Binary, as a real PDF is: sent base64-encoded.
            bytes: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
        }],
    }
}

/// The message's header block (up to the first empty line), unfolded.
fn headers(raw: &str) -> String {
    raw.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ")
}

#[tokio::test]
async fn a_message_arrives_once_with_both_bodies_and_the_attachment() {
    let (sink, mailer) = sink(None).await;
    mailer.send(&message()).await.unwrap();
    let stored = sink.stored();
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    let h = headers(m);
    for expected in [
        "X-Envelope-To: buchhaltung@mueller.example",
        "X-Envelope-From: billing@nimbus.example",
        "Message-ID: <eml_01kbm4example@billing.local>",
        "Subject: Receipt for invoice INV-2026-000042",
        "Reply-To: help@nimbus.example",
    ] {
        assert!(h.contains(expected), "{expected:?} in:\n{h}");
    }
    assert!(h.contains("buchhaltung@mueller.example>"), "{h}");
    for expected in [
        "Content-Type: text/plain; charset=utf-8",
        "Content-Type: text/html; charset=utf-8",
        "Content-Type: application/pdf",
        "filename=\"INV-2026-000042.pdf\"",
        "Content-Transfer-Encoding: base64",
        "JVBERi0xLjcKJeLjz9MK", // the attachment
    ] {
        assert!(m.contains(expected), "{expected:?} in:\n{m}");
    }
}

#[tokio::test]
async fn a_451_is_temporary_and_a_later_attempt_delivers() {
    let (sink, mailer) = sink(Some("451:2")).await;
    for _ in 0..2 {
        match mailer.send(&message()).await {
            Err(MailError::Transient(m)) => {
                assert!(m.contains("451") || m.contains("Try again"), "{m}")
            }
            other => panic!("expected a temporary failure, got {other:?}"),
        }
    }
    mailer.send(&message()).await.unwrap();
    assert_eq!(sink.stored().len(), 1);
    assert_eq!(sink.attempts(), ["451", "451", "250"]);
}

#[tokio::test]
async fn a_550_is_permanent() {
    let (sink, mailer) = sink(Some("550:*")).await;
    match mailer.send(&message()).await {
        Err(MailError::Permanent(m)) => {
            assert!(m.contains("550") || m.contains("unavailable"), "{m}")
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    assert!(sink.stored().is_empty());
}

#[tokio::test]
async fn line_breaks_in_a_name_or_subject_cannot_add_headers() {
    let (sink, mailer) = sink(None).await;
    let mut m = message();
    m.subject = "Your invoice\r\nBcc: thief@evil.example".into();
    m.to_name = Some("Evil\r\nBcc: thief2@evil.example\r\n".into());
    mailer.send(&m).await.unwrap();
    let raw = &sink.stored()[0];
    assert!(
        headers(raw).contains("X-Envelope-To: buchhaltung@mueller.example\r\n"),
        "one recipient:\n{raw}"
    );
    assert!(
        !raw.lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "no header was added:\n{raw}"
    );
}

#[tokio::test]
async fn without_smtp_messages_are_written_as_eml_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("outbox-mail");
    let mailer = FileMailer::new(&out, Sender::new("billing@nimbus.example", None).unwrap());
    assert!(mailer.describe().contains("outbox-mail"));
    mailer.send(&message()).await.unwrap();
    let raw = std::fs::read_to_string(out.join("eml_01kbm4example_billing.local.eml")).unwrap();
    assert!(
        raw.contains("Subject: Receipt for invoice INV-2026-000042"),
        "{raw}"
    );
}

#[test]
fn bad_settings_are_refused_and_the_password_is_never_shown() {
    assert!(Sender::new("not an address", None).is_err());
    let sender = Sender::new("billing@nimbus.example", None).unwrap();
    assert!(SmtpMailer::new("http://mail.example", sender.clone()).is_err());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let m = SmtpMailer::new("smtp+starttls://user:s3cret@mail.example:587", sender).unwrap();
    assert_eq!(m.describe(), "SMTP smtp+starttls://mail.example:587");
}
