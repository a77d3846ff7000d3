//! Operations: liveness, readiness (pings the store), Prometheus metrics, the OpenAPI document.

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::HandlerResult;

/// Health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// For readiness: the store backend (`postgres`, `sqlite`, `memory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(metrics)
        .service(openapi_json)
        .service(docs);
}

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        backend: None,
    })
}

/// Readiness: the database answers (503 `service_unavailable` when it does not), and the
/// process is not shutting down (503 `shutting_down` from SIGTERM on).
#[utoipa::path(tag = "operations", responses((status = 200, body = Health), (status = 503, body = crate::error::ErrorResponse)))]
#[get("/readyz")]
async fn readyz(state: Data<AppState>) -> HandlerResult {
    if state.lifecycle.is_draining() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            crate::error::ErrorType::ApiError,
            "shutting_down",
            "this process is shutting down; send traffic to another",
        ));
    }
    state.store.ping().await.map_err(ApiError::unavailable)?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        backend: Some(state.store.backend),
    }))
}

/// Prometheus metrics (text exposition format 0.0.4).
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
#[get("/metrics")]
async fn metrics(state: Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}

/// This OpenAPI document.
#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
#[get("/openapi.json")]
async fn openapi_json(state: Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.clone())
}

/// The API reference as one HTML page, rendered from `/openapi.json`; self-contained (no
/// script, nothing loaded from elsewhere).
#[utoipa::path(tag = "operations", responses((status = 200, description = "The reference page", content_type = "text/html", body = String)))]
#[get("/docs")]
async fn docs(state: Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ))
        .body(state.docs_html.clone())
}
