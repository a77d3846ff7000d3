//! Accounts (the platform's customers) and their billing profiles.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::Metadata;
use crate::types::{AccountId, Address, BoundedText, CountryCode, Currency, Email, TaxId};

/// A customer of the SaaS platform, who holds credits, pays and receives invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    /// `acct_…`.
    pub id: AccountId,
    /// Display name.
    pub name: BoundedText,
    /// The platform's own id for this customer; unique when set.
    pub external_id: Option<BoundedText>,
    /// Billing details; required before paying.
    pub billing_profile: Option<BillingProfile>,
    /// Balance below which a `credits.low_balance` event is recorded.
    pub low_balance_threshold: Option<i64>,
    /// Stripe customer created for this account, once.
    pub stripe_customer_id: Option<String>,
    /// Free-form metadata.
    pub metadata: Metadata,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Account {
    /// The country that decides which payment methods are offered, if known.
    pub fn country(&self) -> Option<CountryCode> {
        self.billing_profile.as_ref().map(|p| p.address.country)
    }
}

/// Who is billed, where, and how they are taxed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingProfile {
    /// Legal or display name printed on invoices.
    pub legal_name: BoundedText,
    /// Where invoices and receipts go.
    pub billing_email: Email,
    /// Billing address; its country selects payment methods and tax rules.
    pub address: Address,
    /// Tax id, if the customer has one.
    pub tax_id: Option<TaxId>,
    /// Currency the customer prefers to pay in.
    pub preferred_currency: Option<Currency>,
}
