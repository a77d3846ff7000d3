//! Money on PayPal's wire: `{"currency_code": "USD", "value": "10.00"}`, a decimal string in
//! major units with exactly the currency's number of decimals (`"1000"` JPY, `"10.00"` USD,
//! `"1.500"` KWD). Integer minor units in, integer minor units out; no floats.
//!
//! PayPal accepts no decimals at all for HUF and TWD although ISO 4217 gives them two: such
//! amounts must be whole units and are sent without decimals.

use billing_domain::ports::GatewayError;
use billing_domain::types::{Currency, Money};
use serde::{Deserialize, Serialize};

/// Currencies PayPal takes without decimals although ISO 4217 has two.
const PAYPAL_WHOLE_UNITS_ONLY: [&str; 2] = ["HUF", "TWD"];

/// PayPal's `money` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayPalMoney {
    /// ISO 4217 code.
    pub currency_code: String,
    /// Decimal string in major units.
    pub value: String,
}

/// `minor` units of `currency` as PayPal wants them.
pub fn to_paypal(minor: i64, currency: Currency) -> Result<PayPalMoney, GatewayError> {
    let money = Money::new(minor, currency, "amount")
        .map_err(|e| GatewayError::Other(format!("amount {minor}: {}", e.message)))?;
    let mut value = money.format_major();
    if PAYPAL_WHOLE_UNITS_ONLY.contains(&currency.code()) {
        match value.split_once('.') {
            Some((whole, frac)) if frac.bytes().all(|b| b == b'0') => value = whole.to_string(),
            Some(_) => {
                return Err(GatewayError::Declined {
                    code: "AMOUNT_NOT_WHOLE".into(),
                    message: format!(
                        "PayPal accepts {currency} amounts only in whole units, not {value}"
                    ),
                });
            }
            None => {}
        }
    }
    Ok(PayPalMoney {
        currency_code: currency.code().to_string(),
        value,
    })
}

/// A PayPal amount back in minor units, with its currency.
pub fn from_paypal(money: &PayPalMoney) -> Result<(i64, Currency), GatewayError> {
    let currency = Currency::parse(&money.currency_code).map_err(|_| {
        GatewayError::Other(format!(
            "unknown currency `{}` from PayPal",
            money.currency_code
        ))
    })?;
    let parsed = Money::parse_major(&money.value, currency, "amount").map_err(|e| {
        GatewayError::Other(format!(
            "amount `{}` {currency} from PayPal: {}",
            money.value, e.message
        ))
    })?;
    Ok((parsed.amount, currency))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn zero_two_and_three_decimals() {
        assert_eq!(to_paypal(1000, c("JPY")).unwrap().value, "1000");
        assert_eq!(to_paypal(1999, c("USD")).unwrap().value, "19.99");
        assert_eq!(to_paypal(5, c("USD")).unwrap().value, "0.05");
        assert_eq!(to_paypal(1000, c("USD")).unwrap().value, "10.00");
        assert_eq!(to_paypal(1500, c("KWD")).unwrap().value, "1.500");
        assert_eq!(to_paypal(1, c("KWD")).unwrap().value, "0.001");
        assert_eq!(to_paypal(0, c("JPY")).unwrap().value, "0");
        assert_eq!(to_paypal(1999, c("USD")).unwrap().currency_code, "USD");
    }

    #[test]
    fn whole_unit_currencies() {
        assert_eq!(to_paypal(150_000, c("HUF")).unwrap().value, "1500");
        assert!(matches!(
            to_paypal(150_050, c("HUF")),
            Err(GatewayError::Declined { .. })
        ));
        assert_eq!(
            from_paypal(&PayPalMoney {
                currency_code: "HUF".into(),
                value: "1500".into()
            })
            .unwrap()
            .0,
            150_000
        );
    }

    #[test]
    fn round_trips_and_refuses_nonsense() {
        for (minor, code) in [
            (1000, "JPY"),
            (1999, "USD"),
            (1500, "KWD"),
            (1, "KWD"),
            (123_456_789, "EUR"),
        ] {
            let wire = to_paypal(minor, c(code)).unwrap();
            assert_eq!(from_paypal(&wire).unwrap(), (minor, c(code)));
        }
        assert_eq!(
            from_paypal(&PayPalMoney {
                currency_code: "USD".into(),
                value: "10".into()
            })
            .unwrap()
            .0,
            1000
        );
        assert!(
            from_paypal(&PayPalMoney {
                currency_code: "USD".into(),
                value: "10.001".into()
            })
            .is_err()
        );
        assert!(
            from_paypal(&PayPalMoney {
                currency_code: "JPY".into(),
                value: "10.5".into()
            })
            .is_err()
        );
        assert!(
            from_paypal(&PayPalMoney {
                currency_code: "str".into(),
                value: "string".into()
            })
            .is_err()
        );
        assert!(to_paypal(-1, c("USD")).is_err());
    }
}
