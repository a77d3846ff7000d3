//! Upgrades of a subscription that keeps a Stripe card, over HTTP with the test clock: the
//! proration invoice is charged off-session at once; paid, the plan switches in the same
//! answer; declined, the plan stays, the payer gets a pay link, and the upgrade is dropped
//! when its 23 hours run out (no dunning of a proration).

use serde_json::json;

use crate::plan_change_support::*;
use crate::subscription_support::*;
use crate::subscriptions_stripe::subscribed;
use crate::support::Backend;

crate::backend_fns!(
    card_sqlite, card_postgres;
    a_paid_upgrade_charge_switches_in_the_same_answer,
    a_declined_upgrade_charge_leaves_the_plan_unchanged,
);

/// The off-session charges Stripe received, as `(idempotency key, amount)`.
async fn charges_sent(stripe: &wiremock::MockServer) -> Vec<(String, String)> {
    charges_received(stripe)
        .await
        .into_iter()
        .map(|(key, form)| {
            let amount = url::form_urlencoded::parse(form.as_bytes())
                .find(|(k, _)| k == "amount")
                .unwrap()
                .1
                .into_owned();
            (key, amount)
        })
        .collect()
}

async fn a_paid_upgrade_charge_switches_in_the_same_answer(backend: Backend) {
    let (app, stripe, _charges, acct, sid) = subscribed(backend, json!(null)).await;
    let key = app.account_key(&acct).await;
    let double = plan(&app, "double", 2 * PLAN_PRICE, 2 * PLAN_CREDITS, "month").await;
    // The clock runs on from where it was moved: the preview's instant fixes the numbers.
    let mid = at_fraction(&app, &acct, &sid, 1, 2).await;
    let body = json!({ "plan_id": double, "proration_at": rfc(mid) });
    let applied = change(&app, &key, &acct, &sid, body).await.expect(200).body;
    let half = PLAN_PRICE / 2;
    assert_eq!(applied["proration"]["net"], half);
    let inv = &applied["invoice"];
    assert_eq!(inv["billing_reason"], "subscription_update");
    assert_eq!(
        charges_sent(&stripe).await,
        vec![(
            format!("{}:attempt:1", inv["id"].as_str().unwrap()),
            half.to_string()
        )]
    );
    assert_eq!(applied["next_action"], json!(null), "nothing left to do");
    let sub = &applied["subscription"];
    assert_eq!(
        (&sub["plan_id"], &sub["pending_change"]),
        (&json!(double), &json!(null))
    );
    assert_eq!(
        app.balance(&acct).await.0,
        PLAN_CREDITS + PLAN_CREDITS / 2,
        "the period's allowance and half of the extra"
    );
    // Asked again: already on that plan.
    let again = change(&app, &key, &acct, &sid, json!({ "plan_id": double })).await;
    assert_eq!(again.expect(422).param(), Some("plan_id"));
    assert_eq!(charges_sent(&stripe).await.len(), 1);
    app.stop().await;
}

async fn a_declined_upgrade_charge_leaves_the_plan_unchanged(backend: Backend) {
    let (app, stripe, charges, acct, sid) = subscribed(backend, json!(null)).await;
    let key = app.account_key(&acct).await;
    let double = plan(&app, "double", 2 * PLAN_PRICE, 2 * PLAN_CREDITS, "month").await;
    let team = subscription(&app, &acct, &sid).await["plan_id"].clone();
    at_fraction(&app, &acct, &sid, 1, 2).await;
    charges.then(&[Some("insufficient_funds")]);
    let applied = change(&app, &key, &acct, &sid, json!({ "plan_id": double }))
        .await
        .expect(200)
        .body;
    assert_eq!(applied["outcome"], "awaiting_payment");
    assert!(
        applied["next_action"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://")),
        "a pay link to pay it on-session: {applied}"
    );
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(sub["plan_id"], team, "the plan is unchanged");
    assert_eq!(sub["status"], "active", "a proration is not dunned");
    assert_eq!(sub["pending_change"]["kind"], "upgrade");
    assert_eq!(
        app.balance(&acct).await.0,
        PLAN_CREDITS,
        "no extra allowance"
    );

    // 23 hours later the upgrade is dropped and its invoice voided; no second charge.
    let dropped = advance(&app, "PT23H").await;
    event_of(&dropped, "subscription.pending_update_expired");
    let sub = subscription(&app, &acct, &sid).await;
    assert_eq!(
        (&sub["plan_id"], &sub["pending_change"]),
        (&team, &json!(null))
    );
    let update = invoices(&app, &acct)
        .await
        .into_iter()
        .find(|i| i["billing_reason"] == "subscription_update")
        .unwrap();
    assert_eq!(update["status"], "void");
    assert_eq!(charges_sent(&stripe).await.len(), 1);
    app.stop().await;
}
