//! Property test of a store's credit lots against a plain model: a list of lots (priority,
//! expiry, remaining, held) and holds with what each pinned on which lot. Random grants (with
//! and without expiry), debits, holds, commits, releases, clock jumps, expiry sweeps and
//! balance reads; after every step the store must agree with the model on the balance, held
//! credits and every lot, and `verify()` must find no drift.

use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

use crate::Harness;
use crate::fixtures::*;
use billing_domain::entities::{CreditLot, LedgerKind};
use billing_domain::ports::lot_rules::LotTerms;
use billing_domain::ports::{
    HoldOutcome, Posting, PostingOutcome, Repositories, ReservationOutcome, SettleReservation,
};
use billing_domain::types::{AccountId, CreditLotId, LedgerEntryId, ReservationId};

#[derive(Debug, Clone)]
enum Op {
    /// Credits, kind (0 purchase, 1 allowance, 2 adjustment), seconds until expiry.
    Grant(i64, u8, i64),
    Debit(i64),
    Hold(i64, i64),
    Commit(usize, i64),
    Release(usize),
    Advance(i64),
    Sweep,
    ReadBalance,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1..200_i64, 0..3_u8, 1..400_i64).prop_map(|(n, k, e)| Op::Grant(n, k, e)),
        3 => (1..150_i64).prop_map(Op::Debit),
        2 => (1..100_i64, 1..300_i64).prop_map(|(n, ttl)| Op::Hold(n, ttl)),
        2 => (any::<usize>(), 0..110_i64).prop_map(|(k, n)| Op::Commit(k, n)),
        1 => any::<usize>().prop_map(Op::Release),
        2 => (1..200_i64).prop_map(Op::Advance),
        1 => Just(Op::Sweep),
        1 => Just(Op::ReadBalance),
    ]
}

#[derive(Debug, Clone)]
struct MLot {
    id: CreditLotId,
    priority: i16,
    expires: Option<OffsetDateTime>,
    created: OffsetDateTime,
    remaining: i64,
    held: i64,
    expired: bool,
}

#[derive(Debug, Clone)]
struct MHold {
    id: ReservationId,
    expires_at: OffsetDateTime,
    pins: Vec<(usize, i64)>,
    active: bool,
}

#[derive(Debug, Default)]
struct Model {
    lots: Vec<MLot>,
    holds: Vec<MHold>,
}

impl Model {
    fn order(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.lots.len()).collect();
        idx.sort_by_key(|&i| {
            let l = &self.lots[i];
            (
                l.priority,
                l.expires.is_none(),
                l.expires,
                l.created,
                l.id.to_string(),
            )
        });
        idx
    }
    fn free(&self, i: usize) -> i64 {
        let l = &self.lots[i];
        if l.expired { 0 } else { l.remaining - l.held }
    }
    fn balance(&self) -> i64 {
        self.lots.iter().map(|l| l.remaining).sum()
    }
    fn held(&self) -> i64 {
        self.lots.iter().map(|l| l.held).sum()
    }
    fn expire_lots(&mut self, now: OffsetDateTime) {
        for i in 0..self.lots.len() {
            let due = !self.lots[i].expired && self.lots[i].expires.is_some_and(|e| e <= now);
            if due {
                let free = self.free(i);
                self.lots[i].remaining -= free;
                self.lots[i].expired = true;
            }
        }
    }
    /// Ends hold `k`, spending `spent` of its pins in spend order.
    fn unpin(&mut self, k: usize, spent: i64) {
        let order = self.order();
        let mut pins = self.holds[k].pins.clone();
        pins.sort_by_key(|(i, _)| order.iter().position(|o| o == i));
        let mut left = spent;
        for (i, p) in pins {
            let used = p.min(left);
            left -= used;
            let l = &mut self.lots[i];
            l.held -= p;
            l.remaining -= used;
            if l.expired {
                l.remaining -= p - used;
            }
        }
        self.holds[k].active = false;
    }
    fn expire_holds(&mut self, now: OffsetDateTime) {
        for k in 0..self.holds.len() {
            if self.holds[k].active && self.holds[k].expires_at <= now {
                self.unpin(k, 0);
            }
        }
    }
    /// Available credits for `need` as a store computes them: due lots expire first, then
    /// due holds when short.
    fn available_for(&mut self, need: i64, now: OffsetDateTime) -> i64 {
        self.expire_lots(now);
        if self.balance() - self.held() < need {
            self.expire_holds(now);
        }
        self.balance() - self.held()
    }
    /// Splits `n` over free credits in spend order.
    fn split(&self, n: i64) -> Vec<(usize, i64)> {
        let mut left = n;
        let mut parts = Vec::new();
        for i in self.order() {
            let part = self.free(i).min(left);
            if part > 0 {
                parts.push((i, part));
                left -= part;
            }
        }
        parts
    }
}

fn grant(a: &AccountId, n: i64, kind: u8, expires: i64, now: OffsetDateTime, i: usize) -> Posting {
    let (kind, expires_at) = match kind {
        0 => (LedgerKind::PurchaseGrant, None),
        1 => (
            LedgerKind::SubscriptionGrant,
            Some(now + Duration::seconds(expires)),
        ),
        _ => (LedgerKind::AdminAdjustment, None),
    };
    Posting {
        kind,
        lot: LotTerms {
            expires_at,
            rollover: None,
        },
        ..posting(a, n, &format!("g{i}"), now)
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
    // Distinct instants: lots granted at one instant would tie on age.
    *now += Duration::milliseconds(1);
    match *op {
        Op::Grant(n, kind, expires) => {
            let p = grant(a, n, kind, expires, *now, i);
            let out = r.ledger.post(&p).await.unwrap();
            assert!(matches!(out, PostingOutcome::Applied { .. }), "{out:?}");
            let lot: CreditLot = r
                .ledger
                .lots(a)
                .await
                .unwrap()
                .into_iter()
                .find(|l| l.entry_id.as_ref() == Some(&p.entry_id))
                .expect("the grant's lot");
            m.lots.push(MLot {
                id: lot.id,
                priority: lot.priority,
                expires: p.lot.expires_at,
                created: *now,
                remaining: n,
                held: 0,
                expired: false,
            });
        }
        Op::Debit(n) => {
            let out = r
                .ledger
                .post(&posting(a, -n, &format!("d{i}"), *now))
                .await
                .unwrap();
            if m.available_for(n, *now) >= n {
                assert!(matches!(out, PostingOutcome::Applied { .. }), "{out:?}");
                for (k, part) in m.split(n) {
                    m.lots[k].remaining -= part;
                }
            } else {
                assert!(matches!(out, PostingOutcome::Insufficient(_)), "{out:?}");
            }
        }
        Op::Hold(n, ttl) => {
            let h = new_hold(a, n, &format!("h{i}"), *now, Duration::seconds(ttl));
            let out = r.ledger.hold(&h).await.unwrap();
            if m.available_for(n, *now) >= n {
                assert!(matches!(out, HoldOutcome::Applied(..)), "{out:?}");
                let pins = m.split(n);
                for &(k, part) in &pins {
                    m.lots[k].held += part;
                }
                m.holds.push(MHold {
                    id: h.reservation.id,
                    expires_at: h.reservation.expires_at,
                    pins,
                    active: true,
                });
            } else {
                assert!(matches!(out, HoldOutcome::Insufficient(_)), "{out:?}");
            }
        }
        Op::Commit(k, _) | Op::Release(k) if m.holds.is_empty() => {
            let _ = k;
        }
        Op::Commit(k, _) | Op::Release(k) => {
            let k = k % m.holds.len();
            let (how, spend) = match *op {
                Op::Commit(_, n) => (SettleReservation::Commit { amount: n }, n),
                _ => (SettleReservation::Release, 0),
            };
            let amount: i64 = m.holds[k].pins.iter().map(|(_, p)| p).sum();
            let out = r
                .ledger
                .settle(
                    a,
                    &m.holds[k].id,
                    how,
                    LedgerEntryId::generate(*now),
                    "key",
                    *now,
                )
                .await
                .unwrap();
            let hold = &m.holds[k];
            if !hold.active {
                assert!(!matches!(out, ReservationOutcome::Settled(..)), "{out:?}");
            } else if hold.expires_at <= *now {
                assert!(matches!(out, ReservationOutcome::NotActive(_)), "{out:?}");
                m.unpin(k, 0);
            } else if spend > amount {
                assert!(matches!(out, ReservationOutcome::ExceedsHold(_)), "{out:?}");
            } else {
                assert!(matches!(out, ReservationOutcome::Settled(..)), "{out:?}");
                m.unpin(k, spend);
            }
        }
        Op::Advance(s) => *now += Duration::seconds(s),
        Op::Sweep => {
            r.ledger.expire_lots_due(*now, 1000).await.unwrap();
            m.expire_lots(*now);
        }
        Op::ReadBalance => {
            r.ledger.balance(a, *now).await.unwrap();
            m.expire_holds(*now);
            m.expire_lots(*now);
        }
    }
}

async fn check(r: &Repositories, a: &AccountId, m: &Model, now: OffsetDateTime) {
    let lots = r.ledger.lots(a).await.unwrap();
    for ml in &m.lots {
        let l = lots
            .iter()
            .find(|l| l.id == ml.id)
            .expect("every model lot is stored");
        assert_eq!(
            (l.remaining, l.held, l.expired_at.is_some()),
            (ml.remaining, ml.held, ml.expired),
            "lot {}",
            ml.id
        );
    }
    // Rollover is not drawn here, so the store has exactly the model's lots.
    assert_eq!(lots.len(), m.lots.len());
    let (drift, _) = r.ledger.verify().await.unwrap();
    assert!(drift.is_empty(), "drift at {now}: {drift:?}");
}

/// Runs `cases` random op sequences (1–49 ops each), each on a fresh store from `fresh`,
/// checking the store's lots against the model after every step.
pub fn lots_agree_with_a_simple_model(fresh: fn() -> Harness, cases: u32) {
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in prop::collection::vec(op(), 1..50))| {
        let h = fresh();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = &h.repos;
            let a = h.account().await;
            let mut m = Model::default();
            let mut now = t0() + Duration::seconds(1);
            for (i, op) in ops.iter().enumerate() {
                step(r, &a, &mut m, &mut now, i, op).await;
                check(r, &a, &m, now).await;
            }
        });
    });
}
