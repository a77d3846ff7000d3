//! Links, sessions and what a session may not do: a used or expired link opens nothing; an
//! id of another account is a 404; a form without the session's CSRF token or from another
//! site is refused; billing details with a bad tax id show the error and save nothing;
//! signing out ends the session; every page carries the security headers.

use crate::browser::Browser;
use crate::portal_support::{RawSession, link};
use crate::shop::{account_in, buy, pid, shop};
use crate::support::{Backend, TestApp};

crate::backend_fns!(sqlite, postgres; links_sessions_and_refusals);

async fn links_sessions_and_refusals(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = shop(&app).await;
    let b = Browser::start(&format!("links-{backend:?}").to_lowercase()).await;

    // A link works once; the second opening is a clear page and no session.
    let url = link(&app, &s.acct, None).await;
    let raw = RawSession::open(&app, &url).await;
    let again = raw.client.get(&url).send().await.unwrap();
    assert_eq!(again.status(), 410);
    assert!(again.headers().get("set-cookie").is_none());
    b.goto(&url).await;
    assert!(
        b.title().await.starts_with("This link has expired"),
        "{}",
        b.title().await
    );
    b.look("link-used").await;
    b.goto(&format!("{}/portal", app.url)).await;
    assert!(
        b.title().await.starts_with("Your session has ended"),
        "no session was made"
    );
    b.look("signed-out").await;

    // An expired link (after 10 minutes) opens nothing either.
    let late = link(&app, &s.acct, None).await;
    app.clock.advance(time::Duration::minutes(11));
    assert_eq!(raw.client.get(&late).send().await.unwrap().status(), 410);

    // Security headers on every page; no inline script is allowed.
    let page = raw.get("/portal").await;
    assert_eq!(page.status(), 200);
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains(" style="),
        "no inline script or style"
    );

    // Another account's invoice, payment or PDF: 404, the same as an unknown id.
    let other = account_in(&app, "Fremd", "DE", "EUR").await;
    let key = app.account_key(&other).await;
    let theirs = crate::shop::Shop {
        acct: other,
        key,
        package: s.package.clone(),
    };
    let purchase = buy(&app, &theirs).await;
    let (inv, pay) = (purchase["invoice"]["id"].as_str().unwrap(), pid(&purchase));
    for path in [
        format!("/portal/invoices/{inv}"),
        format!("/portal/invoices/{inv}/pdf"),
        format!("/portal/payments/{pay}"),
        format!("/portal/payments/{pay}/status"),
        "/portal/invoices/inv_00000000000000000000000000".to_owned(),
        "/portal/no-such-page".to_owned(),
    ] {
        let r = raw.get(&path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    b.goto(&link(&app, &s.acct, None).await).await;
    b.goto(&format!("{}/portal/invoices/{inv}", app.url)).await;
    assert!(b.title().await.starts_with("Page not found"));
    b.look("not-found").await;

    // A post without the token, with a wrong one, or from another site: 403, nothing saved.
    let token = raw.csrf("/portal/details").await;
    let form = |t: &'static str| {
        vec![
            ("_csrf", t),
            ("legal_name", "Evil Corp"),
            ("billing_email", "evil@example.com"),
            ("address.line1", "x"),
            ("address.city", "y"),
            ("address.country", "DE"),
        ]
    };
    let token: &'static str = Box::leak(token.into_boxed_str());
    for (fields, headers) in [
        (form("").into_iter().skip(1).collect::<Vec<_>>(), vec![]),
        (form("not-the-token"), vec![]),
        (form(token), vec![("origin", "https://evil.example")]),
        (form(token), vec![("sec-fetch-site", "cross-site")]),
        (form(token), vec![("sec-fetch-site", "same-site")]),
    ] {
        let r = raw.post("/portal/details", &fields, &headers).await;
        assert_eq!(r.status(), 403, "{headers:?}");
    }
    let profile = app
        .get(&s.key, &format!("/v1/accounts/{}/billing-profile", s.acct))
        .await
        .expect(200);
    assert_eq!(
        profile.body["legal_name"], "Kunde GmbH",
        "nothing was saved"
    );
    // The same form from our own page in the session goes through.
    let ok = raw
        .post(
            "/portal/details",
            &form(token),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(ok.status(), 303);
    let profile = app
        .get(&s.key, &format!("/v1/accounts/{}/billing-profile", s.acct))
        .await
        .expect(200);
    assert_eq!(profile.body["legal_name"], "Evil Corp");

    // Billing details with a bad tax id: the error next to the field, nothing saved.
    b.goto(&format!("{}/portal/details", app.url)).await;
    b.fill("legal_name", "Kunde Neu GmbH").await;
    b.find("select[name='tax_id.type']")
        .await
        .select_by_value("eu_vat")
        .await
        .unwrap();
    b.fill("tax_id.value", "DE12").await;
    b.click("[data-testid=save-details]").await;
    b.find(".error-summary").await;
    let error = b.text("[data-testid=tax-id-error]").await;
    assert!(!error.is_empty(), "the tax id error is shown");
    assert!(b.text(".error-summary").await.contains(&error));
    let typed = b
        .find("[name=legal_name]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        typed.as_deref(),
        Some("Kunde Neu GmbH"),
        "what was typed is kept"
    );
    b.look("billing-details-error").await;
    let profile = app
        .get(&s.key, &format!("/v1/accounts/{}/billing-profile", s.acct))
        .await
        .expect(200);
    assert_eq!(
        profile.body["legal_name"], "Evil Corp",
        "nothing saved on error"
    );

    // The domain decides, not the page: a confirmation of a payment that is no longer
    // awaiting a transfer is refused with the use case's own message, whatever was posted.
    let mine = buy(&app, &s).await;
    let mine_id = pid(&mine);
    app.post(
        &app.admin,
        &format!("/v1/admin/payments/{mine_id}/approve"),
        serde_json::json!({}),
    )
    .await
    .expect(200);
    let reference = mine["next_action"]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let late = raw
        .post(
            &format!("/portal/payments/{mine_id}/confirmation"),
            &[
                ("_csrf", token),
                ("reference", &reference),
                ("amount", "26.10"),
                ("paid_on", "2026-12-01"),
                ("payer_name", "Kunde"),
            ],
            &[],
        )
        .await;
    assert_eq!(late.status(), 409);
    assert!(
        late.text()
            .await
            .unwrap()
            .contains("only a payment awaiting transfer")
    );

    // The gateway return page (PayPal appends payment_id and status): the payment's own
    // page for the account's payment, 404 for another account's.
    let back = raw
        .get(&format!(
            "/portal/checkout/return?payment_id={mine_id}&status=succeeded"
        ))
        .await;
    assert_eq!(back.status(), 303);
    assert_eq!(
        back.headers()["location"],
        format!("/portal/payments/{mine_id}").as_str()
    );
    let theirs = raw
        .get(&format!(
            "/portal/checkout/return?payment_id={pay}&status=succeeded"
        ))
        .await;
    assert_eq!(theirs.status(), 404);

    // The invoice PDF of the account's own invoice.
    let pdf = raw
        .get(&format!(
            "/portal/invoices/{}/pdf",
            mine["invoice"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

    // Invoice filters by date: a range with none, a malformed day named on its field.
    let none = raw
        .get("/portal/invoices?from=2000-01-01&to=2000-01-31")
        .await;
    assert_eq!(none.status(), 200);
    assert!(
        none.text()
            .await
            .unwrap()
            .contains("No invoices match this filter")
    );
    // The server's own today: its test clock runs ahead since the expired-link check.
    let today = billing_domain::ports::Clock::now(&*app.clock)
        .date()
        .to_string();
    let some = raw
        .get(&format!("/portal/invoices?from={today}&to={today}"))
        .await;
    assert!(some.text().await.unwrap().contains("/portal/invoices/inv_"));
    let bad = raw.get("/portal/invoices?from=1%2F12%2F2026").await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Enter a date like 2026-12-01")
    );

    // Usage as CSV.
    let csv = raw.get("/portal/usage.csv").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.text()
            .await
            .unwrap()
            .starts_with("id,date,kind,description,credits")
    );

    // Signing out ends the session for good; an operator can end them all.
    b.goto(&format!("{}/portal", app.url)).await;
    b.click("form[action='/portal/sign-out'] button").await;
    b.wait_path("/portal/signed-out").await;
    b.goto(&format!("{}/portal", app.url)).await;
    assert!(b.title().await.starts_with("Your session has ended"));
    let path = format!("/v1/accounts/{}/portal-sessions", s.acct);
    let r = app.request(reqwest::Method::DELETE, &path, Some(&app.service));
    let r = TestApp::send(r).await.expect(200);
    assert!(r.body["revoked"].as_u64().unwrap() >= 1);
    assert_eq!(raw.get("/portal").await.status(), 401, "revoked");
    b.stop().await;
    app.stop().await;
}
