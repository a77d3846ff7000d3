//! Translation of verified Stripe events into domain effects.
//!
//! Events are read as plain JSON, not through async-stripe's typed events: Stripe renders an
//! event in the API version of the webhook endpoint, which may differ from the version the
//! typed models were generated for, and a strict parse of a whole object would fail on shape
//! changes in fields we never read. Only the few fields used here are required.

use billing_domain::ports::gateway::{
    GatewayError, GatewayOutcome, VerifiedWebhook, WebhookEffect,
};
use serde_json::Value;

/// Metadata key carrying our payment id (session and PaymentIntent).
pub const META_PAYMENT_ID: &str = "payment_id";
/// Metadata key carrying our invoice id.
pub const META_INVOICE_ID: &str = "invoice_id";
/// Metadata key carrying our refund id (Refund).
pub const META_REFUND_ID: &str = "refund_id";
/// Metadata key carrying our subscription id (setup session and its SetupIntent).
pub const META_SUBSCRIPTION_ID: &str = "subscription_id";

/// Event types the adapter translates; every other verified event has no effect.
pub const HANDLED_EVENTS: [&str; 9] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "refund.updated",
    "payment_method.detached",
    "setup_intent.succeeded",
];

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn meta(v: &Value, key: &str) -> Option<String> {
    v.get("metadata").and_then(|m| text(m, key))
}

/// An expandable field: an id string or an object with an `id`.
fn id_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn error_message(pi: &Value) -> String {
    pi.get("last_payment_error")
        .and_then(|e| text(e, "message").or_else(|| text(e, "code")))
        .unwrap_or_else(|| "the payment failed".to_owned())
}

fn session_effect(session: &Value, event_type: &str) -> WebhookEffect {
    let paid = matches!(
        session.get("payment_status").and_then(Value::as_str),
        Some("paid" | "no_payment_required")
    );
    let outcome = match event_type {
        "checkout.session.async_payment_failed" => GatewayOutcome::Failed {
            reason: "the delayed payment failed".to_owned(),
        },
        _ if paid => GatewayOutcome::Succeeded {
            amount_received: session
                .get("amount_total")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            gateway_payment_id: id_of(session, "payment_intent"),
        },
        // Completed but unpaid: a delayed method (bank debit) is still on its way.
        _ => GatewayOutcome::Processing,
    };
    WebhookEffect::PaymentOutcome {
        payment_id: text(session, "client_reference_id").or_else(|| meta(session, META_PAYMENT_ID)),
        gateway_reference: text(session, "id"),
        outcome,
    }
}

/// A setup session or SetupIntent for one of our subscriptions: the card, when the object
/// carries it (a session names only its SetupIntent; the domain then reads the card back).
fn setup_effect(object: &Value, card: Option<String>) -> Option<WebhookEffect> {
    Some(WebhookEffect::PaymentMethodSaved {
        subscription_id: meta(object, META_SUBSCRIPTION_ID)?,
        gateway_payment_method: card,
        customer: id_of(object, "customer"),
    })
}

fn payment_intent_effect(pi: &Value, succeeded: bool) -> WebhookEffect {
    let outcome = if succeeded {
        GatewayOutcome::Succeeded {
            amount_received: pi
                .get("amount_received")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            gateway_payment_id: text(pi, "id"),
        }
    } else {
        GatewayOutcome::Failed {
            reason: error_message(pi),
        }
    };
    // The Checkout Session id is not on the PaymentIntent; our payment id is, in its metadata.
    WebhookEffect::PaymentOutcome {
        payment_id: meta(pi, META_PAYMENT_ID),
        gateway_reference: None,
        outcome,
    }
}

/// A refund's terminal state, or `None` while it is pending.
fn refund_effect(refund: &Value) -> Option<WebhookEffect> {
    let succeeded = match refund.get("status").and_then(Value::as_str)? {
        "succeeded" => true,
        "failed" | "canceled" => false,
        _ => return None,
    };
    Some(WebhookEffect::RefundOutcome {
        refund_id: meta(refund, META_REFUND_ID),
        gateway_refund_id: text(refund, "id"),
        succeeded,
        // `payment_intent` is an id, or the object when expanded.
        gateway_payment_id: text(refund, "payment_intent").or_else(|| {
            refund
                .get("payment_intent")
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
        amount: refund.get("amount").and_then(Value::as_i64),
    })
}

/// `charge.refunded`: the newest refund listed on the charge, when the charge lists any
/// (recent API versions leave `refunds` out; `refund.updated` carries the same news).
fn charge_refunded_effect(charge: &Value) -> Option<WebhookEffect> {
    let refunds = charge.get("refunds")?.get("data")?.as_array()?;
    let newest = refunds
        .iter()
        .max_by_key(|r| r.get("created").and_then(Value::as_i64).unwrap_or(0))?;
    refund_effect(newest)
}

/// Parses a verified event body and maps it to its domain effect.
pub fn translate(body: &[u8]) -> Result<VerifiedWebhook, GatewayError> {
    let event: Value = serde_json::from_slice(body)
        .map_err(|e| GatewayError::InvalidWebhook(format!("body is not JSON: {e}")))?;
    let (Some(event_id), Some(event_type)) = (text(&event, "id"), text(&event, "type")) else {
        return Err(GatewayError::InvalidWebhook(
            "not a Stripe event (no id or type)".to_owned(),
        ));
    };
    let object = event
        .get("data")
        .and_then(|d| d.get("object"))
        .ok_or_else(|| GatewayError::InvalidWebhook("event has no data.object".to_owned()))?;
    let effect = match event_type.as_str() {
        // A setup session pays nothing: it is about the card, not a payment.
        "checkout.session.completed"
            if object.get("mode").and_then(Value::as_str) == Some("setup") =>
        {
            setup_effect(object, None)
        }
        "setup_intent.succeeded" => setup_effect(object, id_of(object, "payment_method")),
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed" => Some(session_effect(object, &event_type)),
        "payment_intent.succeeded" => Some(payment_intent_effect(object, true)),
        "payment_intent.payment_failed" => Some(payment_intent_effect(object, false)),
        "charge.refunded" => charge_refunded_effect(object),
        "refund.updated" => refund_effect(object),
        // A card detached from its customer can no longer be charged off-session.
        "payment_method.detached" => {
            text(object, "id").map(|id| WebhookEffect::PaymentMethodRemoved {
                gateway_payment_method: id,
            })
        }
        _ => None,
    };
    Ok(VerifiedWebhook {
        event_id,
        event_type,
        effect,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> VerifiedWebhook {
        translate(v.to_string().as_bytes()).expect("valid event")
    }

    #[test]
    fn paid_session_succeeds_with_our_ids() {
        let w = run(
            json!({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {
            "id": "cs_1", "payment_status": "paid", "amount_total": 1999, "client_reference_id": "pay_x", "payment_intent": "pi_1"}}}),
        );
        assert_eq!(
            w.effect,
            Some(WebhookEffect::PaymentOutcome {
                payment_id: Some("pay_x".into()),
                gateway_reference: Some("cs_1".into()),
                outcome: GatewayOutcome::Succeeded {
                    amount_received: 1999,
                    gateway_payment_id: Some("pi_1".into())
                }
            })
        );
    }

    #[test]
    fn metadata_stands_in_for_client_reference_and_unpaid_is_processing() {
        let w = run(
            json!({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {
            "id": "cs_1", "payment_status": "unpaid", "metadata": {"payment_id": "pay_m"}}}}),
        );
        assert_eq!(
            w.effect,
            Some(WebhookEffect::PaymentOutcome {
                payment_id: Some("pay_m".into()),
                gateway_reference: Some("cs_1".into()),
                outcome: GatewayOutcome::Processing
            })
        );
        let w = run(
            json!({"id": "evt_2", "type": "checkout.session.async_payment_failed", "data": {"object": {"id": "cs_1", "payment_status": "unpaid"}}}),
        );
        assert!(matches!(
            w.effect,
            Some(WebhookEffect::PaymentOutcome {
                outcome: GatewayOutcome::Failed { .. },
                ..
            })
        ));
    }

    #[test]
    fn refunds_settle_or_fail_and_pending_means_nothing() {
        let w = run(
            json!({"id": "evt_r", "type": "refund.updated", "data": {"object": {"id": "re_1", "status": "failed", "metadata": {"refund_id": "re_ours"}, "payment_intent": "pi_1", "amount": 700}}}),
        );
        assert_eq!(
            w.effect,
            Some(WebhookEffect::RefundOutcome {
                refund_id: Some("re_ours".into()),
                gateway_refund_id: Some("re_1".into()),
                succeeded: false,
                gateway_payment_id: Some("pi_1".into()),
                amount: Some(700),
            })
        );
        let w = run(
            json!({"id": "evt_r", "type": "refund.updated", "data": {"object": {"id": "re_1", "status": "pending"}}}),
        );
        assert_eq!(w.effect, None);
        let w = run(
            json!({"id": "evt_c", "type": "charge.refunded", "data": {"object": {"id": "ch_1", "refunds": {"data": [
            {"id": "re_old", "status": "succeeded", "created": 1}, {"id": "re_new", "status": "succeeded", "created": 2}]}}}}),
        );
        assert!(
            matches!(w.effect, Some(WebhookEffect::RefundOutcome { gateway_refund_id: Some(ref id), succeeded: true, .. }) if id == "re_new")
        );
    }

    #[test]
    fn a_setup_session_or_intent_keeps_a_card_for_its_subscription() {
        let w = run(
            json!({"id": "evt_s", "type": "checkout.session.completed", "data": {"object": {
            "id": "cs_setup", "mode": "setup", "customer": "cus_1", "setup_intent": "seti_1",
            "metadata": {"subscription_id": "sub_x"}}}}),
        );
        assert_eq!(
            w.effect,
            Some(WebhookEffect::PaymentMethodSaved {
                subscription_id: "sub_x".into(),
                gateway_payment_method: None,
                customer: Some("cus_1".into()),
            })
        );
        let w = run(
            json!({"id": "evt_i", "type": "setup_intent.succeeded", "data": {"object": {
            "id": "seti_1", "customer": "cus_1", "payment_method": "pm_card_visa",
            "metadata": {"subscription_id": "sub_x"}}}}),
        );
        assert_eq!(
            w.effect,
            Some(WebhookEffect::PaymentMethodSaved {
                subscription_id: "sub_x".into(),
                gateway_payment_method: Some("pm_card_visa".into()),
                customer: Some("cus_1".into()),
            })
        );
        // Someone else's SetupIntent (no subscription of ours): nothing to do.
        let w = run(
            json!({"id": "evt_o", "type": "setup_intent.succeeded", "data": {"object": {
            "id": "seti_2", "payment_method": "pm_other"}}}),
        );
        assert_eq!(w.effect, None);
    }

    #[test]
    fn unknown_types_have_no_effect_and_garbage_is_refused() {
        assert_eq!(
            run(json!({"id": "evt_u", "type": "customer.created", "data": {"object": {}}})).effect,
            None
        );
        assert!(matches!(
            translate(b"not json"),
            Err(GatewayError::InvalidWebhook(_))
        ));
        assert!(matches!(
            translate(b"{\"id\":\"evt\"}"),
            Err(GatewayError::InvalidWebhook(_))
        ));
    }
}
