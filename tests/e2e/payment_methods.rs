//! Payment method configs (admin CRUD) and what an account may use, with explanations.

use serde_json::json;

use crate::support::TestApp;

crate::backends!(
    config_crud,
    bad_config_input_writes_nothing,
    methods_resolve_per_country_and_currency
);

fn sepa() -> serde_json::Value {
    json!({
        "country": "DE", "method": "bank_transfer", "display_name": "SEPA", "currencies": ["EUR"],
        "instructions": "Use the reference.",
        "bank_details": { "bank_name": "Commerzbank", "account_holder": "Billing GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX" },
        "amount_limits": [{ "currency": "EUR", "min": 500, "max": 100000 }]
    })
}

async fn config_crud(app: &TestApp) {
    let created = app
        .post(&app.admin, "/v1/admin/payment-method-configs", sepa())
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pmc_"));
    assert_eq!(
        created.body["bank_details"]["iban"],
        "DE89370400440532013000"
    );
    let path = format!("/v1/admin/payment-method-configs/{id}");
    assert_eq!(
        app.get(&app.admin, &path).await.expect(200).body,
        created.body
    );
    let patched = app
        .patch(
            &app.admin,
            &path,
            json!({ "display_name": "SEPA-Überweisung", "enabled": false }),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["display_name"], "SEPA-Überweisung");
    assert_eq!(patched.body["enabled"], false);
    assert_eq!(
        app.patch(&app.admin, &path, json!({ "country": "FR" }))
            .await
            .expect(422)
            .param(),
        Some("country")
    );
    let de = app
        .get(&app.admin, "/v1/admin/payment-method-configs?country=DE")
        .await
        .expect(200);
    assert_eq!(de.body["data"].as_array().unwrap().len(), 1);
    let us = app
        .get(&app.admin, "/v1/admin/payment-method-configs?country=US")
        .await
        .expect(200);
    assert!(us.body["data"].as_array().unwrap().is_empty());
    app.delete(&app.admin, &path).await.expect(200);
    app.get(&app.admin, &path).await.expect(404);
    app.delete(&app.admin, &path).await.expect(404);
}

async fn bad_config_input_writes_nothing(app: &TestApp) {
    let with = |k: &str, v: serde_json::Value| {
        let mut b = sepa();
        b[k] = v;
        b
    };
    let cases = [
        (with("method", json!("cash")), "method"),
        (with("country", json!("Deutschland")), "country"),
        (with("bank_details", json!(null)), "bank_details"),
        (with("currencies", json!(["EUR", "ABC"])), "currencies[1]"),
        (with("display_name", json!("d".repeat(101))), "display_name"),
        (
            with("instructions", json!("i".repeat(2001))),
            "instructions",
        ),
        (
            with("amount_limits", json!([{ "currency": "EUR", "min": -1 }])),
            "amount_limits[0].min",
        ),
        (
            with(
                "amount_limits",
                json!([{ "currency": "EUR", "min": 10, "max": 5 }]),
            ),
            "amount_limits[0].min",
        ),
        (with("sort_order", json!("first")), "sort_order"),
    ];
    for (body, param) in cases {
        let r = app
            .post(&app.admin, "/v1/admin/payment-method-configs", body.clone())
            .await
            .expect_refused();
        assert_eq!(r.param(), Some(param), "{body}: {}", r.body);
    }
    // The array form serde would read as a struct: the document says object.
    let mut b = sepa();
    b["bank_details"] = json!(["Commerzbank", "Billing GmbH", "DE89370400440532013000"]);
    let r = app
        .post(&app.admin, "/v1/admin/payment-method-configs", b)
        .await
        .expect(400);
    assert_eq!(r.param(), Some("bank_details"));
    let mut b = sepa();
    b["bank_details"]["iban"] = json!(null);
    let r = app
        .post(&app.admin, "/v1/admin/payment-method-configs", b)
        .await
        .expect(400);
    assert_eq!(r.param(), Some("bank_details.iban"));
    let all = app
        .get(&app.admin, "/v1/admin/payment-method-configs")
        .await
        .expect(200);
    assert!(all.body["data"].as_array().unwrap().is_empty());
}

async fn account_in(app: &TestApp, country: &str, currency: &str) -> String {
    let body = json!({ "name": format!("{country} customer"), "billing_profile": {
        "legal_name": "Customer", "billing_email": "pay@customer.example",
        "address": { "line1": "1 Main St", "city": "City", "country": country }, "preferred_currency": currency } });
    app.post(&app.service, "/v1/accounts", body)
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn methods_resolve_per_country_and_currency(app: &TestApp) {
    billing_api::seed::run(&app.services).await.unwrap();
    let us = account_in(app, "US", "USD").await;
    let r = app
        .get(
            &app.service,
            &format!("/v1/accounts/{us}/payment-methods?currency=USD"),
        )
        .await
        .expect(200);
    let methods: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    // Stripe and PayPal are not configured in this deployment: configured, but not offered
    assert!(methods.is_empty(), "{}", r.body);
    let r = app
        .get(
            &app.admin,
            &format!("/v1/admin/accounts/{us}/payment-methods/explain?currency=USD"),
        )
        .await
        .expect(200);
    for m in ["stripe", "paypal"] {
        let d = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["config"]["method"] == m && d["config"]["country"] == "US")
            .unwrap();
        assert_eq!(d["offered"], false);
        assert_eq!(d["reason"]["code"], "gateway_unavailable", "{d}");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains("not configured in this deployment"),
            "{d}"
        );
    }
    // the preferred currency is the default
    let r = app
        .get(&app.service, &format!("/v1/accounts/{us}/payment-methods"))
        .await
        .expect(200);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 0);
    let ke = account_in(app, "KE", "KES").await;
    let key = app.account_key(&ke).await;
    let r = app
        .get(
            &key,
            &format!("/v1/accounts/{ke}/payment-methods?currency=KES&amount=250000"),
        )
        .await
        .expect(200);
    let methods: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["local_wallet"], "{}", r.body);
    assert_eq!(r.body["data"][0]["wallet_details"]["provider"], "M-Pesa");
    // above M-Pesa's limit nothing is left (the card is not configured in this deployment)
    let r = app
        .get(
            &key,
            &format!("/v1/accounts/{ke}/payment-methods?currency=KES&amount=99999999"),
        )
        .await
        .expect(200);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 0);
    // explain says why each method is in or out
    let r = app
        .get(
            &app.admin,
            &format!(
                "/v1/admin/accounts/{ke}/payment-methods/explain?currency=KES&amount=99999999"
            ),
        )
        .await
        .expect(200);
    let decisions = r.body["data"].as_array().unwrap();
    assert!(decisions.iter().all(|d| d["offered"] == false));
    let mpesa = decisions
        .iter()
        .find(|d| d["config"]["method"] == "local_wallet" && d["config"]["country"] == "KE")
        .unwrap();
    assert_eq!(mpesa["offered"], false);
    assert_eq!(mpesa["reason"]["code"], "above_maximum");
    assert!(mpesa["message"].is_string());
    assert!(
        decisions
            .iter()
            .any(|d| d["reason"]["code"] == "other_country")
    );
    app.get(
        &key,
        &format!("/v1/admin/accounts/{ke}/payment-methods/explain?currency=KES"),
    )
    .await
    .expect(403);
    for amount in ["-1", "1000000000000001"] {
        assert_eq!(
            app.get(
                &app.service,
                &format!("/v1/accounts/{ke}/payment-methods?currency=KES&amount={amount}")
            )
            .await
            .expect(400)
            .param(),
            Some("amount"),
            "{amount}"
        );
    }
    assert_eq!(
        app.get(
            &app.service,
            &format!("/v1/accounts/{ke}/payment-methods?currency=KESS")
        )
        .await
        .expect(400)
        .param(),
        Some("currency")
    );
    assert_eq!(
        app.get(
            &app.service,
            &format!("/v1/accounts/{ke}/payment-methods?amount=lots")
        )
        .await
        .expect(400)
        .param(),
        Some("amount")
    );
    assert_eq!(
        app.get(
            &app.service,
            &format!("/v1/accounts/{ke}/payment-methods?amount=-5")
        )
        .await
        .expect(400)
        .param(),
        Some("amount")
    );
}
