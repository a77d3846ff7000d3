//! Which tax applies to a sale: a rule over the seller's position and the buyer's billing
//! snapshot, written once here, with the reasons it took (an "explain", like the payment
//! method resolver). It is not a tax engine: rates are what operators configure, and a tax id
//! is judged by its format alone (no VIES lookup).
//!
//! | # | when | then |
//! |---|------|------|
//! | 1 | the seller is not registered for VAT/GST | no tax line: "the seller is not registered for VAT/GST" |
//! | 2 | the account is exempt (an operator recorded why) | no tax line, the exemption's reason |
//! | 3 | seller in the EU, buyer in another member state with an EU VAT id of that state | reverse charge: 0 % and [`REVERSE_CHARGE_NOTE`] |
//! | 4 | an active rate for the buyer's country and region | that rate |
//! | 5 | an active rate for the buyer's country with no region | that rate |
//! | 6 | otherwise | no tax line: "no tax rate is configured for <country>" |
//!
//! A buyer with a tax id is a business (B2B), without one a consumer (B2C). A business in the
//! seller's own country pays the domestic rate (rules 4–5), as does a consumer in another EU
//! state (the destination's rate for digital services), if one is configured.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::types::{CountryCode, TaxId, TaxIdKind, TaxRateId};

/// The note printed on a reverse-charge invoice.
pub const REVERSE_CHARGE_NOTE: &str =
    "Reverse charge – VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)";

/// The EU member states (ISO 3166-1 alpha-2; Greece is `GR`, its VAT ids start `EL`).
pub const EU_MEMBERS: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Whether `country` is an EU member state.
pub fn is_eu(country: CountryCode) -> bool {
    EU_MEMBERS.contains(&country.as_str())
}

/// A tax rate an operator configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaxRate {
    /// `txr_…`.
    pub id: TaxRateId,
    /// What invoices print: "VAT", "GST", "Sales tax".
    pub display_name: String,
    /// Where it applies.
    pub country: CountryCode,
    /// A region of the country (a state, a province), if it applies there only.
    pub region: Option<String>,
    /// The percentage, 0–100 with at most 4 decimals.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "19"))]
    pub percentage: Decimal,
    /// Whether prices already include it (it is split out) or not (it is added).
    pub inclusive: bool,
    /// Only active rates apply.
    pub active: bool,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The seller's tax position, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellerTax {
    /// Where the seller is established.
    pub country: CountryCode,
    /// Whether it is registered for VAT/GST (and so charges it).
    pub registered: bool,
}

/// The buyer as the invoice's billing snapshot has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxBuyer<'a> {
    /// Billing country.
    pub country: CountryCode,
    /// Billing region, if any.
    pub region: Option<&'a str>,
    /// Tax id (its format already checked), if the buyer is a business.
    pub tax_id: Option<&'a TaxId>,
    /// Why the account is exempt, if an operator exempted it.
    pub exemption: Option<&'a str>,
}

/// What applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaxTreatment {
    /// Taxed at this rate.
    Taxed(TaxRate),
    /// 0 %, the buyer accounts for the VAT; print [`REVERSE_CHARGE_NOTE`].
    ReverseCharge,
    /// No tax line, for this reason (recorded on the invoice).
    NotTaxed(String),
}

/// The decision and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxDecision {
    /// What applies.
    pub treatment: TaxTreatment,
    /// Whether the buyer is a business (has a tax id).
    pub business: bool,
    /// Each rule considered, in order, and what it found.
    pub explanation: Vec<String>,
}

/// Whether `id` is an EU VAT id of `country` (its prefix; Greece's is `EL`).
fn vat_id_of(id: &TaxId, country: CountryCode) -> bool {
    let prefix = if country.as_str() == "GR" {
        "EL"
    } else {
        country.as_str()
    };
    id.kind == TaxIdKind::EuVat && id.value.starts_with(prefix)
}

/// Applies the rule table (see the module docs) to a sale by `seller` to `buyer`, with the
/// operator's `rates`.
pub fn decide(seller: SellerTax, buyer: TaxBuyer<'_>, rates: &[TaxRate]) -> TaxDecision {
    let business = buyer.tax_id.is_some();
    let mut why = Vec::new();
    let done = |treatment, why| TaxDecision {
        treatment,
        business,
        explanation: why,
    };
    if !seller.registered {
        let reason = "the seller is not registered for VAT/GST".to_owned();
        why.push(format!("1: {reason}"));
        return done(TaxTreatment::NotTaxed(reason), why);
    }
    why.push("1: the seller is registered for VAT/GST".into());
    if let Some(reason) = buyer.exemption {
        let reason = format!("the account is exempt: {reason}");
        why.push(format!("2: {reason}"));
        return done(TaxTreatment::NotTaxed(reason), why);
    }
    why.push("2: the account is not exempt".into());
    let (s, b) = (seller.country, buyer.country);
    match buyer.tax_id {
        _ if !is_eu(s) => why.push(format!("3: the seller's country {s} is not in the EU")),
        _ if !is_eu(b) => why.push(format!("3: the buyer's country {b} is not in the EU")),
        _ if s == b => why.push(format!("3: the buyer is in the seller's own country {s}")),
        None => why.push("3: the buyer has no tax id (a consumer)".into()),
        Some(id) if !vat_id_of(id, b) => why.push(format!(
            "3: the buyer's tax id {} is not an EU VAT id of {b}",
            id.value
        )),
        Some(id) => {
            why.push(format!(
                "3: a business in {b} (VAT id {}) buying from {s}: reverse charge",
                id.value
            ));
            return done(TaxTreatment::ReverseCharge, why);
        }
    }
    let active = |region: Option<&str>| {
        rates
            .iter()
            .find(|r| r.active && r.country == b && r.region.as_deref() == region)
    };
    if let Some(region) = buyer.region {
        if let Some(r) = active(Some(region)) {
            why.push(format!(
                "4: {} {}% for {b}, {region}",
                r.display_name, r.percentage
            ));
            return done(TaxTreatment::Taxed(r.clone()), why);
        }
        why.push(format!("4: no active rate for {b}, {region}"));
    } else {
        why.push("4: the buyer has no region".into());
    }
    if let Some(r) = active(None) {
        why.push(format!("5: {} {}% for {b}", r.display_name, r.percentage));
        return done(TaxTreatment::Taxed(r.clone()), why);
    }
    let reason = format!("no tax rate is configured for {b}");
    why.push(format!("6: {reason}"));
    done(TaxTreatment::NotTaxed(reason), why)
}

#[cfg(test)]
#[path = "tax_tests.rs"]
mod tests;
