#![allow(clippy::unwrap_used)]

use time::macros::datetime;

use super::*;
use crate::entities::{InvoiceLine, InvoiceLineKind, InvoiceReason, Metadata};
use crate::types::{
    AccountId, Address, BoundedText, CountryCode, Email, InvoiceId, InvoiceLineId, TaxId, TaxIdKind,
};

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

#[test]
fn amounts_carry_the_code_the_currency_decimals_and_thousands_commas() {
    assert_eq!(format_amount(123_456_789, cur("EUR")), "EUR 1,234,567.89");
    assert_eq!(format_amount(500, cur("EUR")), "EUR 5.00");
    assert_eq!(format_amount(7, cur("EUR")), "EUR 0.07");
    assert_eq!(format_amount(0, cur("USD")), "USD 0.00");
    assert_eq!(format_amount(1000, cur("JPY")), "JPY 1,000");
    assert_eq!(format_amount(1500, cur("KWD")), "KWD 1.500");
    assert_eq!(format_amount(-500, cur("NGN")), "−NGN 5.00");
    assert_eq!(
        format_amount(i64::MIN, cur("EUR")),
        "−EUR 92,233,720,368,547,758.08"
    );
}

#[test]
fn dates_are_utc_day_month_year() {
    assert_eq!(
        format_date(datetime!(2026-12-03 23:30 -02:00)),
        "4 Dec 2026"
    );
    assert_eq!(format_date(datetime!(2027-01-01 00:00 UTC)), "1 Jan 2027");
}

#[test]
fn detail_keys_read_as_labels() {
    assert_eq!(label("account_holder"), "Account holder");
    assert_eq!(label("iban"), "IBAN");
    assert_eq!(label("BIC"), "BIC");
    assert_eq!(label("wallet-number"), "Wallet number");
}

fn profile() -> BillingProfile {
    let t = |s: &str| BoundedText::new(s, "f", 200).unwrap();
    BillingProfile {
        legal_name: t("Müller & Söhne GmbH"),
        billing_email: Email::parse("billing@mueller.example", "e").unwrap(),
        address: Address {
            line1: t("Hauptstr. 1"),
            line2: Some(t("3. OG")),
            city: t("Berlin"),
            region: None,
            postal_code: Some(t("10115")),
            country: CountryCode::parse("DE").unwrap(),
        },
        tax_id: Some(TaxId::parse(TaxIdKind::EuVat, "DE123456789").unwrap()),
        preferred_currency: None,
    }
}

fn invoice(status: InvoiceStatus) -> Invoice {
    let at = datetime!(2026-12-01 09:00 UTC);
    let line = InvoiceLine {
        id: InvoiceLineId::generate(at),
        kind: InvoiceLineKind::Subscription,
        description: "Pro plan".into(),
        quantity: 1,
        unit_amount: 2000,
        discount_amount: 500,
        amount: 1500,
        credit_package_id: None,
        credits: Some(1000),
        subscription_id: None,
        period_start: Some(at),
        period_end: Some(datetime!(2027-01-01 09:00 UTC)),
        rollover: None,
    };
    Invoice {
        id: InvoiceId::generate(at),
        account_id: AccountId::generate(at),
        number: (status != InvoiceStatus::Draft).then(|| "INV-2026-000042".into()),
        status,
        billing_reason: InvoiceReason::SubscriptionCycle,
        currency: cur("EUR"),
        lines: vec![line],
        subtotal: 2000,
        discount: 500,
        total: 1500,
        amount_paid: if status == InvoiceStatus::Paid {
            1500
        } else {
            0
        },
        amount_due: if status == InvoiceStatus::Paid {
            0
        } else {
            1500
        },
        due_at: Some(datetime!(2026-12-15 09:00 UTC)),
        billing_snapshot: (status != InvoiceStatus::Draft).then(profile),
        status_reason: None,
        metadata: Metadata::default(),
        created_at: at,
        finalized_at: (status != InvoiceStatus::Draft).then_some(at),
        paid_at: (status == InvoiceStatus::Paid).then_some(datetime!(2026-12-02 10:00 UTC)),
        updated_at: at,
    }
}

fn transfer() -> NextAction {
    NextAction::ManualTransfer {
        instructions: Some("Quote the reference.".into()),
        bank_details: Some(
            serde_json::json!({ "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Example Seller Ltd", "ignored": {"nested": true} }),
        ),
        wallet_details: None,
        amount: 1500,
        currency: cur("EUR"),
        reference: "PAY-7KQ2".into(),
    }
}

#[test]
fn an_open_invoice_shows_both_parties_lines_totals_and_how_to_transfer() {
    let seller = Seller {
        legal_name: "Example Seller Ltd".into(),
        address: vec!["1 Main St".into(), "Dublin".into()],
        tax_id: Some("IE1234567T".into()),
        email: Some("billing@seller.example".into()),
    };
    let d = InvoiceDocument::new(&invoice(InvoiceStatus::Pending), &seller, Some(&transfer()));
    assert_eq!(
        (d.number.as_str(), d.mark.as_deref(), d.draft),
        ("INV-2026-000042", None, false)
    );
    assert_eq!(
        (d.issued_on.as_str(), d.due_on.as_deref()),
        ("1 Dec 2026", Some("15 Dec 2026"))
    );
    assert_eq!(d.seller.tax_id.as_deref(), Some("IE1234567T"));
    let buyer = d.buyer.unwrap();
    assert_eq!(buyer.name, "Müller & Söhne GmbH");
    assert_eq!(
        buyer.lines,
        ["Hauptstr. 1", "3. OG", "10115 Berlin", "Germany"]
    );
    assert_eq!(buyer.tax_id.as_deref(), Some("DE123456789"));
    let l = &d.lines[0];
    assert_eq!(l.period.as_deref(), Some("1 Dec 2026 – 1 Jan 2027"));
    assert_eq!(
        (
            l.unit_price.as_str(),
            l.discount.as_deref(),
            l.amount.as_str()
        ),
        ("EUR 20.00", Some("−EUR 5.00"), "EUR 15.00")
    );
    let totals: Vec<_> = d
        .totals
        .iter()
        .map(|t| (t.label.as_str(), t.amount.as_str()))
        .collect();
    assert_eq!(
        totals,
        [
            ("Subtotal", "EUR 20.00"),
            ("Discount", "−EUR 5.00"),
            ("Total", "EUR 15.00"),
            ("Amount paid", "EUR 0.00"),
            ("Amount due", "EUR 15.00")
        ]
    );
    let t = d.transfer.unwrap();
    assert_eq!(
        t.rows,
        [
            ("Account holder".to_owned(), "Example Seller Ltd".to_owned()),
            ("IBAN".to_owned(), "DE89 3704 0044 0532 0130 00".to_owned()),
            ("Amount".to_owned(), "EUR 15.00".to_owned()),
            ("Reference".to_owned(), "PAY-7KQ2".to_owned()),
        ]
    );
}

#[test]
fn paid_and_draft_invoices_are_marked_and_a_paid_one_has_no_transfer_block() {
    let paid = InvoiceDocument::new(
        &invoice(InvoiceStatus::Paid),
        &Seller::default(),
        Some(&transfer()),
    );
    assert_eq!(paid.mark.as_deref(), Some("PAID"));
    assert_eq!(paid.paid_on.as_deref(), Some("2 Dec 2026"));
    assert!(paid.transfer.is_none());
    let draft = InvoiceDocument::new(&invoice(InvoiceStatus::Draft), &Seller::default(), None);
    assert_eq!(
        (draft.number.as_str(), draft.mark.as_deref(), draft.draft),
        ("Draft", Some("DRAFT"), true)
    );
    assert!(draft.buyer.is_none(), "a draft has no snapshot yet");
    let void = InvoiceDocument::new(&invoice(InvoiceStatus::Void), &Seller::default(), None);
    assert_eq!(void.mark.as_deref(), Some("VOID"));
    assert!(
        void.totals.iter().all(|t| t.label != "Amount due"),
        "nothing is due on a voided invoice"
    );
    assert!(paid.totals.iter().any(|t| t.label == "Amount due"));
}
