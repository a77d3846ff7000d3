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

/// The ids on a page of the invoices `f` selects, and whether more follow.
async fn invoice_ids(
    h: &Harness,
    f: &InvoiceFilter,
    limit: u32,
    after: Option<&InvoiceId>,
) -> (Vec<InvoiceId>, bool) {
    let p = h
        .repos
        .invoices
        .list(f, &page(limit, after.map(InvoiceId::as_str)))
        .await
        .unwrap();
    (p.data.into_iter().map(|i| i.id).collect(), p.has_more)
}

/// The ids on a page of the payments `f` selects, and whether more follow.
async fn payment_ids(
    h: &Harness,
    f: &PaymentFilter,
    limit: u32,
    after: Option<&PaymentId>,
) -> (Vec<PaymentId>, bool) {
    let p = h
        .repos
        .payments
        .list(f, &page(limit, after.map(PaymentId::as_str)))
        .await
        .unwrap();
    (p.data.into_iter().map(|p| p.id).collect(), p.has_more)
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
    let id = |i: usize| all[i].id.clone();
    let mine_paid = InvoiceFilter {
        account_id: Some(a.clone()),
        status: Some(InvoiceStatus::Paid),
        ..Default::default()
    };
    let p = h
        .repos
        .invoices
        .list(&mine_paid, &page(10, None))
        .await
        .unwrap();
    assert_eq!(p.data, vec![all[3].clone(), all[1].clone()], "with their lines");
    let mine = InvoiceFilter {
        account_id: Some(a.clone()),
        ..Default::default()
    };
    assert_eq!(
        invoice_ids(h, &mine, 10, None).await,
        (vec![id(3), id(1), id(0)], false)
    );
    let paid = InvoiceFilter {
        status: Some(InvoiceStatus::Paid),
        ..Default::default()
    };
    assert_eq!(
        invoice_ids(h, &paid, 10, None).await,
        (vec![id(3), id(2), id(1)], false)
    );
    let everything = InvoiceFilter::default();
    assert_eq!(
        invoice_ids(h, &everything, 3, None).await,
        (vec![id(3), id(2), id(1)], true)
    );
    assert_eq!(
        invoice_ids(h, &everything, 3, Some(&all[1].id)).await,
        (vec![id(0)], false)
    );
    let window = InvoiceFilter {
        from: Some(at(100)),
        to: Some(at(300)),
        ..Default::default()
    };
    assert_eq!(
        invoice_ids(h, &window, 10, None).await,
        (vec![id(2), id(1)], false),
        "from inclusive, to exclusive"
    );
}

pub async fn invoice_ids_and_numbers_are_unique(h: &Harness) {
    let a = h.account().await;
    let first = invoice(&a, at(1), InvoiceStatus::Pending, Some("INV-1"));
    h.repos.invoices.insert(&first).await.unwrap();
    assert!(
        matches!(
            h.repos.invoices.insert(&first).await,
            Err(RepoError::Conflict(_))
        ),
        "same id"
    );
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
    let inv_a = h.invoice(&a).await;
    let inv_b = h.invoice(&b).await;
    let mut p1 = payment(
        &a,
        &inv_a,
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
    let transfer = PaymentMethodKind::BankTransfer;
    let mut p2 = payment(&a, &inv_a, at(20), transfer, PaymentStatus::AwaitingTransfer, Some("REF-1"));
    p2.expires_at = Some(at(1_000_000));
    let p3 = payment(&b, &inv_b, at(30), transfer, PaymentStatus::AwaitingTransfer, Some("REF-2"));
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
    let (p1, p2, p3) = (p1.id, p2.id, p3.id);
    assert_eq!(
        payment_ids(h, &PaymentFilter::default(), 2, None).await,
        (vec![p3.clone(), p2.clone()], true),
        "newest first"
    );
    let queue = PaymentFilter {
        method: Some(transfer),
        status: Some(PaymentStatus::AwaitingTransfer),
        oldest_first: true,
        ..Default::default()
    };
    assert_eq!(
        payment_ids(h, &queue, 1, None).await,
        (vec![p2.clone()], true)
    );
    assert_eq!(
        payment_ids(h, &queue, 1, Some(&p2)).await,
        (vec![p3.clone()], false)
    );
    let mine = PaymentFilter {
        account_id: Some(a),
        from: Some(at(20)),
        ..Default::default()
    };
    assert_eq!(
        payment_ids(h, &mine, 10, None).await,
        (vec![p2], false),
        "from is inclusive"
    );
    let early = PaymentFilter {
        to: Some(at(20)),
        ..Default::default()
    };
    assert_eq!(
        payment_ids(h, &early, 10, None).await,
        (vec![p1], false),
        "to is exclusive"
    );
}

pub async fn payment_ids_and_references_are_unique(h: &Harness) {
    let a = h.account().await;
    let wallet = PaymentMethodKind::LocalWallet;
    let p = stored_payment(h, &a, 1, wallet, PaymentStatus::AwaitingTransfer, Some("W-7")).await;
    assert_eq!(
        h.repos.payments.find_by_reference("W-7").await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        h.repos.payments.find_by_reference("W-8").await.unwrap(),
        None
    );
    assert!(
        matches!(
            h.repos.payments.insert(&p).await,
            Err(RepoError::Conflict(_))
        ),
        "same id"
    );
    let transfer = PaymentMethodKind::BankTransfer;
    let dup = payment(&a, &p.invoice_id, at(2), transfer, PaymentStatus::AwaitingTransfer, Some("W-7"));
    assert!(
        matches!(
            h.repos.payments.insert(&dup).await,
            Err(RepoError::Conflict(_))
        ),
        "a reference is unique across methods"
    );
    let stripe = PaymentMethodKind::Stripe;
    let orphan = payment(&a, &InvoiceId::generate(at(3)), at(3), stripe, PaymentStatus::Pending, None);
    assert_eq!(
        h.repos.payments.insert(&orphan).await,
        Err(RepoError::NotFound),
        "unknown invoice"
    );
}

pub async fn refunds_insert_once_and_list_oldest_first(h: &Harness) {
    let a = h.account().await;
    let (stripe, succeeded) = (PaymentMethodKind::Stripe, PaymentStatus::Succeeded);
    let p = stored_payment(h, &a, 1, stripe, succeeded, None).await;
    let r1 = refund(&p, at(10));
    let mut r2 = refund(&p, at(20));
    r2.gateway_refund_id = Some("re_123".into());
    r2.credits_clawed_back = 40;
    r2.credits_deficit = 10;
    h.repos.payments.insert_refund(&r2).await.unwrap();
    h.repos.payments.insert_refund(&r1).await.unwrap();
    assert!(
        matches!(
            h.repos.payments.insert_refund(&r1).await,
            Err(RepoError::Conflict(_))
        ),
        "same id"
    );
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

pub async fn proof_files_round_trip_once(h: &Harness) {
    let a = h.account().await;
    let (transfer, awaiting) = (PaymentMethodKind::BankTransfer, PaymentStatus::AwaitingTransfer);
    let p = stored_payment(h, &a, 1, transfer, awaiting, Some("R-1")).await;
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
    assert!(
        matches!(
            h.repos.payments.save_proof(&file).await,
            Err(RepoError::Conflict(_))
        ),
        "same id"
    );
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
