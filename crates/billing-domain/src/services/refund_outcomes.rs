//! How a gateway's word on a refund changes it: the one place where the refund call's answer,
//! a refund webhook and the janitor's retry become refund changes.
//!
//! A refund is recorded `pending` (amount reserved on the payment, credits clawed back)
//! *before* the gateway is called, so two concurrent refunds can never return more than was
//! paid. Then:
//! * the gateway accepts → `succeeded` (or stays `pending` with the gateway's id until its
//!   webhook says so);
//! * the gateway refuses, or later reports the refund failed → **reversed**: the refund
//!   becomes `failed`, its amount is refundable again, the payment's status steps back, and
//!   the credits it clawed back are granted again (`refund_reversal`, source
//!   `refund-reversal:<re_id>`, so at most once), all in one guarded write;
//! * the gateway cannot say (timeout, 5xx) → stays `pending` without a gateway id; the janitor
//!   asks again with the same refund id, which is the gateway's idempotency key.

use crate::entities::PaymentMethodKind;
use crate::entities::audit::RequestContext;
use crate::entities::{LedgerKind, PaymentStatus, Refund, RefundStatus};
use crate::error::{BillingError, BillingResult};
use crate::ports::gateway::{GatewayError, GatewayRefund, WebhookEffect};
use crate::ports::{PaymentChange, PaymentChangeOutcome, Posting, PostingMode, RefundUpdate};
use crate::services::gateway_events::gateway_actor;
use crate::services::payment_context::{MAX_ATTEMPTS, PaymentDeps, transition};
use crate::services::payment_events::refund_succeeded;
use crate::types::{LedgerEntryId, RefundId};

/// Applies the gateway's answer to the refund call for `refund` (recorded `pending`).
/// A refusal reverses the refund and is returned as an error; an unknown outcome leaves it
/// pending.
pub(crate) async fn apply_refund_answer(
    deps: &PaymentDeps,
    refund: &Refund,
    answer: Result<GatewayRefund, GatewayError>,
    actor: &str,
) -> BillingResult<Refund> {
    match answer {
        Ok(at_gateway) => {
            let status = if at_gateway.settled {
                RefundStatus::Succeeded
            } else {
                RefundStatus::Pending
            };
            let now = deps.clock.now();
            let event = (status == RefundStatus::Succeeded).then(|| refund_succeeded(refund, now));
            deps.flow
                .settle_refund(
                    Some(refund.id.clone()),
                    at_gateway.gateway_refund_id,
                    status,
                    now,
                    event,
                )
                .await?
                .ok_or_else(|| BillingError::Internal(format!("refund {} vanished", refund.id)))
        }
        Err(GatewayError::Declined { code, message }) => {
            reverse_failed_refund(
                deps,
                &refund.id,
                &format!("declined ({code}): {message}"),
                actor,
            )
            .await?;
            Err(BillingError::conflict("refund_declined", message))
        }
        Err(GatewayError::Misconfigured(m)) => {
            reverse_failed_refund(deps, &refund.id, "the gateway is misconfigured", actor).await?;
            Err(BillingError::Unavailable(m))
        }
        // Timeout, 5xx, unreadable answer: the janitor asks again.
        Err(_) => Ok(refund.clone()),
    }
}

/// Marks a pending or succeeded refund `failed` and undoes what it did (see the module docs),
/// in one guarded write, re-decided on a lost race. A refund already failed or canceled is
/// returned unchanged, so a repeated failure report changes nothing.
pub(crate) async fn reverse_failed_refund(
    deps: &PaymentDeps,
    id: &RefundId,
    why: &str,
    actor: &str,
) -> BillingResult<Refund> {
    for _ in 0..MAX_ATTEMPTS {
        let refund = deps
            .flow
            .find_refund(Some(id.clone()), None)
            .await?
            .ok_or_else(|| BillingError::not_found("refund", id))?;
        if !matches!(
            refund.status,
            RefundStatus::Pending | RefundStatus::Succeeded
        ) {
            return Ok(refund);
        }
        let current = deps.payment(&refund.payment_id).await?;
        let now = deps.clock.now();
        let mut next = current.clone();
        next.amount_refunded = current
            .amount_refunded
            .checked_sub(refund.amount)
            .filter(|r| *r >= 0)
            .ok_or_else(|| {
                BillingError::Internal(format!(
                    "refund {id} is larger than what its payment has refunded"
                ))
            })?;
        let to = if next.amount_refunded == 0 {
            PaymentStatus::Succeeded
        } else {
            PaymentStatus::PartiallyRefunded
        };
        transition(
            &mut next,
            to,
            actor,
            Some(format!("refund {id} failed: {why}")),
            now,
        )?;
        let posting = (refund.credits_clawed_back > 0).then(|| Posting {
            entry_id: LedgerEntryId::generate(now),
            account_id: refund.account_id.clone(),
            kind: LedgerKind::RefundReversal,
            amount: refund.credits_clawed_back,
            mode: PostingMode::Exact,
            source_ref: format!("refund-reversal:{id}"),
            description: format!("Refund {id} failed; clawed-back credits returned"),
            metadata: serde_json::json!({ "payment_id": refund.payment_id, "refund_id": id }),
            actor: actor.to_owned(),
            at: now,
            audit: None,
            lot: Default::default(),
        });
        let change = PaymentChange {
            posting,
            refund_update: Some(RefundUpdate {
                id: id.clone(),
                expected: refund.status,
                status: RefundStatus::Failed,
                gateway_refund_id: None,
                at: now,
            }),
            ..PaymentChange::payment_only(next, &current)
        };
        if let PaymentChangeOutcome::Applied {
            refund: Some(stored),
            ..
        } = deps.flow.apply_payment_change(&change).await?
        {
            return Ok(stored);
        }
    }
    Err(BillingError::Unavailable(format!(
        "refund {id} changed concurrently; retry"
    )))
}

/// Records a refund the gateway reports as done but that was not asked for through this
/// service (made in the gateway's dashboard, or PayPal's own reversal): `succeeded`, with its
/// gateway id, clawing credits back by the same rule as any refund. `None` when the refunded
/// payment is not ours. The gateway id is unique among refunds, so the same refund reported by
/// two events, even at once, is recorded once.
async fn record_external_refund(
    deps: &PaymentDeps,
    gateway_refund_id: &str,
    gateway_payment_id: &str,
    amount: i64,
    actor: &str,
) -> BillingResult<Option<Refund>> {
    let Some(payment) = deps
        .repos
        .payments
        .find_by_gateway_reference(gateway_payment_id)
        .await?
    else {
        return Ok(None);
    };
    let ctx = RequestContext::system();
    let reason = format!("refunded at the gateway ({gateway_refund_id}) by {actor}");
    let refunds = crate::services::refunds::RefundService::new(deps.clone());
    match refunds
        .record(
            &ctx,
            &payment.id,
            Some(amount),
            &reason,
            Some(gateway_refund_id.to_owned()),
        )
        .await
    {
        Ok(r) => Ok(Some(r)),
        // Recorded meanwhile by the other event reporting it.
        Err(BillingError::Conflict { .. } | BillingError::Validation(_))
            if let Some(r) = deps
                .flow
                .find_refund(None, Some(gateway_refund_id.to_owned()))
                .await? =>
        {
            Ok(Some(r))
        }
        Err(BillingError::Validation(e)) => Err(BillingError::conflict(
            "external_refund_exceeds_refundable",
            format!("payment {}: {e}", payment.id),
        )),
        Err(e) => Err(e),
    }
}

/// Applies a gateway's report on a refund ([`WebhookEffect::RefundOutcome`]): settles ours,
/// reverses a failed one, records one made outside this service. `Ok(false)`: not ours.
pub(crate) async fn apply_refund_report(
    deps: &PaymentDeps,
    method: PaymentMethodKind,
    report: &WebhookEffect,
) -> BillingResult<bool> {
    let WebhookEffect::RefundOutcome {
        refund_id,
        gateway_refund_id,
        succeeded,
        gateway_payment_id,
        amount,
    } = report
    else {
        return Ok(false);
    };
    let ours = refund_id
        .as_deref()
        .and_then(|r| RefundId::parse(r, "refund_id").ok());
    let actor = gateway_actor(method);
    let settled = if *succeeded {
        let now = deps.clock.now();
        // Read first, so the e-mail's event names the refund; it is written only if the
        // settlement below is what moves the refund to succeeded.
        let event = deps
            .flow
            .find_refund(ours.clone(), gateway_refund_id.clone())
            .await?
            .map(|r| refund_succeeded(&r, now));
        let known = deps
            .flow
            .settle_refund(
                ours.clone(),
                gateway_refund_id.clone(),
                RefundStatus::Succeeded,
                now,
                event,
            )
            .await?;
        match (
            known,
            ours.is_none(),
            gateway_refund_id,
            gateway_payment_id,
            amount,
        ) {
            // Not asked for through us: record it, so its credits are clawed back.
            (None, true, Some(g), Some(p), Some(a)) if *a > 0 => {
                record_external_refund(deps, g, p, *a, actor).await?
            }
            (known, ..) => known,
        }
    } else {
        match deps
            .flow
            .find_refund(ours.clone(), gateway_refund_id.clone())
            .await?
        {
            Some(r) => {
                let why = format!("{method} reports the refund failed");
                Some(reverse_failed_refund(deps, &r.id, &why, actor).await?)
            }
            None => None,
        }
    };
    match (settled, ours) {
        (Some(_), _) => Ok(true),
        // Ours, but not recorded (it always is before the gateway is called): retry later.
        (None, Some(id)) => Err(BillingError::Unavailable(format!(
            "refund {id} is not recorded yet"
        ))),
        // Not ours, and nothing names a payment of ours.
        (None, None) => Ok(false),
    }
}
