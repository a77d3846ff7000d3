//! LedgerRepository under concurrency, and `verify`.

use std::sync::Arc;

use billing_domain::ports::PostingOutcome;

use crate::cases::ledger::{balance, entries};
use crate::Harness;
use crate::fixtures::*;

pub async fn concurrent_grants_all_apply(h: &Harness) {
    let id = h.account().await;
    let ledger = Arc::clone(&h.repos.ledger);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (ledger, id) = (Arc::clone(&ledger), id.clone());
            // Every grant twice: duplicates race with their originals.
            tokio::spawn(async move {
                ledger
                    .post(&posting(&id, 2, &format!("payment:{}", i % 25), at(10 + i)))
                    .await
            })
        })
        .collect();
    let (mut applied, mut dup) = (0, 0);
    for t in tasks {
        match t.await.unwrap().unwrap() {
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
    let id = h.account().await;
    h.grant(&id, 100).await;
    let ledger = Arc::clone(&h.repos.ledger);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (ledger, id) = (Arc::clone(&ledger), id.clone());
            tokio::spawn(async move {
                ledger
                    .post(&posting(&id, -1, &format!("debit:c{i}"), at(10 + i)))
                    .await
            })
        })
        .collect();
    let (mut applied, mut short) = (0, 0);
    for t in tasks {
        match t.await.unwrap().unwrap() {
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
