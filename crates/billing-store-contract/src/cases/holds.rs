//! Reservations: hold, commit, release, expiry.

use billing_domain::entities::{LedgerEntry, LedgerKind, Reservation, ReservationStatus};
use billing_domain::ports::{HoldOutcome, PostingOutcome, ReservationOutcome, SettleReservation};
use billing_domain::types::{AccountId, LedgerEntryId, ReservationId};
use time::Duration;

use crate::Harness;
use crate::cases::ledger::entries;
use crate::fixtures::*;

/// The account's stored reservation `r`; panics if there is none.
async fn reservation(h: &Harness, id: &AccountId, r: &ReservationId) -> Reservation {
    h.repos
        .ledger
        .get_reservation(id, r)
        .await
        .unwrap()
        .unwrap()
}

/// The account's entry with `source_ref`; panics if there is none.
async fn entry(h: &Harness, id: &AccountId, source_ref: &str) -> LedgerEntry {
    let found = h.repos.ledger.find_by_source(id, source_ref).await.unwrap();
    found.unwrap_or_else(|| panic!("no entry {source_ref}"))
}

/// What an entry did: `(kind, amount, held_delta, balance_after, held_after)`.
fn effect(e: &LedgerEntry) -> (LedgerKind, i64, i64, i64, i64) {
    (
        e.kind,
        e.amount,
        e.held_delta,
        e.balance_after,
        e.held_after,
    )
}

/// `(balance, held, available)` of the account at `ms`.
async fn triple(h: &Harness, id: &AccountId, ms: i64) -> (i64, i64, i64) {
    let b = h.repos.ledger.balance(id, at(ms)).await.unwrap();
    (b.balance, b.held, b.available)
}

/// Settles `r` at `ms`: the settled reservation and its entry; panics on any other outcome.
async fn settled(
    h: &Harness,
    id: &AccountId,
    r: &ReservationId,
    how: SettleReservation,
    ms: i64,
) -> (Reservation, LedgerEntry) {
    match settle(h, id, r, how, ms).await {
        ReservationOutcome::Settled(done, e) => (done, e),
        other => panic!("not settled: {other:?}"),
    }
}

/// Holds `amount` at `ms` for `ttl`; asserts it applied and its entry, and returns the id.
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

/// Settles `r` at `ms` as `key_service`; the store must not fail.
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
    let id = funded(h, 100).await;
    let r = hold(h, &id, 40, "job-1", 2, Duration::minutes(15)).await;
    let held = entry(h, &id, &format!("reservation:{r}:hold")).await;
    assert_eq!(effect(&held), (LedgerKind::ReservationHold, 0, 40, 100, 40));
    assert_eq!(triple(h, &id, 3).await, (100, 40, 60));
    let got = reservation(h, &id, &r).await;
    assert_eq!(
        (got.status, got.amount, got.reference.as_str()),
        (ReservationStatus::Active, 40, "job-1")
    );
    assert_eq!(got.metadata, serde_json::json!({"job": "job-1"}));
    let (done, e) = settled(h, &id, &r, SettleReservation::Commit { amount: 40 }, 4).await;
    assert_eq!(
        (done.status, done.committed_amount, done.updated_at),
        (ReservationStatus::Committed, 40, at(4))
    );
    assert_eq!(reservation(h, &id, &r).await, done, "stored as returned");
    assert_eq!(effect(&e), (LedgerKind::ReservationCommit, -40, -40, 60, 0));
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
    let id = funded(h, 100).await;
    let r = hold(h, &id, 40, "job", 2, Duration::minutes(15)).await;
    let (done, e) = settled(h, &id, &r, SettleReservation::Commit { amount: 25 }, 3).await;
    assert_eq!(
        (done.status, done.committed_amount),
        (ReservationStatus::Committed, 25)
    );
    assert_eq!(effect(&e), (LedgerKind::ReservationCommit, -25, -40, 75, 0));
    assert_eq!(triple(h, &id, 4).await, (75, 0, 75));
    h.assert_no_drift().await;
}

pub async fn release_gives_everything_back(h: &Harness) {
    let id = funded(h, 10).await;
    let r = hold(h, &id, 10, "job", 2, Duration::minutes(15)).await;
    assert_eq!(triple(h, &id, 3).await, (10, 10, 0));
    let other = h.account().await;
    assert_eq!(
        settle(h, &other, &r, SettleReservation::Release, 3).await,
        ReservationOutcome::NotFound,
        "another account cannot settle it"
    );
    let (done, e) = settled(h, &id, &r, SettleReservation::Release, 3).await;
    assert_eq!(done.status, ReservationStatus::Released);
    assert_eq!(effect(&e), (LedgerKind::ReservationRelease, 0, -10, 10, 0));
    assert_eq!(e.source_ref, format!("reservation:{r}:release"));
    assert_eq!(triple(h, &id, 4).await, (10, 0, 10));
    h.assert_no_drift().await;
}

pub async fn hold_refused_when_short_and_duplicate_reference(h: &Harness) {
    let id = funded(h, 10).await;
    let first = hold(h, &id, 6, "job", 2, Duration::minutes(15)).await;
    let try_hold = |amount, reference, ms| {
        let hold = new_hold(&id, amount, reference, at(ms), Duration::minutes(15));
        let ledger = h.repos.ledger.clone();
        async move { ledger.hold(&hold).await.unwrap() }
    };
    match try_hold(5, "job-2", 3).await {
        HoldOutcome::Insufficient(b) => assert_eq!((b.balance, b.held, b.available), (10, 6, 4)),
        other => panic!("{other:?}"),
    }
    match try_hold(6, "job", 4).await {
        HoldOutcome::Duplicate(r) => assert_eq!(r, reservation(h, &id, &first).await),
        other => panic!("{other:?}"),
    }
    // A debit cannot use held credits.
    assert!(matches!(
        post(h, &posting(&id, -5, "d", at(5))).await,
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
    let id = funded(h, 100).await;
    let r = hold(h, &id, 10, "job", 2, Duration::minutes(15)).await;
    let active = reservation(h, &id, &r).await;
    assert_eq!(
        settle(h, &id, &r, SettleReservation::Commit { amount: 11 }, 3).await,
        ReservationOutcome::ExceedsHold(active.clone()),
        "refused, and still active as it was"
    );
    assert_eq!(reservation(h, &id, &r).await, active);
    assert_eq!(triple(h, &id, 4).await, (100, 10, 90));
    let missing = ReservationId::generate(at(0));
    assert_eq!(
        settle(h, &id, &missing, SettleReservation::Release, 5).await,
        ReservationOutcome::NotFound
    );
    h.assert_no_drift().await;
}

pub async fn settling_twice_and_the_other_way(h: &Harness) {
    let id = funded(h, 100).await;
    let (commit, release) = (
        SettleReservation::Commit { amount: 4 },
        SettleReservation::Release,
    );
    // Settled one way: the same again is AlreadySettled, the other way NotActive, and neither
    // writes an entry.
    for (i, (how, other)) in [(commit, release), (release, commit)]
        .into_iter()
        .enumerate()
    {
        let ms = 10 * i as i64;
        let r = hold(h, &id, 10, &format!("job-{i}"), ms, Duration::minutes(15)).await;
        let (done, _) = settled(h, &id, &r, how, ms + 1).await;
        assert_eq!(
            settle(h, &id, &r, how, ms + 2).await,
            ReservationOutcome::AlreadySettled(done.clone())
        );
        assert_eq!(
            settle(h, &id, &r, other, ms + 3).await,
            ReservationOutcome::NotActive(done)
        );
    }
    assert_eq!(triple(h, &id, 30).await, (96, 0, 96));
    assert_eq!(
        entries(h, &id).await,
        5,
        "a grant, two holds, a commit, a release"
    );
    h.assert_no_drift().await;
}

pub async fn expired_on_balance_read(h: &Harness) {
    let id = funded(h, 50).await;
    let r = hold(h, &id, 20, "job", 0, Duration::seconds(60)).await;
    let later = hold(h, &id, 10, "later", 0, Duration::seconds(120)).await;
    assert_eq!(triple(h, &id, 59_999).await, (50, 30, 20));
    assert_eq!(
        triple(h, &id, 60_000).await,
        (50, 10, 40),
        "due at its expiry instant; the later hold stays"
    );
    let got = reservation(h, &id, &r).await;
    assert_eq!(
        (got.status, got.updated_at),
        (ReservationStatus::Expired, at(60_000))
    );
    assert_eq!(
        reservation(h, &id, &later).await.status,
        ReservationStatus::Active
    );
    let e = entry(h, &id, &format!("reservation:{r}:expiry")).await;
    assert_eq!(
        (
            e.kind,
            e.amount,
            e.held_delta,
            e.held_after,
            e.actor.as_str()
        ),
        (LedgerKind::ReservationExpiry, 0, -20, 10, "system")
    );
    h.assert_no_drift().await;
}

pub async fn expired_hold_cannot_be_settled(h: &Harness) {
    let id = funded(h, 50).await;
    let r = hold(h, &id, 20, "job", 0, Duration::seconds(1)).await;
    let late = settle(h, &id, &r, SettleReservation::Commit { amount: 20 }, 1_000).await;
    assert!(
        matches!(&late, ReservationOutcome::NotActive(x) if x.status == ReservationStatus::Expired),
        "settled at its expiry instant: {late:?}"
    );
    assert_eq!(triple(h, &id, 5_001).await, (50, 0, 50));
    assert_eq!(
        entries_of_kind(h, &id, LedgerKind::ReservationExpiry).await,
        1
    );
    h.assert_no_drift().await;
}

pub async fn expire_due_sweeps_up_to_limit(h: &Harness) {
    let (a, b) = (funded(h, 100).await, funded(h, 100).await);
    let mut due = Vec::new();
    for i in 0..3 {
        due.push(hold(h, &a, 5, &format!("a{i}"), i, Duration::seconds(10)).await);
        hold(h, &b, 5, &format!("b{i}"), i, Duration::seconds(10)).await;
    }
    let late = hold(h, &a, 5, "late", 0, Duration::hours(1)).await;
    assert_eq!(h.repos.ledger.expire_due(at(9_000), 100).await.unwrap(), 0);
    assert_eq!(h.repos.ledger.expire_due(at(20_000), 4).await.unwrap(), 4);
    assert_eq!(h.repos.ledger.expire_due(at(20_000), 100).await.unwrap(), 2);
    assert_eq!(h.repos.ledger.expire_due(at(20_000), 100).await.unwrap(), 0);
    for r in &due {
        assert_eq!(
            reservation(h, &a, r).await.status,
            ReservationStatus::Expired
        );
    }
    assert_eq!(
        reservation(h, &a, &late).await.status,
        ReservationStatus::Active
    );
    assert_eq!(triple(h, &a, 20_001).await, (100, 5, 95));
    assert_eq!(triple(h, &b, 20_001).await, (100, 0, 100));
    h.assert_no_drift().await;
}

pub async fn short_debit_expires_due_holds_first(h: &Harness) {
    let id = funded(h, 10).await;
    hold(h, &id, 8, "job", 0, Duration::seconds(1)).await;
    // Before expiry: short. After: the due hold is expired in its own entry and the debit applies.
    assert!(matches!(
        post(h, &posting(&id, -5, "d1", at(500))).await,
        PostingOutcome::Insufficient(_)
    ));
    let (e, _) = applied(post(h, &posting(&id, -5, "d1", at(2_000))).await);
    assert_eq!((e.balance_after, e.held_after), (5, 0));
    assert_eq!(
        entries_of_kind(h, &id, LedgerKind::ReservationExpiry).await,
        1
    );
    // Holds too: the second needs the first's credits once it is due.
    hold(h, &id, 5, "h2", 3_000, Duration::seconds(1)).await;
    hold(h, &id, 5, "h3", 5_000, Duration::seconds(1)).await;
    h.assert_no_drift().await;
}

pub async fn commit_crossing_the_threshold_records_low_balance(h: &Harness) {
    let id = h.account().await;
    set_threshold(h, &id, Some(50)).await;
    h.grant(&id, 100).await;
    let r = hold(h, &id, 70, "job-low", 2, Duration::minutes(10)).await;
    assert!(
        low_balance_events(h, &id).await.is_empty(),
        "a hold does not change the balance"
    );
    let (_, e) = settled(h, &id, &r, SettleReservation::Commit { amount: 60 }, 3).await;
    assert_eq!(e.balance_after, 40);
    let found = low_balance_events(h, &id).await;
    assert_eq!(found.len(), 1, "100 -> 40 crosses 50 once");
    assert_eq!(found[0].payload["entry_id"], serde_json::json!(e.id));
}
