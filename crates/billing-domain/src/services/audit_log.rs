//! Reading the audit log (operators).

use serde::Deserialize;

use crate::entities::AuditEntry;
use crate::entities::audit::RequestContext;
use crate::error::BillingResult;
use crate::ports::{AuditFilter, Repositories};
use crate::types::{Page, PageRequest};

/// Audit log filters as sent in a query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct AuditQuery {
    /// Key id of the operator, or `system`.
    pub actor: Option<String>,
    /// Exact action, e.g. `credit_package.update`.
    pub action: Option<String>,
    /// Resource kind.
    pub target_type: Option<String>,
    /// Resource id.
    pub target_id: Option<String>,
}

/// Audit log use cases.
#[derive(Clone)]
pub struct AuditLogService {
    repos: Repositories,
}

impl AuditLogService {
    /// Wires the service.
    pub fn new(repos: Repositories) -> Self {
        Self { repos }
    }

    /// Entries newest first (admin).
    pub async fn list(
        &self,
        ctx: &RequestContext,
        query: AuditQuery,
        from: Option<time::OffsetDateTime>,
        to: Option<time::OffsetDateTime>,
        page: &PageRequest,
    ) -> BillingResult<Page<AuditEntry>> {
        ctx.principal.ensure_admin()?;
        let filter = AuditFilter {
            actor: query.actor,
            action: query.action,
            target_type: query.target_type,
            target_id: query.target_id,
            from,
            to,
        };
        Ok(self.repos.audit.list(&filter, page).await?)
    }
}
