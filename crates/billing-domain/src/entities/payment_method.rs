//! Payment method configurations: which methods a country sees, with bank and wallet details.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::types::{BoundedText, CountryCode, Currency, PaymentMethodConfigId};

/// The ways a customer can pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentMethodKind {
    /// Card and wallets through Stripe Checkout.
    Stripe,
    /// PayPal Orders v2.
    Paypal,
    /// Manual bank transfer, approved by an operator.
    BankTransfer,
    /// Manual local wallet (M-Pesa, GCash, …), approved by an operator.
    LocalWallet,
}

impl PaymentMethodKind {
    /// Every kind, in a stable order.
    pub const ALL: [Self; 4] = [
        Self::Stripe,
        Self::Paypal,
        Self::BankTransfer,
        Self::LocalWallet,
    ];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Paypal => "paypal",
            Self::BankTransfer => "bank_transfer",
            Self::LocalWallet => "local_wallet",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Manual methods need an operator's approval and no network gateway.
    pub fn is_manual(self) -> bool {
        matches!(self, Self::BankTransfer | Self::LocalWallet)
    }
}

impl fmt::Display for PaymentMethodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where to send a bank transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankDetails {
    /// Bank name.
    pub bank_name: BoundedText,
    /// Name on the receiving account.
    pub account_holder: BoundedText,
    /// IBAN, where the country uses them.
    pub iban: Option<BoundedText>,
    /// Domestic account number.
    pub account_number: Option<BoundedText>,
    /// BIC / SWIFT code.
    pub bic: Option<BoundedText>,
    /// Routing number, sort code, IFSC or branch code.
    pub routing_code: Option<BoundedText>,
    /// Bank address.
    pub bank_address: Option<BoundedText>,
}

/// Where to send a local wallet payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalletDetails {
    /// Wallet provider, e.g. `M-Pesa`, `GCash`.
    pub provider: BoundedText,
    /// Name of the receiving wallet.
    pub account_name: BoundedText,
    /// Wallet number, paybill or phone number.
    pub account_number: BoundedText,
    /// Optional QR code image URL.
    pub qr_code_url: Option<BoundedText>,
}

/// Amount limits in one currency, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AmountLimit {
    /// The currency the limits apply to.
    pub currency: Currency,
    /// Smallest payment accepted.
    pub min: Option<i64>,
    /// Largest payment accepted.
    pub max: Option<i64>,
}

/// One payment method offered in one country, or in every country (`country: null`).
///
/// A country-specific config for a method replaces the default configs of that method for
/// accounts in that country (so an operator can switch PayPal off in one country).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentMethodConfig {
    /// `pmc_…`.
    pub id: PaymentMethodConfigId,
    /// The country, or `null` for the default of all countries.
    pub country: Option<CountryCode>,
    /// The method.
    pub method: PaymentMethodKind,
    /// Name shown to the payer.
    pub display_name: BoundedText,
    /// Disabled configs are never offered.
    pub enabled: bool,
    /// Ascending position in the payer's list.
    pub sort_order: i32,
    /// Payment instructions shown to the payer (manual methods).
    pub instructions: Option<BoundedText>,
    /// Required for bank transfers.
    pub bank_details: Option<BankDetails>,
    /// Required for local wallets.
    pub wallet_details: Option<WalletDetails>,
    /// Accepted currencies; empty means any.
    pub currencies: Vec<Currency>,
    /// Per-currency amount limits; a currency without an entry has none.
    pub amount_limits: Vec<AmountLimit>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl PaymentMethodConfig {
    /// Does this config accept payments in `currency`?
    pub fn accepts(&self, currency: Currency) -> bool {
        self.currencies.is_empty() || self.currencies.contains(&currency)
    }

    /// The limit entry for `currency`, if any.
    pub fn limit_for(&self, currency: Currency) -> Option<&AmountLimit> {
        self.amount_limits.iter().find(|l| l.currency == currency)
    }
}
