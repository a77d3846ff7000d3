//! The payment settings' part of the configuration: their environment variables and the
//! values no deployment could mean.

use billing_domain::services::PaymentSettings;

use crate::config::{ConfigError, parse_env};

/// The payment settings' environment variables.
pub(crate) fn payment_env(
    p: &mut PaymentSettings,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    if let Some(v) = env("BILLING_INVOICE_PREFIX") {
        p.invoice_prefix = v.trim().to_owned();
    }
    if let Some(v) = env("BILLING_MANUAL_PAYMENT_EXPIRY_DAYS") {
        p.manual_payment_expiry_days = parse_env(
            "BILLING_MANUAL_PAYMENT_EXPIRY_DAYS",
            v,
            "must be a whole number of days",
        )?;
    }
    if let Some(v) = env("BILLING_INVOICE_DUE_DAYS") {
        p.invoice_due_days = parse_env(
            "BILLING_INVOICE_DUE_DAYS",
            v,
            "must be a whole number of days",
        )?;
    }
    if let Some(v) = env("BILLING_SUBSCRIPTION_DUE_DAYS") {
        p.subscription_due_days = parse_env(
            "BILLING_SUBSCRIPTION_DUE_DAYS",
            v,
            "must be a whole number of days",
        )?;
    }
    if let Some(v) = env("BILLING_MAX_PROOF_BYTES") {
        p.max_proof_bytes = parse_env("BILLING_MAX_PROOF_BYTES", v, "must be a number of bytes")?;
    }
    Ok(())
}

/// Rejects payment settings no deployment could mean.
pub(crate) fn check_payments(p: &PaymentSettings) -> Result<(), ConfigError> {
    let bad = |name: &'static str, value: String, message: &'static str| ConfigError::Env {
        name,
        value,
        message,
    };
    let prefix_ok = !p.invoice_prefix.is_empty()
        && p.invoice_prefix.len() <= 12
        && p.invoice_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !prefix_ok {
        return Err(bad(
            "invoice_prefix",
            p.invoice_prefix.clone(),
            "must be 1-12 letters, digits, - or _",
        ));
    }
    if !(1..=365).contains(&p.manual_payment_expiry_days) {
        return Err(bad(
            "manual_payment_expiry_days",
            p.manual_payment_expiry_days.to_string(),
            "must be 1 to 365 days",
        ));
    }
    if !(0..=365).contains(&p.invoice_due_days) {
        return Err(bad(
            "invoice_due_days",
            p.invoice_due_days.to_string(),
            "must be 0 to 365 days",
        ));
    }
    if !(0..=60).contains(&p.subscription_due_days) {
        return Err(bad(
            "subscription_due_days",
            p.subscription_due_days.to_string(),
            "must be 0 to 60 days",
        ));
    }
    if !(1024..=64 * 1024 * 1024).contains(&p.max_proof_bytes) {
        return Err(bad(
            "max_proof_bytes",
            p.max_proof_bytes.to_string(),
            "must be 1 KiB to 64 MiB",
        ));
    }
    Ok(())
}
