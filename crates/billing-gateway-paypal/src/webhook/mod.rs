//! Webhook verification, in two modes, then translation into a domain effect.
//!
//! * **Local** ([`LocalVerifier`]): PayPal signs `transmission_id|transmission_time|webhook_id|crc32`
//!   (CRC-32 of the raw body, unsigned decimal) with SHA256withRSA; the certificate comes from
//!   `PAYPAL-CERT-URL`, which must be an https URL on a PayPal host, and must chain to a
//!   trusted CA. The algorithm is the one of PayPal's Java SDK (`Event.validateReceivedEvent`).
//! * **API** ([`verify_by_api`]): `POST /v1/notifications/verify-webhook-signature`, with the
//!   raw body passed through byte for byte as `webhook_event`.

pub mod cert_url;
pub mod certs;
pub mod events;
pub mod local;

use async_trait::async_trait;
use billing_domain::ports::GatewayError;
use reqwest::Method;
use serde::Serialize;
use serde_json::value::RawValue;

pub use local::LocalVerifier;

use crate::client::Api;
use crate::wire::VerifyResponse;

/// The largest certificate download accepted.
const MAX_CERT_BYTES: usize = 64 * 1024;

/// The five `PAYPAL-*` headers of a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `PAYPAL-TRANSMISSION-ID`.
    pub transmission_id: String,
    /// `PAYPAL-TRANSMISSION-TIME`.
    pub transmission_time: String,
    /// `PAYPAL-TRANSMISSION-SIG` (base64).
    pub transmission_sig: String,
    /// `PAYPAL-CERT-URL`.
    pub cert_url: String,
    /// `PAYPAL-AUTH-ALGO` (`SHA256withRSA`).
    pub auth_algo: String,
}

impl SignedHeaders {
    /// Reads the headers (names are case-insensitive); any missing one rejects the webhook.
    pub fn from_headers(headers: &[(String, String)]) -> Result<Self, GatewayError> {
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| GatewayError::InvalidWebhook(format!("missing header {name}")))
        };
        Ok(Self {
            transmission_id: get("PAYPAL-TRANSMISSION-ID")?,
            transmission_time: get("PAYPAL-TRANSMISSION-TIME")?,
            transmission_sig: get("PAYPAL-TRANSMISSION-SIG")?,
            cert_url: get("PAYPAL-CERT-URL")?,
            auth_algo: get("PAYPAL-AUTH-ALGO")?,
        })
    }
}

/// Downloads a certificate (PEM chain or DER) from an already vetted PayPal URL.
#[async_trait]
pub trait CertFetcher: Send + Sync {
    /// The bytes at `url`.
    async fn fetch(&self, url: &url::Url) -> Result<Vec<u8>, String>;
}

/// The real fetcher: https only, no redirects (a redirect could leave PayPal's hosts), a
/// timeout and a size limit.
#[derive(Debug, Clone)]
pub struct HttpsCertFetcher {
    http: reqwest::Client,
}

impl HttpsCertFetcher {
    /// A fetcher with `timeout` per download.
    pub fn new(timeout: std::time::Duration) -> Result<Self, GatewayError> {
        let http = reqwest::Client::builder()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| GatewayError::Misconfigured(format!("certificate client: {e}")))?;
        Ok(Self { http })
    }
}

#[async_trait]
impl CertFetcher for HttpsCertFetcher {
    async fn fetch(&self, url: &url::Url) -> Result<Vec<u8>, String> {
        let resp = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("{url} answered {}", resp.status()));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_CERT_BYTES as u64)
        {
            return Err(format!("{url} is too large for a certificate"));
        }
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        if bytes.len() > MAX_CERT_BYTES {
            return Err(format!("{url} is too large for a certificate"));
        }
        Ok(bytes.to_vec())
    }
}

#[derive(Serialize)]
struct VerifyRequest<'a> {
    auth_algo: &'a str,
    cert_url: &'a str,
    transmission_id: &'a str,
    transmission_sig: &'a str,
    transmission_time: &'a str,
    webhook_id: &'a str,
    webhook_event: &'a RawValue,
}

/// Asks PayPal whether the delivery is genuine. A network failure is `Uncertain` (answer 5xx
/// so PayPal delivers again); anything but `SUCCESS` rejects the webhook.
pub(crate) async fn verify_by_api(
    api: &Api,
    headers: &SignedHeaders,
    body: &[u8],
) -> Result<(), GatewayError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| GatewayError::InvalidWebhook("body is not UTF-8".into()))?;
    let event: &RawValue = serde_json::from_str(text)
        .map_err(|e| GatewayError::InvalidWebhook(format!("body is not JSON: {e}")))?;
    let request = VerifyRequest {
        auth_algo: &headers.auth_algo,
        cert_url: &headers.cert_url,
        transmission_id: &headers.transmission_id,
        transmission_sig: &headers.transmission_sig,
        transmission_time: &headers.transmission_time,
        webhook_id: &api.config.webhook_id,
        webhook_event: event,
    };
    // `RawValue` keeps the event's exact bytes (PayPal recomputes the CRC over them).
    let bytes = serde_json::to_vec(&request).map_err(|e| GatewayError::Other(e.to_string()))?;
    let url = format!(
        "{}/v1/notifications/verify-webhook-signature",
        api.config.notifications_url()
    );
    let answer: VerifyResponse = api.call(Method::POST, &url, None, Some(bytes)).await?;
    if answer.verification_status == "SUCCESS" {
        Ok(())
    } else {
        Err(GatewayError::InvalidWebhook(format!(
            "PayPal says the signature is {}",
            answer.verification_status
        )))
    }
}
