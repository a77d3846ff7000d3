//! Postal addresses.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::types::{BoundedText, CountryCode};

/// A postal address; `line1`, `city` and `country` are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    /// Street and number.
    pub line1: BoundedText,
    /// Apartment, suite, building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<BoundedText>,
    /// City or town.
    pub city: BoundedText,
    /// State, province or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<BoundedText>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<BoundedText>,
    /// ISO 3166-1 alpha-2 country.
    pub country: CountryCode,
}

/// Unvalidated address fields as a caller sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressInput {
    /// Street and number (≤ 200 characters).
    pub line1: Option<String>,
    /// Apartment, suite, building (≤ 200).
    pub line2: Option<String>,
    /// City (≤ 100).
    pub city: Option<String>,
    /// Region (≤ 100).
    pub region: Option<String>,
    /// Postal code (≤ 20).
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
}

impl AddressInput {
    /// Validates every field; errors are named `address.<field>`.
    pub fn parse(&self) -> Result<Address, ValidationError> {
        fn req<'a>(v: &'a Option<String>, f: &str) -> Result<&'a str, ValidationError> {
            v.as_deref()
                .ok_or_else(|| ValidationError::new(f, "is required"))
        }
        let inner = || -> Result<Address, ValidationError> {
            Ok(Address {
                line1: BoundedText::new(req(&self.line1, "line1")?, "line1", 200)?,
                line2: BoundedText::optional(self.line2.as_deref(), "line2", 200)?,
                city: BoundedText::new(req(&self.city, "city")?, "city", 100)?,
                region: BoundedText::optional(self.region.as_deref(), "region", 100)?,
                postal_code: BoundedText::optional(self.postal_code.as_deref(), "postal_code", 20)?,
                country: CountryCode::parse(req(&self.country, "country")?)?,
            })
        };
        inner().map_err(|e| e.within("address"))
    }
}
