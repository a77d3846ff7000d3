//! The seeded tax rates: the standard rates of the seeded countries, each with the law that
//! sets it. Operators change or deactivate them; finalized invoices keep what they used.

use billing_domain::BillingResult;
use billing_domain::entities::audit::RequestContext;
use billing_domain::services::Services;
use billing_domain::services::tax_rates::{TaxRateInput, TaxRateService};

/// `(country, display name, percentage, source)`: standard rates, exclusive of prices.
pub const RATES: [(&str, &str, &str, &str); 6] = [
    // Umsatzsteuergesetz § 12 Abs. 1 (standard rate 19 % since 1 Jan 2007).
    ("DE", "VAT", "19", "UStG § 12 (1)"),
    // Code général des impôts, article 278 (taux normal 20 % since 1 Jan 2014).
    ("FR", "VAT", "20", "CGI art. 278"),
    // Value Added Tax Act 1994 s. 2 (standard rate 20 % since 4 Jan 2011; gov.uk/vat-rates).
    ("GB", "VAT", "20", "VATA 1994 s. 2"),
    // Value Added Tax Act s. 4 as amended by the Finance Act 2019 (7.5 % since 1 Feb 2020).
    ("NG", "VAT", "7.5", "VAT Act s. 4 (Finance Act 2019)"),
    // National Internal Revenue Code s. 106 as amended by RA 9337 (12 % since 1 Feb 2006).
    ("PH", "VAT", "12", "NIRC s. 106 (RA 9337)"),
    // Value Added Tax Act 2013 s. 5 (16 %; restored on 1 Jan 2021 by the Tax Laws
    // (Amendment) Act 2020).
    ("KE", "VAT", "16", "VAT Act 2013 s. 5"),
];

/// Creates the seeded rates a country does not have yet; returns how many it created.
pub async fn run(services: &Services) -> BillingResult<usize> {
    let ctx = RequestContext::system();
    let taxes = TaxRateService::new(services.repos.clone(), services.clock.clone(), None);
    let existing = taxes.list(&ctx, None).await?;
    let mut created = 0;
    for (country, name, percentage, _source) in RATES {
        if existing.iter().any(|r| r.country.as_str() == country) {
            continue;
        }
        let input = TaxRateInput {
            display_name: Some(name.to_owned()),
            country: Some(country.to_owned()),
            percentage: Some(percentage.to_owned()),
            ..TaxRateInput::default()
        };
        taxes.create(&ctx, input).await?;
        created += 1;
    }
    Ok(created)
}
