//! AuditRepository, OutboxRepository, StoreHealth.

use billing_domain::entities::OutboxEvent;
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
    for e in [&a, &b, &c] {
        h.repos.audit.insert(e).await.unwrap();
    }
    let all = h
        .repos
        .audit
        .list(&AuditFilter::default(), &page(10, None))
        .await
        .unwrap();
    assert_eq!(all.data, vec![c.clone(), b.clone(), a.clone()]);
    let f = AuditFilter {
        action: Some("credit_package.update".into()),
        ..Default::default()
    };
    assert_eq!(
        h.repos.audit.list(&f, &page(10, None)).await.unwrap().data,
        vec![c.clone(), a.clone()]
    );
    let f = AuditFilter {
        actor: Some("key_other".into()),
        ..Default::default()
    };
    assert_eq!(
        h.repos.audit.list(&f, &page(10, None)).await.unwrap().data,
        vec![b.clone()]
    );
    let f = AuditFilter {
        target_type: Some("credit_package".into()),
        target_id: Some("cpkg_2".into()),
        ..Default::default()
    };
    assert_eq!(
        h.repos.audit.list(&f, &page(10, None)).await.unwrap().data,
        vec![c.clone()]
    );
    let f = AuditFilter {
        from: Some(at(10)),
        to: Some(at(20)),
        ..Default::default()
    };
    assert_eq!(
        h.repos.audit.list(&f, &page(10, None)).await.unwrap().data,
        vec![b.clone()]
    );
    let p = h
        .repos
        .audit
        .list(&AuditFilter::default(), &page(2, Some(c.id.as_str())))
        .await
        .unwrap();
    assert_eq!((p.data, p.has_more), (vec![b, a], false));
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
    let all = h
        .repos
        .outbox
        .list(None, None, &page(10, None))
        .await
        .unwrap();
    assert_eq!(all.data, vec![e3.clone(), e2.clone(), e1.clone()]);
    let mine = h
        .repos
        .outbox
        .list(Some(acct.clone()), None, &page(10, None))
        .await
        .unwrap();
    assert_eq!(mine.data, vec![e3.clone(), e1.clone()]);
    let low = h
        .repos
        .outbox
        .list(
            Some(acct),
            Some("credits.low_balance".into()),
            &page(10, None),
        )
        .await
        .unwrap();
    assert_eq!(low.data, vec![e3.clone()]);
    let p = h
        .repos
        .outbox
        .list(None, None, &page(1, Some(e3.id.as_str())))
        .await
        .unwrap();
    assert_eq!((p.data, p.has_more), (vec![e2.clone()], true));

    assert_eq!(
        h.repos.outbox.undelivered(2).await.unwrap(),
        vec![e1.clone(), e2.clone()]
    );
    h.repos
        .outbox
        .mark_delivered(&[e1.id.clone(), e2.id.clone()], at(100))
        .await
        .unwrap();
    h.repos
        .outbox
        .mark_delivered(std::slice::from_ref(&e1.id), at(200))
        .await
        .unwrap();
    h.repos.outbox.mark_delivered(&[], at(300)).await.unwrap();
    assert_eq!(h.repos.outbox.undelivered(10).await.unwrap(), vec![e3]);
    let delivered = h
        .repos
        .outbox
        .list(None, Some("invoice.paid".into()), &page(10, None))
        .await
        .unwrap();
    assert_eq!(
        delivered.data[0].delivered_at,
        Some(at(100)),
        "first delivery time kept"
    );
}

pub async fn health_ping(h: &Harness) {
    h.repos.health.ping().await.unwrap();
}
