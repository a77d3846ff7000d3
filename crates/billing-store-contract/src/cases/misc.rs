//! AuditRepository, OutboxRepository, StoreHealth.

use billing_domain::entities::{AuditEntry, OutboxEvent};
use billing_domain::ports::AuditFilter;
use billing_domain::types::{AccountId, EventId};

use crate::Harness;
use crate::fixtures::*;

pub async fn audit_insert_and_list_filters(h: &Harness) {
    let a = audit(at(0), "credit_package.update", "cpkg_1");
    let mut b = audit(at(10), "account.update", "acct_1");
    b.actor = "key_other".into();
    b.before = Some(serde_json::json!({"name": "old"}));
    let c = audit(at(20), "credit_package.update", "cpkg_2");
    let d = audit(at(30), "account.update", "acct_2");
    for e in [&a, &b, &c, &d] {
        h.repos.audit.insert(e).await.unwrap();
    }
    assert_conflict(h.repos.audit.insert(&a).await, "same id");
    let log = |e: &[&AuditEntry]| e.iter().map(|&e| e.clone()).collect::<Vec<_>>();
    assert_eq!(audit_log(h).await, log(&[&d, &c, &b, &a]));
    let cases = [
        (
            AuditFilter {
                action: Some("credit_package.update".into()),
                ..Default::default()
            },
            log(&[&c, &a]),
        ),
        (
            AuditFilter {
                actor: Some("key_other".into()),
                ..Default::default()
            },
            log(&[&b]),
        ),
        (
            AuditFilter {
                action: Some("account.update".into()),
                actor: Some("key_admin".into()),
                ..Default::default()
            },
            log(&[&d]),
        ),
        (
            AuditFilter {
                target_type: Some("credit_package".into()),
                ..Default::default()
            },
            log(&[&c, &a]),
        ),
        (
            AuditFilter {
                target_id: Some("cpkg_2".into()),
                ..Default::default()
            },
            log(&[&c]),
        ),
        (
            AuditFilter {
                target_type: Some("credit_package".into()),
                target_id: Some("cpkg_2".into()),
                ..Default::default()
            },
            log(&[&c]),
        ),
        (
            AuditFilter {
                from: Some(at(10)),
                to: Some(at(20)),
                ..Default::default()
            },
            log(&[&b]),
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(audit_where(h, filter.clone()).await, expected, "{filter:?}");
    }
    let all = AuditFilter::default();
    let p = h
        .repos
        .audit
        .list(&all, &page(2, Some(d.id.as_str())))
        .await
        .unwrap();
    assert_eq!((p.data, p.has_more), (log(&[&c, &b]), true));
    let p = h
        .repos
        .audit
        .list(&all, &page(2, Some(b.id.as_str())))
        .await
        .unwrap();
    assert_eq!((p.data, p.has_more), (vec![a], false));
}

fn event(account: Option<&AccountId>, kind: &str, ms: i64) -> OutboxEvent {
    OutboxEvent {
        id: EventId::generate(at(ms)),
        kind: kind.into(),
        account_id: account.cloned(),
        payload: serde_json::json!({"n": ms, "nested": {"ok": true}}),
        created_at: at(ms),
        delivered_at: None,
    }
}

pub async fn outbox_list_undelivered_mark_delivered(h: &Harness) {
    let acct = AccountId::generate(at(0));
    let e1 = event(Some(&acct), "invoice.paid", 1);
    let e2 = event(None, "credits.low_balance", 2);
    let e3 = event(Some(&acct), "credits.low_balance", 3);
    for e in [&e1, &e2, &e3] {
        h.repos.outbox.insert(e).await.unwrap();
    }
    assert_conflict(h.repos.outbox.insert(&e1).await, "same id");
    let list = |account: Option<&AccountId>, kind: Option<&str>, limit, after: Option<&EventId>| {
        let (outbox, account) = (h.repos.outbox.clone(), account.cloned());
        let (kind, after) = (kind.map(str::to_owned), after.map(|e| e.to_string()));
        async move {
            let p = outbox
                .list(account, kind, &page(limit, after.as_deref()))
                .await
                .unwrap();
            (p.data, p.has_more)
        }
    };
    assert_eq!(
        list(None, None, 10, None).await,
        (vec![e3.clone(), e2.clone(), e1.clone()], false)
    );
    assert_eq!(
        list(Some(&acct), None, 10, None).await,
        (vec![e3.clone(), e1.clone()], false)
    );
    assert_eq!(
        list(Some(&acct), Some("credits.low_balance"), 10, None).await,
        (vec![e3.clone()], false)
    );
    assert_eq!(
        list(None, None, 1, Some(&e3.id)).await,
        (vec![e2.clone()], true)
    );

    assert_eq!(
        h.repos.outbox.undelivered(2).await.unwrap(),
        vec![e1.clone(), e2.clone()],
        "oldest first"
    );
    let unknown = EventId::generate(at(9));
    h.repos
        .outbox
        .mark_delivered(&[e1.id.clone(), e2.id.clone(), unknown], at(100))
        .await
        .unwrap();
    h.repos
        .outbox
        .mark_delivered(std::slice::from_ref(&e1.id), at(200))
        .await
        .unwrap();
    h.repos.outbox.mark_delivered(&[], at(300)).await.unwrap();
    assert_eq!(h.repos.outbox.undelivered(10).await.unwrap(), vec![e3]);
    let (delivered, _) = list(None, Some("invoice.paid"), 10, None).await;
    assert_eq!(
        delivered[0].delivered_at,
        Some(at(100)),
        "first delivery time kept"
    );
}

pub async fn health_ping(h: &Harness) {
    h.repos.health.ping().await.unwrap();
}

pub async fn job_lease_one_holder_until_it_runs_out(h: &Harness) {
    let l = &h.repos.job_leases;
    assert!(l.acquire("janitor", "a", at(0), at(100)).await.unwrap());
    assert!(
        !l.acquire("janitor", "b", at(50), at(150)).await.unwrap(),
        "held by a"
    );
    assert!(
        l.acquire("janitor", "a", at(90), at(190)).await.unwrap(),
        "a renews"
    );
    assert!(
        !l.acquire("janitor", "b", at(150), at(250)).await.unwrap(),
        "renewed"
    );
    // Another job is another lease.
    assert!(l.acquire("purge", "b", at(150), at(250)).await.unwrap());
    // a stopped renewing: b takes it over once it ran out, and a has lost it.
    assert!(l.acquire("janitor", "b", at(190), at(290)).await.unwrap());
    assert!(!l.acquire("janitor", "a", at(200), at(300)).await.unwrap());
    // Only the holder gives it up.
    l.release("janitor", "a").await.unwrap();
    assert!(!l.acquire("janitor", "c", at(210), at(310)).await.unwrap());
    l.release("janitor", "b").await.unwrap();
    assert!(l.acquire("janitor", "c", at(210), at(310)).await.unwrap());
}

pub async fn job_lease_concurrent_takers_get_one_holder(h: &Harness) {
    let mut tasks = Vec::new();
    for i in 0..6 {
        let l = h.repos.job_leases.clone();
        tasks.push(tokio::spawn(async move {
            l.acquire("race", &format!("p{i}"), at(0), at(100))
                .await
                .unwrap()
        }));
    }
    let mut holders = 0;
    for t in tasks {
        holders += usize::from(t.await.unwrap());
    }
    assert_eq!(holders, 1);
}
