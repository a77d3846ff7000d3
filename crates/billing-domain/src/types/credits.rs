//! Credits: whole, strictly positive quantities of prepaid usage.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::ValidationError;

/// The largest credit amount one operation may carry. Keeps every sum of a few
/// amounts far from `i64` overflow while leaving room for any real package.
pub const MAX_CREDITS: i64 = 1_000_000_000_000;

/// A strictly positive whole number of credits, at most [`MAX_CREDITS`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Credits(i64);

impl Credits {
    /// Validates an amount named `field`.
    pub fn new(value: i64, field: &str) -> Result<Self, ValidationError> {
        if value <= 0 {
            return Err(ValidationError::new(
                field,
                "must be a positive whole number of credits",
            ));
        }
        if value > MAX_CREDITS {
            return Err(ValidationError::new(
                field,
                format!("must be at most {MAX_CREDITS}"),
            ));
        }
        Ok(Self(value))
    }

    /// The number of credits.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Debug for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} credits", self.0)
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Credits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        Self::new(v, "credits").map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Credits {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(1))
            .description(Some("A positive whole number of credits"))
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Credits {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn zero_negative_and_huge_are_refused() {
        assert!(Credits::new(0, "credits").is_err());
        assert!(Credits::new(-5, "credits").is_err());
        assert!(Credits::new(MAX_CREDITS + 1, "credits").is_err());
        assert_eq!(Credits::new(500, "credits").unwrap().get(), 500);
    }
}
