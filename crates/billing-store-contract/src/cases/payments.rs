//! PaymentRepository: payments, their lookups by reference, refunds and proof files.

use billing_domain::RepoError;
use billing_domain::entities::{
    NextAction, PaymentMethodKind, PaymentStatus, ProofFile, StatusChange,
};
use billing_domain::ports::PaymentFilter;
use billing_domain::types::{FileId, InvoiceId, PaymentId};

use crate::Harness;
use crate::fixtures::*;

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

pub async fn payment_insert_get_list_filters(h: &Harness) {
    use PaymentMethodKind::{BankTransfer, Stripe};
    use PaymentStatus::{AwaitingTransfer, Processing};
    let payments = &h.repos.payments;
    let a = h.account().await;
    let b = h.account().await;
    let inv_a = h.invoice(&a).await;
    let inv_b = h.invoice(&b).await;
    let mut p1 = payment(&a, &inv_a, at(10), Stripe, Processing, None);
    p1.gateway_reference = Some("cs_1".into());
    p1.next_action = Some(NextAction::RedirectToUrl {
        url: "https://checkout.example/cs_1".into(),
    });
    p1.history = vec![StatusChange {
        status: Processing,
        at: at(10),
        actor: "stripe".into(),
        note: Some("checkout".into()),
    }];
    let mut p2 = payment(
        &a,
        &inv_a,
        at(20),
        BankTransfer,
        AwaitingTransfer,
        Some("REF-1"),
    );
    p2.expires_at = Some(at(1_000_000));
    let p3 = payment(
        &b,
        &inv_b,
        at(30),
        BankTransfer,
        AwaitingTransfer,
        Some("REF-2"),
    );
    for p in [&p1, &p2, &p3] {
        payments.insert(p).await.unwrap();
    }
    assert_eq!(payments.get(&p1.id).await.unwrap(), Some(p1.clone()));
    assert_eq!(
        payments.get(&PaymentId::generate(at(0))).await.unwrap(),
        None
    );
    let (p1, p2, p3) = (p1.id, p2.id, p3.id);
    assert_eq!(
        payment_ids(h, &PaymentFilter::default(), 2, None).await,
        (vec![p3.clone(), p2.clone()], true),
        "newest first"
    );
    let queue = PaymentFilter {
        method: Some(BankTransfer),
        status: Some(AwaitingTransfer),
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
    use PaymentMethodKind::{BankTransfer, LocalWallet, Stripe};
    use PaymentStatus::{AwaitingTransfer, Pending};
    let payments = &h.repos.payments;
    let a = h.account().await;
    let p = stored_payment(h, &a, 1, LocalWallet, AwaitingTransfer, Some("W-7")).await;
    assert_eq!(
        payments.find_by_reference("W-7").await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(payments.find_by_reference("W-8").await.unwrap(), None);
    assert_conflict(payments.insert(&p).await, "same id");
    let dup = payment(
        &a,
        &p.invoice_id,
        at(2),
        BankTransfer,
        AwaitingTransfer,
        Some("W-7"),
    );
    assert_conflict(
        payments.insert(&dup).await,
        "a reference is unique across methods",
    );
    let orphan = payment(
        &a,
        &InvoiceId::generate(at(3)),
        at(3),
        Stripe,
        Pending,
        None,
    );
    assert_eq!(
        payments.insert(&orphan).await,
        Err(RepoError::NotFound),
        "unknown invoice"
    );
}

pub async fn refunds_insert_once_and_list_oldest_first(h: &Harness) {
    let payments = &h.repos.payments;
    let a = h.account().await;
    let succeeded = PaymentStatus::Succeeded;
    let p = stored_payment(h, &a, 1, PaymentMethodKind::Stripe, succeeded, None).await;
    let r1 = refund(&p, at(10));
    let mut r2 = refund(&p, at(20));
    r2.gateway_refund_id = Some("re_123".into());
    r2.credits_clawed_back = 40;
    r2.credits_deficit = 10;
    payments.insert_refund(&r2).await.unwrap();
    payments.insert_refund(&r1).await.unwrap();
    assert_conflict(payments.insert_refund(&r1).await, "same id");
    assert_eq!(payments.refunds_of(&p.id).await.unwrap(), vec![r1, r2]);
    assert!(
        payments
            .refunds_of(&PaymentId::generate(at(0)))
            .await
            .unwrap()
            .is_empty()
    );
    let mut stray = refund(&p, at(30));
    stray.payment_id = PaymentId::generate(at(30));
    assert_eq!(
        payments.insert_refund(&stray).await,
        Err(RepoError::NotFound)
    );
}

pub async fn proof_files_round_trip_once(h: &Harness) {
    let payments = &h.repos.payments;
    let a = h.account().await;
    use {PaymentMethodKind::BankTransfer, PaymentStatus::AwaitingTransfer};
    let p = stored_payment(h, &a, 1, BankTransfer, AwaitingTransfer, Some("R-1")).await;
    let file = ProofFile {
        id: FileId::generate(at(2)),
        payment_id: p.id.clone(),
        filename: "receipt.pdf".into(),
        content_type: "application/pdf".into(),
        sha256: "00ff".into(),
        data: vec![0x25, 0x50, 0x44, 0x46, 0x00, 0xff],
        created_at: at(2),
    };
    payments.save_proof(&file).await.unwrap();
    assert_conflict(payments.save_proof(&file).await, "same id");
    assert_eq!(
        payments.get_proof(&file.id).await.unwrap(),
        Some(file.clone())
    );
    assert_eq!(
        payments.get_proof(&FileId::generate(at(3))).await.unwrap(),
        None
    );
    let stray = ProofFile {
        id: FileId::generate(at(4)),
        payment_id: PaymentId::generate(at(4)),
        ..file
    };
    assert_eq!(payments.save_proof(&stray).await, Err(RepoError::NotFound));
}
