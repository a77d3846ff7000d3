//! ISO 3166-1 alpha-2 country codes, from the `isocountry` tables.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

/// An assigned ISO 3166-1 alpha-2 country code, stored upper-case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses `us` or `US`; refuses codes that are not assigned.
    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        let upper = code.trim().to_ascii_uppercase();
        let known = isocountry::CountryCode::for_alpha2(&upper).map_err(|_| {
            ValidationError::new(
                "country",
                format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
            )
        })?;
        let bytes = known.alpha2().as_bytes();
        Ok(Self([bytes[0], bytes[1]]))
    }

    /// Every code [`Self::parse`] accepts (upper case): the assigned ISO 3166-1 alpha-2 codes.
    pub fn all_codes() -> Vec<&'static str> {
        isocountry::CountryCode::iter()
            .map(isocountry::CountryCode::alpha2)
            .collect()
    }

    /// The two upper-case letters.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII letters in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The English short name, e.g. `Germany`.
    pub fn name(&self) -> &'static str {
        isocountry::CountryCode::for_alpha2(self.as_str())
            .map(|c| c.name())
            .unwrap_or("unknown")
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CountryCode {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for CountryCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for CountryCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("ISO 3166-1 alpha-2 country code"))
            .examples([serde_json::json!("DE")])
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for CountryCode {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_assigned_codes_only() {
        assert_eq!(CountryCode::parse("de").unwrap().as_str(), "DE");
        assert_eq!(
            CountryCode::parse("US").unwrap().name(),
            "United States of America"
        );
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("USA").is_err());
    }
}
