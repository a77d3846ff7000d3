//! Accounts and billing profiles.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::entities::audit::RequestContext;
use crate::entities::{Account, BillingProfile, Metadata};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::{Clock, Repositories};
use crate::services::input::required;
use crate::types::address::AddressInput;
use crate::types::{AccountId, BoundedText, Currency, Email, Page, PageRequest, TaxId, TaxIdKind};

/// A billing profile as a caller sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BillingProfileInput {
    /// Name printed on invoices (≤ 200).
    pub legal_name: Option<String>,
    /// Where invoices go.
    pub billing_email: Option<String>,
    /// Billing address; its country selects payment methods.
    #[serde(default, deserialize_with = "crate::services::input::object")]
    pub address: Option<AddressInput>,
    /// Tax id: `{"type": "eu_vat|gb_vat|us_ein|other", "value": "…"}`.
    #[serde(default, deserialize_with = "crate::services::input::object")]
    pub tax_id: Option<TaxIdInput>,
    /// Preferred ISO 4217 currency.
    pub preferred_currency: Option<String>,
}

/// A tax id as a caller sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaxIdInput {
    /// `eu_vat`, `gb_vat`, `us_ein` or `other`.
    #[serde(rename = "type")]
    pub kind: TaxIdKind,
    /// The number.
    pub value: String,
}

impl BillingProfileInput {
    /// Validates every field; errors are named `billing_profile.<field>` style by the caller.
    pub fn parse(&self) -> Result<BillingProfile, ValidationError> {
        Ok(BillingProfile {
            legal_name: BoundedText::new(
                required(self.legal_name.as_deref(), "legal_name")?,
                "legal_name",
                200,
            )?,
            billing_email: Email::parse(
                required(self.billing_email.as_deref(), "billing_email")?,
                "billing_email",
            )?,
            address: required(self.address.as_ref(), "address")?.parse()?,
            tax_id: self
                .tax_id
                .as_ref()
                .map(|t| TaxId::parse(t.kind, &t.value))
                .transpose()?,
            preferred_currency: self
                .preferred_currency
                .as_deref()
                .map(|c| {
                    Currency::parse(c)
                        .map_err(|e| ValidationError::new("preferred_currency", e.message))
                })
                .transpose()?,
        })
    }
}

/// A new account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAccountInput {
    /// Display name (≤ 200).
    pub name: Option<String>,
    /// The platform's own id for this customer (≤ 200, unique).
    pub external_id: Option<String>,
    /// Billing details, optional at creation.
    #[serde(default, deserialize_with = "crate::services::input::object")]
    pub billing_profile: Option<BillingProfileInput>,
    /// Record a `credits.low_balance` event when the balance falls below this.
    pub low_balance_threshold: Option<i64>,
    /// Free-form metadata.
    pub metadata: Option<BTreeMap<String, String>>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountInput {
    /// New display name.
    pub name: Option<String>,
    /// New external id.
    pub external_id: Option<String>,
    /// New threshold; `0` or below disables it.
    pub low_balance_threshold: Option<i64>,
    /// Replaces the metadata.
    pub metadata: Option<BTreeMap<String, String>>,
}

fn threshold(v: Option<i64>) -> Result<Option<i64>, ValidationError> {
    match v {
        None => Ok(None),
        Some(t) if t <= 0 => Ok(None),
        Some(t) if t > crate::types::credits::MAX_CREDITS => Err(ValidationError::new(
            "low_balance_threshold",
            "is too large",
        )),
        Some(t) => Ok(Some(t)),
    }
}

/// Account use cases.
#[derive(Clone)]
pub struct AccountService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
}

impl AccountService {
    /// Wires the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>) -> Self {
        Self { repos, clock }
    }

    /// Creates an account (service or admin keys).
    pub async fn create(
        &self,
        ctx: &RequestContext,
        input: CreateAccountInput,
    ) -> BillingResult<Account> {
        ctx.principal.ensure_service()?;
        let now = self.clock.now();
        let account = Account {
            id: AccountId::generate(now),
            name: BoundedText::new(required(input.name.as_deref(), "name")?, "name", 200)?,
            external_id: BoundedText::optional(input.external_id.as_deref(), "external_id", 200)?,
            billing_profile: input
                .billing_profile
                .as_ref()
                .map(|p| p.parse().map_err(|e| e.within("billing_profile")))
                .transpose()?,
            low_balance_threshold: threshold(input.low_balance_threshold)?,
            stripe_customer_id: None,
            metadata: Metadata::parse(input.metadata, "metadata")?,
            created_at: now,
            updated_at: now,
        };
        self.repos
            .accounts
            .insert(&account)
            .await
            .map_err(|e| external_id_conflict(e, &account))?;
        Ok(account)
    }

    /// Reads an account the caller may see.
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> BillingResult<Account> {
        let id = AccountId::parse(id, "id")?;
        ctx.principal.ensure_account(&id)?;
        self.repos
            .accounts
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("account", &id))
    }

    /// Lists accounts: every account for service/admin keys, only its own for an account key;
    /// with `external_id`, only the account the platform knows by that id (0 or 1).
    pub async fn list(
        &self,
        ctx: &RequestContext,
        page: &PageRequest,
        external_id: Option<&str>,
    ) -> BillingResult<Page<Account>> {
        if let Some(ext) = external_id {
            let ext = BoundedText::new(ext, "external_id", 200)?;
            let found = self
                .repos
                .accounts
                .find_by_external_id(ext.as_str())
                .await?
                .filter(|a| ctx.principal.ensure_account(&a.id).is_ok())
                .filter(|_| page.starting_after.is_none());
            return Ok(Page {
                data: found.into_iter().collect(),
                has_more: false,
            });
        }
        if let Some(own) = ctx
            .principal
            .account_id
            .as_ref()
            .filter(|_| ctx.principal.ensure_service().is_err())
        {
            let data: Vec<Account> = self
                .repos
                .accounts
                .get(own)
                .await?
                .into_iter()
                .filter(|_| page.starting_after.is_none())
                .collect();
            return Ok(Page {
                data,
                has_more: false,
            });
        }
        ctx.principal.ensure_service()?;
        Ok(self.repos.accounts.list(page).await?)
    }

    /// Changes name, external id, threshold or metadata.
    pub async fn update(
        &self,
        ctx: &RequestContext,
        id: &str,
        input: UpdateAccountInput,
    ) -> BillingResult<Account> {
        ctx.principal.ensure_service()?;
        let mut account = self.get(ctx, id).await?;
        if let Some(name) = input.name.as_deref() {
            account.name = BoundedText::new(name, "name", 200)?;
        }
        if input.external_id.is_some() {
            account.external_id =
                BoundedText::optional(input.external_id.as_deref(), "external_id", 200)?;
        }
        if input.low_balance_threshold.is_some() {
            account.low_balance_threshold = threshold(input.low_balance_threshold)?;
        }
        if input.metadata.is_some() {
            account.metadata = Metadata::parse(input.metadata, "metadata")?;
        }
        account.updated_at = self.clock.now();
        self.repos
            .accounts
            .update(&account, None)
            .await
            .map_err(|e| external_id_conflict(e, &account))?;
        Ok(account)
    }

    /// The account's billing profile; 404 `billing_profile` if it has none yet.
    pub async fn billing_profile(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> BillingResult<BillingProfile> {
        let account = self.get(ctx, id).await?;
        account
            .billing_profile
            .ok_or_else(|| BillingError::not_found("billing_profile", account.id))
    }

    /// Replaces the billing profile as a whole (account keys may edit their own).
    pub async fn replace_billing_profile(
        &self,
        ctx: &RequestContext,
        id: &str,
        input: BillingProfileInput,
    ) -> BillingResult<BillingProfile> {
        let mut account = self.get(ctx, id).await?;
        let profile = input.parse()?;
        account.billing_profile = Some(profile.clone());
        account.updated_at = self.clock.now();
        self.repos.accounts.update(&account, None).await?;
        Ok(profile)
    }
}

fn external_id_conflict(e: crate::error::RepoError, account: &Account) -> BillingError {
    match e {
        crate::error::RepoError::Conflict(_) => BillingError::conflict_on(
            "external_id",
            "external_id_taken",
            format!(
                "another account already has external_id `{}`",
                account.external_id.as_ref().map_or("", |x| x.as_str())
            ),
        ),
        other => other.into(),
    }
}
