//! The uncertain-outcome janitor on the memory store: backoff, capture of approved orders.

#[allow(unused_imports)]
use crate::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use crate::gateway_events::*;

#[tokio::test]
async fn the_janitor_resolves_an_unknown_payment_once_the_gateway_answers() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Unknown).await;
    *w.gateway.fetches.lock().unwrap() = VecDeque::from([
        Err(GatewayError::Uncertain("timeout".into())),
        Ok(paid("pi_1")),
    ]);
    let first = w.services.events.resolve_uncertain(10).await.unwrap();
    assert_eq!(
        first,
        ReconcileReport {
            examined: 1,
            resolved: 0,
            remaining: 1
        }
    );
    assert_eq!(w.payment().await.status, PaymentStatus::Unknown);
    // Backoff: not asked again for 5 s.
    w.clock.advance(time::Duration::seconds(4));
    assert_eq!(
        w.services.events.resolve_uncertain(10).await.unwrap(),
        ReconcileReport::default()
    );
    w.clock.advance(time::Duration::seconds(1));
    let second = w.services.events.resolve_uncertain(10).await.unwrap();
    assert_eq!(
        second,
        ReconcileReport {
            examined: 1,
            resolved: 1,
            remaining: 0
        }
    );
    assert_eq!(
        (w.payment().await.status, w.balance().await),
        (PaymentStatus::Succeeded, CREDITS)
    );
    assert_eq!(
        w.services.events.resolve_uncertain(10).await.unwrap(),
        ReconcileReport::default()
    );
    assert_eq!(w.gateway.fetch_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_janitor_captures_an_approved_order_nobody_captured() {
    let w = world(PaymentMethodKind::Paypal, PaymentStatus::Unknown).await;
    *w.gateway.fetches.lock().unwrap() = VecDeque::from([Ok(GatewayOutcome::Approved)]);
    *w.gateway.captures.lock().unwrap() = VecDeque::from([
        Err(GatewayError::Uncertain("timeout".into())),
        Ok(paid("cap_1")),
    ]);
    let first = w.services.events.resolve_uncertain(10).await.unwrap();
    assert_eq!((first.resolved, first.remaining), (0, 1));
    w.clock.advance(time::Duration::seconds(5));
    let second = w.services.events.resolve_uncertain(10).await.unwrap();
    assert_eq!((second.resolved, second.remaining), (1, 0));
    assert_eq!(
        (w.payment().await.status, w.balance().await),
        (PaymentStatus::Succeeded, CREDITS)
    );
    w.clock.advance(time::Duration::hours(2));
    assert_eq!(
        w.services.events.resolve_uncertain(10).await.unwrap(),
        ReconcileReport::default()
    );
    assert_eq!(w.gateway.capture_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_janitor_leaves_fresh_processing_payments_alone() {
    let w = world(PaymentMethodKind::Stripe, PaymentStatus::Processing).await;
    w.gateway
        .fetches
        .lock()
        .unwrap()
        .push_back(Ok(GatewayOutcome::Canceled));
    assert_eq!(
        w.services
            .events
            .resolve_uncertain(10)
            .await
            .unwrap()
            .examined,
        0
    );
    w.clock.advance(PROCESSING_GRACE + Duration::seconds(1));
    assert_eq!(
        w.services
            .events
            .resolve_uncertain(10)
            .await
            .unwrap()
            .resolved,
        1
    );
    assert_eq!(w.payment().await.status, PaymentStatus::Canceled);
}
