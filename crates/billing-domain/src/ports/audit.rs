//! Audit log port.

use time::OffsetDateTime;

use crate::entities::AuditEntry;
use crate::error::RepoError;
use crate::types::{Page, PageRequest};

/// Filters of the audit log listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Who.
    pub actor: Option<String>,
    /// Exact action, e.g. `credit_package.update`.
    pub action: Option<String>,
    /// Resource kind.
    pub target_type: Option<String>,
    /// Resource id.
    pub target_id: Option<String>,
    /// At or after.
    pub from: Option<OffsetDateTime>,
    /// Before.
    pub to: Option<OffsetDateTime>,
}

/// Reads (and, for actions without another write, writes) audit entries.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait AuditRepository: Send + Sync {
    /// Writes one entry on its own.
    async fn insert(&self, entry: &AuditEntry) -> Result<(), RepoError>;
    /// Newest first.
    async fn list(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, RepoError>;
}
