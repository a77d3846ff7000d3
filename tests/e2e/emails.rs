//! Transactional e-mail over real HTTP and real SMTP (aiosmtpd, `billing_mail::testing`), on
//! both stores: a package bought by bank transfer mails the instructions with the invoice
//! PDF, its approval mails the receipt with the paid PDF; a rejection says why; operators
//! list and resend; a 451 is retried until delivered once, a 550 fails once; a billing name
//! with a line break adds no header; two server processes on one database send each message
//! once.

use std::time::Duration;

use billing_api::config::Config;
use billing_api::config_mail::SmtpUrl;
use billing_domain::entities::Seller;
use billing_mail::testing::{Received, SmtpSink};
use serde_json::{Value, json};

use crate::invoice_pdfs::pdf_text;
use crate::processes::{free_port, serve, wait_ready};
use crate::shop::{NET, Shop, buy, confirm, confirmation, pid, shop};
use crate::subscription_support::approve;
use crate::support::{Backend, TestApp};

crate::backend_fns!(
    sqlite, postgres;
    a_transfer_mails_instructions_then_the_receipt_with_its_pdf,
    a_rejection_says_why_and_operators_list_and_resend,
    a_451_is_retried_until_delivered_once_and_a_550_fails_once,
);

/// The seller on every message.
fn seller() -> Seller {
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
async fn app_mailing_to(backend: Backend, sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    TestApp::start_with(backend, move |c: &mut Config| mail_to(c, url)).await
}

fn mail_to(c: &mut Config, url: String) {
    mail_settings(c, url);
    c.sweep_interval = Duration::from_millis(100);
}

/// Mail to `url` from the seller (the worker's interval left as it is).
fn mail_settings(c: &mut Config, url: String) {
    c.seller = seller();
    c.mail.enabled = true;
    c.mail.smtp_url = Some(SmtpUrl(url));
    c.mail.from = "Nimbus Billing <billing@nimbus.example>".into();
    c.mail.reply_to = Some("accounts@nimbus.example".into());
}

/// Waits (up to 20 s) until the sink holds `n` messages; returns them.
async fn wait_for(sink: &SmtpSink, n: usize) -> Vec<Received> {
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
fn headers(raw: &str) -> String {
    raw.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .replace("\r\n ", " ")
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.split("\r\n\r\n")
        .next()?
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// The admin e-mail list with `query`.
async fn emails(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app
        .get(&app.admin, &format!("/v1/admin/emails{query}"))
        .await
        .expect(200);
    r.body["data"].as_array().unwrap().clone()
}

/// Waits until the account's messages are all out of the queue.
async fn settled(app: &TestApp, acct: &str) -> Vec<Value> {
    for _ in 0..200 {
        let list = emails(app, &format!("?account_id={acct}")).await;
        if list.iter().all(|e| e["status"] != "queued") {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("messages of {acct} still queued");
}

fn only_pdf(m: &Received) -> (String, String) {
    assert_eq!(m.attachments.len(), 1, "one attachment: {:?}", m.subject);
    let (name, bytes) = &m.attachments[0];
    assert!(bytes.starts_with(b"%PDF-"), "{name} is a PDF");
    (name.clone(), pdf_text(bytes))
}

async fn a_transfer_mails_instructions_then_the_receipt_with_its_pdf(backend: Backend) {
    let sink = SmtpSink::start(None).await;
    let app = app_mailing_to(backend, &sink).await;
    let s = shop(&app).await;
    let purchase = buy(&app, &s).await;
    let number = purchase["invoice"]["number"].as_str().unwrap().to_owned();
    let reference = purchase["next_action"]["reference"]
        .as_str()
        .unwrap()
        .to_owned();

    let got = wait_for(&sink, 1).await;
    let m = &got[0];
    assert_eq!(m.envelope_to, "pay@customer.example");
    assert_eq!(
        m.subject,
        format!("How to pay EUR 26.10 for invoice {number}")
    );
    let h = headers(&m.raw);
    assert!(h.contains("Reply-To: accounts@nimbus.example"), "{h}");
    assert!(h.contains("Kunde GmbH"), "the billing name: {h}");
    for want in [
        "Hello Kunde GmbH,",
        "please send EUR 26.10 by bank transfer",
        "IBAN: DE89370400440532013000",
        "BIC: COBADEFFXXX",
        &format!("Reference: {reference}"),
        &format!("Invoice: {number}"),
        "Pay by: ",
        "Transfer the exact amount and quote the reference.",
        "Nimbus Cloud Ltd, 1 Harbour Road, Dublin D02, Ireland",
    ] {
        assert!(m.text.contains(want), "{want:?} in:\n{}", m.text);
    }
    assert!(m.html.contains("DE89370400440532013000"), "{}", m.html);
    let (name, pdf) = only_pdf(m);
    assert_eq!(name, format!("{number}.pdf"));
    for want in [
        number.as_str(),
        "Kunde GmbH",
        "Nimbus Cloud Ltd",
        &reference,
    ] {
        assert!(pdf.contains(want), "{want:?} in the PDF:\n{pdf}");
    }

    confirm(&app, &s, &pid(&purchase), confirmation(&purchase, NET))
        .await
        .expect(200);
    approve(&app, &pid(&purchase)).await;
    let got = wait_for(&sink, 2).await;
    let receipt = &got[1];
    assert_eq!(receipt.envelope_to, "pay@customer.example");
    assert_eq!(
        receipt.subject,
        format!("Payment received for invoice {number}")
    );
    for want in [
        "we received your bank transfer of EUR 26.10 and approved it",
        &format!("Invoice {number} is paid."),
        "Amount received: EUR 26.10",
    ] {
        assert!(
            receipt.text.contains(want),
            "{want:?} in:\n{}",
            receipt.text
        );
    }
    let (_, paid_pdf) = only_pdf(receipt);
    assert!(paid_pdf.contains("PAID"), "{paid_pdf}");
    assert!(
        !paid_pdf.contains(&reference),
        "no transfer block once paid"
    );
    assert_ne!(
        header(&m.raw, "Message-ID"),
        header(&receipt.raw, "Message-ID")
    );

    // Exactly these two: the approval sent twice mails nothing more.
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{}/approve", pid(&purchase)),
        json!({}),
    )
    .await;
    let list = settled(&app, &s.acct).await;
    let kinds: Vec<&str> = list.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["payment_approved", "payment_instructions"]);
    assert!(list.iter().all(|e| e["status"] == "sent"));
    assert!(
        list.iter()
            .all(|e| e["attempts"].as_array().unwrap().len() == 1)
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.stored().len(), 2);
    app.stop().await;
}

/// Buys by transfer and confirms, as `s`; returns the payment id.
async fn bought_and_confirmed(app: &TestApp, s: &Shop) -> (String, String) {
    let purchase = buy(app, s).await;
    confirm(app, s, &pid(&purchase), confirmation(&purchase, NET))
        .await
        .expect(200);
    let number = purchase["invoice"]["number"].as_str().unwrap().to_owned();
    (pid(&purchase), number)
}

async fn a_rejection_says_why_and_operators_list_and_resend(backend: Backend) {
    let sink = SmtpSink::start(None).await;
    let app = app_mailing_to(backend, &sink).await;
    let s = shop(&app).await;
    let (payment, number) = bought_and_confirmed(&app, &s).await;
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{payment}/reject"),
        json!({ "reason": "No transfer with this reference reached our account" }),
    )
    .await
    .expect(200);
    let got = wait_for(&sink, 2).await;
    let rejected = got
        .iter()
        .find(|m| m.subject.starts_with("We could not confirm"))
        .unwrap();
    assert_eq!(
        rejected.subject,
        format!("We could not confirm your payment for invoice {number}")
    );
    for want in [
        "Reason: No transfer with this reference reached our account",
        "confirm the payment again in your account",
    ] {
        assert!(
            rejected.text.contains(want),
            "{want:?} in:\n{}",
            rejected.text
        );
    }
    assert!(rejected.attachments.is_empty());

    // A billing name with a line break cannot add a header.
    let evil = app
        .post(
            &app.service,
            "/v1/accounts",
            json!({ "name": "Evil", "billing_profile": {
                "legal_name": "Evil Corp\r\nBcc: thief@evil.example", "billing_email": "evil@customer.example",
                "address": { "line1": "Hauptstr. 2", "city": "Berlin", "country": "DE" }, "preferred_currency": "EUR" } }),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let evil_shop = Shop {
        key: app.account_key(&evil).await,
        acct: evil,
        package: s.package.clone(),
    };
    buy(&app, &evil_shop).await;
    let got = wait_for(&sink, 3).await;
    let m = got
        .iter()
        .find(|m| m.envelope_to == "evil@customer.example")
        .unwrap();
    let head = headers(&m.raw);
    assert!(
        !head
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "no header was added:\n{head}"
    );
    assert!(
        m.text.contains("Hello Evil Corp Bcc: thief@evil.example,"),
        "one line: {}",
        m.text
    );
    assert_eq!(m.envelope_to, "evil@customer.example", "one recipient");

    // Operators: filters, one message, resend.
    let all = settled(&app, &s.acct).await;
    assert_eq!(all.len(), 2);
    let only = emails(
        &app,
        &format!("?account_id={}&kind=payment_rejected", s.acct),
    )
    .await;
    assert_eq!(only.len(), 1);
    let id = only[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(only[0]["to"], "pay@customer.example");
    assert_eq!(emails(&app, "?status=failed").await, Vec::<Value>::new());
    let one = app
        .get(&app.admin, &format!("/v1/admin/emails/{id}"))
        .await
        .expect(200);
    assert_eq!(one.body["attempts"][0]["outcome"], "sent");
    for (query, field) in [("kind=postcard", "kind"), ("status=lost", "status")] {
        let r = app
            .get(&app.admin, &format!("/v1/admin/emails?{query}"))
            .await
            .expect(400);
        assert_eq!(r.param(), Some(field));
    }
    app.get(&s.key, "/v1/admin/emails").await.expect(403);
    app.get(
        &app.admin,
        "/v1/admin/emails/eml_01kzzzzzzzzzzzzzzzzzzzzzzz",
    )
    .await
    .expect(404);

    let copy = app
        .post(
            &app.admin,
            &format!("/v1/admin/emails/{id}/resend"),
            json!({}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(copy["resent_from"], id.as_str());
    assert_eq!(copy["status"], "queued");
    let got = wait_for(&sink, 4).await;
    let again = &got[3];
    assert_eq!(again.subject, rejected.subject);
    assert_ne!(
        header(&again.raw, "Message-ID"),
        header(&rejected.raw, "Message-ID")
    );
    let audit = app
        .get(&app.admin, "/v1/admin/audit-log?action=email.resend")
        .await
        .expect(200);
    assert_eq!(audit.body["data"][0]["target_id"], id.as_str());
    app.stop().await;
}

async fn a_451_is_retried_until_delivered_once_and_a_550_fails_once(backend: Backend) {
    let sink = SmtpSink::start(Some("451:2")).await;
    let app = app_mailing_to(backend, &sink).await;
    let s = shop(&app).await;
    buy(&app, &s).await;
    // 451, then the retries' waits (1 min, 2 min) pass on the server's clock.
    for (answers, wait) in [(1, 61), (2, 121)] {
        wait_attempts(&sink, answers).await;
        let list = emails(&app, &format!("?account_id={}", s.acct)).await;
        assert_eq!(list[0]["status"], "queued", "{list:?}");
        app.clock.advance(time::Duration::seconds(wait));
    }
    let got = wait_for(&sink, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(sink.attempts(), ["451", "451", "250"]);
    let list = settled(&app, &s.acct).await;
    let outcomes: Vec<&str> = list[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["deferred", "deferred", "sent"]);
    assert!(
        list[0]["attempts"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("451")
    );
    app.stop().await;

    let refusing = SmtpSink::start(Some("550:*")).await;
    let app = app_mailing_to(backend, &refusing).await;
    let s = shop(&app).await;
    buy(&app, &s).await;
    wait_attempts(&refusing, 1).await;
    let list = settled(&app, &s.acct).await;
    assert_eq!(list[0]["status"], "failed");
    assert!(
        list[0]["attempts"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("550")
    );
    let failed = emails(&app, "?status=failed").await;
    assert_eq!(failed.len(), 1);
    // Not retried, however long one waits.
    app.clock.advance(time::Duration::hours(2));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(refusing.attempts(), ["550"]);
    app.stop().await;
}

async fn wait_attempts(sink: &SmtpSink, n: usize) {
    for _ in 0..200 {
        if sink.attempts().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} SMTP attempts, got {:?}", sink.attempts());
}

/// Two real `billing serve` processes mail from one PostgreSQL database (this test's own
/// server sends nothing): each of twelve purchases is mailed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_send_each_message_once() {
    let sink = SmtpSink::start(None).await;
    let app = TestApp::start(Backend::Postgres).await;
    let smtp = sink.url();
    let env = [
        ("BILLING_SMTP_URL", smtp.as_str()),
        ("BILLING_MAIL_ENABLED", "true"),
        ("BILLING_MAIL_FROM", "billing@nimbus.example"),
        ("BILLING_SWEEP_INTERVAL_SECONDS", "1"),
        ("BILLING_WORKERS", "1"),
        ("BILLING_DB_POOL_SIZE", "4"),
    ];
    let mut processes = Vec::new();
    for _ in 0..2 {
        let port = free_port();
        processes.push(serve(&app.db_url, port, &env));
        wait_ready(&app.client, &format!("http://127.0.0.1:{port}")).await;
    }
    let s = shop(&app).await;
    let mut purchases = Vec::new();
    for _ in 0..12 {
        purchases.push(buy(&app, &s).await);
    }
    wait_for(&sink, 12).await;
    // Both processes keep polling for a while: nothing more arrives.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = sink.received();
    assert_eq!(
        got.len(),
        12,
        "{:?}",
        got.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let mut ids: Vec<&str> = got
        .iter()
        .filter_map(|m| header(&m.raw, "Message-ID"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12, "twelve distinct messages");
    let mut numbers: Vec<String> = got
        .iter()
        .map(|m| m.subject.rsplit(' ').next().unwrap().to_owned())
        .collect();
    numbers.sort();
    let mut expected: Vec<String> = purchases
        .iter()
        .map(|p| p["invoice"]["number"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(numbers, expected, "one per invoice");
    drop(processes);
    app.stop().await;
}

/// The subject of every message received so far, in order.
fn subjects(sink: &SmtpSink) -> Vec<String> {
    sink.received().into_iter().map(|m| m.subject).collect()
}

/// Every other trigger sends its message: a refund, a low balance, an operator's invoice, a
/// subscription's trial ending and its cancellation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_trigger_mails_its_message() {
    use crate::subscription_support::{advance, monthly_plan, subscribe};
    let sink = SmtpSink::start(None).await;
    let url = sink.url();
    let app = TestApp::start_with(Backend::Sqlite, move |c: &mut Config| {
        mail_to(c, url);
        c.test_mode = true;
    })
    .await;
    let s = shop(&app).await;
    app.patch(
        &app.service,
        &format!("/v1/accounts/{}", s.acct),
        json!({ "low_balance_threshold": 1500 }),
    )
    .await
    .expect(200);
    let (payment, number) = bought_and_confirmed(&app, &s).await;
    approve(&app, &payment).await;
    wait_for(&sink, 2).await;

    // A refund claws credits back below the threshold: two messages.
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{payment}/refunds"),
        json!({ "amount": 1000, "reason": "Duplicate order" }),
    )
    .await
    .expect(201);
    let got = wait_for(&sink, 4).await;
    let refund = got
        .iter()
        .find(|m| m.subject == "Refund of EUR 10.00 issued")
        .unwrap();
    for want in [
        "We have refunded EUR 10.00 to your bank transfer",
        &format!("for invoice {number}"),
        "Reason: Duplicate order",
    ] {
        assert!(refund.text.contains(want), "{want:?} in:\n{}", refund.text);
    }
    let low = got
        .iter()
        .find(|m| m.subject.starts_with("Your credit balance is low"))
        .unwrap();
    assert!(
        low.text
            .contains("below the 1,500 credits you asked us to warn you at"),
        "{}",
        low.text
    );

    // An operator's invoice, finalized: issued, with its PDF.
    let inv = app
        .post(
            &app.admin,
            "/v1/admin/invoices",
            json!({ "account_id": s.acct, "currency": "EUR", "finalize": true,
                "lines": [{ "description": "Onboarding workshop", "quantity": 2, "unit_amount": 2500 }] }),
        )
        .await
        .expect(201)
        .body;
    let inv_number = inv["number"].as_str().unwrap().to_owned();
    let got = wait_for(&sink, 5).await;
    let issued = &got[4];
    assert!(
        issued.subject.starts_with(&format!(
            "Invoice {inv_number} from Nimbus Cloud Ltd: EUR 50.00, due "
        )),
        "{}",
        issued.subject
    );
    let (name, pdf) = only_pdf(issued);
    assert_eq!(name, format!("{inv_number}.pdf"));
    assert!(pdf.contains("Onboarding workshop"), "{pdf}");

    // A trial: its end is announced three days before; canceling is confirmed.
    let plan = monthly_plan(
        &app,
        "team",
        json!({ "retry_days": [1], "final_action": "cancel" }),
    )
    .await;
    let created = subscribe(
        &app,
        &s.key,
        &s.acct,
        json!({ "plan_id": plan, "payment_method": "bank_transfer", "trial_days": 7 }),
    )
    .await;
    let sid = created["subscription"]["id"].as_str().unwrap().to_owned();
    advance(&app, "P5D").await;
    let got = wait_for(&sink, 6).await;
    let trial = &got[5];
    assert!(
        trial.subject.starts_with("Your Team trial ends on "),
        "{:?}",
        subjects(&sink)
    );
    app.post(
        &s.key,
        &format!("/v1/accounts/{}/subscriptions/{sid}/cancel", s.acct),
        json!({}),
    )
    .await
    .expect(200);
    let got = wait_for(&sink, 7).await;
    let canceled = &got[6];
    assert_eq!(canceled.subject, "Your Team subscription is canceled");
    assert!(
        canceled.text.contains("because you canceled it"),
        "{}",
        canceled.text
    );
    app.stop().await;
}

/// A card subscription: its first payment's receipt, a declined renewal's "payment failed"
/// with the next attempt, then the recovered renewal's "renewal paid" with the paid PDF.
/// (In test mode the mail goes out at the instants the test clock steps through.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_subscription_mails_its_receipt_a_failed_renewal_and_the_paid_one() {
    use crate::subscription_support::advance;
    let sink = SmtpSink::start(None).await;
    let url = sink.url();
    let (app, _stripe, charges, _acct, _sid) = crate::subscriptions_stripe::subscribed_with(
        Backend::Sqlite,
        json!(null),
        move |c: &mut Config| mail_settings(c, url),
    )
    .await;
    advance(&app, "PT1S").await;
    let got = wait_for(&sink, 1).await;
    assert!(
        got[0].subject.starts_with("Receipt for invoice "),
        "{}",
        got[0].subject
    );
    assert!(got[0].text.contains("Paid by: card"), "{}", got[0].text);
    only_pdf(&got[0]);

    charges.then(&[Some("insufficient_funds"), None]);
    advance(&app, "P1M").await;
    let got = wait_for(&sink, 2).await;
    let failed = &got[1];
    assert_eq!(
        failed.subject,
        "Payment failed for your Team subscription — action needed"
    );
    for want in [
        "We could not collect EUR 19.00 for your Team subscription",
        "Next attempt: ",
    ] {
        assert!(failed.text.contains(want), "{want:?} in:\n{}", failed.text);
    }
    assert!(failed.attachments.is_empty());

    advance(&app, "P3D").await;
    let got = wait_for(&sink, 3).await;
    let renewed = &got[2];
    assert_eq!(renewed.subject, "Your Team subscription has renewed");
    assert!(
        renewed.text.contains("Amount paid: EUR 19.00"),
        "{}",
        renewed.text
    );
    let (_, pdf) = only_pdf(renewed);
    assert!(pdf.contains("PAID"), "{pdf}");
    assert_eq!(sink.received().len(), 3, "{:?}", subjects(&sink));
    app.stop().await;
}
