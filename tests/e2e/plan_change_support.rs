//! Helpers of the plan change tests: plans at given prices, the clock moved to a fraction of
//! the current period, the change request, the newest payment.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{Resp, TestApp};

/// A plan priced `price` EUR cents per `interval`, granting `credits` a period.
pub async fn plan(app: &TestApp, slug: &str, price: i64, credits: i64, interval: &str) -> String {
    app.post(
        &app.admin,
        "/v1/admin/plans",
        json!({
            "name": slug.to_uppercase(), "slug": slug,
            "prices": [{"amount": price, "currency": "EUR"}],
            "interval": interval, "credits_per_period": credits,
            "features": [format!("tier:{slug}")], "dunning": {"retry_days": [1]}
        }),
    )
    .await
    .expect(201)
    .body["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Parses an RFC 3339 instant of an answer.
pub fn instant(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

/// Formats an instant as RFC 3339.
pub fn rfc(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// Moves the clock to `num / den` of the subscription's current period; returns that instant.
pub async fn at_fraction(
    app: &TestApp,
    acct: &str,
    sid: &str,
    num: i32,
    den: i32,
) -> OffsetDateTime {
    let sub = crate::subscription_support::subscription(app, acct, sid).await;
    let (start, end) = (
        instant(&sub["current_period_start"]),
        instant(&sub["current_period_end"]),
    );
    let t = start + (end - start) / den * num;
    move_to(app, t).await;
    t
}

/// Moves the clock to `t`; returns the clock's answer.
pub async fn move_to(app: &TestApp, t: OffsetDateTime) -> Value {
    app.post(&app.admin, "/v1/test/clock", json!({ "to": rfc(t) }))
        .await
        .expect(200)
        .body
}

/// `POST …/change` as `key`.
pub async fn change(app: &TestApp, key: &str, acct: &str, sid: &str, body: Value) -> Resp {
    app.post(
        key,
        &format!("/v1/accounts/{acct}/subscriptions/{sid}/change"),
        body,
    )
    .await
}

/// The id of the account's newest payment.
pub async fn newest_payment(app: &TestApp, acct: &str) -> String {
    app.get(&app.admin, &format!("/v1/accounts/{acct}/payments?limit=1"))
        .await
        .expect(200)
        .body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `(source, remaining, expires_at)` of the account's lots with credits left.
pub async fn lots(app: &TestApp, acct: &str) -> Vec<(String, i64, Option<OffsetDateTime>)> {
    app.get(&app.admin, &format!("/v1/accounts/{acct}/credits"))
        .await
        .expect(200)
        .body["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().to_owned(),
                l["remaining"].as_i64().unwrap(),
                l["expires_at"].as_str().map(|_| instant(&l["expires_at"])),
            )
        })
        .collect()
}
