//! Credits: balance, usage debits, the ledger, operator adjustments, verification.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, get, post};
use billing_domain::BillingError;
use billing_domain::entities::{LedgerEntry, LotAllocation};
use billing_domain::services::credit_lots::CreditsByLot;
use billing_domain::services::credits::{AdjustmentInput, DebitInput, VerifyReport};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::{JsonBody, page, timestamp};
use crate::metrics::DebitOutcome;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::HandlerResult;

crate::list_type!(LedgerEntryList, LedgerEntry);

/// Filters and pagination of the ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// Comma-separated kinds, e.g. `usage_debit,admin_adjustment`.
    pub kind: Option<String>,
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
    cfg.service(balance)
        .service(debit)
        .service(ledger)
        .service(allocations)
        .service(adjust)
        .service(verify);
}

/// Balance, held and available credits, split by lot in spend order (allowance and other
/// granted credits first, then the soonest expiring, then the oldest), with what expires next.
#[utoipa::path(tag = "credits", params(("id" = String, Path, description = "Account id")), security(("bearer" = [])),
    responses((status = 200, body = CreditsByLot), StdErrors))]
#[get("/v1/accounts/{id}/credits")]
async fn balance(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(state.services.lots.by_lot(auth.ctx(), &id).await?))
}

/// What one ledger entry took from or gave to each credit lot (`amount` moves the lot's
/// remaining credits, `held` its held ones).
#[utoipa::path(tag = "credits", params(("id" = String, Path, description = "Account id"),
        ("entry_id" = String, Path, description = "Ledger entry id")), security(("bearer" = [])),
    responses((status = 200, body = Vec<LotAllocation>), StdErrors))]
#[get("/v1/accounts/{id}/credits/ledger/{entry_id}/allocations")]
async fn allocations(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(String, String)>,
) -> HandlerResult {
    let (id, entry) = path.into_inner();
    Ok(HttpResponse::Ok().json(
        state
            .services
            .lots
            .allocations(auth.ctx(), &id, &entry)
            .await?,
    ))
}

/// Spend credits (service or admin key). Idempotent by `Idempotency-Key` and by `reference`;
/// never below zero: 402 `insufficient_credits` (with `balance`, `available`, `shortfall`) writes nothing.
#[utoipa::path(tag = "credits", request_body = DebitInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 200, description = "The ledger entry (the original one on a repeat)", body = LedgerEntry),
        (status = 402, description = "Insufficient credits", body = crate::error::ErrorResponse), PostErrors))]
#[post("/v1/accounts/{id}/credits/debit")]
async fn debit(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<DebitInput>,
) -> HandlerResult {
    let result = state.services.credits.debit(auth.ctx(), &id, body.0).await;
    state.metrics.observe_debit(match &result {
        Ok(_) => DebitOutcome::Succeeded,
        Err(BillingError::InsufficientCredits { .. }) => DebitOutcome::InsufficientCredits,
        Err(_) => DebitOutcome::Rejected,
    });
    Ok(HttpResponse::Ok().json(result?))
}

/// Ledger entries, newest first, filtered by kind and creation time.
#[utoipa::path(tag = "credits", params(("id" = String, Path, description = "Account id"), LedgerQuery), security(("bearer" = [])),
    responses((status = 200, body = LedgerEntryList), StdErrors))]
#[get("/v1/accounts/{id}/credits/ledger")]
async fn ledger(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    q: Query<LedgerQuery>,
) -> HandlerResult {
    let q = q.into_inner();
    let from = timestamp(q.created_gte.as_deref(), "created_gte")?;
    let to = timestamp(q.created_lt.as_deref(), "created_lt")?;
    let page = page(q.limit.as_deref(), q.starting_after)?;
    let entries = state
        .services
        .credits
        .ledger(auth.ctx(), &id, q.kind.as_deref(), from, to, &page)
        .await?;
    Ok(HttpResponse::Ok().json(LedgerEntryList::from(entries)))
}

/// An operator's signed adjustment (admin); `reason` is required and audited.
#[utoipa::path(tag = "credits", request_body = AdjustmentInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = LedgerEntry), (status = 402, description = "Would go below zero", body = crate::error::ErrorResponse), PostErrors))]
#[post("/v1/accounts/{id}/credits/adjustments")]
async fn adjust(
    state: Data<AppState>,
    auth: Auth,
    id: Path<String>,
    body: JsonBody<AdjustmentInput>,
) -> HandlerResult {
    Ok(HttpResponse::Created().json(
        state
            .services
            .credits
            .adjust(auth.ctx(), &id, body.0)
            .await?,
    ))
}

/// Checks `balance == Σ entries` and `held == Σ active holds` for every account (admin).
#[utoipa::path(tag = "credits", security(("bearer" = [])), responses((status = 200, body = VerifyReport), StdErrors))]
#[get("/v1/admin/credits/verify")]
async fn verify(state: Data<AppState>, auth: Auth) -> HandlerResult {
    Ok(HttpResponse::Ok().json(state.services.credits.verify(auth.ctx()).await?))
}
