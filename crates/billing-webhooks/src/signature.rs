//! Standard Webhooks signatures.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;
use ring::hmac;

/// The prefix of a secret's text form.
const PREFIX: &str = "whsec_";

/// A signing secret.
#[derive(Clone)]
pub struct WebhookSecret {
    key: hmac::Key,
    text: String,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never printed: logs and panics show that there is one, not what it is.
        f.write_str("WebhookSecret(whsec_…)")
    }
}

/// Why a secret's text is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Not `whsec_` followed by base64.
    #[error("a webhook secret is `whsec_` followed by base64")]
    Format,
    /// Fewer than 16 bytes once decoded.
    #[error("a webhook secret must hold at least 16 bytes")]
    TooShort,
}

impl WebhookSecret {
    /// A new random secret (24 bytes, as Standard Webhooks' reference implementations use).
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        Self::from_bytes(&bytes)
    }

    /// The secret `whsec_<base64>` (padded or not).
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let b64 = text.strip_prefix(PREFIX).ok_or(SecretError::Format)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(b64.trim_end_matches('='))
            .map_err(|_| SecretError::Format)?;
        if bytes.len() < 16 {
            return Err(SecretError::TooShort);
        }
        Ok(Self::from_bytes(&bytes))
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, bytes),
            text: format!("{PREFIX}{}", STANDARD.encode(bytes)),
        }
    }

    /// Its text form, to show once to the operator and to store.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(id.as_bytes());
        ctx.update(b".");
        ctx.update(timestamp.to_string().as_bytes());
        ctx.update(b".");
        ctx.update(body);
        format!("v1,{}", STANDARD.encode(ctx.sign().as_ref()))
    }
}

/// The `webhook-signature` value for `secrets` (the current one, then one being rotated out).
pub fn signature_header(
    secrets: &[&WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The three headers of a delivery of `body` as message `id` at `timestamp` (Unix seconds).
pub fn signed_headers(
    secrets: &[&WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> [(&'static str, String); 3] {
    [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        (
            "webhook-signature",
            signature_header(secrets, id, timestamp, body),
        ),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_test_vector() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let s = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            s.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_round_trip_and_bad_ones_are_refused() {
        let s = WebhookSecret::generate();
        assert!(s.expose().starts_with("whsec_"));
        let again = WebhookSecret::parse(s.expose()).unwrap();
        assert_eq!(again.sign("m", 1, b"x"), s.sign("m", 1, b"x"));
        assert_ne!(
            WebhookSecret::generate().sign("m", 1, b"x"),
            s.sign("m", 1, b"x")
        );
        assert_eq!(
            WebhookSecret::parse("MfKQ9r8G").unwrap_err(),
            SecretError::Format
        );
        assert_eq!(
            WebhookSecret::parse("whsec_!!!").unwrap_err(),
            SecretError::Format
        );
        assert_eq!(
            WebhookSecret::parse("whsec_YWJj").unwrap_err(),
            SecretError::TooShort
        );
        assert_eq!(format!("{s:?}"), "WebhookSecret(whsec_…)");
    }

    #[test]
    fn two_secrets_sign_twice() {
        let (a, b) = (WebhookSecret::generate(), WebhookSecret::generate());
        let h = signed_headers(&[&a, &b], "evt_1", 1_700_000_000, b"{}");
        assert_eq!(h[0], ("webhook-id", "evt_1".to_owned()));
        assert_eq!(h[1], ("webhook-timestamp", "1700000000".to_owned()));
        let sigs: Vec<&str> = h[2].1.split(' ').collect();
        assert_eq!(
            sigs,
            [
                a.sign("evt_1", 1_700_000_000, b"{}"),
                b.sign("evt_1", 1_700_000_000, b"{}")
            ]
        );
    }
}
