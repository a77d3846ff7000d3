//! Credit packages and payment method configs: small operator-managed catalogs.

use crate::entities::{AuditEntry, CreditPackage, PaymentMethodConfig};
use crate::error::RepoError;
use crate::types::{CreditPackageId, PaymentMethodConfigId};

/// The `Conflict` message every store reports when a package's slug is already taken.
pub const PACKAGE_SLUG_TAKEN: &str = "slug is already used by another package";

/// Stores credit packages. Every write carries its audit entry, written in the same transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait CreditPackageRepository: Send + Sync {
    /// Inserts a package. `Conflict` ([`PACKAGE_SLUG_TAKEN`]) if the slug is taken.
    async fn insert(&self, package: &CreditPackage, audit: &AuditEntry) -> Result<(), RepoError>;
    /// Replaces a package's mutable fields. `NotFound`, or `Conflict` on a taken slug.
    async fn update(&self, package: &CreditPackage, audit: &AuditEntry) -> Result<(), RepoError>;
    /// Reads one package.
    async fn get(&self, id: &CreditPackageId) -> Result<Option<CreditPackage>, RepoError>;
    /// Every package (active only when asked), in id order. Catalogs are small.
    async fn list(&self, active_only: bool) -> Result<Vec<CreditPackage>, RepoError>;
}

/// Stores payment method configs. Every write carries its audit entry.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait PaymentMethodConfigRepository: Send + Sync {
    /// Inserts a config.
    async fn insert(
        &self,
        config: &PaymentMethodConfig,
        audit: &AuditEntry,
    ) -> Result<(), RepoError>;
    /// Replaces a config's mutable fields. `NotFound` if absent.
    async fn update(
        &self,
        config: &PaymentMethodConfig,
        audit: &AuditEntry,
    ) -> Result<(), RepoError>;
    /// Deletes a config. `NotFound` if absent.
    async fn delete(&self, id: &PaymentMethodConfigId, audit: &AuditEntry)
    -> Result<(), RepoError>;
    /// Reads one config.
    async fn get(
        &self,
        id: &PaymentMethodConfigId,
    ) -> Result<Option<PaymentMethodConfig>, RepoError>;
    /// Every config, in id order.
    async fn list(&self) -> Result<Vec<PaymentMethodConfig>, RepoError>;
}
