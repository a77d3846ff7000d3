//! Payments: listings for accounts and operators (the approval queue is
//! `GET /v1/admin/payments?status=pending_approval`, oldest first), single payments, and the
//! uploaded proof of payment.

use actix_web::http::header;
use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, get};
use billing_domain::entities::{Payment, PaymentMethodKind, PaymentStatus, ProofFile};
use billing_domain::ports::PaymentFilter;
use billing_domain::types::AccountId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{page, timestamp};
use crate::openapi::StdErrors;
use crate::routes::{HandlerResult, path_ids};

crate::list_type!(PaymentList, Payment);

/// Filters and pagination of payment listings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PaymentQuery {
    /// One status, e.g. `pending_approval` (the operator queue, oldest first by default).
    pub status: Option<String>,
    /// `stripe`, `paypal`, `bank_transfer` or `local_wallet`.
    pub method: Option<String>,
    /// Admin listing only: one account's payments.
    pub account_id: Option<String>,
    /// Payments created at or after this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_gte: Option<String>,
    /// Payments created before this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_lt: Option<String>,
    /// `desc` (newest first; the default) or `asc` (oldest first; the default for `status=pending_approval`).
    pub order: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Id of the last payment of the previous page.
    pub starting_after: Option<String>,
}

impl PaymentQuery {
    fn filter(&self) -> Result<PaymentFilter, ApiError> {
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let status = nonempty(&self.status)
            .map(|s| {
                PaymentStatus::parse(&s).ok_or_else(|| {
                    let all: Vec<&str> = PaymentStatus::ALL.iter().map(|s| s.as_str()).collect();
                    ApiError::invalid(
                        "status",
                        format!("status must be one of {}", all.join(", ")),
                    )
                })
            })
            .transpose()?;
        let method = nonempty(&self.method)
            .map(|m| {
                PaymentMethodKind::parse(&m).ok_or_else(|| {
                    ApiError::invalid(
                        "method",
                        "method must be one of stripe, paypal, bank_transfer, local_wallet",
                    )
                })
            })
            .transpose()?;
        let oldest_first = match nonempty(&self.order).as_deref() {
            None => status == Some(PaymentStatus::PendingApproval),
            Some("asc") => true,
            Some("desc") => false,
            Some(_) => return Err(ApiError::invalid("order", "order must be asc or desc")),
        };
        let account_id = nonempty(&self.account_id)
            .map(|a| AccountId::parse(&a, "account_id"))
            .transpose()?;
        Ok(PaymentFilter {
            account_id,
            status,
            method,
            from: timestamp(self.created_gte.as_deref(), "created_gte")?,
            to: timestamp(self.created_lt.as_deref(), "created_lt")?,
            oldest_first,
        })
    }
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(account_list)
        .service(account_get)
        .service(account_proof)
        .service(admin_list)
        .service(admin_get)
        .service(admin_proof);
}

/// The file's bytes with its (checked) content type; never rendered inline.
fn proof_response(p: ProofFile) -> HttpResponse {
    let safe: String = p
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, p.content_type.clone()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe}\""),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Proof-Sha256", p.sha256.clone()))
        .body(p.data)
}

/// An account's payments, newest first, by status, method and creation time.
#[utoipa::path(tag = "payments", params(("id" = String, Path, description = "Account id"), PaymentQuery), security(("bearer" = [])),
    responses((status = 200, body = PaymentList), StdErrors))]
#[get("/v1/accounts/{id}/payments")]
async fn account_list(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    q: Query<PaymentQuery>,
) -> HandlerResult {
    crate::extract::no_account_filter(q.account_id.as_deref())?;
    let filter = q.filter()?;
    let page = page(q.limit.as_deref(), q.starting_after.clone())?;
    let v = state
        .payments
        .payments
        .list(auth.ctx(), Some(&id), filter, &page)
        .await
        .map_err(path_ids(&["account_id"]))?;
    Ok(HttpResponse::Ok().json(PaymentList::from(v)))
}

/// One of an account's payments, with its status history, reference and any rejection reason.
#[utoipa::path(tag = "payments", params(("id" = String, Path, description = "Account id"), ("pid" = String, Path, description = "Payment id (`pay_…`)")),
    security(("bearer" = [])), responses((status = 200, body = Payment), StdErrors))]
#[get("/v1/accounts/{id}/payments/{pid}")]
async fn account_get(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, String)>,
) -> HandlerResult {
    let (id, pid) = path.into_inner();
    let p = state
        .payments
        .payments
        .get(auth.ctx(), Some(&id), &pid)
        .await
        .map_err(path_ids(&["account_id"]))?;
    Ok(HttpResponse::Ok().json(p))
}

/// The uploaded proof of payment of one of the account's payments: the file itself.
#[utoipa::path(tag = "payments", params(("id" = String, Path, description = "Account id"), ("pid" = String, Path, description = "Payment id")),
    security(("bearer" = [])), responses((status = 200, description = "The file (PDF, PNG or JPEG)", content_type = "application/octet-stream", body = Vec<u8>), StdErrors))]
#[get("/v1/accounts/{id}/payments/{pid}/proof")]
async fn account_proof(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, String)>,
) -> HandlerResult {
    let (id, pid) = path.into_inner();
    let p = state
        .payments
        .payments
        .proof(auth.ctx(), Some(&id), &pid)
        .await
        .map_err(path_ids(&["account_id"]))?;
    Ok(proof_response(p))
}

/// Every payment (admin), by status, method, account and creation time. `status=pending_approval`
/// is the approval queue and comes oldest first unless `order=desc`.
#[utoipa::path(tag = "payments", params(PaymentQuery), security(("bearer" = [])), responses((status = 200, body = PaymentList), StdErrors))]
#[get("/v1/admin/payments")]
async fn admin_list(state: Data<AppState>, auth: Auth, q: Query<PaymentQuery>) -> HandlerResult {
    // The scope first: a caller who may not list learns nothing from the filter's checks.
    auth.ctx().principal.ensure_admin()?;
    let filter = q.filter()?;
    let page = page(q.limit.as_deref(), q.starting_after.clone())?;
    let v = state
        .payments
        .payments
        .list(auth.ctx(), None, filter, &page)
        .await?;
    Ok(HttpResponse::Ok().json(PaymentList::from(v)))
}

/// One payment (admin).
#[utoipa::path(tag = "payments", params(("id" = String, Path, description = "Payment id")), security(("bearer" = [])),
    responses((status = 200, body = Payment), StdErrors))]
#[get("/v1/admin/payments/{id}")]
async fn admin_get(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(state.payments.payments.get(auth.ctx(), None, &id).await?))
}

/// The uploaded proof of payment (admin): the file itself.
#[utoipa::path(tag = "payments", params(("id" = String, Path, description = "Payment id")), security(("bearer" = [])),
    responses((status = 200, description = "The file (PDF, PNG or JPEG)", content_type = "application/octet-stream", body = Vec<u8>), StdErrors))]
#[get("/v1/admin/payments/{id}/proof")]
async fn admin_proof(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(proof_response(
        state.payments.payments.proof(auth.ctx(), None, &id).await?,
    ))
}
