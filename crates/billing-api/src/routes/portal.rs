//! Billing-portal links: the platform's backend asks for a one-time link and sends its user
//! there (like Stripe's customer portal sessions); it can also end an account's sessions.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, post};
use billing_domain::entities::PortalFlow;
use billing_domain::services::portal_sessions::CreatePortalSessionInput;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::JsonBody;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::{HandlerResult, path_ids};

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create).service(revoke_all);
}

/// A one-time portal link. Send the user to `url` at once: it opens one session, once,
/// until `expires_at` (10 minutes), and only its hash is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalLinkCreated {
    /// Always `portal_link`.
    pub object: &'static str,
    /// Where to send the account owner: `<base>/portal/s/<token>`.
    pub url: String,
    /// After this the link opens nothing.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: time::OffsetDateTime,
    /// The account whose portal it opens.
    pub account_id: billing_domain::types::AccountId,
    /// Where the portal's "Return to app" link leads.
    pub return_url: String,
    /// Where the link lands; `null`: the overview.
    pub flow: Option<PortalFlow>,
}

/// How many sessions were ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalSessionsRevoked {
    /// Live sessions that were ended.
    pub revoked: u64,
}

/// The base of links: `BILLING_PUBLIC_URL`, else the scheme and host this request came to.
fn base_url(state: &AppState, req: &HttpRequest) -> String {
    state.public_url.clone().unwrap_or_else(|| {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    })
}

/// Create a billing-portal link for an account (service or admin key): `return_url` is the
/// platform page the portal returns to; `flow` optionally lands on a task (`buy_credits`,
/// `pay_invoice` with `invoice_id`, `manual_payment` with `payment_id`, `subscription`).
#[utoipa::path(tag = "portal", request_body = CreatePortalSessionInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = PortalLinkCreated), PostErrors))]
#[post("/v1/portal/sessions")]
async fn create(
    state: Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonBody<CreatePortalSessionInput>,
) -> HandlerResult {
    let sessions = &state.portal.sessions;
    let (token, link) = sessions.create_link(auth.ctx(), body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(PortalLinkCreated {
            object: "portal_link",
            url: format!("{}/portal/s/{}", base_url(&state, &req), token.0),
            expires_at: link.expires_at,
            account_id: link.account_id,
            return_url: link.return_url,
            flow: link.flow,
        }))
}

/// End every live portal session of an account (service or admin key), e.g. when the
/// platform's user signs out or loses access. Audited.
#[utoipa::path(tag = "portal", params(("id" = String, Path, description = "Account id (`acct_…`)")),
    security(("bearer" = [])), responses((status = 200, body = PortalSessionsRevoked), StdErrors))]
#[delete("/v1/accounts/{id}/portal-sessions")]
async fn revoke_all(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    let revoked = state
        .portal
        .sessions
        .revoke_all(auth.ctx(), &id)
        .await
        .map_err(path_ids(&["account_id"]))?;
    Ok(HttpResponse::Ok().json(PortalSessionsRevoked { revoked }))
}
