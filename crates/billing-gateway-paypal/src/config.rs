//! Configuration: credentials, environment, verification mode, base URLs and timeouts.
//!
//! Secrets never appear in `Debug` output or logs. [`PayPalConfig::from_lookup`] reads the
//! `BILLING_PAYPAL_*` variables and says precisely what is missing when PayPal is not
//! configured, so the payment-method resolver can tell operators why PayPal is not offered.

use std::fmt;
use std::time::Duration;

/// The bundled trust anchor: the DigiCert intermediate that issued PayPal's
/// `messageverificationcerts` certificates, as shipped by PayPal's own Java SDK (DER).
pub const DIGICERT_SHA2_EV_SERVER_CA_DER: &[u8] =
    include_bytes!("../data/DigiCertSHA2ExtendedValidationServerCA.der");

/// Sandbox or live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayPalMode {
    /// `https://api-m.sandbox.paypal.com`.
    Sandbox,
    /// `https://api-m.paypal.com`.
    Live,
}

impl PayPalMode {
    /// The default REST base URL of this mode.
    pub fn default_api_base(self) -> &'static str {
        match self {
            Self::Sandbox => "https://api-m.sandbox.paypal.com",
            Self::Live => "https://api-m.paypal.com",
        }
    }
}

/// How webhook signatures are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    /// Offline: CRC32 + RSA-SHA256 against the certificate named by `PAYPAL-CERT-URL`,
    /// which must be on a PayPal host and chain to a trusted CA.
    Local,
    /// PayPal's `POST /v1/notifications/verify-webhook-signature`.
    Api,
}

/// A secret string whose `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; use it only to authenticate.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything the adapter needs.
#[derive(Debug, Clone)]
pub struct PayPalConfig {
    /// REST app client id.
    pub client_id: String,
    /// REST app secret (redacted in `Debug`).
    pub client_secret: Secret,
    /// The id of our webhook in the PayPal app (part of the signed message).
    pub webhook_id: String,
    /// Sandbox or live.
    pub mode: PayPalMode,
    /// Local or API webhook verification.
    pub verify: VerifyMode,
    /// REST base URL; `None` = the mode's default.
    pub api_base: Option<String>,
    /// Override for Orders v2 (`/v2/checkout/orders`).
    pub orders_base: Option<String>,
    /// Override for Payments v2 (`/v2/payments/...`).
    pub payments_base: Option<String>,
    /// Override for Notifications v1 (`/v1/notifications/...`).
    pub notifications_base: Option<String>,
    /// Override for OAuth2 (`/v1/oauth2/token`).
    pub oauth_base: Option<String>,
    /// Where PayPal sends the payer after approval (it appends `token=<order id>`).
    pub return_url: String,
    /// Where PayPal sends the payer who cancels.
    pub cancel_url: String,
    /// Brand name shown on PayPal's pages; `None` = the PayPal account's name.
    pub brand_name: Option<String>,
    /// Timeout of one HTTP attempt.
    pub timeout: Duration,
    /// Retries after a timeout, connection error, 429 or 5xx (same `PayPal-Request-Id`).
    pub max_retries: u32,
    /// First retry delay; doubled each time.
    pub retry_backoff: Duration,
    /// The merchant is approved for vaulting PayPal wallets (reference transactions): a
    /// subscription's first order saves the payer (`store_in_vault: ON_SUCCESS`) and
    /// renewals are charged on the vault token without the payer. Off: every renewal is a
    /// pay link.
    pub vault: bool,
    /// Trusted CA certificates (DER) for local verification; the bundled DigiCert
    /// intermediate by default. Add the CA that issues PayPal's current certificates here.
    pub trusted_ca_der: Vec<Vec<u8>>,
}

impl PayPalConfig {
    /// A config with defaults: sandbox, local verification, 10 s timeout, 2 retries from
    /// 200 ms, the bundled DigiCert anchor.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        webhook_id: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret),
            webhook_id: webhook_id.into(),
            mode: PayPalMode::Sandbox,
            verify: VerifyMode::Local,
            api_base: None,
            orders_base: None,
            payments_base: None,
            notifications_base: None,
            oauth_base: None,
            return_url: "http://localhost:8080/v1/paypal/return".into(),
            cancel_url: "http://localhost:8080/v1/paypal/cancel".into(),
            brand_name: None,
            timeout: Duration::from_secs(10),
            max_retries: 2,
            retry_backoff: Duration::from_millis(200),
            vault: false,
            trusted_ca_der: vec![DIGICERT_SHA2_EV_SERVER_CA_DER.to_vec()],
        }
    }

    fn base(&self, specific: &Option<String>) -> String {
        let base = specific
            .as_deref()
            .or(self.api_base.as_deref())
            .unwrap_or(self.mode.default_api_base());
        base.trim_end_matches('/').to_string()
    }

    /// Base URL for Orders v2.
    pub fn orders_url(&self) -> String {
        self.base(&self.orders_base)
    }
    /// Base URL for Payments v2.
    pub fn payments_url(&self) -> String {
        self.base(&self.payments_base)
    }
    /// Base URL for Notifications v1.
    pub fn notifications_url(&self) -> String {
        self.base(&self.notifications_base)
    }
    /// Base URL for OAuth2.
    pub fn oauth_url(&self) -> String {
        self.base(&self.oauth_base)
    }

    /// Reads `BILLING_PAYPAL_*` through `lookup` (e.g. `|k| std::env::var(k).ok()`).
    ///
    /// Required: `CLIENT_ID`, `CLIENT_SECRET`, `WEBHOOK_ID`, `RETURN_URL`, `CANCEL_URL`.
    /// Optional: `MODE` (sandbox|live), `VERIFY` (local|api), `API_BASE`, `ORDERS_BASE`,
    /// `PAYMENTS_BASE`, `NOTIFICATIONS_BASE`, `OAUTH_BASE`, `BRAND_NAME`, `TIMEOUT_MS`,
    /// `VAULT` (true|false).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            lookup(&format!("BILLING_PAYPAL_{k}"))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let required = [
            "CLIENT_ID",
            "CLIENT_SECRET",
            "WEBHOOK_ID",
            "RETURN_URL",
            "CANCEL_URL",
        ];
        let missing: Vec<String> = required
            .iter()
            .filter(|k| get(k).is_none())
            .map(|k| format!("BILLING_PAYPAL_{k}"))
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError::NotConfigured { missing });
        }
        let (Some(id), Some(secret), Some(webhook)) =
            (get("CLIENT_ID"), get("CLIENT_SECRET"), get("WEBHOOK_ID"))
        else {
            return Err(ConfigError::NotConfigured { missing: vec![] });
        };
        let mut c = Self::new(id, secret, webhook);
        c.return_url = get("RETURN_URL").unwrap_or_default();
        c.cancel_url = get("CANCEL_URL").unwrap_or_default();
        c.mode = match get("MODE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("sandbox") => PayPalMode::Sandbox,
            Some("live") => PayPalMode::Live,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "BILLING_PAYPAL_MODE must be sandbox or live, not `{other}`"
                )));
            }
        };
        c.verify = match get("VERIFY")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("local") => VerifyMode::Local,
            Some("api") => VerifyMode::Api,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "BILLING_PAYPAL_VERIFY must be local or api, not `{other}`"
                )));
            }
        };
        c.api_base = get("API_BASE");
        c.orders_base = get("ORDERS_BASE");
        c.payments_base = get("PAYMENTS_BASE");
        c.notifications_base = get("NOTIFICATIONS_BASE");
        c.oauth_base = get("OAUTH_BASE");
        c.brand_name = get("BRAND_NAME");
        c.vault = match get("VAULT")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "BILLING_PAYPAL_VAULT must be true or false, not `{other}`"
                )));
            }
        };
        if let Some(ms) = get("TIMEOUT_MS") {
            let ms: u64 = ms.parse().map_err(|_| {
                ConfigError::Invalid("BILLING_PAYPAL_TIMEOUT_MS must be a whole number".into())
            })?;
            c.timeout = Duration::from_millis(ms.max(1));
        }
        for (name, url) in [("RETURN_URL", &c.return_url), ("CANCEL_URL", &c.cancel_url)] {
            url::Url::parse(url).map_err(|e| {
                ConfigError::Invalid(format!("BILLING_PAYPAL_{name} is not a URL: {e}"))
            })?;
        }
        Ok(c)
    }
}

/// Why PayPal cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Variables are missing: PayPal is simply not offered.
    #[error("PayPal is not configured: missing {}", missing.join(", "))]
    NotConfigured {
        /// The missing variables.
        missing: Vec<String>,
    },
    /// A value is wrong.
    #[error("PayPal configuration is invalid: {0}")]
    Invalid(String),
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = PayPalConfig::new("id", "s3cr3t-value", "WH1");
        let text = format!("{c:?}");
        assert!(!text.contains("s3cr3t-value"));
        assert!(text.contains("[redacted]"));
    }

    #[test]
    fn reads_the_environment_and_names_what_is_missing() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let err =
            PayPalConfig::from_lookup(vars(&[("BILLING_PAYPAL_CLIENT_ID", "id")])).unwrap_err();
        assert!(
            matches!(&err, ConfigError::NotConfigured { missing } if missing.contains(&"BILLING_PAYPAL_CLIENT_SECRET".to_string()))
        );
        let ok = PayPalConfig::from_lookup(vars(&[
            ("BILLING_PAYPAL_CLIENT_ID", "id"),
            ("BILLING_PAYPAL_CLIENT_SECRET", "sec"),
            ("BILLING_PAYPAL_WEBHOOK_ID", "WH"),
            ("BILLING_PAYPAL_RETURN_URL", "https://shop.example/return"),
            ("BILLING_PAYPAL_CANCEL_URL", "https://shop.example/cancel"),
            ("BILLING_PAYPAL_MODE", "live"),
            ("BILLING_PAYPAL_VERIFY", "api"),
            ("BILLING_PAYPAL_ORDERS_BASE", "http://127.0.0.1:4020/"),
        ]))
        .unwrap();
        assert_eq!(ok.mode, PayPalMode::Live);
        assert_eq!(ok.verify, VerifyMode::Api);
        assert_eq!(ok.orders_url(), "http://127.0.0.1:4020");
        assert_eq!(ok.payments_url(), "https://api-m.paypal.com");
        let bad = PayPalConfig::from_lookup(vars(&[
            ("BILLING_PAYPAL_CLIENT_ID", "id"),
            ("BILLING_PAYPAL_CLIENT_SECRET", "sec"),
            ("BILLING_PAYPAL_WEBHOOK_ID", "WH"),
            ("BILLING_PAYPAL_RETURN_URL", "https://shop.example/return"),
            ("BILLING_PAYPAL_CANCEL_URL", "https://shop.example/cancel"),
            ("BILLING_PAYPAL_MODE", "prod"),
        ]));
        assert!(matches!(bad, Err(ConfigError::Invalid(_))));
    }
}
