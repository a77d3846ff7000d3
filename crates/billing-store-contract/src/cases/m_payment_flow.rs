//! The payment-flow port of the memory store.
#![allow(clippy::unwrap_used)]

use time::Duration;

use crate::Harness;
use crate::fixtures::*;
use billing_domain::entities::{InvoiceStatus, LedgerKind, PaymentMethodKind, PaymentStatus};
use billing_domain::error::RepoError;
use billing_domain::ports::{
    AuditFilter, InvoiceChange, PaymentChange, PaymentChangeOutcome, PaymentGuard, PostingMode,
    PostingOutcome,
};

pub async fn invoice_numbers_are_gapless_per_prefix_and_year_and_failures_use_none(h: &Harness) {
    let (r, flow) = (&h.repos, h.payment_flow());
    let a = h.account().await;
    let mut i1 = invoice(&a, at(1), InvoiceStatus::Pending, None);
    i1.finalized_at = Some(at(1));
    let p1 = payment(
        &a,
        &i1.id,
        at(1),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::AwaitingTransfer,
        Some("REF-1"),
    );
    let stored = flow
        .create_invoice(
            &i1,
            Some("INV".into()),
            Some(p1.clone()),
            Some(audit(at(1), "invoice.create", "x")),
        )
        .await
        .unwrap();
    assert_eq!(stored.number.as_deref(), Some("INV-2026-000001"));
    assert_eq!(r.invoices.get(&i1.id).await.unwrap(), Some(stored));
    assert_eq!(r.payments.get(&p1.id).await.unwrap(), Some(p1));

    // A taken payment reference: nothing written, no number used.
    let mut i2 = invoice(&a, at(2), InvoiceStatus::Pending, None);
    i2.finalized_at = Some(at(2));
    let clash = payment(
        &a,
        &i2.id,
        at(2),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::AwaitingTransfer,
        Some("REF-1"),
    );
    assert!(matches!(
        flow.create_invoice(&i2, Some("INV".into()), Some(clash), None)
            .await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(r.invoices.get(&i2.id).await.unwrap(), None);
    assert_eq!(
        flow.create_invoice(&i2, Some("INV".into()), None, None)
            .await
            .unwrap()
            .number
            .as_deref(),
        Some("INV-2026-000002")
    );

    // Another year and another prefix count on their own; drafts get no number.
    let mut next_year = invoice(&a, at(2), InvoiceStatus::Pending, None);
    next_year.finalized_at = Some(at(2) + Duration::days(400));
    assert_eq!(
        flow.create_invoice(&next_year, Some("INV".into()), None, None)
            .await
            .unwrap()
            .number
            .as_deref(),
        Some("INV-2027-000001")
    );
    let mut other = invoice(&a, at(3), InvoiceStatus::Pending, None);
    other.finalized_at = Some(at(3));
    assert_eq!(
        flow.create_invoice(&other, Some("CN".into()), None, None)
            .await
            .unwrap()
            .number
            .as_deref(),
        Some("CN-2026-000001")
    );
    let draft = invoice(&a, at(4), InvoiceStatus::Draft, None);
    assert_eq!(
        flow.create_invoice(&draft, None, None, None)
            .await
            .unwrap()
            .number,
        None
    );
    assert!(matches!(
        flow.create_invoice(&draft, None, None, None).await,
        Err(RepoError::Conflict(_))
    ));

    // Finalizing the draft takes the next number once.
    let mut fin = draft.clone();
    fin.status = InvoiceStatus::Pending;
    fin.finalized_at = Some(at(5));
    let done = flow
        .finalize_invoice(
            &fin,
            "INV".into(),
            Some(audit(at(5), "invoice.finalize", "x")),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.number.as_deref(), done.status),
        (Some("INV-2026-000003"), InvoiceStatus::Pending)
    );
    assert_eq!(
        flow.finalize_invoice(&fin, "INV".into(), None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        flow.finalize_invoice(
            &invoice(&a, at(6), InvoiceStatus::Pending, None),
            "INV".into(),
            None
        )
        .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        r.audit
            .list(&AuditFilter::default(), &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        2
    );
}

pub async fn invoice_status_updates_are_guarded(h: &Harness) {
    let (r, flow) = (&h.repos, h.payment_flow());
    let a = h.account().await;
    let inv = flow
        .create_invoice(
            &invoice(&a, at(1), InvoiceStatus::Pending, None),
            None,
            None,
            None,
        )
        .await
        .unwrap();
    let mut void = inv.clone();
    void.status = InvoiceStatus::Void;
    void.status_reason = Some("duplicate".into());
    assert!(
        !flow
            .update_invoice_status(&void, InvoiceStatus::Draft, None)
            .await
            .unwrap()
    );
    assert!(
        flow.update_invoice_status(
            &void,
            InvoiceStatus::Pending,
            Some(audit(at(2), "invoice.void", "x"))
        )
        .await
        .unwrap()
    );
    let stored = r.invoices.get(&inv.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.status_reason.as_deref()),
        (InvoiceStatus::Void, Some("duplicate"))
    );
    assert!(
        !flow
            .update_invoice_status(&void, InvoiceStatus::Pending, None)
            .await
            .unwrap()
    );
}

pub async fn payment_changes_apply_once_under_their_guards(h: &Harness) {
    let (r, flow) = (&h.repos, h.payment_flow());
    let a = h.account().await;
    let inv = invoice(&a, at(1), InvoiceStatus::Pending, None);
    let pay = payment(
        &a,
        &inv.id,
        at(1),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::PendingApproval,
        Some("REF-1"),
    );
    flow.create_invoice(&inv, None, Some(pay.clone()), None)
        .await
        .unwrap();

    let mut paid = pay.clone();
    paid.status = PaymentStatus::Succeeded;
    paid.amount_received = pay.amount;
    let mut inv_paid = inv.clone();
    inv_paid.status = InvoiceStatus::Paid;
    inv_paid.amount_paid = pay.amount;
    let approve = PaymentChange {
        payment: paid.clone(),
        guard: PaymentGuard::of(&pay),
        invoice: Some(InvoiceChange {
            invoice: inv_paid.clone(),
            expected_status: InvoiceStatus::Pending,
            expected_amount_paid: 0,
        }),
        posting: Some(posting(&a, 1000, &format!("payment:{}", pay.id), at(2))),
        refund: None,
        refund_update: None,
        proof: None,
        audit: Some(audit(at(2), "payment.approve", pay.id.as_str())),
    };
    let out = flow.apply_payment_change(&approve).await.unwrap();
    assert!(matches!(
        out,
        PaymentChangeOutcome::Applied {
            posting: Some(PostingOutcome::Applied { .. }),
            refund: None
        }
    ));
    assert_eq!(r.payments.get(&pay.id).await.unwrap(), Some(paid.clone()));
    assert_eq!(r.invoices.get(&inv.id).await.unwrap(), Some(inv_paid));
    assert_eq!(r.ledger.balance(&a, at(3)).await.unwrap().balance, 1000);
    // The same approval again (a second operator): the guard no longer holds, nothing happens.
    let mut again = approve.clone();
    again.audit = Some(audit(at(3), "payment.approve", pay.id.as_str()));
    assert_eq!(
        flow.apply_payment_change(&again).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
    assert_eq!(r.ledger.balance(&a, at(3)).await.unwrap().balance, 1000);
    assert_eq!(
        r.audit
            .list(&AuditFilter::default(), &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        1
    );

    // A refund whose clawback takes what is there (600 of 1000 available after a debit).
    r.ledger
        .post(&posting(&a, -400, "debit:x", at(4)))
        .await
        .unwrap();
    let mut refunded = paid.clone();
    refunded.status = PaymentStatus::Refunded;
    refunded.amount_refunded = paid.amount;
    let mut clawback = posting(&a, -1000, "refund:1", at(5));
    clawback.kind = LedgerKind::RefundClawback;
    clawback.mode = PostingMode::UpToAvailable;
    let refund_change = PaymentChange {
        payment: refunded.clone(),
        guard: PaymentGuard::of(&paid),
        invoice: None,
        posting: Some(clawback),
        refund: Some(refund(&paid, at(5))),
        refund_update: None,
        proof: None,
        audit: None,
    };
    let PaymentChangeOutcome::Applied {
        refund: Some(stored),
        ..
    } = flow.apply_payment_change(&refund_change).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (stored.credits_clawed_back, stored.credits_deficit),
        (600, 400)
    );
    assert_eq!(r.payments.refunds_of(&pay.id).await.unwrap(), vec![stored]);
    assert_eq!(r.ledger.balance(&a, at(6)).await.unwrap().balance, 0);
    assert_eq!(r.ledger.verify().await.unwrap().0, vec![]);

    // A payment that is gone is stale too.
    let ghost = payment(
        &a,
        &billing_domain::types::InvoiceId::generate(at(7)),
        at(7),
        PaymentMethodKind::Stripe,
        PaymentStatus::Pending,
        None,
    );
    let change = PaymentChange {
        payment: ghost.clone(),
        guard: PaymentGuard::of(&ghost),
        ..refund_change
    };
    assert_eq!(
        flow.apply_payment_change(&change).await.unwrap(),
        PaymentChangeOutcome::Stale
    );
}

pub async fn a_failing_posting_writes_nothing_else(h: &Harness) {
    let (r, flow) = (&h.repos, h.payment_flow());
    let a = h.account().await;
    let inv = h.invoice(&a).await;
    let pay = payment(
        &a,
        &inv,
        at(1),
        PaymentMethodKind::Stripe,
        PaymentStatus::Processing,
        None,
    );
    r.payments.insert(&pay).await.unwrap();
    let mut paid = pay.clone();
    paid.status = PaymentStatus::Succeeded;
    let mut bad = posting(&a, 5, "payment:x", at(2));
    bad.account_id = billing_domain::types::AccountId::generate(at(2));
    let change = PaymentChange {
        payment: paid,
        guard: PaymentGuard::of(&pay),
        invoice: None,
        posting: Some(bad),
        refund: None,
        refund_update: None,
        proof: None,
        audit: None,
    };
    assert_eq!(
        flow.apply_payment_change(&change).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(r.payments.get(&pay.id).await.unwrap(), Some(pay));
}

pub async fn manual_payments_past_their_expiry_are_listed_oldest_first(h: &Harness) {
    let (r, flow) = (&h.repos, h.payment_flow());
    let a = h.account().await;
    let inv = h.invoice(&a).await;
    let mk = |ms: i64, status: PaymentStatus, expires: Option<i64>| {
        let mut p = payment(&a, &inv, at(ms), PaymentMethodKind::BankTransfer, status, None);
        p.expires_at = expires.map(at);
        p
    };
    let due1 = mk(1, PaymentStatus::AwaitingTransfer, Some(100));
    let due2 = mk(2, PaymentStatus::Rejected, Some(50));
    let later = mk(3, PaymentStatus::AwaitingTransfer, Some(10_000));
    let done = mk(4, PaymentStatus::Succeeded, Some(10));
    let never = mk(5, PaymentStatus::AwaitingTransfer, None);
    for p in [&due1, &due2, &later, &done, &never] {
        r.payments.insert(p).await.unwrap();
    }
    assert_eq!(
        flow.payments_due_for_expiry(at(1000), 10).await.unwrap(),
        vec![due1.clone(), due2]
    );
    assert_eq!(
        flow.payments_due_for_expiry(at(1000), 1).await.unwrap(),
        vec![due1]
    );
    assert!(
        flow.payments_due_for_expiry(at(100), 10)
            .await
            .unwrap()
            .len()
            == 1,
        "expires_at strictly before now"
    );
}
