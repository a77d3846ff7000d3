//! Reading payments, refunds and proofs of payment.

use crate::entities::audit::RequestContext;
use crate::entities::{Payment, ProofFile, Refund};
use crate::error::{BillingError, BillingResult};
use crate::ports::PaymentFilter;
use crate::services::payment_context::PaymentDeps;
use crate::types::{AccountId, FileId, Page, PageRequest, PaymentId};

/// Payment reading use cases.
#[derive(Clone)]
pub struct PaymentQueryService {
    deps: PaymentDeps,
}

impl PaymentQueryService {
    /// Wires the service.
    pub fn new(deps: PaymentDeps) -> Self {
        Self { deps }
    }

    /// One payment of `account_id` (tenancy enforced), or any payment for admins when `None`.
    pub async fn get(
        &self,
        ctx: &RequestContext,
        account_id: Option<&str>,
        id: &str,
    ) -> BillingResult<Payment> {
        // The caller's right to look comes first: whether an id exists is not told to
        // someone who may not see it.
        let account = match account_id {
            Some(a) => {
                let a = AccountId::parse(a, "account_id")?;
                ctx.principal.ensure_account(&a)?;
                Some(a)
            }
            None => {
                ctx.principal.ensure_admin()?;
                None
            }
        };
        let id = PaymentId::parse(id, "id")?;
        let p = self.deps.payment(&id).await?;
        if account.is_some_and(|a| p.account_id != a) {
            return Err(BillingError::not_found("payment", &id));
        }
        Ok(p)
    }

    /// Payments of one account (tenancy enforced), or of all for admins.
    pub async fn list(
        &self,
        ctx: &RequestContext,
        account_id: Option<&str>,
        mut filter: PaymentFilter,
        page: &PageRequest,
    ) -> BillingResult<Page<Payment>> {
        match account_id {
            Some(a) => {
                let a = AccountId::parse(a, "account_id")?;
                ctx.principal.ensure_account(&a)?;
                filter.account_id = Some(a);
            }
            None => ctx.principal.ensure_admin()?,
        }
        Ok(self.deps.repos.payments.list(&filter, page).await?)
    }

    /// The refunds of a payment the caller may see.
    pub async fn refunds(
        &self,
        ctx: &RequestContext,
        account_id: Option<&str>,
        id: &str,
    ) -> BillingResult<Vec<Refund>> {
        let p = self.get(ctx, account_id, id).await?;
        Ok(self.deps.repos.payments.refunds_of(&p.id).await?)
    }

    /// The proof of payment attached to a payment the caller may see.
    pub async fn proof(
        &self,
        ctx: &RequestContext,
        account_id: Option<&str>,
        id: &str,
    ) -> BillingResult<ProofFile> {
        let p = self.get(ctx, account_id, id).await?;
        let file_id: FileId = p
            .confirmation
            .and_then(|c| c.proof_file_id)
            .ok_or_else(|| BillingError::not_found("proof_file", &p.id))?;
        self.deps
            .repos
            .payments
            .get_proof(&file_id)
            .await?
            .ok_or_else(|| BillingError::not_found("proof_file", &file_id))
    }
}
