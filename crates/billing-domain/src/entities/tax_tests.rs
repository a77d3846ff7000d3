#![allow(clippy::unwrap_used)]

use super::*;

fn country(c: &str) -> CountryCode {
    CountryCode::parse(c).unwrap()
}

fn rate(c: &str, region: Option<&str>, pct: &str) -> TaxRate {
    let t = OffsetDateTime::UNIX_EPOCH;
    TaxRate {
        id: TaxRateId::generate(t),
        display_name: "VAT".into(),
        country: country(c),
        region: region.map(str::to_owned),
        percentage: pct.parse().unwrap(),
        inclusive: false,
        active: true,
        created_at: t,
        updated_at: t,
    }
}

fn rates() -> Vec<TaxRate> {
    let mut inactive = rate("NG", None, "5");
    inactive.active = false;
    vec![
        rate("DE", None, "19"),
        rate("FR", None, "20"),
        rate("GB", None, "20"),
        inactive,
        rate("NG", None, "7.5"),
        rate("CA", None, "5"),
        rate("CA", Some("QC"), "14.975"),
    ]
}

fn de_seller() -> SellerTax {
    SellerTax {
        country: country("DE"),
        registered: true,
    }
}

fn buyer<'a>(c: &str, tax_id: Option<&'a TaxId>) -> TaxBuyer<'a> {
    TaxBuyer {
        country: country(c),
        region: None,
        tax_id,
        exemption: None,
    }
}

fn percent(d: &TaxDecision) -> Option<String> {
    match &d.treatment {
        TaxTreatment::Taxed(r) => Some(r.percentage.to_string()),
        _ => None,
    }
}

#[test]
fn the_rule_table() {
    let fr_vat = TaxId::parse(TaxIdKind::EuVat, "FR40303265045").unwrap();
    let de_vat = TaxId::parse(TaxIdKind::EuVat, "DE136695976").unwrap();
    let rates = rates();
    let d = |b| decide(de_seller(), b, &rates);
    // A consumer at home, a business at home: the domestic rate.
    assert_eq!(percent(&d(buyer("DE", None))).as_deref(), Some("19"));
    let home_b2b = d(buyer("DE", Some(&de_vat)));
    assert_eq!(percent(&home_b2b).as_deref(), Some("19"));
    assert!(home_b2b.business);
    // A business elsewhere in the EU with its own VAT id: reverse charge.
    let rc = d(buyer("FR", Some(&fr_vat)));
    assert_eq!(rc.treatment, TaxTreatment::ReverseCharge);
    assert!(rc.explanation.last().unwrap().contains("reverse charge"));
    // A consumer elsewhere in the EU: the destination's rate.
    assert_eq!(percent(&d(buyer("FR", None))).as_deref(), Some("20"));
    // A VAT id of another state does not make a French business reverse-charged.
    let wrong = d(buyer("FR", Some(&de_vat)));
    assert_eq!(percent(&wrong).as_deref(), Some("20"));
    assert!(
        wrong
            .explanation
            .iter()
            .any(|l| l.contains("not an EU VAT id of FR"))
    );
    // Outside the EU: the configured rate if any, else no tax line and why.
    assert_eq!(
        percent(&d(buyer("NG", None))).as_deref(),
        Some("7.5"),
        "the active one"
    );
    let us = d(buyer("US", None));
    assert_eq!(
        us.treatment,
        TaxTreatment::NotTaxed("no tax rate is configured for US".into())
    );
    // A region's own rate first, then the country's.
    let qc = TaxBuyer {
        region: Some("QC"),
        ..buyer("CA", None)
    };
    assert_eq!(percent(&d(qc)).as_deref(), Some("14.975"));
    let on = TaxBuyer {
        region: Some("ON"),
        ..buyer("CA", None)
    };
    assert_eq!(percent(&d(on)).as_deref(), Some("5"));
}

#[test]
fn an_unregistered_seller_or_an_exempt_account_charges_no_tax() {
    let rates = rates();
    let small = SellerTax {
        registered: false,
        ..de_seller()
    };
    assert_eq!(
        decide(small, buyer("DE", None), &rates).treatment,
        TaxTreatment::NotTaxed("the seller is not registered for VAT/GST".into())
    );
    let exempt = TaxBuyer {
        exemption: Some("charity, certificate 42"),
        ..buyer("DE", None)
    };
    assert_eq!(
        decide(de_seller(), exempt, &rates).treatment,
        TaxTreatment::NotTaxed("the account is exempt: charity, certificate 42".into())
    );
}

#[test]
fn a_seller_outside_the_eu_never_reverse_charges() {
    let gb = SellerTax {
        country: country("GB"),
        registered: true,
    };
    let fr_vat = TaxId::parse(TaxIdKind::EuVat, "FR40303265045").unwrap();
    let d = decide(gb, buyer("FR", Some(&fr_vat)), &rates());
    assert_eq!(percent(&d).as_deref(), Some("20"));
    assert!(d.explanation[2].contains("not in the EU"));
    let greek = TaxId::parse(TaxIdKind::EuVat, "EL094259216").unwrap();
    let to_greece = decide(de_seller(), buyer("GR", Some(&greek)), &[]);
    assert_eq!(
        to_greece.treatment,
        TaxTreatment::ReverseCharge,
        "EL is Greece's prefix"
    );
    assert_eq!(EU_MEMBERS.len(), 27);
    assert!(is_eu(country("HR")) && !is_eu(country("GB")) && !is_eu(country("CH")));
}
