//! Low-balance events of the memory store: crossing the threshold downwards, once.
#![allow(clippy::unwrap_used)]

use time::Duration;

use super::test_support::*;
use crate::ports::{HoldOutcome, ReservationOutcome, SettleReservation};
use crate::types::LedgerEntryId;

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
