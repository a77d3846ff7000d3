//! Which `PAYPAL-CERT-URL` values may be fetched at all.
//!
//! The header is chosen by whoever sends the request, so fetching it blindly would let
//! anyone make the server call any address (SSRF) and, worse, sign events with their own
//! certificate. The chain check alone would stop forged signatures; the URL check also
//! stops the request from ever leaving for a host that is not PayPal's. The rules:
//!
//! * scheme `https`, no user name or password, the default port (443) only;
//! * the host is a DNS name (never an IP literal) equal to `paypal.com` or ending in
//!   `.paypal.com` at a label boundary (`api.paypal.com`, `api.sandbox.paypal.com`, …;
//!   `evilpaypal.com`, `paypal.com.evil.example` and `api.paypal.com.` are refused);
//! * in live mode, sandbox hosts (`*.sandbox.paypal.com`) are refused as well.

use billing_domain::ports::GatewayError;
use url::{Host, Url};

use crate::config::PayPalMode;

/// Parses and vets a certificate URL.
pub fn vet(raw: &str, mode: PayPalMode) -> Result<Url, GatewayError> {
    let reject =
        |why: &str| GatewayError::InvalidWebhook(format!("PAYPAL-CERT-URL `{raw}` refused: {why}"));
    let url = Url::parse(raw).map_err(|_| reject("not a URL"))?;
    if url.scheme() != "https" {
        return Err(reject("not https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(reject("carries credentials"));
    }
    if url.port().is_some() {
        return Err(reject("names a port"));
    }
    let host = match url.host() {
        Some(Host::Domain(d)) => d.to_ascii_lowercase(),
        _ => return Err(reject("not a PayPal host name")),
    };
    if !(host == "paypal.com" || host.ends_with(".paypal.com")) {
        return Err(reject("not a PayPal host"));
    }
    if mode == PayPalMode::Live
        && (host == "sandbox.paypal.com" || host.ends_with(".sandbox.paypal.com"))
    {
        return Err(reject("a sandbox host in live mode"));
    }
    Ok(url)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_https_paypal_hosts() {
        let ok = [
            "https://api.paypal.com/v1/notifications/certs/CERT-1",
            "https://api.sandbox.paypal.com/v1/notifications/test",
            "https://API.PayPal.com/x",
        ];
        for u in ok {
            assert!(vet(u, PayPalMode::Sandbox).is_ok(), "{u}");
        }
        let bad = [
            "http://api.paypal.com/cert",
            "https://evilpaypal.com/cert",
            "https://paypal.com.evil.example/cert",
            "https://api.paypal.com.evil.example/cert",
            "https://api.paypal.com./cert",
            "https://api.paypal.com:8443/cert",
            "https://user:pw@api.paypal.com/cert",
            "https://127.0.0.1/cert",
            "https://[::1]/cert",
            "file:///etc/passwd",
            "https://example.com/api.paypal.com",
            "not a url",
        ];
        for u in bad {
            assert!(
                matches!(
                    vet(u, PayPalMode::Sandbox),
                    Err(GatewayError::InvalidWebhook(_))
                ),
                "{u}"
            );
        }
    }

    #[test]
    fn live_mode_refuses_sandbox_certificates() {
        assert!(
            vet(
                "https://api.sandbox.paypal.com/v1/notifications/test",
                PayPalMode::Live
            )
            .is_err()
        );
        assert!(
            vet(
                "https://api.paypal.com/v1/notifications/certs/CERT-1",
                PayPalMode::Live
            )
            .is_ok()
        );
    }
}
