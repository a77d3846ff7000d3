//! Reading a JSON request body into an input type, with errors that name the field
//! (`serde_path_to_error`) and JSON's one number type honoured (`5.0` is the integer 5).

use actix_web::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorType};

/// Parses `bytes` as `T`; errors name the JSON path of the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would read a struct from an array, positionally: only objects are bodies.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let what = match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(_) => "the body must be a JSON object".to_owned(),
            Err(e) => format!("malformed JSON: {e}"),
        };
        return Err(ApiError::bad_request("invalid_json", what));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => {
            de.end().map_err(|e| {
                ApiError::bad_request("invalid_json", format!("malformed JSON: {e}"))
            })?;
            Ok(v)
        }
        // A type error may be an integer written as `5.0`: read once more with whole numbers
        // as integers. Bodies that parse at once (nearly all) never pay for this.
        Err(e) if e.inner().classify() == serde_json::error::Category::Data => {
            let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(bytes) else {
                return Err(json_error(e));
            };
            if !integral_numbers(&mut json) {
                return Err(json_error(e));
            }
            serde_path_to_error::deserialize(json).map_err(json_error)
        }
        Err(e) => Err(json_error(e)),
    }
}

/// JSON has one number type: `5.0` is the integer 5 (JSON Schema's `integer` says so too).
/// Whole-valued numbers written with a fraction or exponent become integers, so an integer
/// field reads them; any other fraction stays and is refused by an integer field. Beyond
/// 2^53 a float is not exact and is left alone. `true` when something changed.
fn integral_numbers(v: &mut serde_json::Value) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match v {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() <= EXACT
            {
                // Exact: |f| ≤ 2^53 and whole.
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *v = serde_json::Value::from(whole);
                return true;
            }
            false
        }
        // Every element is visited (no short circuit): all of them are normalized.
        serde_json::Value::Array(items) => {
            let mut changed = false;
            for x in items {
                changed |= integral_numbers(x);
            }
            changed
        }
        serde_json::Value::Object(map) => {
            let mut changed = false;
            for x in map.values_mut() {
                changed |= integral_numbers(x);
            }
            changed
        }
        _ => false,
    }
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let mut path = e.path().to_string();
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => {
            ApiError::bad_request("invalid_json", format!("malformed JSON: {inner}"))
        }
        serde_json::error::Category::Data => {
            let text = inner.to_string();
            // serde_json appends " at line X column Y"; keep the sentence.
            let msg = text.split(" at line ").next().unwrap_or(&text).to_owned();
            if let Some(rest) = msg.strip_prefix("unknown field `") {
                let name = rest.split('`').next().unwrap_or("");
                if path == "." || path.is_empty() {
                    name.clone_into(&mut path);
                }
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorType::InvalidRequestError,
                    "unknown_parameter",
                    format!("{path} is not a known field ({msg})"),
                )
                .param(path);
            }
            if path == "." || path.is_empty() {
                return ApiError::bad_request(
                    "invalid_json",
                    format!("the body must be a JSON object: {msg}"),
                );
            }
            ApiError::invalid(
                path.clone(),
                format!("{path} has the wrong type or value: {msg}"),
            )
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Input {
        credits: Option<i64>,
        lines: Option<Vec<i64>>,
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer_and_a_fraction_is_not() {
        let v: Input = parse_json(br#"{"credits": 5.0, "lines": [1, 2e0, 3]}"#).unwrap();
        assert_eq!((v.credits, v.lines), (Some(5), Some(vec![1, 2, 3])));
        let e = parse_json::<Input>(br#"{"credits": 5.5}"#).unwrap_err();
        assert_eq!(e.error.param.as_deref(), Some("credits"));
        let e = parse_json::<Input>(br#"{"credits": 5} x"#).unwrap_err();
        assert_eq!(e.error.code, "invalid_json");
    }
}
