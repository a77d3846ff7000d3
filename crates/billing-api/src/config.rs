//! Configuration: defaults, then an optional TOML file (`--config FILE` or `BILLING_CONFIG`),
//! then environment variables, which win.
//!
//! | key (file)                    | env                              | default                       |
//! |-------------------------------|----------------------------------|-------------------------------|
//! | `database_url`                | `DATABASE_URL`                   | `sqlite://data/billing.db`    |
//! | `bind`                        | `BILLING_BIND`                   | `127.0.0.1:8080`              |
//! | `log`                         | `BILLING_LOG` (or `RUST_LOG`)    | `info`                        |
//! | `log_format`                  | `BILLING_LOG_FORMAT`             | `pretty` (`json`)             |
//! | `db_pool_size`                | `BILLING_DB_POOL_SIZE`           | `16`                          |
//! | `workers`                     | `BILLING_WORKERS`                | number of CPUs                |
//! | `sweep_interval_seconds`      | `BILLING_SWEEP_INTERVAL_SECONDS` | `5`                           |
//! | `idempotency_retention_hours` | `BILLING_IDEMPOTENCY_RETENTION_HOURS` | `24`                     |
//! | `client_request_timeout_seconds` | `BILLING_CLIENT_REQUEST_TIMEOUT_SECONDS` | `10` (time to receive a request's head) |
//! | `invoice_prefix`              | `BILLING_INVOICE_PREFIX`         | `INV` (numbers read `INV-2026-000001`) |
//! | `manual_payment_expiry_days`  | `BILLING_MANUAL_PAYMENT_EXPIRY_DAYS` | `7`                        |
//! | `invoice_due_days`            | `BILLING_INVOICE_DUE_DAYS`       | `14`                          |
//! | `subscription_due_days`       | `BILLING_SUBSCRIPTION_DUE_DAYS`  | `7` (a sent renewal invoice; never past the period end) |
//! | `auth_failure_limit`          | `BILLING_AUTH_FAILURE_LIMIT`     | `20` failed authentications a minute per client address and per key prefix, then 429 (`0`: off) |
//! | —                             | `BILLING_IDEMPOTENCY_LEASE_SECONDS` | `120`: an unfinished request holds its key this long |
//! | —                             | `BILLING_SHUTDOWN_DRAIN_SECONDS` | `5`: after SIGTERM, not ready but serving, before it stops accepting |
//! | `max_proof_bytes`             | `BILLING_MAX_PROOF_BYTES`        | `5242880` (5 MiB)             |
//! | —                             | `BILLING_STRIPE_*` (see [`GATEWAY_ENV`], docs/stripe.md) | Stripe off |
//! | —                             | `BILLING_PAYPAL_*` (see [`GATEWAY_ENV`], docs/paypal.md) | PayPal off |
//! | —                             | `BILLING_PAYPAL_RETURN_PAGE`     | none: the return answers JSON |
//! | —                             | `BILLING_TEST_MODE`              | `false`; `true` mounts the test clock (`POST /v1/test/clock`) |
//! | `[seller]`                    | `BILLING_SELLER_*` (see [`crate::config_seller`]) | the seller printed on invoices |
//! | `[mail]`                      | `BILLING_SMTP_URL`, `BILLING_MAIL_*` (see [`crate::config_mail`]) | `.eml` files in `data/outbox-mail` |
//! | —                             | `BILLING_PUBLIC_URL`, `BILLING_PORTAL_*` (see [`crate::config_portal`]) | links on the request's host, 30 min idle, 4 h sessions |

use std::path::Path;
use std::time::Duration;

use billing_domain::services::PaymentSettings;

pub use crate::config_gateways::{GATEWAY_ENV, GatewayEnv};
use crate::config_payments::{check_payments, payment_env};
use serde::Deserialize;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, with the request span's fields.
    Json,
}

/// Configuration errors.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// An environment variable has a bad value.
    #[error("invalid {name}={value}: {message}")]
    Env {
        /// Variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why.
        message: &'static str,
    },
}

/// The optional file's shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    db_pool_size: Option<u32>,
    workers: Option<usize>,
    sweep_interval_seconds: Option<u64>,
    idempotency_retention_hours: Option<u64>,
    client_request_timeout_seconds: Option<u64>,
    invoice_prefix: Option<String>,
    manual_payment_expiry_days: Option<i64>,
    invoice_due_days: Option<i64>,
    subscription_due_days: Option<i64>,
    max_proof_bytes: Option<usize>,
    auth_failure_limit: Option<u32>,
    seller: Option<crate::config_seller::SellerFile>,
    mail: Option<crate::config_mail::MailFile>,
}

/// The server's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `postgres://…`, `sqlite://path`, or `memory:` (in-process, not persisted).
    pub database_url: String,
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// A `tracing` filter, e.g. `info,billing_api=debug`.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Database connections.
    pub db_pool_size: u32,
    /// HTTP worker threads.
    pub workers: usize,
    /// How often background sweeps run (expired holds).
    pub sweep_interval: Duration,
    /// How long idempotency records are kept.
    pub idempotency_retention: Duration,
    /// How long a new connection may take to send its request head (then 408).
    pub client_request_timeout: Duration,
    /// Invoice numbering, due dates, manual payment expiry, proof upload size.
    pub payments: PaymentSettings,
    /// The Stripe and PayPal settings (`BILLING_STRIPE_*`, `BILLING_PAYPAL_*`), read from the
    /// environment by [`Config::from_sources`]; tests set them here instead (no process env).
    pub gateway_env: GatewayEnv,
    /// Where `GET /v1/paypal/return` redirects the payer (303) once the order is handled
    /// (`BILLING_PAYPAL_RETURN_PAGE`); `payment_id` and `status` are appended as query
    /// parameters. Without it the return answers a small JSON document.
    pub paypal_return_page: Option<String>,
    /// `BILLING_TEST_MODE=true`: the server's clock can be moved forward with
    /// `POST /v1/test/clock` (never in production: renewals and expiries follow it).
    pub test_mode: bool,
    /// Failed authentications a minute per client address and per key prefix before 429.
    pub auth_failure_limit: u32,
    /// How long a process keeps serving after SIGTERM, not ready, before it stops accepting.
    pub shutdown_drain: Duration,
    /// How long an unfinished request holds its Idempotency-Key (a retry then runs it).
    pub idempotency_lease: Duration,
    /// The seller printed on invoices (`[seller]`, `BILLING_SELLER_*`).
    pub seller: billing_domain::entities::Seller,
    /// The seller's tax position (`BILLING_SELLER_COUNTRY`, `BILLING_SELLER_TAX_REGISTERED`).
    pub seller_tax: Option<billing_domain::entities::SellerTax>,
    /// The seller's logo, read from `BILLING_SELLER_LOGO` at startup, printed on invoices.
    pub seller_logo: Option<billing_pdf::Logo>,
    /// Outgoing e-mail (`[mail]`, `BILLING_SMTP_URL`, `BILLING_MAIL_*`).
    pub mail: crate::config_mail::MailSettings,
    /// The billing portal (`BILLING_PUBLIC_URL`, `BILLING_PORTAL_*`).
    pub portal: crate::config_portal::PortalConfig,
}

/// The default database when nothing is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/billing.db";
/// The default listen address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: DEFAULT_BIND.to_owned(),
            log: "info".to_owned(),
            log_format: LogFormat::Pretty,
            db_pool_size: 16,
            workers: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            sweep_interval: Duration::from_secs(5),
            idempotency_retention: Duration::from_secs(24 * 3600),
            client_request_timeout: Duration::from_secs(10),
            payments: PaymentSettings::default(),
            gateway_env: GatewayEnv::default(),
            paypal_return_page: None,
            test_mode: false,
            auth_failure_limit: 20,
            shutdown_drain: crate::lifecycle::DEFAULT_DRAIN,
            idempotency_lease: Duration::from_secs(120),
            seller: billing_domain::entities::Seller::default(),
            seller_logo: None,
            seller_tax: None,
            mail: crate::config_mail::MailSettings::default(),
            portal: crate::config_portal::PortalConfig::default(),
        }
    }
}

pub(crate) fn parse_env<T: std::str::FromStr>(
    name: &'static str,
    value: String,
    message: &'static str,
) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Env {
        name,
        value,
        message,
    })
}

impl Config {
    /// Loads from `file` (if any) and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let text = match file {
            Some(p) => Some(
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?,
            ),
            None => None,
        };
        let path = file.map(|p| p.display().to_string()).unwrap_or_default();
        Self::from_sources(text.as_deref(), &path, |k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        })
    }

    /// Builds a config from a file's text and an environment lookup (testable without a process env).
    pub fn from_sources(
        file: Option<&str>,
        path: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let f: FileConfig = match file {
            Some(t) => toml::from_str(t).map_err(|e| ConfigError::Parse {
                path: path.to_owned(),
                message: e.to_string(),
            })?,
            None => FileConfig::default(),
        };
        let mut c = Self::default();
        let logo_path;
        c.seller_tax = crate::config_seller::seller_tax(f.seller.as_ref(), &env)?;
        (c.seller, logo_path) = crate::config_seller::seller_config(f.seller.clone(), &env)?;
        c.seller_logo = logo_path
            .map(|p| crate::config_seller::read_logo(&p))
            .transpose()?;
        c.mail = crate::config_mail::mail_config(f.mail.clone(), &c.seller, &env)?;
        if let Some(v) = f.database_url {
            c.database_url = v;
        }
        if let Some(v) = f.bind {
            c.bind = v;
        }
        if let Some(v) = f.log {
            c.log = v;
        }
        if let Some(v) = f.log_format {
            c.log_format = v;
        }
        if let Some(v) = f.db_pool_size {
            c.db_pool_size = v;
        }
        if let Some(v) = f.workers {
            c.workers = v;
        }
        if let Some(v) = f.sweep_interval_seconds {
            c.sweep_interval = Duration::from_secs(v);
        }
        if let Some(v) = f.idempotency_retention_hours {
            c.idempotency_retention = Duration::from_secs(v * 3600);
        }
        if let Some(v) = f.client_request_timeout_seconds {
            c.client_request_timeout = Duration::from_secs(v);
        }
        if let Some(v) = f.invoice_prefix {
            c.payments.invoice_prefix = v;
        }
        if let Some(v) = f.manual_payment_expiry_days {
            c.payments.manual_payment_expiry_days = v;
        }
        if let Some(v) = f.invoice_due_days {
            c.payments.invoice_due_days = v;
        }
        if let Some(v) = f.subscription_due_days {
            c.payments.subscription_due_days = v;
        }
        if let Some(v) = f.auth_failure_limit {
            c.auth_failure_limit = v;
        }
        if let Some(v) = f.max_proof_bytes {
            c.payments.max_proof_bytes = v;
        }
        if let Some(v) = env("DATABASE_URL") {
            c.database_url = v;
        }
        if let Some(v) = env("BILLING_BIND") {
            c.bind = v;
        }
        if let Some(v) = env("BILLING_LOG").or_else(|| env("RUST_LOG")) {
            c.log = v;
        }
        if let Some(v) = env("BILLING_LOG_FORMAT") {
            c.log_format = match v.trim().to_ascii_lowercase().as_str() {
                "json" => LogFormat::Json,
                "pretty" | "text" => LogFormat::Pretty,
                _ => {
                    return Err(ConfigError::Env {
                        name: "BILLING_LOG_FORMAT",
                        value: v,
                        message: "must be json or pretty",
                    });
                }
            };
        }
        if let Some(v) = env("BILLING_DB_POOL_SIZE") {
            c.db_pool_size = parse_env("BILLING_DB_POOL_SIZE", v, "must be a positive integer")?;
        }
        if let Some(v) = env("BILLING_WORKERS") {
            c.workers = parse_env("BILLING_WORKERS", v, "must be a positive integer")?;
        }
        if let Some(v) = env("BILLING_SWEEP_INTERVAL_SECONDS") {
            c.sweep_interval = Duration::from_secs(parse_env(
                "BILLING_SWEEP_INTERVAL_SECONDS",
                v,
                "must be a whole number of seconds",
            )?);
        }
        if let Some(v) = env("BILLING_IDEMPOTENCY_RETENTION_HOURS") {
            c.idempotency_retention = Duration::from_secs(
                parse_env::<u64>(
                    "BILLING_IDEMPOTENCY_RETENTION_HOURS",
                    v,
                    "must be a whole number of hours",
                )? * 3600,
            );
        }
        if let Some(v) = env("BILLING_CLIENT_REQUEST_TIMEOUT_SECONDS") {
            c.client_request_timeout = Duration::from_secs(parse_env(
                "BILLING_CLIENT_REQUEST_TIMEOUT_SECONDS",
                v,
                "must be a whole number of seconds",
            )?);
        }
        if let Some(v) = env("BILLING_AUTH_FAILURE_LIMIT") {
            c.auth_failure_limit =
                parse_env("BILLING_AUTH_FAILURE_LIMIT", v, "must be a whole number")?;
        }
        if let Some(v) = env("BILLING_IDEMPOTENCY_LEASE_SECONDS") {
            c.idempotency_lease = Duration::from_secs(parse_env(
                "BILLING_IDEMPOTENCY_LEASE_SECONDS",
                v,
                "must be a whole number of seconds",
            )?);
        }
        if let Some(v) = env("BILLING_SHUTDOWN_DRAIN_SECONDS") {
            c.shutdown_drain = Duration::from_secs(parse_env(
                "BILLING_SHUTDOWN_DRAIN_SECONDS",
                v,
                "must be a whole number of seconds",
            )?);
        }
        if let Some(v) = env("BILLING_TEST_MODE") {
            c.test_mode = parse_env("BILLING_TEST_MODE", v, "must be true or false")?;
        }
        payment_env(&mut c.payments, &env)?;
        c.portal = crate::config_portal::portal_config(&env)?;
        for name in GATEWAY_ENV {
            if let Some(v) = env(name) {
                c.gateway_env.set(*name, v);
            }
        }
        c.paypal_return_page = env("BILLING_PAYPAL_RETURN_PAGE").filter(|v| !v.trim().is_empty());
        check_payments(&c.payments)?;
        c.db_pool_size = c.db_pool_size.max(1);
        c.workers = c.workers.max(1);
        c.sweep_interval = c.sweep_interval.max(Duration::from_secs(1));
        Ok(c)
    }

    /// Defaults with another database and a free port: what tests use (patient with slow
    /// clients, since a loaded test machine may take seconds to send a request).
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            bind: "127.0.0.1:0".to_owned(),
            workers: 2,
            db_pool_size: 8,
            client_request_timeout: Duration::from_secs(120),
            // Tests send many bad keys from one address on purpose; the throttle's own test
            // turns it on.
            auth_failure_limit: 0,
            // Mail tests turn the worker on with their own SMTP server.
            mail: crate::config_mail::MailSettings {
                enabled: false,
                ..Default::default()
            },
            ..Self::default()
        }
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
