//! The gateway settings the server passes on to the Stripe and PayPal adapters, by variable
//! name (their values hold secrets).

use std::collections::BTreeMap;

/// The gateway settings the server reads, by environment variable name.
pub const GATEWAY_ENV: &[&str] = &[
    "BILLING_STRIPE_SECRET_KEY",
    "BILLING_STRIPE_WEBHOOK_SECRETS",
    "BILLING_STRIPE_API_BASE",
    "BILLING_STRIPE_SUCCESS_URL",
    "BILLING_STRIPE_CANCEL_URL",
    "BILLING_STRIPE_TIMEOUT_SECS",
    "BILLING_PAYPAL_CLIENT_ID",
    "BILLING_PAYPAL_CLIENT_SECRET",
    "BILLING_PAYPAL_WEBHOOK_ID",
    "BILLING_PAYPAL_RETURN_URL",
    "BILLING_PAYPAL_CANCEL_URL",
    "BILLING_PAYPAL_MODE",
    "BILLING_PAYPAL_VERIFY",
    "BILLING_PAYPAL_API_BASE",
    "BILLING_PAYPAL_ORDERS_BASE",
    "BILLING_PAYPAL_PAYMENTS_BASE",
    "BILLING_PAYPAL_NOTIFICATIONS_BASE",
    "BILLING_PAYPAL_OAUTH_BASE",
    "BILLING_PAYPAL_BRAND_NAME",
    "BILLING_PAYPAL_TIMEOUT_MS",
    "BILLING_PAYPAL_VAULT",
];

/// Gateway settings by variable name. Its `Debug` shows the names only: values hold secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct GatewayEnv(pub BTreeMap<String, String>);

impl GatewayEnv {
    /// The value of `name`, if set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }
}

impl std::fmt::Debug for GatewayEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
