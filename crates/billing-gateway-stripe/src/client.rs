//! Sending one Stripe call: our own idempotency key on every attempt, retries with back-off
//! for 409/429/5xx, and error translation.
//!
//! async-stripe's own retry strategies (`Retry`, `ExponentialBackoff`) send a random UUID as
//! the idempotency key and its `Idempotent(key)` strategy never retries, so a retried write
//! could not carry a key derived from our ids. Each attempt here is therefore sent with
//! `RequestStrategy::Idempotent(key)` (or `Once` for reads) and the loop is ours.

use std::time::Duration;

use billing_domain::ports::gateway::GatewayError;
use stripe::StripeError;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};

use crate::config::StripeConfig;

/// How an attempt ended, for the retry loop.
enum Verdict {
    /// Try again with the same key.
    Retry(String),
    /// Stop with this error.
    Fail(GatewayError),
}

/// async-stripe reports a non-2xx answer whose body is not a Stripe error (a proxy's HTML
/// 502, say) with this message and no status; such an answer is treated as a 5xx.
const UNREADABLE_ERROR: &str = "error deserializing Stripe error";

fn classify(err: StripeError) -> Verdict {
    match err {
        StripeError::Stripe(api, status) => {
            let message = api
                .message
                .clone()
                .unwrap_or_else(|| format!("Stripe answered {status}"));
            match status {
                409 | 429 | 500..=599 => {
                    Verdict::Retry(format!("Stripe answered {status}: {message}"))
                }
                401 | 403 => Verdict::Fail(GatewayError::Misconfigured(format!(
                    "Stripe refused the API key ({status}): {message}"
                ))),
                _ if status == 402 || api.type_.as_str() == "card_error" => {
                    let code = api
                        .decline_code
                        .clone()
                        .or_else(|| api.code.as_ref().map(|c| c.as_str().to_owned()))
                        .unwrap_or_else(|| "card_declined".to_owned());
                    Verdict::Fail(GatewayError::Declined { code, message })
                }
                // A coded refusal of the request (`charge_already_refunded`,
                // `amount_too_large`, `resource_missing`…): definitive, nothing was done, and
                // the same key would replay it. The refund flow must know it is final.
                400 | 404 if api.code.is_some() => Verdict::Fail(GatewayError::Declined {
                    code: api
                        .code
                        .as_ref()
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_default(),
                    message,
                }),
                _ => Verdict::Fail(GatewayError::Other(format!(
                    "Stripe answered {status}: {message}"
                ))),
            }
        }
        StripeError::JSONDeserialize(m) if m == UNREADABLE_ERROR => {
            Verdict::Retry("Stripe answered an error without a readable body".to_owned())
        }
        StripeError::JSONDeserialize(m) => Verdict::Fail(GatewayError::Other(format!(
            "unexpected Stripe response: {m}"
        ))),
        StripeError::Timeout => Verdict::Fail(GatewayError::Uncertain(
            "Stripe did not answer in time".to_owned(),
        )),
        StripeError::ClientError(m) => Verdict::Fail(GatewayError::Uncertain(format!(
            "could not talk to Stripe: {m}"
        ))),
        StripeError::ConfigError(m) => Verdict::Fail(GatewayError::Misconfigured(m)),
    }
}

/// The async-stripe client and our retry policy.
#[derive(Clone)]
pub(crate) struct Api {
    client: stripe::Client,
    max_attempts: u32,
    base_delay: Duration,
}

impl Api {
    pub(crate) fn new(config: &StripeConfig) -> Result<Self, GatewayError> {
        let mut base = config.api_base.trim_end_matches('/').to_owned();
        base.push('/');
        let client = stripe::ClientBuilder::new(config.secret_key.clone())
            .url(base)
            .timeout(config.timeout)
            .request_strategy(RequestStrategy::Once)
            .build()
            .map_err(|e| GatewayError::Misconfigured(format!("Stripe client: {e}")))?;
        Ok(Self {
            client,
            max_attempts: config.max_attempts.max(1),
            base_delay: config.retry_base_delay,
        })
    }

    /// Sends `request`, retrying 409/429/5xx with the same `idempotency_key` (writes pass one;
    /// reads pass `None`). Retries used up, a timeout or a broken connection → `Uncertain`.
    pub(crate) async fn send<R>(
        &self,
        what: &str,
        request: &R,
        idempotency_key: Option<&str>,
    ) -> Result<R::Output, GatewayError>
    where
        R: StripeRequest,
        R::Output: miniserde::Deserialize,
    {
        let strategy = match idempotency_key {
            Some(k) => RequestStrategy::Idempotent(
                IdempotencyKey::new(k)
                    .map_err(|e| GatewayError::Other(format!("idempotency key: {e}")))?,
            ),
            None => RequestStrategy::Once,
        };
        let mut delay = self.base_delay;
        let mut attempt = 1;
        loop {
            let result = request
                .customize()
                .request_strategy(strategy.clone())
                .send(&self.client)
                .await;
            let why = match result {
                Ok(out) => return Ok(out),
                Err(e) => match classify(e) {
                    Verdict::Fail(e) => {
                        tracing::warn!(call = what, attempt, error = %e, "Stripe call failed");
                        return Err(e);
                    }
                    Verdict::Retry(why) => why,
                },
            };
            if attempt >= self.max_attempts {
                tracing::warn!(call = what, attempt, reason = %why, "Stripe call gave up");
                return Err(GatewayError::Uncertain(format!(
                    "{what}: {why} (after {attempt} attempts)"
                )));
            }
            tracing::info!(call = what, attempt, reason = %why, ?delay, "retrying Stripe call");
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
            attempt += 1;
        }
    }
}
