//! PaymentFlowRepository and refunds: lookups, the janitor's queue, and a guarded refund update
//! (the reversal of a failed refund) applied with its payment and posting in one transaction.

use std::sync::Arc;

use billing_domain::entities::{
    LedgerKind, Payment, PaymentMethodKind, PaymentStatus, RefundStatus,
};
use billing_domain::ports::{
    PaymentChange, PaymentChangeOutcome, PaymentFlowRepository, PostingMode, RefundUpdate,
};
use billing_domain::types::AccountId;

use crate::Harness;
use crate::fixtures::*;

fn flow(h: &Harness) -> Arc<dyn PaymentFlowRepository> {
    h.payment_flow()
}

/// A succeeded Stripe payment of 1900 with a pending refund of 100 that clawed back 50 of the
/// account's 1000 credits.
async fn refunded(h: &Harness) -> (AccountId, Payment, billing_domain::entities::Refund) {
    let a = h.account().await;
    let inv = invoice(
        &a,
        at(1),
        billing_domain::entities::InvoiceStatus::Paid,
        None,
    );
    h.repos.invoices.insert(&inv).await.unwrap();
    let mut p = payment(
        &a,
        &inv.id,
        at(1),
        PaymentMethodKind::Stripe,
        PaymentStatus::Succeeded,
        None,
    );
    p.amount_received = 1900;
    h.repos.payments.insert(&p).await.unwrap();
    h.repos
        .ledger
        .post(&posting(&a, 1000, &format!("payment:{}", p.id), at(2)))
        .await
        .unwrap();
    let mut next = p.clone();
    next.status = PaymentStatus::PartiallyRefunded;
    next.amount_refunded = 100;
    let mut claw = posting(&a, -50, "refund:r1", at(3));
    claw.kind = LedgerKind::RefundClawback;
    claw.mode = PostingMode::UpToAvailable;
    let change = PaymentChange {
        posting: Some(claw),
        refund: Some(refund(&p, at(3))),
        ..PaymentChange::payment_only(next.clone(), &p)
    };
    let PaymentChangeOutcome::Applied {
        refund: Some(r), ..
    } = flow(h).apply_payment_change(&change).await.unwrap()
    else {
        panic!("not applied")
    };
    assert_eq!(r.credits_clawed_back, 50);
    (a, next, r)
}

fn reversal(
    p: &Payment,
    r: &billing_domain::entities::Refund,
    expected: RefundStatus,
) -> PaymentChange {
    let mut back = p.clone();
    back.status = PaymentStatus::Succeeded;
    back.amount_refunded = 0;
    let mut grant = posting(
        &p.account_id,
        50,
        &format!("refund-reversal:{}", r.id),
        at(5),
    );
    grant.kind = LedgerKind::RefundReversal;
    PaymentChange {
        posting: Some(grant),
        refund_update: Some(RefundUpdate {
            id: r.id.clone(),
            expected,
            status: RefundStatus::Failed,
            gateway_refund_id: Some("re_gw_9".into()),
            at: at(5),
        }),
        ..PaymentChange::payment_only(back, p)
    }
}

pub async fn refund_reversal_is_guarded_by_the_refund_status(h: &Harness) {
    let (a, p, r) = refunded(h).await;
    // Read as succeeded but stored pending: stale, nothing written.
    assert_eq!(
        flow(h)
            .apply_payment_change(&reversal(&p, &r, RefundStatus::Succeeded))
            .await
            .unwrap(),
        PaymentChangeOutcome::Stale
    );
    assert_eq!(
        h.repos.ledger.balance(&a, at(6)).await.unwrap().balance,
        950
    );
    let change = reversal(&p, &r, RefundStatus::Pending);
    let PaymentChangeOutcome::Applied {
        refund: Some(failed),
        ..
    } = flow(h).apply_payment_change(&change).await.unwrap()
    else {
        panic!("not applied")
    };
    assert_eq!(
        (
            failed.status,
            failed.gateway_refund_id.as_deref(),
            failed.updated_at
        ),
        (RefundStatus::Failed, Some("re_gw_9"), at(5))
    );
    assert_eq!(
        failed.credits_clawed_back, 50,
        "the record of what was clawed stays"
    );
    let stored = h.repos.payments.get(&p.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.amount_refunded),
        (PaymentStatus::Succeeded, 0)
    );
    assert_eq!(
        h.repos.ledger.balance(&a, at(6)).await.unwrap().balance,
        1000
    );
    // Twice: the refund is no longer pending (and the payment moved on).
    let again = reversal(&stored, &r, RefundStatus::Pending);
    assert_eq!(
        flow(h).apply_payment_change(&again).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    assert_eq!(
        h.repos.ledger.balance(&a, at(6)).await.unwrap().balance,
        1000
    );
    h.assert_no_drift().await;
}

pub async fn refunds_found_by_either_id_and_unacknowledged_listed(h: &Harness) {
    let (_, p, r) = refunded(h).await;
    let f = flow(h);
    assert_eq!(
        f.find_refund(Some(r.id.clone()), None).await.unwrap(),
        Some(r.clone())
    );
    assert_eq!(
        f.find_refund(None, Some("re_gw_x".into())).await.unwrap(),
        None
    );
    assert_eq!(f.find_refund(None, None).await.unwrap(), None);
    let mut acked = refund(&p, at(4));
    acked.gateway_refund_id = Some("re_gw_x".into());
    h.repos.payments.insert_refund(&acked).await.unwrap();
    assert_eq!(
        f.find_refund(None, Some("re_gw_x".into()))
            .await
            .unwrap()
            .map(|x| x.id),
        Some(acked.id.clone())
    );
    let later = refund(&p, at(8));
    h.repos.payments.insert_refund(&later).await.unwrap();
    // Pending without a gateway id, created in [after, before), not deferred past `now`.
    let unacked = |after, before, limit, now| {
        let f = Arc::clone(&f);
        async move {
            let found = f.unacknowledged_refunds(at(after), at(before), limit, at(now));
            found
                .await
                .unwrap()
                .into_iter()
                .map(|x| x.id)
                .collect::<Vec<_>>()
        }
    };
    let (r, later) = (r.id, later.id);
    assert_eq!(
        unacked(0, 10, 10, 1000).await,
        vec![r.clone(), later.clone()],
        "`r` (at 3) and `later` (at 8), oldest first"
    );
    assert_eq!(unacked(0, 10, 1, 1000).await, vec![r.clone()]);
    assert_eq!(unacked(4, 10, 10, 1000).await, vec![later.clone()]);
    assert!(unacked(0, 3, 10, 1000).await.is_empty());
    // Deferred by the janitor's backoff: left out until due.
    let backoff = billing_domain::ports::RetryBackoff::JANITOR;
    f.defer_retry(later.as_str(), "timeout", at(1000), backoff)
        .await
        .unwrap();
    assert_eq!(unacked(0, 10, 10, 5999).await, vec![r.clone()]);
    assert_eq!(
        unacked(0, 10, 10, 6000).await,
        vec![r.clone(), later.clone()]
    );
    f.settle_refund(Some(later), None, RefundStatus::Succeeded, at(9), None)
        .await
        .unwrap();
    assert_eq!(unacked(0, 10, 10, 1000).await, vec![r]);
}

pub async fn gateway_refund_ids_are_unique_and_payments_found_by_gateway_payment_id(h: &Harness) {
    let (_, mut p, r) = refunded(h).await;
    let mut first = refund(&p, at(4));
    first.gateway_refund_id = Some("re_gw_same".into());
    h.repos.payments.insert_refund(&first).await.unwrap();
    let mut again = refund(&p, at(5));
    again.gateway_refund_id = Some("re_gw_same".into());
    assert_conflict(
        h.repos.payments.insert_refund(&again).await,
        "same gateway refund id",
    );
    // Settling a pending refund with a gateway id another refund has: refused, nothing changes.
    assert_conflict(
        flow(h)
            .settle_refund(
                Some(r.id.clone()),
                Some("re_gw_same".into()),
                RefundStatus::Succeeded,
                at(6),
                None,
            )
            .await,
        "settled with a taken gateway refund id",
    );
    assert_eq!(
        flow(h)
            .find_refund(Some(r.id.clone()), None)
            .await
            .unwrap()
            .map(|x| x.status),
        Some(RefundStatus::Pending)
    );
    // The payment is found by its gateway payment id as well as its gateway reference.
    p.gateway_payment_id = Some("pi_contract".into());
    let change = PaymentChange::payment_only(p.clone(), &p);
    flow(h).apply_payment_change(&change).await.unwrap();
    let found = h
        .repos
        .payments
        .find_by_gateway_reference("pi_contract")
        .await
        .unwrap();
    assert_eq!(found.map(|x| x.id), Some(p.id.clone()));
}
