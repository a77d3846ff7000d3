//! Tax rates over HTTP (admin, audited, one active rate per place, exact percentages) and
//! which tax applies to an account, with the rule table's explanation.

use billing_domain::entities::SellerTax;
use billing_domain::types::CountryCode;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

crate::backend_fns!(sqlite, postgres; tax_rates_crud_and_refusals, which_tax_applies_to_whom);

async fn create(app: &TestApp, body: Value) -> crate::support::Resp {
    app.post(&app.admin, "/v1/admin/tax-rates", body).await
}

async fn tax_rates_crud_and_refusals(backend: Backend) {
    let app = TestApp::start(backend).await;
    let r = create(
        &app,
        json!({ "display_name": "VAT", "country": "de", "percentage": "19" }),
    )
    .await
    .expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["country"], "DE");
    assert_eq!(r.body["percentage"], "19");
    assert_eq!(
        (r.body["inclusive"].as_bool(), r.body["active"].as_bool()),
        (Some(false), Some(true))
    );
    create(&app, json!({ "display_name": "GST", "country": "CA", "region": "ON", "percentage": "13", "inclusive": true }))
        .await
        .expect(201);
    let r = create(
        &app,
        json!({ "display_name": "VAT", "country": "NG", "percentage": "7.5" }),
    )
    .await
    .expect(201);
    assert_eq!(r.body["percentage"], "7.5");

    let list = app.get(&app.admin, "/v1/admin/tax-rates").await.expect(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 3);
    let de = app
        .get(&app.admin, "/v1/admin/tax-rates?country=DE")
        .await
        .expect(200);
    assert_eq!(de.body["data"][0]["id"], id.as_str());
    let r = app
        .patch(
            &app.admin,
            &format!("/v1/admin/tax-rates/{id}"),
            json!({ "percentage": "19.0000" }),
        )
        .await
        .expect(200);
    assert_eq!(r.body["percentage"], "19");
    assert_eq!(
        app.get(&app.admin, &format!("/v1/admin/tax-rates/{id}"))
            .await
            .expect(200)
            .body["display_name"],
        "VAT"
    );
    let audit = app
        .get(&app.admin, "/v1/admin/audit-log?action=tax_rate.update")
        .await
        .expect(200);
    assert_eq!(
        audit.body["data"][0]["target_id"],
        id.as_str(),
        "{}",
        audit.body
    );

    // Bad input: a clear 4xx naming the field, nothing written.
    for (body, param) in [
        (
            json!({ "display_name": "VAT", "country": "FR", "percentage": "101" }),
            "percentage",
        ),
        (
            json!({ "display_name": "VAT", "country": "FR", "percentage": "12.34567" }),
            "percentage",
        ),
        (
            json!({ "display_name": "VAT", "country": "FR", "percentage": "-1" }),
            "percentage",
        ),
        (
            json!({ "display_name": "VAT", "country": "FR", "percentage": "1e1" }),
            "percentage",
        ),
        (
            json!({ "display_name": "VAT", "country": "FR", "percentage": 20 }),
            "percentage",
        ),
        (
            json!({ "display_name": "VAT", "country": "XX", "percentage": "20" }),
            "country",
        ),
        (
            json!({ "country": "FR", "percentage": "20" }),
            "display_name",
        ),
        (
            json!({ "display_name": "VAT", "percentage": "20" }),
            "country",
        ),
    ] {
        let r = create(&app, body.clone()).await.expect_refused();
        assert_eq!(r.param(), Some(param), "{body}: {}", r.body);
    }
    let r = create(
        &app,
        json!({ "display_name": "Reduced", "country": "DE", "percentage": "7" }),
    )
    .await
    .expect(409);
    assert_eq!(r.error_code(), "tax_rate_overlap");
    assert_eq!(r.param(), Some("country"));
    create(
        &app,
        json!({ "display_name": "Reduced", "country": "DE", "percentage": "7", "active": false }),
    )
    .await
    .expect(201);
    let list = app.get(&app.admin, "/v1/admin/tax-rates").await.expect(200);
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        4,
        "only the inactive one was added"
    );
    let r = app
        .get(&app.service, "/v1/admin/tax-rates")
        .await
        .expect(403);
    r.error_code();
    app.get(
        &app.admin,
        "/v1/admin/tax-rates/txr_00000000000000000000000000",
    )
    .await
    .expect(404);
    app.stop().await;
}

async fn account(app: &TestApp, country: &str, tax_id: Option<Value>) -> String {
    let mut profile = json!({
        "legal_name": "Kunde", "billing_email": "pay@kunde.example",
        "address": { "line1": "Hauptstr. 1", "city": "Stadt", "country": country }
    });
    if let Some(t) = tax_id {
        profile["tax_id"] = t;
    }
    let r = app
        .post(
            &app.service,
            "/v1/accounts",
            json!({ "name": "Kunde", "billing_profile": profile }),
        )
        .await
        .expect(201);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn treatment(app: &TestApp, acct: &str) -> Value {
    app.get(
        &app.admin,
        &format!("/v1/admin/accounts/{acct}/tax-treatment"),
    )
    .await
    .expect(200)
    .body
}

async fn which_tax_applies_to_whom(backend: Backend) {
    let app = TestApp::start_with(backend, |c| {
        c.seller_tax = Some(SellerTax {
            country: CountryCode::parse("DE").unwrap(),
            registered: true,
        });
    })
    .await;
    create(
        &app,
        json!({ "display_name": "VAT", "country": "DE", "percentage": "19" }),
    )
    .await
    .expect(201);
    create(
        &app,
        json!({ "display_name": "VAT", "country": "FR", "percentage": "20" }),
    )
    .await
    .expect(201);

    // A consumer in Germany: the domestic 19 %.
    let t = treatment(&app, &account(&app, "DE", None).await).await;
    assert_eq!(
        (t["treatment"].as_str(), t["business"].as_bool()),
        (Some("taxed"), Some(false)),
        "{t}"
    );
    assert_eq!(t["rate"]["percentage"], "19");
    // A German business: still domestic.
    let de_vat = json!({ "type": "eu_vat", "value": "DE123456788" });
    let t = treatment(&app, &account(&app, "DE", Some(de_vat)).await).await;
    assert_eq!(
        (t["treatment"].as_str(), t["business"].as_bool()),
        (Some("taxed"), Some(true)),
        "{t}"
    );
    // A French business with a French VAT id: reverse charge with the note.
    let fr_vat = json!({ "type": "eu_vat", "value": "FR40303265045" });
    let t = treatment(&app, &account(&app, "FR", Some(fr_vat)).await).await;
    assert_eq!(t["treatment"], "reverse_charge", "{t}");
    assert!(
        t["note"]
            .as_str()
            .unwrap()
            .contains("Art. 196 Directive 2006/112/EC")
    );
    // A French consumer: the French rate (destination, digital services).
    let t = treatment(&app, &account(&app, "FR", None).await).await;
    assert_eq!(t["rate"]["percentage"], "20", "{t}");
    // A buyer in the US: no tax line, and the reason.
    let t = treatment(&app, &account(&app, "US", None).await).await;
    assert_eq!(t["treatment"], "not_taxed");
    assert_eq!(t["reason"], "no tax rate is configured for US");
    assert!(
        t["explanation"].as_array().unwrap().len() >= 5,
        "every rule considered: {t}"
    );
    // An exemption (reason required) takes the account out of tax; lifting it brings it back.
    let exempt = account(&app, "DE", None).await;
    let path = format!("/v1/admin/accounts/{exempt}/tax-exemption");
    let r = app.put(&app.admin, &path, json!({})).await.expect_refused();
    assert_eq!(r.param(), Some("reason"));
    let r = app
        .put(
            &app.admin,
            &path,
            json!({ "reason": "registered charity 12-345" }),
        )
        .await
        .expect(200);
    assert_eq!(r.body["reason"], "registered charity 12-345");
    let t = treatment(&app, &exempt).await;
    assert_eq!(t["treatment"], "not_taxed");
    assert_eq!(
        t["reason"],
        "the account is exempt: registered charity 12-345"
    );
    app.put(&app.service, &path, json!({ "reason": "x" }))
        .await
        .expect(403);
    let lift = app.request(reqwest::Method::DELETE, &path, Some(&app.admin));
    TestApp::send(lift).await.expect(204);
    assert_eq!(treatment(&app, &exempt).await["treatment"], "taxed");
    let audit = app
        .get(&app.admin, "/v1/admin/audit-log?action=tax_exemption.set")
        .await
        .expect(200);
    assert_eq!(audit.body["data"][0]["target_id"], exempt.as_str());

    // An account without a billing profile has no country to tax by.
    let bare = app
        .post(&app.service, "/v1/accounts", json!({ "name": "Anonym" }))
        .await
        .expect(201);
    let r = app
        .get(
            &app.admin,
            &format!(
                "/v1/admin/accounts/{}/tax-treatment",
                bare.body["id"].as_str().unwrap()
            ),
        )
        .await
        .expect(422);
    assert_eq!(r.param(), Some("billing_profile"));
    app.stop().await;
}
