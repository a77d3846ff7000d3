//! ApiKeyRepository and IdempotencyRepository.

use std::sync::Arc;

use billing_domain::RepoError;
use billing_domain::entities::{IdempotencyBegin, IdempotencyRecord};
use billing_domain::ports::AuditFilter;
use billing_domain::types::ApiKeyId;

use crate::Harness;
use crate::fixtures::*;

pub async fn api_key_insert_find_get_list(h: &Harness) {
    let a = api_key(at(0), "hash-a");
    let b = api_key(at(1), "hash-b");
    h.repos.api_keys.insert(&a, None).await.unwrap();
    h.repos
        .api_keys
        .insert(&b, Some(audit(at(1), "api_key.create", b.id.as_str())))
        .await
        .unwrap();
    assert_eq!(
        h.repos.api_keys.find_by_hash("hash-b").await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(h.repos.api_keys.find_by_hash("nope").await.unwrap(), None);
    assert_eq!(h.repos.api_keys.get(&a.id).await.unwrap(), Some(a.clone()));
    let p = h.repos.api_keys.list(&page(1, None)).await.unwrap();
    assert_eq!((p.data, p.has_more), (vec![b.clone()], true));
    let p = h
        .repos
        .api_keys
        .list(&page(1, Some(b.id.as_str())))
        .await
        .unwrap();
    assert_eq!((p.data, p.has_more), (vec![a], false));
    let log = h
        .repos
        .audit
        .list(&AuditFilter::default(), &page(10, None))
        .await
        .unwrap();
    assert_eq!(log.data.len(), 1);
}

pub async fn api_key_revoke_twice_keeps_first_time(h: &Harness) {
    let k = api_key(at(0), "hash-r");
    h.repos.api_keys.insert(&k, None).await.unwrap();
    let first = h
        .repos
        .api_keys
        .revoke(
            &k.id,
            at(10),
            &audit(at(10), "api_key.revoke", k.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(first.revoked_at, Some(at(10)));
    let second = h
        .repos
        .api_keys
        .revoke(
            &k.id,
            at(20),
            &audit(at(20), "api_key.revoke", k.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(second.revoked_at, Some(at(10)));
    assert_eq!(
        h.repos
            .api_keys
            .find_by_hash("hash-r")
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(at(10))
    );
}

pub async fn api_key_revoke_missing_is_not_found(h: &Harness) {
    let id = ApiKeyId::generate(at(0));
    let r = h
        .repos
        .api_keys
        .revoke(&id, at(1), &audit(at(1), "api_key.revoke", id.as_str()))
        .await;
    assert_eq!(r, Err(RepoError::NotFound));
    assert!(
        h.repos
            .audit
            .list(&AuditFilter::default(), &page(10, None))
            .await
            .unwrap()
            .data
            .is_empty()
    );
}

pub async fn api_key_hash_is_unique(h: &Harness) {
    h.repos
        .api_keys
        .insert(&api_key(at(0), "dup"), None)
        .await
        .unwrap();
    let r = h.repos.api_keys.insert(&api_key(at(1), "dup"), None).await;
    assert!(matches!(r, Err(RepoError::Conflict(_))));
}

fn record(key: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        principal: "key_1".into(),
        key: key.into(),
        request_hash: "abc".into(),
        response_status: None,
        response_body: None,
        created_at: at(0),
    }
}

pub async fn idempotency_begin_complete_existing(h: &Harness) {
    let r = record("k1");
    assert_eq!(
        h.repos.idempotency.begin(&r).await.unwrap(),
        IdempotencyBegin::Started
    );
    match h.repos.idempotency.begin(&r).await.unwrap() {
        IdempotencyBegin::Existing(e) => assert_eq!(e.response_status, None),
        other => panic!("{other:?}"),
    }
    h.repos
        .idempotency
        .complete("key_1", "k1", 201, b"{\"ok\":true}")
        .await
        .unwrap();
    let expected = IdempotencyRecord {
        response_status: Some(201),
        response_body: Some(b"{\"ok\":true}".to_vec()),
        ..r.clone()
    };
    assert_eq!(
        h.repos.idempotency.begin(&r).await.unwrap(),
        IdempotencyBegin::Existing(expected)
    );
    // Keys are per principal.
    let other = IdempotencyRecord {
        principal: "key_2".into(),
        ..r
    };
    assert_eq!(
        h.repos.idempotency.begin(&other).await.unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        h.repos.idempotency.complete("key_3", "k1", 200, b"").await,
        Err(RepoError::NotFound)
    );
}

pub async fn idempotency_abandon_allows_a_retry(h: &Harness) {
    let r = record("k2");
    assert_eq!(
        h.repos.idempotency.begin(&r).await.unwrap(),
        IdempotencyBegin::Started
    );
    h.repos.idempotency.abandon("key_1", "k2").await.unwrap();
    assert_eq!(
        h.repos.idempotency.begin(&r).await.unwrap(),
        IdempotencyBegin::Started
    );
    h.repos
        .idempotency
        .complete("key_1", "k2", 200, b"done")
        .await
        .unwrap();
    h.repos.idempotency.abandon("key_1", "k2").await.unwrap();
    assert!(
        matches!(
            h.repos.idempotency.begin(&r).await.unwrap(),
            IdempotencyBegin::Existing(_)
        ),
        "a completed record stays"
    );
}

pub async fn idempotency_purge_before(h: &Harness) {
    for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
        let r = IdempotencyRecord {
            created_at: at(i as i64 * 1000),
            ..record(key)
        };
        h.repos.idempotency.begin(&r).await.unwrap();
    }
    assert_eq!(h.repos.idempotency.purge_before(at(1500)).await.unwrap(), 2);
    assert_eq!(
        h.repos.idempotency.begin(&record("a")).await.unwrap(),
        IdempotencyBegin::Started
    );
    assert!(matches!(
        h.repos.idempotency.begin(&record("c")).await.unwrap(),
        IdempotencyBegin::Existing(_)
    ));
}

pub async fn idempotency_concurrent_begins_start_once(h: &Harness) {
    let repo = Arc::clone(&h.repos.idempotency);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move { repo.begin(&record("same")).await })
        })
        .collect();
    let mut started = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() == IdempotencyBegin::Started {
            started += 1;
        }
    }
    assert_eq!(started, 1);
}
