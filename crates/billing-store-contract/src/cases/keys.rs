//! ApiKeyRepository and IdempotencyRepository.

use std::sync::Arc;

use billing_domain::RepoError;
use billing_domain::entities::{ApiKey, IdempotencyBegin, IdempotencyRecord};
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
    assert_eq!(audit_count(h).await, 1);
}

/// Revokes `id` at `ms`, audited.
async fn revoke(h: &Harness, id: &ApiKeyId, ms: i64) -> Result<ApiKey, RepoError> {
    let entry = audit(at(ms), "api_key.revoke", id.as_str());
    h.repos.api_keys.revoke(id, at(ms), &entry).await
}

pub async fn api_key_revoke_twice_keeps_first_time(h: &Harness) {
    let k = api_key(at(0), "hash-r");
    h.repos.api_keys.insert(&k, None).await.unwrap();
    let first = revoke(h, &k.id, 10).await.unwrap();
    assert_eq!(first.revoked_at, Some(at(10)));
    let second = revoke(h, &k.id, 20).await.unwrap();
    assert_eq!(second.revoked_at, Some(at(10)));
    assert_eq!(
        h.repos
            .api_keys
            .find_by_hash("hash-r")
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(at(10)),
        "revoked keys are still found"
    );
    assert_eq!(audit_count_of(h, "api_key.revoke").await, 2);
}

pub async fn api_key_revoke_missing_is_not_found(h: &Harness) {
    let id = ApiKeyId::generate(at(0));
    assert_eq!(revoke(h, &id, 1).await, Err(RepoError::NotFound));
    assert!(audit_log(h).await.is_empty());
}

pub async fn api_key_ids_and_hashes_are_unique(h: &Harness) {
    let k = api_key(at(0), "dup");
    h.repos.api_keys.insert(&k, None).await.unwrap();
    let same_hash = api_key(at(1), "dup");
    assert_conflict(h.repos.api_keys.insert(&same_hash, None).await, "same hash");
    assert_conflict(h.repos.api_keys.insert(&k, None).await, "same id");
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

pub async fn idempotency_begin_complete_keeps_the_first_response(h: &Harness) {
    let r = record("k1");
    assert_eq!(
        h.repos.idempotency.begin(&r).await.unwrap(),
        IdempotencyBegin::Started
    );
    // A retry sees the record as first begun: a response on the retry is ignored.
    let retry = IdempotencyRecord {
        response_status: Some(999),
        created_at: at(5),
        ..r.clone()
    };
    assert_eq!(
        h.repos.idempotency.begin(&retry).await.unwrap(),
        IdempotencyBegin::Existing(r.clone())
    );
    h.repos
        .idempotency
        .complete("key_1", "k1", 201, b"{\"ok\":true}")
        .await
        .unwrap();
    h.repos
        .idempotency
        .complete("key_1", "k1", 500, b"later")
        .await
        .unwrap();
    let expected = IdempotencyRecord {
        response_status: Some(201),
        response_body: Some(b"{\"ok\":true}".to_vec()),
        ..r.clone()
    };
    assert_eq!(
        h.repos.idempotency.begin(&r).await.unwrap(),
        IdempotencyBegin::Existing(expected),
        "the first response is kept"
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
    for (principal, key) in [("key_3", "k1"), ("key_1", "missing")] {
        assert_eq!(
            h.repos.idempotency.complete(principal, key, 200, b"").await,
            Err(RepoError::NotFound)
        );
    }
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
    let tasks: Vec<_> = (0..50)
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

pub async fn idempotency_a_stale_unfinished_request_is_taken_over_once(h: &Harness) {
    let r = record("crashed");
    h.repos.idempotency.begin(&r).await.unwrap();
    let retry = IdempotencyRecord {
        created_at: at(300),
        ..r.clone()
    };
    // Not stale yet: the first attempt may still be running.
    assert!(
        !h.repos
            .idempotency
            .take_over_stale(&retry, at(0))
            .await
            .unwrap()
    );
    // Another request under the key is never taken over (it stays a 422).
    let other = IdempotencyRecord {
        request_hash: "other".into(),
        ..retry.clone()
    };
    assert!(
        !h.repos
            .idempotency
            .take_over_stale(&other, at(200))
            .await
            .unwrap()
    );
    // Stale: taken once, the record restarted as the retry.
    assert!(
        h.repos
            .idempotency
            .take_over_stale(&retry, at(200))
            .await
            .unwrap()
    );
    assert!(
        !h.repos
            .idempotency
            .take_over_stale(&retry, at(200))
            .await
            .unwrap()
    );
    assert_eq!(
        h.repos.idempotency.begin(&r).await.unwrap(),
        IdempotencyBegin::Existing(retry.clone())
    );
    // A finished request is never taken over.
    h.repos
        .idempotency
        .complete("key_1", "crashed", 201, b"{}")
        .await
        .unwrap();
    let later = IdempotencyRecord {
        created_at: at(900),
        ..r.clone()
    };
    assert!(
        !h.repos
            .idempotency
            .take_over_stale(&later, at(800))
            .await
            .unwrap()
    );
    // An unknown key: nothing to take.
    assert!(
        !h.repos
            .idempotency
            .take_over_stale(&record("never"), at(800))
            .await
            .unwrap()
    );
}
