//! How a gateway's word on a payment changes it: the one place where Stripe and PayPal
//! outcomes (from webhooks, the PayPal return or the janitor) become payment changes,
//! through the same settlement path as manual approvals.

use crate::entities::{Payment, PaymentStatus};
use crate::error::{BillingError, BillingResult};
use crate::ports::gateway::GatewayOutcome;
use crate::ports::{PaymentChange, PaymentChangeOutcome};
use crate::services::gateway_events::GatewayEventService;
use crate::services::payment_context::{MAX_ATTEMPTS, transition};
use crate::services::settlement::settle_succeeded;
use crate::types::PaymentId;

impl GatewayEventService {
    /// Applies a gateway's word on a payment, idempotently, in one guarded write (re-decided on
    /// a lost race). Returns the payment as it stands afterwards.
    pub async fn apply_outcome(
        &self,
        id: &PaymentId,
        outcome: &GatewayOutcome,
        actor: &str,
    ) -> BillingResult<Payment> {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.deps.payment(id).await?;
            let now = self.deps.clock.now();
            let change = match outcome {
                GatewayOutcome::Succeeded {
                    amount_received,
                    gateway_payment_id,
                } => {
                    if settled(current.status) {
                        if current.gateway_payment_id.is_some() || gateway_payment_id.is_none() {
                            return Ok(current);
                        }
                        let mut next = current.clone();
                        next.gateway_payment_id.clone_from(gateway_payment_id);
                        next.updated_at = now;
                        PaymentChange::payment_only(next, &current)
                    } else if is_open(current.status) {
                        let invoice = self
                            .deps
                            .repos
                            .invoices
                            .get(&current.invoice_id)
                            .await?
                            .ok_or_else(|| {
                                BillingError::Internal("payment without invoice".into())
                            })?;
                        // A gateway that omits the amount is taken to have collected what it was asked.
                        let received = if *amount_received > 0 {
                            *amount_received
                        } else {
                            current.amount
                        };
                        settle_succeeded(
                            &current,
                            &invoice,
                            received,
                            gateway_payment_id.clone(),
                            actor,
                            None,
                            now,
                            None,
                        )?
                    } else {
                        return Err(BillingError::conflict(
                            "payment_closed",
                            format!(
                                "{} reports money received for payment {id}, which is {}; an operator must refund or reconcile it",
                                current.method, current.status
                            ),
                        ));
                    }
                }
                GatewayOutcome::Failed { reason } if is_open(current.status) => {
                    let mut next = current.clone();
                    transition(
                        &mut next,
                        PaymentStatus::Failed,
                        actor,
                        Some(reason.clone()),
                        now,
                    )?;
                    next.failure_reason = Some(reason.clone());
                    PaymentChange::payment_only(next, &current)
                }
                GatewayOutcome::Canceled if is_open(current.status) => {
                    let mut next = current.clone();
                    transition(&mut next, PaymentStatus::Canceled, actor, None, now)?;
                    PaymentChange::payment_only(next, &current)
                }
                GatewayOutcome::Processing | GatewayOutcome::Approved
                    if matches!(
                        current.status,
                        PaymentStatus::Pending | PaymentStatus::Unknown
                    ) =>
                {
                    let mut next = current.clone();
                    transition(&mut next, PaymentStatus::Processing, actor, None, now)?;
                    PaymentChange::payment_only(next, &current)
                }
                _ => return Ok(current),
            };
            if let PaymentChangeOutcome::Applied { .. } =
                self.deps.flow.apply_payment_change(&change).await?
            {
                paid_hook(&self.deps, &change).await;
                return Ok(change.payment);
            }
        }
        Err(BillingError::Unavailable(format!(
            "payment {id} changed concurrently; retry"
        )))
    }
}

/// Still waiting for an outcome.
pub(crate) fn is_open(s: PaymentStatus) -> bool {
    matches!(
        s,
        PaymentStatus::Pending | PaymentStatus::Processing | PaymentStatus::Unknown
    )
}

/// Money received (and maybe returned since).
fn settled(s: PaymentStatus) -> bool {
    matches!(
        s,
        PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
    )
}

/// A subscription's invoice just paid: its subscription reacts (active again, the card kept).
/// A failure here loses nothing: the scheduler notices the paid invoice before it expires or
/// retries the subscription.
pub(crate) async fn paid_hook(deps: &crate::services::PaymentDeps, change: &PaymentChange) {
    if let Some(ic) = &change.invoice
        && ic.invoice.status == crate::entities::InvoiceStatus::Paid
        && ic.expected_status != crate::entities::InvoiceStatus::Paid
    {
        let _ = crate::services::subscriptions::activation::invoice_paid(
            deps,
            &ic.invoice,
            &change.payment,
        )
        .await;
    }
}
