//! Subscription plans: a price list, a billing interval, a credit allowance per period, the
//! features the platform checks, a trial and the dunning policy for failed renewals.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::error::ValidationError;
use crate::types::{BillingInterval, BoundedText, Currency, PlanId, PriceList, Slug};

/// The most credits a plan may grant per period.
pub const MAX_CREDITS_PER_PERIOD: i64 = 1_000_000_000_000;
/// The longest trial, as Stripe allows (two years).
pub const MAX_TRIAL_DAYS: i64 = 730;
/// The most features per plan.
pub const MAX_FEATURES: usize = 50;

/// What happens when the last retry of a renewal fails (or the next period begins first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FinalAction {
    /// Cancel the subscription and mark the invoice uncollectible (the default).
    #[default]
    Cancel,
    /// Stop renewing and keep the subscription `unpaid` until the invoice is paid.
    Unpaid,
    /// Stay `past_due`, keeping features, with the invoice open.
    LeavePastDue,
}

impl FinalAction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancel => "cancel",
            Self::Unpaid => "unpaid",
            Self::LeavePastDue => "leave_past_due",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cancel" => Some(Self::Cancel),
            "unpaid" => Some(Self::Unpaid),
            "leave_past_due" => Some(Self::LeavePastDue),
            _ => None,
        }
    }
}

/// How a failed renewal is retried: attempts at day 0, then `retry_days` after the previous
/// attempt each (default `[3, 7, 11]`: days 0, 3, 10, 21), then the final action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DunningPolicy {
    /// Days between attempts, each 1–60; at most 10 retries.
    pub retry_days: Vec<u16>,
    /// What happens after the last attempt fails.
    pub final_action: FinalAction,
}

impl Default for DunningPolicy {
    fn default() -> Self {
        Self {
            retry_days: vec![3, 7, 11],
            final_action: FinalAction::Cancel,
        }
    }
}

impl DunningPolicy {
    /// Validates a schedule (`dunning.retry_days`, `dunning.final_action`), each absent part
    /// taking its default. The whole schedule must end before the shortest period of
    /// `interval` does, so two open renewal invoices never coexist.
    pub fn parse(
        retry_days: Option<&[i64]>,
        final_action: Option<&str>,
        interval: &BillingInterval,
    ) -> Result<Self, ValidationError> {
        let default = Self::default();
        let retry_days = match retry_days {
            None => default.retry_days,
            Some(days) => {
                if days.len() > 10 {
                    return Err(ValidationError::new(
                        "dunning.retry_days",
                        "may hold at most 10 retries",
                    ));
                }
                days.iter()
                    .enumerate()
                    .map(|(i, d)| {
                        u16::try_from(*d)
                            .ok()
                            .filter(|d| (1..=60).contains(d))
                            .ok_or_else(|| {
                                ValidationError::new(
                                    format!("dunning.retry_days[{i}]"),
                                    "must be between 1 and 60 days",
                                )
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let final_action = match final_action {
            None => default.final_action,
            Some(a) => FinalAction::parse(a).ok_or_else(|| {
                ValidationError::new(
                    "dunning.final_action",
                    "must be one of `cancel`, `unpaid`, `leave_past_due`",
                )
            })?,
        };
        let policy = Self {
            retry_days,
            final_action,
        };
        if policy.span() >= interval.shortest_period() {
            return Err(ValidationError::rule(
                "dunning.retry_days",
                format!(
                    "the retries span {} days, which does not end before the next period \
                     (at least {} days); shorten the schedule",
                    policy.span().whole_days(),
                    interval.shortest_period().whole_days()
                ),
            ));
        }
        Ok(policy)
    }

    /// From the first attempt to the last.
    pub fn span(&self) -> Duration {
        Duration::days(self.retry_days.iter().map(|d| i64::from(*d)).sum())
    }

    /// When the attempt after attempt number `attempt` (1 = the first) is due, counted from
    /// `last` (the previous attempt); `None` when no retry is left.
    pub fn next_retry(&self, attempt: u32, last: OffsetDateTime) -> Option<OffsetDateTime> {
        let days = *self
            .retry_days
            .get(usize::try_from(attempt).ok()?.checked_sub(1)?)?;
        last.checked_add(Duration::days(i64::from(days)))
    }
}

/// A subscription plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    /// `plan_…`.
    pub id: PlanId,
    /// Display name.
    pub name: BoundedText,
    /// Unique URL-safe name.
    pub slug: Slug,
    /// Marketing text.
    pub description: Option<BoundedText>,
    /// One price per period in each currency offered (0 for a free plan).
    pub prices: PriceList,
    /// How often it renews.
    pub interval: BillingInterval,
    /// Credits granted each period once the period's invoice is paid (0 or more).
    pub credits_per_period: i64,
    /// Feature keys the platform checks (`api_access`, `seats:5`).
    pub features: Vec<String>,
    /// Days of trial before the first charge (0: none).
    pub trial_days: u16,
    /// How failed renewals are retried.
    pub dunning: DunningPolicy,
    /// What happens to a period's unspent allowance at its end.
    #[serde(default)]
    pub rollover: crate::entities::RolloverPolicy,
    /// Only active plans can be subscribed to; archived ones keep their subscribers.
    pub active: bool,
    /// Shown first in listings.
    pub featured: bool,
    /// Position in listings (ascending) after featured ones.
    pub sort_order: i32,
    /// Stripe product id, when the platform keeps one.
    pub stripe_product_id: Option<String>,
    /// PayPal catalog product id.
    pub paypal_product_id: Option<String>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Plan {
    /// Whether the plan is sold in `currency`.
    pub fn sells_in(&self, currency: Currency) -> bool {
        self.prices.get(currency).is_some()
    }
}

/// Validates credits per period: 0 to [`MAX_CREDITS_PER_PERIOD`].
pub fn parse_credits_per_period(v: Option<i64>) -> Result<i64, ValidationError> {
    let v = v.ok_or_else(|| ValidationError::new("credits_per_period", "is required"))?;
    if !(0..=MAX_CREDITS_PER_PERIOD).contains(&v) {
        return Err(ValidationError::new(
            "credits_per_period",
            format!("must be between 0 and {MAX_CREDITS_PER_PERIOD}"),
        ));
    }
    Ok(v)
}

/// Validates trial days: 0 to [`MAX_TRIAL_DAYS`] (named `field`).
pub fn parse_trial_days(v: Option<i64>, field: &str) -> Result<u16, ValidationError> {
    let v = v.unwrap_or(0);
    u16::try_from(v)
        .ok()
        .filter(|d| i64::from(*d) <= MAX_TRIAL_DAYS)
        .ok_or_else(|| {
            ValidationError::new(field, format!("must be between 0 and {MAX_TRIAL_DAYS}"))
        })
}

/// Validates feature keys: at most [`MAX_FEATURES`], each 1–64 of `a-z 0-9 _ . : -`,
/// starting with a letter, each once.
pub fn parse_features(v: &[String]) -> Result<Vec<String>, ValidationError> {
    if v.len() > MAX_FEATURES {
        return Err(ValidationError::new(
            "features",
            format!("may hold at most {MAX_FEATURES} keys"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for (i, f) in v.iter().enumerate() {
        // Not trimmed: a key has no spaces, and the API document's pattern admits none.
        let f = f.as_str();
        let ok = (1..=64).contains(&f.len())
            && f.starts_with(|c: char| c.is_ascii_lowercase())
            && f.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'.' | b':' | b'-')
            });
        if !ok {
            return Err(ValidationError::new(
                format!("features[{i}]"),
                "must be 1-64 of a-z, 0-9, '_', '.', ':' or '-', starting with a letter",
            ));
        }
        if out.iter().any(|o| o == f) {
            return Err(ValidationError::new(
                format!("features[{i}]"),
                format!("`{f}` is listed twice"),
            ));
        }
        out.push(f.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::IntervalUnit;

    #[test]
    fn dunning_defaults_and_schedule() {
        let p = DunningPolicy::parse(None, None, &BillingInterval::MONTHLY).unwrap();
        assert_eq!(p, DunningPolicy::default());
        let t = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(p.next_retry(1, t), Some(t + Duration::days(3)));
        assert_eq!(p.next_retry(3, t), Some(t + Duration::days(11)));
        assert_eq!(p.next_retry(4, t), None, "four attempts in all");
        assert_eq!(p.next_retry(0, t), None);
    }

    #[test]
    fn a_schedule_longer_than_the_period_is_refused() {
        let weekly = BillingInterval {
            unit: IntervalUnit::Week,
            count: 1,
        };
        let e = DunningPolicy::parse(None, None, &weekly).unwrap_err();
        assert_eq!(e.field, "dunning.retry_days");
        assert!(DunningPolicy::parse(Some(&[1, 2]), None, &weekly).is_ok());
        assert_eq!(
            DunningPolicy::parse(Some(&[0]), None, &weekly)
                .unwrap_err()
                .field,
            "dunning.retry_days[0]"
        );
        assert_eq!(
            DunningPolicy::parse(None, Some("explode"), &weekly)
                .unwrap_err()
                .field,
            "dunning.final_action"
        );
    }

    #[test]
    fn features_are_checked_keys() {
        assert_eq!(
            parse_features(&["api_access".into(), "seats:5".into()]).unwrap(),
            vec!["api_access", "seats:5"]
        );
        assert_eq!(
            parse_features(&["Bad Key".into()]).unwrap_err().field,
            "features[0]"
        );
        assert_eq!(
            parse_features(&["a".into(), "a".into()]).unwrap_err().field,
            "features[1]"
        );
        assert_eq!(
            parse_trial_days(Some(731), "trial_days").unwrap_err().field,
            "trial_days"
        );
        assert_eq!(
            parse_credits_per_period(Some(-1)).unwrap_err().field,
            "credits_per_period"
        );
    }
}
