//! The audit log of operator mutations.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::Principal;
use crate::types::AuditEntryId;

/// One operator action: who did what to which resource, why, and what changed.
/// Written in the same transaction as the change it describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// `aud_…`.
    pub id: AuditEntryId,
    /// Key id of the operator, or `system`.
    pub actor: String,
    /// Dotted action name, e.g. `credit_package.update`.
    pub action: String,
    /// Resource kind, e.g. `credit_package`.
    pub target_type: String,
    /// Resource id.
    pub target_id: String,
    /// Why, when the action takes a reason.
    pub reason: Option<String>,
    /// The resource before the change.
    pub before: Option<serde_json::Value>,
    /// The resource after the change.
    pub after: Option<serde_json::Value>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Everything a use case needs to write audit entries and ledger actors.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The caller.
    pub principal: Principal,
    /// Request id from the HTTP layer, if any.
    pub request_id: Option<String>,
}

impl RequestContext {
    /// The system acting alone (CLI, jobs).
    pub fn system() -> Self {
        Self {
            principal: Principal::system(),
            request_id: None,
        }
    }

    /// Builds an audit entry for a change to `target_type`/`target_id`.
    #[allow(clippy::too_many_arguments)]
    pub fn audit<B: Serialize, A: Serialize>(
        &self,
        now: OffsetDateTime,
        action: &str,
        target_type: &str,
        target_id: &str,
        reason: Option<&str>,
        before: Option<&B>,
        after: Option<&A>,
    ) -> AuditEntry {
        AuditEntry {
            id: AuditEntryId::generate(now),
            actor: self.principal.actor(),
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id: target_id.to_owned(),
            reason: reason.map(str::to_owned),
            before: before.and_then(|b| serde_json::to_value(b).ok()),
            after: after.and_then(|a| serde_json::to_value(a).ok()),
            request_id: self.request_id.clone(),
            created_at: now,
        }
    }
}
