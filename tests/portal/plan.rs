//! The plan page end to end: subscribe by bank transfer, the operator approves, the plan is
//! active with its next invoice; cancel at period end and resume; preview an upgrade with
//! the domain's proration and confirm it, which leads to the upgrade's invoice.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::portal_support::link;
use crate::shop::shop;
use crate::support::{Backend, TestApp};

crate::backend_fns!(sqlite, postgres; subscribe_cancel_resume_and_upgrade);

async fn plan(app: &TestApp, name: &str, slug: &str, eur: i64, credits: i64) -> String {
    let body = json!({
        "name": name, "slug": slug, "prices": [{"amount": eur, "currency": "EUR"}],
        "interval": "month", "credits_per_period": credits,
        "features": ["api_access"],
    });
    let r = app
        .post(&app.admin, "/v1/admin/plans", body)
        .await
        .expect(201);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn subscription(app: &TestApp, acct: &str) -> Value {
    let r = app
        .get(&app.admin, &format!("/v1/accounts/{acct}/subscriptions"))
        .await
        .expect(200);
    r.body["data"][0].clone()
}

async fn subscribe_cancel_resume_and_upgrade(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = shop(&app).await;
    plan(&app, "Starter", "starter", 1900, 1000).await;
    let team = plan(&app, "Team", "team", 4900, 5000).await;
    let b = Browser::start(&format!("plan-{backend:?}").to_lowercase()).await;

    b.goto(&link(&app, &s.acct, Some(json!({ "type": "subscription" }))).await)
        .await;
    b.wait_path("/portal/plan").await;
    assert!(b.text("main").await.contains("€19.00 per month"));
    b.look("plan-choose").await;
    b.click("input[name=plan_id]").await; // Starter, the first
    b.click("input[name=payment_method][value=bank_transfer]")
        .await;
    b.click("form[action='/portal/plan/subscribe'] button[type=submit]")
        .await;
    b.wait_attr(
        "#manual-payment",
        "data-state",
        "awaiting_transfer",
        Duration::from_secs(10),
    )
    .await;
    let pid = b.path().await.rsplit('/').next().unwrap().to_owned();
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{pid}/approve"),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(subscription(&app, &s.acct).await["status"], "active");

    b.goto(&format!("{}/portal/plan", app.url)).await;
    let current = b.text("[data-testid=current-plan]").await;
    assert!(
        current.contains("Starter") && current.contains("Active"),
        "{current}"
    );
    assert!(
        current.contains("€19.00 on"),
        "the next invoice's amount and date: {current}"
    );
    b.look("plan-active").await;

    // cancel at period end, then resume
    b.click("details.confirm summary").await;
    b.click("[data-testid=cancel]").await;
    b.find("[data-testid=resume]").await;
    assert_eq!(
        subscription(&app, &s.acct).await["cancel_at_period_end"],
        true
    );
    assert!(
        b.text("[data-testid=current-plan]")
            .await
            .contains("No further invoices")
    );
    b.look("plan-canceling").await;
    b.click("[data-testid=resume]").await;
    b.find("details.confirm").await;
    assert_eq!(
        subscription(&app, &s.acct).await["cancel_at_period_end"],
        false
    );

    // preview the upgrade (the domain's proration), then confirm it
    b.click(&format!("a[href='/portal/plan?change_to={team}']"))
        .await;
    let preview = b.text("[data-testid=preview]").await;
    assert!(
        preview.contains("Change to Team") && preview.contains("Due now"),
        "{preview}"
    );
    b.look("plan-change-preview").await;
    b.click("form[action='/portal/plan/change'] button[type=submit]")
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !b.path().await.starts_with("/portal/invoices/inv_") {
        assert!(
            std::time::Instant::now() < deadline,
            "the upgrade leads to its invoice, not {}",
            b.path().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        b.text("[data-testid=invoice-status]")
            .await
            .contains("Open")
    );
    b.look("plan-upgrade-invoice").await;
    let sub = subscription(&app, &s.acct).await;
    assert_eq!(sub["pending_change"]["plan_id"], team.as_str(), "{sub}");
    b.stop().await;
    app.stop().await;
}
