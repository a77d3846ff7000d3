//! API keys (admin): create (the secret is shown once), list, revoke.

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpResponse, delete, get, post};
use billing_domain::entities::ApiKey;
use billing_domain::services::api_keys::CreateApiKeyInput;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::extract::JsonBody;
use crate::openapi::{PostErrors, StdErrors};
use crate::routes::{HandlerResult, PageQuery};

crate::list_type!(ApiKeyList, ApiKey);

/// A new key and its secret. The secret is shown only here, once; only its hash is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(revoke);
}

/// API keys, newest first (admin). Secrets are never shown.
#[utoipa::path(tag = "api-keys", params(PageQuery), security(("bearer" = [])), responses((status = 200, body = ApiKeyList), StdErrors))]
#[get("/v1/admin/api-keys")]
async fn list(state: Data<AppState>, auth: Auth, q: Query<PageQuery>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(ApiKeyList::from(
        state.services.api_keys.list(auth.ctx(), &q.page()?).await?,
    )))
}

/// Create an API key (admin): scope `admin`, `service` or `account` (with `account_id`).
#[utoipa::path(tag = "api-keys", request_body = CreateApiKeyInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = CreatedApiKey), PostErrors))]
#[post("/v1/admin/api-keys")]
async fn create(
    state: Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateApiKeyInput>,
) -> HandlerResult {
    let (key, secret) = state.services.api_keys.create(auth.ctx(), body.0).await?;
    Ok(HttpResponse::Created().json(CreatedApiKey {
        key,
        secret: secret.0,
    }))
}

/// Revoke an API key (admin); it authenticates nothing from now on. Revoking twice is harmless.
#[utoipa::path(tag = "api-keys", params(("id" = String, Path, description = "Key id (`key_…`)")), security(("bearer" = [])),
    responses((status = 200, body = ApiKey), StdErrors))]
#[delete("/v1/admin/api-keys/{id}")]
async fn revoke(state: Data<AppState>, auth: Auth, id: Path<String>) -> HandlerResult {
    Ok(HttpResponse::Ok().json(state.services.api_keys.revoke(auth.ctx(), &id).await?))
}
