//! LedgerRepository postings: grants, debits, duplicates, clawbacks, the posting rules, audited
//! adjustments and low-balance events (reads in `ledger_reads`, races in `concurrency`).

use billing_domain::RepoError;
use billing_domain::entities::LedgerKind;
use billing_domain::ports::{LedgerFilter, Posting, PostingMode, PostingOutcome};
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

pub async fn grant_and_debit(h: &Harness) {
    let id = h.account().await;
    let (entry, low_balance_crossed) =
        applied(post(h, &posting(&id, 100, "payment:pay_1", at(1))).await);
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
    let (d, _) = applied(post(h, &debit).await);
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
    let id = funded(h, 10).await;
    let out = post(h, &posting(&id, -11, "debit:big", at(2))).await;
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
    applied(post(h, &posting(&id, -11, "debit:big", at(3))).await);
    assert_eq!(balance(h, &id).await, (4, 0, 4));
    // Exactly what is available is enough, and reaches zero.
    let (e, _) = applied(post(h, &posting(&id, -4, "debit:rest", at(4))).await);
    assert_eq!(e.balance_after, 0);
    h.assert_no_drift().await;
}

pub async fn duplicate_source_ref_returns_the_original(h: &Harness) {
    let id = funded(h, 50).await;
    let (original, _) = applied(post(h, &posting(&id, -20, "debit:same", at(2))).await);
    assert_eq!(
        post(h, &posting(&id, -20, "debit:same", at(3))).await,
        PostingOutcome::Duplicate(original.clone())
    );
    // Even when the retry would now be short of credits, or differs in amount.
    assert_eq!(
        post(h, &posting(&id, -45, "debit:same", at(4))).await,
        PostingOutcome::Duplicate(original.clone())
    );
    let grant_twice = posting(&id, 50, "payment:p", at(5));
    post(h, &grant_twice).await;
    let PostingOutcome::Duplicate(g) = post(h, &posting(&id, 50, "payment:p", at(6))).await else {
        panic!()
    };
    assert_eq!(g.id, grant_twice.entry_id);
    assert_eq!(balance(h, &id).await, (80, 0, 80));
    assert_eq!(entries(h, &id).await, 3);
    // The same reference on another account is another posting.
    let other = h.account().await;
    applied(post(h, &posting(&other, 5, "payment:p", at(7))).await);
    assert_eq!(balance(h, &other).await, (5, 0, 5));
    h.assert_no_drift().await;
}

pub async fn up_to_available_clawback(h: &Harness) {
    let id = funded(h, 30).await;
    h.repos
        .ledger
        .hold(&new_hold(&id, 10, "job", at(2), time::Duration::hours(1)))
        .await
        .unwrap();
    let up_to = |amount, source: &str, ms| Posting {
        mode: PostingMode::UpToAvailable,
        ..posting(&id, amount, source, at(ms))
    };
    let mut claw = up_to(-50, "refund:re_1", 3);
    claw.kind = LedgerKind::RefundClawback;
    let (entry, _) = applied(post(h, &claw).await);
    assert_eq!(
        (entry.amount, entry.balance_after, entry.held_after),
        (-20, 10, 10)
    );
    let (entry, _) = applied(post(h, &up_to(-5, "refund:re_2", 4)).await);
    assert_eq!(
        (entry.amount, entry.balance_after),
        (0, 10),
        "nothing available: a zero entry records the attempt"
    );
    h.grant(&id, 100).await;
    let (entry, _) = applied(post(h, &up_to(-5, "refund:re_3", 5)).await);
    assert_eq!(entry.amount, -5, "enough available: the full amount");
    assert_eq!(balance(h, &id).await, (105, 10, 95));
    h.assert_no_drift().await;
}

pub async fn zero_amounts_and_taken_entry_ids_are_refused(h: &Harness) {
    let id = h.account().await;
    assert!(matches!(
        h.repos.ledger.post(&posting(&id, 0, "z", at(1))).await,
        Err(RepoError::Other(_))
    ));
    let p = posting(&id, 5, "one", at(1));
    applied(post(h, &p).await);
    let mut again = posting(&id, 5, "two", at(2));
    again.entry_id = p.entry_id.clone();
    assert_conflict(h.repos.ledger.post(&again).await, "same entry id");
    assert_eq!(balance(h, &id).await, (5, 0, 5));
}

pub async fn overflow_is_an_error_not_a_wrap(h: &Harness) {
    let id = h.account().await;
    applied(post(h, &posting(&id, i64::MAX, "g1", at(1))).await);
    assert!(matches!(
        h.repos.ledger.post(&posting(&id, 1, "g2", at(2))).await,
        Err(RepoError::Other(_))
    ));
    assert!(matches!(
        h.repos
            .ledger
            .post(&posting(&id, i64::MIN, "d", at(2)))
            .await,
        Err(RepoError::Other(_))
    ));
    assert_eq!(
        h.repos.ledger.balance(&id, at(2)).await.unwrap().balance,
        i64::MAX
    );
}

pub async fn low_balance_event_written_once_when_crossing(h: &Harness) {
    let id = h.account().await;
    set_threshold(h, &id, Some(20)).await;
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
    let crossed = |amount, source: &str, ms| {
        let p = posting(&id, amount, source, at(ms));
        async move { applied(post(h, &p).await) }
    };
    assert!(!crossed(30, "grant:1", 1).await.1, "a grant never crosses");
    assert!(
        !crossed(-10, "debit:1", 2).await.1,
        "30 -> 20 stays at the threshold"
    );
    let (entry, below) = crossed(-1, "debit:2", 3).await;
    assert!(below, "20 -> 19 crosses");
    assert!(!crossed(-1, "debit:3", 4).await.1, "already below");
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
    assert!(crossed(-15, "debit:4", 5).await.1);
    assert_eq!(low_balance_events(h, &id).await.len(), 2);
    assert_eq!(h.repos.outbox.undelivered(10).await.unwrap().len(), 2);
    set_threshold(h, &id, None).await;
    h.grant(&id, 100).await;
    assert!(!crossed(-110, "debit:5", 6).await.1);
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
        post(h, &adj).await,
        PostingOutcome::Insufficient(_)
    ));
    assert!(audit_log(h).await.is_empty(), "not applied: no audit entry");
    adj.amount = 5;
    applied(post(h, &adj).await);
    assert_eq!(audit_log(h).await, vec![adj.audit.clone().unwrap()]);
    assert!(matches!(post(h, &adj).await, PostingOutcome::Duplicate(_)));
    assert_eq!(audit_count(h).await, 1, "duplicate: no second audit entry");
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
