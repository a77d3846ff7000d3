//! A verified event body translated into what it means for the domain.
//!
//! | event | effect |
//! | --- | --- |
//! | `CHECKOUT.ORDER.APPROVED` | `CaptureRequested` (the domain captures, idempotently) |
//! | `PAYMENT.CAPTURE.COMPLETED` | `PaymentOutcome` `Succeeded` with the captured amount and capture id |
//! | `PAYMENT.CAPTURE.DENIED`, `…DECLINED` | `PaymentOutcome` `Failed` |
//! | `PAYMENT.CAPTURE.PENDING` | `PaymentOutcome` `Processing` |
//! | `PAYMENT.CAPTURE.REFUNDED`, `…REVERSED` | `RefundOutcome` (a `PENDING` refund: no effect yet) |
//! | `VAULT.PAYMENT-TOKEN.DELETED` | `PaymentMethodRemoved` (renewals fall back to pay links) |
//! | anything else | none (recorded and ignored by the caller) |
//!
//! Our payment id travels as the purchase unit's and the capture's `custom_id`; our refund
//! id as the refund's `custom_id` (only a `re_…` value is taken as one).

use billing_domain::ports::GatewayError;
use billing_domain::ports::gateway::{GatewayOutcome, VerifiedWebhook, WebhookEffect};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::wire::{Capture, Order, Refund};

#[derive(Deserialize)]
struct Envelope {
    id: String,
    event_type: String,
    #[serde(default)]
    resource: serde_json::Value,
}

fn resource<T: DeserializeOwned>(
    event_type: &str,
    value: serde_json::Value,
) -> Result<T, GatewayError> {
    serde_json::from_value(value)
        .map_err(|e| GatewayError::Other(format!("{event_type}: unexpected resource: {e}")))
}

fn ours(custom_id: Option<String>, prefix: &str) -> Option<String> {
    custom_id.filter(|c| c.starts_with(prefix))
}

/// Translates a verified body.
pub fn translate(body: &[u8]) -> Result<VerifiedWebhook, GatewayError> {
    let event: Envelope = serde_json::from_slice(body)
        .map_err(|e| GatewayError::InvalidWebhook(format!("not a PayPal event: {e}")))?;
    let kind = event.event_type.as_str();
    let effect = match kind {
        "CHECKOUT.ORDER.APPROVED" => {
            let order: Order = resource(kind, event.resource)?;
            Some(WebhookEffect::CaptureRequested {
                payment_id: order
                    .purchase_units
                    .first()
                    .and_then(|u| u.custom_id.clone()),
                gateway_reference: Some(order.id),
            })
        }
        "PAYMENT.CAPTURE.COMPLETED"
        | "PAYMENT.CAPTURE.DENIED"
        | "PAYMENT.CAPTURE.DECLINED"
        | "PAYMENT.CAPTURE.PENDING" => {
            let capture: Capture = resource(kind, event.resource)?;
            let outcome = match kind {
                "PAYMENT.CAPTURE.COMPLETED" => capture.outcome(None)?,
                "PAYMENT.CAPTURE.PENDING" => GatewayOutcome::Processing,
                _ => {
                    let why = capture
                        .status_details
                        .as_ref()
                        .and_then(|d| d.reason.clone());
                    GatewayOutcome::Failed {
                        reason: format!(
                            "{kind}{}",
                            why.map(|w| format!(": {w}")).unwrap_or_default()
                        ),
                    }
                }
            };
            Some(WebhookEffect::PaymentOutcome {
                payment_id: capture.custom_id.clone(),
                gateway_reference: capture.order_id(),
                outcome,
            })
        }
        "PAYMENT.CAPTURE.REFUNDED" | "PAYMENT.CAPTURE.REVERSED" => {
            let refund: Refund = resource(kind, event.resource)?;
            match refund.status.as_deref() {
                Some("PENDING") => None,
                status => Some(WebhookEffect::RefundOutcome {
                    refund_id: ours(refund.custom_id.clone(), "re_"),
                    gateway_payment_id: refund.capture_id(),
                    amount: refund
                        .amount
                        .as_ref()
                        .and_then(|m| crate::amount::from_paypal(m).ok())
                        .map(|(minor, _)| minor),
                    gateway_refund_id: Some(refund.id),
                    succeeded: matches!(status, Some("COMPLETED") | None),
                }),
            }
        }
        // The payer (or PayPal) revoked the vaulted wallet: it can no longer be charged.
        "VAULT.PAYMENT-TOKEN.DELETED" => event
            .resource
            .get("id")
            .and_then(serde_json::Value::as_str)
            .filter(|id| !id.is_empty())
            .map(|id| WebhookEffect::PaymentMethodRemoved {
                gateway_payment_method: id.to_owned(),
            }),
        _ => None,
    };
    Ok(VerifiedWebhook {
        event_id: event.id,
        event_type: event.event_type,
        effect,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, resource: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&json!({"id": "WH-1", "event_version": "1.0", "event_type": kind, "resource_type": "x", "resource": resource})).unwrap()
    }

    fn capture(status: &str) -> serde_json::Value {
        json!({"id": "CAP1", "status": status, "amount": {"currency_code": "USD", "value": "12.34"}, "custom_id": "pay_1",
               "status_details": {"reason": "PENDING_REVIEW"}, "supplementary_data": {"related_ids": {"order_id": "ORD1"}}})
    }

    #[test]
    fn a_deleted_vault_token_is_a_removed_payment_method() {
        let v = translate(&event(
            "VAULT.PAYMENT-TOKEN.DELETED",
            json!({"id": "8kk8451t", "payment_source": {"paypal": {}}}),
        ))
        .unwrap();
        assert_eq!(
            v.effect,
            Some(WebhookEffect::PaymentMethodRemoved {
                gateway_payment_method: "8kk8451t".into()
            })
        );
    }

    #[test]
    fn order_approved_asks_for_a_capture() {
        let v = translate(&event(
            "CHECKOUT.ORDER.APPROVED",
            json!({"id": "ORD1", "status": "APPROVED", "purchase_units": [{"custom_id": "pay_1"}]}),
        ))
        .unwrap();
        assert_eq!(v.event_id, "WH-1");
        assert_eq!(
            v.effect,
            Some(WebhookEffect::CaptureRequested {
                payment_id: Some("pay_1".into()),
                gateway_reference: Some("ORD1".into())
            })
        );
    }

    #[test]
    fn capture_events() {
        let done = translate(&event("PAYMENT.CAPTURE.COMPLETED", capture("COMPLETED"))).unwrap();
        assert_eq!(
            done.effect,
            Some(WebhookEffect::PaymentOutcome {
                payment_id: Some("pay_1".into()),
                gateway_reference: Some("ORD1".into()),
                outcome: GatewayOutcome::Succeeded {
                    amount_received: 1234,
                    gateway_payment_id: Some("CAP1".into())
                },
            })
        );
        let denied = translate(&event("PAYMENT.CAPTURE.DENIED", capture("DECLINED"))).unwrap();
        assert!(matches!(
            denied.effect,
            Some(WebhookEffect::PaymentOutcome {
                outcome: GatewayOutcome::Failed { .. },
                ..
            })
        ));
        let pending = translate(&event("PAYMENT.CAPTURE.PENDING", capture("PENDING"))).unwrap();
        assert!(matches!(
            pending.effect,
            Some(WebhookEffect::PaymentOutcome {
                outcome: GatewayOutcome::Processing,
                ..
            })
        ));
    }

    #[test]
    fn refund_events() {
        let refunded = translate(&event(
            "PAYMENT.CAPTURE.REFUNDED",
            json!({"id": "RF1", "status": "COMPLETED", "custom_id": "re_1"}),
        ))
        .unwrap();
        assert_eq!(
            refunded.effect,
            Some(WebhookEffect::RefundOutcome {
                refund_id: Some("re_1".into()),
                gateway_refund_id: Some("RF1".into()),
                succeeded: true,
                gateway_payment_id: None,
                amount: None,
            })
        );
        let reversed = translate(&event(
            "PAYMENT.CAPTURE.REVERSED",
            json!({"id": "RF2", "status": "COMPLETED", "custom_id": "pay_1",
                "amount": {"currency_code": "USD", "value": "12.50"},
                "links": [{"href": "https://api.paypal.com/v2/payments/refunds/RF2", "rel": "self"},
                          {"href": "https://api.paypal.com/v2/payments/captures/CAP9", "rel": "up"}]}),
        ))
        .unwrap();
        assert_eq!(
            reversed.effect,
            Some(WebhookEffect::RefundOutcome {
                refund_id: None,
                gateway_refund_id: Some("RF2".into()),
                gateway_payment_id: Some("CAP9".into()),
                amount: Some(1250),
                succeeded: true
            })
        );
        let failed = translate(&event(
            "PAYMENT.CAPTURE.REFUNDED",
            json!({"id": "RF3", "status": "FAILED", "custom_id": "re_3"}),
        ))
        .unwrap();
        assert!(matches!(
            failed.effect,
            Some(WebhookEffect::RefundOutcome {
                succeeded: false,
                ..
            })
        ));
        assert_eq!(
            translate(&event(
                "PAYMENT.CAPTURE.REFUNDED",
                json!({"id": "RF4", "status": "PENDING"})
            ))
            .unwrap()
            .effect,
            None
        );
    }

    #[test]
    fn unknown_events_have_no_effect_and_garbage_is_refused() {
        let v = translate(&event("BILLING.PLAN.CREATED", json!({"id": "P-1"}))).unwrap();
        assert_eq!(
            (v.event_type.as_str(), v.effect),
            ("BILLING.PLAN.CREATED", None)
        );
        assert!(matches!(
            translate(b"not json"),
            Err(GatewayError::InvalidWebhook(_))
        ));
        assert!(
            translate(&event(
                "PAYMENT.CAPTURE.COMPLETED",
                json!({"status": "COMPLETED"})
            ))
            .is_err()
        );
    }
}
