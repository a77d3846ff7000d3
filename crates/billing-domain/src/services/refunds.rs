//! Refunds, one use case for every gateway, with the credit clawback rule.
//!
//! **Clawback rule.** Credits come back in proportion to the money that comes back, counted
//! cumulatively so rounding never adds up: refunds first consume the payment's excess
//! (overpayment, which bought no credits), then
//! `clawed_total(r) = ⌊granted × max(0, r − excess) / invoice.total⌋` where `r` is everything
//! refunded on the payment so far; this refund claws back `clawed_total(after) −
//! clawed_total(before)`. A full refund of a fully paying payment claws back every credit.
//! Never below zero: what the balance cannot cover is recorded on the refund as
//! `credits_deficit`. If the invoice was never fully paid, no credits were granted and none
//! are clawed back. A finalized invoice itself is not changed by a refund.
//!
//! **Order of writes.** The refund is recorded `pending` before the gateway is called (see
//! [`crate::services::refund_outcomes`]); a refund the gateway refuses, or later reports
//! failed, is reversed and its clawed-back credits are granted again.

use serde::{Deserialize, Serialize};

use crate::entities::audit::RequestContext;
use crate::entities::{LedgerKind, Payment, PaymentStatus, Refund, RefundStatus};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::gateway::GatewayRefundRequest;
use crate::ports::{
    GatewayError, PaymentChange, PaymentChangeOutcome, Posting, PostingMode, RetryBackoff,
};
use crate::services::gateway_events::gateway_actor;
use crate::services::input::required;
use crate::services::payment_context::{MAX_ATTEMPTS, PaymentDeps, transition};
use crate::services::refund_outcomes::apply_refund_answer;
use crate::services::settlement::grant_source;
use crate::types::{BoundedText, LedgerEntryId, PaymentId, RefundId};

/// A refund as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundInput {
    /// Minor units; defaults to everything still refundable.
    pub amount: Option<i64>,
    /// Why (required, ≤ 500).
    pub reason: Option<String>,
}

/// Credits to claw back for refunding `amount` more on `payment`, by the rule above.
pub fn clawback_for(payment: &Payment, invoice_total: i64, granted: i64, amount: i64) -> i64 {
    if granted <= 0 || invoice_total <= 0 {
        return 0;
    }
    let excess = i128::from(payment.excess());
    let total = |refunded: i64| -> i128 {
        i128::from(granted) * (i128::from(refunded) - excess).max(0) / i128::from(invoice_total)
    };
    let before = total(payment.amount_refunded);
    let after = total(payment.amount_refunded.saturating_add(amount));
    i64::try_from((after - before).min(i128::from(granted))).unwrap_or(granted)
}

/// Refund use cases.
#[derive(Clone)]
pub struct RefundService {
    deps: PaymentDeps,
}

impl RefundService {
    /// Wires the service.
    pub fn new(deps: PaymentDeps) -> Self {
        Self { deps }
    }

    /// Refunds all or part of a succeeded payment through its gateway (admin), claws credits
    /// back and records it. Refunding more than is refundable is refused.
    ///
    /// The refund is recorded `pending` first (amount reserved, credits clawed back), then the
    /// gateway is called with no transaction open; its answer settles or reverses the refund
    /// (see [`crate::services::refund_outcomes`]). A refusal is 409 `refund_declined` with
    /// the refund kept as `failed`; an unknown outcome returns the refund still `pending`.
    pub async fn refund(
        &self,
        ctx: &RequestContext,
        payment_id: &str,
        input: RefundInput,
    ) -> BillingResult<Refund> {
        ctx.principal.ensure_admin()?;
        let id = PaymentId::parse(payment_id, "id")?;
        let reason = BoundedText::new(required(input.reason.as_deref(), "reason")?, "reason", 500)?
            .into_inner();
        let payment = self.deps.payment(&id).await?;
        ensure_refundable(&payment, input.amount)?;
        // An unconfigured gateway refuses before anything is written.
        let gateway = self.deps.gateways.get(payment.method)?;
        let refund = self.record(ctx, &id, input.amount, &reason, None).await?;
        let answer = gateway
            .refund(&GatewayRefundRequest {
                refund_id: refund.id.clone(),
                payment,
                amount: refund.amount,
                reason,
            })
            .await;
        apply_refund_answer(&self.deps, &refund, answer, &ctx.principal.actor()).await
    }

    /// The janitor: asks the gateways again about refunds they never acknowledged (the call
    /// timed out or failed with a 5xx), created between `max_age` and `min_age` ago, at most
    /// `limit`. The same refund id is the gateway's idempotency key, so asking again cannot
    /// refund twice; older refunds are left to an operator, because gateways forget
    /// idempotency keys (Stripe after 24 hours). Returns (asked, now known).
    pub async fn retry_unacknowledged(
        &self,
        min_age: time::Duration,
        max_age: time::Duration,
        limit: u32,
    ) -> BillingResult<(u32, u32)> {
        let now = self.deps.clock.now();
        let due = self
            .deps
            .flow
            .unacknowledged_refunds(now - max_age, now - min_age, limit, now)
            .await?;
        let (mut asked, mut known) = (0u32, 0u32);
        for refund in due {
            asked = asked.saturating_add(1);
            let payment = self.deps.payment(&refund.payment_id).await?;
            let answer = match self.deps.gateways.get(payment.method) {
                Ok(gateway) => {
                    gateway
                        .refund(&GatewayRefundRequest {
                            refund_id: refund.id.clone(),
                            payment: payment.clone(),
                            amount: refund.amount,
                            reason: refund.reason.clone(),
                        })
                        .await
                }
                Err(e) => Err(GatewayError::Uncertain(e.to_string())),
            };
            let why = match &answer {
                Err(e) => e.to_string(),
                Ok(_) => String::new(),
            };
            let subject = refund.id.as_str();
            let actor = gateway_actor(payment.method);
            match apply_refund_answer(&self.deps, &refund, answer, actor).await {
                Ok(r) if r.status == RefundStatus::Pending && r.gateway_refund_id.is_none() => {
                    self.deps
                        .flow
                        .defer_retry(subject, &why, now, RetryBackoff::JANITOR)
                        .await?;
                }
                Ok(_) | Err(BillingError::Conflict { .. } | BillingError::Unavailable(_)) => {
                    known = known.saturating_add(1);
                    self.deps.flow.clear_retry(subject).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok((asked, known))
    }

    /// Records a refund in one guarded write: the payment's refunded amount and status, the
    /// clawback (by the rule above) and the audit entry; `pending`, or `succeeded` when the
    /// gateway already did it (`done_at_gateway` = its refund id). Re-decided on a lost race,
    /// so a concurrent refund can never make the total exceed what was received.
    pub(crate) async fn record(
        &self,
        ctx: &RequestContext,
        id: &PaymentId,
        asked: Option<i64>,
        reason: &str,
        done_at_gateway: Option<String>,
    ) -> BillingResult<Refund> {
        let actor = ctx.principal.actor();
        for _ in 0..MAX_ATTEMPTS {
            let current = self.deps.payment(id).await?;
            let amount = ensure_refundable(&current, asked)?;
            let now = self.deps.clock.now();
            let refund_id = RefundId::generate(now);
            let invoice = self
                .deps
                .repos
                .invoices
                .get(&current.invoice_id)
                .await?
                .ok_or_else(|| BillingError::Internal("payment without invoice".into()))?;
            let granted = self
                .deps
                .repos
                .ledger
                .find_by_source(&current.account_id, &grant_source(&invoice))
                .await?
                .map_or(0, |e| e.amount);
            let claw = clawback_for(&current, invoice.total, granted, amount);
            let mut next = current.clone();
            next.amount_refunded = current
                .amount_refunded
                .checked_add(amount)
                .ok_or_else(|| BillingError::Internal("refunded amount overflows".into()))?;
            let to = if next.amount_refunded >= next.amount_received {
                PaymentStatus::Refunded
            } else {
                PaymentStatus::PartiallyRefunded
            };
            transition(&mut next, to, &actor, Some(reason.to_owned()), now)?;
            let refund = Refund {
                id: refund_id.clone(),
                payment_id: id.clone(),
                account_id: current.account_id.clone(),
                status: if done_at_gateway.is_some() {
                    RefundStatus::Succeeded
                } else {
                    RefundStatus::Pending
                },
                currency: current.currency,
                amount,
                reason: reason.to_owned(),
                gateway_refund_id: done_at_gateway.clone(),
                credits_clawed_back: 0,
                credits_deficit: 0,
                actor: actor.clone(),
                created_at: now,
                updated_at: now,
            };
            let posting = (claw > 0).then(|| Posting {
                entry_id: LedgerEntryId::generate(now),
                account_id: current.account_id.clone(),
                kind: LedgerKind::RefundClawback,
                amount: -claw,
                mode: PostingMode::UpToAvailable,
                source_ref: format!("refund:{refund_id}"),
                description: format!("Refund {refund_id} of payment {id}"),
                metadata: serde_json::json!({ "payment_id": id, "refund_id": refund_id }),
                actor: actor.clone(),
                at: now,
                audit: None,
                lot: Default::default(),
            });
            let audit = ctx.audit(
                now,
                "payment.refund",
                "payment",
                id.as_str(),
                Some(reason),
                Some(&current),
                Some(&next),
            );
            let events = if refund.status == RefundStatus::Succeeded {
                vec![crate::services::payment_events::refund_succeeded(
                    &refund, now,
                )]
            } else {
                Vec::new()
            };
            let change = PaymentChange {
                posting,
                refund: Some(refund),
                audit: Some(audit),
                events,
                ..PaymentChange::payment_only(next, &current)
            };
            if let PaymentChangeOutcome::Applied {
                refund: Some(stored),
                ..
            } = self.deps.flow.apply_payment_change(&change).await?
            {
                return Ok(stored);
            }
        }
        Err(BillingError::conflict(
            "concurrent_update",
            format!("payment {id} changed concurrently; retry"),
        ))
    }
}

/// The amount to refund (`asked`, else everything refundable), if `payment` can refund it.
fn ensure_refundable(payment: &Payment, asked: Option<i64>) -> BillingResult<i64> {
    if !matches!(
        payment.status,
        PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded
    ) {
        return Err(BillingError::conflict(
            "payment_not_refundable",
            format!("payment {} is {}", payment.id, payment.status),
        ));
    }
    let amount = asked.unwrap_or_else(|| payment.refundable());
    if amount <= 0 || amount > payment.refundable() {
        return Err(ValidationError::new(
            "amount",
            format!(
                "must be between 1 and the refundable {} minor units",
                payment.refundable()
            ),
        )
        .into());
    }
    Ok(amount)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn payment(amount: i64, received: i64, refunded: i64) -> Payment {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        Payment {
            id: PaymentId::generate(now),
            account_id: crate::types::AccountId::generate(now),
            invoice_id: crate::types::InvoiceId::generate(now),
            method: crate::entities::PaymentMethodKind::BankTransfer,
            status: PaymentStatus::Succeeded,
            currency: crate::types::Currency::parse("USD").unwrap(),
            amount,
            amount_received: received,
            amount_refunded: refunded,
            reference: None,
            gateway_reference: None,
            gateway_payment_id: None,
            failure_reason: None,
            expires_at: None,
            next_action: None,
            confirmation: None,
            history: vec![],
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn full_refund_claws_back_everything_and_partials_add_up() {
        let p = payment(2610, 2610, 0);
        assert_eq!(clawback_for(&p, 2610, 2000, 2610), 2000);
        let first = clawback_for(&p, 2610, 2000, 1000);
        let p2 = payment(2610, 2610, 1000);
        let second = clawback_for(&p2, 2610, 2000, 1610);
        assert_eq!(first, 766); // ⌊2000 × 1000 / 2610⌋
        assert_eq!(first + second, 2000);
    }

    #[test]
    fn excess_is_refunded_first_without_clawback() {
        let p = payment(900, 1000, 0); // paid 1.00 for a 9.00 ... excess 100
        assert_eq!(clawback_for(&p, 900, 500, 100), 0);
        assert_eq!(clawback_for(&p, 900, 500, 1000), 500);
    }

    #[test]
    fn nothing_granted_nothing_clawed() {
        assert_eq!(clawback_for(&payment(900, 400, 0), 900, 0, 400), 0);
    }
}
