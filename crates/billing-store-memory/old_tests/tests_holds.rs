//! Reservations (holds) of the memory store: hold, commit, release, expiry.
#![allow(clippy::unwrap_used)]

use time::Duration;

use super::test_support::*;
use crate::entities::{LedgerKind, ReservationStatus};
use crate::ports::{HoldOutcome, PostingOutcome, ReservationOutcome, SettleReservation};
use crate::types::{LedgerEntryId, ReservationId};

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
