//! Credit packages: seed, public order, admin create/update/deactivate, bad input.

use reqwest::Method;
use serde_json::json;

use crate::support::TestApp;

crate::backends!(
    seed_is_idempotent_and_public_order_is_featured_first,
    admin_package_lifecycle,
    bad_package_input_writes_nothing
);

async fn seed_is_idempotent_and_public_order_is_featured_first(app: &TestApp) {
    let first = billing_api::seed::run(&app.services).await.unwrap();
    assert_eq!(first.packages_created, 4);
    assert_eq!(first.plans_created, 5);
    assert!(first.payment_method_configs_created >= 6);
    let second = billing_api::seed::run(&app.services).await.unwrap();
    assert_eq!(
        second,
        billing_api::seed::SeedReport::default(),
        "a second seed creates nothing"
    );
    // public: no key needed
    let r = TestApp::send(app.request(Method::GET, "/v1/credit-packages", None))
        .await
        .expect(200);
    let data = r.body["data"].as_array().unwrap();
    let names: Vec<&str> = data.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Pro", "Starter", "Business", "Enterprise"]);
    let pro = &data[0];
    assert_eq!(pro["credits"], 2000);
    assert_eq!(pro["prices"][0], json!({"amount": 2900, "currency": "USD"}));
    let currencies: Vec<&str> = pro["prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["currency"].as_str().unwrap())
        .collect();
    assert_eq!(
        currencies,
        ["USD", "EUR", "NGN", "KES", "PHP"],
        "priced in every seeded currency"
    );
    assert_eq!(
        pro["net_prices"][2],
        json!({"currency": "NGN", "amount": 4_500_000, "discount": 450_000, "net_amount": 4_050_000})
    );
    assert_eq!(pro["featured"], true);
    assert_eq!(pro["net_prices"][0]["net_amount"], 2610);
    assert_eq!(data[1]["prices"][0]["amount"], 900);
    assert_eq!(data[3]["net_prices"][0]["net_amount"], 19920);
    // an invalid key is still refused on the public listing
    app.get("bk_nope", "/v1/credit-packages").await.expect(401);
}

async fn admin_package_lifecycle(app: &TestApp) {
    let body = json!({ "name": "Mega", "slug": "mega", "credits": 100000, "prices": [{"amount": 99900, "currency": "USD"}], "discount_percent": "12.5", "sort_order": 9, "stripe_price_id": "price_123" });
    let created = app
        .post(&app.admin, "/v1/admin/credit-packages", body)
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cpkg_"));
    assert_eq!(created.body["discount_percent"], "12.5");
    assert_eq!(created.body["net_prices"][0]["net_amount"], 87412);
    app.get(&app.admin, &format!("/v1/admin/credit-packages/{id}"))
        .await
        .expect(200);
    // A new first price with a Stripe Price configured: say what becomes of the Price.
    let prices =
        json!([{"amount": 89900, "currency": "USD"}, {"amount": 82900, "currency": "EUR"}]);
    let r = app
        .patch(
            &app.admin,
            &format!("/v1/admin/credit-packages/{id}"),
            json!({ "featured": true, "prices": prices }),
        )
        .await
        .expect(400);
    assert_eq!(r.param(), Some("stripe_price_id"));
    let patched = app
        .patch(
            &app.admin,
            &format!("/v1/admin/credit-packages/{id}"),
            json!({ "featured": true, "prices": prices, "stripe_price_id": "price_456" }),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["stripe_price_id"], "price_456");
    assert_eq!(patched.body["featured"], true);
    assert_eq!(patched.body["prices"][0]["amount"], 89900);
    // 82900 × 12.5 % = 10362.5, rounded half away from zero to 10363.
    assert_eq!(
        patched.body["net_prices"][1]["net_amount"], 72537,
        "the discount applies per price"
    );
    // What a client reads it can send back.
    let again = app
        .patch(
            &app.admin,
            &format!("/v1/admin/credit-packages/{id}"),
            json!({ "prices": patched.body["prices"].clone() }),
        )
        .await
        .expect(200);
    assert_eq!(again.body["prices"], patched.body["prices"]);
    let public = app
        .get(&app.service, "/v1/credit-packages")
        .await
        .expect(200);
    assert_eq!(public.body["data"][0]["id"], id.as_str());
    let off = app
        .delete(&app.admin, &format!("/v1/admin/credit-packages/{id}"))
        .await
        .expect(200);
    assert_eq!(off.body["active"], false);
    let public = app
        .get(&app.service, "/v1/credit-packages")
        .await
        .expect(200);
    assert!(
        public.body["data"].as_array().unwrap().is_empty(),
        "inactive packages are not public"
    );
    let all = app
        .get(&app.admin, "/v1/admin/credit-packages")
        .await
        .expect(200);
    assert_eq!(all.body["data"].as_array().unwrap().len(), 1);
    app.patch(
        &app.admin,
        &format!("/v1/admin/credit-packages/{id}"),
        json!({ "active": true }),
    )
    .await
    .expect(200);
    let log = app
        .get(&app.admin, &format!("/v1/admin/audit-log?target_id={id}"))
        .await
        .expect(200);
    let actions: Vec<&str> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"credit_package.create")
            && actions.contains(&"credit_package.deactivate"),
        "{actions:?}"
    );
    let log = app
        .get(
            &app.admin,
            "/v1/admin/audit-log?action=credit_package.create&limit=1",
        )
        .await
        .expect(200);
    assert_eq!(log.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&app.admin, "/v1/admin/audit-log?created_gte=yesterday")
            .await
            .expect(400)
            .param(),
        Some("created_gte")
    );
}

async fn bad_package_input_writes_nothing(app: &TestApp) {
    let good = json!({ "name": "Ok", "slug": "ok", "credits": 100, "prices": [{"amount": 100, "currency": "USD"}] });
    let with = |k: &str, v: serde_json::Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("discount_percent", json!(101)), "discount_percent"),
        (with("discount_percent", json!(-1)), "discount_percent"),
        (with("discount_percent", json!("abc")), "discount_percent"),
        (
            with("prices", json!([{"amount": -100, "currency": "USD"}])),
            "prices[0].amount",
        ),
        (
            with("prices", json!([{"amount": 1e30, "currency": "USD"}])),
            "prices[0].amount",
        ),
        (
            with("prices", json!([{"amount": "12", "currency": "USD"}])),
            "prices[0].amount",
        ),
        (with("prices", json!([])), "prices"),
        (
            with(
                "prices",
                json!([{"amount": 1, "currency": "USD"}, {"amount": 2, "currency": "USD"}]),
            ),
            "prices[1].currency",
        ),
        (with("price", json!(100)), "price"),
        (with("credits", json!(0)), "credits"),
        (with("credits", json!(-5)), "credits"),
        (
            with("credits", json!(99_999_999_999_999_999_999.0)),
            "credits",
        ),
        (
            with("prices", json!([{"amount": 1, "currency": "XYZ"}])),
            "prices[0].currency",
        ),
        (
            with("prices", json!([{"amount": 1, "currency": "usd dollars"}])),
            "prices[0].currency",
        ),
        (with("name", json!("n".repeat(101))), "name"),
        (with("slug", json!("Not A Slug")), "slug"),
        (with("sort_order", json!(10_000_000_000_i64)), "sort_order"),
    ];
    for (body, param) in cases {
        let r = app
            .post(&app.admin, "/v1/admin/credit-packages", body.clone())
            .await
            .expect_refused();
        assert_eq!(r.param(), Some(param), "{body}: {}", r.body);
    }
    // Malformed values are 400; well-formed ones breaking a rule across fields are 422.
    let bad_code = with("prices", json!([{"amount": 1, "currency": "XYZ"}]));
    app.post(&app.admin, "/v1/admin/credit-packages", bad_code)
        .await
        .expect(400);
    let twice = with(
        "prices",
        json!([{"amount": 1, "currency": "USD"}, {"amount": 2, "currency": "usd"}]),
    );
    let r = app
        .post(&app.admin, "/v1/admin/credit-packages", twice)
        .await
        .expect(422);
    assert_eq!(r.param(), Some("prices[1].currency"), "{}", r.body);
    app.post(&app.admin, "/v1/admin/credit-packages", good.clone())
        .await
        .expect(201);
    assert_eq!(
        app.post(&app.admin, "/v1/admin/credit-packages", good)
            .await
            .expect(409)
            .error_code(),
        "slug_taken"
    );
    assert_eq!(
        app.get(
            &app.admin,
            "/v1/admin/credit-packages/cpkg_00000000000000000000000000"
        )
        .await
        .expect(404)
        .error_code(),
        "resource_missing"
    );
    let all = app
        .get(&app.admin, "/v1/admin/credit-packages")
        .await
        .expect(200);
    assert_eq!(
        all.body["data"].as_array().unwrap().len(),
        1,
        "only the valid package was written"
    );
}
