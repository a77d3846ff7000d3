//! Bounded strings: every free-text field has a maximum length and no control characters.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// A trimmed, non-empty string of at most `max` characters without control characters
/// (newlines and tabs are allowed, for instructions and notes).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct BoundedText(String);

impl BoundedText {
    /// Validates `value` for `field`.
    pub fn new(value: &str, field: &str, max: usize) -> Result<Self, ValidationError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if v.chars().count() > max {
            return Err(ValidationError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
        if v.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(ValidationError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(v.to_owned()))
    }

    /// Like [`BoundedText::new`] but `None`/empty gives `None`.
    pub fn optional(
        value: Option<&str>,
        field: &str,
        max: usize,
    ) -> Result<Option<Self>, ValidationError> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => Self::new(v, field, max).map(Some),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the string out.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for BoundedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BoundedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A URL-safe identifier: 1–64 of `a-z`, `0-9` and `-`, not starting or ending with `-`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct Slug(String);

impl Slug {
    /// Validates a slug for `field`.
    pub fn new(value: &str, field: &str) -> Result<Self, ValidationError> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(ValidationError::new(
                field,
                "must be 1-64 characters of a-z, 0-9 and '-'",
            ))
        }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_enforced() {
        assert!(BoundedText::new("  ", "name", 10).is_err());
        assert!(BoundedText::new("abcdefghijk", "name", 10).is_err());
        assert!(BoundedText::new("a\u{0}b", "name", 10).is_err());
        assert_eq!(BoundedText::new(" ok ", "name", 10).unwrap().as_str(), "ok");
        assert!(Slug::new("pro-2000", "slug").is_ok());
        assert!(Slug::new("Pro", "slug").is_err());
        assert!(Slug::new("-x", "slug").is_err());
    }
}
