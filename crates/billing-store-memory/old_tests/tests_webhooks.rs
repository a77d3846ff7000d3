//! The webhook event port and the gateway lookups of the memory store.
#![allow(clippy::unwrap_used)]

use time::Duration;

use super::MemoryStore;
use super::test_support::*;
use crate::entities::{PaymentMethodKind, PaymentStatus, RefundStatus, WebhookEvent};
use crate::ports::{PaymentChange, PaymentGuard, RecordOutcome};
use crate::types::WebhookEventId;

fn event(gateway: PaymentMethodKind, event_id: &str) -> WebhookEvent {
    WebhookEvent {
        id: WebhookEventId::generate(at(1)),
        gateway,
        event_id: event_id.into(),
        event_type: "checkout.session.completed".into(),
        payload: "{\"id\":\"evt_1\"}".into(),
        received_at: at(1),
        processed_at: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_are_deduplicated_per_gateway_even_concurrently() {
    let store = MemoryStore::new();
    let w = store.webhook_events();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let w = w.clone();
            tokio::spawn(async move {
                w.record(&event(PaymentMethodKind::Stripe, "evt_1"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut new = 0;
    for t in tasks {
        match t.await.unwrap() {
            RecordOutcome::New => new += 1,
            RecordOutcome::SeenUnprocessed => {}
            RecordOutcome::AlreadyProcessed => panic!("never processed"),
        }
    }
    assert_eq!(new, 1);
    // The same id from another gateway is another event.
    assert_eq!(
        w.record(&event(PaymentMethodKind::Paypal, "evt_1"))
            .await
            .unwrap(),
        RecordOutcome::New
    );
    assert!(
        w.mark_processed(PaymentMethodKind::Stripe, "evt_1", at(5))
            .await
            .unwrap()
    );
    assert!(
        !w.mark_processed(PaymentMethodKind::Stripe, "evt_1", at(6))
            .await
            .unwrap()
    );
    assert!(
        !w.mark_processed(PaymentMethodKind::Stripe, "evt_nope", at(6))
            .await
            .unwrap()
    );
    assert_eq!(
        w.record(&event(PaymentMethodKind::Stripe, "evt_1"))
            .await
            .unwrap(),
        RecordOutcome::AlreadyProcessed
    );
    let stored = w
        .get(PaymentMethodKind::Stripe, "evt_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.processed_at, Some(at(5)));
    assert_eq!(stored.payload, "{\"id\":\"evt_1\"}");
    assert_eq!(
        w.get(PaymentMethodKind::Paypal, "evt_1")
            .await
            .unwrap()
            .unwrap()
            .processed_at,
        None
    );
    assert_eq!(
        w.get(PaymentMethodKind::Stripe, "evt_2").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn payments_are_found_by_gateway_reference_and_listed_for_reconciliation() {
    let store = MemoryStore::new();
    let (r, flow) = (store.repositories(), store.payment_flow());
    let a = new_account(&r).await;
    let mut unknown = payment(
        &a,
        at(1),
        PaymentMethodKind::Stripe,
        PaymentStatus::Unknown,
        None,
    );
    unknown.gateway_reference = Some("cs_1".into());
    let mut processing = payment(
        &a,
        at(2),
        PaymentMethodKind::Paypal,
        PaymentStatus::Processing,
        None,
    );
    processing.updated_at = at(0) - Duration::minutes(10);
    let fresh = payment(
        &a,
        at(3),
        PaymentMethodKind::Stripe,
        PaymentStatus::Processing,
        None,
    );
    let manual = payment(
        &a,
        at(4),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::Unknown,
        None,
    );
    for p in [&unknown, &processing, &fresh, &manual] {
        r.payments.insert(p).await.unwrap();
    }
    assert_eq!(
        r.payments
            .find_by_gateway_reference("cs_1")
            .await
            .unwrap()
            .map(|p| p.id),
        Some(unknown.id.clone())
    );
    assert_eq!(
        r.payments.find_by_gateway_reference("cs_2").await.unwrap(),
        None
    );
    let due = flow
        .payments_to_reconcile(
            vec![PaymentStatus::Unknown, PaymentStatus::Processing],
            at(0),
            10,
            at(1000),
        )
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        vec![processing.id.clone()]
    );
    let due = flow
        .payments_to_reconcile(
            vec![PaymentStatus::Unknown, PaymentStatus::Processing],
            at(100),
            10,
            at(1000),
        )
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        vec![processing.id.clone(), unknown.id.clone(), fresh.id.clone()]
    );
    assert_eq!(
        flow.payments_to_reconcile(vec![PaymentStatus::Unknown], at(100), 10, at(1000))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        flow.payments_to_reconcile(
            vec![PaymentStatus::Unknown, PaymentStatus::Processing],
            at(100),
            1,
            at(1000)
        )
        .await
        .unwrap()
        .len(),
        1
    );
}

#[tokio::test]
async fn refunds_settle_once_by_our_id_or_the_gateway_id() {
    let store = MemoryStore::new();
    let (r, flow) = (store.repositories(), store.payment_flow());
    let a = new_account(&r).await;
    let p = payment(
        &a,
        at(1),
        PaymentMethodKind::Stripe,
        PaymentStatus::Succeeded,
        None,
    );
    r.payments.insert(&p).await.unwrap();
    let mut r1 = refund(&p, at(2));
    r1.gateway_refund_id = Some("re_gw_1".into());
    let r2 = refund(&p, at(3));
    let mut next = p.clone();
    next.status = PaymentStatus::PartiallyRefunded;
    for rf in [&r1, &r2] {
        let change = PaymentChange {
            payment: next.clone(),
            guard: PaymentGuard::of(&r.payments.get(&p.id).await.unwrap().unwrap()),
            invoice: None,
            posting: None,
            refund: Some(rf.clone()),
            refund_update: None,
            proof: None,
            audit: None,
        };
        flow.apply_payment_change(&change).await.unwrap();
    }
    let s1 = flow
        .settle_refund(
            None,
            Some("re_gw_1".into()),
            RefundStatus::Succeeded,
            at(10),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s1.id.clone(), s1.status, s1.updated_at),
        (r1.id.clone(), RefundStatus::Succeeded, at(10))
    );
    // Settled once: a later failure report changes nothing.
    let again = flow
        .settle_refund(Some(r1.id.clone()), None, RefundStatus::Failed, at(11))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.status, again.updated_at),
        (RefundStatus::Succeeded, at(10))
    );
    let s2 = flow
        .settle_refund(
            Some(r2.id.clone()),
            Some("re_gw_2".into()),
            RefundStatus::Failed,
            at(12),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s2.status, s2.gateway_refund_id.as_deref()),
        (RefundStatus::Failed, Some("re_gw_2"))
    );
    assert_eq!(
        flow.settle_refund(
            None,
            Some("re_none".into()),
            RefundStatus::Succeeded,
            at(13)
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(
        flow.settle_refund(None, None, RefundStatus::Succeeded, at(13))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.payments
            .refunds_of(&p.id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>(),
        vec![RefundStatus::Succeeded, RefundStatus::Failed]
    );
}
