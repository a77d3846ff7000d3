//! Subscription plans: admin create/update/archive, the public listing, bad input.

use serde_json::json;

use crate::support::TestApp;

crate::backends!(plan_lifecycle, bad_plan_input_writes_nothing);

fn pro() -> serde_json::Value {
    json!({
        "name": "Pro", "slug": "pro-monthly", "description": "For teams",
        "prices": [{"amount": 2900, "currency": "USD"}, {"amount": 4_500_000, "currency": "NGN"}],
        "interval": "month", "credits_per_period": 2000,
        "features": ["api_access", "seats:5"], "trial_days": 14, "featured": true
    })
}

async fn plan_lifecycle(app: &TestApp) {
    let created = app
        .post(&app.admin, "/v1/admin/plans", pro())
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("plan_"));
    assert_eq!(
        created.body["interval"],
        json!({"unit": "month", "count": 1})
    );
    assert_eq!(
        created.body["prices"][1],
        json!({"amount": 4_500_000, "currency": "NGN"})
    );
    assert_eq!(
        created.body["dunning"],
        json!({"retry_days": [3, 7, 11], "final_action": "cancel"}),
        "the default schedule"
    );
    assert_eq!(created.body["features"], json!(["api_access", "seats:5"]));
    // What a client reads it can send back.
    let prices = created.body["prices"].clone();
    let patched = app
        .patch(
            &app.admin,
            &format!("/v1/admin/plans/{id}"),
            json!({"prices": prices, "credits_per_period": 2500, "interval": "month", "interval_count": 3}),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["credits_per_period"], 2500);
    assert_eq!(patched.body["interval"]["count"], 3);
    // The interval alone keeps the count: a quarterly plan does not become monthly.
    let same = app
        .patch(
            &app.admin,
            &format!("/v1/admin/plans/{id}"),
            json!({"interval": "month"}),
        )
        .await
        .expect(200);
    assert_eq!(same.body["interval"], json!({"unit": "month", "count": 3}));
    let public = app.get(&app.service, "/v1/plans").await.expect(200);
    assert_eq!(public.body["data"][0]["id"], id.as_str());
    let audit = app
        .get(&app.admin, "/v1/admin/audit-log?action=plan.update")
        .await
        .expect(200);
    assert_eq!(audit.body["data"][0]["target_id"], id.as_str());
    let archived = app
        .delete(&app.admin, &format!("/v1/admin/plans/{id}"))
        .await
        .expect(200);
    assert_eq!(archived.body["active"], false);
    let public = app.get(&app.service, "/v1/plans").await.expect(200);
    assert!(public.body["data"].as_array().unwrap().is_empty());
    // Archived plans stay readable for admins.
    app.get(&app.admin, &format!("/v1/admin/plans/{id}"))
        .await
        .expect(200);
    app.get(&app.admin, "/v1/admin/plans/plan_nope")
        .await
        .expect(404);
    // Only admins manage plans.
    app.post(&app.service, "/v1/admin/plans", pro())
        .await
        .expect(403);
}

async fn bad_plan_input_writes_nothing(app: &TestApp) {
    let cases = [
        (json!({"prices": []}), "prices"),
        (
            json!({"prices": [{"amount": -1, "currency": "USD"}]}),
            "prices[0].amount",
        ),
        (
            json!({"prices": [{"amount": 1, "currency": "USD"}, {"amount": 2, "currency": "USD"}]}),
            "prices[1].currency",
        ),
        (json!({"interval": "day"}), "interval"),
        (json!({"interval_count": 0}), "interval_count"),
        (json!({"credits_per_period": -5}), "credits_per_period"),
        (json!({"features": ["Not A Key"]}), "features[0]"),
        (json!({"trial_days": 9999}), "trial_days"),
        (
            json!({"interval": "week", "dunning": {"retry_days": [3, 7, 11]}}),
            "dunning.retry_days",
        ),
        (
            json!({"dunning": {"final_action": "shrug"}}),
            "dunning.final_action",
        ),
    ];
    for (patch, field) in cases {
        let mut body = pro();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app
            .post(&app.admin, "/v1/admin/plans", body)
            .await
            .expect_refused();
        assert_eq!(r.body["error"]["param"], field, "{}", r.body);
    }
    app.post(&app.admin, "/v1/admin/plans", pro())
        .await
        .expect(201);
    let dup = app
        .post(&app.admin, "/v1/admin/plans", pro())
        .await
        .expect(409);
    assert_eq!(dup.body["error"]["code"], "slug_taken");
    assert_eq!(dup.param(), Some("slug"));
    let all = app.get(&app.admin, "/v1/admin/plans").await.expect(200);
    assert_eq!(
        all.body["data"].as_array().unwrap().len(),
        1,
        "nothing else written"
    );
}
