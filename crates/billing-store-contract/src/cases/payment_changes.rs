//! PaymentFlowRepository: a payment change (payment, invoice, posting, refund and audit entry)
//! applies in one transaction, once, under its guard, or not at all.

use std::sync::Arc;

use billing_domain::RepoError;
use billing_domain::entities::{
    InvoiceStatus, LedgerKind, OutboxEvent, PaymentMethodKind, PaymentStatus,
};
use billing_domain::ports::{
    InvoiceChange, PaymentChange, PaymentChangeOutcome, PaymentGuard, PostingMode, PostingOutcome,
};
use billing_domain::types::{AccountId, PaymentId};

use crate::Harness;
use crate::fixtures::*;

/// An awaiting manual payment on a pending invoice, and the change that approves it.
async fn approval(h: &Harness, a: &AccountId) -> PaymentChange {
    let inv = finalized_invoice(a, at(1));
    let mut p = payment(
        a,
        &inv.id,
        at(1),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::PendingApproval,
        Some(&format!("REF-{}", inv.id)),
    );
    p.expires_at = Some(at(100_000));
    h.payment_flow()
        .create_invoice(&inv, Some("INV".into()), Some(p.clone()), None, None)
        .await
        .unwrap();
    let stored_inv = h.repos.invoices.get(&inv.id).await.unwrap().unwrap();
    let guard = PaymentGuard::of(&p);
    let mut paid = p.clone();
    paid.status = PaymentStatus::Succeeded;
    paid.amount_received = 1900;
    paid.updated_at = at(50);
    let mut inv_paid = stored_inv.clone();
    inv_paid.status = InvoiceStatus::Paid;
    inv_paid.amount_paid = 1900;
    inv_paid.amount_due = 0;
    inv_paid.paid_at = Some(at(50));
    let mut grant = posting(a, 1000, &format!("payment:{}", p.id), at(50));
    grant.kind = LedgerKind::PurchaseGrant;
    PaymentChange {
        payment: paid,
        guard,
        invoice: Some(InvoiceChange {
            invoice: inv_paid,
            expected_status: InvoiceStatus::Pending,
            expected_amount_paid: 0,
        }),
        posting: Some(grant),
        refund: None,
        refund_update: None,
        proof: None,
        audit: Some(audit(at(50), "payment.approve", p.id.as_str())),
        events: vec![OutboxEvent::new(
            "payment.succeeded",
            a,
            serde_json::json!({ "payment_id": p.id }),
            at(50),
        )],
    }
}

/// The outbox events of `kind`.
async fn events_of(h: &Harness, kind: &str) -> Vec<OutboxEvent> {
    h.repos
        .outbox
        .list(None, Some(kind.into()), &page(100, None))
        .await
        .unwrap()
        .data
}

pub async fn payment_change_applies_once(h: &Harness) {
    let a = h.account().await;
    let change = approval(h, &a).await;
    let f = h.payment_flow();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (f, c) = (Arc::clone(&f), change.clone());
            tokio::spawn(async move { f.apply_payment_change(&c).await })
        })
        .collect();
    let mut applied = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            PaymentChangeOutcome::Applied {
                posting: Some(PostingOutcome::Applied { .. }),
                refund: None,
            } => applied += 1,
            PaymentChangeOutcome::Stale => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(
        h.repos.payments.get(&change.payment.id).await.unwrap(),
        Some(change.payment.clone())
    );
    let paid = change.invoice.as_ref().unwrap().invoice.clone();
    assert_eq!(
        h.repos.invoices.get(&paid.id).await.unwrap(),
        Some(paid),
        "the invoice as changed"
    );
    assert_eq!(
        h.repos.ledger.balance(&a, at(60)).await.unwrap().balance,
        1000
    );
    assert_eq!(audit_count(h).await, 1);
    assert_eq!(events_of(h, "payment.succeeded").await, change.events);
    // The same approval again later (a second operator): the guard no longer holds.
    let again = PaymentChange {
        audit: Some(audit(at(70), "payment.approve", change.payment.id.as_str())),
        events: vec![OutboxEvent::new(
            "payment.succeeded",
            &a,
            serde_json::json!({}),
            at(70),
        )],
        ..change
    };
    assert_eq!(
        f.apply_payment_change(&again).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    assert_eq!(
        h.repos.ledger.balance(&a, at(80)).await.unwrap().balance,
        1000
    );
    assert_eq!(audit_count(h).await, 1);
    assert_eq!(events_of(h, "payment.succeeded").await.len(), 1);
    h.assert_no_drift().await;
}

pub async fn refund_change_records_the_clawback(h: &Harness) {
    let a = h.account().await;
    let approve = approval(h, &a).await;
    h.payment_flow()
        .apply_payment_change(&approve)
        .await
        .unwrap();
    post(h, &posting(&a, -700, "debit:spent", at(60))).await;
    let paid = approve.payment.clone();
    let mut refunded = paid.clone();
    refunded.status = PaymentStatus::Refunded;
    refunded.amount_refunded = 1900;
    refunded.updated_at = at(70);
    let mut claw = posting(&a, -1000, &format!("refund:{}", paid.id), at(70));
    claw.kind = LedgerKind::RefundClawback;
    claw.mode = PostingMode::UpToAvailable;
    let change = PaymentChange {
        posting: Some(claw),
        refund: Some(refund(&paid, at(70))),
        ..PaymentChange::payment_only(refunded, &paid)
    };
    let PaymentChangeOutcome::Applied {
        refund: Some(stored),
        ..
    } = h
        .payment_flow()
        .apply_payment_change(&change)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (stored.credits_clawed_back, stored.credits_deficit),
        (300, 700)
    );
    assert_eq!(
        h.repos.payments.refunds_of(&paid.id).await.unwrap(),
        vec![stored]
    );
    assert_eq!(
        h.payment_flow()
            .apply_payment_change(&change)
            .await
            .unwrap(),
        PaymentChangeOutcome::Stale
    );
    assert_eq!(h.repos.ledger.balance(&a, at(80)).await.unwrap().balance, 0);
    h.assert_no_drift().await;
}

pub async fn stale_or_missing_writes_nothing(h: &Harness) {
    let f = h.payment_flow();
    let a = h.account().await;
    let mut change = approval(h, &a).await;
    change.guard.status = PaymentStatus::AwaitingTransfer;
    assert_eq!(
        f.apply_payment_change(&change).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    let mut wrong_invoice = approval(h, &h.account().await).await;
    wrong_invoice.invoice.as_mut().unwrap().expected_amount_paid = 5;
    assert_eq!(
        f.apply_payment_change(&wrong_invoice).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    let mut ghost = change.clone();
    ghost.payment.id = PaymentId::generate(at(0));
    assert_eq!(
        f.apply_payment_change(&ghost).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    assert_eq!(h.repos.ledger.balance(&a, at(60)).await.unwrap().balance, 0);
    assert_eq!(audit_count(h).await, 0);
    assert_eq!(events_of(h, "payment.succeeded").await, vec![]);
}

pub async fn a_failing_posting_writes_nothing_else(h: &Harness) {
    let a = h.account().await;
    use {PaymentMethodKind::Stripe, PaymentStatus::Processing};
    let pay = stored_payment(h, &a, 1, Stripe, Processing, None).await;
    let mut paid = pay.clone();
    paid.status = PaymentStatus::Succeeded;
    let mut bad = posting(&a, 5, "payment:x", at(2));
    bad.account_id = AccountId::generate(at(2));
    let change = PaymentChange {
        posting: Some(bad),
        audit: Some(audit(at(2), "payment.succeed", pay.id.as_str())),
        events: vec![OutboxEvent::new(
            "payment.succeeded",
            &a,
            serde_json::json!({}),
            at(2),
        )],
        ..PaymentChange::payment_only(paid, &pay)
    };
    assert_eq!(
        h.payment_flow().apply_payment_change(&change).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(h.repos.payments.get(&pay.id).await.unwrap(), Some(pay));
    assert_eq!(audit_count(h).await, 0);
    assert_eq!(events_of(h, "payment.succeeded").await, vec![]);
}
