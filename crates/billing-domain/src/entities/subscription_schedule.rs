//! What a subscription needs next, and when: the scheduler's decision table, written once,
//! as pure functions of the stored state and the time. The scheduler (and the test clock)
//! works only from [`next_action_at`], the indexed instant, and asks [`due_action`] what to
//! do there; each action is then applied in one store transaction (a period row keyed by
//! `(subscription, period_start)` makes a renewal happen at most once).
//!
//! | status | due when | action |
//! |---|---|---|
//! | `incomplete` | created + the incomplete window (23 h) | expire: `incomplete_expired`, first invoice voided |
//! | `trialing` | 3 days before the trial end, then the trial end | record `trial_will_end`; then end the trial: bill the first period |
//! | `active` | a collection attempt (`next_retry_at`), else the current period end | collect; at the period end cancel if flagged, else renew the next period |
//! | `past_due` | the next retry, or the period end if sooner | retry; after the last retry, or at the period end, the plan's final action; once `leave_past_due` was applied, renew at the period end |
//! | `paused` | once a payment method is kept (at its `updated_at`) | resume: a new anchor now, bill and charge the first period |
//! | `active`, `past_due` with an unpaid upgrade | its expiry (23 h), or the period end if sooner | drop the upgrade, void its invoice (before anything else) |
//! | `unpaid`, `paused` without a payment method, terminal | never | — (a payment or a new payment method wakes them) |
//!
//! After downtime an `active` subscription may be several periods behind: each call returns
//! the next missed period, oldest first, and only the period that contains `now` is charged
//! (`charge: true`); older ones are invoiced and voided, so a rerun adds nothing and the
//! customer is not billed for time the service was not renewing.
//!
//! What the caller stores when it applies an action, so that asking again moves on:
//! * `Retry`: clear `next_retry_at` while the attempt is out; on failure set it with
//!   [`after_failed_attempt`] and `attempt_count` to the attempt's number;
//! * `Final(LeavePastDue)`: clear `next_retry_at` (the status stays `past_due`);
//! * every other action changes the status or the current period.

use time::{Duration, OffsetDateTime};

use crate::entities::{DunningPolicy, FinalAction, Subscription, SubscriptionStatus};

/// How long a first invoice may stay unpaid before the subscription expires (Stripe's 23 h).
pub const INCOMPLETE_WINDOW: Duration = Duration::hours(23);

/// How long before a trial ends `subscription.trial_will_end` is recorded (Stripe's 3 days).
pub const TRIAL_NOTICE: Duration = Duration::days(3);

/// Decline codes after which retrying the same card off-session is pointless: the payer must
/// act (authenticate, or give another card). The invoice then waits for a pay link until the
/// final action. Codes are Stripe's (stripe.com/docs/declines/codes); PayPal's are mapped to
/// them by its adapter.
pub fn stops_retries(code: &str) -> bool {
    matches!(
        code,
        "authentication_required"
            | "no_payment_method"
            | "expired_card"
            | "lost_card"
            | "stolen_card"
            | "pickup_card"
            | "restricted_card"
            | "fraudulent"
            | "incorrect_number"
            | "invalid_account"
            | "do_not_try_again"
            | "do_not_honor"
            | "revocation_of_all_authorizations"
            | "revocation_of_authorization"
            | "stop_payment_order"
            | "security_violation"
            | "transaction_not_allowed"
    )
}

/// What the scheduler must do for a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueAction {
    /// The first invoice was not paid in time: `incomplete_expired`, its invoice voided.
    ExpireIncomplete,
    /// The trial ends within [`TRIAL_NOTICE`]: record `subscription.trial_will_end` once.
    TrialWillEnd,
    /// The trial is over: bill the first period; collect only when `charge` (a trial that
    /// ended during downtime is invoiced and voided like any missed period).
    EndTrial {
        /// Whether the first period still contains `now`.
        charge: bool,
    },
    /// Period `index` (`[start, end)`) begins: invoice it; collect only when `charge`.
    Renew {
        /// The period's index from the anchor.
        index: u32,
        /// Its start (the idempotency key of the renewal).
        start: OffsetDateTime,
        /// Its end.
        end: OffsetDateTime,
        /// Whether this period contains `now` (older missed periods are voided instead).
        charge: bool,
    },
    /// `cancel_at_period_end` was set and the period is over: `canceled`, no invoice.
    CancelAtPeriodEnd,
    /// Collection attempt number `attempt` (2 = the first retry) of the latest invoice.
    Retry {
        /// The attempt's number.
        attempt: u32,
    },
    /// Retries are exhausted, or the period ended while still past due: apply the policy.
    Final(FinalAction),
    /// A paused subscription was given a payment method: it restarts now (a new anchor) and
    /// its first period is billed and charged.
    Resume,
    /// An upgrade's invoice is still unpaid at its expiry (or the period ends first): the
    /// upgrade is dropped and the invoice voided.
    DropPendingUpgrade,
}

/// When a pending upgrade of `sub` is dropped, if it has one.
fn upgrade_expiry(sub: &Subscription) -> Option<OffsetDateTime> {
    sub.pending_change
        .as_ref()
        .and_then(|c| c.upgrade())
        .map(|u| u.expires_at.min(sub.current_period_end))
}

/// The instant the scheduler must look at `sub` next, or `None` when only an outside event
/// (a payment, a new payment method, an operator) can change it.
pub fn next_action_at(sub: &Subscription) -> Option<OffsetDateTime> {
    use SubscriptionStatus::*;
    match sub.status {
        Incomplete => sub.created_at.checked_add(INCOMPLETE_WINDOW),
        Trialing => {
            let end = sub.trial_end.unwrap_or(sub.current_period_end);
            if sub.trial_reminded {
                Some(end)
            } else {
                Some(end.checked_sub(TRIAL_NOTICE)?.max(sub.created_at))
            }
        }
        Active | PastDue => {
            let due = match sub.next_retry_at {
                Some(r) if r < sub.current_period_end => r,
                _ => sub.current_period_end,
            };
            Some(upgrade_expiry(sub).map_or(due, |e| e.min(due)))
        }
        // Woken by a kept payment method (stored with the change, so `updated_at` is then).
        Paused => sub.gateway_payment_method.as_ref().map(|_| sub.updated_at),
        Unpaid | Canceled | IncompleteExpired => None,
    }
}

/// What is due for `sub` at `now` under `dunning`, if anything. Applying the action and
/// asking again (with the state it produced) walks through everything due up to `now`, one
/// step at a time, in order.
pub fn due_action(
    sub: &Subscription,
    dunning: &DunningPolicy,
    now: OffsetDateTime,
) -> Option<DueAction> {
    use SubscriptionStatus::*;
    let at = next_action_at(sub)?;
    if at > now {
        return None;
    }
    // An upgrade left unpaid is dropped before anything else: the period it prorated may be
    // about to end.
    if matches!(sub.status, Active | PastDue) && upgrade_expiry(sub).is_some_and(|e| e <= now) {
        return Some(DueAction::DropPendingUpgrade);
    }
    match sub.status {
        Incomplete => Some(DueAction::ExpireIncomplete),
        // Canceled at the trial's end: never billed.
        Trialing if sub.trial_end.is_none_or(|t| t <= now) && sub.cancel_at_period_end => {
            Some(DueAction::CancelAtPeriodEnd)
        }
        Trialing if sub.trial_end.is_none_or(|t| t <= now) => Some(DueAction::EndTrial {
            charge: sub.interval.period(sub.anchor, 0)?.1 > now,
        }),
        Trialing => (!sub.trial_reminded).then_some(DueAction::TrialWillEnd),
        // A collection attempt is due (the first one right after a renewal; with a sent
        // invoice, its due date). One still pending at the period end goes first too: when it
        // fails the subscription is past due, and the period end then ends the dunning.
        Active if sub.next_retry_at.is_some_and(|r| r <= now) => Some(DueAction::Retry {
            attempt: sub.attempt_count.checked_add(1)?,
        }),
        Active if sub.cancel_at_period_end => Some(DueAction::CancelAtPeriodEnd),
        Active => renew(sub, now),
        // Dunning is over and the policy left the subscription past due: periods go on.
        PastDue
            if now >= sub.current_period_end
                && sub.next_retry_at.is_none()
                && dunning.final_action == FinalAction::LeavePastDue =>
        {
            if sub.cancel_at_period_end {
                Some(DueAction::CancelAtPeriodEnd)
            } else {
                renew(sub, now)
            }
        }
        // A period end reached while past due ends the dunning first, so two open renewal
        // invoices never coexist.
        PastDue if now >= sub.current_period_end => Some(DueAction::Final(dunning.final_action)),
        PastDue => {
            let attempt = sub.attempt_count.checked_add(1)?;
            if usize::try_from(sub.attempt_count).ok()? > dunning.retry_days.len() {
                Some(DueAction::Final(dunning.final_action))
            } else {
                Some(DueAction::Retry { attempt })
            }
        }
        Paused => Some(DueAction::Resume),
        Unpaid | Canceled | IncompleteExpired => None,
    }
}

/// The next period of `sub`, charged only if it contains `now`.
fn renew(sub: &Subscription, now: OffsetDateTime) -> Option<DueAction> {
    let index = sub.period_index.checked_add(1)?;
    let (start, end) = sub.interval.period(sub.anchor, index)?;
    Some(DueAction::Renew {
        index,
        start,
        end,
        charge: end > now,
    })
}

/// The `next_retry_at` to store after collection attempt number `attempt` (1 = the first)
/// failed at `failed_at`: the next retry on the plan's schedule, or `failed_at` itself when
/// that was the last attempt, so the final action is due at once.
pub fn after_failed_attempt(
    dunning: &DunningPolicy,
    attempt: u32,
    failed_at: OffsetDateTime,
) -> OffsetDateTime {
    dunning.next_retry(attempt, failed_at).unwrap_or(failed_at)
}

#[cfg(test)]
#[path = "subscription_schedule_tests.rs"]
mod tests;
