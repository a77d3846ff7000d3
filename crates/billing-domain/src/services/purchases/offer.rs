//! Which price and which payment method config a purchase uses: the first candidate price
//! the chosen method is offered for to this account, by the same resolver that `explain`
//! shows, with the refusal that speaks of this account's own country.

use crate::entities::audit::RequestContext;
use crate::entities::{CreditPackage, PaymentMethodConfig, PaymentMethodKind, Principal};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::services::{ExclusionReason, MethodDecision};
use crate::types::{AccountId, Currency, Money};

use super::PurchaseService;

impl PurchaseService {
    /// The first of `candidates` (prices of `package`, best first) that `method` is offered
    /// for to this account, with its config. A price that nets to nothing is passed over
    /// (there is nothing to collect; grant such credits with an adjustment). When none is
    /// offered, the refusal of the first payable candidate, naming the currencies tried when
    /// there were several; when every candidate is free, that.
    pub(super) async fn first_offered(
        &self,
        ctx: &RequestContext,
        account: &AccountId,
        method: PaymentMethodKind,
        package: &CreditPackage,
        candidates: &[Money],
    ) -> BillingResult<(Money, PaymentMethodConfig)> {
        let mut first_refusal = None;
        let mut free = false;
        for price in candidates {
            let net = package.net_of(*price);
            // Nothing to collect in this currency: another may still be payable.
            if net.amount == 0 {
                free = true;
                continue;
            }
            match self
                .offered_config(ctx, account, method, net.currency, net.amount)
                .await
            {
                Ok(config) => return Ok((*price, config)),
                Err(BillingError::Validation(v)) => {
                    first_refusal.get_or_insert((price.currency, v));
                }
                Err(other) => return Err(other),
            }
        }
        let Some((refused_in, refusal)) = first_refusal else {
            return Err(if free {
                ValidationError::new(
                    "credit_package_id",
                    "this package costs nothing; grant its credits with an adjustment",
                )
            } else {
                ValidationError::new("payment_method", "no price to pay")
            }
            .into());
        };
        if candidates.len() > 1 {
            let tried = candidates
                .iter()
                .map(|p| p.currency.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ValidationError::rule(
                "payment_method",
                format!(
                    "{method} is not offered to this account in any currency this package \
                     is sold in ({tried}); in {}: {}",
                    refused_in, refusal.message
                ),
            )
            .into());
        }
        Err(refusal.into())
    }

    /// The config of `method` that the resolver offers to this account for `amount` in
    /// `currency`, or a refusal naming `payment_method` with the resolver's reason.
    pub(crate) async fn offered_config(
        &self,
        ctx: &RequestContext,
        account: &AccountId,
        method: PaymentMethodKind,
        currency: Currency,
        amount: i64,
    ) -> BillingResult<PaymentMethodConfig> {
        // The resolver runs with the system's eyes: the payer may not call "explain".
        let system = RequestContext {
            principal: Principal::system(),
            request_id: ctx.request_id.clone(),
        };
        let decisions = self
            .methods
            .explain(
                &system,
                account.as_str(),
                Some(currency.code()),
                Some(amount),
            )
            .await?;
        let mine: Vec<_> = decisions
            .into_iter()
            .filter(|d| d.config.method == method)
            .collect();
        if let Some(d) = mine.iter().find(|d| d.offered) {
            return Ok(d.config.clone());
        }
        // The reason that speaks of this account: a config that applies to its country (or
        // the default) over one that is merely for another country.
        let applies = |d: &&MethodDecision| {
            !matches!(
                d.reason,
                Some(
                    ExclusionReason::OtherCountry { .. }
                        | ExclusionReason::OverriddenByCountryConfig
                )
            )
        };
        let why = mine
            .iter()
            .find(applies)
            .or(mine.first())
            .and_then(|d| d.message.clone())
            .unwrap_or_else(|| "no configuration exists for it".into());
        Err(ValidationError::rule(
            "payment_method",
            format!("{method} is not offered to this account: {why}"),
        )
        .into())
    }
}
