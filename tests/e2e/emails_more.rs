//! More e-mail over real SMTP, on one store each: two server processes on one PostgreSQL
//! send each message once; on SQLite a refund, a low balance, an operator's invoice, a
//! trial's end, a cancellation, and a card subscription's receipt, failed renewal and paid
//! renewal each mail their message.

use std::time::Duration;

use billing_api::config::Config;
use billing_mail::testing::SmtpSink;
use serde_json::json;

use crate::email_support::*;
use crate::processes::{free_port, serve, wait_ready};
use crate::shop::{buy, shop};
use crate::subscription_support::approve;
use crate::support::{Backend, TestApp};

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
