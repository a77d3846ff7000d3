//! The outgoing e-mail queue (admin): what was sent to whom, every attempt, and resending.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, get, post};
use billing_domain::entities::OutgoingEmail;
use billing_domain::services::notifications::EmailQuery;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::page;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::{HandlerResult, path_ids};

crate::list_type!(EmailList, OutgoingEmail);

/// Filters and pagination of the e-mail list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EmailListQuery {
    /// Messages of one account (`acct_…`).
    pub account_id: Option<String>,
    /// One kind: `payment_instructions`, `payment_approved`, `payment_rejected`,
    /// `payment_receipt`, `invoice_issued`, `refund_issued`, `low_balance`, `renewal_paid`,
    /// `payment_failed`, `trial_ending`, `subscription_canceled`.
    pub kind: Option<String>,
    /// `queued`, `sent` or `failed`.
    pub status: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Id of the last message of the previous page.
    pub starting_after: Option<String>,
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(get_one).service(resend);
}

/// E-mails, newest first, with their delivery status and attempts (admin).
#[utoipa::path(tag = "emails", params(EmailListQuery), security(("bearer" = [])), responses((status = 200, body = EmailList), StdErrors))]
#[get("/v1/admin/emails")]
async fn list(state: Data<AppState>, auth: Auth, q: Query<EmailListQuery>) -> HandlerResult {
    // The scope first: a caller who may not read the queue learns nothing from the filters.
    auth.ctx().principal.ensure_admin()?;
    let q = q.into_inner();
    let page = page(q.limit.as_deref(), q.starting_after)?;
    let query = EmailQuery {
        account_id: q.account_id,
        kind: q.kind,
        status: q.status,
    };
    Ok(HttpResponse::Ok().json(EmailList::from(
        state.notifications.list(auth.ctx(), &query, &page).await?,
    )))
}

/// One e-mail: recipient, subject, both bodies, status and every attempt (admin).
#[utoipa::path(tag = "emails", params(("id" = String, Path, description = "E-mail id (`eml_…`)")), security(("bearer" = [])), responses((status = 200, body = OutgoingEmail), StdErrors))]
#[get("/v1/admin/emails/{id}")]
async fn get_one(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let email = state
        .notifications
        .get(auth.ctx(), &id)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Ok().json(email))
}

/// Resend an e-mail (admin, audited): a copy with a new id and `Message-ID` is queued and
/// sent within seconds, the invoice PDF attached as it is now; the original keeps its history.
#[utoipa::path(tag = "emails", security(("bearer" = [])),
    params(("id" = String, Path, description = "E-mail id (`eml_…`)"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = OutgoingEmail), PostErrors))]
#[post("/v1/admin/emails/{id}/resend")]
async fn resend(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let copy = state
        .notifications
        .resend(auth.ctx(), &id)
        .await
        .map_err(path_ids(&["id"]))?;
    Ok(HttpResponse::Created().json(copy))
}
