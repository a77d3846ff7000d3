//! API keys, idempotency, audit, outbox and health in the memory store.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use crate::Harness;
use crate::fixtures::*;
use billing_domain::entities::{IdempotencyBegin, IdempotencyRecord, OutboxEvent};
use billing_domain::error::RepoError;
use billing_domain::ports::AuditFilter;
use billing_domain::types::{AccountId, ApiKeyId, EventId};

pub async fn api_keys_by_hash_list_and_revoke_once(h: &Harness) {
    let r = &h.repos;
    let k1 = api_key(at(1), "h1");
    let k2 = api_key(at(2), "h2");
    r.api_keys
        .insert(&k1, Some(audit(at(1), "api_key.create", k1.id.as_str())))
        .await
        .unwrap();
    r.api_keys.insert(&k2, None).await.unwrap();
    assert!(
        matches!(
            r.api_keys.insert(&api_key(at(3), "h1"), None).await,
            Err(RepoError::Conflict(_))
        ),
        "same hash"
    );
    assert!(
        matches!(
            r.api_keys.insert(&k1, None).await,
            Err(RepoError::Conflict(_))
        ),
        "same id"
    );
    assert_eq!(
        r.api_keys.find_by_hash("h2").await.unwrap(),
        Some(k2.clone())
    );
    assert_eq!(r.api_keys.find_by_hash("nope").await.unwrap(), None);
    assert_eq!(r.api_keys.get(&k1.id).await.unwrap(), Some(k1.clone()));
    let listed = r.api_keys.list(&page(1, None)).await.unwrap();
    assert_eq!((listed.data, listed.has_more), (vec![k2.clone()], true));

    let revoked = r
        .api_keys
        .revoke(
            &k1.id,
            at(5),
            &audit(at(5), "api_key.revoke", k1.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(at(5)));
    let again = r
        .api_keys
        .revoke(
            &k1.id,
            at(6),
            &audit(at(6), "api_key.revoke", k1.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(again.revoked_at, Some(at(5)), "first time kept");
    assert_eq!(
        r.api_keys
            .find_by_hash("h1")
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(at(5)),
        "revoked keys are still found"
    );
    assert_eq!(
        r.api_keys
            .revoke(
                &ApiKeyId::generate(at(7)),
                at(7),
                &audit(at(7), "api_key.revoke", "x")
            )
            .await,
        Err(RepoError::NotFound)
    );
    let revokes = AuditFilter {
        action: Some("api_key.revoke".into()),
        ..AuditFilter::default()
    };
    assert_eq!(
        r.audit
            .list(&revokes, &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        2
    );
}

fn record(key: &str, when: time::OffsetDateTime) -> IdempotencyRecord {
    IdempotencyRecord {
        principal: "key_1".into(),
        key: key.into(),
        request_hash: "abc".into(),
        response_status: Some(999), // ignored by begin
        response_body: None,
        created_at: when,
    }
}

pub async fn idempotency_begin_complete_abandon_purge(h: &Harness) {
    let r = &h.repos;
    assert_eq!(
        r.idempotency.begin(&record("k1", at(1))).await.unwrap(),
        IdempotencyBegin::Started
    );
    let IdempotencyBegin::Existing(pending) =
        r.idempotency.begin(&record("k1", at(2))).await.unwrap()
    else {
        panic!()
    };
    assert_eq!((pending.response_status, pending.created_at), (None, at(1)));
    r.idempotency
        .complete("key_1", "k1", 201, b"{}")
        .await
        .unwrap();
    r.idempotency
        .complete("key_1", "k1", 500, b"later")
        .await
        .unwrap();
    let IdempotencyBegin::Existing(done) = r.idempotency.begin(&record("k1", at(3))).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (done.response_status, done.response_body),
        (Some(201), Some(b"{}".to_vec())),
        "first response kept"
    );
    assert_eq!(
        r.idempotency.complete("key_1", "missing", 200, b"").await,
        Err(RepoError::NotFound)
    );

    // Abandon forgets only an unfinished record.
    r.idempotency.abandon("key_1", "k1").await.unwrap();
    assert!(matches!(
        r.idempotency.begin(&record("k1", at(4))).await.unwrap(),
        IdempotencyBegin::Existing(_)
    ));
    assert_eq!(
        r.idempotency.begin(&record("k2", at(5))).await.unwrap(),
        IdempotencyBegin::Started
    );
    r.idempotency.abandon("key_1", "k2").await.unwrap();
    assert_eq!(
        r.idempotency.begin(&record("k2", at(6))).await.unwrap(),
        IdempotencyBegin::Started
    );
    // Another principal's same key is independent.
    let mut other = record("k1", at(7));
    other.principal = "key_2".into();
    assert_eq!(
        r.idempotency.begin(&other).await.unwrap(),
        IdempotencyBegin::Started
    );

    assert_eq!(
        r.idempotency.purge_before(at(6)).await.unwrap(),
        1,
        "k1 of key_1"
    );
    assert_eq!(r.idempotency.purge_before(at(100)).await.unwrap(), 2);
}

pub async fn concurrent_begins_start_exactly_once(h: &Harness) {
    let r = &h.repos;
    let store = Arc::clone(&r.idempotency);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.begin(&record("race", at(1))).await.unwrap() })
        })
        .collect();
    let mut started = 0;
    for t in tasks {
        if t.await.unwrap() == IdempotencyBegin::Started {
            started += 1;
        }
    }
    assert_eq!(started, 1);
}

pub async fn audit_filters_and_pages(h: &Harness) {
    let r = &h.repos;
    for i in 0..6 {
        let mut e = audit(
            at(i * 10),
            if i % 2 == 0 {
                "account.update"
            } else {
                "credit_package.update"
            },
            &format!("t{i}"),
        );
        e.actor = if i < 3 { "alice".into() } else { "bob".into() };
        r.audit.insert(&e).await.unwrap();
    }
    let first = r
        .audit
        .list(&AuditFilter::default(), &page(10, None))
        .await
        .unwrap();
    assert_eq!(
        first
            .data
            .iter()
            .map(|e| e.target_id.as_str())
            .collect::<Vec<_>>(),
        ["t5", "t4", "t3", "t2", "t1", "t0"]
    );
    assert!(matches!(
        r.audit.insert(&first.data[0]).await,
        Err(RepoError::Conflict(_))
    ));
    let f = |f: AuditFilter| {
        let r = r.clone();
        async move {
            r.audit
                .list(&f, &page(10, None))
                .await
                .unwrap()
                .data
                .into_iter()
                .map(|e| e.target_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        f(AuditFilter {
            actor: Some("alice".into()),
            ..Default::default()
        })
        .await,
        ["t2", "t1", "t0"]
    );
    assert_eq!(
        f(AuditFilter {
            action: Some("account.update".into()),
            actor: Some("bob".into()),
            ..Default::default()
        })
        .await,
        ["t4"]
    );
    assert_eq!(
        f(AuditFilter {
            target_type: Some("credit_package".into()),
            ..Default::default()
        })
        .await,
        ["t5", "t3", "t1"]
    );
    assert_eq!(
        f(AuditFilter {
            target_id: Some("t3".into()),
            ..Default::default()
        })
        .await,
        ["t3"]
    );
    assert_eq!(
        f(AuditFilter {
            from: Some(at(20)),
            to: Some(at(40)),
            ..Default::default()
        })
        .await,
        ["t3", "t2"]
    );
    let p = r
        .audit
        .list(
            &AuditFilter::default(),
            &page(2, Some(first.data[1].id.as_str())),
        )
        .await
        .unwrap();
    assert_eq!(
        (p.data.len(), p.has_more, p.data[0].target_id.as_str()),
        (2, true, "t3")
    );
}

fn event(account: Option<&AccountId>, kind: &str, when: time::OffsetDateTime) -> OutboxEvent {
    OutboxEvent {
        id: EventId::generate(when),
        kind: kind.into(),
        account_id: account.cloned(),
        payload: serde_json::json!({}),
        created_at: when,
        delivered_at: None,
    }
}

pub async fn outbox_lists_delivers_and_filters(h: &Harness) {
    let r = &h.repos;
    let a = AccountId::generate(at(0));
    let events = [
        event(Some(&a), "invoice.paid", at(1)),
        event(None, "system.ping", at(2)),
        event(Some(&a), "credits.low_balance", at(3)),
    ];
    for e in &events {
        r.outbox.insert(e).await.unwrap();
    }
    assert!(matches!(
        r.outbox.insert(&events[0]).await,
        Err(RepoError::Conflict(_))
    ));
    let all = r.outbox.list(None, None, &page(10, None)).await.unwrap();
    assert_eq!(
        all.data.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["credits.low_balance", "system.ping", "invoice.paid"]
    );
    assert_eq!(
        r.outbox
            .list(Some(a.clone()), None, &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        2
    );
    assert_eq!(
        r.outbox
            .list(
                Some(a.clone()),
                Some("invoice.paid".into()),
                &page(10, None)
            )
            .await
            .unwrap()
            .data,
        vec![events[0].clone()]
    );
    assert_eq!(
        r.outbox.undelivered(2).await.unwrap(),
        vec![events[0].clone(), events[1].clone()],
        "oldest first"
    );
    r.outbox
        .mark_delivered(&[events[0].id.clone(), EventId::generate(at(9))], at(10))
        .await
        .unwrap();
    r.outbox
        .mark_delivered(&[events[0].id.clone()], at(11))
        .await
        .unwrap();
    assert_eq!(
        r.outbox.undelivered(10).await.unwrap(),
        vec![events[1].clone(), events[2].clone()]
    );
    let delivered = r
        .outbox
        .list(None, Some("invoice.paid".into()), &page(10, None))
        .await
        .unwrap();
    assert_eq!(delivered.data[0].delivered_at, Some(at(10)));
}
