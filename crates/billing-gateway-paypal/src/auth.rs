//! OAuth2 client-credentials token: cached until shortly before it expires, fetched by
//! one caller at a time (single flight: concurrent requests wait for the same fetch instead
//! of stampeding the token endpoint), dropped on a 401 so the next call fetches a new one.

use std::sync::Arc;
use std::time::Duration;

use billing_domain::ports::GatewayError;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::PayPalConfig;

/// A token is renewed this long before PayPal says it expires (or at half its life, if shorter).
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct Token {
    value: Arc<str>,
    renew_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The shared token cache.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    current: Mutex<Option<Token>>,
}

impl TokenCache {
    /// A valid token, fetched only when none is cached or it is about to expire. The lock is
    /// held across the fetch, so N concurrent callers cause one token request.
    pub(crate) async fn get(
        &self,
        http: &reqwest::Client,
        config: &PayPalConfig,
    ) -> Result<Arc<str>, GatewayError> {
        let mut guard = self.current.lock().await;
        if let Some(t) = guard.as_ref()
            && Instant::now() < t.renew_at
        {
            return Ok(t.value.clone());
        }
        let token = fetch(http, config).await?;
        let value = token.value.clone();
        *guard = Some(token);
        Ok(value)
    }

    /// Forgets `stale` after PayPal answered 401 to it; a token fetched meanwhile by another
    /// caller is kept.
    pub(crate) async fn invalidate(&self, stale: &str) {
        let mut guard = self.current.lock().await;
        if guard.as_ref().is_some_and(|t| &*t.value == stale) {
            *guard = None;
        }
    }
}

async fn fetch(http: &reqwest::Client, config: &PayPalConfig) -> Result<Token, GatewayError> {
    let url = format!("{}/v1/oauth2/token", config.oauth_url());
    let mut attempt = 0_u32;
    loop {
        let sent = http
            .post(&url)
            .basic_auth(&config.client_id, Some(config.client_secret.expose()))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await;
        let retryable = match sent {
            Err(e) => format!("token request failed: {e}"),
            Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                format!("token endpoint answered {}", r.status())
            }
            Ok(r) if r.status().is_success() => {
                let body: TokenResponse = r.json().await.map_err(|e| {
                    GatewayError::Uncertain(format!("token response unreadable: {e}"))
                })?;
                let life = Duration::from_secs(body.expires_in.unwrap_or(3600));
                let margin = EXPIRY_MARGIN.min(life / 2);
                tracing::debug!(expires_in = life.as_secs(), "paypal: new access token");
                return Ok(Token {
                    value: body.access_token.into(),
                    renew_at: Instant::now() + life - margin,
                });
            }
            Ok(r) => {
                // 400/401: the credentials are wrong; retrying will not help.
                return Err(GatewayError::Misconfigured(format!(
                    "PayPal refused the client credentials ({})",
                    r.status()
                )));
            }
        };
        if attempt >= config.max_retries {
            return Err(GatewayError::Uncertain(retryable));
        }
        tokio::time::sleep(config.retry_backoff * 2_u32.saturating_pow(attempt)).await;
        attempt += 1;
    }
}
