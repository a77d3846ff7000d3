//! Renders invoice documents and reads them back with poppler (`pdftotext`, `pdfinfo`), as a
//! person's PDF reader would; pages are turned into PNG under `target/pdf-artifacts/` to be
//! looked at.

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

use billing_domain::entities::invoice_document::{
    DocumentLine, InvoiceDocument, Party, TotalRow, TransferDetails,
};
use billing_pdf::{Logo, TypstRenderer};
use time::macros::datetime;

fn party(name: &str, lines: &[&str], tax: Option<&str>) -> Party {
    Party {
        name: name.into(),
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        tax_id: tax.map(Into::into),
        email: Some("billing@example.com".into()),
    }
}

fn line(description: &str, amount: &str) -> DocumentLine {
    DocumentLine {
        description: description.into(),
        period: None,
        quantity: "1".into(),
        unit_price: amount.into(),
        discount: None,
        amount: amount.into(),
    }
}

fn total(label: &str, amount: &str, strong: bool) -> TotalRow {
    TotalRow {
        label: label.into(),
        amount: amount.into(),
        strong,
    }
}

fn document(lines: Vec<DocumentLine>) -> InvoiceDocument {
    InvoiceDocument {
        number: "INV-2026-000042".into(),
        mark: None,
        draft: false,
        issued_on: "1 Dec 2026".into(),
        due_on: Some("15 Dec 2026".into()),
        paid_on: None,
        currency: "EUR".into(),
        seller: party(
            "Nimbus Cloud Software Ltd",
            &["1 Grand Canal Square", "Dublin D02 P820", "Ireland"],
            Some("IE3668997OH"),
        ),
        buyer: Some(party(
            "Müller & Söhne GmbH",
            &["Hauptstraße 1", "3. OG", "10115 Berlin", "Germany"],
            Some("DE123456789"),
        )),
        lines,
        totals: vec![
            total("Subtotal", "EUR 49.00", false),
            total("Discount", "−EUR 5.00", false),
            total("Total", "EUR 44.00", true),
            total("Amount paid", "EUR 0.00", false),
            total("Amount due", "EUR 44.00", true),
        ],
        transfer: Some(TransferDetails {
            rows: vec![
                ("Account holder".into(), "Nimbus Cloud Software Ltd".into()),
                ("IBAN".into(), "IE29 AIBK 9311 5212 3456 78".into()),
                ("BIC".into(), "AIBKIE2D".into()),
                ("Amount".into(), "EUR 44.00".into()),
                ("Reference".into(), "PAY-7KQ2-93".into()),
            ],
            instructions: Some("Quote the reference so we can match your transfer.".into()),
        }),
        status_reason: None,
        invoice_id: "inv_01kbm4f2x0example".into(),
        dated: datetime!(2026-12-01 09:00 UTC),
    }
}

fn sample() -> InvoiceDocument {
    let mut pro = line("Pro plan — monthly", "EUR 29.00");
    pro.period = Some("1 Dec 2026 – 1 Jan 2027".into());
    pro.discount = Some("−EUR 5.00".into());
    pro.amount = "EUR 24.00".into();
    let mut pack = line("2,000 credits (Ñandú ₦ ₱ Привет)", "EUR 20.00");
    pack.quantity = "1".into();
    document(vec![pro, pack])
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pdf-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `pdf` as `name.pdf` and its pages as `name-N.png`; returns the PDF's path.
fn keep(name: &str, pdf: &[u8]) -> PathBuf {
    let path = artifacts().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftoppm")
        .args(["-png", "-r", "80"])
        .arg(&path)
        .arg(artifacts().join(name))
        .status()
        .expect("pdftoppm (poppler-utils) is installed by scripts/ensure-system-deps.sh");
    assert!(out.success());
    path
}

fn text_of(path: &PathBuf) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn page_text(path: &PathBuf, page: usize) -> String {
    let n = page.to_string();
    let out = Command::new("pdftotext")
        .args(["-layout", "-f", &n, "-l", &n])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8(out.stdout).unwrap()
}

fn pages_of(path: &PathBuf) -> usize {
    let out = Command::new("pdfinfo").arg(path).output().expect("pdfinfo");
    let info = String::from_utf8(out.stdout).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn an_invoice_reads_back_with_both_parties_every_line_and_the_totals() {
    let pdf = TypstRenderer::default().render_now(&sample()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let path = keep("invoice-open", &pdf);
    let text = text_of(&path);
    for expected in [
        "INV-2026-000042",
        "Nimbus Cloud Software Ltd",
        "IE3668997OH",
        "Müller & Söhne GmbH",
        "Hauptstraße 1",
        "10115 Berlin",
        "DE123456789",
        "Pro plan — monthly",
        "1 Dec 2026 – 1 Jan 2027",
        "Ñandú ₦ ₱ Привет",
        "EUR 29.00",
        "−EUR 5.00",
        "EUR 24.00",
        "EUR 44.00",
        "Due date",
        "15 Dec 2026",
        "How to pay",
        "IE29 AIBK 9311 5212 3456 78",
        "PAY-7KQ2-93",
        "Page 1 of 1",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    assert_eq!(pages_of(&path), 1);
}

#[test]
fn the_same_document_renders_to_the_same_bytes() {
    let r = TypstRenderer::default();
    assert_eq!(
        r.render_now(&sample()).unwrap(),
        r.render_now(&sample()).unwrap()
    );
    let other = TypstRenderer::default();
    assert_eq!(
        r.render_now(&sample()).unwrap(),
        other.render_now(&sample()).unwrap()
    );
}

#[test]
fn sixty_lines_paginate_with_the_header_repeated() {
    let lines = (1..=60)
        .map(|i| {
            let mut l = line(
                &format!("Usage block {i:02}: API calls, storage and egress for the project"),
                "EUR 1.00",
            );
            l.period = Some("1 Dec 2026 – 1 Jan 2027".into());
            l
        })
        .collect();
    let pdf = TypstRenderer::default()
        .render_now(&document(lines))
        .unwrap();
    let path = keep("invoice-60-lines", &pdf);
    let pages = pages_of(&path);
    assert_eq!(pages, 4, "60 two-line rows on A4: about 18 a page");
    let text = text_of(&path);
    assert!(text.contains("Usage block 60"));
    for page in 1..=pages {
        let on_page = page_text(&path, page);
        assert_eq!(
            on_page.contains("UNIT PRICE"),
            on_page.contains("Usage block"),
            "page {page}: the header row wherever lines are:\n{on_page}"
        );
    }
    assert!(
        page_text(&path, 2).contains("UNIT PRICE"),
        "repeated on page 2"
    );
    assert!(text.contains(&format!("Page {pages} of {pages}")));
}

#[test]
fn paid_void_and_draft_are_marked_and_long_text_wraps() {
    let r = TypstRenderer::default();
    let mut paid = sample();
    paid.mark = Some("PAID".into());
    paid.paid_on = Some("2 Dec 2026".into());
    paid.transfer = None;
    paid.lines[0].description = "A very long description ".repeat(12);
    let path = keep("invoice-paid", &r.render_now(&paid).unwrap());
    let text = text_of(&path);
    assert!(text.contains("PAID") && text.contains("Paid on"), "{text}");
    assert!(!text.contains("How to pay"));
    let mut draft = sample();
    draft.mark = Some("DRAFT".into());
    draft.draft = true;
    draft.number = "Draft".into();
    let path = keep("invoice-draft", &r.render_now(&draft).unwrap());
    let text = text_of(&path);
    assert!(
        text.contains("DRAFT") && text.contains("Invoice Draft"),
        "{text}"
    );
    let mut void = sample();
    void.mark = Some("VOID".into());
    void.transfer = None;
    void.status_reason = Some("Issued twice; replaced by INV-2026-000043".into());
    let path = keep("invoice-void", &r.render_now(&void).unwrap());
    let text = text_of(&path);
    assert!(text.contains("VOID"), "{text}");
    assert!(
        text.contains("Note: Issued twice; replaced by INV-2026-000043"),
        "{text}"
    );
}

#[test]
fn customer_text_is_printed_never_evaluated() {
    let mut doc = sample();
    doc.buyer.as_mut().unwrap().name = "#panic(\"x\") *bold* $x^2$ ] [".into();
    let path = keep(
        "invoice-markup",
        &TypstRenderer::default().render_now(&doc).unwrap(),
    );
    assert!(text_of(&path).contains("#panic(\"x\") *bold* $x^2$ ] ["));
}

#[test]
fn a_logo_is_printed_and_changes_the_template_version() {
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" rx="6" fill="#2456c5"/><text x="60" y="26" font-size="16" text-anchor="middle" fill="white">NIMBUS</text></svg>"##;
    let logo = Logo::from_file("logo.svg", svg.to_vec()).unwrap();
    let with = TypstRenderer::new(Some(logo));
    use billing_domain::ports::InvoiceRenderer;
    assert_ne!(with.version(), TypstRenderer::default().version());
    let pdf = with.render_now(&sample()).unwrap();
    keep("invoice-logo", &pdf);
    assert!(Logo::from_file("logo.gif", vec![]).is_err());
}
