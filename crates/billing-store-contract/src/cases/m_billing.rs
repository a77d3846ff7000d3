//! Invoices, payments, refunds and proofs in the memory store.
#![allow(clippy::unwrap_used)]

use crate::Harness;
use crate::fixtures::*;
use billing_domain::entities::{InvoiceStatus, PaymentMethodKind, PaymentStatus, ProofFile};
use billing_domain::error::RepoError;
use billing_domain::ports::{InvoiceFilter, PaymentFilter};
use billing_domain::types::{FileId, InvoiceId, PaymentId};

pub async fn invoices_insert_get_filter_and_page(h: &Harness) {
    let r = &h.repos;
    let (a, b) = (h.account().await, h.account().await);
    let i1 = invoice(&a, at(10), InvoiceStatus::Paid, Some("INV-1"));
    let i2 = invoice(&a, at(20), InvoiceStatus::Pending, Some("INV-2"));
    let i3 = invoice(&b, at(30), InvoiceStatus::Draft, None);
    let i4 = invoice(&b, at(40), InvoiceStatus::Draft, None);
    for i in [&i1, &i2, &i3, &i4] {
        r.invoices.insert(i).await.unwrap();
    }
    assert!(matches!(
        r.invoices.insert(&i1).await,
        Err(RepoError::Conflict(_))
    ));
    assert!(
        matches!(
            r.invoices
                .insert(&invoice(&a, at(50), InvoiceStatus::Paid, Some("INV-1")))
                .await,
            Err(RepoError::Conflict(_))
        ),
        "number taken"
    );
    assert_eq!(r.invoices.get(&i2.id).await.unwrap(), Some(i2.clone()));
    assert_eq!(
        r.invoices.get(&InvoiceId::generate(at(1))).await.unwrap(),
        None
    );
    let ids = |p: billing_domain::types::Page<billing_domain::entities::Invoice>| {
        p.data.into_iter().map(|i| i.id).collect::<Vec<_>>()
    };
    let all = InvoiceFilter::default();
    assert_eq!(
        ids(r.invoices.list(&all, &page(10, None)).await.unwrap()),
        [i4.id.clone(), i3.id.clone(), i2.id.clone(), i1.id.clone()]
    );
    let mine = InvoiceFilter {
        account_id: Some(a.clone()),
        ..Default::default()
    };
    assert_eq!(
        ids(r.invoices.list(&mine, &page(10, None)).await.unwrap()),
        [i2.id.clone(), i1.id.clone()]
    );
    let paid = InvoiceFilter {
        status: Some(InvoiceStatus::Paid),
        ..Default::default()
    };
    assert_eq!(
        ids(r.invoices.list(&paid, &page(10, None)).await.unwrap()),
        vec![i1.id.clone()]
    );
    let window = InvoiceFilter {
        from: Some(at(20)),
        to: Some(at(40)),
        ..Default::default()
    };
    assert_eq!(
        ids(r.invoices.list(&window, &page(10, None)).await.unwrap()),
        [i3.id.clone(), i2.id.clone()]
    );
    let p = r
        .invoices
        .list(&all, &page(1, Some(i3.id.as_str())))
        .await
        .unwrap();
    assert!(p.has_more);
    assert_eq!(ids(p), vec![i2.id.clone()]);
}

pub async fn payments_filter_order_and_unique_references(h: &Harness) {
    let r = &h.repos;
    let a = h.account().await;
    let inv = h.invoice(&a).await;
    let b = h.account().await;
    let inv_b = h.invoice(&b).await;
    let p1 = payment(
        &a,
        &inv,
        at(10),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::PendingApproval,
        Some("REF-1"),
    );
    let p2 = payment(
        &a,
        &inv,
        at(20),
        PaymentMethodKind::Stripe,
        PaymentStatus::Succeeded,
        None,
    );
    let p3 = payment(
        &a,
        &inv,
        at(30),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::PendingApproval,
        Some("REF-2"),
    );
    let p4 = payment(
        &b,
        &inv_b,
        at(40),
        PaymentMethodKind::Stripe,
        PaymentStatus::Pending,
        None,
    );
    for p in [&p1, &p2, &p3, &p4] {
        r.payments.insert(p).await.unwrap();
    }
    assert!(matches!(
        r.payments.insert(&p1).await,
        Err(RepoError::Conflict(_))
    ));
    let same_ref = payment(
        &a,
        &inv,
        at(50),
        PaymentMethodKind::LocalWallet,
        PaymentStatus::AwaitingTransfer,
        Some("REF-1"),
    );
    assert!(matches!(
        r.payments.insert(&same_ref).await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(
        r.payments.find_by_reference("REF-2").await.unwrap(),
        Some(p3.clone())
    );
    assert_eq!(r.payments.find_by_reference("REF-9").await.unwrap(), None);
    assert_eq!(r.payments.get(&p2.id).await.unwrap(), Some(p2.clone()));
    assert_eq!(
        r.payments.get(&PaymentId::generate(at(1))).await.unwrap(),
        None
    );

    let ids = |p: billing_domain::types::Page<billing_domain::entities::Payment>| {
        p.data.into_iter().map(|p| p.id).collect::<Vec<_>>()
    };
    let all = PaymentFilter::default();
    assert_eq!(
        ids(r.payments.list(&all, &page(10, None)).await.unwrap()),
        [p4.id.clone(), p3.id.clone(), p2.id.clone(), p1.id.clone()]
    );
    // The operator queue: pending approvals, oldest first, paged.
    let queue = PaymentFilter {
        status: Some(PaymentStatus::PendingApproval),
        oldest_first: true,
        ..Default::default()
    };
    let first = r.payments.list(&queue, &page(1, None)).await.unwrap();
    assert!(first.has_more);
    assert_eq!(ids(first), vec![p1.id.clone()]);
    let next = r
        .payments
        .list(&queue, &page(1, Some(p1.id.as_str())))
        .await
        .unwrap();
    assert!(!next.has_more);
    assert_eq!(ids(next), vec![p3.id.clone()]);
    let stripe = PaymentFilter {
        method: Some(PaymentMethodKind::Stripe),
        account_id: Some(a.clone()),
        ..Default::default()
    };
    assert_eq!(
        ids(r.payments.list(&stripe, &page(10, None)).await.unwrap()),
        vec![p2.id.clone()]
    );
    let window = PaymentFilter {
        from: Some(at(20)),
        to: Some(at(30)),
        ..Default::default()
    };
    assert_eq!(
        ids(r.payments.list(&window, &page(10, None)).await.unwrap()),
        vec![p2.id.clone()]
    );
}

pub async fn refunds_and_proofs_belong_to_stored_payments(h: &Harness) {
    let r = &h.repos;
    let a = h.account().await;
    let inv = h.invoice(&a).await;
    let p = payment(
        &a,
        &inv,
        at(1),
        PaymentMethodKind::Stripe,
        PaymentStatus::Succeeded,
        None,
    );
    r.payments.insert(&p).await.unwrap();
    let (r1, r2) = (refund(&p, at(2)), refund(&p, at(3)));
    r.payments.insert_refund(&r2).await.unwrap();
    r.payments.insert_refund(&r1).await.unwrap();
    assert!(matches!(
        r.payments.insert_refund(&r1).await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(
        r.payments.refunds_of(&p.id).await.unwrap(),
        vec![r1, r2],
        "oldest first"
    );
    let ghost = payment(
        &a,
        &InvoiceId::generate(at(4)),
        at(4),
        PaymentMethodKind::Stripe,
        PaymentStatus::Succeeded,
        None,
    );
    assert_eq!(
        r.payments.insert_refund(&refund(&ghost, at(4))).await,
        Err(RepoError::NotFound)
    );
    assert!(r.payments.refunds_of(&ghost.id).await.unwrap().is_empty());

    let proof = ProofFile {
        id: FileId::generate(at(5)),
        payment_id: p.id.clone(),
        filename: "receipt.pdf".into(),
        content_type: "application/pdf".into(),
        sha256: "00".into(),
        data: b"%PDF-1.7".to_vec(),
        created_at: at(5),
    };
    r.payments.save_proof(&proof).await.unwrap();
    assert!(matches!(
        r.payments.save_proof(&proof).await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(
        r.payments.get_proof(&proof.id).await.unwrap(),
        Some(proof.clone()),
        "with its bytes"
    );
    assert_eq!(
        r.payments
            .get_proof(&FileId::generate(at(6)))
            .await
            .unwrap(),
        None
    );
    let orphan = ProofFile {
        id: FileId::generate(at(7)),
        payment_id: ghost.id.clone(),
        ..proof
    };
    assert_eq!(
        r.payments.save_proof(&orphan).await,
        Err(RepoError::NotFound)
    );
}
