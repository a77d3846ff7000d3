//! Ledger postings, listing and verify of the memory store.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use time::Duration;

use super::MemoryStore;
use super::test_support::*;
use crate::entities::LedgerKind;
use crate::error::RepoError;
use crate::ports::{LedgerFilter, PostingMode, PostingOutcome};
use crate::types::AccountId;

#[tokio::test]
async fn a_new_account_has_a_zero_balance_and_unknown_accounts_are_not_found() {
    let r = repos();
    let a = new_account(&r).await;
    let b = r.ledger.balance(&a, t0()).await.unwrap();
    assert_eq!((b.balance, b.held, b.available), (0, 0, 0));
    let ghost = AccountId::generate(t0());
    assert_eq!(
        r.ledger.balance(&ghost, t0()).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        r.ledger.post(&posting(&ghost, 5, "g", t0())).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        r.ledger.set_low_balance_threshold(&ghost, Some(1)).await,
        Err(RepoError::NotFound)
    );
}

#[tokio::test]
async fn grants_and_debits_record_balance_after_and_duplicates_return_the_original() {
    let r = repos();
    let a = new_account(&r).await;
    let (grant, _) = applied(
        r.ledger
            .post(&posting(&a, 100, "payment:p1", at(1)))
            .await
            .unwrap(),
    );
    assert_eq!(
        (grant.amount, grant.balance_after, grant.held_after),
        (100, 100, 0)
    );
    let (debit, _) = applied(
        r.ledger
            .post(&posting(&a, -30, "debit:d1", at(2)))
            .await
            .unwrap(),
    );
    assert_eq!((debit.amount, debit.balance_after), (-30, 70));

    // Same source_ref, even with another amount: the original entry, nothing written.
    let dup = r
        .ledger
        .post(&posting(&a, -50, "debit:d1", at(3)))
        .await
        .unwrap();
    assert_eq!(dup, PostingOutcome::Duplicate(debit.clone()));
    assert_eq!(r.ledger.balance(&a, at(3)).await.unwrap().balance, 70);
    assert_eq!(
        r.ledger.find_by_source(&a, "debit:d1").await.unwrap(),
        Some(debit)
    );
    assert_eq!(
        r.ledger.find_by_source(&a, "debit:nope").await.unwrap(),
        None
    );

    // The same source_ref on another account is independent.
    let b = new_account(&r).await;
    applied(
        r.ledger
            .post(&posting(&b, 5, "payment:p1", at(4)))
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn exact_debits_beyond_available_write_nothing() {
    let r = repos();
    let a = new_account(&r).await;
    applied(r.ledger.post(&posting(&a, 10, "g", at(1))).await.unwrap());
    let out = r.ledger.post(&posting(&a, -11, "d", at(2))).await.unwrap();
    assert!(matches!(out, PostingOutcome::Insufficient(b) if b.balance == 10 && b.available == 10));
    assert_eq!(r.ledger.find_by_source(&a, "d").await.unwrap(), None);
    // Exactly the available amount is fine and reaches zero.
    let (e, _) = applied(r.ledger.post(&posting(&a, -10, "d", at(3))).await.unwrap());
    assert_eq!(e.balance_after, 0);
}

#[tokio::test]
async fn up_to_available_takes_what_is_there_even_nothing() {
    let r = repos();
    let a = new_account(&r).await;
    applied(r.ledger.post(&posting(&a, 10, "g", at(1))).await.unwrap());
    r.ledger
        .hold(&new_hold(&a, 4, "h", at(2), Duration::hours(1)))
        .await
        .unwrap();
    let mut p = posting(&a, -25, "refund:1", at(3));
    p.mode = PostingMode::UpToAvailable;
    p.kind = LedgerKind::RefundClawback;
    let (e, _) = applied(r.ledger.post(&p).await.unwrap());
    assert_eq!((e.amount, e.balance_after, e.held_after), (-6, 4, 4));
    let mut p = posting(&a, -3, "refund:2", at(4));
    p.mode = PostingMode::UpToAvailable;
    let (e, _) = applied(r.ledger.post(&p).await.unwrap());
    assert_eq!((e.amount, e.balance_after), (0, 4));
}

#[tokio::test]
async fn zero_amounts_and_taken_entry_ids_are_refused() {
    let r = repos();
    let a = new_account(&r).await;
    assert!(matches!(
        r.ledger.post(&posting(&a, 0, "z", at(1))).await,
        Err(RepoError::Other(_))
    ));
    let p = posting(&a, 5, "one", at(1));
    applied(r.ledger.post(&p).await.unwrap());
    let mut again = posting(&a, 5, "two", at(2));
    again.entry_id = p.entry_id.clone();
    assert!(matches!(
        r.ledger.post(&again).await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(r.ledger.balance(&a, at(2)).await.unwrap().balance, 5);
}

#[tokio::test]
async fn overflow_is_an_error_not_a_wrap() {
    let r = repos();
    let a = new_account(&r).await;
    applied(
        r.ledger
            .post(&posting(&a, i64::MAX, "g1", at(1)))
            .await
            .unwrap(),
    );
    assert!(matches!(
        r.ledger.post(&posting(&a, 1, "g2", at(2))).await,
        Err(RepoError::Other(_))
    ));
    assert!(matches!(
        r.ledger.post(&posting(&a, i64::MIN, "d", at(2))).await,
        Err(RepoError::Other(_))
    ));
    assert_eq!(r.ledger.balance(&a, at(2)).await.unwrap().balance, i64::MAX);
}

#[tokio::test]
async fn an_adjustment_writes_its_audit_entry_only_when_applied() {
    let r = repos();
    let a = new_account(&r).await;
    let mut short = posting(&a, -5, "adjustment:1", at(1));
    short.audit = Some(audit(at(1), "credits.adjust", a.as_str()));
    assert!(matches!(
        r.ledger.post(&short).await.unwrap(),
        PostingOutcome::Insufficient(_)
    ));
    let all = crate::ports::AuditFilter::default();
    assert!(
        r.audit
            .list(&all, &page(10, None))
            .await
            .unwrap()
            .data
            .is_empty()
    );
    let mut ok = posting(&a, 5, "adjustment:2", at(2));
    ok.audit = Some(audit(at(2), "credits.adjust", a.as_str()));
    applied(r.ledger.post(&ok).await.unwrap());
    assert_eq!(
        r.audit.list(&all, &page(10, None)).await.unwrap().data,
        vec![ok.audit.clone().unwrap()]
    );
}

#[tokio::test]
async fn entries_list_newest_first_with_filters_and_cursors() {
    let r = repos();
    let a = new_account(&r).await;
    for i in 1..=5 {
        applied(
            r.ledger
                .post(&posting(&a, 10, &format!("g{i}"), at(i * 10)))
                .await
                .unwrap(),
        );
    }
    applied(r.ledger.post(&posting(&a, -1, "d", at(60))).await.unwrap());
    let all = LedgerFilter::default();
    let p1 = r
        .ledger
        .list_entries(&a, &all, &page(4, None))
        .await
        .unwrap();
    assert!(p1.has_more);
    assert_eq!(
        p1.data
            .iter()
            .map(|e| e.source_ref.as_str())
            .collect::<Vec<_>>(),
        ["d", "g5", "g4", "g3"]
    );
    let p2 = r
        .ledger
        .list_entries(&a, &all, &page(4, Some(p1.data[3].id.as_str())))
        .await
        .unwrap();
    assert!(!p2.has_more);
    assert_eq!(
        p2.data
            .iter()
            .map(|e| e.source_ref.as_str())
            .collect::<Vec<_>>(),
        ["g2", "g1"]
    );
    let debits = LedgerFilter {
        kinds: vec![LedgerKind::UsageDebit],
        ..LedgerFilter::default()
    };
    assert_eq!(
        r.ledger
            .list_entries(&a, &debits, &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    let window = LedgerFilter {
        from: Some(at(20)),
        to: Some(at(40)),
        ..LedgerFilter::default()
    };
    let w = r
        .ledger
        .list_entries(&a, &window, &page(10, None))
        .await
        .unwrap();
    assert_eq!(
        w.data
            .iter()
            .map(|e| e.source_ref.as_str())
            .collect::<Vec<_>>(),
        ["g3", "g2"]
    );
    let ghost = AccountId::generate(t0());
    assert!(
        r.ledger
            .list_entries(&ghost, &all, &page(10, None))
            .await
            .unwrap()
            .data
            .is_empty()
    );
}

#[tokio::test]
async fn verify_reports_drift() {
    let store = MemoryStore::new();
    let r = store.repositories();
    let a = new_account(&r).await;
    let b = new_account(&r).await;
    applied(r.ledger.post(&posting(&a, 10, "g", at(1))).await.unwrap());
    store.corrupt_balance(&a, 11);
    let (drift, checked) = r.ledger.verify().await.unwrap();
    assert_eq!(checked, 2);
    assert_eq!(drift.len(), 1);
    assert_eq!(
        (
            drift[0].account_id.clone(),
            drift[0].balance,
            drift[0].entries_balance
        ),
        (a, 11, 10)
    );
    assert_ne!(drift[0].account_id, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_debits_never_overdraw() {
    let r = repos();
    let a = new_account(&r).await;
    applied(r.ledger.post(&posting(&a, 50, "g", at(0))).await.unwrap());
    let ledger = Arc::clone(&r.ledger);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (ledger, a) = (Arc::clone(&ledger), a.clone());
            // 100 distinct debits of 1 against 50 credits, each sent twice under one reference.
            tokio::spawn(async move {
                ledger
                    .post(&posting(&a, -1, &format!("d{}", i % 100), at(1)))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut applied_count = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), PostingOutcome::Applied { .. }) {
            applied_count += 1;
        }
    }
    assert_eq!(applied_count, 50);
    assert_eq!(r.ledger.balance(&a, at(2)).await.unwrap().balance, 0);
    assert_eq!(r.ledger.verify().await.unwrap().0, vec![]);
}
