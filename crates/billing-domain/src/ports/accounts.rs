//! Accounts port.

use crate::entities::{Account, AuditEntry};
use crate::error::RepoError;
use crate::types::{AccountId, Page, PageRequest};

/// The `Conflict` message every store reports when an external id is already taken.
pub const EXTERNAL_ID_TAKEN: &str = "external_id is already used by another account";

/// Stores accounts with their billing profile. Creating an account also creates its
/// zero credit balance row, in the same transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait AccountRepository: Send + Sync {
    /// Inserts a new account and its balance row. `Conflict` ([`EXTERNAL_ID_TAKEN`]) if `external_id` is taken.
    async fn insert(&self, account: &Account) -> Result<(), RepoError>;
    /// Reads one account.
    async fn get(&self, id: &AccountId) -> Result<Option<Account>, RepoError>;
    /// The account whose external id (the platform's own id for it) is `external_id`.
    async fn find_by_external_id(&self, external_id: &str) -> Result<Option<Account>, RepoError>;
    /// Newest first; `starting_after` is an account id.
    async fn list(&self, page: &PageRequest) -> Result<Page<Account>, RepoError>;
    /// Writes every mutable field (name, external id, billing profile, low-balance threshold,
    /// Stripe customer id, metadata, updated_at) and the audit entry, if any, atomically.
    /// `NotFound` if the account does not exist; `Conflict` if `external_id` is taken.
    async fn update(&self, account: &Account, audit: Option<AuditEntry>) -> Result<(), RepoError>;
}
