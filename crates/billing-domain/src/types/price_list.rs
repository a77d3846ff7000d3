//! A price list: one price per currency, each in integer minor units at the currency's real
//! exponent. Packages and plans are sold in every currency their list holds, and only those.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::types::{Currency, Money};

/// At most this many currencies per list.
pub const MAX_PRICES: usize = 50;

/// One price as a caller sends it: `{"amount": 1900, "currency": "USD"}` — the same shape
/// the API answers with, so what a client reads it can send back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceInput {
    /// Integer minor units (cents for USD, kobo for NGN, yen for JPY), 0 or more.
    pub amount: Option<i64>,
    /// ISO 4217 code.
    pub currency: Option<String>,
}

/// One price per currency, in the order given (the first is the list's default).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceList(Vec<Money>);

impl PriceList {
    /// A list of already valid prices; `None` if it is empty or repeats a currency.
    pub fn new(prices: Vec<Money>) -> Option<Self> {
        let unique = prices
            .iter()
            .enumerate()
            .all(|(i, p)| prices[..i].iter().all(|q| q.currency != p.currency));
        (!prices.is_empty() && unique && prices.iter().all(|p| p.amount >= 0))
            .then_some(Self(prices))
    }

    /// A single price.
    pub fn single(price: Money) -> Self {
        Self(vec![price])
    }

    /// Validates `prices` (field `field`, items named `field[i].amount` / `.currency`):
    /// 1 to [`MAX_PRICES`] entries, each currency once, amounts 0 or more.
    pub fn parse(prices: &[PriceInput], field: &str) -> Result<Self, ValidationError> {
        if prices.is_empty() {
            return Err(ValidationError::new(field, "needs at least one price"));
        }
        if prices.len() > MAX_PRICES {
            return Err(ValidationError::new(
                field,
                format!("may hold at most {MAX_PRICES} prices"),
            ));
        }
        let mut out: Vec<Money> = Vec::with_capacity(prices.len());
        for (i, p) in prices.iter().enumerate() {
            let currency_field = format!("{field}[{i}].currency");
            let amount_field = format!("{field}[{i}].amount");
            let currency = Currency::parse(
                p.currency
                    .as_deref()
                    .ok_or_else(|| ValidationError::new(&currency_field, "is required"))?,
            )
            .map_err(|e| ValidationError::new(&currency_field, e.message))?;
            let amount = p
                .amount
                .ok_or_else(|| ValidationError::new(&amount_field, "is required"))?;
            let money = Money::new(amount, currency, &amount_field)?;
            if out.iter().any(|m| m.currency == currency) {
                // Each item is well-formed; the list holds one currency twice.
                return Err(ValidationError::rule(
                    &currency_field,
                    format!("{currency} is priced twice"),
                ));
            }
            out.push(money);
        }
        Ok(Self(out))
    }

    /// The price in `currency`, if the list has one.
    pub fn get(&self, currency: Currency) -> Option<Money> {
        self.0.iter().copied().find(|p| p.currency == currency)
    }

    /// Every price, in order.
    pub fn prices(&self) -> &[Money] {
        &self.0
    }

    /// The first (default) price.
    pub fn first(&self) -> Money {
        self.0[0]
    }

    /// The currencies on offer, in order, as `USD, EUR, NGN` for messages.
    pub fn currencies_text(&self) -> String {
        self.0
            .iter()
            .map(|p| p.currency.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The price in `currency`, or an error naming `currency` that lists the currencies on
    /// offer.
    pub fn require(&self, currency: Currency) -> Result<Money, ValidationError> {
        self.get(currency).ok_or_else(|| {
            ValidationError::rule(
                "currency",
                format!(
                    "there is no price in {currency}; prices are offered in {}",
                    self.currencies_text()
                ),
            )
        })
    }

    /// The prices a buyer may pay, best first: only the `requested` currency if one was
    /// asked for (an error listing the currencies on offer if it is not priced), else the
    /// account's `preferred` currency if priced, then every other price in list order. The
    /// caller takes the first one the chosen payment method accepts.
    pub fn candidates(
        &self,
        requested: Option<Currency>,
        preferred: Option<Currency>,
    ) -> Result<Vec<Money>, ValidationError> {
        if let Some(c) = requested {
            return Ok(vec![self.require(c)?]);
        }
        let mut out: Vec<Money> = preferred.and_then(|c| self.get(c)).into_iter().collect();
        out.extend(
            self.0
                .iter()
                .copied()
                .filter(|p| Some(p.currency) != preferred),
        );
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(amount: i64, currency: &str) -> PriceInput {
        PriceInput {
            amount: Some(amount),
            currency: Some(currency.into()),
        }
    }

    fn cur(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }

    #[test]
    fn parse_validates_each_price_and_names_it() {
        let list =
            PriceList::parse(&[input(1900, "USD"), input(1_500_000, "NGN")], "prices").unwrap();
        assert_eq!(list.get(cur("NGN")).unwrap().amount, 1_500_000);
        assert_eq!(list.first().currency, cur("USD"));
        assert_eq!(PriceList::parse(&[], "prices").unwrap_err().field, "prices");
        let twice = PriceList::parse(&[input(1, "USD"), input(2, "usd")], "prices").unwrap_err();
        assert_eq!(twice.field, "prices[1].currency");
        assert_eq!(
            PriceList::parse(&[input(-1, "USD")], "prices")
                .unwrap_err()
                .field,
            "prices[0].amount"
        );
        assert_eq!(
            PriceList::parse(&[input(1, "XXQ")], "prices")
                .unwrap_err()
                .field,
            "prices[0].currency"
        );
        let missing = PriceInput {
            amount: None,
            currency: Some("USD".into()),
        };
        assert_eq!(
            PriceList::parse(&[missing], "prices").unwrap_err().field,
            "prices[0].amount"
        );
    }

    #[test]
    fn candidates_put_requested_then_preferred_first() {
        let list = PriceList::parse(
            &[
                input(1900, "USD"),
                input(1800, "EUR"),
                input(1_500_000, "NGN"),
            ],
            "prices",
        )
        .unwrap();
        let currencies = |v: Vec<Money>| {
            v.into_iter()
                .map(|m| m.currency.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            currencies(list.candidates(Some(cur("EUR")), Some(cur("NGN"))).unwrap()),
            ["EUR"]
        );
        let err = list.candidates(Some(cur("KES")), None).unwrap_err();
        assert_eq!(err.field, "currency");
        assert!(err.message.contains("USD, EUR, NGN"), "{}", err.message);
        assert_eq!(
            currencies(list.candidates(None, Some(cur("NGN"))).unwrap()),
            ["NGN", "USD", "EUR"]
        );
        assert_eq!(
            currencies(list.candidates(None, Some(cur("PHP"))).unwrap()),
            ["USD", "EUR", "NGN"],
            "an unpriced preference changes nothing"
        );
        assert_eq!(
            currencies(list.candidates(None, None).unwrap()),
            ["USD", "EUR", "NGN"]
        );
    }
}
