//! Webhooks and the PayPal return on the memory store: duplicates, order, forgeries, failures.

#[allow(unused_imports)]
use crate::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use billing_domain::entities::InvoiceStatus;
use billing_domain::entities::RefundStatus;

use crate::gateway_events::*;

#[tokio::test]
async fn the_same_success_event_a_hundred_times_grants_once() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.outcome("checkout.session.completed", true, true, paid("pi_1"));
    let first = w.deliver("checkout.session.completed").await.unwrap();
    assert_eq!(first.disposition, WebhookDisposition::Applied);
    for _ in 0..99 {
        assert_eq!(
            w.deliver("checkout.session.completed")
                .await
                .unwrap()
                .disposition,
            WebhookDisposition::Duplicate
        );
    }
    let p = w.payment().await;
    assert_eq!(
        (p.status, p.amount_received, p.gateway_payment_id.as_deref()),
        (PaymentStatus::Succeeded, 1900, Some("pi_1"))
    );
    let inv = w.invoice().await;
    assert_eq!(
        (inv.status, inv.amount_paid, inv.amount_due),
        (InvoiceStatus::Paid, 1900, 0)
    );
    assert_eq!(w.balance().await, CREDITS);
    let stored = w
        .store
        .webhook_events()
        .get(PaymentMethodKind::Stripe, "evt_checkout.session.completed")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.payload.as_str(), stored.processed_at.is_some()),
        ("checkout.session.completed", true)
    );
}

#[tokio::test]
async fn shuffled_events_and_a_refund_reach_the_same_end() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    // payment_intent.succeeded (our id only) before checkout.session.completed (reference only).
    w.outcome("payment_intent.succeeded", true, false, paid("pi_1"));
    w.outcome(
        "checkout.session.completed",
        false,
        true,
        GatewayOutcome::Succeeded {
            amount_received: 1900,
            gateway_payment_id: None,
        },
    );
    w.outcome(
        "payment_intent.payment_failed",
        true,
        false,
        GatewayOutcome::Failed {
            reason: "card declined".into(),
        },
    );
    assert_eq!(
        w.deliver("payment_intent.succeeded")
            .await
            .unwrap()
            .disposition,
        WebhookDisposition::Applied
    );
    w.deliver("checkout.session.completed").await.unwrap();
    w.deliver("payment_intent.payment_failed").await.unwrap(); // a late failure never undoes money
    assert_eq!(w.gateway.fetch_calls.load(Ordering::SeqCst), 0);
    assert_eq!(w.payment().await.status, PaymentStatus::Succeeded);
    assert_eq!(w.balance().await, CREDITS);

    // A partial refund, settled by its webhook, then reported failed (cards can fail after
    // success; failed is final at the gateway, so the failure wins in either order); then the
    // payment events again, late.
    let refund = w
        .services
        .refunds
        .refund(
            &admin(),
            w.payment.id.as_str(),
            billing_domain::services::refunds::RefundInput {
                amount: Some(950),
                reason: Some("asked".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.status, RefundStatus::Pending);
    w.gateway.event(
        "refund.updated",
        Some(WebhookEffect::RefundOutcome {
            refund_id: None,
            gateway_refund_id: Some("gw_950".into()),
            succeeded: true,
            gateway_payment_id: None,
            amount: None,
        }),
    );
    w.gateway.event(
        "refund.failed.after.success",
        Some(WebhookEffect::RefundOutcome {
            refund_id: Some(refund.id.to_string()),
            gateway_refund_id: None,
            succeeded: false,
            gateway_payment_id: None,
            amount: None,
        }),
    );
    w.gateway.event(
        "refund.unknown",
        Some(WebhookEffect::RefundOutcome {
            refund_id: None,
            gateway_refund_id: Some("gw_other".into()),
            succeeded: true,
            gateway_payment_id: None,
            amount: None,
        }),
    );
    assert_eq!(
        w.deliver("refund.updated").await.unwrap().disposition,
        WebhookDisposition::Applied
    );
    w.deliver("refund.failed.after.success").await.unwrap();
    w.gateway.event(
        "refund.failed.again",
        Some(WebhookEffect::RefundOutcome {
            refund_id: None,
            gateway_refund_id: Some("gw_950".into()),
            succeeded: false,
            gateway_payment_id: None,
            amount: None,
        }),
    );
    w.deliver("refund.failed.again").await.unwrap(); // a second report changes nothing
    assert_eq!(
        w.deliver("refund.unknown").await.unwrap().disposition,
        WebhookDisposition::Ignored
    );
    w.outcome("payment_intent.succeeded.again", true, true, paid("pi_1"));
    w.deliver("payment_intent.succeeded.again").await.unwrap();
    let refunds = w
        .store
        .repositories()
        .payments
        .refunds_of(&w.payment.id)
        .await
        .unwrap();
    assert_eq!(
        refunds.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![RefundStatus::Failed]
    );
    let p = w.payment().await;
    assert_eq!((p.status, p.amount_refunded), (PaymentStatus::Succeeded, 0));
    assert_eq!(
        w.balance().await,
        CREDITS,
        "the clawback was given back once"
    );
    assert_eq!(w.invoice().await.status, InvoiceStatus::Paid);
}

#[tokio::test]
async fn a_failure_webhook_is_confirmed_with_the_gateway_first() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.outcome(
        "payment_intent.payment_failed",
        true,
        false,
        GatewayOutcome::Failed {
            reason: "card declined".into(),
        },
    );
    w.gateway
        .fetches
        .lock()
        .unwrap()
        .push_back(Ok(GatewayOutcome::Processing)); // the session is still open
    w.deliver("payment_intent.payment_failed").await.unwrap();
    assert_eq!(
        (
            w.gateway.fetch_calls.load(Ordering::SeqCst),
            w.payment().await.status
        ),
        (1, PaymentStatus::Processing)
    );
    w.outcome(
        "checkout.session.async_payment_failed",
        true,
        true,
        GatewayOutcome::Failed {
            reason: "gone".into(),
        },
    );
    *w.gateway.fetches.lock().unwrap() = VecDeque::from([Ok(GatewayOutcome::Failed {
        reason: "expired".into(),
    })]);
    w.deliver("checkout.session.async_payment_failed")
        .await
        .unwrap();
    let p = w.payment().await;
    assert_eq!(
        (p.status, p.failure_reason.as_deref()),
        (PaymentStatus::Failed, Some("expired"))
    );
    assert_eq!(w.balance().await, 0);
}

#[tokio::test]
async fn paypal_completed_before_approved_captures_nothing_and_grants_once() {
    let w = world(PaymentMethodKind::Paypal, PaymentStatus::Processing).await;
    w.gateway
        .captures
        .lock()
        .unwrap()
        .push_back(Ok(paid("CAP1")));
    w.outcome("PAYMENT.CAPTURE.COMPLETED", true, true, paid("CAP1"));
    w.gateway.event(
        "CHECKOUT.ORDER.APPROVED",
        Some(WebhookEffect::CaptureRequested {
            payment_id: Some(w.payment.id.to_string()),
            gateway_reference: Some("ref_1".into()),
        }),
    );
    w.deliver("PAYMENT.CAPTURE.COMPLETED").await.unwrap();
    w.deliver("CHECKOUT.ORDER.APPROVED").await.unwrap();
    assert_eq!(
        w.services
            .events
            .paypal_return("ref_1")
            .await
            .unwrap()
            .status,
        PaymentStatus::Succeeded
    );
    assert_eq!(w.gateway.capture_calls.load(Ordering::SeqCst), 0);
    assert_eq!(w.balance().await, CREDITS);
}

#[tokio::test]
async fn paypal_approved_then_return_then_completed_captures_once() {
    let w = world(PaymentMethodKind::Paypal, PaymentStatus::Processing).await;
    w.gateway
        .captures
        .lock()
        .unwrap()
        .push_back(Ok(paid("CAP1")));
    w.gateway.event(
        "CHECKOUT.ORDER.APPROVED",
        Some(WebhookEffect::CaptureRequested {
            payment_id: None,
            gateway_reference: Some("ref_1".into()),
        }),
    );
    w.outcome("PAYMENT.CAPTURE.COMPLETED", true, true, paid("CAP1"));
    assert_eq!(
        w.deliver("CHECKOUT.ORDER.APPROVED")
            .await
            .unwrap()
            .disposition,
        WebhookDisposition::Applied
    );
    let p = w.services.events.paypal_return("ref_1").await.unwrap();
    assert_eq!(
        (p.status, p.gateway_payment_id.as_deref()),
        (PaymentStatus::Succeeded, Some("CAP1"))
    );
    w.deliver("PAYMENT.CAPTURE.COMPLETED").await.unwrap();
    assert_eq!(w.gateway.capture_calls.load(Ordering::SeqCst), 1);
    assert_eq!(w.balance().await, CREDITS);
    assert!(matches!(
        w.services.events.paypal_return("nope").await,
        Err(BillingError::NotFound { .. })
    ));
}

#[tokio::test]
async fn paypal_return_when_paypal_times_out_changes_nothing() {
    let w = world(PaymentMethodKind::Paypal, PaymentStatus::Processing).await;
    w.gateway
        .captures
        .lock()
        .unwrap()
        .push_back(Err(GatewayError::Uncertain("timeout".into())));
    assert!(matches!(
        w.services.events.paypal_return("ref_1").await,
        Err(BillingError::Unavailable(_))
    ));
    assert_eq!(w.payment().await.status, PaymentStatus::Processing);
}

#[tokio::test]
async fn a_forged_webhook_is_400_and_stores_nothing() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    let err = w.deliver("forged").await.unwrap_err();
    assert!(matches!(err, BillingError::Validation(_)), "{err:?}");
    assert_eq!(
        w.store
            .webhook_events()
            .get(PaymentMethodKind::Stripe, "evt_forged")
            .await
            .unwrap(),
        None
    );
    assert_eq!(w.payment().await.status, PaymentStatus::Processing);
}

#[tokio::test]
async fn an_apply_failure_leaves_the_event_unprocessed_and_the_retry_applies_once() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.outcome("checkout.session.completed", true, true, paid("pi_1"));
    w.flaky.fail.store(true, Ordering::SeqCst);
    assert!(matches!(
        w.deliver("checkout.session.completed").await,
        Err(BillingError::Unavailable(_))
    ));
    let stored = w
        .store
        .webhook_events()
        .get(PaymentMethodKind::Stripe, "evt_checkout.session.completed")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.processed_at, None);
    assert_eq!(
        (w.payment().await.status, w.balance().await),
        (PaymentStatus::Processing, 0)
    );
    assert_eq!(
        w.deliver("checkout.session.completed")
            .await
            .unwrap()
            .disposition,
        WebhookDisposition::Applied
    );
    assert_eq!(
        w.deliver("checkout.session.completed")
            .await
            .unwrap()
            .disposition,
        WebhookDisposition::Duplicate
    );
    assert_eq!(
        (w.payment().await.status, w.balance().await),
        (PaymentStatus::Succeeded, CREDITS)
    );
}

#[tokio::test]
async fn an_unknown_event_is_recorded_and_ignored() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.gateway.event("customer.created", None);
    assert_eq!(
        w.deliver("customer.created").await.unwrap().disposition,
        WebhookDisposition::Ignored
    );
    assert!(
        w.store
            .webhook_events()
            .get(PaymentMethodKind::Stripe, "evt_customer.created")
            .await
            .unwrap()
            .unwrap()
            .processed_at
            .is_some()
    );
}

#[tokio::test]
async fn a_refund_made_in_the_gateways_dashboard_is_recorded_once_and_claws_back() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.outcome("checkout.session.completed", true, true, paid("pi_1"));
    w.deliver("checkout.session.completed").await.unwrap();
    assert_eq!(w.balance().await, CREDITS);
    let external = |payment: &str| WebhookEffect::RefundOutcome {
        refund_id: None,
        gateway_refund_id: Some(format!("re_dashboard_{payment}")),
        succeeded: true,
        gateway_payment_id: Some(payment.into()),
        amount: Some(950),
    };
    // Stripe reports it twice (refund.updated and charge.refunded), and once for a stranger.
    w.gateway.event("refund.updated", Some(external("pi_1")));
    w.gateway.event("charge.refunded", Some(external("pi_1")));
    w.gateway
        .event("refund.stranger", Some(external("pi_someone_else")));
    for body in ["refund.updated", "charge.refunded"] {
        assert_eq!(
            w.deliver(body).await.unwrap().disposition,
            WebhookDisposition::Applied
        );
    }
    assert_eq!(
        w.deliver("refund.stranger").await.unwrap().disposition,
        WebhookDisposition::Ignored
    );
    let refunds = w
        .store
        .repositories()
        .payments
        .refunds_of(&w.payment.id)
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1, "recorded once");
    assert_eq!(
        (
            refunds[0].status,
            refunds[0].amount,
            refunds[0].gateway_refund_id.as_deref()
        ),
        (RefundStatus::Succeeded, 950, Some("re_dashboard_pi_1"))
    );
    let p = w.payment().await;
    assert_eq!(
        (p.status, p.amount_refunded),
        (PaymentStatus::PartiallyRefunded, 950)
    );
    assert_eq!(
        w.balance().await,
        CREDITS - 500,
        "⌊1000 × 950 / 1900⌋ clawed back"
    );
}
