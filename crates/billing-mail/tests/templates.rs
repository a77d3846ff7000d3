#![allow(clippy::unwrap_used, missing_docs)]
//! Every message kind renders both bodies with its values, escapes them in HTML, and writes
//! a sample to `target/mail-artifacts/` for a person to look at.

use std::path::PathBuf;

use billing_domain::entities::{EmailKind, Seller};
use billing_domain::ports::{DetailRow, MailContent, MailTemplates};
use billing_mail::AskamaTemplates;

fn content(kind: EmailKind) -> MailContent {
    let seller = Seller {
        legal_name: "Nordlicht Software GmbH".into(),
        address: vec![
            "Torstraße 12".into(),
            "10119 Berlin".into(),
            "Germany".into(),
        ],
        tax_id: Some("DE123456789".into()),
        email: Some("billing@nordlicht.example".into()),
    };
    MailContent {
        invoice_number: Some("INV-2026-000042".into()),
        amount: Some("EUR 1,234.56".into()),
        method: Some("bank transfer".into()),
        reference: Some("BT-7Q2M-KX9D".into()),
        reason: Some("no transfer with this reference arrived".into()),
        instructions: Some("Transfers from outside the EU take up to 3 days.".into()),
        details: vec![
            DetailRow {
                label: "IBAN".into(),
                value: "DE89 3704 0044 0532 0130 00".into(),
            },
            DetailRow {
                label: "Reference".into(),
                value: "BT-7Q2M-KX9D".into(),
            },
        ],
        pay_link: Some("https://checkout.example/pay/cs_123?a=1&b=2".into()),
        date: Some("17 Dec 2026".into()),
        plan: Some("Pro".into()),
        balance: Some("80 credits".into()),
        threshold: Some("100 credits".into()),
        attachment: Some("INV-2026-000042.pdf".into()),
        ..MailContent::new(kind, seller, "Müller & Söhne <GmbH>".into())
    }
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/mail-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_kind_renders_both_bodies_with_its_values() {
    let t = AskamaTemplates;
    for kind in EmailKind::ALL {
        let c = content(kind);
        let r = t.render(&c).unwrap();
        assert!(!r.subject.is_empty() && !r.subject.contains('\n'), "{kind}");
        for body in [&r.text, &r.html] {
            assert!(
                !body.contains("{{") && !body.contains("{%"),
                "{kind}: {body}"
            );
            assert!(
                body.contains("Nordlicht Software GmbH"),
                "{kind}: the seller"
            );
            assert!(
                body.contains("billing@nordlicht.example"),
                "{kind}: the contact"
            );
        }
        assert!(
            r.text.contains("Hello Müller & Söhne <GmbH>,"),
            "{kind}: {}",
            r.text
        );
        assert!(
            r.html.contains("Hello Müller &#38; Söhne &#60;GmbH&#62;,"),
            "{kind}: HTML escapes the name: {}",
            r.html
        );
        assert!(!r.html.contains("<GmbH>"), "{kind}");
        std::fs::write(artifacts().join(format!("{kind}.html")), &r.html).unwrap();
        std::fs::write(artifacts().join(format!("{kind}.txt")), &r.text).unwrap();
    }
}

#[test]
fn each_message_says_what_it_is_about() {
    let t = AskamaTemplates;
    let text = |k| t.render(&content(k)).unwrap();
    let instructions = text(EmailKind::PaymentInstructions);
    assert_eq!(
        instructions.subject,
        "How to pay EUR 1,234.56 for invoice INV-2026-000042"
    );
    for want in [
        "DE89 3704 0044 0532 0130 00",
        "BT-7Q2M-KX9D",
        "Pay by: 17 Dec 2026",
        "up to 3 days",
    ] {
        assert!(
            instructions.text.contains(want),
            "{want}: {}",
            instructions.text
        );
    }
    let rejected = text(EmailKind::PaymentRejected);
    assert!(
        rejected
            .text
            .contains("Reason: no transfer with this reference arrived")
    );
    assert!(
        rejected.text.contains("confirm the payment again"),
        "how to resubmit"
    );
    let issued = text(EmailKind::InvoiceIssued);
    assert_eq!(
        issued.subject,
        "Invoice INV-2026-000042 from Nordlicht Software GmbH: EUR 1,234.56, due 17 Dec 2026"
    );
    assert!(
        issued
            .html
            .contains("https://checkout.example/pay/cs_123?a=1&#38;b=2")
    );
    assert!(
        issued
            .text
            .contains("Pay this invoice: https://checkout.example/pay/cs_123?a=1&b=2")
    );
    let failed = text(EmailKind::PaymentFailed);
    assert!(failed.text.contains("Next attempt: 17 Dec 2026"));
    assert!(failed.text.contains("https://checkout.example/pay/cs_123"));
    assert_eq!(
        text(EmailKind::LowBalance).subject,
        "Your credit balance is low: 80 credits"
    );
    assert_eq!(
        text(EmailKind::TrialEnding).subject,
        "Your Pro trial ends on 17 Dec 2026"
    );
    assert!(
        text(EmailKind::RefundIssued)
            .text
            .contains("Refund: EUR 1,234.56")
    );
    assert!(
        text(EmailKind::PaymentReceipt)
            .text
            .contains("Attached: INV-2026-000042.pdf")
    );
    assert!(
        text(EmailKind::PaymentApproved)
            .text
            .contains("Invoice INV-2026-000042 is paid.")
    );
    // A partial payment says what is left, not "paid".
    let partial = MailContent {
        still_due: Some("EUR 10.00".into()),
        ..content(EmailKind::PaymentApproved)
    };
    let partial = t.render(&partial).unwrap();
    assert!(
        partial
            .text
            .contains("EUR 10.00 of invoice INV-2026-000042 is still due."),
        "{}",
        partial.text
    );
    assert!(!partial.text.contains("is paid"));
}

#[test]
fn unset_values_leave_no_empty_rows() {
    let seller = Seller::default();
    let c = MailContent {
        amount: Some("USD 9.00".into()),
        date: Some("1 Jan 2027".into()),
        method: Some("card".into()),
        ..MailContent::new(EmailKind::PaymentReceipt, seller, "Ana".into())
    };
    let r = AskamaTemplates.render(&c).unwrap();
    assert_eq!(r.subject, "Receipt from Example Seller Ltd");
    assert!(!r.text.contains("Invoice:"), "{}", r.text);
    assert!(!r.text.contains("Attached:"));
    assert!(r.text.contains("Questions about this e-mail? Reply to it."));
}
