//! [`CreditPackageRepository`] and [`PaymentMethodConfigRepository`] in memory.

use billing_domain::entities::{AuditEntry, CreditPackage, PaymentMethodConfig};
use billing_domain::error::RepoError;
use billing_domain::ports::{CreditPackageRepository, PaymentMethodConfigRepository};
use billing_domain::types::{CreditPackageId, PaymentMethodConfigId};

use super::Shared;
use super::state::{State, exists};

/// Credit packages; slugs are unique.
pub(crate) struct MemoryCreditPackages(pub(crate) Shared);

/// Payment method configs.
pub(crate) struct MemoryPaymentMethodConfigs(pub(crate) Shared);

/// `Conflict` if a package other than `package` uses its slug.
fn check_slug(state: &State, package: &CreditPackage) -> Result<(), RepoError> {
    if state
        .packages
        .values()
        .any(|p| p.id != package.id && p.slug.as_str() == package.slug.as_str())
    {
        return Err(RepoError::Conflict(
            billing_domain::ports::catalog::PACKAGE_SLUG_TAKEN.into(),
        ));
    }
    Ok(())
}

#[async_trait::async_trait]
impl CreditPackageRepository for MemoryCreditPackages {
    async fn insert(&self, package: &CreditPackage, audit: &AuditEntry) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.packages.contains_key(&package.id) {
                return Err(exists("credit package", &package.id));
            }
            check_slug(s, package)?;
            s.check_audit(Some(audit))?;
            s.packages.insert(package.id.clone(), package.clone());
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn update(&self, package: &CreditPackage, audit: &AuditEntry) -> Result<(), RepoError> {
        self.0.with(|s| {
            let created_at = s
                .packages
                .get(&package.id)
                .ok_or(RepoError::NotFound)?
                .created_at;
            check_slug(s, package)?;
            s.check_audit(Some(audit))?;
            // Every field but the id and the creation time is mutable.
            s.packages.insert(
                package.id.clone(),
                CreditPackage {
                    created_at,
                    ..package.clone()
                },
            );
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn get(&self, id: &CreditPackageId) -> Result<Option<CreditPackage>, RepoError> {
        Ok(self.0.lock().packages.get(id).cloned())
    }

    async fn list(&self, active_only: bool) -> Result<Vec<CreditPackage>, RepoError> {
        Ok(self
            .0
            .lock()
            .packages
            .values()
            .filter(|p| !active_only || p.active)
            .cloned()
            .collect())
    }
}

#[async_trait::async_trait]
impl PaymentMethodConfigRepository for MemoryPaymentMethodConfigs {
    async fn insert(
        &self,
        config: &PaymentMethodConfig,
        audit: &AuditEntry,
    ) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.payment_methods.contains_key(&config.id) {
                return Err(exists("payment method config", &config.id));
            }
            s.check_audit(Some(audit))?;
            s.payment_methods.insert(config.id.clone(), config.clone());
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn update(
        &self,
        config: &PaymentMethodConfig,
        audit: &AuditEntry,
    ) -> Result<(), RepoError> {
        self.0.with(|s| {
            let created_at = s
                .payment_methods
                .get(&config.id)
                .ok_or(RepoError::NotFound)?
                .created_at;
            s.check_audit(Some(audit))?;
            s.payment_methods.insert(
                config.id.clone(),
                PaymentMethodConfig {
                    created_at,
                    ..config.clone()
                },
            );
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn delete(
        &self,
        id: &PaymentMethodConfigId,
        audit: &AuditEntry,
    ) -> Result<(), RepoError> {
        self.0.with(|s| {
            if !s.payment_methods.contains_key(id) {
                return Err(RepoError::NotFound);
            }
            s.check_audit(Some(audit))?;
            s.payment_methods.remove(id);
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn get(
        &self,
        id: &PaymentMethodConfigId,
    ) -> Result<Option<PaymentMethodConfig>, RepoError> {
        Ok(self.0.lock().payment_methods.get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<PaymentMethodConfig>, RepoError> {
        Ok(self.0.lock().payment_methods.values().cloned().collect())
    }
}
