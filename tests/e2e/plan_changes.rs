//! Upgrades over HTTP with the test clock, paid by bank transfer: 10 → 20 EUR at exactly
//! mid-period invoices +5.00 and switches when paid; at the period start the full difference;
//! one second before the end nothing; two upgrades never credit more than was billed, and a
//! price edited meanwhile does not change the credit; an unpaid upgrade is dropped after 23 h;
//! monthly → yearly starts a new anchor.

use serde_json::json;

use crate::plan_change_support::*;
use crate::shop::shop;
use crate::subscription_support::*;
use crate::support::TestApp;

crate::clock_backends!(
    an_upgrade_at_mid_period_invoices_five_and_switches_when_paid,
    at_the_period_start_the_full_difference_and_one_second_before_the_end_nothing,
    two_upgrades_never_credit_more_than_billed_and_a_price_edit_changes_nothing_billed,
    an_unpaid_upgrade_is_dropped_after_23_hours_and_the_plan_stays,
    monthly_to_yearly_starts_a_new_anchor_with_the_yearly_allowance,
);

async fn an_upgrade_at_mid_period_invoices_five_and_switches_when_paid(app: &TestApp) {
    let s = shop(app).await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let pro = plan(app, "pro", 2000, 3000, "month").await;
    let sid = paid_by_transfer(app, &s.key, &s.acct, &basic).await;
    let before = subscription(app, &s.acct, &sid).await;
    let mid = at_fraction(app, &s.acct, &sid, 1, 2).await;
    let invoices_before = invoices(app, &s.acct).await.len();

    // The preview bills nothing and says when it was computed.
    let body = json!({ "plan_id": pro, "preview": true, "proration_at": rfc(mid) });
    let preview = change(app, &s.key, &s.acct, &sid, body)
        .await
        .expect(200)
        .body;
    assert_eq!(preview["preview"], true);
    assert_eq!(preview["outcome"], "awaiting_payment");
    let p = &preview["proration"];
    assert_eq!(instant(&p["at"]), mid);
    assert_eq!(
        (
            &p["credit"],
            &p["charge"],
            &p["net"],
            &p["amount_due"],
            &p["extra_credits"]
        ),
        (
            &json!(500),
            &json!(1000),
            &json!(500),
            &json!(500),
            &json!(1000)
        )
    );
    assert_eq!(invoices(app, &s.acct).await.len(), invoices_before);
    assert_eq!(
        subscription(app, &s.acct, &sid).await["pending_change"],
        json!(null)
    );

    // Applied at the previewed instant: exactly those numbers, invoiced at once.
    let body = json!({ "plan_id": pro, "proration_at": rfc(mid) });
    let applied = change(app, &s.key, &s.acct, &sid, body)
        .await
        .expect(200)
        .body;
    assert_eq!(applied["outcome"], "awaiting_payment");
    assert_eq!(applied["proration"], preview["proration"]);
    let inv = &applied["invoice"];
    assert_eq!(inv["billing_reason"], "subscription_update");
    assert_eq!(
        (&inv["total"], &inv["status"]),
        (&json!(500), &json!("pending"))
    );
    assert!(inv["number"].as_str().is_some(), "numbered: {inv}");
    let line = &inv["lines"][0];
    assert_eq!(
        (&line["unit_amount"], &line["discount_amount"]),
        (&json!(1000), &json!(500))
    );
    assert_eq!(line["credits"], 1000);
    assert_eq!(
        applied["next_action"]["type"], "manual_transfer",
        "{applied}"
    );
    let waiting = &applied["subscription"];
    assert_eq!(
        waiting["plan_id"], basic,
        "the plan switches only when paid"
    );
    assert_eq!(waiting["pending_change"]["kind"], "upgrade");
    let ent = app
        .get(&s.key, &format!("/v1/accounts/{}/entitlements", s.acct))
        .await;
    assert_eq!(ent.expect(200).body["features"], json!(["tier:basic"]));

    // Asked again: the same upgrade stands; nothing more is billed.
    let again = change(app, &s.key, &s.acct, &sid, json!({ "plan_id": pro })).await;
    assert_eq!(again.expect(200).body["invoice"]["id"], inv["id"]);
    assert_eq!(invoices(app, &s.acct).await.len(), invoices_before + 1);

    approve(app, &newest_payment(app, &s.acct).await).await;
    let now = subscription(app, &s.acct, &sid).await;
    assert_eq!(now["plan_id"], pro);
    assert_eq!(now["pending_change"], json!(null));
    assert_eq!(
        (&now["billed"]["amount"], instant(&now["billed"]["from"])),
        (&json!(1000), mid)
    );
    assert_eq!(
        now["current_period_end"], before["current_period_end"],
        "same period"
    );
    let end = instant(&before["current_period_end"]);
    let extra: Vec<_> = lots(app, &s.acct)
        .await
        .into_iter()
        .filter(|l| l.1 == 1000)
        .collect();
    assert_eq!(
        extra.len(),
        2,
        "the period's allowance and the extra allowance"
    );
    assert!(
        extra.iter().all(|l| l.2 == Some(end)),
        "both expire at the period end"
    );
    let ent = app
        .get(&s.key, &format!("/v1/accounts/{}/entitlements", s.acct))
        .await;
    assert_eq!(ent.expect(200).body["features"], json!(["tier:pro"]));

    // The next period is billed on the new plan.
    move_to(app, end).await;
    let last = invoices(app, &s.acct).await.pop().unwrap();
    assert_eq!(
        (&last["billing_reason"], &last["total"]),
        (&json!("subscription_cycle"), &json!(2000))
    );
    let verify = app
        .get(&app.admin, "/v1/admin/credits/verify")
        .await
        .expect(200);
    assert_eq!(verify.body["ok"], true, "{}", verify.body);
}

async fn at_the_period_start_the_full_difference_and_one_second_before_the_end_nothing(
    app: &TestApp,
) {
    let s = shop(app).await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let pro = plan(app, "pro", 2000, 3000, "month").await;
    let sid = paid_by_transfer(app, &s.key, &s.acct, &basic).await;
    let sub = subscription(app, &s.acct, &sid).await;
    let start = sub["current_period_start"].clone();
    let body = json!({ "plan_id": pro, "preview": true, "proration_at": start });
    let p = change(app, &s.key, &s.acct, &sid, body)
        .await
        .expect(200)
        .body["proration"]
        .clone();
    assert_eq!(
        (&p["credit"], &p["charge"], &p["net"]),
        (&json!(1000), &json!(2000), &json!(1000))
    );
    assert_eq!(p["extra_credits"], 2000);

    let last_second = instant(&sub["current_period_end"]) - time::Duration::SECOND;
    move_to(app, last_second).await;
    let body = json!({ "plan_id": pro, "proration_at": rfc(last_second) });
    let applied = change(app, &s.key, &s.acct, &sid, body)
        .await
        .expect(200)
        .body;
    let p = &applied["proration"];
    assert!(p["net"].as_i64().unwrap() >= 0, "{p}");
    assert_eq!(p["amount_due"], 0);
    assert_eq!(
        applied["outcome"], "switched",
        "nothing to pay: switched now"
    );
    assert_eq!(applied["invoice"], json!(null));
    assert_eq!(applied["subscription"]["plan_id"], pro);
}

async fn two_upgrades_never_credit_more_than_billed_and_a_price_edit_changes_nothing_billed(
    app: &TestApp,
) {
    let s = shop(app).await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let pro = plan(app, "pro", 2000, 3000, "month").await;
    let business = plan(app, "business", 4000, 5000, "month").await;
    let sid = paid_by_transfer(app, &s.key, &s.acct, &basic).await;
    // Billed 10.00; the price is raised to 15.00 afterwards: the credit stays half of 10.00.
    app.patch(
        &app.admin,
        &format!("/v1/admin/plans/{basic}"),
        json!({ "prices": [{"amount": 1500, "currency": "EUR"}] }),
    )
    .await
    .expect(200);
    let mid = at_fraction(app, &s.acct, &sid, 1, 2).await;
    let first = change(
        app,
        &s.key,
        &s.acct,
        &sid,
        json!({ "plan_id": pro, "proration_at": rfc(mid) }),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        first["proration"]["credit"], 500,
        "from the billed line, not the new price"
    );
    approve(app, &newest_payment(app, &s.acct).await).await;
    let t = at_fraction(app, &s.acct, &sid, 3, 4).await;
    let second = change(
        app,
        &s.key,
        &s.acct,
        &sid,
        json!({ "plan_id": business, "proration_at": rfc(t) }),
    )
    .await
    .expect(200)
    .body;
    // Pro was billed 10.00 for the second half; a quarter of the period is left: 5.00.
    let p = &second["proration"];
    assert_eq!(
        (&p["credit"], &p["charge"], &p["net"]),
        (&json!(500), &json!(1000), &json!(500))
    );
    approve(app, &newest_payment(app, &s.acct).await).await;
    let billed: i64 = invoices(app, &s.acct)
        .await
        .iter()
        .map(|i| i["subtotal"].as_i64().unwrap())
        .sum();
    let credited: i64 = invoices(app, &s.acct)
        .await
        .iter()
        .map(|i| i["discount"].as_i64().unwrap())
        .sum();
    assert_eq!((billed, credited), (1000 + 1000 + 1000, 500 + 500));
    assert!(
        credited <= billed - 1000,
        "credits never exceed what was billed for the replaced plans"
    );
    assert_eq!(subscription(app, &s.acct, &sid).await["plan_id"], business);
}

async fn an_unpaid_upgrade_is_dropped_after_23_hours_and_the_plan_stays(app: &TestApp) {
    let s = shop(app).await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let pro = plan(app, "pro", 2000, 3000, "month").await;
    let sid = paid_by_transfer(app, &s.key, &s.acct, &basic).await;
    at_fraction(app, &s.acct, &sid, 1, 4).await;
    let applied = change(app, &s.key, &s.acct, &sid, json!({ "plan_id": pro }))
        .await
        .expect(200)
        .body;
    let inv = applied["invoice"]["id"].as_str().unwrap().to_owned();
    let clock = advance(app, "PT22H").await;
    assert!(!kinds(&clock).contains(&"subscription.pending_update_expired".to_owned()));
    let clock = advance(app, "PT1H").await;
    event_of(&clock, "subscription.pending_update_expired");
    let sub = subscription(app, &s.acct, &sid).await;
    assert_eq!(
        (&sub["plan_id"], &sub["pending_change"]),
        (&json!(basic), &json!(null))
    );
    let voided = app
        .get(&app.admin, &format!("/v1/admin/invoices/{inv}"))
        .await
        .expect(200)
        .body;
    assert_eq!(voided["status"], "void");
    // Paying it now is refused: the upgrade is gone.
    let late = app
        .post(
            &app.admin,
            &format!(
                "/v1/admin/payments/{}/approve",
                newest_payment(app, &s.acct).await
            ),
            json!({}),
        )
        .await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert_eq!(subscription(app, &s.acct, &sid).await["plan_id"], basic);
}

async fn monthly_to_yearly_starts_a_new_anchor_with_the_yearly_allowance(app: &TestApp) {
    let s = shop(app).await;
    let basic = plan(app, "basic", 1000, 1000, "month").await;
    let yearly = plan(app, "pro-yearly", 20_000, 40_000, "year").await;
    let sid = paid_by_transfer(app, &s.key, &s.acct, &basic).await;
    let mid = at_fraction(app, &s.acct, &sid, 1, 2).await;
    let applied = change(
        app,
        &s.key,
        &s.acct,
        &sid,
        json!({ "plan_id": yearly, "proration_at": rfc(mid) }),
    )
    .await
    .expect(200)
    .body;
    let p = &applied["proration"];
    assert_eq!(
        (&p["credit"], &p["charge"], &p["net"], &p["restarts_period"]),
        (&json!(500), &json!(20_000), &json!(19_500), &json!(true))
    );
    approve(app, &newest_payment(app, &s.acct).await).await;
    let sub = subscription(app, &s.acct, &sid).await;
    assert_eq!(sub["plan_id"], yearly);
    assert_eq!(instant(&sub["anchor"]), mid);
    assert_eq!(instant(&sub["current_period_start"]), mid);
    let end = instant(&sub["current_period_end"]);
    assert_eq!(end.year(), mid.year() + 1);
    assert_eq!((end.month(), end.day()), (mid.month(), mid.day()));
    assert!(
        lots(app, &s.acct)
            .await
            .contains(&("allowance".to_owned(), 40_000, Some(end)))
    );
    let periods = sub["periods"].as_array().unwrap();
    assert_eq!(
        instant(&periods.last().unwrap()["start"]),
        mid,
        "the new period's row"
    );
}
