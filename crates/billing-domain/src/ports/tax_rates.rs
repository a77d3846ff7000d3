//! Tax rates port.

use crate::entities::{AuditEntry, TaxRate};
use crate::error::RepoError;
use crate::types::{AccountId, TaxRateId};

/// Stores the tax rates operators configure. At most one **active** rate per country and
/// region (no region counts as a place of its own): the store refuses a second with
/// `RepoError::Conflict`, so two concurrent operators cannot both create one.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait TaxRateRepository: Send + Sync {
    /// Inserts a rate and its audit entry, atomically.
    async fn insert(&self, rate: &TaxRate, audit: &AuditEntry) -> Result<(), RepoError>;
    /// One rate.
    async fn get(&self, id: &TaxRateId) -> Result<Option<TaxRate>, RepoError>;
    /// Every rate, by country, then region, then id.
    async fn list(&self) -> Result<Vec<TaxRate>, RepoError>;
    /// Replaces a rate and writes its audit entry, atomically. `NotFound` if absent.
    async fn update(&self, rate: &TaxRate, audit: &AuditEntry) -> Result<(), RepoError>;
    /// Why `account` is exempt from tax, if an operator exempted it.
    async fn exemption(&self, account: &AccountId) -> Result<Option<String>, RepoError>;
    /// Records (`Some(reason)`) or lifts (`None`) an account's exemption and writes the audit
    /// entry, atomically. `NotFound` if the account does not exist.
    async fn set_exemption(
        &self,
        account: &AccountId,
        reason: Option<String>,
        audit: &AuditEntry,
    ) -> Result<(), RepoError>;
}
