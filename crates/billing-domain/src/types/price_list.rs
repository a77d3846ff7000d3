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
                return Err(ValidationError::new(
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

    /// The price a buyer pays in: the `requested` currency if given (`Err` naming
    /// `currency` with the currencies on offer when the list has no price in it), else the
    /// account's `preferred` currency if priced and accepted, else the first price that
    /// `accepts` (the chosen payment method) takes, else `None`.
    pub fn choose(
        &self,
        requested: Option<Currency>,
        preferred: Option<Currency>,
        accepts: impl Fn(Currency) -> bool,
    ) -> Result<Option<Money>, ValidationError> {
        if let Some(c) = requested {
            return self.get(c).map(Some).ok_or_else(|| {
                ValidationError::new(
                    "currency",
                    format!(
                        "there is no price in {c}; prices are offered in {}",
                        self.currencies_text()
                    ),
                )
            });
        }
        if let Some(p) = preferred
            .and_then(|c| self.get(c))
            .filter(|p| accepts(p.currency))
        {
            return Ok(Some(p));
        }
        Ok(self.0.iter().copied().find(|p| accepts(p.currency)))
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
    fn choose_prefers_requested_then_preferred_then_what_the_method_accepts() {
        let list = PriceList::parse(
            &[
                input(1900, "USD"),
                input(1800, "EUR"),
                input(1_500_000, "NGN"),
            ],
            "prices",
        )
        .unwrap();
        let any = |_: Currency| true;
        assert_eq!(
            list.choose(Some(cur("EUR")), None, any)
                .unwrap()
                .unwrap()
                .amount,
            1800
        );
        let err = list.choose(Some(cur("KES")), None, any).unwrap_err();
        assert_eq!(err.field, "currency");
        assert!(err.message.contains("USD, EUR, NGN"), "{}", err.message);
        assert_eq!(
            list.choose(None, Some(cur("NGN")), any)
                .unwrap()
                .unwrap()
                .amount,
            1_500_000
        );
        let ngn_only = |c: Currency| c == cur("NGN");
        assert_eq!(
            list.choose(None, Some(cur("EUR")), ngn_only)
                .unwrap()
                .unwrap()
                .currency,
            cur("NGN"),
            "a preferred currency the method refuses is passed over"
        );
        assert_eq!(list.choose(None, None, |c| c == cur("PHP")).unwrap(), None);
    }
}
