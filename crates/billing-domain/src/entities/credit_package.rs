//! Prepaid credit packages offered for sale.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::ValidationError;
use crate::types::{BoundedText, CreditPackageId, Credits, Currency, Money, PriceList, Slug};

/// A package of credits priced in one or more currencies, possibly discounted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditPackage {
    /// `cpkg_…`.
    pub id: CreditPackageId,
    /// Display name.
    pub name: BoundedText,
    /// Unique URL-safe name.
    pub slug: Slug,
    /// Marketing text.
    pub description: Option<BoundedText>,
    /// Credits granted when paid.
    pub credits: Credits,
    /// List prices before the discount, one per currency it is sold in.
    pub prices: PriceList,
    /// Discount in percent, 0–100, at most two decimals, applied to every price.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "10"))]
    pub discount_percent: Decimal,
    /// Shown first in public listings.
    pub featured: bool,
    /// Only active packages can be bought.
    pub active: bool,
    /// Position in public listings (ascending) after featured ones.
    pub sort_order: i32,
    /// Stripe Price used at checkout when set (for the first price's currency only: a Stripe
    /// Price has one currency).
    pub stripe_price_id: Option<String>,
    /// PayPal catalog product id.
    pub paypal_product_id: Option<String>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl CreditPackage {
    /// The discount on `price` (one of this package's prices), by the rounding rule of
    /// [`Money::percent`].
    pub fn discount_on(&self, price: Money) -> Money {
        price
            .percent(self.discount_percent)
            .unwrap_or(Money::zero(price.currency))
    }

    /// What the buyer pays for `price`: price minus discount. Never negative because the
    /// discount is ≤ 100 %.
    pub fn net_of(&self, price: Money) -> Money {
        price
            .checked_sub(self.discount_on(price))
            .unwrap_or(Money::zero(price.currency))
    }

    /// The list price in `currency`, if the package is sold in it.
    pub fn price_in(&self, currency: Currency) -> Option<Money> {
        self.prices.get(currency)
    }
}

/// Validates a discount percentage: 0–100, at most two decimal places.
pub fn parse_discount(d: Decimal, field: &str) -> Result<Decimal, ValidationError> {
    if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
        return Err(ValidationError::new(field, "must be between 0 and 100"));
    }
    if d.normalize().scale() > 2 {
        return Err(ValidationError::new(
            field,
            "may have at most two decimal places",
        ));
    }
    Ok(d.normalize())
}

/// Validates a gateway object id (Stripe price, PayPal product): 1–255 of `A-Za-z0-9_-`.
pub fn parse_gateway_ref(v: Option<&str>, field: &str) -> Result<Option<String>, ValidationError> {
    // Not trimmed: an id has no spaces, and the API document's pattern admits none.
    match v {
        None | Some("") => Ok(None),
        Some(s)
            if s.len() <= 255
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            Ok(Some(s.to_owned()))
        }
        Some(_) => Err(ValidationError::new(
            field,
            "must be 1-255 letters, digits, '_' or '-'",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn net_price_applies_the_discount_once() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let usd = Currency::parse("USD").unwrap();
        let p = CreditPackage {
            id: CreditPackageId::generate(now),
            name: BoundedText::new("Pro", "name", 100).unwrap(),
            slug: Slug::new("pro", "slug").unwrap(),
            description: None,
            credits: Credits::new(2000, "credits").unwrap(),
            prices: PriceList::new(vec![
                Money::new(2900, usd, "price").unwrap(),
                Money::new(4_500_000, Currency::parse("NGN").unwrap(), "price").unwrap(),
            ])
            .unwrap(),
            discount_percent: Decimal::new(10, 0),
            featured: true,
            active: true,
            sort_order: 2,
            stripe_price_id: None,
            paypal_product_id: None,
            created_at: now,
            updated_at: now,
        };
        let usd_price = p.price_in(usd).unwrap();
        assert_eq!(p.discount_on(usd_price).amount, 290);
        assert_eq!(p.net_of(usd_price).amount, 2610);
        let ngn = p.price_in(Currency::parse("NGN").unwrap()).unwrap();
        assert_eq!(
            p.net_of(ngn).amount,
            4_050_000,
            "the discount applies to every price"
        );
        assert_eq!(p.price_in(Currency::parse("EUR").unwrap()), None);
    }

    #[test]
    fn discounts_outside_the_range_are_refused() {
        assert!(parse_discount(Decimal::new(-1, 0), "d").is_err());
        assert!(parse_discount(Decimal::new(10001, 2), "d").is_err());
        assert!(parse_discount(Decimal::new(12345, 3), "d").is_err());
        assert_eq!(
            parse_discount(Decimal::new(1500, 2), "d").unwrap(),
            Decimal::new(15, 0)
        );
    }
}
