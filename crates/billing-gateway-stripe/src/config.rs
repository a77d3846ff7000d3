//! Adapter configuration. Secrets never appear in `Debug` output or logs.

use std::fmt;
use std::time::Duration;

/// Stripe's production API base.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// Webhook timestamps further than this from "now" are refused (Stripe's default).
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;

/// How the adapter reaches Stripe.
#[derive(Clone)]
pub struct StripeConfig {
    /// Secret API key (`sk_live_…`, `sk_test_…` or a restricted `rk_…`).
    pub secret_key: String,
    /// Webhook signing secrets (`whsec_…`); any of them verifies, so two can be active
    /// while an endpoint's secret is rolled.
    pub webhook_secrets: Vec<String>,
    /// API base URL without `/v1` (default [`DEFAULT_API_BASE`]); tests point it at a local stub.
    pub api_base: String,
    /// Where Checkout sends the payer after paying (may contain `{CHECKOUT_SESSION_ID}`).
    pub success_url: String,
    /// Where Checkout sends the payer who gives up.
    pub cancel_url: String,
    /// Per-attempt HTTP timeout; an attempt that runs over makes the outcome uncertain.
    pub timeout: Duration,
    /// Attempts for a call answered with 409, 429 or 5xx (same idempotency key each time).
    pub max_attempts: u32,
    /// First back-off delay; doubled after each retried attempt.
    pub retry_base_delay: Duration,
}

impl StripeConfig {
    /// A configuration with Stripe's API base, a 30 s timeout and 3 attempts (0.5 s, 1 s back-off).
    pub fn new(
        secret_key: impl Into<String>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Self {
        Self {
            secret_key: secret_key.into(),
            webhook_secrets: Vec::new(),
            api_base: DEFAULT_API_BASE.to_owned(),
            success_url: success_url.into(),
            cancel_url: cancel_url.into(),
            timeout: Duration::from_secs(30),
            max_attempts: 3,
            retry_base_delay: Duration::from_millis(500),
        }
    }

    /// Reads the `BILLING_STRIPE_*` settings through `get` (e.g. `|k| std::env::var(k).ok()`).
    ///
    /// `Ok(None)` when no secret key is set: Stripe is then not offered. Settings:
    /// `BILLING_STRIPE_SECRET_KEY`, `BILLING_STRIPE_WEBHOOK_SECRETS` (comma-separated),
    /// `BILLING_STRIPE_API_BASE`, `BILLING_STRIPE_SUCCESS_URL`, `BILLING_STRIPE_CANCEL_URL`,
    /// `BILLING_STRIPE_TIMEOUT_SECS`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let Some(key) = get("BILLING_STRIPE_SECRET_KEY")
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty())
        else {
            return Ok(None);
        };
        let success = get("BILLING_STRIPE_SUCCESS_URL")
            .ok_or("BILLING_STRIPE_SUCCESS_URL is required with BILLING_STRIPE_SECRET_KEY")?;
        let cancel = get("BILLING_STRIPE_CANCEL_URL")
            .ok_or("BILLING_STRIPE_CANCEL_URL is required with BILLING_STRIPE_SECRET_KEY")?;
        let mut config = Self::new(key, success, cancel);
        config.webhook_secrets = get("BILLING_STRIPE_WEBHOOK_SECRETS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(base) = get("BILLING_STRIPE_API_BASE").filter(|b| !b.trim().is_empty()) {
            config.api_base = base.trim().to_owned();
        }
        if let Some(secs) = get("BILLING_STRIPE_TIMEOUT_SECS") {
            let secs: u64 = secs.trim().parse().map_err(|_| {
                format!("BILLING_STRIPE_TIMEOUT_SECS must be whole seconds, got `{secs}`")
            })?;
            config.timeout = Duration::from_secs(secs.max(1));
        }
        Ok(Some(config))
    }
}

/// Shows a secret's kind (`sk_test`, `whsec`) and hides the rest.
fn redact(secret: &str) -> String {
    let kind = secret.rsplit_once('_').map_or("", |(head, _)| head);
    format!("{kind}_***")
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &redact(&self.secret_key))
            .field(
                "webhook_secrets",
                &self
                    .webhook_secrets
                    .iter()
                    .map(|s| redact(s))
                    .collect::<Vec<_>>(),
            )
            .field("api_base", &self.api_base)
            .field("success_url", &self.success_url)
            .field("cancel_url", &self.cancel_url)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base_delay", &self.retry_base_delay)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets() {
        let mut c = StripeConfig::new("sk_test_SECRETVALUE", "https://a/ok", "https://a/no");
        c.webhook_secrets = vec!["whsec_TOPSECRET".into()];
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("SECRETVALUE") && !shown.contains("TOPSECRET"),
            "{shown}"
        );
        assert!(
            shown.contains("sk_test_***") && shown.contains("whsec_***"),
            "{shown}"
        );
    }

    #[test]
    fn from_lookup_reads_rotation_secrets_and_defaults() {
        let env = |k: &str| match k {
            "BILLING_STRIPE_SECRET_KEY" => Some("sk_test_1".to_owned()),
            "BILLING_STRIPE_WEBHOOK_SECRETS" => Some(" whsec_new , whsec_old,".to_owned()),
            "BILLING_STRIPE_SUCCESS_URL" => Some("https://app/ok".to_owned()),
            "BILLING_STRIPE_CANCEL_URL" => Some("https://app/no".to_owned()),
            _ => None,
        };
        let c = StripeConfig::from_lookup(env)
            .expect("valid")
            .expect("configured");
        assert_eq!(c.webhook_secrets, vec!["whsec_new", "whsec_old"]);
        assert_eq!(c.api_base, DEFAULT_API_BASE);
        assert!(
            StripeConfig::from_lookup(|_| None)
                .expect("valid")
                .is_none()
        );
        assert!(
            StripeConfig::from_lookup(
                |k| (k == "BILLING_STRIPE_SECRET_KEY").then(|| "sk".to_owned())
            )
            .is_err()
        );
    }
}
