//! Payment method config input: the DTOs callers send and their parsing into domain types.
//! Every error names the field it is about.

use serde::{Deserialize, Serialize};

use crate::entities::{
    AmountLimit, BankDetails, PaymentMethodConfig, PaymentMethodKind, WalletDetails,
};
use crate::error::ValidationError;
use crate::services::input::required;
use crate::types::{BoundedText, Currency};

/// Bank details as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BankDetailsInput {
    /// Bank name.
    pub bank_name: Option<String>,
    /// Name on the account.
    pub account_holder: Option<String>,
    /// IBAN.
    pub iban: Option<String>,
    /// Domestic account number.
    pub account_number: Option<String>,
    /// BIC / SWIFT.
    pub bic: Option<String>,
    /// Routing number, sort code, branch code.
    pub routing_code: Option<String>,
    /// Bank address.
    pub bank_address: Option<String>,
}

/// Wallet details as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WalletDetailsInput {
    /// Provider name.
    pub provider: Option<String>,
    /// Receiving wallet name.
    pub account_name: Option<String>,
    /// Wallet number, paybill or phone.
    pub account_number: Option<String>,
    /// QR code image URL.
    pub qr_code_url: Option<String>,
}

/// An amount limit as sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AmountLimitInput {
    /// Currency of the limits.
    pub currency: String,
    /// Minimum, minor units.
    pub min: Option<i64>,
    /// Maximum, minor units.
    pub max: Option<i64>,
}

/// A config as sent on create; on update (PATCH) absent fields stay, and `country`/`method`
/// cannot change (delete and recreate instead).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodConfigInput {
    /// ISO country, or absent/null for the default of all countries.
    pub country: Option<String>,
    /// `stripe`, `paypal`, `bank_transfer` or `local_wallet`.
    pub method: Option<String>,
    /// Name shown to payers (≤ 100).
    pub display_name: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Ascending position.
    pub sort_order: Option<i64>,
    /// Instructions for the payer (≤ 2000).
    pub instructions: Option<String>,
    /// Required for bank transfers.
    #[serde(default, deserialize_with = "crate::services::input::object")]
    pub bank_details: Option<BankDetailsInput>,
    /// Required for local wallets.
    #[serde(default, deserialize_with = "crate::services::input::object")]
    pub wallet_details: Option<WalletDetailsInput>,
    /// Accepted currencies; empty or absent means any.
    pub currencies: Option<Vec<String>>,
    /// Per-currency amount limits.
    pub amount_limits: Option<Vec<AmountLimitInput>>,
}

pub(crate) fn text(
    v: Option<&str>,
    field: &str,
    max: usize,
) -> Result<BoundedText, ValidationError> {
    BoundedText::new(required(v, field)?, field, max)
}

pub(crate) fn opt(
    v: Option<&str>,
    field: &str,
    max: usize,
) -> Result<Option<BoundedText>, ValidationError> {
    BoundedText::optional(v, field, max)
}

impl BankDetailsInput {
    pub(crate) fn parse(&self) -> Result<BankDetails, ValidationError> {
        let d = BankDetails {
            bank_name: text(self.bank_name.as_deref(), "bank_details.bank_name", 200)?,
            account_holder: text(
                self.account_holder.as_deref(),
                "bank_details.account_holder",
                200,
            )?,
            iban: opt(self.iban.as_deref(), "bank_details.iban", 34)?,
            account_number: opt(
                self.account_number.as_deref(),
                "bank_details.account_number",
                64,
            )?,
            bic: opt(self.bic.as_deref(), "bank_details.bic", 11)?,
            routing_code: opt(
                self.routing_code.as_deref(),
                "bank_details.routing_code",
                64,
            )?,
            bank_address: opt(
                self.bank_address.as_deref(),
                "bank_details.bank_address",
                300,
            )?,
        };
        if d.iban.is_none() && d.account_number.is_none() {
            return Err(ValidationError::new(
                "bank_details.iban",
                "an IBAN or an account number is required",
            ));
        }
        Ok(d)
    }
}

impl WalletDetailsInput {
    pub(crate) fn parse(&self) -> Result<WalletDetails, ValidationError> {
        Ok(WalletDetails {
            provider: text(self.provider.as_deref(), "wallet_details.provider", 100)?,
            account_name: text(
                self.account_name.as_deref(),
                "wallet_details.account_name",
                200,
            )?,
            account_number: text(
                self.account_number.as_deref(),
                "wallet_details.account_number",
                64,
            )?,
            qr_code_url: opt(
                self.qr_code_url.as_deref(),
                "wallet_details.qr_code_url",
                500,
            )?,
        })
    }
}

pub(crate) fn currencies(v: &[String]) -> Result<Vec<Currency>, ValidationError> {
    let mut out: Vec<Currency> = Vec::with_capacity(v.len());
    for (i, c) in v.iter().enumerate() {
        let cur = Currency::parse(c)
            .map_err(|e| ValidationError::new(format!("currencies[{i}]"), e.message))?;
        if !out.contains(&cur) {
            out.push(cur);
        }
    }
    Ok(out)
}

pub(crate) fn limits(
    v: &[AmountLimitInput],
    accepted: &[Currency],
) -> Result<Vec<AmountLimit>, ValidationError> {
    let mut out: Vec<AmountLimit> = Vec::with_capacity(v.len());
    for (i, l) in v.iter().enumerate() {
        let f = |s: &str| format!("amount_limits[{i}].{s}");
        let currency = Currency::parse(&l.currency)
            .map_err(|e| ValidationError::new(f("currency"), e.message))?;
        if !accepted.is_empty() && !accepted.contains(&currency) {
            return Err(ValidationError::rule(
                f("currency"),
                "is not one of the accepted currencies",
            ));
        }
        if out.iter().any(|o| o.currency == currency) {
            return Err(ValidationError::rule(f("currency"), "appears twice"));
        }
        for (name, val) in [("min", l.min), ("max", l.max)] {
            if val.is_some_and(|x| !(0..=crate::types::money::MAX_AMOUNT_MINOR).contains(&x)) {
                return Err(ValidationError::new(
                    f(name),
                    "must be between 0 and 10^15 minor units",
                ));
            }
        }
        if let (Some(min), Some(max)) = (l.min, l.max)
            && min > max
        {
            return Err(ValidationError::rule(f("min"), "must not exceed max"));
        }
        out.push(AmountLimit {
            currency,
            min: l.min,
            max: l.max,
        });
    }
    Ok(out)
}

/// Checks that the details fit the method: bank details for bank transfers, wallet details for wallets.
pub(crate) fn check_details(c: &PaymentMethodConfig) -> Result<(), ValidationError> {
    match c.method {
        PaymentMethodKind::BankTransfer if c.bank_details.is_none() => Err(ValidationError::rule(
            "bank_details",
            "is required for bank_transfer",
        )),
        PaymentMethodKind::LocalWallet if c.wallet_details.is_none() => Err(ValidationError::rule(
            "wallet_details",
            "is required for local_wallet",
        )),
        m if m != PaymentMethodKind::BankTransfer && c.bank_details.is_some() => Err(
            ValidationError::rule("bank_details", format!("is not used by {m}")),
        ),
        m if m != PaymentMethodKind::LocalWallet && c.wallet_details.is_some() => Err(
            ValidationError::rule("wallet_details", format!("is not used by {m}")),
        ),
        _ => Ok(()),
    }
}
