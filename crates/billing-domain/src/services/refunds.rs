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

use serde::{Deserialize, Serialize};

use crate::entities::audit::RequestContext;
use crate::entities::{LedgerKind, Payment, PaymentStatus, Refund, RefundStatus};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::gateway::GatewayRefundRequest;
use crate::ports::{PaymentChange, PaymentChangeOutcome, PaymentGuard, Posting, PostingMode};
use crate::services::input::required;
use crate::services::payment_context::{PaymentDeps, transition};
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
        if !matches!(
            payment.status,
            PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded
        ) {
            return Err(BillingError::conflict(
                "payment_not_refundable",
                format!("payment {id} is {}", payment.status),
            ));
        }
        let amount = input.amount.unwrap_or_else(|| payment.refundable());
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
        let now = self.deps.clock.now();
        let refund_id = RefundId::generate(now);
        // The gateway call happens with no transaction open.
        let gateway = self.deps.gateways.get(payment.method)?;
        let at_gateway = gateway
            .refund(&GatewayRefundRequest {
                refund_id: refund_id.clone(),
                payment: payment.clone(),
                amount,
                reason: reason.clone(),
            })
            .await
            .map_err(|e| BillingError::Unavailable(format!("the gateway did not refund: {e}")))?;
        let actor = ctx.principal.actor();
        for _ in 0..crate::services::payment_context::MAX_ATTEMPTS {
            let current = self.deps.payment(&id).await?;
            if amount > current.refundable() {
                return Err(ValidationError::new(
                    "amount",
                    format!(
                        "must be between 1 and the refundable {} minor units",
                        current.refundable()
                    ),
                )
                .into());
            }
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
            transition(&mut next, to, &actor, Some(reason.clone()), now)?;
            let refund = Refund {
                id: refund_id.clone(),
                payment_id: id.clone(),
                account_id: current.account_id.clone(),
                status: if at_gateway.settled {
                    RefundStatus::Succeeded
                } else {
                    RefundStatus::Pending
                },
                currency: current.currency,
                amount,
                reason: reason.clone(),
                gateway_refund_id: at_gateway.gateway_refund_id.clone(),
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
            });
            let audit = ctx.audit(
                now,
                "payment.refund",
                "payment",
                id.as_str(),
                Some(&reason),
                Some(&current),
                Some(&next),
            );
            let change = PaymentChange {
                payment: next,
                guard: PaymentGuard::of(&current),
                invoice: None,
                posting,
                refund: Some(refund),
                proof: None,
                audit: Some(audit),
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

#[cfg(test)]
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
