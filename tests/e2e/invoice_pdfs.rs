//! Invoice PDFs over HTTP on both stores, read back with `pdftotext` as a reader would: a
//! package bought by bank transfer prints both parties, the line, the totals and how to pay
//! (the SEPA details and the payment's reference); the kept PDF is served byte for byte
//! again; once approved it is marked PAID without the transfer block; a draft is watermarked;
//! another account gets a 404.

use std::process::Command;

use reqwest::Method;
use serde_json::json;

use crate::shop::{account_in, buy, pid, shop};
use crate::subscription_support::approve;
use crate::support::TestApp;

crate::backends!(
    a_bought_package_prints_as_an_invoice_and_is_marked_paid_once_approved,
    a_draft_is_watermarked_and_other_accounts_get_404,
);

/// `GET path` as `key`: status, headers, raw body.
async fn fetch(app: &TestApp, key: &str, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app
        .request(Method::GET, path, Some(key))
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// The text of a PDF, laid out (`pdftotext -layout`).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/ensure-system-deps.sh)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

async fn a_bought_package_prints_as_an_invoice_and_is_marked_paid_once_approved(app: &TestApp) {
    let s = shop(app).await;
    let purchase = buy(app, &s).await;
    let inv = &purchase["invoice"];
    let (iid, number) = (inv["id"].as_str().unwrap(), inv["number"].as_str().unwrap());
    let path = format!("/v1/accounts/{}/invoices/{iid}/pdf", s.acct);

    let (status, headers, pdf) = fetch(app, &s.key, &path).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        format!("inline; filename=\"{number}.pdf\"")
    );
    let text = pdf_text(&pdf);
    let reference = purchase["next_action"]["reference"].as_str().unwrap();
    for expected in [
        number,
        "Example Seller Ltd",
        "Kunde GmbH",
        "Hauptstr. 1",
        "Germany",
        "Pro",
        "EUR 29.00",
        "−EUR 2.90",
        "EUR 26.10",
        "Amount due",
        "How to pay",
        "DE89370400440532013000",
        "COBADEFFXXX",
        reference,
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    assert!(!text.contains("PAID"));

    // Kept: the same bytes again, for the account and for an operator.
    assert_eq!(fetch(app, &s.key, &path).await.2, pdf);
    let admin_path = format!("/v1/admin/invoices/{iid}/pdf");
    assert_eq!(fetch(app, &app.admin, &admin_path).await.2, pdf);

    approve(app, &pid(&purchase)).await;
    let (_, _, paid) = fetch(app, &s.key, &path).await;
    assert_ne!(paid, pdf, "a new state, a new rendering");
    let text = pdf_text(&paid);
    assert!(text.contains("PAID") && text.contains("Paid on"), "{text}");
    assert!(!text.contains("How to pay"), "{text}");
    assert_eq!(fetch(app, &app.admin, &admin_path).await.2, paid);
}

async fn a_draft_is_watermarked_and_other_accounts_get_404(app: &TestApp) {
    let acct = account_in(app, "Entwurf", "DE", "EUR").await;
    let draft = app
        .post(
            &app.admin,
            "/v1/admin/invoices",
            json!({ "account_id": acct, "currency": "EUR",
                    "lines": [{ "description": "Onboarding workshop (½ day)", "unit_amount": 45000 }] }),
        )
        .await
        .expect(201)
        .body;
    let iid = draft["id"].as_str().unwrap();
    let (status, headers, pdf) =
        fetch(app, &app.admin, &format!("/v1/admin/invoices/{iid}/pdf")).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        format!("inline; filename=\"draft-{iid}.pdf\"")
    );
    let text = pdf_text(&pdf);
    for expected in [
        "DRAFT",
        "Entwurf GmbH",
        "Onboarding workshop (½ day)",
        "EUR 450.00",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }

    // Another account, through its own path or this one, sees nothing.
    let other = account_in(app, "Other", "DE", "EUR").await;
    let other_key = app.account_key(&other).await;
    let (status, _, _) = fetch(
        app,
        &other_key,
        &format!("/v1/accounts/{other}/invoices/{iid}/pdf"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = fetch(
        app,
        &other_key,
        &format!("/v1/accounts/{acct}/invoices/{iid}/pdf"),
    )
    .await;
    assert!(matches!(status, 403 | 404), "{status}");
    let (status, _, body) = fetch(
        app,
        &app.admin,
        "/v1/admin/invoices/inv_01arz3ndektsv4rrffq69g5fav/pdf",
    )
    .await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
}
