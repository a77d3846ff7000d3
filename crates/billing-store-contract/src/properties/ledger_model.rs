//! Property test of a store's ledger against a plain model: an `i64` balance and a map of
//! holds. Random sequences of grants, debits (exact and up-to-available), holds, commits,
//! releases, clock advances, sweeps and balance reads; after every step the store must agree
//! with the model on balance, held, available, every reservation's state and the outcome of
//! the step, and `verify()` must find no drift.

use std::collections::BTreeMap;

use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

use crate::Harness;
use crate::fixtures::*;
use billing_domain::entities::ReservationStatus;
use billing_domain::ports::{
    HoldOutcome, PostingMode, PostingOutcome, Repositories, ReservationOutcome, SettleReservation,
};
use billing_domain::types::{AccountId, LedgerEntryId, ReservationId};

const THRESHOLD: i64 = 50;

#[derive(Debug, Clone)]
enum Op {
    Grant(i64),
    Debit(i64, bool),
    Hold(i64, i64),
    Commit(usize, i64),
    Release(usize),
    Advance(i64),
    ExpireDue(u32),
    ReadBalance,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1..120_i64).prop_map(Op::Grant),
        3 => (1..150_i64, any::<bool>()).prop_map(|(n, exact)| Op::Debit(n, exact)),
        3 => (1..100_i64, 1..20_i64).prop_map(|(n, ttl)| Op::Hold(n, ttl)),
        2 => (any::<usize>(), 0..110_i64).prop_map(|(k, n)| Op::Commit(k, n)),
        2 => any::<usize>().prop_map(Op::Release),
        2 => (0..15_000_i64).prop_map(Op::Advance),
        1 => (0..3_u32).prop_map(Op::ExpireDue),
        1 => Just(Op::ReadBalance),
    ]
}

#[derive(Debug, Clone)]
struct ModelHold {
    amount: i64,
    expires_at: OffsetDateTime,
    status: ReservationStatus,
}

#[derive(Debug, Default)]
struct Model {
    balance: i64,
    holds: BTreeMap<ReservationId, ModelHold>,
    order: Vec<ReservationId>,
}

impl Model {
    fn held(&self) -> i64 {
        self.holds
            .values()
            .filter(|h| h.status == ReservationStatus::Active)
            .map(|h| h.amount)
            .sum()
    }

    fn available(&self) -> i64 {
        self.balance - self.held()
    }

    fn due(&self, now: OffsetDateTime) -> Vec<ReservationId> {
        let mut due: Vec<_> = self
            .holds
            .iter()
            .filter(|(_, h)| h.status == ReservationStatus::Active && h.expires_at <= now)
            .collect();
        due.sort_by(|a, b| (a.1.expires_at, a.0).cmp(&(b.1.expires_at, b.0)));
        due.into_iter().map(|(id, _)| id.clone()).collect()
    }

    fn expire(&mut self, ids: &[ReservationId]) {
        for id in ids {
            if let Some(h) = self.holds.get_mut(id) {
                h.status = ReservationStatus::Expired;
            }
        }
    }

    /// Available credits for `need`, expiring due holds first when short (as the store does).
    fn available_for(&mut self, need: i64, now: OffsetDateTime) -> i64 {
        if self.available() < need {
            let due = self.due(now);
            self.expire(&due);
        }
        self.available()
    }
}

async fn step(
    r: &Repositories,
    a: &AccountId,
    m: &mut Model,
    now: &mut OffsetDateTime,
    i: usize,
    op: &Op,
) {
    match *op {
        Op::Grant(n) => {
            let before = m.balance;
            let out = r
                .ledger
                .post(&posting(a, n, &format!("g{i}"), *now))
                .await
                .unwrap();
            m.balance += n;
            let crossed_expected = before >= THRESHOLD && m.balance < THRESHOLD;
            assert!(
                matches!(out, PostingOutcome::Applied { ref entry, low_balance_crossed } if entry.amount == n && low_balance_crossed == crossed_expected)
            );
        }
        Op::Debit(n, exact) => {
            let mut p = posting(a, -n, &format!("d{i}"), *now);
            p.mode = if exact {
                PostingMode::Exact
            } else {
                PostingMode::UpToAvailable
            };
            let out = r.ledger.post(&p).await.unwrap();
            let available = m.available_for(n, *now);
            let before = m.balance;
            let taken = match (available >= n, exact) {
                (true, _) => Some(n),
                (false, true) => None,
                (false, false) => Some(available),
            };
            match (taken, out) {
                (None, PostingOutcome::Insufficient(b)) => {
                    assert_eq!((b.balance, b.held), (m.balance, m.held()))
                }
                (
                    Some(t),
                    PostingOutcome::Applied {
                        entry,
                        low_balance_crossed,
                    },
                ) => {
                    m.balance -= t;
                    assert_eq!(
                        (entry.amount, entry.balance_after, entry.held_after),
                        (-t, m.balance, m.held())
                    );
                    assert_eq!(
                        low_balance_crossed,
                        before >= THRESHOLD && m.balance < THRESHOLD
                    );
                }
                (t, out) => panic!("debit {n} (exact {exact}): model took {t:?}, store {out:?}"),
            }
        }
        Op::Hold(n, ttl) => {
            let h = new_hold(a, n, &format!("h{i}"), *now, Duration::seconds(ttl));
            let out = r.ledger.hold(&h).await.unwrap();
            let available = m.available_for(n, *now);
            match out {
                HoldOutcome::Applied(rsv, entry) => {
                    assert!(available >= n, "store held {n} with {available} available");
                    m.holds.insert(
                        rsv.id.clone(),
                        ModelHold {
                            amount: n,
                            expires_at: rsv.expires_at,
                            status: ReservationStatus::Active,
                        },
                    );
                    m.order.push(rsv.id);
                    assert_eq!(
                        (entry.held_delta, entry.held_after, entry.balance_after),
                        (n, m.held(), m.balance)
                    );
                }
                HoldOutcome::Insufficient(b) => {
                    assert!(
                        available < n,
                        "store refused {n} with {available} available"
                    );
                    assert_eq!(b.available, available);
                }
                HoldOutcome::Duplicate(_) => panic!("fresh references never duplicate"),
            }
        }
        Op::Commit(k, _) | Op::Release(k) if m.order.is_empty() => {
            let _ = k;
        }
        Op::Commit(k, _) | Op::Release(k) => {
            let id = m.order[k % m.order.len()].clone();
            let how = match *op {
                Op::Commit(_, amount) => SettleReservation::Commit { amount },
                _ => SettleReservation::Release,
            };
            let out = r
                .ledger
                .settle(a, &id, how, LedgerEntryId::generate(*now), "k", *now)
                .await
                .unwrap();
            let h = m.holds.get_mut(&id).unwrap();
            match (h.status, how, out) {
                (ReservationStatus::Active, _, ReservationOutcome::NotActive(rsv))
                    if h.expires_at <= *now =>
                {
                    h.status = ReservationStatus::Expired;
                    assert_eq!(rsv.status, ReservationStatus::Expired);
                }
                (
                    ReservationStatus::Active,
                    SettleReservation::Commit { amount },
                    ReservationOutcome::ExceedsHold(_),
                ) if amount > h.amount => {}
                (
                    ReservationStatus::Active,
                    SettleReservation::Commit { amount },
                    ReservationOutcome::Settled(rsv, entry),
                ) if amount <= h.amount && h.expires_at > *now => {
                    h.status = ReservationStatus::Committed;
                    m.balance -= amount;
                    assert_eq!(
                        (
                            rsv.committed_amount,
                            entry.amount,
                            entry.balance_after,
                            entry.held_after
                        ),
                        (amount, -amount, m.balance, m.held())
                    );
                }
                (
                    ReservationStatus::Active,
                    SettleReservation::Release,
                    ReservationOutcome::Settled(rsv, entry),
                ) if h.expires_at > *now => {
                    h.status = ReservationStatus::Released;
                    assert_eq!(
                        (rsv.status, entry.amount, entry.held_after),
                        (ReservationStatus::Released, 0, m.held())
                    );
                }
                (
                    ReservationStatus::Committed,
                    SettleReservation::Commit { .. },
                    ReservationOutcome::AlreadySettled(_),
                )
                | (
                    ReservationStatus::Released,
                    SettleReservation::Release,
                    ReservationOutcome::AlreadySettled(_),
                ) => {}
                (
                    ReservationStatus::Committed
                    | ReservationStatus::Released
                    | ReservationStatus::Expired,
                    _,
                    ReservationOutcome::NotActive(_),
                ) => {}
                (status, how, out) => {
                    panic!("settle {how:?} of a {status:?} hold {h:?} at {now}: store said {out:?}")
                }
            }
        }
        Op::Advance(ms) => *now += Duration::milliseconds(ms),
        Op::ExpireDue(limit) => {
            let n = r.ledger.expire_due(*now, limit).await.unwrap();
            let due: Vec<_> = m.due(*now).into_iter().take(limit as usize).collect();
            m.expire(&due);
            assert_eq!(n, due.len() as u64);
        }
        Op::ReadBalance => {
            let b = r.ledger.balance(a, *now).await.unwrap();
            let due = m.due(*now);
            m.expire(&due);
            assert_eq!(
                (b.balance, b.held, b.available),
                (m.balance, m.held(), m.available())
            );
        }
    }
}

async fn check(r: &Repositories, a: &AccountId, m: &Model) {
    // Read at t0: no hold can be due then, so this read changes nothing.
    let b = r.ledger.balance(a, t0()).await.unwrap();
    assert_eq!(
        (b.balance, b.held, b.available),
        (m.balance, m.held(), m.available())
    );
    assert!(b.balance >= 0 && (0..=b.balance).contains(&b.held));
    for (id, h) in &m.holds {
        assert_eq!(
            r.ledger
                .get_reservation(a, id)
                .await
                .unwrap()
                .unwrap()
                .status,
            h.status,
            "reservation {id}"
        );
    }
    assert_eq!(r.ledger.verify().await.unwrap(), (vec![], 1));
}

/// Runs `cases` random op sequences (1–59 ops each), each on a fresh store from `fresh`,
/// checking the store against the model after every step.
pub fn ledger_agrees_with_a_simple_model(fresh: fn() -> Harness, cases: u32) {
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in prop::collection::vec(op(), 1..60))| {
        let h = fresh();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = &h.repos;
            let a = h.account().await;
            r.ledger.set_low_balance_threshold(&a, Some(THRESHOLD)).await.unwrap();
            let mut m = Model::default();
            let mut now = t0() + Duration::seconds(1);
            for (i, op) in ops.iter().enumerate() {
                step(r, &a, &mut m, &mut now, i, op).await;
                check(r, &a, &m).await;
            }
        });
    });
}
