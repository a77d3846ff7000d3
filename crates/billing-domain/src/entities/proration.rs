//! Proration of a mid-period plan change, to the microsecond in integer minor units.
//!
//! For a change at instant `t` inside a billed line covering `[from, to)`:
//! * credit = `round(billed × (to − t) / (to − from))`, capped so that the credits of every
//!   change in the period never exceed the billed amount (Lago #1778) — computed from what
//!   was **billed**, never from the plan's current price (Lago #1776);
//! * charge = `round(new_price × (to − t) / (to − from))` — or the whole new price when the
//!   change starts a new period (an interval change re-anchors at `t`);
//! * extra allowance = `floor((new_credits − old_credits) × (to − t) / (to − from))`, never
//!   negative;
//! * `round` is half up, once per line, over an `i128` product so nothing overflows.
//!
//! The result carries `t`: a preview computed at `t` and an apply given the same `t` are the
//! same numbers.

use time::OffsetDateTime;

use crate::error::ValidationError;

/// What was billed for the current plan in this period (the renewal line, or the charge line
/// of an earlier upgrade), and how much of it earlier changes already credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BilledLine {
    /// Minor units billed.
    pub amount: i64,
    /// Start of the span the line paid for.
    pub from: OffsetDateTime,
    /// Its end (the period end).
    pub to: OffsetDateTime,
    /// Credited by earlier changes in the period.
    pub credited: i64,
}

/// The new plan's side of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewTerms {
    /// The current period's start: the charge and the extra allowance are shares of the whole
    /// period `[period_start, line.to)`, while the credit is a share of the billed span (which
    /// starts later after an earlier upgrade).
    pub period_start: OffsetDateTime,
    /// The new plan's price per period in the subscription's currency.
    pub price: i64,
    /// Whether the change starts a new period at `t` (interval change): the whole price is
    /// charged.
    pub restarts_period: bool,
    /// Allowance per period, old plan.
    pub old_credits: i64,
    /// Allowance per period, new plan.
    pub new_credits: i64,
}

/// The numbers of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proration {
    /// The instant they were computed at.
    pub at: OffsetDateTime,
    /// Credit for the unused part of the billed line (≥ 0).
    pub credit: i64,
    /// Charge for the new plan's part (≥ 0).
    pub charge: i64,
    /// `charge − credit`; only a positive net is invoiced (a negative one is not refunded).
    pub net: i64,
    /// Extra allowance for the rest of the period (0 when restarting: the new period grants
    /// its own).
    pub extra_credits: i64,
}

/// The share of `amount` for the unused `remaining` of a period of `length`, rounded half up
/// at the minor unit (integer arithmetic over microseconds). 0 when nothing remains; never
/// more than `amount`.
pub fn prorated(amount: i64, remaining: time::Duration, length: time::Duration) -> i64 {
    let (rem, len) = (
        remaining.whole_microseconds().max(0),
        length.whole_microseconds(),
    );
    if len <= 0 || amount <= 0 {
        return 0;
    }
    let rem = rem.min(len);
    let share = (i128::from(amount) * rem * 2 + len) / (2 * len);
    i64::try_from(share).unwrap_or(amount)
}

/// Computes the change at `at`. `at` must lie in `[line.from, line.to)`: the field is
/// `proration_at`.
pub fn prorate(
    line: BilledLine,
    new: NewTerms,
    at: OffsetDateTime,
) -> Result<Proration, ValidationError> {
    if at < line.from || at >= line.to {
        return Err(ValidationError::new(
            "proration_at",
            format!(
                "must lie in the current period [{}, {})",
                line.from, line.to
            ),
        ));
    }
    if line.amount < 0 || new.price < 0 || line.credited < 0 {
        return Err(ValidationError::new("price", "prices are never negative"));
    }
    let (span, left) = (line.to - line.from, line.to - at);
    let whole = line.to - new.period_start.min(line.from);
    let credit = prorated(line.amount, left, span)
        .min(line.amount.saturating_sub(line.credited))
        .max(0);
    let charge = if new.restarts_period {
        new.price
    } else {
        prorated(new.price, left, whole)
    };
    let extra_credits = if new.restarts_period || new.new_credits <= new.old_credits {
        0
    } else {
        let diff = i128::from(new.new_credits - new.old_credits);
        let share = diff * left.whole_microseconds() / whole.whole_microseconds();
        i64::try_from(share).unwrap_or(i64::MAX)
    };
    Ok(Proration {
        at,
        credit,
        charge,
        net: charge - credit,
        extra_credits,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::Duration;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn month() -> BilledLine {
        BilledLine {
            amount: 1000,
            from: t0(),
            to: t0() + Duration::days(30),
            credited: 0,
        }
    }

    fn to_twenty() -> NewTerms {
        NewTerms {
            period_start: t0(),
            price: 2000,
            restarts_period: false,
            old_credits: 1000,
            new_credits: 3000,
        }
    }

    #[test]
    fn ten_to_twenty_at_mid_period_is_plus_five() {
        let p = prorate(month(), to_twenty(), t0() + Duration::days(15)).unwrap();
        assert_eq!(
            (p.credit, p.charge, p.net, p.extra_credits),
            (500, 1000, 500, 1000)
        );
    }

    #[test]
    fn at_the_period_start_the_whole_difference() {
        let p = prorate(month(), to_twenty(), t0()).unwrap();
        assert_eq!((p.credit, p.charge, p.net), (1000, 2000, 1000));
    }

    #[test]
    fn one_second_before_the_end_rounds_to_a_non_negative_net() {
        let p = prorate(month(), to_twenty(), month().to - Duration::seconds(1)).unwrap();
        assert!(p.net >= 0, "{p:?}");
        assert_eq!((p.credit, p.charge), (0, 0));
    }

    #[test]
    fn half_up_once_per_line() {
        // 1001 × 1/2 = 500.5 → 501; 2001 × 1/2 = 1000.5 → 1001.
        let line = BilledLine {
            amount: 1001,
            ..month()
        };
        let new = NewTerms {
            price: 2001,
            ..to_twenty()
        };
        let p = prorate(line, new, t0() + Duration::days(15)).unwrap();
        assert_eq!((p.credit, p.charge), (501, 1001));
    }

    #[test]
    fn credits_of_several_changes_never_exceed_the_billed_line() {
        let line = BilledLine {
            credited: 900,
            ..month()
        };
        let p = prorate(line, to_twenty(), t0()).unwrap();
        assert_eq!(p.credit, 100);
    }

    #[test]
    fn after_an_earlier_upgrade_the_credit_is_a_share_of_the_billed_span_and_the_charge_of_the_period()
     {
        // Billed 1000 for the second half; at three quarters: credit half of it, charge a
        // quarter of the new price.
        let line = BilledLine {
            from: t0() + Duration::days(15),
            ..month()
        };
        let new = NewTerms {
            price: 4000,
            ..to_twenty()
        };
        let p = prorate(line, new, t0() + Duration::hours(540)).unwrap();
        assert_eq!((p.credit, p.charge, p.net), (500, 1000, 500));
    }

    #[test]
    fn an_interval_change_charges_the_whole_new_price_and_no_extra_allowance() {
        let new = NewTerms {
            price: 10_000,
            restarts_period: true,
            ..to_twenty()
        };
        let p = prorate(month(), new, t0() + Duration::days(15)).unwrap();
        assert_eq!(
            (p.credit, p.charge, p.net, p.extra_credits),
            (500, 10_000, 9_500, 0)
        );
    }

    #[test]
    fn an_instant_outside_the_period_names_the_field() {
        let e = prorate(month(), to_twenty(), month().to).unwrap_err();
        assert_eq!(e.field, "proration_at");
        assert!(prorate(month(), to_twenty(), t0() - Duration::seconds(1)).is_err());
    }

    #[test]
    fn proration_rounds_half_up_and_stays_within_the_amount() {
        let day = Duration::DAY;
        assert_eq!(prorated(1900, day * 15, day * 30), 950);
        assert_eq!(prorated(1000, day, day * 3), 333);
        assert_eq!(prorated(1000, day * 2, day * 3), 667);
        assert_eq!(
            prorated(1, Duration::microseconds(1), Duration::microseconds(2)),
            1,
            "half up"
        );
        assert_eq!(
            prorated(1900, day * 40, day * 30),
            1900,
            "never more than billed"
        );
        assert_eq!(prorated(1900, Duration::ZERO, day * 30), 0);
        assert_eq!(prorated(1900, -day, day * 30), 0);
        assert_eq!(
            prorated(i64::MAX, day * 29, day * 30),
            i64::MAX / 30 * 29 + (i64::MAX % 30) * 29 / 30 + 1
        );
    }

    #[test]
    fn huge_amounts_do_not_overflow() {
        let line = BilledLine {
            amount: i64::MAX,
            ..month()
        };
        let new = NewTerms {
            price: i64::MAX,
            ..to_twenty()
        };
        let p = prorate(line, new, t0() + Duration::days(10)).unwrap();
        assert!(p.credit > 0 && p.charge > 0);
    }
}
