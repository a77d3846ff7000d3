//! TaxRateRepository: round trips, exact percentages, one active rate per place.

use billing_domain::RepoError;
use billing_domain::entities::TaxRate;
use billing_domain::types::{CountryCode, TaxRateId};

use crate::Harness;
use crate::fixtures::*;

fn rate(ms: i64, country: &str, region: Option<&str>, percentage: &str, active: bool) -> TaxRate {
    TaxRate {
        id: TaxRateId::generate(at(ms)),
        display_name: "VAT".into(),
        country: CountryCode::parse(country).unwrap(),
        region: region.map(str::to_owned),
        percentage: percentage.parse().unwrap(),
        inclusive: false,
        active,
        created_at: at(ms),
        updated_at: at(ms),
    }
}

async fn insert(h: &Harness, r: &TaxRate) -> Result<(), RepoError> {
    let entry = audit(r.created_at, "tax_rate.create", r.id.as_str());
    h.repos.tax_rates.insert(r, &entry).await
}

pub async fn tax_rate_insert_get_list_update(h: &Harness) {
    let de = rate(0, "DE", None, "19", true);
    let ng = rate(1, "NG", None, "7.5", true);
    let ca = rate(2, "CA", Some("QC"), "9.975", true);
    for r in [&de, &ng, &ca] {
        insert(h, r).await.unwrap();
    }
    assert_eq!(audit_count(h).await, 3);
    let got = h.repos.tax_rates.get(&ca.id).await.unwrap().unwrap();
    assert_eq!(got, ca);
    assert_eq!(got.percentage.to_string(), "9.975", "exact, not a float");
    let all = h.repos.tax_rates.list().await.unwrap();
    let order: Vec<&str> = all.iter().map(|r| r.country.as_str()).collect();
    assert_eq!(order, ["CA", "DE", "NG"], "by country");
    let mut changed = ng.clone();
    changed.percentage = "10".parse().unwrap();
    changed.region = Some("Lagos".into());
    changed.updated_at = at(5);
    let entry = audit(at(5), "tax_rate.update", ng.id.as_str());
    h.repos.tax_rates.update(&changed, &entry).await.unwrap();
    assert_eq!(h.repos.tax_rates.get(&ng.id).await.unwrap(), Some(changed));
    let missing = rate(9, "FR", None, "20", true);
    let entry = audit(at(9), "tax_rate.update", missing.id.as_str());
    assert!(matches!(
        h.repos.tax_rates.update(&missing, &entry).await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        h.repos
            .tax_rates
            .get(&TaxRateId::generate(at(3)))
            .await
            .unwrap(),
        None
    );
}

pub async fn tax_rate_one_active_per_country_and_region(h: &Harness) {
    let de = rate(0, "DE", None, "19", true);
    insert(h, &de).await.unwrap();
    let before = audit_count(h).await;
    let second = rate(1, "DE", None, "7", true);
    assert!(matches!(
        insert(h, &second).await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(audit_count(h).await, before, "nothing written");
    // Another region, or an inactive rate, is another place or no competition.
    insert(h, &rate(2, "DE", Some("Helgoland"), "0", true))
        .await
        .unwrap();
    insert(h, &rate(3, "DE", None, "7", false)).await.unwrap();
    // Reactivating the inactive one while the first is active is refused too.
    let mut reduced = rate(4, "DE", None, "7", false);
    insert(h, &reduced).await.unwrap();
    reduced.active = true;
    let entry = audit(at(5), "tax_rate.update", reduced.id.as_str());
    assert!(matches!(
        h.repos.tax_rates.update(&reduced, &entry).await,
        Err(RepoError::Conflict(_))
    ));
    // After the first is deactivated, it may take the place.
    let mut old = de.clone();
    old.active = false;
    let entry = audit(at(6), "tax_rate.update", de.id.as_str());
    h.repos.tax_rates.update(&old, &entry).await.unwrap();
    let entry = audit(at(7), "tax_rate.update", reduced.id.as_str());
    h.repos.tax_rates.update(&reduced, &entry).await.unwrap();
}

pub async fn tax_exemption_set_replace_lift(h: &Harness) {
    let acct = h.account().await;
    let repo = &h.repos.tax_rates;
    assert_eq!(repo.exemption(&acct).await.unwrap(), None);
    let entry = |n| audit(at(n), "tax_exemption.set", acct.as_str());
    repo.set_exemption(&acct, Some("charity, certificate 12-345".into()), &entry(1))
        .await
        .unwrap();
    assert_eq!(
        repo.exemption(&acct).await.unwrap().as_deref(),
        Some("charity, certificate 12-345")
    );
    repo.set_exemption(&acct, Some("diplomatic mission".into()), &entry(2))
        .await
        .unwrap();
    assert_eq!(
        repo.exemption(&acct).await.unwrap().as_deref(),
        Some("diplomatic mission")
    );
    repo.set_exemption(&acct, None, &entry(3)).await.unwrap();
    assert_eq!(repo.exemption(&acct).await.unwrap(), None);
    assert_eq!(audit_count(h).await, 3);
    let ghost = billing_domain::types::AccountId::generate(at(4));
    assert!(matches!(
        repo.set_exemption(&ghost, Some("x".into()), &entry(4))
            .await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(audit_count(h).await, 3, "nothing written");
}
