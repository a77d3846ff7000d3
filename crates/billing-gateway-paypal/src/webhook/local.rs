//! Offline verification of a PayPal webhook delivery.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use billing_domain::ports::{Clock, GatewayError};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

use super::{CertFetcher, SignedHeaders, cert_url, certs};
use crate::config::{PayPalConfig, PayPalMode};

/// Certificates kept per URL (PayPal rotates them rarely; the cap bounds memory).
const CACHE_CAP: usize = 32;

/// Verifies `transmission_id|transmission_time|webhook_id|crc32` against the certificate at
/// `PAYPAL-CERT-URL`. Certificates are cached by URL once their chain has verified; validity
/// dates are checked on every delivery against the injected clock.
#[derive(Clone)]
pub struct LocalVerifier {
    webhook_id: String,
    mode: PayPalMode,
    anchors: Arc<Vec<Vec<u8>>>,
    fetcher: Arc<dyn CertFetcher>,
    clock: Arc<dyn Clock>,
    cache: Arc<Mutex<HashMap<String, Arc<Vec<u8>>>>>,
}

impl LocalVerifier {
    /// A verifier for `config`'s webhook id, mode and trusted CAs.
    pub fn new(
        config: &PayPalConfig,
        fetcher: Arc<dyn CertFetcher>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, GatewayError> {
        certs::check_anchors(&config.trusted_ca_der)?;
        Ok(Self {
            webhook_id: config.webhook_id.clone(),
            mode: config.mode,
            anchors: Arc::new(config.trusted_ca_der.clone()),
            fetcher,
            clock,
            cache: Arc::default(),
        })
    }

    /// The time on the injected clock.
    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// The same verifier with another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same verifier with another certificate fetcher (and an empty cache).
    pub fn with_fetcher(mut self, fetcher: Arc<dyn CertFetcher>) -> Self {
        self.fetcher = fetcher;
        self.cache = Arc::default();
        self
    }

    /// The signed message for a body.
    pub fn signed_message(&self, headers: &SignedHeaders, body: &[u8]) -> String {
        format!(
            "{}|{}|{}|{}",
            headers.transmission_id,
            headers.transmission_time,
            self.webhook_id,
            crc32fast::hash(body)
        )
    }

    /// Accepts the delivery or says why not. Nothing is fetched unless the URL is PayPal's.
    pub async fn verify(&self, headers: &SignedHeaders, body: &[u8]) -> Result<(), GatewayError> {
        if headers.auth_algo != "SHA256withRSA" {
            return Err(GatewayError::InvalidWebhook(format!(
                "unsupported PAYPAL-AUTH-ALGO `{}`",
                headers.auth_algo
            )));
        }
        let url = cert_url::vet(&headers.cert_url, self.mode)?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(headers.transmission_sig.as_bytes())
            .map_err(|_| {
                GatewayError::InvalidWebhook("PAYPAL-TRANSMISSION-SIG is not base64".into())
            })?;
        let now = self.clock.now();
        let cached = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(url.as_str()).cloned());
        let (download, fresh) = match cached {
            Some(bytes) => (bytes, false),
            None => {
                let bytes = self.fetcher.fetch(&url).await.map_err(|e| {
                    GatewayError::Uncertain(format!(
                        "downloading the PayPal certificate {url}: {e}"
                    ))
                })?;
                (Arc::new(bytes), true)
            }
        };
        let key = certs::leaf_key(&download, &self.anchors, now)?;
        if fresh && let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_CAP {
                cache.clear();
            }
            cache.insert(url.to_string(), download);
        }
        let message = self.signed_message(headers, body);
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(message.as_bytes(), &signature)
            .map_err(|_| {
                GatewayError::InvalidWebhook(
                    "the signature does not match the body, webhook id and transmission headers"
                        .into(),
                )
            })
    }
}
