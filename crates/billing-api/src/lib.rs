//! # billing-api
//!
//! The thin HTTP layer of the billing platform: actix-web handlers that translate HTTP to the
//! use cases of [`billing_domain::services`], and back. Everything a serious API needs around
//! them lives here too: API-key authentication ([`auth`]), one error shape ([`error`]),
//! `Idempotency-Key` handling stored in the database ([`idempotency`]), request ids in every
//! response and log line ([`request_id`]), Prometheus metrics ([`metrics`]), the OpenAPI
//! document generated from the handlers ([`openapi`]), configuration ([`config`]) and the
//! server itself ([`server`]), which tests start on port 0.

pub mod app;
pub mod auth;
pub mod auth_throttle;
pub mod cli;
pub mod config;
mod config_gateways;
pub mod config_mail;
mod config_payments;
pub mod config_portal;
mod config_seller;
pub mod docs_page;
pub mod error;
pub mod extract;
pub mod idempotency;
mod json_input;
pub mod lifecycle;
pub mod mail_worker;
pub mod metrics;
pub mod openapi;
pub mod openapi_rules;
pub mod request_id;
pub mod routes;
pub mod seed;
pub mod seed_sample;
pub mod seed_tax;
pub mod server;
pub mod store;
pub mod telemetry;

pub use app::AppState;
pub use config::Config;
pub use error::ApiError;
