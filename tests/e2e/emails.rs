//! Transactional e-mail over real HTTP and real SMTP (aiosmtpd, `billing_mail::testing`), on
//! both stores: a package bought by bank transfer mails the instructions with the invoice
//! PDF, its approval mails the receipt with the paid PDF; a rejection says why; operators
//! list and resend; a 451 is retried until delivered once, a 550 fails once; a billing name
//! with a line break adds no header. More in `emails_more.rs`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::email_support::*;
use crate::shop::{NET, Shop, buy, confirm, confirmation, pid, shop};
use crate::subscription_support::approve;
use crate::support::Backend;
use billing_mail::testing::SmtpSink;

crate::backend_fns!(
    sqlite, postgres;
    a_transfer_mails_instructions_then_the_receipt_with_its_pdf,
    a_rejection_says_why_and_operators_list_and_resend,
    a_451_is_retried_until_delivered_once_and_a_550_fails_once,
);

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
