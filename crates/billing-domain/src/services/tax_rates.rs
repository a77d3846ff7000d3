//! Tax rates (admin, audited) and which one applies to an account: the rule table of
//! [`crate::entities::tax`] over the seller's position and the account's billing profile,
//! with its explanation.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::entities::audit::RequestContext;
use crate::entities::tax::{REVERSE_CHARGE_NOTE, decide};
use crate::entities::{SellerTax, TaxBuyer, TaxRate, TaxTreatment};
use crate::error::{BillingError, BillingResult, RepoError, ValidationError};
use crate::ports::{Clock, Repositories};
use crate::services::input::required;
use crate::types::{AccountId, BoundedText, CountryCode, TaxRateId};

/// A tax rate as an operator sends it. On update, absent fields keep their value.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaxRateInput {
    /// What invoices print: "VAT", "GST", "Sales tax" (≤ 50).
    pub display_name: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    pub country: Option<String>,
    /// A region of the country (state, province; ≤ 100), if the rate applies there only.
    pub region: Option<String>,
    /// The percentage as a string, 0–100 with at most 4 decimals: `"19"`, `"7.5"`.
    pub percentage: Option<String>,
    /// Prices include the tax (it is split out) instead of having it added. Default false.
    pub inclusive: Option<bool>,
    /// Only active rates apply. Default true.
    pub active: Option<bool>,
}

/// An operator's exemption of an account from tax.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaxExemptionInput {
    /// Why the account pays no tax (a certificate number, a status; required, ≤ 500).
    pub reason: Option<String>,
}

/// An account's recorded exemption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaxExemption {
    /// The account.
    pub account_id: AccountId,
    /// Why it pays no tax.
    pub reason: String,
}

/// Which tax applies to an account, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaxTreatmentView {
    /// `taxed`, `reverse_charge` or `not_taxed`.
    pub treatment: &'static str,
    /// The rate, when taxed.
    pub rate: Option<TaxRate>,
    /// The note invoices print, for a reverse charge.
    pub note: Option<String>,
    /// Why no tax applies, when not taxed (recorded on invoices).
    pub reason: Option<String>,
    /// Whether the buyer is a business (has a tax id).
    pub business: bool,
    /// Each rule of the table considered, in order, and what it found.
    pub explanation: Vec<String>,
}

/// Tax rate use cases.
#[derive(Clone)]
pub struct TaxRateService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
    seller: Option<SellerTax>,
}

/// `"19"`, `"7.5"`, `"12.3456"`: 0–100, at most 4 decimals, no sign or exponent.
fn percentage(text: &str) -> Result<Decimal, ValidationError> {
    let field = "percentage";
    let bad = || {
        ValidationError::new(
            field,
            "must be a percentage 0-100 with at most 4 decimals, e.g. \"19\" or \"7.5\"",
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let shaped = (whole == "100" || (1..=2).contains(&whole.len()))
        && digits(whole)
        && (!text.contains('.') || (1..=4).contains(&fraction.len()))
        && digits(fraction);
    if !shaped {
        return Err(bad());
    }
    let d: Decimal = text.parse().map_err(|_| bad())?;
    if d > Decimal::ONE_HUNDRED {
        return Err(bad());
    }
    Ok(d.normalize())
}

impl TaxRateService {
    /// Wires the service; `seller` is the seller's tax position (country, VAT/GST
    /// registration) from configuration, `None` when its country is not configured.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>, seller: Option<SellerTax>) -> Self {
        Self {
            repos,
            clock,
            seller,
        }
    }

    /// Every rate (admin), optionally of one country.
    pub async fn list(
        &self,
        ctx: &RequestContext,
        country: Option<&str>,
    ) -> BillingResult<Vec<TaxRate>> {
        ctx.principal.ensure_admin()?;
        let country = country.map(CountryCode::parse).transpose()?;
        let all = self.repos.tax_rates.list().await?;
        Ok(all
            .into_iter()
            .filter(|r| country.is_none_or(|c| r.country == c))
            .collect())
    }

    /// One rate (admin).
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> BillingResult<TaxRate> {
        ctx.principal.ensure_admin()?;
        let id = TaxRateId::parse(id, "id")?;
        self.repos
            .tax_rates
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("tax rate", &id))
    }

    /// Creates a rate (admin), audited. A second active rate for the same country and
    /// region is refused (409 naming `country`).
    pub async fn create(
        &self,
        ctx: &RequestContext,
        input: TaxRateInput,
    ) -> BillingResult<TaxRate> {
        ctx.principal.ensure_admin()?;
        let now = self.clock.now();
        let rate = TaxRate {
            id: TaxRateId::generate(now),
            display_name: BoundedText::new(
                required(input.display_name.as_deref(), "display_name")?,
                "display_name",
                50,
            )?
            .into_inner(),
            country: CountryCode::parse(required(input.country.as_deref(), "country")?)?,
            region: BoundedText::optional(input.region.as_deref(), "region", 100)?
                .map(BoundedText::into_inner),
            percentage: percentage(required(input.percentage.as_deref(), "percentage")?)?,
            inclusive: input.inclusive.unwrap_or(false),
            active: input.active.unwrap_or(true),
            created_at: now,
            updated_at: now,
        };
        let audit = ctx.audit(
            now,
            "tax_rate.create",
            "tax_rate",
            rate.id.as_str(),
            None,
            None::<&()>,
            Some(&rate),
        );
        self.repos
            .tax_rates
            .insert(&rate, &audit)
            .await
            .map_err(overlap)?;
        Ok(rate)
    }

    /// Changes a rate (admin), audited; absent fields keep their value. Invoices already
    /// finalized keep the rate they were computed with.
    pub async fn update(
        &self,
        ctx: &RequestContext,
        id: &str,
        input: TaxRateInput,
    ) -> BillingResult<TaxRate> {
        let before = self.get(ctx, id).await?;
        let mut rate = before.clone();
        if let Some(v) = input.display_name.as_deref() {
            rate.display_name = BoundedText::new(v, "display_name", 50)?.into_inner();
        }
        if let Some(v) = input.country.as_deref() {
            rate.country = CountryCode::parse(v)?;
        }
        if input.region.is_some() {
            rate.region = BoundedText::optional(input.region.as_deref(), "region", 100)?
                .map(BoundedText::into_inner);
        }
        if let Some(v) = input.percentage.as_deref() {
            rate.percentage = percentage(v)?;
        }
        if let Some(v) = input.inclusive {
            rate.inclusive = v;
        }
        if let Some(v) = input.active {
            rate.active = v;
        }
        rate.updated_at = self.clock.now();
        let audit = ctx.audit(
            rate.updated_at,
            "tax_rate.update",
            "tax_rate",
            rate.id.as_str(),
            None,
            Some(&before),
            Some(&rate),
        );
        self.repos
            .tax_rates
            .update(&rate, &audit)
            .await
            .map_err(overlap)?;
        Ok(rate)
    }

    /// Which tax would apply to `account_id`'s next invoice, and why (admin): the rule table
    /// over the seller's configuration, the account's billing profile and the active rates.
    pub async fn treatment(
        &self,
        ctx: &RequestContext,
        account_id: &str,
    ) -> BillingResult<TaxTreatmentView> {
        ctx.principal.ensure_admin()?;
        let id = AccountId::parse(account_id, "id")?;
        let account = self
            .repos
            .accounts
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("account", &id))?;
        let profile = account.billing_profile.ok_or_else(|| {
            ValidationError::rule(
                "billing_profile",
                "is missing: the account has no country to tax by",
            )
        })?;
        let business = profile.tax_id.is_some();
        let Some(seller) = self.seller else {
            let reason =
                "the seller's country is not configured (BILLING_SELLER_COUNTRY)".to_owned();
            return Ok(TaxTreatmentView {
                treatment: "not_taxed",
                rate: None,
                note: None,
                reason: Some(reason.clone()),
                business,
                explanation: vec![format!("0: {reason}")],
            });
        };
        let rates = self.repos.tax_rates.list().await?;
        let exemption = self.repos.tax_rates.exemption(&id).await?;
        let buyer = TaxBuyer {
            country: profile.address.country,
            region: profile.address.region.as_ref().map(BoundedText::as_str),
            tax_id: profile.tax_id.as_ref(),
            exemption: exemption.as_deref(),
        };
        let d = decide(seller, buyer, &rates);
        let (treatment, rate, note, reason) = match d.treatment {
            TaxTreatment::Taxed(r) => ("taxed", Some(r), None, None),
            TaxTreatment::ReverseCharge => (
                "reverse_charge",
                None,
                Some(REVERSE_CHARGE_NOTE.to_owned()),
                None,
            ),
            TaxTreatment::NotTaxed(why) => ("not_taxed", None, None, Some(why)),
        };
        Ok(TaxTreatmentView {
            treatment,
            rate,
            note,
            reason,
            business: d.business,
            explanation: d.explanation,
        })
    }
}

impl TaxRateService {
    /// Exempts an account from tax (admin), with the reason invoices will record; audited.
    /// Exempting again replaces the reason.
    pub async fn exempt(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        input: TaxExemptionInput,
    ) -> BillingResult<TaxExemption> {
        ctx.principal.ensure_admin()?;
        let id = AccountId::parse(account_id, "id")?;
        let reason = BoundedText::new(required(input.reason.as_deref(), "reason")?, "reason", 500)?
            .into_inner();
        self.write_exemption(ctx, &id, Some(&reason), "tax_exemption.set")
            .await?;
        Ok(TaxExemption {
            account_id: id,
            reason,
        })
    }

    /// Lifts an account's exemption (admin); audited. Lifting none is harmless.
    pub async fn lift_exemption(
        &self,
        ctx: &RequestContext,
        account_id: &str,
    ) -> BillingResult<()> {
        ctx.principal.ensure_admin()?;
        let id = AccountId::parse(account_id, "id")?;
        self.write_exemption(ctx, &id, None, "tax_exemption.lift")
            .await
    }

    async fn write_exemption(
        &self,
        ctx: &RequestContext,
        id: &AccountId,
        reason: Option<&str>,
        action: &str,
    ) -> BillingResult<()> {
        if self.repos.accounts.get(id).await?.is_none() {
            return Err(BillingError::not_found("account", id));
        }
        let before = self.repos.tax_rates.exemption(id).await?;
        let audit = ctx.audit(
            self.clock.now(),
            action,
            "account",
            id.as_str(),
            reason,
            Some(&serde_json::json!({ "tax_exemption": before })),
            Some(&serde_json::json!({ "tax_exemption": reason })),
        );
        Ok(self
            .repos
            .tax_rates
            .set_exemption(id, reason.map(str::to_owned), &audit)
            .await?)
    }
}

/// The store's refusal of a second active rate for a place, named for the caller.
fn overlap(e: RepoError) -> BillingError {
    match e {
        RepoError::Conflict(_) => BillingError::conflict_on(
            "country",
            "tax_rate_overlap",
            "an active tax rate for this country and region exists; deactivate it first",
        ),
        other => other.into(),
    }
}
