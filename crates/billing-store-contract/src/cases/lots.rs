//! Credit lots: spend order, stored allocations, expiry with rollover, holds across an
//! expiry, and `verify`'s lot sums.

use billing_domain::entities::{CreditLot, LedgerKind, LotRollover, LotSource};
use billing_domain::ports::lot_rules::LotTerms;
use billing_domain::ports::{HoldOutcome, Posting, ReservationOutcome, SettleReservation};
use billing_domain::types::{AccountId, LedgerEntryId, ReservationId};
use time::Duration;

use crate::Harness;
use crate::fixtures::*;

/// An allowance of `n` expiring at `expires_ms`, optionally rolling over up to `max` until
/// `until_ms`.
fn allowance(
    a: &AccountId,
    n: i64,
    source: &str,
    ms: i64,
    expires_ms: i64,
    rollover: Option<(i64, i64)>,
) -> Posting {
    Posting {
        kind: LedgerKind::SubscriptionGrant,
        lot: LotTerms {
            expires_at: Some(at(expires_ms)),
            rollover: rollover.map(|(max, until)| LotRollover {
                max,
                until: at(until),
            }),
        },
        ..posting(a, n, source, at(ms))
    }
}

async fn lots(h: &Harness, a: &AccountId) -> Vec<CreditLot> {
    h.repos.ledger.lots(a).await.unwrap()
}

/// `(source, remaining, held, expired)` of every lot, in spend order.
async fn shape(h: &Harness, a: &AccountId) -> Vec<(LotSource, i64, i64, bool)> {
    lots(h, a)
        .await
        .iter()
        .map(|l| (l.source, l.remaining, l.held, l.expired_at.is_some()))
        .collect()
}

async fn no_drift(h: &Harness) {
    let (drift, _) = h.repos.ledger.verify().await.unwrap();
    assert!(drift.is_empty(), "{}: drift {drift:?}", h.backend());
}

async fn hold(h: &Harness, a: &AccountId, n: i64, reference: &str, ms: i64) -> ReservationId {
    match h
        .repos
        .ledger
        .hold(&new_hold(a, n, reference, at(ms), Duration::hours(1)))
        .await
        .unwrap()
    {
        HoldOutcome::Applied(r, _) => r.id,
        other => panic!("hold not applied: {other:?}"),
    }
}

async fn settle(h: &Harness, a: &AccountId, r: &ReservationId, how: SettleReservation, ms: i64) {
    let out = h
        .repos
        .ledger
        .settle(a, r, how, LedgerEntryId::generate(at(ms)), "key", at(ms))
        .await
        .unwrap();
    assert!(matches!(out, ReservationOutcome::Settled(..)), "{out:?}");
}

pub async fn a_debit_spanning_an_allowance_and_a_purchase_takes_the_allowance_first(h: &Harness) {
    let a = funded(h, 500).await;
    applied(post(h, &allowance(&a, 100, "sub:1", 1, 60_000, None)).await);
    let (debit, _) = applied(post(h, &posting(&a, -130, "op:1", at(2))).await);
    assert_eq!(
        shape(h, &a).await,
        vec![
            (LotSource::Allowance, 0, 0, false),
            (LotSource::Purchase, 470, 0, false)
        ]
    );
    let by_lot = lots(h, &a).await;
    let mut taken: Vec<(String, i64)> = h
        .repos
        .ledger
        .allocations(&a, &debit.id)
        .await
        .unwrap()
        .expect("the debit's allocations")
        .into_iter()
        .map(|x| (x.lot_id.to_string(), x.amount))
        .collect();
    taken.sort();
    let mut expected = vec![
        (by_lot[0].id.to_string(), -100),
        (by_lot[1].id.to_string(), -30),
    ];
    expected.sort();
    assert_eq!(taken, expected, "{}", h.backend());
    // Another account's entry, or one that does not exist, has none to show.
    let other = h.account().await;
    assert_eq!(
        h.repos.ledger.allocations(&other, &debit.id).await.unwrap(),
        None
    );
    let missing = LedgerEntryId::generate(at(9));
    assert_eq!(
        h.repos.ledger.allocations(&a, &missing).await.unwrap(),
        None
    );
    no_drift(h).await;
}

pub async fn an_allowance_expires_once_leaving_purchased_credits_untouched(h: &Harness) {
    let a = funded(h, 300).await;
    applied(post(h, &allowance(&a, 1000, "sub:1", 1, 60_000, None)).await);
    applied(post(h, &posting(&a, -750, "op:1", at(2))).await);
    assert_eq!(
        h.repos
            .ledger
            .expire_lots_due(at(59_999), 10)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        h.repos
            .ledger
            .expire_lots_due(at(60_000), 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        h.repos
            .ledger
            .expire_lots_due(at(61_000), 10)
            .await
            .unwrap(),
        0
    );
    assert_eq!(entries_of_kind(h, &a, LedgerKind::Expiry).await, 1);
    let lot = lots(h, &a).await[0].clone();
    let expiry = h
        .repos
        .ledger
        .find_by_source(&a, &format!("expiry:{}", lot.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((expiry.amount, expiry.balance_after), (-250, 300));
    assert_eq!(
        shape(h, &a).await,
        vec![
            (LotSource::Allowance, 0, 0, true),
            (LotSource::Purchase, 300, 0, false)
        ]
    );
    no_drift(h).await;
}

pub async fn a_capped_rollover_moves_up_to_the_cap_into_a_new_lot(h: &Harness) {
    let a = h.account().await;
    applied(
        post(
            h,
            &allowance(&a, 1000, "sub:1", 1, 60_000, Some((100, 120_000))),
        )
        .await,
    );
    applied(post(h, &posting(&a, -750, "op:1", at(2))).await);
    h.repos
        .ledger
        .expire_lots_due(at(60_000), 10)
        .await
        .unwrap();
    let b = h.repos.ledger.balance(&a, at(60_001)).await.unwrap();
    assert_eq!(b.balance, 100);
    let all = lots(h, &a).await;
    let rolled: Vec<&CreditLot> = all
        .iter()
        .filter(|l| l.source == LotSource::Rollover)
        .collect();
    assert_eq!(rolled.len(), 1, "{all:?}");
    assert_eq!(
        (rolled[0].remaining, rolled[0].expires_at),
        (100, Some(at(120_000)))
    );
    assert_eq!(entries_of_kind(h, &a, LedgerKind::RolloverGrant).await, 1);
    // The rolled-over lot expires at its own end, without rolling again.
    h.repos
        .ledger
        .expire_lots_due(at(120_000), 10)
        .await
        .unwrap();
    assert_eq!(
        h.repos
            .ledger
            .balance(&a, at(120_001))
            .await
            .unwrap()
            .balance,
        0
    );
    no_drift(h).await;
}

pub async fn credits_past_expiry_are_never_spent(h: &Harness) {
    let a = funded(h, 50).await;
    applied(post(h, &allowance(&a, 100, "sub:1", 1, 1_000, None)).await);
    // No sweep ran: the debit itself expires the lot first, so only the purchase is there.
    let out = post(h, &posting(&a, -120, "op:1", at(1_000))).await;
    assert!(
        matches!(out, billing_domain::ports::PostingOutcome::Insufficient(_)),
        "{out:?}"
    );
    applied(post(h, &posting(&a, -20, "op:2", at(1_001))).await);
    assert_eq!(
        h.repos.ledger.balance(&a, at(1_002)).await.unwrap().balance,
        30
    );
    no_drift(h).await;
}

pub async fn a_hold_across_the_expiry_keeps_its_pinned_credits(h: &Harness) {
    let a = funded(h, 500).await;
    applied(post(h, &allowance(&a, 300, "sub:1", 1, 10_000, None)).await);
    // Pinned on the allowance first: 200 of its 300.
    let committed = hold(h, &a, 200, "job:1", 2).await;
    let released = hold(h, &a, 50, "job:2", 3).await;
    h.repos
        .ledger
        .expire_lots_due(at(10_000), 10)
        .await
        .unwrap();
    // The free 50 expired; the 250 held stay.
    assert_eq!(
        shape(h, &a).await,
        vec![
            (LotSource::Allowance, 250, 250, true),
            (LotSource::Purchase, 500, 0, false)
        ]
    );
    // A commit after the expiry still spends its pinned part; the unspent 50 expire then.
    settle(
        h,
        &a,
        &committed,
        SettleReservation::Commit { amount: 150 },
        10_001,
    )
    .await;
    // A pinned part released after the expiry expires then.
    settle(h, &a, &released, SettleReservation::Release, 10_002).await;
    assert_eq!(
        shape(h, &a).await,
        vec![
            (LotSource::Allowance, 0, 0, true),
            (LotSource::Purchase, 500, 0, false)
        ]
    );
    let b = h.repos.ledger.balance(&a, at(10_003)).await.unwrap();
    assert_eq!((b.balance, b.held), (500, 0));
    assert_eq!(entries_of_kind(h, &a, LedgerKind::Expiry).await, 3);
    no_drift(h).await;
}
