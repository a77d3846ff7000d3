//! E-mail addresses, checked by the `email_address` crate (RFC 5322 address syntax).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::ValidationError;

/// A syntactically valid e-mail address of at most 254 characters, trimmed.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = "email"))]
pub struct Email(String);

impl Email {
    /// Parses an address for `field`.
    pub fn parse(value: &str, field: &str) -> Result<Self, ValidationError> {
        let v = value.trim();
        if v.len() > 254 {
            return Err(ValidationError::new(
                field,
                "must be at most 254 characters",
            ));
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            v,
            email_address::Options::default().without_display_text(),
        )
        .map_err(|e| ValidationError::new(field, format!("is not a valid e-mail address ({e})")))?;
        if !parsed.domain().contains('.') {
            return Err(ValidationError::new(
                field,
                "is not a valid e-mail address (the domain needs a dot)",
            ));
        }
        Ok(Self(v.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s, "email").map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_normal_addresses_and_refuses_junk() {
        assert!(Email::parse("billing@acme.io", "e").is_ok());
        assert!(Email::parse("not-an-email", "e").is_err());
        assert!(Email::parse("a@localhost", "e").is_err());
        assert!(Email::parse("Name <a@b.io>", "e").is_err());
        assert_eq!(
            Email::parse("", "billing_email").unwrap_err().field,
            "billing_email"
        );
    }
}
