//! A calendar date as `YYYY-MM-DD`, the form callers send it in (`#[serde(with = …)]`).
//! Reads also the `[year, day of year]` pairs that payment confirmations were stored as
//! before this format.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Iso8601;
use time::macros::format_description;

const FORMAT: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// Writes `YYYY-MM-DD`.
pub(crate) fn serialize<S: Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
    let text = d.format(FORMAT).map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Text(String),
    YearAndOrdinal(i32, u16),
}

/// Reads `YYYY-MM-DD` (or ISO 8601), or a stored `[year, ordinal]` pair.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<time::Date, D::Error> {
    match Stored::deserialize(d)? {
        Stored::Text(t) => time::Date::parse(&t, FORMAT)
            .or_else(|_| time::Date::parse(&t, &Iso8601::DEFAULT))
            .map_err(serde::de::Error::custom),
        Stored::YearAndOrdinal(y, o) => {
            time::Date::from_ordinal_date(y, o).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct W(#[serde(with = "super")] time::Date);

    #[test]
    fn written_as_text_and_read_in_both_forms() {
        let d = time::macros::date!(2026 - 12 - 01);
        assert_eq!(serde_json::to_string(&W(d)).unwrap(), "\"2026-12-01\"");
        assert_eq!(serde_json::from_str::<W>("\"2026-12-01\"").unwrap(), W(d));
        assert_eq!(serde_json::from_str::<W>("[2026,335]").unwrap(), W(d));
        assert!(serde_json::from_str::<W>("\"01/12/2026\"").is_err());
    }
}
