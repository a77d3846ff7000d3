//! Payment method configs (operators) and the methods an account may use.

use std::sync::Arc;

use crate::entities::audit::RequestContext;
use crate::entities::{PaymentMethodConfig, PaymentMethodKind};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::{Clock, Repositories};
use crate::services::GatewayAvailability;
use crate::services::input::{required, sort_order};
pub use crate::services::payment_method_config_input::{
    AmountLimitInput, BankDetailsInput, PaymentMethodConfigInput, WalletDetailsInput,
};
use crate::services::payment_method_config_input::{check_details, currencies, limits, opt, text};
use crate::services::payment_method_resolver::{MethodDecision, resolve};
use crate::types::{AccountId, BoundedText, CountryCode, Currency, PaymentMethodConfigId};

/// Payment method config use cases.
#[derive(Clone)]
pub struct PaymentMethodConfigService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
    gateways: GatewayAvailability,
}

impl PaymentMethodConfigService {
    /// Wires the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>, gateways: GatewayAvailability) -> Self {
        Self {
            repos,
            clock,
            gateways,
        }
    }

    /// Creates a config (admin).
    pub async fn create(
        &self,
        ctx: &RequestContext,
        input: PaymentMethodConfigInput,
    ) -> BillingResult<PaymentMethodConfig> {
        ctx.principal.ensure_admin()?;
        let now = self.clock.now();
        let method_text = required(input.method.as_deref(), "method")?;
        let method = PaymentMethodKind::parse(method_text).ok_or_else(|| {
            ValidationError::new(
                "method",
                "must be one of stripe, paypal, bank_transfer, local_wallet",
            )
        })?;
        let accepted = currencies(input.currencies.as_deref().unwrap_or_default())?;
        let config = PaymentMethodConfig {
            id: PaymentMethodConfigId::generate(now),
            country: input
                .country
                .as_deref()
                .map(CountryCode::parse)
                .transpose()?,
            method,
            display_name: text(input.display_name.as_deref(), "display_name", 100)?,
            enabled: input.enabled.unwrap_or(true),
            sort_order: sort_order(input.sort_order, "sort_order")?,
            instructions: opt(input.instructions.as_deref(), "instructions", 2000)?,
            bank_details: input
                .bank_details
                .as_ref()
                .map(BankDetailsInput::parse)
                .transpose()?,
            wallet_details: input
                .wallet_details
                .as_ref()
                .map(WalletDetailsInput::parse)
                .transpose()?,
            amount_limits: limits(
                input.amount_limits.as_deref().unwrap_or_default(),
                &accepted,
            )?,
            currencies: accepted,
            created_at: now,
            updated_at: now,
        };
        check_details(&config)?;
        let audit = ctx.audit(
            now,
            "payment_method_config.create",
            "payment_method_config",
            config.id.as_str(),
            None,
            None::<&()>,
            Some(&config),
        );
        self.repos.payment_methods.insert(&config, &audit).await?;
        Ok(config)
    }

    /// Reads one config (admin).
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> BillingResult<PaymentMethodConfig> {
        ctx.principal.ensure_admin()?;
        let id = PaymentMethodConfigId::parse(id, "id")?;
        self.repos
            .payment_methods
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("payment_method_config", &id))
    }

    /// Every config (admin), optionally of one country (`default` for the all-countries ones).
    pub async fn list(
        &self,
        ctx: &RequestContext,
        country: Option<&str>,
    ) -> BillingResult<Vec<PaymentMethodConfig>> {
        ctx.principal.ensure_admin()?;
        let all = self.repos.payment_methods.list().await?;
        Ok(match country {
            None => all,
            Some("default") => all.into_iter().filter(|c| c.country.is_none()).collect(),
            Some(c) => {
                let cc = CountryCode::parse(c)?;
                all.into_iter().filter(|x| x.country == Some(cc)).collect()
            }
        })
    }

    /// Changes a config (admin); `country` and `method` are fixed.
    pub async fn update(
        &self,
        ctx: &RequestContext,
        id: &str,
        input: PaymentMethodConfigInput,
    ) -> BillingResult<PaymentMethodConfig> {
        let before = self.get(ctx, id).await?;
        if input.country.is_some() || input.method.is_some() {
            let field = if input.country.is_some() {
                "country"
            } else {
                "method"
            };
            return Err(ValidationError::rule(
                field,
                "cannot be changed; delete the config and create a new one",
            )
            .into());
        }
        let mut c = before.clone();
        if let Some(v) = input.display_name.as_deref() {
            c.display_name = BoundedText::new(v, "display_name", 100)?;
        }
        if let Some(v) = input.enabled {
            c.enabled = v;
        }
        if input.sort_order.is_some() {
            c.sort_order = sort_order(input.sort_order, "sort_order")?;
        }
        if input.instructions.is_some() {
            c.instructions = opt(input.instructions.as_deref(), "instructions", 2000)?;
        }
        if let Some(b) = &input.bank_details {
            c.bank_details = Some(b.parse()?);
        }
        if let Some(w) = &input.wallet_details {
            c.wallet_details = Some(w.parse()?);
        }
        if let Some(v) = &input.currencies {
            c.currencies = currencies(v)?;
        }
        if let Some(v) = &input.amount_limits {
            c.amount_limits = limits(v, &c.currencies)?;
        } else if let Some(l) = c.amount_limits.iter().find(|l| !c.accepts(l.currency)) {
            return Err(ValidationError::new(
                "currencies",
                format!(
                    "{} still has amount limits; change amount_limits too",
                    l.currency
                ),
            )
            .into());
        }
        check_details(&c)?;
        c.updated_at = self.clock.now();
        let audit = ctx.audit(
            c.updated_at,
            "payment_method_config.update",
            "payment_method_config",
            c.id.as_str(),
            None,
            Some(&before),
            Some(&c),
        );
        self.repos.payment_methods.update(&c, &audit).await?;
        Ok(c)
    }

    /// Deletes a config (admin).
    pub async fn delete(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> BillingResult<PaymentMethodConfig> {
        let before = self.get(ctx, id).await?;
        let audit = ctx.audit(
            self.clock.now(),
            "payment_method_config.delete",
            "payment_method_config",
            before.id.as_str(),
            None,
            Some(&before),
            None::<&()>,
        );
        self.repos
            .payment_methods
            .delete(&before.id, &audit)
            .await?;
        Ok(before)
    }

    /// Every config's decision for an account, offered first (admin "explain").
    pub async fn explain(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        currency: Option<&str>,
        amount: Option<i64>,
    ) -> BillingResult<Vec<MethodDecision>> {
        ctx.principal.ensure_admin()?;
        self.decide(ctx, account_id, currency, amount).await
    }

    /// The configs the account may use, in the payer's order.
    pub async fn available(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        currency: Option<&str>,
        amount: Option<i64>,
    ) -> BillingResult<Vec<PaymentMethodConfig>> {
        let decisions = self.decide(ctx, account_id, currency, amount).await?;
        Ok(decisions
            .into_iter()
            .filter(|d| d.offered)
            .map(|d| d.config)
            .collect())
    }

    async fn decide(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        currency: Option<&str>,
        amount: Option<i64>,
    ) -> BillingResult<Vec<MethodDecision>> {
        let id = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&id)?;
        let account = self
            .repos
            .accounts
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("account", &id))?;
        let currency = match currency {
            Some(c) => Currency::parse(c)?,
            None => account
                .billing_profile
                .as_ref()
                .and_then(|p| p.preferred_currency)
                .ok_or_else(|| {
                    ValidationError::rule(
                        "currency",
                        "is required (the account has no preferred currency)",
                    )
                })?,
        };
        if amount.is_some_and(|a| a < 0) {
            return Err(ValidationError::new("amount", "must not be negative").into());
        }
        let configs = self.repos.payment_methods.list().await?;
        Ok(resolve(
            account.country(),
            currency,
            amount,
            &configs,
            &self.gateways,
        ))
    }
}
