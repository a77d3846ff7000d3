//! The lot rules against hand-worked cases and, with proptest, against a model that keeps
//! per-lot counters and checks the invariants after every step.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use time::OffsetDateTime;

use super::*;
use crate::entities::LotSource;

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000 + s).unwrap()
}

fn lot(n: u8, source: LotSource, amount: i64, expires: Option<i64>, at: i64) -> CreditLot {
    let id = CreditLotId::generate(t(at));
    let mut l = grant_lot(
        id,
        &AccountId::generate(t(0)),
        source,
        None,
        amount,
        LotTerms {
            expires_at: expires.map(t),
            rollover: None,
        },
        t(at),
    );
    // Ids generated in one instant are random; a fixed suffix keeps the tie-break readable.
    l.id = CreditLotId::parse(&format!("lot_{n:026}"), "id").unwrap();
    l
}

fn apply_all(lots: &mut [CreditLot], changes: &[LotChange]) {
    for c in changes {
        let l = lots.iter_mut().find(|l| l.id == c.lot_id).unwrap();
        apply(l, c).unwrap();
    }
}

#[test]
fn an_allowance_is_spent_before_purchased_credits_and_a_debit_spans_both() {
    let mut lots = vec![
        lot(1, LotSource::Purchase, 500, None, 0),
        lot(2, LotSource::Allowance, 100, Some(1000), 10),
    ];
    let changes = take(&lots, 130).unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.lot_id.clone(), c.amount))
            .collect::<Vec<_>>(),
        vec![(lots[1].id.clone(), -100), (lots[0].id.clone(), -30)]
    );
    apply_all(&mut lots, &changes);
    assert_eq!((lots[0].remaining, lots[1].remaining), (470, 0));
}

#[test]
fn equal_priority_goes_by_soonest_expiry_then_oldest() {
    let lots = vec![
        lot(1, LotSource::Adjustment, 10, None, 0),
        lot(2, LotSource::Adjustment, 10, Some(500), 5),
        lot(3, LotSource::Adjustment, 10, Some(300), 9),
        lot(4, LotSource::Adjustment, 10, None, -5),
    ];
    let order: Vec<_> = take(&lots, 40)
        .unwrap()
        .into_iter()
        .map(|c| c.lot_id)
        .collect();
    let ids: Vec<_> = [2, 1, 3, 0].iter().map(|i| lots[*i].id.clone()).collect();
    assert_eq!(order, ids);
}

#[test]
fn taking_more_than_the_lots_hold_is_an_error_not_a_partial_take() {
    let lots = vec![lot(1, LotSource::Purchase, 10, None, 0)];
    assert!(take(&lots, 11).is_err());
    assert!(pin(&lots, 11).is_err());
}

#[test]
fn held_credits_neither_spend_nor_expire_and_come_back_expired_after_the_lot_did() {
    let mut lots = vec![
        lot(1, LotSource::Allowance, 100, Some(100), 0),
        lot(2, LotSource::Purchase, 50, None, 0),
    ];
    let pins = pin(&lots, 60).unwrap();
    apply_all(&mut lots, &pins);
    assert_eq!(lots[0].held, 60);
    // Only 40 of the allowance are free now.
    let spent = take(&lots, 50).unwrap();
    assert_eq!(spent[0].amount, -40);
    assert_eq!(spent[1].amount, -10);
    apply_all(&mut lots, &spent);
    // The allowance expires with its 60 pinned: nothing free expires.
    let plan = expire(&lots[0]);
    assert_eq!(plan.expired, 0);
    lots[0].expired_at = Some(t(100));
    // Commit 25 of the 60 after the expiry: 25 consumed, the other 35 expire now.
    let out = unpin(&[(lots[0].clone(), 60)], 25).unwrap();
    assert_eq!(
        out.changes,
        vec![LotChange {
            lot_id: lots[0].id.clone(),
            amount: -25,
            held: -60
        }]
    );
    assert_eq!(
        out.expire,
        vec![LotChange {
            lot_id: lots[0].id.clone(),
            amount: -35,
            held: 0
        }]
    );
    apply_all(&mut lots, &out.changes);
    apply_all(&mut lots, &out.expire);
    assert_eq!((lots[0].remaining, lots[0].held), (0, 0));
}

#[test]
fn a_capped_rollover_carries_at_most_its_cap() {
    let mut l = lot(1, LotSource::Allowance, 1000, Some(100), 0);
    l.remaining = 250;
    l.rollover = Some(LotRollover {
        max: 100,
        until: t(200),
    });
    assert_eq!(
        expire(&l),
        ExpiryPlan {
            expired: 250,
            rollover: Some((100, t(200)))
        }
    );
    l.remaining = 40;
    assert_eq!(expire(&l).rollover, Some((40, t(200))));
    l.remaining = 0;
    assert_eq!(
        expire(&l),
        ExpiryPlan {
            expired: 0,
            rollover: None
        }
    );
}

#[test]
fn an_unpin_refuses_more_than_was_pinned() {
    let mut l = lot(1, LotSource::Purchase, 10, None, 0);
    l.held = 5;
    assert!(unpin(&[(l.clone(), 5)], 6).is_err());
    assert!(
        unpin(&[(l, 6)], 0).is_err(),
        "a pin above the lot's held credits"
    );
}

/// One step of the model run.
#[derive(Debug, Clone)]
enum Step {
    Grant {
        amount: i64,
        expires_in: Option<i64>,
        allowance: bool,
    },
    Debit(i64),
    Hold(i64),
    Commit {
        which: usize,
        part: i64,
    },
    Release(usize),
    Advance(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1..500i64, proptest::option::of(1..400i64), any::<bool>()).prop_map(
            |(amount, expires_in, allowance)| Step::Grant {
                amount,
                expires_in,
                allowance
            }
        ),
        (1..300i64).prop_map(Step::Debit),
        (1..300i64).prop_map(Step::Hold),
        (0..8usize, 0..100i64).prop_map(|(which, part)| Step::Commit { which, part }),
        (0..8usize).prop_map(Step::Release),
        (1..300i64).prop_map(Step::Advance),
    ]
}

/// The model: a balance, a held total and the set of expired credits, each moved only by
/// the amounts the rules return; the lots must agree with it after every step.
struct Model {
    lots: Vec<CreditLot>,
    holds: Vec<Vec<(CreditLotId, i64)>>,
    balance: i64,
    held: i64,
    now: i64,
    next: u8,
}

impl Model {
    fn check(&self) {
        let remaining: i64 = self.lots.iter().map(|l| l.remaining).sum();
        let held: i64 = self.lots.iter().map(|l| l.held).sum();
        assert_eq!(remaining, self.balance, "Σ remaining == balance");
        assert_eq!(held, self.held, "Σ held == held");
        for l in &self.lots {
            assert!(
                0 <= l.held && l.held <= l.remaining && l.remaining <= l.amount,
                "{l:?}"
            );
            if l.expired_at.is_some() {
                assert_eq!(
                    l.remaining, l.held,
                    "an expired lot keeps only held credits"
                );
            }
        }
    }

    fn pins_of(&self, hold: &[(CreditLotId, i64)]) -> Vec<(CreditLot, i64)> {
        hold.iter()
            .map(|(id, p)| (self.lots.iter().find(|l| &l.id == id).unwrap().clone(), *p))
            .collect()
    }

    fn run(&mut self, s: Step) {
        match s {
            Step::Grant {
                amount,
                expires_in,
                allowance,
            } => {
                self.next += 1;
                let source = if allowance {
                    LotSource::Allowance
                } else {
                    LotSource::Purchase
                };
                self.lots.push(lot(
                    self.next,
                    source,
                    amount,
                    expires_in.map(|e| self.now + e),
                    self.now,
                ));
                self.balance += amount;
            }
            Step::Debit(n) => {
                if self.balance - self.held >= n {
                    let c = take(&self.lots, n).unwrap();
                    assert_eq!(c.iter().map(|c| c.amount).sum::<i64>(), -n);
                    apply_all(&mut self.lots, &c);
                    self.balance -= n;
                } else {
                    assert!(take(&self.lots, n).is_err());
                }
            }
            Step::Hold(n) => {
                if self.balance - self.held >= n {
                    let c = pin(&self.lots, n).unwrap();
                    apply_all(&mut self.lots, &c);
                    self.holds
                        .push(c.into_iter().map(|c| (c.lot_id, c.held)).collect());
                    self.held += n;
                }
            }
            Step::Commit { which, .. } | Step::Release(which) if which >= self.holds.len() => {}
            Step::Commit { which, part } => self.settle(which, part),
            Step::Release(which) => self.settle(which, 0),
            Step::Advance(by) => {
                self.now += by;
                let now = t(self.now);
                for i in 0..self.lots.len() {
                    if self.lots[i].is_due(now) {
                        let plan = expire(&self.lots[i]);
                        let l = &mut self.lots[i];
                        l.remaining -= plan.expired;
                        l.expired_at = Some(now);
                        self.balance -= plan.expired;
                        if let Some((n, until)) = plan.rollover {
                            self.next += 1;
                            let mut r = lot(self.next, LotSource::Rollover, n, None, self.now);
                            r.expires_at = Some(until);
                            self.lots.push(r);
                            self.balance += n;
                        }
                    }
                }
            }
        }
        self.check();
    }

    fn settle(&mut self, which: usize, percent: i64) {
        let hold = self.holds.remove(which);
        let pinned: i64 = hold.iter().map(|(_, p)| p).sum();
        let spent = pinned * percent / 100;
        let out = unpin(&self.pins_of(&hold), spent).unwrap();
        apply_all(&mut self.lots, &out.changes);
        apply_all(&mut self.lots, &out.expire);
        let expired: i64 = out.expire.iter().map(|c| -c.amount).sum();
        self.held -= pinned;
        self.balance -= spent + expired;
    }
}

proptest! {
    #[test]
    fn lots_agree_with_the_balance_after_every_step(steps in proptest::collection::vec(step(), 1..60)) {
        let mut m = Model { lots: Vec::new(), holds: Vec::new(), balance: 0, held: 0, now: 0, next: 0 };
        for s in steps {
            m.run(s);
        }
    }
}

#[test]
fn the_model_sees_a_rollover_lot_expire_at_the_next_period_end() {
    let mut m = Model {
        lots: Vec::new(),
        holds: Vec::new(),
        balance: 0,
        held: 0,
        now: 0,
        next: 0,
    };
    m.run(Step::Grant {
        amount: 1000,
        expires_in: Some(100),
        allowance: true,
    });
    m.lots[0].rollover = Some(LotRollover {
        max: 100,
        until: t(200),
    });
    m.run(Step::Debit(750));
    m.run(Step::Advance(100));
    assert_eq!(m.balance, 100, "250 expired, 100 rolled over");
    m.run(Step::Advance(100));
    assert_eq!(m.balance, 0, "the rollover lot expires at the next end");
}
