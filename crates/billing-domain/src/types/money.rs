//! Money: integer minor units plus a currency. No floats anywhere.
//!
//! Rounding rule (the only place money is rounded): a percentage of an amount is computed
//! exactly with `rust_decimal` and rounded to the currency's minor unit **half away from
//! zero** (`12.5` cents becomes `13`). Prices with discounts use it once, on the discount.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::types::Currency;

/// The largest amount accepted from a caller: 10^15 minor units (10 trillion dollars).
/// Far below `i64::MAX`, so sums of many amounts cannot overflow unnoticed.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// An amount of money in integer minor units of `currency` (cents for USD, yen for JPY).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// Integer minor units; never negative for prices and payments.
    pub amount: i64,
    /// ISO 4217 currency.
    pub currency: Currency,
}

impl Money {
    /// A validated non-negative amount named `field`.
    pub fn new(amount: i64, currency: Currency, field: &str) -> Result<Self, ValidationError> {
        if amount < 0 {
            return Err(ValidationError::new(field, "must not be negative"));
        }
        if amount > MAX_AMOUNT_MINOR {
            return Err(ValidationError::new(
                field,
                format!("must be at most {MAX_AMOUNT_MINOR} minor units"),
            ));
        }
        Ok(Self { amount, currency })
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: 0,
            currency,
        }
    }

    /// `self + other`; `None` on a currency mismatch or overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.amount.checked_add(other.amount))
            .flatten()
            .map(|amount| Money {
                amount,
                currency: self.currency,
            })
    }

    /// `self - other`; `None` on a currency mismatch or overflow. May be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.amount.checked_sub(other.amount))
            .flatten()
            .map(|amount| Money {
                amount,
                currency: self.currency,
            })
    }

    /// `self * n`; `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.amount.checked_mul(n).map(|amount| Money {
            amount,
            currency: self.currency,
        })
    }

    /// `percent`% of this amount, rounded half away from zero to the minor unit.
    pub fn percent(self, percent: Decimal) -> Option<Money> {
        let exact = Decimal::from(self.amount)
            .checked_mul(percent)?
            .checked_div(Decimal::ONE_HUNDRED)?;
        let rounded = exact.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(rounded).ok().map(|amount| Money {
            amount,
            currency: self.currency,
        })
    }

    /// The amount in major units as an exact decimal (`1999` USD → `19.99`).
    pub fn to_major(self) -> Decimal {
        Decimal::new(self.amount, u32::from(self.currency.exponent()))
    }

    /// The major-unit string with exactly the currency's decimals: `19.99`, `1000` (JPY), `1.500` (KWD).
    pub fn format_major(self) -> String {
        let mut d = self.to_major();
        d.rescale(u32::from(self.currency.exponent()));
        d.to_string()
    }

    /// Parses a major-unit decimal string (`"19.99"`) into minor units. More decimals than the
    /// currency has are refused, never rounded.
    pub fn parse_major(
        text: &str,
        currency: Currency,
        field: &str,
    ) -> Result<Money, ValidationError> {
        let d: Decimal = text
            .trim()
            .parse()
            .map_err(|_| ValidationError::new(field, "is not a decimal number"))?;
        let exp = u32::from(currency.exponent());
        if d.scale() > exp && d.normalize().scale() > exp {
            return Err(ValidationError::new(
                field,
                format!("{currency} has {exp} decimal places"),
            ));
        }
        let minor = d
            .checked_mul(Decimal::from(10_i64.pow(exp)))
            .and_then(|m| i64::try_from(m.normalize()).ok())
            .ok_or_else(|| ValidationError::new(field, "is out of range"))?;
        Money::new(minor, currency, field)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format_major(), self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format_major(), self.currency)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn formats_with_the_currency_exponent() {
        assert_eq!(
            Money::new(1999, usd(), "a").unwrap().format_major(),
            "19.99"
        );
        assert_eq!(
            Money::new(1000, Currency::parse("JPY").unwrap(), "a")
                .unwrap()
                .format_major(),
            "1000"
        );
        assert_eq!(
            Money::new(1500, Currency::parse("KWD").unwrap(), "a")
                .unwrap()
                .format_major(),
            "1.500"
        );
        assert_eq!(Money::new(5, usd(), "a").unwrap().format_major(), "0.05");
    }

    #[test]
    fn percent_rounds_half_away_from_zero() {
        let m = Money::new(2900, usd(), "a").unwrap();
        assert_eq!(m.percent(Decimal::new(10, 0)).unwrap().amount, 290);
        let odd = Money::new(125, usd(), "a").unwrap();
        assert_eq!(odd.percent(Decimal::new(10, 0)).unwrap().amount, 13); // 12.5 -> 13
    }

    #[test]
    fn mismatched_currencies_do_not_add() {
        let a = Money::new(1, usd(), "a").unwrap();
        let b = Money::new(1, Currency::parse("EUR").unwrap(), "a").unwrap();
        assert!(a.checked_add(b).is_none());
    }

    #[test]
    fn negative_and_huge_amounts_are_refused() {
        assert_eq!(Money::new(-1, usd(), "price").unwrap_err().field, "price");
        assert!(Money::new(MAX_AMOUNT_MINOR + 1, usd(), "price").is_err());
    }

    #[test]
    fn parse_major_refuses_extra_decimals() {
        assert_eq!(
            Money::parse_major("19.99", usd(), "a").unwrap().amount,
            1999
        );
        assert_eq!(
            Money::parse_major("19.990", usd(), "a").unwrap().amount,
            1999
        );
        assert!(Money::parse_major("19.999", usd(), "a").is_err());
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(amount in 0..MAX_AMOUNT_MINOR, code in prop::sample::select(vec!["USD", "JPY", "KWD", "EUR"])) {
            let c = Currency::parse(code).unwrap();
            let m = Money::new(amount, c, "a").unwrap();
            prop_assert_eq!(Money::parse_major(&m.format_major(), c, "a").unwrap(), m);
        }

        #[test]
        fn percent_never_exceeds_the_amount(amount in 0..MAX_AMOUNT_MINOR, pct in 0u32..=100) {
            let m = Money::new(amount, usd(), "a").unwrap();
            let p = m.percent(Decimal::from(pct)).unwrap();
            prop_assert!(p.amount >= 0 && p.amount <= amount);
        }
    }
}
