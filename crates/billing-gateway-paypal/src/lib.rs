//! # billing-gateway-paypal
//!
//! PayPal REST for the billing domain's [`PaymentGateway`](billing_domain::ports::PaymentGateway)
//! port, on `reqwest`:
//!
//! * **OAuth2** client-credentials token, cached until shortly before it expires, fetched by
//!   one caller while the others wait (no stampede), refreshed once on a 401.
//! * **Orders v2**: `start` creates an order (intent `CAPTURE`, one purchase unit, amount as a
//!   major-unit decimal string with the currency's exact decimals, `custom_id` = our payment
//!   id, `invoice_id` = our invoice number, items and a breakdown that add up exactly, return
//!   and cancel URLs) and hands back the approve link; `capture` captures it exactly once.
//! * **Vaulting** (`BILLING_PAYPAL_VAULT=true`, for merchants PayPal approved for it): a
//!   subscription's first order saves the payer (`store_in_vault: ON_SUCCESS`, usage
//!   `MERCHANT` / `RECURRING_PREPAID`); `charge_saved` renews on the vault token in one step
//!   (`PayPal-Request-Id` per invoice and attempt); `VAULT.PAYMENT-TOKEN.DELETED` drops it.
//! * **Payments v2**: refunds (full or partial) and capture read-back.
//! * **Webhooks v1**: signatures verified locally (CRC32 + SHA256withRSA + certificate chain)
//!   or by PayPal's API, then translated into a [`WebhookEffect`](billing_domain::ports::gateway::WebhookEffect).
//!
//! Every mutating call carries a `PayPal-Request-Id` derived from our own ids
//! (`<payment>-order`, `<payment>-capture`, `<refund>`), and timeouts, connection errors, 429
//! and 5xx are retried with backoff under the same id; when retries run out the call returns
//! `GatewayError::Uncertain` and the domain resolves it later with `fetch_status`.

pub mod amount;
mod auth;
mod client;
pub mod config;
mod gateway;
pub mod orders;
pub mod renewals;
pub mod webhook;
mod wire;

pub use amount::{PayPalMoney, from_paypal, to_paypal};
pub use config::{
    ConfigError, DIGICERT_SHA2_EV_SERVER_CA_DER, PayPalConfig, PayPalMode, Secret, VerifyMode,
};
pub use gateway::{LOST_ORDER_HORIZON, PayPalGateway};
pub use webhook::{CertFetcher, HttpsCertFetcher, LocalVerifier, SignedHeaders};
