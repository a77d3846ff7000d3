//! Credit packages: the public catalog and its administration.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::entities::CreditPackage;
use crate::entities::audit::RequestContext;
use crate::entities::credit_package::{parse_discount, parse_gateway_ref};
use crate::error::{BillingError, BillingResult, RepoError, ValidationError};
use crate::ports::{Clock, Repositories};
use crate::services::catalog;
use crate::services::input::{decimal, required, sort_order};
use crate::types::{BoundedText, CreditPackageId, Credits, PriceInput, PriceList, Slug};

/// A package as sent on create; on update (PATCH) absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreditPackageInput {
    /// Display name (≤ 100).
    pub name: Option<String>,
    /// Unique URL-safe name.
    pub slug: Option<String>,
    /// Marketing text (≤ 1000).
    pub description: Option<String>,
    /// Credits granted.
    pub credits: Option<i64>,
    /// List prices, one per currency: `[{"amount": 2900, "currency": "USD"}, …]` (integer
    /// minor units at the currency's exponent). On update the list is replaced whole.
    pub prices: Option<Vec<PriceInput>>,
    /// Discount percent 0–100: an integer or a decimal string (`"12.5"`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "10"))]
    pub discount_percent: Option<serde_json::Value>,
    /// Shown first.
    pub featured: Option<bool>,
    /// Can be bought.
    pub active: Option<bool>,
    /// Listing position.
    pub sort_order: Option<i64>,
    /// Stripe Price id.
    pub stripe_price_id: Option<String>,
    /// PayPal product id.
    pub paypal_product_id: Option<String>,
}

/// Credit package use cases.
#[derive(Clone)]
pub struct CreditPackageService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
}

fn slug_conflict(e: RepoError, slug: &Slug) -> BillingError {
    catalog::slug_conflict(e, "credit package", slug)
}

impl CreditPackageService {
    /// Wires the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>) -> Self {
        Self { repos, clock }
    }

    /// Active packages in public order: featured first, then `sort_order`, then id.
    pub async fn list_public(&self) -> BillingResult<Vec<CreditPackage>> {
        let mut all = self.repos.packages.list(true).await?;
        all.sort_by(|a, b| {
            catalog::listing_key(a.featured, a.sort_order, a.id.as_str()).cmp(
                &catalog::listing_key(b.featured, b.sort_order, b.id.as_str()),
            )
        });
        Ok(all)
    }

    /// Every package, active or not, in id order (admin).
    pub async fn list_all(&self, ctx: &RequestContext) -> BillingResult<Vec<CreditPackage>> {
        ctx.principal.ensure_admin()?;
        Ok(self.repos.packages.list(false).await?)
    }

    /// One package; inactive ones only for admins.
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> BillingResult<CreditPackage> {
        let id = CreditPackageId::parse(id, "id")?;
        let p = self
            .repos
            .packages
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("credit_package", &id))?;
        if !p.active && ctx.principal.ensure_admin().is_err() {
            return Err(BillingError::not_found("credit_package", &id));
        }
        Ok(p)
    }

    /// Creates a package (admin).
    pub async fn create(
        &self,
        ctx: &RequestContext,
        input: CreditPackageInput,
    ) -> BillingResult<CreditPackage> {
        ctx.principal.ensure_admin()?;
        let now = self.clock.now();
        let p = CreditPackage {
            id: CreditPackageId::generate(now),
            name: BoundedText::new(required(input.name.as_deref(), "name")?, "name", 100)?,
            slug: Slug::new(required(input.slug.as_deref(), "slug")?, "slug")?,
            description: BoundedText::optional(input.description.as_deref(), "description", 1000)?,
            credits: Credits::new(*required(input.credits.as_ref(), "credits")?, "credits")?,
            prices: PriceList::parse(required(input.prices.as_ref(), "prices")?, "prices")?,
            discount_percent: match &input.discount_percent {
                None => rust_decimal::Decimal::ZERO,
                Some(v) => discount_value(v, "discount_percent")?,
            },
            featured: input.featured.unwrap_or(false),
            active: input.active.unwrap_or(true),
            sort_order: sort_order(input.sort_order, "sort_order")?,
            stripe_price_id: parse_gateway_ref(
                input.stripe_price_id.as_deref(),
                "stripe_price_id",
            )?,
            paypal_product_id: parse_gateway_ref(
                input.paypal_product_id.as_deref(),
                "paypal_product_id",
            )?,
            created_at: now,
            updated_at: now,
        };
        let audit = ctx.audit(
            now,
            "credit_package.create",
            "credit_package",
            p.id.as_str(),
            None,
            None::<&()>,
            Some(&p),
        );
        self.repos
            .packages
            .insert(&p, &audit)
            .await
            .map_err(|e| slug_conflict(e, &p.slug))?;
        Ok(p)
    }

    /// Changes a package (admin); `active: false` deactivates it.
    pub async fn update(
        &self,
        ctx: &RequestContext,
        id: &str,
        input: CreditPackageInput,
    ) -> BillingResult<CreditPackage> {
        ctx.principal.ensure_admin()?;
        let before = self.get(ctx, id).await?;
        let mut p = before.clone();
        if let Some(v) = input.name.as_deref() {
            p.name = BoundedText::new(v, "name", 100)?;
        }
        if let Some(v) = input.slug.as_deref() {
            p.slug = Slug::new(v, "slug")?;
        }
        if input.description.is_some() {
            p.description =
                BoundedText::optional(input.description.as_deref(), "description", 1000)?;
        }
        if let Some(v) = input.credits {
            p.credits = Credits::new(v, "credits")?;
        }
        if let Some(v) = &input.prices {
            p.prices = PriceList::parse(v, "prices")?;
            // A Stripe Price bills one currency and amount: the first price's. When that
            // changes, the configured Price would charge something else, so the request must
            // say what becomes of it (a new id, or "" to bill by amount).
            if p.prices.first() != before.prices.first()
                && p.stripe_price_id.is_some()
                && input.stripe_price_id.is_none()
            {
                return Err(ValidationError::new(
                    "stripe_price_id",
                    "the first price changes: send the Stripe Price of the new first price, \
                     or \"\" to let checkout bill the amount",
                )
                .into());
            }
        }
        if let Some(v) = &input.discount_percent {
            p.discount_percent = discount_value(v, "discount_percent")?;
        }
        if let Some(v) = input.featured {
            p.featured = v;
        }
        if let Some(v) = input.active {
            p.active = v;
        }
        if input.sort_order.is_some() {
            p.sort_order = sort_order(input.sort_order, "sort_order")?;
        }
        if input.stripe_price_id.is_some() {
            p.stripe_price_id =
                parse_gateway_ref(input.stripe_price_id.as_deref(), "stripe_price_id")?;
        }
        if input.paypal_product_id.is_some() {
            p.paypal_product_id =
                parse_gateway_ref(input.paypal_product_id.as_deref(), "paypal_product_id")?;
        }
        if p == before {
            return Ok(p);
        }
        p.updated_at = self.clock.now();
        let action = if before.active && !p.active {
            "credit_package.deactivate"
        } else {
            "credit_package.update"
        };
        let audit = ctx.audit(
            p.updated_at,
            action,
            "credit_package",
            p.id.as_str(),
            None,
            Some(&before),
            Some(&p),
        );
        self.repos
            .packages
            .update(&p, &audit)
            .await
            .map_err(|e| slug_conflict(e, &p.slug))?;
        Ok(p)
    }

    /// Looks up an active package for a purchase; unknown or inactive is a validation error
    /// on `field`.
    pub async fn purchasable(&self, id: &str, field: &str) -> BillingResult<CreditPackage> {
        let id = CreditPackageId::parse(id, field)?;
        match self.repos.packages.get(&id).await? {
            Some(p) if p.active => Ok(p),
            Some(_) => Err(ValidationError::new(
                field,
                format!("credit package {id} is no longer sold"),
            )
            .into()),
            None => Err(ValidationError::rule(field, format!("no credit package {id}")).into()),
        }
    }
}

/// Parses a discount as the API takes it: an integer 0–100, or a string of one with at most
/// two decimal places (`"12.5"`), nothing else (no sign, exponent or spaces) — the pattern
/// the API document states.
fn discount_value(
    v: &serde_json::Value,
    field: &str,
) -> Result<rust_decimal::Decimal, ValidationError> {
    // A whole number written as a float (`10.0`) is the integer the document allows.
    if let Some(f) = v
        .as_f64()
        .filter(|f| v.is_f64() && f.fract() == 0.0 && (0.0..=100.0).contains(f))
    {
        #[allow(clippy::cast_possible_truncation)]
        return parse_discount(rust_decimal::Decimal::from(f as i64), field);
    }
    if let serde_json::Value::String(s) = v {
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        let shaped = (1..=3).contains(&whole.len())
            && digits(whole)
            && (!s.contains('.') || (1..=2).contains(&fraction.len()))
            && digits(fraction);
        if !shaped {
            return Err(ValidationError::new(
                field,
                "must be a percentage 0-100 with at most two decimal places, e.g. \"12.5\"",
            ));
        }
    }
    parse_discount(decimal(v, field)?, field)
}
