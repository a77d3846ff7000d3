//! PaymentFlowRepository: gapless invoice numbers and guarded payment steps.

use std::sync::Arc;

use billing_domain::RepoError;
use billing_domain::entities::{InvoiceStatus, LedgerKind, PaymentMethodKind, PaymentStatus};
use billing_domain::ports::{
    AuditFilter, InvoiceChange, PaymentChange, PaymentChangeOutcome, PaymentGuard, PostingMode,
    PostingOutcome,
};
use billing_domain::types::AccountId;
use time::OffsetDateTime;

use crate::Harness;
use crate::fixtures::*;

fn flow(h: &Harness) -> Arc<dyn billing_domain::ports::PaymentFlowRepository> {
    h.payment_flow()
}

fn finalized(account: &AccountId, when: OffsetDateTime) -> billing_domain::entities::Invoice {
    let mut inv = invoice(account, when, InvoiceStatus::Pending, None);
    inv.finalized_at = Some(when);
    inv.total = 1900;
    inv.subtotal = 1900;
    inv.amount_due = 1900;
    inv
}

async fn audit_count(h: &Harness) -> usize {
    h.repos
        .audit
        .list(&AuditFilter::default(), &page(100, None))
        .await
        .unwrap()
        .data
        .len()
}

pub async fn create_invoice_assigns_gapless_numbers(h: &Harness) {
    let a = h.account().await;
    let f = flow(h);
    let first = f
        .create_invoice(&finalized(&a, at(1)), Some("INV".into()), None, None)
        .await
        .unwrap();
    let year = at(1).year();
    assert_eq!(
        first.number.as_deref(),
        Some(format!("INV-{year}-000001").as_str())
    );
    let inv = finalized(&a, at(2));
    let p = payment(
        &a,
        &inv.id,
        at(2),
        PaymentMethodKind::Stripe,
        PaymentStatus::Pending,
        None,
    );
    let second = f
        .create_invoice(
            &inv,
            Some("INV".into()),
            Some(p.clone()),
            Some(audit(at(2), "invoice.create", inv.id.as_str())),
        )
        .await
        .unwrap();
    assert_eq!(
        second.number.as_deref(),
        Some(format!("INV-{year}-000002").as_str())
    );
    assert_eq!(h.repos.invoices.get(&inv.id).await.unwrap(), Some(second));
    assert_eq!(h.repos.payments.get(&p.id).await.unwrap(), Some(p));
    assert_eq!(audit_count(h).await, 1);
    let next_year = finalized(&a, at(1) + time::Duration::days(400));
    let n = f
        .create_invoice(&next_year, Some("INV".into()), None, None)
        .await
        .unwrap();
    assert_eq!(
        n.number.as_deref(),
        Some(format!("INV-{}-000001", year + 1).as_str())
    );
    let other = f
        .create_invoice(&finalized(&a, at(3)), Some("CN".into()), None, None)
        .await
        .unwrap();
    assert_eq!(
        other.number.as_deref(),
        Some(format!("CN-{year}-000001").as_str())
    );
    // A failed insert does not burn a number.
    let orphan = finalized(&AccountId::generate(at(4)), at(4));
    assert_eq!(
        f.create_invoice(&orphan, Some("INV".into()), None, None)
            .await,
        Err(RepoError::NotFound)
    );
    let third = f
        .create_invoice(&finalized(&a, at(5)), Some("INV".into()), None, None)
        .await
        .unwrap();
    assert_eq!(
        third.number.as_deref(),
        Some(format!("INV-{year}-000003").as_str())
    );
    let draft = invoice(&a, at(6), InvoiceStatus::Draft, None);
    assert_eq!(
        f.create_invoice(&draft, None, None, None)
            .await
            .unwrap()
            .number,
        None
    );
}

pub async fn concurrent_numbering_has_no_gaps(h: &Harness) {
    let a = h.account().await;
    let f = flow(h);
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (f, inv) = (Arc::clone(&f), finalized(&a, at(10 + i)));
            tokio::spawn(
                async move { f.create_invoice(&inv, Some("INV".into()), None, None).await },
            )
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().unwrap().number.unwrap());
    }
    numbers.sort();
    let year = at(0).year();
    let expected: Vec<String> = (1..=12).map(|n| format!("INV-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

pub async fn finalize_and_status_updates_are_guarded(h: &Harness) {
    let a = h.account().await;
    let f = flow(h);
    let draft = invoice(&a, at(1), InvoiceStatus::Draft, None);
    f.create_invoice(&draft, None, None, None).await.unwrap();
    let mut fin = draft.clone();
    fin.status = InvoiceStatus::Pending;
    fin.finalized_at = Some(at(5));
    fin.updated_at = at(5);
    let done = f
        .finalize_invoice(
            &fin,
            "INV".into(),
            Some(audit(at(5), "invoice.finalize", draft.id.as_str())),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        done.number.as_deref(),
        Some(format!("INV-{}-000001", at(5).year()).as_str())
    );
    assert_eq!(
        h.repos.invoices.get(&draft.id).await.unwrap(),
        Some(done.clone())
    );
    assert_eq!(
        f.finalize_invoice(&fin, "INV".into(), None).await.unwrap(),
        None,
        "no longer a draft"
    );
    let ghost = invoice(&a, at(6), InvoiceStatus::Draft, None);
    assert_eq!(
        f.finalize_invoice(&ghost, "INV".into(), None).await,
        Err(RepoError::NotFound)
    );

    let mut void = done.clone();
    void.status = InvoiceStatus::Void;
    void.status_reason = Some("duplicate".into());
    void.updated_at = at(9);
    assert!(
        !f.update_invoice_status(&void, InvoiceStatus::Draft, None)
            .await
            .unwrap()
    );
    assert!(
        f.update_invoice_status(
            &void,
            InvoiceStatus::Pending,
            Some(audit(at(9), "invoice.void", void.id.as_str()))
        )
        .await
        .unwrap()
    );
    let stored = h.repos.invoices.get(&void.id).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.status,
            stored.status_reason.as_deref(),
            stored.updated_at
        ),
        (InvoiceStatus::Void, Some("duplicate"), at(9))
    );
    assert_eq!(
        f.update_invoice_status(&ghost, InvoiceStatus::Draft, None)
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(audit_count(h).await, 2);
}

/// An awaiting manual payment on a pending invoice, and the change that approves it.
async fn approval(h: &Harness, a: &AccountId) -> PaymentChange {
    let inv = finalized(a, at(1));
    let mut p = payment(
        a,
        &inv.id,
        at(1),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::PendingApproval,
        Some(&format!("REF-{}", inv.id)),
    );
    p.expires_at = Some(at(100_000));
    flow(h)
        .create_invoice(&inv, Some("INV".into()), Some(p.clone()), None)
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
    }
}

pub async fn payment_change_applies_once(h: &Harness) {
    let a = h.account().await;
    let change = approval(h, &a).await;
    let f = flow(h);
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
    let inv = h
        .repos
        .invoices
        .get(&change.invoice.as_ref().unwrap().invoice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (inv.status, inv.amount_paid, inv.amount_due),
        (InvoiceStatus::Paid, 1900, 0)
    );
    assert_eq!(
        h.repos.ledger.balance(&a, at(60)).await.unwrap().balance,
        1000
    );
    assert_eq!(audit_count(h).await, 1);
    h.assert_no_drift().await;
}

pub async fn refund_change_records_the_clawback(h: &Harness) {
    let a = h.account().await;
    let approve = approval(h, &a).await;
    flow(h).apply_payment_change(&approve).await.unwrap();
    h.repos
        .ledger
        .post(&posting(&a, -700, "debit:spent", at(60)))
        .await
        .unwrap();
    let paid = approve.payment.clone();
    let mut refunded = paid.clone();
    refunded.status = PaymentStatus::Refunded;
    refunded.amount_refunded = 1900;
    refunded.updated_at = at(70);
    let mut claw = posting(&a, -1000, &format!("refund:{}", paid.id), at(70));
    claw.kind = LedgerKind::RefundClawback;
    claw.mode = PostingMode::UpToAvailable;
    let r = refund(&paid, at(70));
    let change = PaymentChange {
        payment: refunded,
        guard: PaymentGuard::of(&paid),
        invoice: None,
        posting: Some(claw),
        refund: Some(r.clone()),
        refund_update: None,
        proof: None,
        audit: None,
    };
    let PaymentChangeOutcome::Applied {
        refund: Some(stored),
        ..
    } = flow(h).apply_payment_change(&change).await.unwrap()
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
        flow(h).apply_payment_change(&change).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    assert_eq!(h.repos.ledger.balance(&a, at(80)).await.unwrap().balance, 0);
    h.assert_no_drift().await;
}

pub async fn stale_or_missing_writes_nothing(h: &Harness) {
    let a = h.account().await;
    let mut change = approval(h, &a).await;
    change.guard.status = PaymentStatus::AwaitingTransfer;
    assert_eq!(
        flow(h).apply_payment_change(&change).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    let mut wrong_invoice = approval(h, &h.account().await).await;
    wrong_invoice.invoice.as_mut().unwrap().expected_amount_paid = 5;
    assert_eq!(
        flow(h).apply_payment_change(&wrong_invoice).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    let mut ghost = change.clone();
    ghost.payment.id = billing_domain::types::PaymentId::generate(at(0));
    assert_eq!(
        flow(h).apply_payment_change(&ghost).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    assert_eq!(h.repos.ledger.balance(&a, at(60)).await.unwrap().balance, 0);
    assert_eq!(audit_count(h).await, 0);
}

pub async fn payments_due_for_expiry(h: &Harness) {
    let a = h.account().await;
    let inv = finalized(&a, at(0));
    h.repos.invoices.insert(&inv).await.unwrap();
    let mut due = Vec::new();
    for (i, (status, expires)) in [
        (PaymentStatus::AwaitingTransfer, Some(10)),
        (PaymentStatus::Rejected, Some(20)),
        (PaymentStatus::AwaitingTransfer, Some(5_000)),
        (PaymentStatus::PendingApproval, Some(10)),
        (PaymentStatus::AwaitingTransfer, None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = payment(
            &a,
            &inv.id,
            at(i as i64),
            PaymentMethodKind::BankTransfer,
            status,
            None,
        );
        p.expires_at = expires.map(at);
        h.repos.payments.insert(&p).await.unwrap();
        due.push(p);
    }
    let got = flow(h)
        .payments_due_for_expiry(at(1_000), 10)
        .await
        .unwrap();
    assert_eq!(got, vec![due[0].clone(), due[1].clone()]);
    assert_eq!(
        flow(h).payments_due_for_expiry(at(1_000), 1).await.unwrap(),
        vec![due[0].clone()]
    );
}
