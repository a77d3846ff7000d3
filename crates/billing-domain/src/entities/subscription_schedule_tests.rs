#![allow(clippy::unwrap_used)]

use time::macros::datetime;

use super::*;
use crate::entities::{CollectionMethod, Metadata, PaymentMethodKind};
use crate::types::{AccountId, BillingInterval, Currency, PlanId, SubscriptionId};

fn monthly_from(anchor: OffsetDateTime, status: SubscriptionStatus) -> Subscription {
    let (start, end) = BillingInterval::MONTHLY.period(anchor, 0).unwrap();
    Subscription {
        id: SubscriptionId::generate(anchor),
        account_id: AccountId::generate(anchor),
        plan_id: PlanId::generate(anchor),
        status,
        currency: Currency::parse("USD").unwrap(),
        interval: BillingInterval::MONTHLY,
        payment_method: PaymentMethodKind::BankTransfer,
        collection_method: CollectionMethod::SendInvoice,
        gateway_payment_method: None,
        anchor,
        period_index: 0,
        current_period_start: start,
        current_period_end: end,
        trial_end: None,
        cancel_at_period_end: false,
        trial_reminded: false,
        canceled_at: None,
        latest_invoice_id: None,
        attempt_count: 0,
        next_retry_at: None,
        next_action_at: None,
        billed: None,
        pending_change: None,
        metadata: Metadata::default(),
        created_at: anchor,
        updated_at: anchor,
        version: 1,
    }
}

/// Applies a renewal as the store would: the next period becomes current.
fn renewed(
    mut s: Subscription,
    index: u32,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Subscription {
    s.period_index = index;
    s.current_period_start = start;
    s.current_period_end = end;
    s.attempt_count = 0;
    s.next_retry_at = None;
    s
}

/// Applies every renewal due at `now`, as a scheduler catching up would; returns each
/// renewed period's index, starting month and whether it was charged.
fn catch_up(
    mut s: Subscription,
    dunning: &DunningPolicy,
    now: OffsetDateTime,
) -> Vec<(u32, time::Month, bool)> {
    let mut seen = Vec::new();
    while let Some(DueAction::Renew {
        index,
        start,
        end,
        charge,
    }) = due_action(&s, dunning, now)
    {
        seen.push((index, start.month(), charge));
        s = renewed(s, index, start, end);
    }
    seen
}

#[test]
fn an_active_monthly_subscription_renews_on_each_anchor_day_and_nothing_between() {
    let anchor = datetime!(2027-01-31 09:15:00 UTC);
    let dunning = DunningPolicy::default();
    let mut s = monthly_from(anchor, SubscriptionStatus::Active);
    let mut starts = Vec::new();
    // A clock that steps through every due instant for a year, as the test clock does.
    let mut now = anchor;
    while let Some(at) = next_action_at(&s) {
        if at > datetime!(2028-01-31 09:15:00 UTC) {
            break;
        }
        assert_eq!(
            due_action(&s, &dunning, at - Duration::seconds(1)),
            None,
            "nothing early"
        );
        now = at;
        match due_action(&s, &dunning, now).unwrap() {
            DueAction::Renew {
                index,
                start,
                end,
                charge,
            } => {
                assert!(charge, "a renewal on time is charged");
                assert_eq!(start, s.current_period_end, "periods tile");
                starts.push(start);
                s = renewed(s, index, start, end);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            due_action(&s, &dunning, now),
            None,
            "a rerun at the same instant does nothing"
        );
    }
    assert_eq!(starts.len(), 12);
    assert_eq!(starts[0], datetime!(2027-02-28 09:15:00 UTC));
    assert_eq!(starts[1], datetime!(2027-03-31 09:15:00 UTC));
    assert_eq!(starts[11], datetime!(2028-01-31 09:15:00 UTC));
    assert_eq!(now, starts[11]);
}

#[test]
fn after_downtime_missed_periods_come_oldest_first_and_only_the_current_one_is_charged() {
    let anchor = datetime!(2027-01-10 00:00:00 UTC);
    let dunning = DunningPolicy::default();
    let s = monthly_from(anchor, SubscriptionStatus::Active);
    let seen = catch_up(s, &dunning, datetime!(2027-04-20 00:00:00 UTC));
    assert_eq!(
        seen,
        vec![
            (1, time::Month::February, false),
            (2, time::Month::March, false),
            (3, time::Month::April, true),
        ]
    );
}

#[test]
fn cancel_at_period_end_cancels_instead_of_renewing() {
    let anchor = datetime!(2027-01-10 00:00:00 UTC);
    let mut s = monthly_from(anchor, SubscriptionStatus::Active);
    s.cancel_at_period_end = true;
    let end = s.current_period_end;
    assert_eq!(
        due_action(&s, &DunningPolicy::default(), end - Duration::seconds(1)),
        None
    );
    assert_eq!(
        due_action(&s, &DunningPolicy::default(), end),
        Some(DueAction::CancelAtPeriodEnd)
    );
}

#[test]
fn dunning_retries_at_plus_3_10_21_days_then_applies_the_final_action() {
    let anchor = datetime!(2027-01-01 00:00:00 UTC);
    let dunning = DunningPolicy::default();
    let mut s = monthly_from(anchor, SubscriptionStatus::PastDue);
    // Attempt 1 failed at the renewal instant.
    let failed_at = datetime!(2027-01-01 00:00:00 UTC);
    s.attempt_count = 1;
    s.next_retry_at = Some(after_failed_attempt(&dunning, 1, failed_at));
    let mut attempts = Vec::new();
    loop {
        let at = next_action_at(&s).unwrap();
        match due_action(&s, &dunning, at).unwrap() {
            DueAction::Retry { attempt } => {
                attempts.push(((at - anchor).whole_days(), attempt));
                // It fails again.
                s.attempt_count = attempt;
                s.next_retry_at = Some(after_failed_attempt(&dunning, attempt, at));
            }
            DueAction::Final(action) => {
                assert_eq!(action, FinalAction::Cancel);
                assert_eq!(
                    (at - anchor).whole_days(),
                    21,
                    "at once after the last attempt"
                );
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(attempts, vec![(3, 2), (10, 3), (21, 4)]);
}

#[test]
fn a_period_end_reached_while_past_due_fires_the_final_action_first() {
    let anchor = datetime!(2027-02-01 00:00:00 UTC);
    // A schedule that would run past February's end.
    let dunning = DunningPolicy {
        retry_days: vec![20, 20],
        final_action: FinalAction::Unpaid,
    };
    let mut s = monthly_from(anchor, SubscriptionStatus::PastDue);
    s.attempt_count = 2;
    s.next_retry_at = Some(datetime!(2027-03-13 00:00:00 UTC));
    assert_eq!(next_action_at(&s), Some(s.current_period_end));
    assert_eq!(
        due_action(&s, &dunning, s.current_period_end),
        Some(DueAction::Final(FinalAction::Unpaid))
    );
}

#[test]
fn incomplete_expires_after_23_hours_and_trials_end_at_their_end() {
    let anchor = datetime!(2027-01-01 12:00:00 UTC);
    let s = monthly_from(anchor, SubscriptionStatus::Incomplete);
    let dunning = DunningPolicy::default();
    assert_eq!(
        due_action(
            &s,
            &dunning,
            anchor + Duration::hours(23) - Duration::microseconds(1)
        ),
        None,
        "not a microsecond early"
    );
    assert_eq!(
        due_action(&s, &dunning, anchor + Duration::hours(23)),
        Some(DueAction::ExpireIncomplete)
    );
    let mut t = monthly_from(anchor, SubscriptionStatus::Trialing);
    t.trial_end = Some(anchor + Duration::days(14));
    t.anchor = anchor + Duration::days(14);
    // Three days before the end, once.
    assert_eq!(next_action_at(&t), Some(anchor + Duration::days(11)));
    assert_eq!(
        due_action(
            &t,
            &dunning,
            anchor + Duration::days(11) - Duration::microseconds(1)
        ),
        None
    );
    assert_eq!(
        due_action(&t, &dunning, anchor + Duration::days(11)),
        Some(DueAction::TrialWillEnd)
    );
    t.trial_reminded = true;
    assert_eq!(next_action_at(&t), t.trial_end);
    assert_eq!(due_action(&t, &dunning, anchor + Duration::days(12)), None);
    assert_eq!(
        due_action(&t, &dunning, anchor + Duration::days(14)),
        Some(DueAction::EndTrial { charge: true })
    );
    // A trial that ended during downtime: its first period is over, so it is not charged.
    assert_eq!(
        due_action(&t, &dunning, anchor + Duration::days(14 + 40)),
        Some(DueAction::EndTrial { charge: false })
    );
}

#[test]
fn a_trial_shorter_than_the_notice_is_reminded_at_once_and_a_collection_attempt_goes_first() {
    let anchor = datetime!(2027-01-01 12:00:00 UTC);
    let dunning = DunningPolicy::default();
    let mut t = monthly_from(anchor, SubscriptionStatus::Trialing);
    t.trial_end = Some(anchor + Duration::days(1));
    assert_eq!(next_action_at(&t), Some(anchor));
    assert_eq!(
        due_action(&t, &dunning, anchor),
        Some(DueAction::TrialWillEnd)
    );
    // A renewal's first attempt is due at once; at the period end a pending one goes first.
    let mut a = monthly_from(anchor, SubscriptionStatus::Active);
    a.next_retry_at = Some(anchor);
    assert_eq!(next_action_at(&a), Some(anchor));
    assert_eq!(
        due_action(&a, &dunning, anchor),
        Some(DueAction::Retry { attempt: 1 })
    );
    a.next_retry_at = Some(a.current_period_end);
    a.cancel_at_period_end = true;
    assert_eq!(
        due_action(&a, &dunning, a.current_period_end),
        Some(DueAction::Retry { attempt: 1 })
    );
    // A cancel at the period end wins over ending a trial.
    t.cancel_at_period_end = true;
    assert_eq!(
        due_action(&t, &dunning, anchor + Duration::days(1)),
        Some(DueAction::CancelAtPeriodEnd)
    );
    assert!(super::stops_retries("authentication_required"));
    assert!(!super::stops_retries("insufficient_funds"));
}

#[test]
fn unpaid_paused_and_terminal_subscriptions_wait_for_an_outside_event() {
    use SubscriptionStatus::*;
    let anchor = datetime!(2027-01-01 00:00:00 UTC);
    for status in [Unpaid, Paused, Canceled, IncompleteExpired] {
        let s = monthly_from(anchor, status);
        assert_eq!(next_action_at(&s), None, "{status}");
        assert_eq!(
            due_action(&s, &DunningPolicy::default(), anchor + Duration::days(400)),
            None
        );
    }
}

#[test]
fn a_paused_subscription_resumes_once_a_payment_method_is_kept() {
    let anchor = datetime!(2027-01-01 00:00:00 UTC);
    let mut s = monthly_from(anchor, SubscriptionStatus::Paused);
    s.payment_method = PaymentMethodKind::Stripe;
    s.collection_method = CollectionMethod::ChargeAutomatically;
    let kept = anchor + Duration::days(40);
    s.gateway_payment_method = Some("pm_card_visa".into());
    s.updated_at = kept;
    assert_eq!(next_action_at(&s), Some(kept));
    let dunning = DunningPolicy::default();
    assert_eq!(due_action(&s, &dunning, kept - Duration::seconds(1)), None);
    assert_eq!(due_action(&s, &dunning, kept), Some(DueAction::Resume));
}

#[test]
fn a_retry_in_flight_is_not_issued_twice() {
    let anchor = datetime!(2027-01-01 00:00:00 UTC);
    let dunning = DunningPolicy::default();
    let mut s = monthly_from(anchor, SubscriptionStatus::PastDue);
    s.attempt_count = 1;
    s.next_retry_at = Some(after_failed_attempt(&dunning, 1, anchor));
    let at = s.next_retry_at.unwrap();
    assert_eq!(
        due_action(&s, &dunning, at),
        Some(DueAction::Retry { attempt: 2 })
    );
    // The caller clears next_retry_at while the attempt is out.
    s.next_retry_at = None;
    assert_eq!(
        due_action(&s, &dunning, at),
        None,
        "asking again at once issues nothing"
    );
}

#[test]
fn leave_past_due_stops_retrying_but_the_periods_go_on() {
    let anchor = datetime!(2027-01-01 00:00:00 UTC);
    let dunning = DunningPolicy {
        retry_days: vec![3],
        final_action: FinalAction::LeavePastDue,
    };
    let mut s = monthly_from(anchor, SubscriptionStatus::PastDue);
    s.attempt_count = 2;
    let last = anchor + Duration::days(3);
    s.next_retry_at = Some(after_failed_attempt(&dunning, 2, last));
    assert_eq!(
        due_action(&s, &dunning, last),
        Some(DueAction::Final(FinalAction::LeavePastDue))
    );
    // Applied: still past due, no retry pending.
    s.next_retry_at = None;
    assert_eq!(
        due_action(&s, &dunning, last),
        None,
        "no loop at the same instant"
    );
    assert_eq!(next_action_at(&s), Some(s.current_period_end));
    match due_action(&s, &dunning, s.current_period_end) {
        Some(DueAction::Renew {
            index: 1,
            charge: true,
            ..
        }) => {}
        other => panic!("the next period is renewed: {other:?}"),
    }
}

#[test]
fn catch_up_at_exactly_a_period_end_charges_the_period_that_starts_then() {
    let anchor = datetime!(2027-01-10 00:00:00 UTC);
    let dunning = DunningPolicy::default();
    let s = monthly_from(anchor, SubscriptionStatus::Active);
    let seen = catch_up(s, &dunning, datetime!(2027-03-10 00:00:00 UTC));
    // February's period ends exactly now (half-open), so only March's is charged.
    assert_eq!(
        seen,
        vec![
            (1, time::Month::February, false),
            (2, time::Month::March, true)
        ]
    );
}
