//! Tax ids with format checks: EU VAT (per member state), GB VAT (with the HMRC mod-97
//! check), US EIN (with the IRS prefix list), and a generic kind for everything else.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// The kind of tax id; decides which format check applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaxIdKind {
    /// EU VAT number with its two-letter prefix (`DE123456789`, Greece `EL…`, Northern Ireland `XI…`).
    EuVat,
    /// United Kingdom VAT registration number (`GB123456782`).
    GbVat,
    /// US Employer Identification Number (`12-3456789`).
    UsEin,
    /// Any other national tax id: 1–64 letters, digits, spaces and `-./`.
    Other,
}

/// A tax id whose value passed the format check of its kind, stored normalised
/// (upper case, no spaces or dots; EINs as `NN-NNNNNNN`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "RawTaxId")]
pub struct TaxId {
    /// Which format applies.
    #[serde(rename = "type")]
    pub kind: TaxIdKind,
    /// The normalised value.
    pub value: String,
}

#[derive(Deserialize)]
struct RawTaxId {
    #[serde(rename = "type")]
    kind: TaxIdKind,
    value: String,
}

impl TryFrom<RawTaxId> for TaxId {
    type Error = ValidationError;
    fn try_from(r: RawTaxId) -> Result<Self, Self::Error> {
        TaxId::parse(r.kind, &r.value)
    }
}

/// Per-country EU VAT shapes after the prefix: `9` digit, `A` letter, `X` letter or digit.
const EU_VAT: &[(&str, &[&str])] = &[
    ("AT", &["A99999999"]),
    ("BE", &["9999999999"]),
    ("BG", &["999999999", "9999999999"]),
    ("CY", &["99999999A"]),
    ("CZ", &["99999999", "999999999", "9999999999"]),
    ("DE", &["999999999"]),
    ("DK", &["99999999"]),
    ("EE", &["999999999"]),
    ("EL", &["999999999"]),
    ("ES", &["X9999999X"]),
    ("FI", &["99999999"]),
    ("FR", &["XX999999999"]),
    ("HR", &["99999999999"]),
    ("HU", &["99999999"]),
    ("IE", &["9X99999A", "9X99999AA"]),
    ("IT", &["99999999999"]),
    ("LT", &["999999999", "999999999999"]),
    ("LU", &["99999999"]),
    ("LV", &["99999999999"]),
    ("MT", &["99999999"]),
    ("NL", &["999999999A99"]),
    ("PL", &["9999999999"]),
    ("PT", &["999999999"]),
    (
        "RO",
        &[
            "99",
            "999",
            "9999",
            "99999",
            "999999",
            "9999999",
            "99999999",
            "999999999",
            "9999999999",
        ],
    ),
    ("SE", &["999999999999"]),
    ("SI", &["99999999"]),
    ("SK", &["9999999999"]),
];

/// IRS EIN prefixes that are not assigned to any campus.
const EIN_INVALID_PREFIXES: &[&str] = &[
    "00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89", "96",
    "97",
];

fn matches_shape(value: &str, shape: &str) -> bool {
    value.len() == shape.len()
        && value.bytes().zip(shape.bytes()).all(|(v, s)| match s {
            b'9' => v.is_ascii_digit(),
            b'A' => v.is_ascii_uppercase(),
            b'X' => v.is_ascii_uppercase() || v.is_ascii_digit(),
            other => v == other,
        })
}

fn gb_core_valid(digits: &str) -> bool {
    // HMRC: weights 8..2 over the first seven digits, plus the two check digits; the total
    // must be divisible by 97 (old series) or be so after adding 55 (series from 2010).
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let weighted: u32 = d[..7].iter().zip((2..=8).rev()).map(|(x, w)| x * w).sum();
    let total = weighted + d[7] * 10 + d[8];
    total.is_multiple_of(97) || (total + 55).is_multiple_of(97)
}

fn gb_valid(rest: &str) -> bool {
    if matches_shape(rest, "999999999") {
        return gb_core_valid(rest);
    }
    if matches_shape(rest, "999999999999") {
        return gb_core_valid(&rest[..9]);
    }
    if let Some(n) = rest.strip_prefix("GD").filter(|n| matches_shape(n, "999")) {
        return n.parse::<u32>().is_ok_and(|n| n < 500);
    }
    if let Some(n) = rest.strip_prefix("HA").filter(|n| matches_shape(n, "999")) {
        return n.parse::<u32>().is_ok_and(|n| n >= 500);
    }
    false
}

impl TaxId {
    /// Checks and normalises `value` as a tax id of `kind`. Errors name the field `tax_id.value`.
    pub fn parse(kind: TaxIdKind, value: &str) -> Result<Self, ValidationError> {
        let compact: String = value
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect::<String>()
            .to_ascii_uppercase();
        // Each kind has its own format, so a value well-formed for the document can still
        // be wrong for its kind: a rule across fields (422).
        let bad = |why: &str| ValidationError::rule("tax_id.value", why.to_owned());
        let value = match kind {
            TaxIdKind::EuVat => {
                let (prefix, rest) = compact
                    .split_at_checked(2)
                    .ok_or_else(|| bad("is too short for an EU VAT number"))?;
                if prefix == "XI" {
                    if !gb_valid(rest) {
                        return Err(bad(
                            "is not a valid Northern Ireland VAT number (XI + 9 digits)",
                        ));
                    }
                } else {
                    let shapes = EU_VAT
                        .iter()
                        .find(|(p, _)| *p == prefix)
                        .map(|(_, s)| *s)
                        .ok_or_else(|| {
                            bad("must start with an EU member state prefix (e.g. DE, FR, EL)")
                        })?;
                    if !shapes.iter().any(|s| matches_shape(rest, s)) {
                        return Err(bad(&format!(
                            "does not have the format of a {prefix} VAT number"
                        )));
                    }
                }
                compact
            }
            TaxIdKind::GbVat => {
                let rest = compact.strip_prefix("GB").unwrap_or(&compact);
                if !gb_valid(rest) {
                    return Err(bad(
                        "is not a valid GB VAT number (9 digits with a valid check, 12 digits, GD or HA + 3)",
                    ));
                }
                format!("GB{rest}")
            }
            TaxIdKind::UsEin => {
                if !matches_shape(&compact, "999999999") {
                    return Err(bad("must be 9 digits, written NN-NNNNNNN"));
                }
                if EIN_INVALID_PREFIXES.contains(&&compact[..2]) {
                    return Err(bad("has a prefix the IRS does not assign"));
                }
                format!("{}-{}", &compact[..2], &compact[2..])
            }
            TaxIdKind::Other => {
                let v = value.trim();
                let ok = !v.is_empty()
                    && v.len() <= 64
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '/'));
                if !ok {
                    return Err(bad("must be 1-64 letters, digits, spaces or - . /"));
                }
                v.to_ascii_uppercase()
            }
        };
        Ok(Self { kind, value })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn eu_vat_formats() {
        assert_eq!(
            TaxId::parse(TaxIdKind::EuVat, "de 123 456 789")
                .unwrap()
                .value,
            "DE123456789"
        );
        assert!(TaxId::parse(TaxIdKind::EuVat, "FRAB123456789").is_ok());
        assert!(TaxId::parse(TaxIdKind::EuVat, "NL123456789B01").is_ok());
        assert!(TaxId::parse(TaxIdKind::EuVat, "DE12345678").is_err());
        assert!(TaxId::parse(TaxIdKind::EuVat, "US123456789").is_err());
        assert!(TaxId::parse(TaxIdKind::EuVat, "X").is_err());
    }

    #[test]
    fn gb_vat_checks_mod_97() {
        assert_eq!(
            TaxId::parse(TaxIdKind::GbVat, "GB 123 4567 82")
                .unwrap()
                .value,
            "GB123456782"
        );
        assert!(TaxId::parse(TaxIdKind::GbVat, "GB123456783").is_err());
        assert!(TaxId::parse(TaxIdKind::GbVat, "GBGD001").is_ok());
        assert!(TaxId::parse(TaxIdKind::GbVat, "GBGD600").is_err());
    }

    #[test]
    fn us_ein_prefixes() {
        assert_eq!(
            TaxId::parse(TaxIdKind::UsEin, "123456789").unwrap().value,
            "12-3456789"
        );
        assert!(TaxId::parse(TaxIdKind::UsEin, "00-3456789").is_err());
        assert!(TaxId::parse(TaxIdKind::UsEin, "12-345678").is_err());
    }

    #[test]
    fn generic_ids_are_bounded() {
        assert!(TaxId::parse(TaxIdKind::Other, "ABN 51 824 753 556").is_ok());
        assert!(TaxId::parse(TaxIdKind::Other, "").is_err());
        assert!(TaxId::parse(TaxIdKind::Other, &"1".repeat(65)).is_err());
    }
}
