//! [`TaxRateRepository`] in memory.

use billing_domain::entities::{AuditEntry, TaxRate};
use billing_domain::error::RepoError;
use billing_domain::ports::TaxRateRepository;
use billing_domain::types::{AccountId, TaxRateId};

use super::Shared;
use super::state::{State, account_exists, exists};

/// Tax rates by id.
pub(crate) struct MemoryTaxRates(pub(crate) Shared);

/// The database's partial unique index: one active rate per country and region.
fn overlaps(s: &State, rate: &TaxRate) -> bool {
    rate.active
        && s.tax_rates.values().any(|r| {
            r.id != rate.id && r.active && r.country == rate.country && r.region == rate.region
        })
}

fn overlap() -> RepoError {
    RepoError::Conflict("an active tax rate for this country and region exists".into())
}

#[async_trait::async_trait]
impl TaxRateRepository for MemoryTaxRates {
    async fn insert(&self, rate: &TaxRate, audit: &AuditEntry) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.tax_rates.contains_key(&rate.id) {
                return Err(exists("tax rate", &rate.id));
            }
            if overlaps(s, rate) {
                return Err(overlap());
            }
            s.check_audit(Some(audit))?;
            s.tax_rates.insert(rate.id.clone(), rate.clone());
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn get(&self, id: &TaxRateId) -> Result<Option<TaxRate>, RepoError> {
        self.0.with(|s| Ok(s.tax_rates.get(id).cloned()))
    }

    async fn list(&self) -> Result<Vec<TaxRate>, RepoError> {
        self.0.with(|s| {
            let mut all: Vec<TaxRate> = s.tax_rates.values().cloned().collect();
            all.sort_by(|a, b| {
                (a.country.as_str(), &a.region, &a.id).cmp(&(b.country.as_str(), &b.region, &b.id))
            });
            Ok(all)
        })
    }

    async fn update(&self, rate: &TaxRate, audit: &AuditEntry) -> Result<(), RepoError> {
        self.0.with(|s| {
            if !s.tax_rates.contains_key(&rate.id) {
                return Err(RepoError::NotFound);
            }
            if overlaps(s, rate) {
                return Err(overlap());
            }
            s.check_audit(Some(audit))?;
            s.tax_rates.insert(rate.id.clone(), rate.clone());
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn exemption(&self, account: &AccountId) -> Result<Option<String>, RepoError> {
        self.0.with(|s| Ok(s.tax_exemptions.get(account).cloned()))
    }

    async fn set_exemption(
        &self,
        account: &AccountId,
        reason: Option<String>,
        audit: &AuditEntry,
    ) -> Result<(), RepoError> {
        self.0.with(|s| {
            account_exists(s, account)?;
            s.check_audit(Some(audit))?;
            match reason {
                Some(r) => {
                    s.tax_exemptions.insert(account.clone(), r);
                }
                None => {
                    s.tax_exemptions.remove(account);
                }
            }
            s.put_audit(Some(audit));
            Ok(())
        })
    }
}
