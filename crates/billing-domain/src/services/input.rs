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
/// says object, so the server takes only that.
pub fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v @ serde_json::Value::Object(_)) => serde_json::from_value(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(_) => Err(serde::de::Error::custom("expected an object")),
    }
}
