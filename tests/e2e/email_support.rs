//! Helpers of the e-mail tests: a server mailing to a real SMTP server (aiosmtpd,
//! `billing_mail::testing`), waiting for what it received, and reading it.

use std::time::Duration;

use billing_api::config::Config;
use billing_api::config_mail::SmtpUrl;
use billing_domain::entities::Seller;
use billing_mail::testing::{Received, SmtpSink};
use serde_json::Value;

use crate::invoice_pdfs::pdf_text;
use crate::shop::{NET, Shop, buy, confirm, confirmation, pid};
use crate::support::{Backend, TestApp};

/// The seller on every message.
pub fn seller() -> Seller {
    Seller {
        legal_name: "Nimbus Cloud Ltd".into(),
        address: vec![
            "1 Harbour Road".into(),
            "Dublin D02".into(),
            "Ireland".into(),
        ],
        tax_id: Some("IE6388047V".into()),
        email: Some("accounts@nimbus.example".into()),
    }
}

/// A server mailing to `sink`, its worker passing every 100 ms.
pub async fn app_mailing_to(backend: Backend, sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    TestApp::start_with(backend, move |c: &mut Config| mail_to(c, url)).await
}

pub fn mail_to(c: &mut Config, url: String) {
    mail_settings(c, url);
    c.sweep_interval = Duration::from_millis(100);
}

/// Mail to `url` from the seller (the worker's interval left as it is).
pub fn mail_settings(c: &mut Config, url: String) {
    c.seller = seller();
    c.mail.enabled = true;
    c.mail.smtp_url = Some(SmtpUrl(url));
    c.mail.from = "Nimbus Billing <billing@nimbus.example>".into();
    c.mail.reply_to = Some("accounts@nimbus.example".into());
}

/// Waits (up to 20 s) until the sink holds `n` messages; returns them.
pub async fn wait_for(sink: &SmtpSink, n: usize) -> Vec<Received> {
    for _ in 0..200 {
        let got = sink.received();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} messages, got {:#?}", sink.received());
}

/// The header block of a raw message, unfolded.
pub fn headers(raw: &str) -> String {
    raw.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .replace("\r\n ", " ")
}

pub fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.split("\r\n\r\n")
        .next()?
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// The admin e-mail list with `query`.
pub async fn emails(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app
        .get(&app.admin, &format!("/v1/admin/emails{query}"))
        .await
        .expect(200);
    r.body["data"].as_array().unwrap().clone()
}

/// Waits until the account's messages are all out of the queue.
pub async fn settled(app: &TestApp, acct: &str) -> Vec<Value> {
    for _ in 0..200 {
        let list = emails(app, &format!("?account_id={acct}")).await;
        if list.iter().all(|e| e["status"] != "queued") {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("messages of {acct} still queued");
}

pub fn only_pdf(m: &Received) -> (String, String) {
    assert_eq!(m.attachments.len(), 1, "one attachment: {:?}", m.subject);
    let (name, bytes) = &m.attachments[0];
    assert!(bytes.starts_with(b"%PDF-"), "{name} is a PDF");
    (name.clone(), pdf_text(bytes))
}

/// Buys by transfer and confirms, as `s`; returns the payment id.
pub async fn bought_and_confirmed(app: &TestApp, s: &Shop) -> (String, String) {
    let purchase = buy(app, s).await;
    confirm(app, s, &pid(&purchase), confirmation(&purchase, NET))
        .await
        .expect(200);
    let number = purchase["invoice"]["number"].as_str().unwrap().to_owned();
    (pid(&purchase), number)
}

pub async fn wait_attempts(sink: &SmtpSink, n: usize) {
    for _ in 0..200 {
        if sink.attempts().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} SMTP attempts, got {:?}", sink.attempts());
}

/// The subject of every message received so far, in order.
pub fn subjects(sink: &SmtpSink) -> Vec<String> {
    sink.received().into_iter().map(|m| m.subject).collect()
}
