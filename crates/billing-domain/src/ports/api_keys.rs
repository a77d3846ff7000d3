//! API keys port.

use time::OffsetDateTime;

use crate::entities::{ApiKey, AuditEntry};
use crate::error::RepoError;
use crate::types::{ApiKeyId, Page, PageRequest};

/// Stores API keys by the hash of their secret.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Inserts a key (and its audit entry when an operator created it).
    async fn insert(&self, key: &ApiKey, audit: Option<AuditEntry>) -> Result<(), RepoError>;
    /// The key whose secret hashes to `secret_hash`, revoked or not.
    async fn find_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>, RepoError>;
    /// Reads one key.
    async fn get(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, RepoError>;
    /// Newest first.
    async fn list(&self, page: &PageRequest) -> Result<Page<ApiKey>, RepoError>;
    /// Sets `revoked_at` if not yet set and writes the audit entry; returns the key.
    /// Revoking twice keeps the first time. `NotFound` if absent.
    async fn revoke(
        &self,
        id: &ApiKeyId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<ApiKey, RepoError>;
}
