//! The billing calendar: how often a plan renews, and where each period starts.
//!
//! Every boundary is derived from the subscription's **anchor** and the period's index, never
//! from the previous period's end: chaining "end + 1 month" drifts (Jan 31 → Feb 28 → Mar 28),
//! which is the month-end bug class of other billing systems. Periods are half-open UTC
//! intervals `[start, end)` with `end(n) == start(n + 1)`, and months are clamped to their
//! length (anchor Jan 31 → Feb 28/29 → Mar 31 → Apr 30), the time of day kept.

use serde::{Deserialize, Serialize};
use time::{Duration, Month, OffsetDateTime};

use crate::error::ValidationError;

/// The unit of a billing interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IntervalUnit {
    /// Seven days.
    Week,
    /// A calendar month, clamped at month end.
    Month,
    /// Twelve calendar months.
    Year,
}

impl IntervalUnit {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }

    /// The largest count accepted for this unit (two years of weeks or months, five years).
    fn max_count(self) -> u16 {
        match self {
            Self::Week => 104,
            Self::Month => 24,
            Self::Year => 5,
        }
    }
}

/// How often a plan renews: `count` units (quarterly = 3 months).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingInterval {
    /// Week, month or year.
    pub unit: IntervalUnit,
    /// How many units per period, at least 1.
    pub count: u16,
}

impl BillingInterval {
    /// One month.
    pub const MONTHLY: Self = Self {
        unit: IntervalUnit::Month,
        count: 1,
    };

    /// Validates `unit` (`interval`) and `count` (`interval_count`, default 1).
    pub fn parse(unit: Option<&str>, count: Option<i64>) -> Result<Self, ValidationError> {
        let unit = unit.ok_or_else(|| ValidationError::new("interval", "is required"))?;
        let unit = IntervalUnit::parse(unit).ok_or_else(|| {
            ValidationError::new("interval", "must be one of `week`, `month`, `year`")
        })?;
        let count = count.unwrap_or(1);
        let max = i64::from(unit.max_count());
        if !(1..=max).contains(&count) {
            // The bound depends on the unit: a rule across fields.
            return Err(ValidationError::rule(
                "interval_count",
                format!("must be between 1 and {max} for `{}`", unit.as_str()),
            ));
        }
        Ok(Self {
            unit,
            count: u16::try_from(count).unwrap_or(1),
        })
    }

    /// The start of period `n` (0 = the anchor). `None` only past the calendar's range.
    pub fn period_start(&self, anchor: OffsetDateTime, n: u32) -> Option<OffsetDateTime> {
        let steps = u32::from(self.count).checked_mul(n)?;
        match self.unit {
            IntervalUnit::Week => anchor.checked_add(Duration::weeks(i64::from(steps))),
            IntervalUnit::Month => add_months_clamped(anchor, steps),
            IntervalUnit::Year => add_months_clamped(anchor, steps.checked_mul(12)?),
        }
    }

    /// Period `n` as `[start, end)`.
    pub fn period(
        &self,
        anchor: OffsetDateTime,
        n: u32,
    ) -> Option<(OffsetDateTime, OffsetDateTime)> {
        Some((
            self.period_start(anchor, n)?,
            self.period_start(anchor, n.checked_add(1)?)?,
        ))
    }

    /// The index of the period containing `t` (`t` before the anchor is period 0).
    pub fn index_at(&self, anchor: OffsetDateTime, t: OffsetDateTime) -> u32 {
        let mut n = 0_u32;
        // A period is at least a week long, so this loop runs at most a few hundred times
        // for any real subscription.
        while let Some(next) = self.period_start(anchor, n + 1) {
            if next > t {
                break;
            }
            n += 1;
        }
        n
    }

    /// The shortest a period of this interval can be (28-day February, 365-day year), used
    /// to refuse retry schedules longer than a period.
    pub fn shortest_period(&self) -> Duration {
        let count = i64::from(self.count);
        match self.unit {
            IntervalUnit::Week => Duration::weeks(count),
            IntervalUnit::Month => Duration::days(28 * count),
            IntervalUnit::Year => Duration::days(365 * count),
        }
    }

    /// How many periods a year holds, as the fraction `(periods, per)`: monthly `(12, 1)`,
    /// quarterly `(12, 3)`, weekly `(52, 1)`, yearly `(1, 1)`; a price's monthly recurring
    /// revenue is `price × periods / (per × 12)`.
    pub fn periods_per_year(&self) -> (i64, i64) {
        let count = i64::from(self.count);
        match self.unit {
            IntervalUnit::Week => (52, count),
            IntervalUnit::Month => (12, count),
            IntervalUnit::Year => (1, count),
        }
    }
}

/// `t` plus `months` calendar months, the day clamped to the target month's length and the
/// time of day kept. `None` past year 9999.
pub fn add_months_clamped(t: OffsetDateTime, months: u32) -> Option<OffsetDateTime> {
    let month0 = i64::from(u8::from(t.month()) - 1) + i64::from(months);
    let year = i32::try_from(i64::from(t.year()) + month0.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(month0.rem_euclid(12) + 1).ok()?).ok()?;
    let day = t.day().min(month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(date.with_time(t.time()).assume_offset(t.offset()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;
    use time::macros::datetime;

    use super::*;

    fn monthly(count: u16) -> BillingInterval {
        BillingInterval {
            unit: IntervalUnit::Month,
            count,
        }
    }

    #[test]
    fn month_end_anchors_clamp_and_come_back() {
        let anchor = datetime!(2026-01-31 10:30:00 UTC);
        let starts: Vec<_> = (0..5)
            .map(|n| monthly(1).period_start(anchor, n).unwrap())
            .collect();
        assert_eq!(
            starts,
            vec![
                datetime!(2026-01-31 10:30:00 UTC),
                datetime!(2026-02-28 10:30:00 UTC),
                datetime!(2026-03-31 10:30:00 UTC),
                datetime!(2026-04-30 10:30:00 UTC),
                datetime!(2026-05-31 10:30:00 UTC),
            ]
        );
        // In a leap year February has its 29th.
        let leap = datetime!(2028-01-30 00:00:00 UTC);
        assert_eq!(
            monthly(1).period_start(leap, 1).unwrap(),
            datetime!(2028-02-29 00:00:00 UTC)
        );
        assert_eq!(
            monthly(1).period_start(leap, 2).unwrap(),
            datetime!(2028-03-30 00:00:00 UTC)
        );
    }

    #[test]
    fn anchors_on_the_29th_to_31st_every_month_of_two_years() {
        for day in 29..=31 {
            let anchor = time::Date::from_calendar_date(2027, Month::January, day)
                .unwrap()
                .with_hms(8, 0, 0)
                .unwrap()
                .assume_utc();
            for n in 0..24 {
                let s = monthly(1).period_start(anchor, n).unwrap();
                let expected_day = day.min(s.month().length(s.year()));
                assert_eq!(s.day(), expected_day, "day {day}, period {n}");
                assert_eq!(s.time(), anchor.time());
            }
        }
    }

    #[test]
    fn yearly_on_february_29() {
        let anchor = datetime!(2028-02-29 12:00:00 UTC);
        let yearly = BillingInterval {
            unit: IntervalUnit::Year,
            count: 1,
        };
        assert_eq!(
            yearly.period_start(anchor, 1).unwrap(),
            datetime!(2029-02-28 12:00:00 UTC)
        );
        assert_eq!(
            yearly.period_start(anchor, 4).unwrap(),
            datetime!(2032-02-29 12:00:00 UTC)
        );
    }

    #[test]
    fn quarterly_and_weekly() {
        let anchor = datetime!(2026-11-30 00:00:00 UTC);
        assert_eq!(
            monthly(3).period_start(anchor, 1).unwrap(),
            datetime!(2027-02-28 00:00:00 UTC)
        );
        assert_eq!(
            monthly(3).period_start(anchor, 2).unwrap(),
            datetime!(2027-05-30 00:00:00 UTC)
        );
        let weekly = BillingInterval {
            unit: IntervalUnit::Week,
            count: 2,
        };
        assert_eq!(
            weekly.period(anchor, 1).unwrap(),
            (
                datetime!(2026-12-14 00:00:00 UTC),
                datetime!(2026-12-28 00:00:00 UTC)
            )
        );
    }

    #[test]
    fn index_at_finds_the_containing_period() {
        let anchor = datetime!(2026-01-31 00:00:00 UTC);
        let m = monthly(1);
        assert_eq!(m.index_at(anchor, anchor), 0);
        assert_eq!(m.index_at(anchor, datetime!(2026-02-27 23:59:59 UTC)), 0);
        assert_eq!(m.index_at(anchor, datetime!(2026-02-28 00:00:00 UTC)), 1);
        assert_eq!(m.index_at(anchor, datetime!(2027-01-31 00:00:00 UTC)), 12);
        assert_eq!(m.index_at(anchor, datetime!(2025-01-01 00:00:00 UTC)), 0);
    }

    #[test]
    fn parse_names_the_field() {
        assert_eq!(
            BillingInterval::parse(Some("month"), None).unwrap(),
            monthly(1)
        );
        assert_eq!(
            BillingInterval::parse(None, None).unwrap_err().field,
            "interval"
        );
        assert_eq!(
            BillingInterval::parse(Some("day"), None).unwrap_err().field,
            "interval"
        );
        assert_eq!(
            BillingInterval::parse(Some("month"), Some(0))
                .unwrap_err()
                .field,
            "interval_count"
        );
        assert_eq!(
            BillingInterval::parse(Some("year"), Some(6))
                .unwrap_err()
                .field,
            "interval_count"
        );
    }

    proptest! {
        /// 24 periods without drift: each period ends where the next starts, each is longer
        /// than the shortest possible period, and each start is the anchor's day clamped.
        #[test]
        fn periods_tile_without_gaps_or_drift(
            secs in 0_i64..4_000_000_000,
            unit in prop_oneof![Just(IntervalUnit::Week), Just(IntervalUnit::Month), Just(IntervalUnit::Year)],
            count in 1_u16..4,
        ) {
            let anchor = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let i = BillingInterval { unit, count };
            for n in 0..24 {
                let (start, end) = i.period(anchor, n).unwrap();
                prop_assert_eq!(end, i.period_start(anchor, n + 1).unwrap());
                prop_assert!(end - start >= i.shortest_period());
                prop_assert_eq!(start.time(), anchor.time());
                if unit != IntervalUnit::Week {
                    prop_assert_eq!(start.day(), anchor.day().min(start.month().length(start.year())));
                }
                prop_assert_eq!(i.index_at(anchor, start), n);
            }
        }
    }
}
