//! What the payment use cases share: their dependencies, settings, and the guarded-write
//! retry loop.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::entities::{Payment, PaymentMethodKind, PaymentStatus, StatusChange};
use crate::error::{BillingError, BillingResult};
use crate::ports::{
    Clock, PaymentChange, PaymentChangeOutcome, PaymentFlowRepository, PaymentGateway, Repositories,
};
use crate::types::PaymentId;

/// Settings of the payment flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSettings {
    /// Invoice number prefix: numbers read `{prefix}-{year}-{seq:06}`.
    pub invoice_prefix: String,
    /// Days a manual payment waits for the transfer before it is canceled.
    pub manual_payment_expiry_days: i64,
    /// Days until a finalized invoice is due.
    pub invoice_due_days: i64,
    /// Largest proof-of-payment upload, in bytes.
    pub max_proof_bytes: usize,
    /// Days a sent subscription invoice (pay link, bank transfer) is due after its period
    /// starts; never past the period's end.
    pub subscription_due_days: i64,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            invoice_prefix: "INV".into(),
            manual_payment_expiry_days: 7,
            invoice_due_days: 14,
            max_proof_bytes: 5 * 1024 * 1024,
            subscription_due_days: 7,
        }
    }
}

/// The gateways of this deployment, by payment method.
#[derive(Clone, Default)]
pub struct GatewayRegistry {
    gateways: BTreeMap<PaymentMethodKind, Arc<dyn PaymentGateway>>,
}

impl GatewayRegistry {
    /// Registers `gateway` for every method it serves.
    #[must_use]
    pub fn with(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        for m in gateway.methods() {
            self.gateways.insert(m, gateway.clone());
        }
        self
    }

    /// The gateway of `method`.
    pub fn get(&self, method: PaymentMethodKind) -> BillingResult<Arc<dyn PaymentGateway>> {
        self.gateways.get(&method).cloned().ok_or_else(|| {
            BillingError::NotConfigured(format!("{method} is not configured in this deployment"))
        })
    }
}

/// Dependencies of the payment use cases.
#[derive(Clone)]
pub struct PaymentDeps {
    /// Reads.
    pub repos: Repositories,
    /// Guarded writes.
    pub flow: Arc<dyn PaymentFlowRepository>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Gateways by method.
    pub gateways: GatewayRegistry,
    /// Settings.
    pub settings: PaymentSettings,
}

/// How often a guarded write is retried after losing a race before giving up with a 409.
pub const MAX_ATTEMPTS: usize = 5;

impl PaymentDeps {
    /// The account and its billing profile, required before anything is sold to it: a 404
    /// for no account, a 400 on `billing_profile` naming `what` the profile is needed for.
    pub async fn payer(
        &self,
        id: &crate::types::AccountId,
        what: &str,
    ) -> BillingResult<(crate::entities::Account, crate::entities::BillingProfile)> {
        let account = self
            .repos
            .accounts
            .get(id)
            .await?
            .ok_or_else(|| BillingError::not_found("account", id))?;
        let profile = account.billing_profile.clone().ok_or_else(|| {
            crate::error::ValidationError::rule(
                "billing_profile",
                format!(
                    "add a billing profile (PUT /v1/accounts/{{id}}/billing-profile) before {what}"
                ),
            )
        })?;
        Ok((account, profile))
    }

    /// The payments of `invoice`: the account's payments since it was created (the newest
    /// 100), filtered to it.
    pub async fn payments_of(
        &self,
        invoice: &crate::entities::Invoice,
    ) -> BillingResult<Vec<Payment>> {
        let filter = crate::ports::PaymentFilter {
            account_id: Some(invoice.account_id.clone()),
            from: Some(invoice.created_at),
            ..crate::ports::PaymentFilter::default()
        };
        let page = self
            .repos
            .payments
            .list(&filter, &crate::types::PageRequest::first(100))
            .await?;
        Ok(page
            .data
            .into_iter()
            .filter(|p| p.invoice_id == invoice.id)
            .collect())
    }

    /// Reads a payment or 404.
    pub async fn payment(&self, id: &PaymentId) -> BillingResult<Payment> {
        self.repos
            .payments
            .get(id)
            .await?
            .ok_or_else(|| BillingError::not_found("payment", id))
    }

    /// Reads the payment, lets `decide` compute the change from it, applies it; on a lost race
    /// re-reads and decides again. `decide` returns `Ok(None)` when nothing is to be done
    /// (an idempotent repeat), and the final payment is returned.
    pub async fn guarded<F>(
        &self,
        id: &PaymentId,
        mut decide: F,
    ) -> BillingResult<(Payment, Option<PaymentChangeOutcome>)>
    where
        F: FnMut(Payment) -> BillingResult<Option<PaymentChange>>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.payment(id).await?;
            let Some(change) = decide(current.clone())? else {
                return Ok((current, None));
            };
            match self.flow.apply_payment_change(&change).await? {
                outcome @ PaymentChangeOutcome::Applied { .. } => {
                    return Ok((change.payment, Some(outcome)));
                }
                PaymentChangeOutcome::Stale => continue,
            }
        }
        Err(BillingError::conflict(
            "concurrent_update",
            format!("payment {id} changed concurrently; retry"),
        ))
    }
}

/// Moves `p` to `to` (checking the state machine) and appends the history entry.
pub fn transition(
    p: &mut Payment,
    to: PaymentStatus,
    actor: &str,
    note: Option<String>,
    at: time::OffsetDateTime,
) -> BillingResult<()> {
    p.status = p.status.transition(to)?;
    p.history.push(StatusChange {
        status: to,
        at,
        actor: actor.to_owned(),
        note,
    });
    p.updated_at = at;
    Ok(())
}
