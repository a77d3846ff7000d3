//! Prefixed, time-ordered identifiers (`acct_01k…`): a resource prefix and a lower-case ULID.
//!
//! ULIDs sort by creation time, so ids double as stable cursors for pagination.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use crate::error::ValidationError;

/// Makes a fresh ULID string for `at`, in lower case.
fn new_ulid(at: OffsetDateTime) -> String {
    let ms = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let random: u128 = rand::random::<u128>() & ((1_u128 << 80) - 1);
    ulid::Ulid::from_parts(ms, random)
        .to_string()
        .to_ascii_lowercase()
}

fn valid_ulid(s: &str) -> bool {
    s.len() == 26 && ulid::Ulid::from_string(&s.to_ascii_uppercase()).is_ok()
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $resource:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix, without the underscore.
            pub const PREFIX: &'static str = $prefix;

            /// A new id whose time part is `at`.
            pub fn generate(at: OffsetDateTime) -> Self {
                Self(format!("{}_{}", $prefix, new_ulid(at)))
            }

            /// Parses an id sent by a caller in `field`.
            pub fn parse(value: &str, field: &str) -> Result<Self, ValidationError> {
                match value.strip_prefix(concat!($prefix, "_")) {
                    Some(rest) if valid_ulid(rest) => Ok(Self(value.to_ascii_lowercase())),
                    _ => Err(ValidationError::new(field, format!("`{value}` is not a valid {} id (`{}_…`)", $resource, $prefix))),
                }
            }

            /// Wraps a value read back from our own store, trusted as written by [`Self::generate`].
            pub fn from_trusted(value: String) -> Self {
                Self(value)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> { Self::parse(s, "id") }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(&self.0) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s, $resource).map_err(|e| serde::de::Error::custom(e.message))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(concat!("A ", $resource, " id, `", $prefix, "_` followed by a ULID")))
                    .pattern(Some(concat!("^", $prefix, "_[0-9a-z]{26}$")))
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

prefixed_id!(/// Account id.
    AccountId, "acct", "account");
prefixed_id!(/// Invoice id.
    InvoiceId, "inv", "invoice");
prefixed_id!(/// Invoice line id.
    InvoiceLineId, "il", "invoice line");
prefixed_id!(/// Payment id.
    PaymentId, "pay", "payment");
prefixed_id!(/// Refund id.
    RefundId, "re", "refund");
prefixed_id!(/// Credit package id.
    CreditPackageId, "cpkg", "credit package");
prefixed_id!(/// Payment method configuration id.
    PaymentMethodConfigId, "pmc", "payment method config");
prefixed_id!(/// API key id (not the secret).
    ApiKeyId, "key", "API key");
prefixed_id!(/// Ledger entry id.
    LedgerEntryId, "cle", "ledger entry");
prefixed_id!(/// Credit reservation (hold) id.
    ReservationId, "rsv", "reservation");
prefixed_id!(/// Audit log entry id.
    AuditEntryId, "aud", "audit entry");
prefixed_id!(/// Outbox event id.
    EventId, "evt", "event");
prefixed_id!(/// Stored gateway webhook id.
    WebhookEventId, "whe", "webhook event");
prefixed_id!(/// Uploaded file id (proofs of payment).
    FileId, "file", "file");
prefixed_id!(/// Subscription plan id.
    PlanId, "plan", "plan");
prefixed_id!(/// Subscription id.
    SubscriptionId, "sub", "subscription");
prefixed_id!(/// Credit lot id: one grant that debits, holds and expiries draw from.
    CreditLotId, "lot", "credit lot");
prefixed_id!(/// Outgoing e-mail id.
    EmailId, "eml", "e-mail");
prefixed_id!(/// Tax rate id.
    TaxRateId, "txr", "tax rate");
prefixed_id!(/// Billing-portal session id (not its cookie secret).
    PortalSessionId, "psn", "portal session");

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_sort_by_time() {
        let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let a = AccountId::generate(t0);
        let b = AccountId::generate(t0 + time::Duration::milliseconds(1));
        assert!(a < b);
        assert_eq!(AccountId::parse(a.as_str(), "id").unwrap(), a);
        assert!(a.as_str().starts_with("acct_"));
    }

    #[test]
    fn wrong_prefix_or_body_is_refused() {
        let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let inv = InvoiceId::generate(t0);
        assert!(AccountId::parse(inv.as_str(), "account_id").is_err());
        assert!(AccountId::parse("acct_123", "account_id").is_err());
        assert_eq!(
            AccountId::parse("x", "account_id").unwrap_err().field,
            "account_id"
        );
    }
}
