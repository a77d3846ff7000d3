//! The audit log of operator actions (admin).

use actix_web::web::{Data, Query};
use actix_web::{HttpResponse, get};
use billing_domain::entities::AuditEntry;
use billing_domain::services::audit_log::AuditQuery;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::{page, timestamp};
use crate::openapi::StdErrors;
use crate::routes::HandlerResult;

crate::list_type!(AuditEntryList, AuditEntry);

/// Filters and pagination of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditLogQuery {
    /// Key id of the operator, or `system`.
    pub actor: Option<String>,
    /// Exact action, e.g. `credit_package.update`.
    pub action: Option<String>,
    /// Resource kind, e.g. `credit_package`.
    pub target_type: Option<String>,
    /// Resource id.
    pub target_id: Option<String>,
    /// Entries created at or after this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_gte: Option<String>,
    /// Entries created before this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_lt: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Id of the last entry of the previous page.
    pub starting_after: Option<String>,
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

/// Audit entries, newest first (admin).
#[utoipa::path(tag = "audit", params(AuditLogQuery), security(("bearer" = [])), responses((status = 200, body = AuditEntryList), StdErrors))]
#[get("/v1/admin/audit-log")]
async fn list(state: Data<AppState>, auth: Auth, q: Query<AuditLogQuery>) -> HandlerResult {
    // The scope first: a caller who may not read the log learns nothing from the filter's checks.
    auth.ctx().principal.ensure_admin()?;
    let q = q.into_inner();
    let from = timestamp(q.created_gte.as_deref(), "created_gte")?;
    let to = timestamp(q.created_lt.as_deref(), "created_lt")?;
    let page = page(q.limit.as_deref(), q.starting_after)?;
    let filter = AuditQuery {
        actor: q.actor,
        action: q.action,
        target_type: q.target_type,
        target_id: q.target_id,
    };
    Ok(HttpResponse::Ok().json(AuditEntryList::from(
        state
            .services
            .audit
            .list(auth.ctx(), filter, from, to, &page)
            .await?,
    )))
}
