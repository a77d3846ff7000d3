//! WebhookEventRepository, and the lookups and writes the gateway event flows need.

use std::sync::Arc;

use billing_domain::entities::{PaymentMethodKind, PaymentStatus, RefundStatus, WebhookEvent};
use billing_domain::ports::{PaymentFlowRepository, RecordOutcome, WebhookEventRepository};
use billing_domain::types::WebhookEventId;
use time::Duration;

use crate::Harness;
use crate::fixtures::*;

fn events(h: &Harness) -> Arc<dyn WebhookEventRepository> {
    h.webhook_events()
}

fn flow(h: &Harness) -> Arc<dyn PaymentFlowRepository> {
    h.payment_flow()
}

fn event(gateway: PaymentMethodKind, event_id: &str, ms: i64) -> WebhookEvent {
    WebhookEvent {
        id: WebhookEventId::generate(at(ms)),
        gateway,
        event_id: event_id.into(),
        event_type: "checkout.session.completed".into(),
        payload: "{\"id\":\"evt_1\",\"note\":\"ünïcode\"}".into(),
        received_at: at(ms),
        processed_at: None,
    }
}

pub async fn webhook_record_dedupes_and_marks_processed(h: &Harness) {
    let w = events(h);
    let e = event(PaymentMethodKind::Stripe, "evt_1", 1);
    assert_eq!(w.record(&e).await.unwrap(), RecordOutcome::New);
    assert_eq!(
        w.record(&event(PaymentMethodKind::Stripe, "evt_1", 2))
            .await
            .unwrap(),
        RecordOutcome::SeenUnprocessed
    );
    assert_eq!(
        w.record(&event(PaymentMethodKind::Paypal, "evt_1", 3))
            .await
            .unwrap(),
        RecordOutcome::New
    );
    assert_eq!(
        w.get(PaymentMethodKind::Stripe, "evt_1").await.unwrap(),
        Some(e.clone())
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
        !w.mark_processed(PaymentMethodKind::Stripe, "evt_missing", at(6))
            .await
            .unwrap()
    );
    assert_eq!(
        w.record(&event(PaymentMethodKind::Stripe, "evt_1", 7))
            .await
            .unwrap(),
        RecordOutcome::AlreadyProcessed
    );
    let stored = w
        .get(PaymentMethodKind::Stripe, "evt_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.id, stored.processed_at, stored.payload),
        (e.id, Some(at(5)), e.payload)
    );
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

pub async fn webhook_concurrent_records_store_once(h: &Harness) {
    let w = events(h);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                w.record(&event(PaymentMethodKind::Stripe, "evt_race", i))
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
}

pub async fn payment_found_by_gateway_reference(h: &Harness) {
    let a = h.account().await;
    let inv = h.invoice(&a).await;
    let mut p = payment(
        &a,
        &inv,
        at(1),
        PaymentMethodKind::Paypal,
        PaymentStatus::Processing,
        None,
    );
    p.gateway_reference = Some("ORDER-1".into());
    h.repos.payments.insert(&p).await.unwrap();
    assert_eq!(
        h.repos
            .payments
            .find_by_gateway_reference("ORDER-1")
            .await
            .unwrap(),
        Some(p)
    );
    assert_eq!(
        h.repos
            .payments
            .find_by_gateway_reference("ORDER-2")
            .await
            .unwrap(),
        None
    );
}

pub async fn payments_to_reconcile_filters_and_orders(h: &Harness) {
    use PaymentMethodKind::{BankTransfer, Paypal, Stripe};
    use PaymentStatus::{Processing, Succeeded, Unknown};
    let a = h.account().await;
    let unknown = stored_payment(h, &a, 1, Stripe, Unknown, None).await;
    let mut old = payment(&a, &unknown.invoice_id, at(2), Paypal, Processing, None);
    old.updated_at = at(0) - Duration::minutes(10);
    h.repos.payments.insert(&old).await.unwrap();
    let fresh = stored_payment(h, &a, 3, Stripe, Processing, None).await;
    stored_payment(h, &a, 4, BankTransfer, Unknown, None).await;
    stored_payment(h, &a, 5, Stripe, Succeeded, None).await;
    let f = flow(h);
    // Gateway payments in `statuses` last updated before `before`, not deferred past `now`.
    let reconcile = |statuses: &[PaymentStatus], before, limit, now| {
        let (f, statuses) = (Arc::clone(&f), statuses.to_vec());
        async move {
            let due = f.payments_to_reconcile(statuses, at(before), limit, at(now));
            due.await
                .unwrap()
                .into_iter()
                .map(|p| p.id)
                .collect::<Vec<_>>()
        }
    };
    let both = [Unknown, Processing];
    let (old, unknown, fresh) = (old.id, unknown.id, fresh.id);
    assert_eq!(reconcile(&both, 0, 10, 1000).await, vec![old.clone()]);
    assert_eq!(
        reconcile(&both, 100, 10, 1000).await,
        vec![old.clone(), unknown.clone(), fresh.clone()],
        "oldest update first; manual payments never"
    );
    assert_eq!(
        reconcile(&[Unknown], 100, 10, 1000).await,
        vec![unknown.clone()]
    );
    // The janitor's backoff: deferred 5 s, then 10 s; left out until due; cleared, back.
    let backoff = billing_domain::ports::RetryBackoff::JANITOR;
    let subject = unknown.as_str();
    let defer = |reason: &'static str, now| f.defer_retry(subject, reason, at(now), backoff);
    assert_eq!(defer("timeout", 1000).await.unwrap(), 1);
    assert_eq!(
        reconcile(&both, 100, 10, 5999).await,
        vec![old.clone(), fresh.clone()]
    );
    assert_eq!(reconcile(&both, 100, 10, 6000).await.len(), 3);
    assert_eq!(defer("5xx", 6000).await.unwrap(), 2);
    assert_eq!(reconcile(&both, 100, 10, 15_999).await.len(), 2);
    assert_eq!(reconcile(&both, 100, 10, 16_000).await.len(), 3);
    f.clear_retry(subject).await.unwrap();
    f.clear_retry(subject).await.unwrap(); // twice: no error
    assert_eq!(reconcile(&both, 100, 10, 1000).await.len(), 3);
    assert_eq!(defer("again", 1000).await.unwrap(), 1);
    assert_eq!(reconcile(&both, 100, 1, 1000).await.len(), 1);
}

pub async fn settle_refund_once_by_either_id(h: &Harness) {
    let a = h.account().await;
    use {PaymentMethodKind::Stripe, PaymentStatus::Succeeded};
    let p = stored_payment(h, &a, 1, Stripe, Succeeded, None).await;
    let mut r1 = refund(&p, at(2));
    r1.gateway_refund_id = Some("re_gw_1".into());
    let r2 = refund(&p, at(3));
    h.repos.payments.insert_refund(&r1).await.unwrap();
    h.repos.payments.insert_refund(&r2).await.unwrap();
    let f = flow(h);
    // The refund's event is written by the call that moves it to succeeded, and only then.
    let event = |ms| {
        Some(billing_domain::entities::OutboxEvent::new(
            "refund.succeeded",
            &a,
            serde_json::json!({}),
            at(ms),
        ))
    };
    let s1 = f
        .settle_refund(
            None,
            Some("re_gw_1".into()),
            RefundStatus::Succeeded,
            at(10),
            event(10),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s1.id.clone(), s1.status, s1.updated_at),
        (r1.id.clone(), RefundStatus::Succeeded, at(10))
    );
    let again = f
        .settle_refund(
            Some(r1.id.clone()),
            None,
            RefundStatus::Failed,
            at(11),
            event(11),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.status, again.updated_at),
        (RefundStatus::Succeeded, at(10))
    );
    let s2 = f
        .settle_refund(
            Some(r2.id.clone()),
            Some("re_gw_2".into()),
            RefundStatus::Failed,
            at(12),
            event(12),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s2.status, s2.gateway_refund_id.as_deref(), s2.updated_at),
        (RefundStatus::Failed, Some("re_gw_2"), at(12))
    );
    assert_eq!(
        f.settle_refund(
            None,
            Some("re_none".into()),
            RefundStatus::Succeeded,
            at(13),
            event(13),
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(
        f.settle_refund(None, None, RefundStatus::Succeeded, at(13), None)
            .await
            .unwrap(),
        None
    );
    let events = h
        .repos
        .outbox
        .list(None, Some("refund.succeeded".into()), &page(10, None))
        .await
        .unwrap()
        .data;
    assert_eq!(
        events.iter().map(|e| e.created_at).collect::<Vec<_>>(),
        vec![at(10)]
    );
    let statuses: Vec<_> = h
        .repos
        .payments
        .refunds_of(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        vec![RefundStatus::Succeeded, RefundStatus::Failed]
    );
}
