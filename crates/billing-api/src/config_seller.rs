//! The seller printed on invoices: the `[seller]` table of the config file, then
//! `BILLING_SELLER_*`, which win.
//!
//! | key (`[seller]`) | env                      | meaning                                       |
//! |------------------|--------------------------|-----------------------------------------------|
//! | `legal_name`     | `BILLING_SELLER_NAME`    | legal name (default `Example Seller Ltd`)     |
//! | `address`        | `BILLING_SELLER_ADDRESS` | address lines (env: separated by `;` or newlines) |
//! | `tax_id`         | `BILLING_SELLER_TAX_ID`  | VAT or other tax id                           |
//! | `email`          | `BILLING_SELLER_EMAIL`   | where customers write about invoices          |
//! | `logo`           | `BILLING_SELLER_LOGO`    | path of a `.png`, `.jpg` or `.svg` logo       |
//! | `country`        | `BILLING_SELLER_COUNTRY` | ISO 3166-1 country the seller is established in (which tax rules apply) |
//! | `tax_registered` | `BILLING_SELLER_TAX_REGISTERED` | `true` when registered for VAT/GST (default `false`: no tax is charged) |

use std::path::PathBuf;

use billing_domain::entities::Seller;
use serde::Deserialize;

use crate::config::ConfigError;

/// The `[seller]` table of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SellerFile {
    legal_name: Option<String>,
    address: Option<Vec<String>>,
    tax_id: Option<String>,
    email: Option<String>,
    logo: Option<PathBuf>,
    country: Option<String>,
    tax_registered: Option<bool>,
}

/// The seller and the path of its logo, from the file's table and the environment.
pub(crate) fn seller_config(
    file: Option<SellerFile>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(Seller, Option<PathBuf>), ConfigError> {
    let f = file.unwrap_or_default();
    let mut s = Seller::default();
    let clean = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(v) = env("BILLING_SELLER_NAME").or(f.legal_name).and_then(clean) {
        s.legal_name = v;
    }
    s.address = f.address.unwrap_or_default();
    if let Some(v) = env("BILLING_SELLER_ADDRESS") {
        s.address = v
            .split([';', '\n'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
    }
    s.tax_id = env("BILLING_SELLER_TAX_ID").or(f.tax_id).and_then(clean);
    s.email = env("BILLING_SELLER_EMAIL").or(f.email).and_then(clean);
    let logo = env("BILLING_SELLER_LOGO").map(PathBuf::from).or(f.logo);
    let bad = |name, value: String, message| ConfigError::Env {
        name,
        value,
        message,
    };
    if s.legal_name.chars().count() > 200 {
        return Err(bad(
            "seller.legal_name",
            s.legal_name,
            "must be at most 200 characters",
        ));
    }
    if s.address.len() > 8 || s.address.iter().any(|l| l.chars().count() > 200) {
        return Err(bad(
            "seller.address",
            s.address.join("; "),
            "must be at most 8 lines of at most 200 characters",
        ));
    }
    if let Some(e) = &s.email
        && billing_domain::types::Email::parse(e, "seller.email").is_err()
    {
        return Err(bad("seller.email", e.clone(), "must be an e-mail address"));
    }
    Ok((s, logo))
}

/// The seller's tax position: `None` without a country (then no tax is charged).
pub(crate) fn seller_tax(
    file: Option<&SellerFile>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<billing_domain::entities::SellerTax>, ConfigError> {
    let country = env("BILLING_SELLER_COUNTRY").or_else(|| file.and_then(|f| f.country.clone()));
    let registered = match env("BILLING_SELLER_TAX_REGISTERED") {
        Some(v) => {
            crate::config::parse_env("BILLING_SELLER_TAX_REGISTERED", v, "must be true or false")?
        }
        None => file.and_then(|f| f.tax_registered).unwrap_or(false),
    };
    country
        .map(|c| {
            billing_domain::types::CountryCode::parse(&c)
                .map(|country| billing_domain::entities::SellerTax {
                    country,
                    registered,
                })
                .map_err(|_| ConfigError::Env {
                    name: "BILLING_SELLER_COUNTRY",
                    value: c,
                    message: "must be an ISO 3166-1 alpha-2 country code",
                })
        })
        .transpose()
}

/// Reads the logo file; a missing file or another format stops the start.
pub(crate) fn read_logo(path: &std::path::Path) -> Result<billing_pdf::Logo, ConfigError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    if bytes.len() > 2 * 1024 * 1024 {
        return Err(ConfigError::Env {
            name: "BILLING_SELLER_LOGO",
            value: shown,
            message: "must be at most 2 MiB",
        });
    }
    billing_pdf::Logo::from_file(&shown, bytes).map_err(|_| ConfigError::Env {
        name: "BILLING_SELLER_LOGO",
        value: shown,
        message: "must be a .png, .jpg or .svg file",
    })
}
