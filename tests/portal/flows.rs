//! The manual-payment journey: open a link, buy a package by bank transfer, confirm it with
//! a proof file, an operator approves over the API, the page shows it approved and the
//! balance; on the way every page of the portal is looked at.

use std::time::Duration;

use serde_json::json;

use crate::browser::Browser;
use crate::portal_support::link;
use crate::shop::{PNG, shop};
use crate::support::{Backend, TestApp};

crate::backend_fns!(sqlite, postgres; bank_transfer_with_proof_then_approval);

async fn bank_transfer_with_proof_then_approval(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = shop(&app).await;
    let b = Browser::start(&format!("bank-transfer-{backend:?}").to_lowercase()).await;

    b.goto(&link(&app, &s.acct, None).await).await;
    assert_eq!(b.path().await, "/portal", "the token left the address bar");
    assert!(
        b.text("[data-testid=available]")
            .await
            .contains("0 credits")
    );
    assert!(b.title().await.starts_with("Overview"));
    b.look("overview-empty").await;

    b.click(".tab-list a[href='/portal/credits']").await;
    b.wait_path("/portal/credits").await;
    assert!(b.text("main").await.contains("Pro"));
    assert!(
        b.text("main").await.contains("€26.10"),
        "price net of the 10 % discount"
    );
    assert!(
        b.text("main").await.contains("€29.00"),
        "list price shown struck through"
    );
    b.look("buy-credits").await;
    b.click("input[name=payment_method][value=bank_transfer]")
        .await;
    b.click("[data-testid=checkout]").await;

    b.wait_attr(
        "#manual-payment",
        "data-state",
        "awaiting_transfer",
        Duration::from_secs(10),
    )
    .await;
    let reference = b.text("[data-testid=reference]").await;
    assert!(reference.starts_with("BT-") || !reference.is_empty());
    let page = b.text("main").await;
    assert!(
        page.contains("DE89370400440532013000"),
        "the country's bank details: {page}"
    );
    assert!(
        page.contains("Transfer the exact amount"),
        "the country's instructions"
    );
    assert!(page.contains("€26.10"));
    b.look("manual-payment").await;

    // confirm with a proof file (a real PNG), as a payer would
    let dir = tempfile::tempdir().unwrap();
    let proof = dir.path().join("receipt.png");
    std::fs::write(&proof, PNG).unwrap();
    b.fill("payer_name", "Kunde GmbH").await;
    b.find("#proof_file")
        .await
        .send_keys(proof.to_str().unwrap())
        .await
        .unwrap();
    b.click("[data-testid=confirm-transfer]").await;
    b.wait_attr(
        "#manual-payment",
        "data-state",
        "pending_approval",
        Duration::from_secs(10),
    )
    .await;
    b.look("manual-payment-submitted").await;
    let pid = b.path().await.rsplit('/').next().unwrap().to_owned();
    let stored = app
        .get(&app.admin, &format!("/v1/admin/payments/{pid}"))
        .await
        .expect(200);
    assert_eq!(stored.body["confirmation"]["payer_name"], "Kunde GmbH");
    assert!(
        stored.body["confirmation"]["proof_file_id"].is_string(),
        "the proof was stored"
    );
    assert_eq!(stored.body["confirmation"]["amount"], 2610);

    // the operator cannot match it and rejects it: the payer sees why, and reports again
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{pid}/reject"),
        json!({ "reason": "no transfer with this reference has arrived yet" }),
    )
    .await
    .expect(200);
    b.client.refresh().await.unwrap();
    b.wait_attr(
        "#manual-payment",
        "data-state",
        "rejected",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        b.text("[data-testid=rejection]").await,
        "no transfer with this reference has arrived yet"
    );
    b.look("manual-payment-rejected").await;
    b.fill("payer_name", "Kunde GmbH").await;
    b.fill("note", "sent again on Monday").await;
    b.click("[data-testid=confirm-transfer]").await;
    b.wait_attr(
        "#manual-payment",
        "data-state",
        "pending_approval",
        Duration::from_secs(10),
    )
    .await;

    // an operator approves over the API; the page shows it, and the balance has the credits
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{pid}/approve"),
        json!({}),
    )
    .await
    .expect(200);
    b.client.refresh().await.unwrap();
    b.wait_attr(
        "#manual-payment",
        "data-state",
        "approved",
        Duration::from_secs(10),
    )
    .await;
    b.look("manual-payment-approved").await;
    b.click(".tab-list a[href='/portal']").await;
    b.wait_path("/portal").await;
    assert!(
        b.text("[data-testid=available]")
            .await
            .contains("2,000 credits")
    );
    b.look("overview").await;

    // the other pages, each looked at
    for (href, name, expect) in [
        ("/portal/invoices", "invoices", "Paid"),
        ("/portal/payments", "payments", "SEPA"),
        ("/portal/usage", "usage", "2,000 credits"),
        ("/portal/plan", "plan", "Choose a plan"),
        ("/portal/details", "billing-details", "Kunde GmbH"),
    ] {
        b.goto(&format!("{}{href}", app.url)).await;
        let text = b.text("main").await;
        let value = b.client.source().await.unwrap();
        assert!(
            text.contains(expect) || value.contains(expect),
            "{name} shows {expect}: {text}"
        );
        b.look(name).await;
    }
    b.goto(&format!("{}/portal/invoices", app.url)).await;
    b.click("tbody a[href^='/portal/invoices/inv_']").await;
    assert!(
        b.text("[data-testid=invoice-status]")
            .await
            .contains("Paid")
    );
    assert!(b.text("[data-testid=amount-due]").await.contains("€0.00"));
    b.look("invoice").await;
    b.stop().await;
    app.stop().await;
}
