//! Renewals after downtime (missed periods invoiced and voided, only the current one
//! charged; a rerun adds nothing) and two server processes renewing the same database at
//! once (one period, one invoice, one number each).

use billing_api::config::Config;
use billing_api::server::start_with_test_clock;
use billing_api::store::StoreHandle;
use serde_json::json;

use crate::shop::shop;
use crate::subscription_support::*;
use crate::support::TestApp;

crate::clock_backends!(
    missed_periods_are_voided_and_only_the_current_one_is_charged,
    two_processes_renew_each_period_once,
);

async fn missed_periods_are_voided_and_only_the_current_one_is_charged(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let sid = &paid_by_transfer(app, &s.key, &s.acct, &plan).await;
    // The service is down for three months and a bit: nothing runs.
    app.clock.advance(time::Duration::days(95));
    let caught_up = advance(app, "PT1M").await;
    let renewed: Vec<_> = caught_up["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "subscription.renewed")
        .collect();
    assert_eq!(renewed.len(), 3, "{:?}", kinds(&caught_up));
    let charged: Vec<_> = renewed
        .iter()
        .map(|e| e["payload"]["charged"].as_bool().unwrap())
        .collect();
    assert_eq!(
        charged,
        vec![false, false, true],
        "oldest first, only the current one charged"
    );
    let invs = invoices(app, &s.acct).await;
    let statuses: Vec<_> = invs
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, vec!["paid", "void", "void", "pending"]);
    assert_eq!(
        event_of(&caught_up, "invoice.sent")["payload"]["invoice_id"],
        invs[3]["id"]
    );
    let sub = subscription(app, &s.acct, sid).await;
    assert_eq!(sub["period_index"], 3);
    assert_eq!(sub["periods"].as_array().unwrap().len(), 4);
    // A rerun at the same time adds nothing.
    let again = advance(app, "PT1M").await;
    assert!(kinds(&again).is_empty(), "{:?}", kinds(&again));
    assert_eq!(invoices(app, &s.acct).await.len(), 4);
    assert_eq!(
        app.balance(&s.acct).await.0,
        0,
        "the paid first period's allowance expired at its end; unpaid periods grant nothing"
    );
}

async fn two_processes_renew_each_period_once(app: &TestApp) {
    let s = shop(app).await;
    let plan = monthly_plan(app, "team", json!(null)).await;
    let mut subs = Vec::new();
    for i in 0..8 {
        let acct = crate::shop::account_in(app, &format!("Kunde {i}"), "DE", "EUR").await;
        let key = app.account_key(&acct).await;
        let created = subscribe(
            app,
            &key,
            &acct,
            json!({ "plan_id": plan, "payment_method": "bank_transfer" }),
        )
        .await;
        approve(app, created["payment"]["id"].as_str().unwrap()).await;
        subs.push(acct);
    }
    let _ = s;
    // A second server process on the same database and clock.
    let mut config = Config::for_tests(app.db_url.clone());
    config.test_mode = true;
    config.sweep_interval = std::time::Duration::from_secs(3600);
    let store = StoreHandle::open(&app.db_url, 4).unwrap();
    let other = start_with_test_clock(config, store, app.clock.clone()).unwrap();
    let other_url = other.url();
    app.clock.advance(time::Duration::days(31));
    let call = |url: String| {
        let client = app.client.clone();
        let admin = app.admin.clone();
        async move {
            client
                .post(format!("{url}/v1/test/clock"))
                .bearer_auth(admin)
                .json(&json!({ "advance": "PT1S" }))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let (a, b) = tokio::join!(call(app.url.clone()), call(other_url.clone()));
    assert!(a["events"].is_array() && b["events"].is_array(), "{a}\n{b}");
    // Each answer lists every event recorded meanwhile (both processes'), so the same event
    // may be in both; and the second process's first background pass (it runs at start) may
    // renew some at the instant the clock was moved, before either call. What must hold: no
    // subscription renewed twice (here), one renewal invoice and period each (below).
    let mut renewals: std::collections::BTreeMap<String, String> = Default::default();
    for e in a["events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(b["events"].as_array().unwrap())
    {
        if e["kind"] == "subscription.renewed" {
            let (id, sub) = (
                e["id"].to_string(),
                e["payload"]["subscription_id"].to_string(),
            );
            if let Some(other) = renewals.insert(id.clone(), sub.clone()) {
                assert_eq!(other, sub, "event {id} names one subscription");
            }
        }
    }
    let subs_renewed: std::collections::BTreeSet<&String> = renewals.values().collect();
    assert_eq!(
        subs_renewed.len(),
        renewals.len(),
        "renewed twice: {renewals:?}"
    );
    let mut numbers = Vec::new();
    for acct in &subs {
        let invs = invoices(app, acct).await;
        assert_eq!(invs.len(), 2, "one renewal invoice for {acct}");
        numbers.extend(
            invs.iter()
                .map(|i| i["number"].as_str().unwrap().to_owned()),
        );
        let list = app
            .get(&app.admin, &format!("/v1/accounts/{acct}/subscriptions"))
            .await
            .expect(200);
        let sid = list.body["data"][0]["id"].as_str().unwrap();
        assert_eq!(
            subscription(app, acct, sid).await["periods"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
    // Numbers are gapless per year: each year's sequence runs 1, 2, … with none twice.
    let mut by_year: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
    for n in &numbers {
        let mut parts = n.rsplitn(2, '-');
        let seq = parts.next().unwrap().parse().unwrap();
        by_year
            .entry(parts.next().unwrap().to_owned())
            .or_default()
            .push(seq);
    }
    let total: usize = by_year.values().map(Vec::len).sum();
    assert_eq!(total, 16);
    for (year, mut seqs) in by_year {
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (1..=u32::try_from(seqs.len()).unwrap()).collect::<Vec<_>>(),
            "{year}: gapless, none twice"
        );
    }
    // Each renewal invoice was sent once: one manual payment (with its reference) each.
    for acct in &subs {
        let invs = invoices(app, acct).await;
        let payments = app
            .get(
                &app.admin,
                &format!("/v1/admin/payments?account_id={acct}&limit=100"),
            )
            .await
            .expect(200);
        let of_renewal = payments.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["invoice_id"] == invs[1]["id"])
            .count();
        assert_eq!(of_renewal, 1, "{acct}");
    }
    // Paid (approved on either server), each period grants once.
    for acct in &subs {
        let invs = invoices(app, acct).await;
        let payments = app
            .get(
                &app.admin,
                &format!("/v1/admin/payments?account_id={acct}&limit=100"),
            )
            .await
            .expect(200);
        let renewal = payments.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["invoice_id"] == invs[1]["id"])
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (a, b) = tokio::join!(
            app.client
                .post(format!("{}/v1/admin/payments/{renewal}/approve", app.url))
                .bearer_auth(&app.admin)
                .json(&json!({}))
                .send(),
            app.client
                .post(format!("{other_url}/v1/admin/payments/{renewal}/approve"))
                .bearer_auth(&app.admin)
                .json(&json!({}))
                .send(),
        );
        let ok = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        assert!(ok.contains(&200), "{ok:?}");
        assert_eq!(
            crate::shop::entries(app, acct, "subscription_grant")
                .await
                .len(),
            2,
            "{acct}: one grant per period"
        );
    }
    other.stop().await;
}
