//! LedgerRepository under concurrency: racing grants, debits and their duplicates.

use std::sync::Arc;

use billing_domain::ports::{Posting, PostingOutcome};

use crate::Harness;
use crate::cases::ledger::{balance, entries};
use crate::fixtures::*;

/// Posts `make(0)`, …, `make(n - 1)` at once, each from its own task; their outcomes in order.
async fn post_at_once(h: &Harness, n: i64, make: impl Fn(i64) -> Posting) -> Vec<PostingOutcome> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (ledger, p) = (Arc::clone(&h.repos.ledger), make(i));
            tokio::spawn(async move { ledger.post(&p).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap().unwrap());
    }
    outcomes
}

pub async fn concurrent_grants_all_apply(h: &Harness) {
    let id = h.account().await;
    // Every grant twice: duplicates race with their originals.
    let outcomes = post_at_once(h, 50, |i| {
        posting(&id, 2, &format!("payment:{}", i % 25), at(10 + i))
    })
    .await;
    let (mut applied, mut dup) = (0, 0);
    for o in outcomes {
        match o {
            PostingOutcome::Applied { .. } => applied += 1,
            PostingOutcome::Duplicate(_) => dup += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((applied, dup), (25, 25));
    assert_eq!(balance(h, &id).await, (50, 0, 50));
    h.assert_no_drift().await;
}

pub async fn debit_never_goes_negative_under_concurrency(h: &Harness) {
    let id = funded(h, 100).await;
    let outcomes = post_at_once(h, 200, |i| {
        posting(&id, -1, &format!("debit:c{i}"), at(10 + i))
    })
    .await;
    let (mut applied, mut short) = (0, 0);
    for o in outcomes {
        match o {
            PostingOutcome::Applied { .. } => applied += 1,
            PostingOutcome::Insufficient(b) => {
                assert_eq!(b.available, 0);
                short += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((applied, short), (100, 100), "on {}", h.backend());
    assert_eq!(balance(h, &id).await, (0, 0, 0));
    assert_eq!(entries(h, &id).await, 101);
    h.assert_no_drift().await;
}

pub async fn racing_duplicate_debits_spend_once_and_never_overdraw(h: &Harness) {
    let id = funded(h, 50).await;
    // 100 distinct debits of 1 against 50 credits, each sent twice under one reference.
    let outcomes = post_at_once(h, 200, |i| {
        posting(&id, -1, &format!("debit:d{}", i % 100), at(1))
    })
    .await;
    let applied = outcomes
        .iter()
        .filter(|o| matches!(o, PostingOutcome::Applied { .. }))
        .count();
    assert_eq!(applied, 50, "on {}", h.backend());
    assert_eq!(balance(h, &id).await, (0, 0, 0));
    assert_eq!(entries(h, &id).await, 51);
    h.assert_no_drift().await;
}
