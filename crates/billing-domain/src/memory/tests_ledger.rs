//! Ledger and reservation semantics of the memory store.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use time::Duration;

use super::MemoryStore;
use super::test_support::*;
use crate::entities::{LedgerKind, ReservationStatus};
use crate::error::RepoError;
use crate::ports::{
    HoldOutcome, LedgerFilter, PostingMode, PostingOutcome, ReservationOutcome, SettleReservation,
};
use crate::types::{AccountId, LedgerEntryId, ReservationId};

fn applied(o: PostingOutcome) -> (crate::entities::LedgerEntry, bool) {
    match o {
        PostingOutcome::Applied {
            entry,
            low_balance_crossed,
        } => (entry, low_balance_crossed),
        other => panic!("not applied: {other:?}"),
    }
}

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
async fn crossing_the_low_balance_threshold_downwards_records_one_event() {
    let r = repos();
    let a = new_account(&r).await;
    r.ledger
        .set_low_balance_threshold(&a, Some(50))
        .await
        .unwrap();
    assert_eq!(
        r.accounts
            .get(&a)
            .await
            .unwrap()
            .unwrap()
            .low_balance_threshold,
        Some(50)
    );
    assert!(!applied(r.ledger.post(&posting(&a, 100, "g", at(1))).await.unwrap()).1);
    assert!(
        !applied(r.ledger.post(&posting(&a, -50, "d1", at(2))).await.unwrap()).1,
        "50 is not below 50"
    );
    let (e, crossed) = applied(r.ledger.post(&posting(&a, -1, "d2", at(3))).await.unwrap());
    assert!(crossed);
    assert!(
        !applied(r.ledger.post(&posting(&a, -1, "d3", at(4))).await.unwrap()).1,
        "already below"
    );
    let events = r
        .outbox
        .list(
            Some(a.clone()),
            Some("credits.low_balance".into()),
            &page(10, None),
        )
        .await
        .unwrap();
    assert_eq!(events.data.len(), 1);
    let payload = &events.data[0].payload;
    assert_eq!(payload["account_id"], a.as_str());
    assert_eq!(payload["balance"], 49);
    assert_eq!(payload["threshold"], 50);
    assert_eq!(payload["entry_id"], e.id.as_str());
    // Back above, then below again: a second event.
    applied(r.ledger.post(&posting(&a, 100, "g2", at(5))).await.unwrap());
    assert!(
        applied(
            r.ledger
                .post(&posting(&a, -100, "d4", at(6)))
                .await
                .unwrap()
        )
        .1
    );
    assert_eq!(r.outbox.undelivered(10).await.unwrap().len(), 2);
    // Disabled: nothing.
    r.ledger.set_low_balance_threshold(&a, None).await.unwrap();
    applied(r.ledger.post(&posting(&a, 100, "g3", at(7))).await.unwrap());
    assert!(
        !applied(
            r.ledger
                .post(&posting(&a, -140, "d5", at(8)))
                .await
                .unwrap()
        )
        .1
    );
}

#[tokio::test]
async fn a_commit_crossing_the_threshold_records_low_balance_too() {
    let r = repos();
    let a = new_account(&r).await;
    r.ledger
        .set_low_balance_threshold(&a, Some(50))
        .await
        .unwrap();
    applied(r.ledger.post(&posting(&a, 100, "g", at(1))).await.unwrap());
    let HoldOutcome::Applied(rsv, _) = r
        .ledger
        .hold(&new_hold(&a, 70, "job", at(2), Duration::hours(1)))
        .await
        .unwrap()
    else {
        panic!()
    };
    let low = |r: &crate::ports::Repositories| {
        let (r, a) = (r.clone(), a.clone());
        async move {
            r.outbox
                .list(Some(a), Some("credits.low_balance".into()), &page(10, None))
                .await
                .unwrap()
                .data
        }
    };
    assert!(
        low(&r).await.is_empty(),
        "a hold does not change the balance"
    );
    let out = r
        .ledger
        .settle(
            &a,
            &rsv.id,
            SettleReservation::Commit { amount: 60 },
            LedgerEntryId::generate(at(3)),
            "k",
            at(3),
        )
        .await
        .unwrap();
    let ReservationOutcome::Settled(_, e) = out else {
        panic!("{out:?}")
    };
    assert_eq!(e.balance_after, 40);
    let events = low(&r).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].payload["entry_id"], e.id.as_str());
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
async fn holds_reduce_available_and_commit_spends_part_freeing_the_rest() {
    let r = repos();
    let a = new_account(&r).await;
    applied(r.ledger.post(&posting(&a, 100, "g", at(1))).await.unwrap());
    let h = new_hold(&a, 60, "job-1", at(2), Duration::hours(1));
    let HoldOutcome::Applied(rsv, entry) = r.ledger.hold(&h).await.unwrap() else {
        panic!()
    };
    assert_eq!(rsv.status, ReservationStatus::Active);
    assert_eq!(
        (
            entry.kind,
            entry.amount,
            entry.held_delta,
            entry.balance_after,
            entry.held_after
        ),
        (LedgerKind::ReservationHold, 0, 60, 100, 60)
    );
    assert_eq!(entry.source_ref, format!("reservation:{}:hold", rsv.id));
    assert_eq!(entry.reservation_id.as_ref(), Some(&rsv.id));
    let b = r.ledger.balance(&a, at(3)).await.unwrap();
    assert_eq!((b.balance, b.held, b.available), (100, 60, 40));
    // A debit may only use what is not held.
    assert!(matches!(
        r.ledger.post(&posting(&a, -41, "d", at(3))).await.unwrap(),
        PostingOutcome::Insufficient(_)
    ));
    // Same reference again: the existing reservation.
    assert_eq!(
        r.ledger
            .hold(&new_hold(&a, 60, "job-1", at(3), Duration::hours(1)))
            .await
            .unwrap(),
        HoldOutcome::Duplicate(rsv.clone())
    );
    // More than available: refused.
    assert!(
        matches!(r.ledger.hold(&new_hold(&a, 41, "job-2", at(3), Duration::hours(1))).await.unwrap(), HoldOutcome::Insufficient(b) if b.available == 40)
    );

    let exceeds = r
        .ledger
        .settle(
            &a,
            &rsv.id,
            SettleReservation::Commit { amount: 61 },
            LedgerEntryId::generate(at(4)),
            "k",
            at(4),
        )
        .await
        .unwrap();
    assert!(matches!(exceeds, ReservationOutcome::ExceedsHold(_)));
    let out = r
        .ledger
        .settle(
            &a,
            &rsv.id,
            SettleReservation::Commit { amount: 25 },
            LedgerEntryId::generate(at(4)),
            "k",
            at(4),
        )
        .await
        .unwrap();
    let ReservationOutcome::Settled(done, entry) = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        (done.status, done.committed_amount),
        (ReservationStatus::Committed, 25)
    );
    assert_eq!(
        (
            entry.kind,
            entry.amount,
            entry.held_delta,
            entry.balance_after,
            entry.held_after
        ),
        (LedgerKind::ReservationCommit, -25, -60, 75, 0)
    );
    assert_eq!(entry.source_ref, format!("reservation:{}:commit", rsv.id));
    assert_eq!(
        r.ledger.get_reservation(&a, &rsv.id).await.unwrap(),
        Some(done.clone())
    );

    let again = r
        .ledger
        .settle(
            &a,
            &rsv.id,
            SettleReservation::Commit { amount: 25 },
            LedgerEntryId::generate(at(5)),
            "k",
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(again, ReservationOutcome::AlreadySettled(done.clone()));
    let other = r
        .ledger
        .settle(
            &a,
            &rsv.id,
            SettleReservation::Release,
            LedgerEntryId::generate(at(5)),
            "k",
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(other, ReservationOutcome::NotActive(done));
    assert_eq!(r.ledger.verify().await.unwrap(), (vec![], 1));
}

#[tokio::test]
async fn release_gives_everything_back_and_is_idempotent() {
    let r = repos();
    let a = new_account(&r).await;
    applied(r.ledger.post(&posting(&a, 10, "g", at(1))).await.unwrap());
    let HoldOutcome::Applied(rsv, _) = r
        .ledger
        .hold(&new_hold(&a, 10, "j", at(2), Duration::hours(1)))
        .await
        .unwrap()
    else {
        panic!()
    };
    let out = r
        .ledger
        .settle(
            &a,
            &rsv.id,
            SettleReservation::Release,
            LedgerEntryId::generate(at(3)),
            "k",
            at(3),
        )
        .await
        .unwrap();
    let ReservationOutcome::Settled(done, entry) = out else {
        panic!()
    };
    assert_eq!(done.status, ReservationStatus::Released);
    assert_eq!(
        (entry.kind, entry.amount, entry.held_delta, entry.held_after),
        (LedgerKind::ReservationRelease, 0, -10, 0)
    );
    assert_eq!(entry.source_ref, format!("reservation:{}:release", rsv.id));
    let again = r
        .ledger
        .settle(
            &a,
            &rsv.id,
            SettleReservation::Release,
            LedgerEntryId::generate(at(4)),
            "k",
            at(4),
        )
        .await
        .unwrap();
    assert!(matches!(again, ReservationOutcome::AlreadySettled(_)));
    let commit = r
        .ledger
        .settle(
            &a,
            &rsv.id,
            SettleReservation::Commit { amount: 1 },
            LedgerEntryId::generate(at(4)),
            "k",
            at(4),
        )
        .await
        .unwrap();
    assert!(matches!(commit, ReservationOutcome::NotActive(_)));
    assert_eq!(r.ledger.balance(&a, at(4)).await.unwrap().available, 10);
    // Unknown reservation, or another account's: NotFound.
    let ghost = ReservationId::generate(at(4));
    assert_eq!(
        r.ledger
            .settle(
                &a,
                &ghost,
                SettleReservation::Release,
                LedgerEntryId::generate(at(4)),
                "k",
                at(4)
            )
            .await
            .unwrap(),
        ReservationOutcome::NotFound
    );
    let b = new_account(&r).await;
    assert_eq!(
        r.ledger
            .settle(
                &b,
                &rsv.id,
                SettleReservation::Release,
                LedgerEntryId::generate(at(4)),
                "k",
                at(4)
            )
            .await
            .unwrap(),
        ReservationOutcome::NotFound
    );
    assert_eq!(r.ledger.get_reservation(&b, &rsv.id).await.unwrap(), None);
}

#[tokio::test]
async fn holds_expire_on_balance_reads_on_settle_and_by_the_sweep() {
    let r = repos();
    let a = new_account(&r).await;
    applied(r.ledger.post(&posting(&a, 100, "g", at(0))).await.unwrap());
    let ttl = Duration::seconds(10);
    let HoldOutcome::Applied(h1, _) = r
        .ledger
        .hold(&new_hold(&a, 10, "h1", at(1), ttl))
        .await
        .unwrap()
    else {
        panic!()
    };
    let HoldOutcome::Applied(h2, _) = r
        .ledger
        .hold(&new_hold(&a, 20, "h2", at(2), ttl))
        .await
        .unwrap()
    else {
        panic!()
    };
    let HoldOutcome::Applied(h3, _) = r
        .ledger
        .hold(&new_hold(&a, 30, "h3", at(3), ttl))
        .await
        .unwrap()
    else {
        panic!()
    };
    // Still live one millisecond before expiry.
    assert_eq!(
        r.ledger
            .balance(&a, h1.expires_at - Duration::milliseconds(1))
            .await
            .unwrap()
            .held,
        60
    );
    // A balance read at h1's expiry expires h1 only.
    assert_eq!(r.ledger.balance(&a, h1.expires_at).await.unwrap().held, 50);
    let e = r
        .ledger
        .find_by_source(&a, &format!("reservation:{}:expiry", h1.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.kind, e.amount, e.held_delta, e.held_after),
        (LedgerKind::ReservationExpiry, 0, -10, 50)
    );
    assert_eq!(
        r.ledger
            .get_reservation(&a, &h1.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        ReservationStatus::Expired
    );
    // Settling an expired hold expires it and reports NotActive.
    let late = r
        .ledger
        .settle(
            &a,
            &h2.id,
            SettleReservation::Commit { amount: 1 },
            LedgerEntryId::generate(at(20_000)),
            "k",
            h2.expires_at,
        )
        .await
        .unwrap();
    assert!(
        matches!(late, ReservationOutcome::NotActive(ref x) if x.status == ReservationStatus::Expired)
    );
    // The sweep takes the rest, bounded by its limit.
    let b = new_account(&r).await;
    applied(r.ledger.post(&posting(&b, 5, "g", at(0))).await.unwrap());
    r.ledger
        .hold(&new_hold(&b, 5, "hb", at(1), ttl))
        .await
        .unwrap();
    assert_eq!(r.ledger.expire_due(at(60_000), 1).await.unwrap(), 1);
    assert_eq!(r.ledger.expire_due(at(60_000), 10).await.unwrap(), 1);
    assert_eq!(r.ledger.expire_due(at(60_000), 10).await.unwrap(), 0);
    assert_eq!(
        r.ledger
            .get_reservation(&a, &h3.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        ReservationStatus::Expired
    );
    assert_eq!(r.ledger.balance(&a, at(60_000)).await.unwrap().held, 0);
    assert_eq!(r.ledger.verify().await.unwrap(), (vec![], 2));
}

#[tokio::test]
async fn a_short_posting_or_hold_expires_due_holds_first() {
    let r = repos();
    let a = new_account(&r).await;
    applied(r.ledger.post(&posting(&a, 10, "g", at(0))).await.unwrap());
    let HoldOutcome::Applied(h, _) = r
        .ledger
        .hold(&new_hold(&a, 10, "h", at(1), Duration::seconds(1)))
        .await
        .unwrap()
    else {
        panic!()
    };
    // Before expiry: short.
    assert!(matches!(
        r.ledger
            .post(&posting(&a, -10, "d", at(500)))
            .await
            .unwrap(),
        PostingOutcome::Insufficient(_)
    ));
    // After: the hold is expired in its own entry and the debit succeeds.
    let (e, _) = applied(
        r.ledger
            .post(&posting(&a, -10, "d", at(1001)))
            .await
            .unwrap(),
    );
    assert_eq!((e.balance_after, e.held_after), (0, 0));
    assert!(
        r.ledger
            .find_by_source(&a, &format!("reservation:{}:expiry", h.id))
            .await
            .unwrap()
            .is_some()
    );

    applied(
        r.ledger
            .post(&posting(&a, 10, "g2", at(2000)))
            .await
            .unwrap(),
    );
    r.ledger
        .hold(&new_hold(&a, 10, "h2", at(2001), Duration::seconds(1)))
        .await
        .unwrap();
    assert!(matches!(
        r.ledger
            .hold(&new_hold(&a, 10, "h3", at(3001), Duration::seconds(1)))
            .await
            .unwrap(),
        HoldOutcome::Applied(..)
    ));
    assert_eq!(r.ledger.verify().await.unwrap().0, vec![]);
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
