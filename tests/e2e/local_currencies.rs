//! Accounts outside the US buy the seeded packages in their own currency, by the methods
//! their country offers: the purchase picks the requested currency, else the account's
//! preferred one, else the first price the method accepts.

use serde_json::{Value, json};

use crate::support::TestApp;

crate::backends!(
    nigeria_philippines_and_kenya_buy_in_their_own_currency,
    currency_choice_follows_request_then_preference_then_method
);

/// An account in `country`, with `preferred` as its currency if given.
async fn account(app: &TestApp, country: &str, preferred: Option<&str>) -> String {
    let mut profile = json!({
        "legal_name": format!("Customer {country} Ltd"), "billing_email": "pay@customer.example",
        "address": { "line1": "1 Main Road", "city": "Capital", "country": country },
    });
    if let Some(c) = preferred {
        profile["preferred_currency"] = json!(c);
    }
    app.post(
        &app.service,
        "/v1/accounts",
        json!({ "name": country, "billing_profile": profile }),
    )
    .await
    .expect(201)
    .body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The seeded package with `slug`.
async fn seeded(app: &TestApp, slug: &str) -> String {
    billing_api::seed::run(&app.services).await.unwrap();
    let all = app
        .get(&app.service, "/v1/credit-packages")
        .await
        .expect(200);
    all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == slug)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn buy(app: &TestApp, account: &str, body: Value) -> crate::support::Resp {
    app.post(
        &app.service,
        &format!("/v1/accounts/{account}/purchases"),
        body,
    )
    .await
}

async fn nigeria_philippines_and_kenya_buy_in_their_own_currency(app: &TestApp) {
    let pro = seeded(app, "pro").await;
    // Pro: 2,000 credits, 10 % off its list price in each currency.
    let cases = [
        ("NG", "bank_transfer", "NGN", 4_050_000, "Zenith Bank Plc"),
        ("PH", "local_wallet", "PHP", 152_100, "GCash"),
        ("KE", "local_wallet", "KES", 337_500, "M-Pesa"),
    ];
    for (country, method, currency, net, provider) in cases {
        let acct = account(app, country, None).await;
        let r = buy(
            app,
            &acct,
            json!({ "credit_package_id": pro, "payment_method": method }),
        )
        .await
        .expect(201);
        let p = &r.body;
        assert_eq!(p["invoice"]["currency"], currency, "{country}: {p}");
        assert_eq!(p["invoice"]["total"], net, "{country}");
        assert_eq!(
            p["invoice"]["lines"][0]["unit_amount"],
            net * 10 / 9,
            "{country}"
        );
        assert_eq!(p["payment"]["currency"], currency);
        let next = &p["next_action"];
        assert_eq!(
            (next["amount"].as_i64(), next["currency"].as_str()),
            (Some(net), Some(currency))
        );
        let details = next.to_string();
        assert!(
            details.contains(provider),
            "{country}: the country's own details: {details}"
        );
    }
}

async fn currency_choice_follows_request_then_preference_then_method(app: &TestApp) {
    let pro = seeded(app, "pro").await;
    // Germany's SEPA transfer takes EUR and USD: the preference decides.
    let de_usd = account(app, "DE", Some("USD")).await;
    let r = buy(
        app,
        &de_usd,
        json!({ "credit_package_id": pro, "payment_method": "bank_transfer" }),
    )
    .await
    .expect(201);
    assert_eq!(r.body["invoice"]["currency"], "USD");
    // An explicit currency wins over the preference.
    let r = buy(
        app,
        &de_usd,
        json!({ "credit_package_id": pro, "payment_method": "bank_transfer", "currency": "EUR" }),
    )
    .await
    .expect(201);
    assert_eq!(r.body["invoice"]["currency"], "EUR");
    assert_eq!(r.body["invoice"]["total"], 2_430);
    // A preference the method does not take is passed over for the first price it does.
    let ke_usd = account(app, "KE", Some("USD")).await;
    let r = buy(
        app,
        &ke_usd,
        json!({ "credit_package_id": pro, "payment_method": "local_wallet" }),
    )
    .await
    .expect(201);
    assert_eq!(r.body["invoice"]["currency"], "KES");
    // A currency the package has no price in: 400 naming `currency` and what is on offer.
    let r = buy(
        app,
        &ke_usd,
        json!({ "credit_package_id": pro, "payment_method": "local_wallet", "currency": "JPY" }),
    )
    .await
    .expect(422);
    assert_eq!(r.param(), Some("currency"));
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("USD, EUR, NGN, KES, PHP"), "{message}");
    // A priced currency the country's method does not accept: the method's own reason.
    let ph = account(app, "PH", None).await;
    let r = buy(
        app,
        &ph,
        json!({ "credit_package_id": pro, "payment_method": "local_wallet", "currency": "USD" }),
    )
    .await
    .expect(422);
    assert_eq!(r.param(), Some("payment_method"));
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("PHP"),
        "PH's own reason, not another country's: {message}"
    );
    // A price that nets to nothing is passed over for one that can be collected.
    let promo = app
        .post(
            &app.admin,
            "/v1/admin/credit-packages",
            json!({ "name": "Promo", "slug": "promo", "credits": 50,
                    "prices": [{"amount": 0, "currency": "USD"}, {"amount": 500, "currency": "EUR"}] }),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = buy(
        app,
        &de_usd,
        json!({ "credit_package_id": promo, "payment_method": "bank_transfer" }),
    )
    .await
    .expect(201);
    assert_eq!(
        (
            r.body["invoice"]["currency"].as_str(),
            r.body["invoice"]["total"].as_i64()
        ),
        (Some("EUR"), Some(500))
    );
    let r = buy(
        app,
        &de_usd,
        json!({ "credit_package_id": promo, "payment_method": "bank_transfer", "currency": "USD" }),
    )
    .await
    .expect(400);
    assert_eq!(
        r.param(),
        Some("credit_package_id"),
        "free in the currency asked for"
    );
    // Nothing was written for the refusals: four invoices in all.
    let invoices = app.get(&app.admin, "/v1/admin/invoices").await.expect(200);
    assert_eq!(invoices.body["data"].as_array().unwrap().len(), 4);
}
