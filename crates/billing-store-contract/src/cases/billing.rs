//! InvoiceRepository and PaymentRepository.

use billing_domain::RepoError;
use billing_domain::entities::{
    InvoiceLine, InvoiceLineKind, InvoiceStatus, NextAction, PaymentMethodKind, PaymentStatus,
    ProofFile, StatusChange,
};
use billing_domain::ports::{InvoiceFilter, PaymentFilter};
use billing_domain::types::{
    AccountId, CreditPackageId, FileId, InvoiceId, InvoiceLineId, PaymentId,
};

use crate::Harness;
use crate::fixtures::*;

fn line(n: i64) -> InvoiceLine {
    InvoiceLine {
        id: InvoiceLineId::generate(at(n)),
        kind: InvoiceLineKind::CreditPackage,
        description: format!("Pack {n}"),
        quantity: n,
        unit_amount: 1000,
        discount_amount: 100,
        amount: n * 1000 - 100,
        credit_package_id: Some(CreditPackageId::generate(at(n))),
        credits: Some(500),
    }
}

pub async fn invoice_insert_get_with_lines(h: &Harness) {
    let acct = h.account().await;
    let mut inv = invoice(
        &acct,
        at(1),
        InvoiceStatus::Pending,
        Some("INV-2026-000001"),
    );
    inv.lines = vec![line(2), line(1), line(3)];
    inv.subtotal = 6000;
    inv.discount = 300;
    inv.total = 5700;
    inv.amount_due = 5700;
    inv.due_at = Some(at(86_400_000));
    inv.finalized_at = Some(at(2));
    inv.status_reason = Some("n/a".into());
    h.repos.invoices.insert(&inv).await.unwrap();
    assert_eq!(
        h.repos.invoices.get(&inv.id).await.unwrap(),
        Some(inv.clone()),
        "lines keep their order"
    );
    assert_eq!(
        h.repos
            .invoices
            .get(&InvoiceId::generate(at(1)))
            .await
            .unwrap(),
        None
    );
    let stranger = invoice(
        &AccountId::generate(at(0)),
        at(3),
        InvoiceStatus::Draft,
        None,
    );
    assert_eq!(
        h.repos.invoices.insert(&stranger).await,
        Err(RepoError::NotFound),
        "unknown account"
    );
}

pub async fn invoice_list_filters_and_pages(h: &Harness) {
    let a = h.account().await;
    let b = h.account().await;
    let mut all = Vec::new();
    for (i, (acct, status)) in [
        (&a, InvoiceStatus::Draft),
        (&a, InvoiceStatus::Paid),
        (&b, InvoiceStatus::Paid),
        (&a, InvoiceStatus::Paid),
    ]
    .into_iter()
    .enumerate()
    {
        let mut inv = invoice(acct, at(i as i64 * 100), status, None);
        inv.lines = vec![line(i as i64 + 1)];
        h.repos.invoices.insert(&inv).await.unwrap();
        all.push(inv);
    }
    let ids = |v: &[billing_domain::entities::Invoice]| {
        v.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
    };
    let f = InvoiceFilter {
        account_id: Some(a.clone()),
        status: Some(InvoiceStatus::Paid),
        ..Default::default()
    };
    let p = h.repos.invoices.list(&f, &page(10, None)).await.unwrap();
    assert_eq!(ids(&p.data), vec![all[3].id.clone(), all[1].id.clone()]);
    assert_eq!(p.data[0].lines, all[3].lines);
    let p = h
        .repos
        .invoices
        .list(&InvoiceFilter::default(), &page(3, None))
        .await
        .unwrap();
    assert_eq!(
        (ids(&p.data), p.has_more),
        (
            vec![all[3].id.clone(), all[2].id.clone(), all[1].id.clone()],
            true
        )
    );
    let p = h
        .repos
        .invoices
        .list(
            &InvoiceFilter::default(),
            &page(3, Some(all[1].id.as_str())),
        )
        .await
        .unwrap();
    assert_eq!((ids(&p.data), p.has_more), (vec![all[0].id.clone()], false));
    let f = InvoiceFilter {
        from: Some(at(100)),
        to: Some(at(300)),
        ..Default::default()
    };
    assert_eq!(
        ids(&h
            .repos
            .invoices
            .list(&f, &page(10, None))
            .await
            .unwrap()
            .data),
        vec![all[2].id.clone(), all[1].id.clone()]
    );
}

pub async fn invoice_number_is_unique(h: &Harness) {
    let a = h.account().await;
    h.repos
        .invoices
        .insert(&invoice(&a, at(1), InvoiceStatus::Pending, Some("INV-1")))
        .await
        .unwrap();
    let mut dup = invoice(&a, at(2), InvoiceStatus::Pending, Some("INV-1"));
    dup.lines = vec![line(1)];
    assert!(matches!(
        h.repos.invoices.insert(&dup).await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(h.repos.invoices.get(&dup.id).await.unwrap(), None);
}

pub async fn payment_insert_get_list_filters(h: &Harness) {
    let a = h.account().await;
    let b = h.account().await;
    let inv_a = invoice(&a, at(0), InvoiceStatus::Pending, None);
    let inv_b = invoice(&b, at(0), InvoiceStatus::Pending, None);
    h.repos.invoices.insert(&inv_a).await.unwrap();
    h.repos.invoices.insert(&inv_b).await.unwrap();
    let mut p1 = payment(
        &a,
        &inv_a.id,
        at(10),
        PaymentMethodKind::Stripe,
        PaymentStatus::Processing,
        None,
    );
    p1.gateway_reference = Some("cs_1".into());
    p1.next_action = Some(NextAction::RedirectToUrl {
        url: "https://checkout.example/cs_1".into(),
    });
    p1.history = vec![StatusChange {
        status: PaymentStatus::Processing,
        at: at(10),
        actor: "stripe".into(),
        note: Some("checkout".into()),
    }];
    let mut p2 = payment(
        &a,
        &inv_a.id,
        at(20),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::AwaitingTransfer,
        Some("REF-1"),
    );
    p2.expires_at = Some(at(1_000_000));
    let p3 = payment(
        &b,
        &inv_b.id,
        at(30),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::AwaitingTransfer,
        Some("REF-2"),
    );
    for p in [&p1, &p2, &p3] {
        h.repos.payments.insert(p).await.unwrap();
    }
    assert_eq!(
        h.repos.payments.get(&p1.id).await.unwrap(),
        Some(p1.clone())
    );
    assert_eq!(
        h.repos
            .payments
            .get(&PaymentId::generate(at(0)))
            .await
            .unwrap(),
        None
    );
    let ids =
        |v: Vec<billing_domain::entities::Payment>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    let newest = h
        .repos
        .payments
        .list(&PaymentFilter::default(), &page(2, None))
        .await
        .unwrap();
    assert!(newest.has_more);
    assert_eq!(ids(newest.data), vec![p3.id.clone(), p2.id.clone()]);
    let queue = PaymentFilter {
        method: Some(PaymentMethodKind::BankTransfer),
        status: Some(PaymentStatus::AwaitingTransfer),
        oldest_first: true,
        ..Default::default()
    };
    let q1 = h.repos.payments.list(&queue, &page(1, None)).await.unwrap();
    assert_eq!((ids(q1.data), q1.has_more), (vec![p2.id.clone()], true));
    let q2 = h
        .repos
        .payments
        .list(&queue, &page(1, Some(p2.id.as_str())))
        .await
        .unwrap();
    assert_eq!((ids(q2.data), q2.has_more), (vec![p3.id.clone()], false));
    let mine = PaymentFilter {
        account_id: Some(a),
        from: Some(at(15)),
        ..Default::default()
    };
    assert_eq!(
        ids(h
            .repos
            .payments
            .list(&mine, &page(10, None))
            .await
            .unwrap()
            .data),
        vec![p2.id.clone()]
    );
    let early = PaymentFilter {
        to: Some(at(20)),
        ..Default::default()
    };
    assert_eq!(
        ids(h
            .repos
            .payments
            .list(&early, &page(10, None))
            .await
            .unwrap()
            .data),
        vec![p1.id.clone()]
    );
}

pub async fn payment_reference_lookup_and_uniqueness(h: &Harness) {
    let a = h.account().await;
    let inv = invoice(&a, at(0), InvoiceStatus::Pending, None);
    h.repos.invoices.insert(&inv).await.unwrap();
    let p = payment(
        &a,
        &inv.id,
        at(1),
        PaymentMethodKind::LocalWallet,
        PaymentStatus::AwaitingTransfer,
        Some("W-7"),
    );
    h.repos.payments.insert(&p).await.unwrap();
    assert_eq!(
        h.repos.payments.find_by_reference("W-7").await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        h.repos.payments.find_by_reference("W-8").await.unwrap(),
        None
    );
    let dup = payment(
        &a,
        &inv.id,
        at(2),
        PaymentMethodKind::LocalWallet,
        PaymentStatus::AwaitingTransfer,
        Some("W-7"),
    );
    assert!(matches!(
        h.repos.payments.insert(&dup).await,
        Err(RepoError::Conflict(_))
    ));
    let orphan = payment(
        &a,
        &InvoiceId::generate(at(3)),
        at(3),
        PaymentMethodKind::Stripe,
        PaymentStatus::Pending,
        None,
    );
    assert_eq!(
        h.repos.payments.insert(&orphan).await,
        Err(RepoError::NotFound),
        "unknown invoice"
    );
}

pub async fn refunds_insert_and_list(h: &Harness) {
    let a = h.account().await;
    let inv = invoice(&a, at(0), InvoiceStatus::Paid, None);
    h.repos.invoices.insert(&inv).await.unwrap();
    let p = payment(
        &a,
        &inv.id,
        at(1),
        PaymentMethodKind::Stripe,
        PaymentStatus::Succeeded,
        None,
    );
    h.repos.payments.insert(&p).await.unwrap();
    let r1 = refund(&p, at(10));
    let mut r2 = refund(&p, at(20));
    r2.gateway_refund_id = Some("re_123".into());
    r2.credits_clawed_back = 40;
    r2.credits_deficit = 10;
    h.repos.payments.insert_refund(&r2).await.unwrap();
    h.repos.payments.insert_refund(&r1).await.unwrap();
    assert_eq!(
        h.repos.payments.refunds_of(&p.id).await.unwrap(),
        vec![r1, r2]
    );
    assert!(
        h.repos
            .payments
            .refunds_of(&PaymentId::generate(at(0)))
            .await
            .unwrap()
            .is_empty()
    );
    let mut stray = refund(&p, at(30));
    stray.payment_id = PaymentId::generate(at(30));
    assert_eq!(
        h.repos.payments.insert_refund(&stray).await,
        Err(RepoError::NotFound)
    );
}

pub async fn proof_files_round_trip(h: &Harness) {
    let a = h.account().await;
    let inv = invoice(&a, at(0), InvoiceStatus::Pending, None);
    h.repos.invoices.insert(&inv).await.unwrap();
    let p = payment(
        &a,
        &inv.id,
        at(1),
        PaymentMethodKind::BankTransfer,
        PaymentStatus::AwaitingTransfer,
        Some("R-1"),
    );
    h.repos.payments.insert(&p).await.unwrap();
    let file = ProofFile {
        id: FileId::generate(at(2)),
        payment_id: p.id.clone(),
        filename: "receipt.pdf".into(),
        content_type: "application/pdf".into(),
        sha256: "00ff".into(),
        data: vec![0x25, 0x50, 0x44, 0x46, 0x00, 0xff],
        created_at: at(2),
    };
    h.repos.payments.save_proof(&file).await.unwrap();
    assert_eq!(
        h.repos.payments.get_proof(&file.id).await.unwrap(),
        Some(file.clone())
    );
    assert_eq!(
        h.repos
            .payments
            .get_proof(&FileId::generate(at(3)))
            .await
            .unwrap(),
        None
    );
    let stray = ProofFile {
        id: FileId::generate(at(4)),
        payment_id: PaymentId::generate(at(4)),
        ..file
    };
    assert_eq!(
        h.repos.payments.save_proof(&stray).await,
        Err(RepoError::NotFound)
    );
}
