//! [`AuditRepository`] in memory.

use billing_domain::entities::AuditEntry;
use billing_domain::error::RepoError;
use billing_domain::ports::{AuditFilter, AuditRepository};
use billing_domain::types::{Page, PageRequest};

use super::Shared;
use super::state::{Order, exists, paginate};

/// The audit log (other repositories write to it with their changes).
pub(crate) struct MemoryAudit(pub(crate) Shared);

fn matches(f: &AuditFilter, e: &AuditEntry) -> bool {
    f.actor.as_ref().is_none_or(|a| *a == e.actor)
        && f.action.as_ref().is_none_or(|a| *a == e.action)
        && f.target_type.as_ref().is_none_or(|t| *t == e.target_type)
        && f.target_id.as_ref().is_none_or(|t| *t == e.target_id)
        && f.from.is_none_or(|from| e.created_at >= from)
        && f.to.is_none_or(|to| e.created_at < to)
}

#[async_trait::async_trait]
impl AuditRepository for MemoryAudit {
    async fn insert(&self, entry: &AuditEntry) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.audit.contains_key(&entry.id) {
                return Err(exists("audit entry", &entry.id));
            }
            s.put_audit(Some(entry));
            Ok(())
        })
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, RepoError> {
        let s = self.0.lock();
        Ok(paginate(
            s.audit.values().filter(|e| matches(filter, e)),
            |e| e.id.as_str(),
            Order::NewestFirst,
            page,
        ))
    }
}
