//! Reservations: hold, commit, release, expiry.

use billing_domain::entities::{LedgerKind, ReservationStatus};
use billing_domain::ports::{
    HoldOutcome, LedgerFilter, PostingOutcome, ReservationOutcome, SettleReservation,
};
use billing_domain::types::{AccountId, LedgerEntryId, ReservationId};
use time::Duration;

use crate::Harness;
use crate::fixtures::*;

async fn triple(h: &Harness, id: &AccountId, ms: i64) -> (i64, i64, i64) {
    let b = h.repos.ledger.balance(id, at(ms)).await.unwrap();
    (b.balance, b.held, b.available)
}

async fn hold(
    h: &Harness,
    id: &AccountId,
    amount: i64,
    reference: &str,
    ms: i64,
    ttl: Duration,
) -> ReservationId {
    match h
        .repos
        .ledger
        .hold(&new_hold(id, amount, reference, at(ms), ttl))
        .await
        .unwrap()
    {
        HoldOutcome::Applied(r, e) => {
            assert_eq!(
                (e.kind, e.amount, e.held_delta),
                (LedgerKind::ReservationHold, 0, amount)
            );
            assert_eq!(e.source_ref, format!("reservation:{}:hold", r.id));
            assert_eq!(e.reservation_id, Some(r.id.clone()));
            r.id
        }
        other => panic!("{other:?}"),
    }
}

async fn settle(
    h: &Harness,
    id: &AccountId,
    r: &ReservationId,
    how: SettleReservation,
    ms: i64,
) -> ReservationOutcome {
    h.repos
        .ledger
        .settle(
            id,
            r,
            how,
            LedgerEntryId::generate(at(ms)),
            "key_service",
            at(ms),
        )
        .await
        .unwrap()
}

pub async fn hold_then_full_commit(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 100).await;
    let r = hold(h, &id, 40, "job-1", 2, Duration::minutes(15)).await;
    assert_eq!(triple(h, &id, 3).await, (100, 40, 60));
    let got = h
        .repos
        .ledger
        .get_reservation(&id, &r)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.status, got.amount, got.reference.as_str()),
        (ReservationStatus::Active, 40, "job-1")
    );
    assert_eq!(got.metadata, serde_json::json!({"job": "job-1"}));
    let ReservationOutcome::Settled(done, e) =
        settle(h, &id, &r, SettleReservation::Commit { amount: 40 }, 4).await
    else {
        panic!()
    };
    assert_eq!(
        (done.status, done.committed_amount, done.updated_at),
        (ReservationStatus::Committed, 40, at(4))
    );
    assert_eq!(
        (
            e.kind,
            e.amount,
            e.held_delta,
            e.balance_after,
            e.held_after
        ),
        (LedgerKind::ReservationCommit, -40, -40, 60, 0)
    );
    assert_eq!(e.source_ref, format!("reservation:{r}:commit"));
    assert_eq!(triple(h, &id, 5).await, (60, 0, 60));
    let other = h.account().await;
    assert_eq!(
        h.repos.ledger.get_reservation(&other, &r).await.unwrap(),
        None,
        "scoped to its account"
    );
    h.assert_no_drift().await;
}

pub async fn partial_commit_frees_the_rest(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 100).await;
    let r = hold(h, &id, 40, "job", 2, Duration::minutes(15)).await;
    let ReservationOutcome::Settled(done, e) =
        settle(h, &id, &r, SettleReservation::Commit { amount: 25 }, 3).await
    else {
        panic!()
    };
    assert_eq!(
        (done.committed_amount, e.amount, e.held_delta),
        (25, -25, -40)
    );
    assert_eq!(triple(h, &id, 4).await, (75, 0, 75));
    h.assert_no_drift().await;
}

pub async fn release_gives_everything_back(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 10).await;
    let r = hold(h, &id, 10, "job", 2, Duration::minutes(15)).await;
    assert_eq!(triple(h, &id, 3).await, (10, 10, 0));
    let ReservationOutcome::Settled(done, e) =
        settle(h, &id, &r, SettleReservation::Release, 3).await
    else {
        panic!()
    };
    assert_eq!(
        (done.status, e.kind, e.amount, e.held_delta),
        (
            ReservationStatus::Released,
            LedgerKind::ReservationRelease,
            0,
            -10
        )
    );
    assert_eq!(triple(h, &id, 4).await, (10, 0, 10));
    h.assert_no_drift().await;
}

pub async fn hold_refused_when_short_and_duplicate_reference(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 10).await;
    let first = hold(h, &id, 6, "job", 2, Duration::minutes(15)).await;
    match h
        .repos
        .ledger
        .hold(&new_hold(&id, 5, "job-2", at(3), Duration::minutes(15)))
        .await
        .unwrap()
    {
        HoldOutcome::Insufficient(b) => assert_eq!((b.balance, b.held, b.available), (10, 6, 4)),
        other => panic!("{other:?}"),
    }
    match h
        .repos
        .ledger
        .hold(&new_hold(&id, 6, "job", at(4), Duration::minutes(15)))
        .await
        .unwrap()
    {
        HoldOutcome::Duplicate(r) => assert_eq!(r.id, first),
        other => panic!("{other:?}"),
    }
    // A debit cannot use held credits.
    assert!(matches!(
        h.repos
            .ledger
            .post(&posting(&id, -5, "d", at(5)))
            .await
            .unwrap(),
        PostingOutcome::Insufficient(_)
    ));
    let missing = AccountId::generate(at(0));
    assert_eq!(
        h.repos
            .ledger
            .hold(&new_hold(&missing, 1, "x", at(1), Duration::minutes(1)))
            .await,
        Err(billing_domain::RepoError::NotFound)
    );
    h.assert_no_drift().await;
}

pub async fn commit_more_than_held_is_refused(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 100).await;
    let r = hold(h, &id, 10, "job", 2, Duration::minutes(15)).await;
    let ReservationOutcome::ExceedsHold(still) =
        settle(h, &id, &r, SettleReservation::Commit { amount: 11 }, 3).await
    else {
        panic!()
    };
    assert_eq!(still.status, ReservationStatus::Active);
    assert_eq!(triple(h, &id, 4).await, (100, 10, 90));
    let missing = ReservationId::generate(at(0));
    assert_eq!(
        settle(h, &id, &missing, SettleReservation::Release, 5).await,
        ReservationOutcome::NotFound
    );
    h.assert_no_drift().await;
}

pub async fn settling_twice_and_the_other_way(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 100).await;
    let r = hold(h, &id, 10, "a", 2, Duration::minutes(15)).await;
    assert!(matches!(
        settle(h, &id, &r, SettleReservation::Commit { amount: 4 }, 3).await,
        ReservationOutcome::Settled(..)
    ));
    let ReservationOutcome::AlreadySettled(again) =
        settle(h, &id, &r, SettleReservation::Commit { amount: 4 }, 4).await
    else {
        panic!()
    };
    assert_eq!(again.committed_amount, 4);
    assert!(matches!(
        settle(h, &id, &r, SettleReservation::Release, 5).await,
        ReservationOutcome::NotActive(_)
    ));
    let q = hold(h, &id, 10, "b", 6, Duration::minutes(15)).await;
    assert!(matches!(
        settle(h, &id, &q, SettleReservation::Release, 7).await,
        ReservationOutcome::Settled(..)
    ));
    assert!(matches!(
        settle(h, &id, &q, SettleReservation::Release, 8).await,
        ReservationOutcome::AlreadySettled(_)
    ));
    assert!(matches!(
        settle(h, &id, &q, SettleReservation::Commit { amount: 1 }, 9).await,
        ReservationOutcome::NotActive(_)
    ));
    assert_eq!(triple(h, &id, 10).await, (96, 0, 96));
    h.assert_no_drift().await;
}

pub async fn expired_on_balance_read(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 50).await;
    let r = hold(h, &id, 20, "job", 0, Duration::seconds(60)).await;
    assert_eq!(triple(h, &id, 59_999).await, (50, 20, 30));
    assert_eq!(
        triple(h, &id, 60_000).await,
        (50, 0, 50),
        "due at its expiry instant"
    );
    let got = h
        .repos
        .ledger
        .get_reservation(&id, &r)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.status, got.updated_at),
        (ReservationStatus::Expired, at(60_000))
    );
    let e = h
        .repos
        .ledger
        .find_by_source(&id, &format!("reservation:{r}:expiry"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.kind, e.amount, e.held_delta, e.actor.as_str()),
        (LedgerKind::ReservationExpiry, 0, -20, "system")
    );
    h.assert_no_drift().await;
}

pub async fn expired_hold_cannot_be_settled(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 50).await;
    let r = hold(h, &id, 20, "job", 0, Duration::seconds(1)).await;
    let ReservationOutcome::NotActive(x) =
        settle(h, &id, &r, SettleReservation::Commit { amount: 20 }, 5_000).await
    else {
        panic!()
    };
    assert_eq!(x.status, ReservationStatus::Expired);
    assert_eq!(triple(h, &id, 5_001).await, (50, 0, 50));
    let kinds = LedgerFilter {
        kinds: vec![LedgerKind::ReservationExpiry],
        ..Default::default()
    };
    assert_eq!(
        h.repos
            .ledger
            .list_entries(&id, &kinds, &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    h.assert_no_drift().await;
}

pub async fn expire_due_sweeps_up_to_limit(h: &Harness) {
    let a = h.account().await;
    let b = h.account().await;
    h.grant(&a, 100).await;
    h.grant(&b, 100).await;
    for i in 0..3 {
        hold(h, &a, 5, &format!("a{i}"), i, Duration::seconds(10)).await;
        hold(h, &b, 5, &format!("b{i}"), i, Duration::seconds(10)).await;
    }
    hold(h, &a, 5, "late", 0, Duration::hours(1)).await;
    assert_eq!(h.repos.ledger.expire_due(at(9_000), 100).await.unwrap(), 0);
    assert_eq!(h.repos.ledger.expire_due(at(20_000), 4).await.unwrap(), 4);
    assert_eq!(h.repos.ledger.expire_due(at(20_000), 100).await.unwrap(), 2);
    assert_eq!(h.repos.ledger.expire_due(at(20_000), 100).await.unwrap(), 0);
    assert_eq!(triple(h, &a, 20_001).await, (100, 5, 95));
    assert_eq!(triple(h, &b, 20_001).await, (100, 0, 100));
    h.assert_no_drift().await;
}

pub async fn short_debit_expires_due_holds_first(h: &Harness) {
    let id = h.account().await;
    h.grant(&id, 10).await;
    hold(h, &id, 8, "job", 0, Duration::seconds(1)).await;
    // Before expiry: short. After: the due hold is expired in its own entry and the debit applies.
    assert!(matches!(
        h.repos
            .ledger
            .post(&posting(&id, -5, "d1", at(500)))
            .await
            .unwrap(),
        PostingOutcome::Insufficient(_)
    ));
    let PostingOutcome::Applied { entry, .. } = h
        .repos
        .ledger
        .post(&posting(&id, -5, "d1", at(2_000)))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((entry.balance_after, entry.held_after), (5, 0));
    let expiries = LedgerFilter {
        kinds: vec![LedgerKind::ReservationExpiry],
        ..Default::default()
    };
    assert_eq!(
        h.repos
            .ledger
            .list_entries(&id, &expiries, &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    // Holds too.
    hold(h, &id, 5, "h2", 3_000, Duration::seconds(1)).await;
    hold(h, &id, 5, "h3", 5_000, Duration::seconds(1)).await;
    h.assert_no_drift().await;
}

pub async fn commit_crossing_the_threshold_records_low_balance(h: &Harness) {
    let id = h.account().await;
    h.repos
        .ledger
        .set_low_balance_threshold(&id, Some(50))
        .await
        .unwrap();
    h.grant(&id, 100).await;
    let r = hold(h, &id, 70, "job-low", 2, Duration::minutes(10)).await;
    let events = |h: &Harness, id: &AccountId| {
        let (repos, id) = (h.repos.clone(), id.clone());
        async move {
            repos
                .outbox
                .list(
                    Some(id),
                    Some("credits.low_balance".into()),
                    &billing_domain::types::PageRequest::first(10),
                )
                .await
                .unwrap()
                .data
        }
    };
    assert!(
        events(h, &id).await.is_empty(),
        "a hold does not change the balance"
    );
    let ReservationOutcome::Settled(_, e) =
        settle(h, &id, &r, SettleReservation::Commit { amount: 60 }, 3).await
    else {
        panic!()
    };
    assert_eq!(e.balance_after, 40);
    let found = events(h, &id).await;
    assert_eq!(found.len(), 1, "100 -> 40 crosses 50 once");
    assert_eq!(found[0].payload["entry_id"], serde_json::json!(e.id));
}
