//! One authenticated PayPal REST call: bearer token, `PayPal-Request-Id`, retries with
//! backoff on timeouts / connection errors / 429 / 5xx (always with the same request id, so
//! PayPal executes the operation at most once), one token refresh on 401, and PayPal's error
//! body decoded into something the adapter can decide on.

use std::sync::Arc;

use billing_domain::ports::GatewayError;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::TokenCache;
use crate::config::PayPalConfig;

/// A PayPal error answer (4xx other than a 401 we could not cure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    /// HTTP status.
    pub status: u16,
    /// `name`, e.g. `UNPROCESSABLE_ENTITY`.
    pub name: String,
    /// The first `details[].issue`, e.g. `ORDER_ALREADY_CAPTURED`.
    pub issue: Option<String>,
    /// Human text.
    pub message: String,
    /// PayPal's `debug_id`, for support requests.
    pub debug_id: Option<String>,
}

impl Rejection {
    /// The code the domain sees: the issue if any, else the name.
    pub(crate) fn code(&self) -> String {
        self.issue.clone().unwrap_or_else(|| self.name.clone())
    }

    /// The usual mapping: 401/403 → misconfigured, 422 → declined, the rest → other.
    pub(crate) fn into_gateway_error(self) -> GatewayError {
        let text = format!(
            "{} {}: {} (debug_id {})",
            self.status,
            self.code(),
            self.message,
            self.debug_id.as_deref().unwrap_or("-")
        );
        match self.status {
            401 | 403 => GatewayError::Misconfigured(text),
            422 => GatewayError::Declined {
                code: self.code(),
                message: self.message,
            },
            _ => GatewayError::Other(text),
        }
    }
}

/// Why a call failed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// PayPal answered with a 4xx.
    Rejected(Rejection),
    /// Anything already mapped (uncertain outcome, bad token, unreadable body).
    Gateway(GatewayError),
}

impl From<CallError> for GatewayError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Rejected(r) => r.into_gateway_error(),
            CallError::Gateway(g) => g,
        }
    }
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    debug_id: Option<String>,
    #[serde(default)]
    details: Vec<ErrorDetail>,
    // OAuth-style errors.
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    issue: Option<String>,
}

/// The shared HTTP client, configuration and token cache.
#[derive(Debug)]
pub(crate) struct Api {
    pub http: reqwest::Client,
    pub config: Arc<PayPalConfig>,
    pub tokens: TokenCache,
}

impl Api {
    /// Builds the client with the configured per-attempt timeout.
    pub(crate) fn new(config: PayPalConfig) -> Result<Self, GatewayError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "billing-gateway-paypal/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| GatewayError::Misconfigured(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            config: Arc::new(config),
            tokens: TokenCache::default(),
        })
    }

    /// Sends `method url` with an optional JSON body and `PayPal-Request-Id`, asking for the
    /// full representation, and decodes the 2xx answer as `T`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        request_id: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<T, CallError> {
        let bytes = body;
        let mut attempt = 0_u32;
        let mut refreshed = false;
        loop {
            let token = self
                .tokens
                .get(&self.http, &self.config)
                .await
                .map_err(CallError::Gateway)?;
            let mut req = self
                .http
                .request(method.clone(), url)
                .header(AUTHORIZATION, format!("Bearer {token}"));
            if let Some(id) = request_id {
                req = req.header("PayPal-Request-Id", id);
            }
            if let Some(b) = &bytes {
                req = req
                    .header(CONTENT_TYPE, "application/json")
                    .header("Prefer", "return=representation")
                    .body(b.clone());
            }
            let retryable = match req.send().await {
                Err(e) => format!("{method} {url}: {e}"),
                Ok(r) if r.status().as_u16() == 401 && !refreshed => {
                    tracing::info!(%url, "paypal: 401, refreshing the access token once");
                    self.tokens.invalidate(&token).await;
                    refreshed = true;
                    continue;
                }
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    format!("{method} {url}: PayPal answered {}", r.status())
                }
                Ok(r) => {
                    let status = r.status();
                    match r.bytes().await {
                        Err(e) => format!("{method} {url}: reading the answer: {e}"),
                        Ok(raw) if status.is_success() => {
                            return serde_json::from_slice(&raw).map_err(|e| {
                                CallError::Gateway(GatewayError::Other(format!(
                                    "{method} {url}: unexpected PayPal response: {e}"
                                )))
                            });
                        }
                        Ok(raw) => {
                            return Err(CallError::Rejected(rejection(status.as_u16(), &raw)));
                        }
                    }
                }
            };
            if attempt >= self.config.max_retries {
                tracing::warn!(%url, attempts = attempt + 1, "paypal: giving up, outcome unknown");
                return Err(CallError::Gateway(GatewayError::Uncertain(retryable)));
            }
            tracing::debug!(%url, attempt, "paypal: retrying: {retryable}");
            tokio::time::sleep(self.config.retry_backoff * 2_u32.saturating_pow(attempt)).await;
            attempt += 1;
        }
    }
}

fn rejection(status: u16, raw: &[u8]) -> Rejection {
    let body: ErrorBody = serde_json::from_slice(raw).unwrap_or_default();
    let issue = body.details.into_iter().find_map(|d| d.issue);
    let name = if body.name.is_empty() {
        body.error
            .clone()
            .unwrap_or_else(|| format!("HTTP_{status}"))
    } else {
        body.name
    };
    let message = if body.message.is_empty() {
        body.error_description.unwrap_or_default()
    } else {
        body.message
    };
    Rejection {
        status,
        name,
        issue,
        message,
        debug_id: body.debug_id,
    }
}
