//! Helpers for parsing raw caller input: required fields, optional ids, decimals without floats.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::ValidationError;

/// The value of a required field, or "is required".
pub fn required<'a, T: ?Sized>(v: Option<&'a T>, field: &str) -> Result<&'a T, ValidationError> {
    v.ok_or_else(|| ValidationError::new(field, "is required"))
}

/// A decimal sent as a JSON integer or a string (`10`, `"12.5"`). JSON fractions are refused so
/// that no value ever passes through a float.
pub fn decimal(v: &serde_json::Value, field: &str) -> Result<Decimal, ValidationError> {
    match v {
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => {
            Decimal::from_str(&n.to_string())
                .map_err(|_| ValidationError::new(field, "is out of range"))
        }
        serde_json::Value::Number(_) => Err(ValidationError::new(
            field,
            "send fractional values as a string, e.g. \"12.5\"",
        )),
        serde_json::Value::String(s) => Decimal::from_str(s.trim())
            .map_err(|_| ValidationError::new(field, "is not a decimal number")),
        _ => Err(ValidationError::new(
            field,
            "must be a number or a decimal string",
        )),
    }
}

/// Parses an optional `i32` order field.
pub fn sort_order(v: Option<i64>, field: &str) -> Result<i32, ValidationError> {
    let v = v.unwrap_or(0);
    i32::try_from(v)
        .ok()
        .filter(|x| (-1_000_000..=1_000_000).contains(x))
        .ok_or_else(|| ValidationError::new(field, "must be between -1000000 and 1000000"))
}

/// Deserializes an optional nested object, refusing the array form serde would otherwise
/// accept for a struct (`[3, "cancel"]` for `{retry_days, final_action}`): the API document
/// says object, so the server takes only that. The object is read in place, so an error
/// inside it keeps its full path (`billing_profile.address.country`).
pub fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct ObjectOnly<T>(std::marker::PhantomData<T>);

    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ObjectOnly<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<S: serde::Deserializer<'de>>(self, d: S) -> Result<Self::Value, S::Error> {
            d.deserialize_any(self)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    d.deserialize_option(ObjectOnly(std::marker::PhantomData))
}
