//! InvoiceRepository: invoices with their lines, listing, unique ids and numbers (payments in
//! `payments`).

use billing_domain::RepoError;
use billing_domain::entities::{InvoiceLine, InvoiceLineKind, InvoiceStatus};
use billing_domain::ports::InvoiceFilter;
use billing_domain::types::{AccountId, CreditPackageId, InvoiceId, InvoiceLineId};

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
        subscription_id: None,
        period_start: None,
        period_end: None,
        rollover: None,
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

pub async fn invoice_insert_get_with_lines(h: &Harness) {
    let invoices = &h.repos.invoices;
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
    invoices.insert(&inv).await.unwrap();
    assert_eq!(
        invoices.get(&inv.id).await.unwrap(),
        Some(inv.clone()),
        "lines keep their order"
    );
    assert_eq!(
        invoices.get(&InvoiceId::generate(at(1))).await.unwrap(),
        None
    );
    let stranger = invoice(
        &AccountId::generate(at(0)),
        at(3),
        InvoiceStatus::Draft,
        None,
    );
    assert_eq!(
        invoices.insert(&stranger).await,
        Err(RepoError::NotFound),
        "unknown account"
    );
}

pub async fn invoice_list_filters_and_pages(h: &Harness) {
    let invoices = &h.repos.invoices;
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
        invoices.insert(&inv).await.unwrap();
        all.push(inv);
    }
    let id = |i: usize| all[i].id.clone();
    let mine_paid = InvoiceFilter {
        account_id: Some(a.clone()),
        status: Some(InvoiceStatus::Paid),
        ..Default::default()
    };
    let p = invoices.list(&mine_paid, &page(10, None)).await.unwrap();
    assert_eq!(
        p.data,
        vec![all[3].clone(), all[1].clone()],
        "with their lines"
    );
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
    let invoices = &h.repos.invoices;
    let a = h.account().await;
    let first = invoice(&a, at(1), InvoiceStatus::Pending, Some("INV-1"));
    invoices.insert(&first).await.unwrap();
    assert_conflict(invoices.insert(&first).await, "same id");
    let mut dup = invoice(&a, at(2), InvoiceStatus::Pending, Some("INV-1"));
    dup.lines = vec![line(1)];
    assert_conflict(invoices.insert(&dup).await, "same number");
    assert_eq!(invoices.get(&dup.id).await.unwrap(), None);
}

pub async fn invoice_documents_are_kept_once_per_key(h: &Harness) {
    let invoices = &h.repos.invoices;
    let a = h.account().await;
    let inv = invoice(&a, at(1), InvoiceStatus::Pending, Some("INV-7"));
    invoices.insert(&inv).await.unwrap();
    assert_eq!(
        invoices.document(&inv.id, "v1:pending:0").await.unwrap(),
        None
    );
    invoices
        .save_document(&inv.id, "v1:pending:0", b"%PDF first", at(2))
        .await
        .unwrap();
    // A second rendering under the same key (another process) leaves the first.
    invoices
        .save_document(&inv.id, "v1:pending:0", b"%PDF second", at(3))
        .await
        .unwrap();
    assert_eq!(
        invoices.document(&inv.id, "v1:pending:0").await.unwrap(),
        Some(b"%PDF first".to_vec())
    );
    assert_eq!(
        invoices.document(&inv.id, "v1:paid:1000").await.unwrap(),
        None
    );
    let missing = InvoiceId::generate(at(9));
    assert!(matches!(
        invoices
            .save_document(&missing, "v1:pending:0", b"%PDF", at(4))
            .await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        invoices.document(&missing, "v1:pending:0").await.unwrap(),
        None
    );
}
