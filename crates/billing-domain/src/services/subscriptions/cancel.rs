//! Ending a subscription: now (its open renewal invoice voided, no further retries), or at
//! the period end (undone by `resume` before that end).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::entities::audit::RequestContext;
use crate::entities::{Invoice, InvoiceStatus, Subscription, SubscriptionStatus};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::{InvoiceChange, SubscriptionChange};
use crate::services::refunds::{RefundInput, RefundService};
use crate::types::BoundedText;

use super::{SubscriptionService, events, scheduled};
use crate::entities::proration::prorated;

/// How to cancel.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// `true`: keep it until the current period ends, then cancel (undo with `resume`).
    /// Absent or `false`: cancel now.
    pub at_period_end: Option<bool>,
    /// Why (kept in the audit log, at most 500 characters; the refund's reason too).
    pub reason: Option<String>,
    /// Operators only, with a cancel now: `prorated` refunds the unused part of the current
    /// period's paid invoice through the refund flow (credits clawed back by its rule);
    /// `none` (the default) refunds nothing.
    pub refund: Option<String>,
}

/// `invoice`, when its status is one of `from`, moved to `to` with `reason` (guarded on what
/// was read, like every invoice change).
pub(super) fn moved(
    invoice: Option<Invoice>,
    from: &[InvoiceStatus],
    to: InvoiceStatus,
    reason: &str,
    at: time::OffsetDateTime,
) -> Vec<InvoiceChange> {
    invoice
        .filter(|i| from.contains(&i.status))
        .map(|i| {
            let mut next = i.clone();
            next.status = to;
            if to == InvoiceStatus::Void {
                next.amount_due = 0;
            }
            next.status_reason = Some(reason.to_owned());
            next.updated_at = at;
            InvoiceChange {
                invoice: next,
                expected_status: i.status,
                expected_amount_paid: i.amount_paid,
            }
        })
        .into_iter()
        .collect()
}

/// The latest invoice voided, when it is still open.
pub(super) fn void_open(
    invoice: Option<Invoice>,
    reason: &str,
    at: time::OffsetDateTime,
) -> Vec<InvoiceChange> {
    moved(
        invoice,
        &[InvoiceStatus::Pending, InvoiceStatus::Uncollectible],
        InvoiceStatus::Void,
        reason,
        at,
    )
}

impl SubscriptionService {
    /// Cancels now or at the period end (account or operator).
    pub async fn cancel(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        subscription_id: &str,
        input: CancelInput,
    ) -> BillingResult<Subscription> {
        let sub = self.owned(ctx, account_id, subscription_id).await?;
        let reason = input
            .reason
            .as_deref()
            .map(|r| BoundedText::new(r, "reason", 500))
            .transpose()?
            .map(BoundedText::into_inner);
        let at_period_end = input.at_period_end.unwrap_or(false);
        let refund = match input.refund.as_deref() {
            None | Some("none") => false,
            Some("prorated") if at_period_end => {
                return Err(ValidationError::new(
                    "refund",
                    "a prorated refund goes with a cancel now, not at the period end",
                )
                .into());
            }
            Some("prorated") => {
                ctx.principal.ensure_admin()?;
                true
            }
            Some(_) => {
                return Err(ValidationError::new("refund", "must be `prorated` or `none`").into());
            }
        };
        let who = if ctx.principal.ensure_admin().is_ok() {
            "operator"
        } else {
            "account"
        };
        let latest = match &sub.latest_invoice_id {
            Some(i) => self.deps.repos.invoices.get(i).await?,
            None => None,
        };
        let upgrade_invoice = self.pending_upgrade_invoice(&sub).await?;
        let canceled = self
            .change(&sub.id, |current| {
                if current.status.is_terminal() {
                    return Err(BillingError::conflict_on(
                        "id",
                        "subscription_ended",
                        format!("subscription {} is {}", current.id, current.status),
                    ));
                }
                let now = self.deps.clock.now();
                let mut next = current.clone();
                next.updated_at = now;
                let mut change = SubscriptionChange::of(next.clone(), current);
                if at_period_end {
                    if current.cancel_at_period_end {
                        return Ok(None);
                    }
                    next.cancel_at_period_end = true;
                } else {
                    next.status = current.status.transition(SubscriptionStatus::Canceled)?;
                    next.canceled_at = Some(now);
                    next.cancel_at_period_end = false;
                    next.next_retry_at = None;
                    change.invoice_changes = void_open(
                        latest
                            .clone()
                            .filter(|i| Some(&i.id) == current.latest_invoice_id.as_ref()),
                        "subscription canceled",
                        now,
                    );
                    // A pending change ends with it (an upgrade's invoice is voided).
                    let upgrade = current.pending_change.as_ref().and_then(|c| c.upgrade());
                    change.invoice_changes.extend(void_open(
                        upgrade_invoice
                            .clone()
                            .filter(|i| upgrade.is_some_and(|u| u.invoice_id == i.id)),
                        "subscription canceled",
                        now,
                    ));
                    next.pending_change = None;
                    change.events = vec![events::event(
                        "subscription.canceled",
                        &next,
                        json!({ "reason": format!("canceled_by_{who}") }),
                        now,
                    )];
                }
                let next = scheduled(next);
                change.audit = Some(ctx.audit(
                    now,
                    if at_period_end {
                        "subscription.cancel_at_period_end"
                    } else {
                        "subscription.cancel"
                    },
                    "subscription",
                    current.id.as_str(),
                    reason.as_deref(),
                    Some(current),
                    Some(&next),
                ));
                change.subscription = next;
                Ok(Some(change))
            })
            .await?;
        if refund {
            self.refund_unused(ctx, &canceled, reason.as_deref())
                .await?;
        }
        Ok(canceled)
    }

    /// Refunds the unused part of the period `sub` was canceled in, from that period's paid
    /// invoice's payment. Nothing when the period was not paid (its invoice was voided).
    async fn refund_unused(
        &self,
        ctx: &RequestContext,
        sub: &Subscription,
        reason: Option<&str>,
    ) -> BillingResult<()> {
        let Some(at) = sub.canceled_at else {
            return Ok(());
        };
        let periods = self.deps.repos.subscriptions.periods(&sub.id).await?;
        let Some(period) = periods.iter().rev().find(|p| p.start <= at && at < p.end) else {
            return Ok(());
        };
        let Some(invoice) = (match &period.invoice_id {
            Some(id) => self.deps.repos.invoices.get(id).await?,
            None => None,
        })
        .filter(|i| i.status == InvoiceStatus::Paid) else {
            return Ok(());
        };
        let amount = prorated(
            invoice.amount_paid,
            period.end - at,
            period.end - period.start,
        );
        let Some(payment) = self
            .payments_of(&invoice)
            .await?
            .into_iter()
            .find(|p| p.refundable() > 0)
        else {
            return Ok(());
        };
        let amount = amount.min(payment.refundable());
        if amount == 0 {
            return Ok(());
        }
        let why = reason.map_or_else(
            || format!("prorated refund: subscription {} canceled", sub.id),
            |r| format!("prorated refund: {r}"),
        );
        RefundService::new(self.deps.clone())
            .refund(
                ctx,
                payment.id.as_str(),
                RefundInput {
                    amount: Some(amount),
                    reason: Some(why.chars().take(500).collect()),
                },
            )
            .await?;
        Ok(())
    }

    /// Undoes a cancel at the period end, before that end.
    pub async fn resume(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        subscription_id: &str,
    ) -> BillingResult<Subscription> {
        let sub = self.owned(ctx, account_id, subscription_id).await?;
        self.change(&sub.id, |current| {
            let now = self.deps.clock.now();
            if current.status.is_terminal() || now >= current.current_period_end {
                return Err(BillingError::conflict_on(
                    "id",
                    "subscription_ended",
                    format!(
                        "subscription {} is {} and its period ended; subscribe again",
                        current.id, current.status
                    ),
                ));
            }
            if !current.cancel_at_period_end {
                return Err(BillingError::conflict_on(
                    "id",
                    "not_canceling",
                    format!("subscription {} is not set to cancel", current.id),
                ));
            }
            let mut next = current.clone();
            next.cancel_at_period_end = false;
            next.updated_at = now;
            let next = scheduled(next);
            let mut change = SubscriptionChange::of(next.clone(), current);
            change.audit = Some(ctx.audit(
                now,
                "subscription.resume",
                "subscription",
                current.id.as_str(),
                None,
                Some(current),
                Some(&next),
            ));
            Ok(Some(change))
        })
        .await
    }
}
