//! What gateways tell us after a payment started: signed webhooks, the payer's return from
//! PayPal, and the janitor that asks the gateway about payments whose outcome is unknown.
//!
//! Every path ends in [`GatewayEventService::apply_outcome`], which reads the payment, decides
//! the one guarded write the outcome calls for, and on a lost race reads and decides again. So
//! events may arrive late, twice or out of order and the result is the same:
//! - `Succeeded` settles through [`settle_succeeded`] (invoice paid, credits granted once);
//!   on a payment already succeeded (or refunded) it only records a missing gateway payment id.
//! - `Failed` / `Canceled` close a payment that is still open; a late failure never undoes money.
//! - `Processing` moves a `pending` or `unknown` payment to `processing`, else changes nothing.
//!
//! A failed webhook is never trusted blindly: Stripe reports every declined attempt of a
//! Checkout Session that stays open, so a `Failed` webhook is confirmed by reading the
//! payment back from the gateway, and whatever the gateway says then is applied.
//! Gateway calls (capture, fetch) always happen outside any store transaction.

use serde::Serialize;
use time::Duration;

use crate::entities::{Payment, PaymentMethodKind, PaymentStatus, WebhookEvent};
use crate::error::{BillingError, BillingResult};
use crate::ports::gateway::{GatewayOutcome, WebhookEffect};
use crate::ports::{GatewayError, RecordOutcome, RetryBackoff, WebhookEventRepository};
use crate::services::gateway_outcomes::is_open;
use crate::services::payment_context::PaymentDeps;
use crate::services::refund_outcomes::apply_refund_report;
use crate::types::{PaymentId, WebhookEventId};

use std::sync::Arc;

/// How long a `processing` payment may stay quiet before the janitor asks the gateway.
pub const PROCESSING_GRACE: Duration = Duration::minutes(5);

/// What handling a webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookDisposition {
    /// Applied (or re-applied after an earlier failure) and marked processed.
    Applied,
    /// Processed before: nothing changed.
    Duplicate,
    /// Stored, but it means nothing for us (unknown type, someone else's payment).
    Ignored,
}

/// The answer to a webhook delivery (HTTP 200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookReceipt {
    /// The gateway's event id.
    pub event_id: String,
    /// The gateway's event type.
    pub event_type: String,
    /// What happened.
    pub disposition: WebhookDisposition,
}

/// What one janitor run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Payments asked about.
    pub examined: u32,
    /// Payments whose outcome is now known (succeeded, failed, canceled or processing).
    pub resolved: u32,
    /// Payments the gateway could not answer for (timeout, 5xx…), or that are still
    /// `unknown` or `processing`: asked again after a backoff ([`RetryBackoff::JANITOR`]).
    pub remaining: u32,
}

/// Webhooks, PayPal returns and the uncertain-outcome janitor.
#[derive(Clone)]
pub struct GatewayEventService {
    pub(crate) deps: PaymentDeps,
    webhooks: Option<Arc<dyn WebhookEventRepository>>,
}

impl GatewayEventService {
    /// Wires the service. Without a webhook event store, [`Self::handle_webhook`] answers
    /// `Unavailable`; the return and the janitor work without one.
    pub fn new(deps: PaymentDeps, webhooks: Option<Arc<dyn WebhookEventRepository>>) -> Self {
        Self { deps, webhooks }
    }

    /// The dependencies it was wired with.
    pub fn deps(&self) -> &PaymentDeps {
        &self.deps
    }

    /// Verifies, records (deduplicated by event id) and applies one gateway webhook, then marks
    /// it processed. A forged or malformed webhook is a `Validation` error (400) and nothing is
    /// stored. A failure while applying is `Unavailable`/`Internal`/`Conflict` (answer non-2xx
    /// so the gateway retries) and leaves the event unprocessed; applying again is idempotent.
    pub async fn handle_webhook(
        &self,
        method: PaymentMethodKind,
        headers: &[(String, String)],
        body: &[u8],
    ) -> BillingResult<WebhookReceipt> {
        let webhooks = self.webhooks.as_ref().ok_or_else(|| {
            BillingError::Unavailable("no webhook event store is configured".into())
        })?;
        let gateway = self.deps.gateways.get(method)?;
        let verified = gateway
            .verify_webhook(headers, body)
            .await
            .map_err(|e| match e {
                GatewayError::InvalidWebhook(m) | GatewayError::Declined { message: m, .. } => {
                    BillingError::invalid("signature", m)
                }
                other => BillingError::Unavailable(format!(
                    "could not verify the {method} webhook: {other}"
                )),
            })?;
        let now = self.deps.clock.now();
        let event = WebhookEvent {
            id: WebhookEventId::generate(now),
            gateway: method,
            event_id: verified.event_id.clone(),
            event_type: verified.event_type.clone(),
            payload: String::from_utf8_lossy(body).into_owned(),
            received_at: now,
            processed_at: None,
        };
        let receipt = |disposition| WebhookReceipt {
            event_id: verified.event_id.clone(),
            event_type: verified.event_type.clone(),
            disposition,
        };
        if webhooks.record(&event).await? == RecordOutcome::AlreadyProcessed {
            return Ok(receipt(WebhookDisposition::Duplicate));
        }
        let applied = match &verified.effect {
            Some(effect) => self.apply_effect(method, effect).await?,
            None => false,
        };
        webhooks
            .mark_processed(method, &verified.event_id, self.deps.clock.now())
            .await?;
        Ok(receipt(if applied {
            WebhookDisposition::Applied
        } else {
            WebhookDisposition::Ignored
        }))
    }

    /// The payer came back from PayPal with `order_id` (the `token` query parameter): captures
    /// the order unless the payment already succeeded, applies the outcome, returns the payment.
    /// `NotFound` for an unknown order; `Conflict` (`payment_declined`) if PayPal refuses the
    /// capture; `Unavailable` if PayPal cannot be reached (the webhook or a retry will capture).
    pub async fn paypal_return(&self, order_id: &str) -> BillingResult<Payment> {
        let payment = self
            .deps
            .repos
            .payments
            .find_by_gateway_reference(order_id)
            .await?
            .filter(|p| p.method == PaymentMethodKind::Paypal)
            .ok_or_else(|| BillingError::not_found("paypal order", order_id))?;
        match self.capture(&payment).await {
            Ok(p) => Ok(p),
            Err(GatewayError::Declined { message, .. }) => {
                Err(BillingError::conflict("payment_declined", message))
            }
            Err(e) => Err(BillingError::Unavailable(format!(
                "PayPal did not answer the capture: {e}"
            ))),
        }
    }

    /// The janitor: asks the gateway about payments in `unknown`, and in `processing` for longer
    /// than [`PROCESSING_GRACE`], at most `limit` of them, and applies what it says; a PayPal
    /// order the payer approved but nobody captured is captured. A gateway that cannot answer,
    /// or a payment still open, is asked about again only after a backoff
    /// ([`RetryBackoff::JANITOR`]; counted in `remaining`).
    pub async fn resolve_uncertain(&self, limit: u32) -> BillingResult<ReconcileReport> {
        let now = self.deps.clock.now();
        let mut due = self
            .deps
            .flow
            .payments_to_reconcile(
                vec![PaymentStatus::Unknown],
                now + Duration::seconds(1),
                limit,
                now,
            )
            .await?;
        let room = limit.saturating_sub(u32::try_from(due.len()).unwrap_or(u32::MAX));
        if room > 0 {
            due.extend(
                self.deps
                    .flow
                    .payments_to_reconcile(
                        vec![PaymentStatus::Processing],
                        now - PROCESSING_GRACE,
                        room,
                        now,
                    )
                    .await?,
            );
        }
        let mut report = ReconcileReport::default();
        for payment in due {
            report.examined = report.examined.saturating_add(1);
            let answer: Result<Payment, String> = match self.deps.gateways.get(payment.method) {
                Err(e) => Err(e.to_string()),
                Ok(gateway) => match gateway.fetch_status(&payment).await {
                    // Approved by the payer but never captured (the return and the webhook
                    // were lost, or the capture's answer was): capture now, exactly once.
                    Ok(GatewayOutcome::Approved) => {
                        self.capture(&payment).await.map_err(|e| e.to_string())
                    }
                    Ok(outcome) => Ok(self
                        .apply_outcome(&payment.id, &outcome, gateway_actor(payment.method))
                        .await?),
                    Err(e) => Err(e.to_string()),
                },
            };
            let known = answer.and_then(|after| {
                let waiting = after.status == PaymentStatus::Unknown
                    || (payment.status == PaymentStatus::Processing
                        && after.status == PaymentStatus::Processing);
                if waiting {
                    Err(format!(
                        "{} says it is still {}",
                        payment.method, after.status
                    ))
                } else {
                    Ok(())
                }
            });
            let subject = payment.id.as_str();
            match known {
                Ok(()) => {
                    report.resolved = report.resolved.saturating_add(1);
                    self.deps.flow.clear_retry(subject).await?;
                }
                Err(why) => {
                    report.remaining = report.remaining.saturating_add(1);
                    self.deps
                        .flow
                        .defer_retry(subject, &why, now, RetryBackoff::JANITOR)
                        .await?;
                }
            }
        }
        Ok(report)
    }

    /// Applies one webhook effect. `Ok(false)`: nothing of ours (no such payment or refund).
    async fn apply_effect(
        &self,
        method: PaymentMethodKind,
        effect: &WebhookEffect,
    ) -> BillingResult<bool> {
        match effect {
            WebhookEffect::PaymentOutcome {
                payment_id,
                gateway_reference,
                outcome,
            } => {
                let Some(payment) = self
                    .find(method, payment_id.as_deref(), gateway_reference.as_deref())
                    .await?
                else {
                    return Ok(false);
                };
                let outcome = match outcome {
                    // Confirm a failure with the gateway before trusting it (see the module docs).
                    GatewayOutcome::Failed { .. } if is_open(payment.status) => {
                        let gateway = self.deps.gateways.get(method)?;
                        gateway.fetch_status(&payment).await.map_err(|e| {
                            BillingError::Unavailable(format!(
                                "could not confirm the failure with {method}: {e}"
                            ))
                        })?
                    }
                    other => other.clone(),
                };
                self.apply_outcome(&payment.id, &outcome, gateway_actor(method))
                    .await?;
                Ok(true)
            }
            WebhookEffect::CaptureRequested {
                payment_id,
                gateway_reference,
            } => {
                let Some(payment) = self
                    .find(method, payment_id.as_deref(), gateway_reference.as_deref())
                    .await?
                else {
                    return Ok(false);
                };
                match self.capture(&payment).await {
                    Ok(_) => Ok(true),
                    // Refused for good (not approved, instrument declined): a retry would be refused too.
                    Err(GatewayError::Declined { .. }) => Ok(true),
                    Err(e) => Err(BillingError::Unavailable(format!(
                        "{method} did not answer the capture: {e}"
                    ))),
                }
            }
            report @ WebhookEffect::RefundOutcome { .. } => {
                apply_refund_report(&self.deps, method, report).await
            }
            WebhookEffect::PaymentMethodRemoved {
                gateway_payment_method,
            } => {
                crate::services::subscriptions::payment_method::payment_method_removed(
                    &self.deps,
                    gateway_payment_method,
                )
                .await
            }
            WebhookEffect::PaymentMethodSaved {
                subscription_id,
                gateway_payment_method,
                customer,
            } => {
                crate::services::subscriptions::payment_method::payment_method_saved(
                    &self.deps,
                    method,
                    subscription_id,
                    gateway_payment_method.as_deref(),
                    customer.as_deref(),
                )
                .await
            }
        }
    }

    /// Captures `payment` unless it already succeeded or is closed, and applies the outcome.
    async fn capture(&self, payment: &Payment) -> Result<Payment, GatewayError> {
        if !is_open(payment.status) {
            return Ok(payment.clone());
        }
        let gateway = self
            .deps
            .gateways
            .get(payment.method)
            .map_err(|e| GatewayError::Misconfigured(e.to_string()))?;
        let outcome = gateway.capture(payment).await?;
        self.apply_outcome(&payment.id, &outcome, gateway_actor(payment.method))
            .await
            .map_err(|e| GatewayError::Other(e.to_string()))
    }

    /// Finds our payment of `method` by our id, else by the gateway reference.
    async fn find(
        &self,
        method: PaymentMethodKind,
        payment_id: Option<&str>,
        gateway_reference: Option<&str>,
    ) -> BillingResult<Option<Payment>> {
        let mut found = None;
        if let Some(id) = payment_id.and_then(|p| PaymentId::parse(p, "payment_id").ok()) {
            found = self.deps.repos.payments.get(&id).await?;
        }
        if found.is_none()
            && let Some(r) = gateway_reference
        {
            found = self
                .deps
                .repos
                .payments
                .find_by_gateway_reference(r)
                .await?;
        }
        Ok(found.filter(|p| p.method == method))
    }
}

/// The actor recorded in a payment's history for the gateway's word.
pub(crate) fn gateway_actor(method: PaymentMethodKind) -> &'static str {
    match method {
        PaymentMethodKind::Stripe => "gateway:stripe",
        PaymentMethodKind::Paypal => "gateway:paypal",
        _ => "gateway",
    }
}
