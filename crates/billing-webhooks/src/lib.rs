//! Outgoing webhooks to the platform, signed to the [Standard Webhooks] spec so receivers can
//! verify them with an off-the-shelf library: `webhook-id`, `webhook-timestamp` (Unix
//! seconds) and `webhook-signature` — `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one
//! per secret, space-separated (two while a rotated secret overlaps the new one). Secrets are
//! `whsec_` + base64 of 24 random bytes.
//!
//! This crate holds the signer and the endpoint URL guard (no requests to private, loopback
//! or metadata addresses); the endpoints, the delivery worker and the event catalog are
//! issue 15's next steps.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com

mod signature;
mod url_guard;

pub use signature::{SecretError, WebhookSecret, signature_header, signed_headers};
pub use url_guard::{UrlPolicy, UrlRefusal, check_addresses, check_url, is_public, resolve};
