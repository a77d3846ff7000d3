//! Invoices: manual invoices and their lifecycle (admin), listings for operators and accounts.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, get, post};
use billing_domain::entities::{Invoice, InvoiceStatus};
use billing_domain::ports::InvoiceFilter;
use billing_domain::services::invoices::{ManualInvoiceInput, OptionalReasonInput, ReasonInput};
use billing_domain::types::AccountId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, OptionalJsonBody, page, timestamp};
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::{HandlerResult, path_ids};

crate::list_type!(InvoiceList, Invoice);

/// Filters and pagination of invoice listings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    /// `draft`, `pending`, `paid`, `void` or `uncollectible`.
    pub status: Option<String>,
    /// Invoices created at or after this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_gte: Option<String>,
    /// Invoices created before this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_lt: Option<String>,
    /// Admin listing only: one account's invoices.
    pub account_id: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Id of the last invoice of the previous page.
    pub starting_after: Option<String>,
}

impl InvoiceQuery {
    fn filter(&self) -> Result<InvoiceFilter, ApiError> {
        let status = self
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                InvoiceStatus::parse(s).ok_or_else(|| {
                    ApiError::invalid(
                        "status",
                        "status must be one of draft, pending, paid, void, uncollectible",
                    )
                })
            })
            .transpose()?;
        let account_id = self
            .account_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|a| AccountId::parse(a, "account_id"))
            .transpose()?;
        Ok(InvoiceFilter {
            account_id,
            status,
            from: timestamp(self.created_gte.as_deref(), "created_gte")?,
            to: timestamp(self.created_lt.as_deref(), "created_lt")?,
        })
    }
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(finalize)
        .service(void)
        .service(mark_uncollectible)
        .service(admin_list)
        .service(admin_get)
        .service(account_list)
        .service(account_get);
}

/// Create a manual invoice for any account (admin): a draft, or numbered at once with `finalize: true`.
#[utoipa::path(tag = "invoices", request_body = ManualInvoiceInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = Invoice), PostErrors))]
#[post("/v1/admin/invoices")]
async fn create(
    state: Data<AppState>,
    auth: Auth,
    body: JsonBody<ManualInvoiceInput>,
) -> HandlerResult {
    let inv = state
        .payments
        .invoices
        .create_manual(auth.ctx(), body.0)
        .await?;
    Ok(HttpResponse::Created().json(inv))
}

/// Finalize a draft (admin): `draft → pending`, with the next gapless number of the year
/// (`INV-2026-000001`) and a snapshot of the billing profile. 409 if not a draft.
#[utoipa::path(tag = "invoices", params(("id" = String, Path, description = "Invoice id (`inv_…`)"),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")), security(("bearer" = [])),
    responses((status = 200, body = Invoice), PostErrors))]
#[post("/v1/admin/invoices/{id}/finalize")]
async fn finalize(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(state.payments.invoices.finalize(auth.ctx(), &id).await?))
}

/// Void an invoice (admin; `reason` required, audited). A paid invoice cannot be voided.
#[utoipa::path(tag = "invoices", request_body = ReasonInput, params(("id" = String, Path, description = "Invoice id"),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")), security(("bearer" = [])),
    responses((status = 200, body = Invoice), PostErrors))]
#[post("/v1/admin/invoices/{id}/void")]
async fn void(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<ReasonInput>,
) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .payments
            .invoices
            .void(auth.ctx(), &id, body.0)
            .await?,
    ))
}

/// Write an invoice off (admin; optional `reason`); it can still be paid or voided later.
#[utoipa::path(tag = "invoices", request_body(content = OptionalReasonInput, description = "Optional"), params(("id" = String, Path, description = "Invoice id"),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")), security(("bearer" = [])),
    responses((status = 200, body = Invoice), PostErrors))]
#[post("/v1/admin/invoices/{id}/mark-uncollectible")]
async fn mark_uncollectible(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: OptionalJsonBody<OptionalReasonInput>,
) -> HandlerResult {
    Ok(HttpResponse::Ok().json(
        state
            .payments
            .invoices
            .mark_uncollectible(auth.ctx(), &id, body.0)
            .await?,
    ))
}

/// Every invoice, newest first, by status, creation time and account (admin).
#[utoipa::path(tag = "invoices", params(InvoiceQuery), security(("bearer" = [])), responses((status = 200, body = InvoiceList), StdErrors))]
#[get("/v1/admin/invoices")]
async fn admin_list(state: Data<AppState>, auth: Auth, q: Query<InvoiceQuery>) -> HandlerResult {
    // The scope first: a caller who may not list learns nothing from the filter's checks.
    auth.ctx().principal.ensure_admin()?;
    let filter = q.filter()?;
    let page = page(q.limit.as_deref(), q.starting_after.clone())?;
    let v = state
        .payments
        .invoices
        .list(auth.ctx(), None, filter, &page)
        .await?;
    Ok(HttpResponse::Ok().json(InvoiceList::from(v)))
}

/// One invoice (admin).
#[utoipa::path(tag = "invoices", params(("id" = String, Path, description = "Invoice id")), security(("bearer" = [])),
    responses((status = 200, body = Invoice), StdErrors))]
#[get("/v1/admin/invoices/{id}")]
async fn admin_get(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(state.payments.invoices.get(auth.ctx(), None, &id).await?))
}

/// An account's invoices, newest first, by status and creation time.
#[utoipa::path(tag = "invoices", params(("id" = String, Path, description = "Account id"), InvoiceQuery), security(("bearer" = [])),
    responses((status = 200, body = InvoiceList), StdErrors))]
#[get("/v1/accounts/{id}/invoices")]
async fn account_list(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    q: Query<InvoiceQuery>,
) -> HandlerResult {
    crate::extract::no_account_filter(q.account_id.as_deref())?;
    let filter = q.filter()?;
    let page = page(q.limit.as_deref(), q.starting_after.clone())?;
    let v = state
        .payments
        .invoices
        .list(auth.ctx(), Some(&id), filter, &page)
        .await
        .map_err(path_ids(&["account_id"]))?;
    Ok(HttpResponse::Ok().json(InvoiceList::from(v)))
}

/// One of an account's invoices.
#[utoipa::path(tag = "invoices", params(("id" = String, Path, description = "Account id"), ("iid" = String, Path, description = "Invoice id")),
    security(("bearer" = [])), responses((status = 200, body = Invoice), StdErrors))]
#[get("/v1/accounts/{id}/invoices/{iid}")]
async fn account_get(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, String)>,
) -> HandlerResult {
    let (id, iid) = path.into_inner();
    let inv = state
        .payments
        .invoices
        .get(auth.ctx(), Some(&id), &iid)
        .await
        .map_err(path_ids(&["account_id"]))?;
    Ok(HttpResponse::Ok().json(inv))
}
