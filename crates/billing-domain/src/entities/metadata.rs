//! Free-form key/value metadata, bounded like Stripe's: ≤ 50 keys, keys ≤ 40 characters,
//! values ≤ 500 characters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Validated metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Metadata(pub BTreeMap<String, String>);

impl Metadata {
    /// Validates a caller's map for `field`.
    pub fn parse(
        map: Option<BTreeMap<String, String>>,
        field: &str,
    ) -> Result<Self, ValidationError> {
        let map = map.unwrap_or_default();
        if map.len() > 50 {
            return Err(ValidationError::new(field, "may have at most 50 keys"));
        }
        for (k, v) in &map {
            if k.is_empty() || k.chars().count() > 40 {
                return Err(ValidationError::new(
                    format!("{field}.{k}"),
                    "keys must be 1-40 characters",
                ));
            }
            if v.chars().count() > 500 {
                return Err(ValidationError::new(
                    format!("{field}.{k}"),
                    "values must be at most 500 characters",
                ));
            }
        }
        Ok(Self(map))
    }
}
