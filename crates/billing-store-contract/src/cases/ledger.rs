//! LedgerRepository: postings, duplicates, clawbacks, low-balance events, listing, verify and
//! concurrency.

use billing_domain::RepoError;
use billing_domain::entities::{LedgerKind, OutboxEvent};
use billing_domain::ports::{AuditFilter, LedgerFilter, PostingMode, PostingOutcome};
use billing_domain::types::AccountId;

use crate::Harness;
use crate::fixtures::*;

pub async fn balance(h: &Harness, id: &AccountId) -> (i64, i64, i64) {
    let b = h.repos.ledger.balance(id, at(1_000_000)).await.unwrap();
    (b.balance, b.held, b.available)
}

/// Counts an account's entries, page by page.
pub async fn entries(h: &Harness, id: &AccountId) -> usize {
    let (mut count, mut after) = (0, None::<String>);
    loop {
        let p = h
            .repos
            .ledger
            .list_entries(id, &LedgerFilter::default(), &page(100, after.as_deref()))
            .await
            .unwrap();
        count += p.data.len();
        match (p.has_more, p.data.last()) {
            (true, Some(last)) => after = Some(last.id.to_string()),
            _ => return count,
        }
    }
}

async fn low_balance_events(h: &Harness, id: &AccountId) -> Vec<OutboxEvent> {
    h.repos
        .outbox
        .list(
            Some(id.clone()),
            Some("credits.low_balance".into()),
            &page(100, None),
        )
        .await
        .unwrap()
        .data
}

pub async fn grant_and_debit(h: &Harness) {
    let id = h.account().await;
    let grant = posting(&id, 100, "payment:pay_1", at(1));
    let PostingOutcome::Applied {
        entry,
        low_balance_crossed,
    } = h.repos.ledger.post(&grant).await.unwrap()
    else {
        panic!()
    };
    assert!(!low_balance_crossed);
    assert_eq!(
        (
            entry.amount,
            entry.balance_after,
            entry.held_after,
            entry.held_delta
        ),
        (100, 100, 0, 0)
    );
    assert_eq!(entry.kind, LedgerKind::PurchaseGrant);
    assert_eq!(entry.metadata, serde_json::json!({"operation": "test"}));
    assert_eq!(entry.created_at, at(1));
    let debit = posting(&id, -30, "debit:op-1", at(2));
    let PostingOutcome::Applied { entry: d, .. } = h.repos.ledger.post(&debit).await.unwrap()
    else {
        panic!()
    };
    assert_eq!((d.amount, d.balance_after), (-30, 70));
    assert_eq!(d.id, debit.entry_id);
    assert_eq!(balance(h, &id).await, (70, 0, 70));
    assert_eq!(
        h.repos
            .ledger
            .find_by_source(&id, "debit:op-1")
            .await
            .unwrap(),
        Some(d)
    );
    assert_eq!(
        h.repos
            .ledger
            .find_by_source(&id, "debit:none")
            .await
            .unwrap(),
        None
    );
    h.assert_no_drift().await;
}

pub async fn insufficient_debit_writes_nothing(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 10).await;
    let out = h
        .repos
        .ledger
        .post(&posting(&id, -11, "debit:big", at(2)))
        .await
        .unwrap();
    let PostingOutcome::Insufficient(b) = out else {
        panic!("{out:?}")
    };
    assert_eq!((b.balance, b.held, b.available), (10, 0, 10));
    assert_eq!(entries(h, &id).await, 1);
    assert_eq!(
        h.repos
            .ledger
            .find_by_source(&id, "debit:big")
            .await
            .unwrap(),
        None
    );
    // The same reference can be used once credits are there.
    h.grant(&id, 5).await;
    assert!(matches!(
        h.repos
            .ledger
            .post(&posting(&id, -11, "debit:big", at(3)))
            .await
            .unwrap(),
        PostingOutcome::Applied { .. }
    ));
    assert_eq!(balance(h, &id).await, (4, 0, 4));
    h.assert_no_drift().await;
}

pub async fn duplicate_source_ref_returns_the_original(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 50).await;
    let first = posting(&id, -20, "debit:same", at(2));
    let PostingOutcome::Applied {
        entry: original, ..
    } = h.repos.ledger.post(&first).await.unwrap()
    else {
        panic!()
    };
    let again = posting(&id, -20, "debit:same", at(3));
    assert_eq!(
        h.repos.ledger.post(&again).await.unwrap(),
        PostingOutcome::Duplicate(original.clone())
    );
    // Even when the retry would now be short of credits, or differs in amount.
    let big = posting(&id, -45, "debit:same", at(4));
    assert_eq!(
        h.repos.ledger.post(&big).await.unwrap(),
        PostingOutcome::Duplicate(original.clone())
    );
    let grant_twice = posting(&id, 50, "payment:p", at(5));
    h.repos.ledger.post(&grant_twice).await.unwrap();
    let PostingOutcome::Duplicate(g) = h
        .repos
        .ledger
        .post(&posting(&id, 50, "payment:p", at(6)))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(g.id, grant_twice.entry_id);
    assert_eq!(balance(h, &id).await, (80, 0, 80));
    assert_eq!(entries(h, &id).await, 3);
    h.assert_no_drift().await;
}

pub async fn up_to_available_clawback(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 30).await;
    h.repos
        .ledger
        .hold(&new_hold(&id, 10, "job", at(2), time::Duration::hours(1)))
        .await
        .unwrap();
    let mut claw = posting(&id, -50, "refund:re_1", at(3));
    claw.kind = LedgerKind::RefundClawback;
    claw.mode = PostingMode::UpToAvailable;
    let PostingOutcome::Applied { entry, .. } = h.repos.ledger.post(&claw).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (entry.amount, entry.balance_after, entry.held_after),
        (-20, 10, 10)
    );
    let mut zero = posting(&id, -5, "refund:re_2", at(4));
    zero.mode = PostingMode::UpToAvailable;
    let PostingOutcome::Applied { entry, .. } = h.repos.ledger.post(&zero).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        entry.amount, 0,
        "nothing available: a zero entry records the attempt"
    );
    let mut small = posting(&id, -5, "refund:re_3", at(5));
    small.mode = PostingMode::UpToAvailable;
    h.grant(&id, 100).await;
    let PostingOutcome::Applied { entry, .. } = h.repos.ledger.post(&small).await.unwrap() else {
        panic!()
    };
    assert_eq!(entry.amount, -5, "enough available: the full amount");
    assert_eq!(balance(h, &id).await, (105, 10, 95));
    h.assert_no_drift().await;
}

pub async fn low_balance_event_written_once_when_crossing(h: &Harness) {
    let id = h.account().await;
    h.repos
        .ledger
        .set_low_balance_threshold(&id, Some(20))
        .await
        .unwrap();
    assert_eq!(
        h.repos
            .accounts
            .get(&id)
            .await
            .unwrap()
            .unwrap()
            .low_balance_threshold,
        Some(20)
    );
    h.grant(&id, 30).await;
    let out = h
        .repos
        .ledger
        .post(&posting(&id, -10, "debit:1", at(2)))
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            PostingOutcome::Applied {
                low_balance_crossed: false,
                ..
            }
        ),
        "30 -> 20 stays at the threshold"
    );
    let out = h
        .repos
        .ledger
        .post(&posting(&id, -1, "debit:2", at(3)))
        .await
        .unwrap();
    let PostingOutcome::Applied {
        entry,
        low_balance_crossed: true,
    } = out
    else {
        panic!("{out:?}")
    };
    let out = h
        .repos
        .ledger
        .post(&posting(&id, -1, "debit:3", at(4)))
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            PostingOutcome::Applied {
                low_balance_crossed: false,
                ..
            }
        ),
        "already below"
    );
    let events = low_balance_events(h, &id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].account_id, Some(id.clone()));
    assert_eq!(events[0].created_at, at(3));
    assert_eq!(
        events[0].payload,
        serde_json::json!({"account_id": id, "balance": 19, "available": 19, "threshold": 20, "entry_id": entry.id})
    );
    // Back above, then down again: a second event. Disabled threshold: none.
    h.grant(&id, 10).await;
    h.repos
        .ledger
        .post(&posting(&id, -15, "debit:4", at(5)))
        .await
        .unwrap();
    assert_eq!(low_balance_events(h, &id).await.len(), 2);
    h.repos
        .ledger
        .set_low_balance_threshold(&id, None)
        .await
        .unwrap();
    h.grant(&id, 100).await;
    h.repos
        .ledger
        .post(&posting(&id, -110, "debit:5", at(6)))
        .await
        .unwrap();
    assert_eq!(low_balance_events(h, &id).await.len(), 2);
    let missing = AccountId::generate(at(0));
    assert_eq!(
        h.repos
            .ledger
            .set_low_balance_threshold(&missing, Some(1))
            .await,
        Err(RepoError::NotFound)
    );
}

pub async fn audited_posting_writes_the_audit_entry(h: &Harness) {
    let id = h.account().await;
    let mut adj = posting(&id, -5, "adjustment:a1", at(2));
    adj.kind = LedgerKind::AdminAdjustment;
    adj.audit = Some(audit(at(2), "credits.adjust", id.as_str()));
    assert!(matches!(
        h.repos.ledger.post(&adj).await.unwrap(),
        PostingOutcome::Insufficient(_)
    ));
    let (filter, first) = (AuditFilter::default(), page(10, None));
    let log = || h.repos.audit.list(&filter, &first);
    assert!(
        log().await.unwrap().data.is_empty(),
        "not applied: no audit entry"
    );
    adj.amount = 5;
    assert!(matches!(
        h.repos.ledger.post(&adj).await.unwrap(),
        PostingOutcome::Applied { .. }
    ));
    assert_eq!(log().await.unwrap().data, vec![adj.audit.clone().unwrap()]);
    assert!(matches!(
        h.repos.ledger.post(&adj).await.unwrap(),
        PostingOutcome::Duplicate(_)
    ));
    assert_eq!(
        log().await.unwrap().data.len(),
        1,
        "duplicate: no second audit entry"
    );
}

pub async fn unknown_account_is_not_found(h: &Harness) {
    let missing = AccountId::generate(at(0));
    assert_eq!(
        h.repos.ledger.post(&posting(&missing, 5, "g", at(1))).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        h.repos
            .ledger
            .post(&posting(&missing, -5, "d", at(1)))
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        h.repos.ledger.balance(&missing, at(1)).await,
        Err(RepoError::NotFound)
    );
    let empty = h
        .repos
        .ledger
        .list_entries(&missing, &LedgerFilter::default(), &page(10, None))
        .await
        .unwrap();
    assert!(empty.data.is_empty());
}
