//! Form posts: the CSRF and same-origin checks every state-changing request passes, the
//! posted fields, and validation errors placed next to the field they name.

use std::collections::BTreeMap;

use actix_web::HttpRequest;
use billing_domain::BillingError;

use crate::PageError;
use crate::security::{same_origin, token_matches};
use crate::session::PortalRequest;

/// The field every form carries.
pub(crate) const CSRF_FIELD: &str = "_csrf";

/// A posted form's fields (the last value of a repeated name wins).
#[derive(Debug, Default, Clone)]
pub(crate) struct Fields(pub BTreeMap<String, String>);

impl Fields {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Result<Self, PageError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| PageError::Refused)?;
        Ok(Self(pairs.into_iter().collect()))
    }

    /// A field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A field as typed (for re-showing it), empty when absent.
    pub fn raw(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }
}

/// Refuses a state-changing request that did not come from our own page in this session:
/// a foreign `Sec-Fetch-Site`/`Origin`, or a missing or wrong CSRF token (form field, or
/// the `X-CSRF-Token` header htmx sends).
pub(crate) fn check(
    req: &HttpRequest,
    r: &PortalRequest,
    posted: Option<&str>,
) -> Result<(), PageError> {
    if !same_origin(req) {
        return Err(PageError::Refused);
    }
    let header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    let presented = posted.or(header).unwrap_or_default();
    if token_matches(presented, &r.session.csrf_token) {
        Ok(())
    } else {
        Err(PageError::Refused)
    }
}

/// One message per field, for the error summary and the field itself.
#[derive(Debug, Default, Clone)]
pub(crate) struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    /// The message for `field`, or empty.
    pub fn of(&self, field: &str) -> String {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    /// Whether there are any.
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

/// A validation error becomes a field error (the domain names the field, e.g.
/// `address.country`, `tax_id.value`); other errors stay errors.
pub(crate) fn field_error(e: BillingError, known: &[&str]) -> Result<FieldErrors, PageError> {
    match e {
        BillingError::Validation(v) => {
            let field = known
                .iter()
                .find(|k| v.field == **k || v.field.starts_with(&format!("{k}.")))
                .map_or_else(|| v.field.clone(), |k| (*k).to_owned());
            Ok(FieldErrors(vec![(field, capitalised(&v.message))]))
        }
        other => Err(other.into()),
    }
}

/// A `from`–`to` filter of `YYYY-MM-DD` days, both included (the range ends at the midnight
/// after `to`), in UTC; a malformed day is an error on its field.
pub(crate) fn date_range(
    from: Option<&str>,
    to: Option<&str>,
    errors: &mut FieldErrors,
) -> (Option<time::OffsetDateTime>, Option<time::OffsetDateTime>) {
    let mut day = |text: Option<&str>, field: &str| {
        let t = text.map(str::trim).filter(|t| !t.is_empty())?;
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        match time::Date::parse(t, &fmt) {
            Ok(d) => Some(d),
            Err(_) => {
                errors
                    .0
                    .push((field.to_owned(), "Enter a date like 2026-12-01".to_owned()));
                None
            }
        }
    };
    let from = day(from, "from").map(|d| d.midnight().assume_utc());
    let to = day(to, "to")
        .and_then(time::Date::next_day)
        .map(|d| d.midnight().assume_utc());
    (from, to)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use billing_domain::ValidationError;

    #[test]
    fn fields_trim_and_keep_raw() {
        let f = Fields::parse(b"a=+x+&b=&c=%C3%A9").unwrap();
        assert_eq!(f.get("a").as_deref(), Some("x"));
        assert_eq!(f.get("b"), None);
        assert_eq!(f.raw("a"), " x ");
        assert_eq!(f.get("c").as_deref(), Some("é"));
    }

    #[test]
    fn date_ranges_include_both_days() {
        let mut errors = FieldErrors::default();
        let (from, to) = date_range(Some("2026-12-01"), Some("2026-12-03"), &mut errors);
        assert_eq!(from, Some(time::macros::datetime!(2026-12-01 0:00 UTC)));
        assert_eq!(to, Some(time::macros::datetime!(2026-12-04 0:00 UTC)));
        let (from, _) = date_range(Some("1/12/2026"), None, &mut errors);
        assert_eq!(from, None);
        assert_eq!(errors.of("from"), "Enter a date like 2026-12-01");
    }

    #[test]
    fn validation_errors_land_on_the_nearest_known_field() {
        let e = BillingError::Validation(ValidationError::new(
            "tax_id.value",
            "is not a valid EU VAT number",
        ));
        let f = field_error(e, &["tax_id", "legal_name"]).unwrap();
        assert_eq!(f.of("tax_id"), "Is not a valid EU VAT number");
        assert!(field_error(BillingError::conflict("x", "no"), &[]).is_err());
    }
}
