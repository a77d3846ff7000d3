//! ISO 4217 currencies with their real minor-unit exponent, from the `iso_currency` tables.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

/// An ISO 4217 currency that has a minor-unit exponent (so money in it can be counted).
///
/// Codes such as `XAU` (gold) or `XXX` have no exponent and are refused.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    inner: iso_currency::Currency,
    exponent: u8,
}

impl Currency {
    /// Parses a three-letter code, case-insensitively (`usd` and `USD` are the same).
    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        let upper = code.trim().to_ascii_uppercase();
        let inner = iso_currency::Currency::from_code(&upper).ok_or_else(|| {
            ValidationError::new(
                "currency",
                format!("`{code}` is not an ISO 4217 currency code"),
            )
        })?;
        let exponent = inner
            .exponent()
            .and_then(|e| u8::try_from(e).ok())
            .ok_or_else(|| {
                ValidationError::new(
                    "currency",
                    format!("`{upper}` has no minor unit and cannot be billed"),
                )
            })?;
        Ok(Self { inner, exponent })
    }

    /// Every code [`Self::parse`] accepts (upper case), sorted: the ISO 4217 currencies that
    /// have a minor unit. Computed once.
    pub fn all_codes() -> &'static [&'static str] {
        static CODES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
        CODES.get_or_init(|| {
            let letters = b'A'..=b'Z';
            let mut codes = Vec::new();
            for a in letters.clone() {
                for b in letters.clone() {
                    for c in letters.clone() {
                        let code = [char::from(a), char::from(b), char::from(c)];
                        if let Ok(cur) = Self::parse(&String::from_iter(code)) {
                            codes.push(cur.code());
                        }
                    }
                }
            }
            codes
        })
    }

    /// The upper-case ISO code, e.g. `USD`.
    pub fn code(&self) -> &'static str {
        self.inner.code()
    }

    /// Number of decimal places of the minor unit: 2 for USD, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// The English name of the currency.
    pub fn name(&self) -> &str {
        self.inner.name()
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("ISO 4217 currency code"))
            .examples([serde_json::json!("USD")])
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Currency {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn exponents_come_from_the_table() {
        assert_eq!(Currency::parse("usd").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
    }

    #[test]
    fn unknown_and_unitless_codes_are_refused() {
        assert_eq!(Currency::parse("ABC").unwrap_err().field, "currency");
        assert!(Currency::parse("XAU").is_err());
        assert!(Currency::parse("").is_err());
    }
}
