//! WebhookEventRepository, and the lookups and writes the gateway event flows need.

use std::sync::Arc;

use billing_domain::entities::{
    InvoiceStatus, PaymentMethodKind, PaymentStatus, RefundStatus, WebhookEvent,
};
use billing_domain::ports::{PaymentFlowRepository, RecordOutcome, WebhookEventRepository};
use billing_domain::types::{AccountId, WebhookEventId};
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

async fn stored_payment(
    h: &Harness,
    a: &AccountId,
    ms: i64,
    method: PaymentMethodKind,
    status: PaymentStatus,
) -> billing_domain::entities::Payment {
    let inv = invoice(a, at(ms), InvoiceStatus::Pending, None);
    h.repos.invoices.insert(&inv).await.unwrap();
    let p = payment(a, &inv.id, at(ms), method, status, None);
    h.repos.payments.insert(&p).await.unwrap();
    p
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
    let tasks: Vec<_> = (0..12)
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
        if t.await.unwrap() == RecordOutcome::New {
            new += 1;
        }
    }
    assert_eq!(new, 1);
}

pub async fn payment_found_by_gateway_reference(h: &Harness) {
    let a = h.account().await;
    let inv = invoice(&a, at(1), InvoiceStatus::Pending, None);
    h.repos.invoices.insert(&inv).await.unwrap();
    let mut p = payment(
        &a,
        &inv.id,
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
    let a = h.account().await;
    let unknown = stored_payment(h, &a, 1, PaymentMethodKind::Stripe, PaymentStatus::Unknown).await;
    let mut old = payment(
        &a,
        &unknown.invoice_id,
        at(2),
        PaymentMethodKind::Paypal,
        PaymentStatus::Processing,
        None,
    );
    old.updated_at = at(0) - Duration::minutes(10);
    h.repos.payments.insert(&old).await.unwrap();
    let fresh = stored_payment(
        h,
        &a,
        3,
        PaymentMethodKind::Stripe,
        PaymentStatus::Processing,
    )
    .await;
    stored_payment(
        h,
        &a,
        4,
        PaymentMethodKind::BankTransfer,
        PaymentStatus::Unknown,
    )
    .await;
    stored_payment(
        h,
        &a,
        5,
        PaymentMethodKind::Stripe,
        PaymentStatus::Succeeded,
    )
    .await;
    let both = vec![PaymentStatus::Unknown, PaymentStatus::Processing];
    let ids =
        |v: Vec<billing_domain::entities::Payment>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(
        ids(flow(h)
            .payments_to_reconcile(both.clone(), at(0), 10, at(1000))
            .await
            .unwrap()),
        vec![old.id.clone()]
    );
    assert_eq!(
        ids(flow(h)
            .payments_to_reconcile(both.clone(), at(100), 10, at(1000))
            .await
            .unwrap()),
        vec![old.id.clone(), unknown.id.clone(), fresh.id.clone()]
    );
    assert_eq!(
        ids(flow(h)
            .payments_to_reconcile(vec![PaymentStatus::Unknown], at(100), 10, at(1000))
            .await
            .unwrap()),
        vec![unknown.id.clone()]
    );
    // The janitor's backoff: deferred 5 s, then 10 s; left out until due; cleared, back.
    let f = flow(h);
    let backoff = billing_domain::ports::RetryBackoff::JANITOR;
    let subject = unknown.id.as_str();
    assert_eq!(
        f.defer_retry(subject, "timeout", at(1000), backoff)
            .await
            .unwrap(),
        1
    );
    let due = |t| f.payments_to_reconcile(both.clone(), at(100), 10, t);
    assert_eq!(
        ids(due(at(5999)).await.unwrap()),
        vec![old.id.clone(), fresh.id.clone()]
    );
    assert_eq!(ids(due(at(6000)).await.unwrap()).len(), 3);
    assert_eq!(
        f.defer_retry(subject, "5xx", at(6000), backoff)
            .await
            .unwrap(),
        2
    );
    assert_eq!(ids(due(at(15_999)).await.unwrap()).len(), 2);
    assert_eq!(ids(due(at(16_000)).await.unwrap()).len(), 3);
    f.clear_retry(subject).await.unwrap();
    f.clear_retry(subject).await.unwrap(); // twice: no error
    assert_eq!(ids(due(at(1000)).await.unwrap()).len(), 3);
    assert_eq!(
        f.defer_retry(subject, "again", at(1000), backoff)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        flow(h)
            .payments_to_reconcile(both, at(100), 1, at(1000))
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn settle_refund_once_by_either_id(h: &Harness) {
    let a = h.account().await;
    let p = stored_payment(
        h,
        &a,
        1,
        PaymentMethodKind::Stripe,
        PaymentStatus::Succeeded,
    )
    .await;
    let mut r1 = refund(&p, at(2));
    r1.gateway_refund_id = Some("re_gw_1".into());
    let r2 = refund(&p, at(3));
    h.repos.payments.insert_refund(&r1).await.unwrap();
    h.repos.payments.insert_refund(&r2).await.unwrap();
    let f = flow(h);
    let s1 = f
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
    let again = f
        .settle_refund(Some(r1.id.clone()), None, RefundStatus::Failed, at(11))
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
            at(13)
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(
        f.settle_refund(None, None, RefundStatus::Succeeded, at(13))
            .await
            .unwrap(),
        None
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
