//! PaymentFlowRepository: gapless invoice numbers, guarded invoice status updates and the
//! manual payments due for expiry (payment changes in `payment_changes`).

use std::sync::Arc;

use billing_domain::RepoError;
use billing_domain::entities::{Invoice, InvoiceStatus, PaymentMethodKind, PaymentStatus};
use billing_domain::types::AccountId;

use crate::Harness;
use crate::fixtures::*;

/// Creates `inv` with no payment, numbered under `prefix`; the number it got.
async fn create_numbered(h: &Harness, inv: &Invoice, prefix: Option<&str>) -> Option<String> {
    let (f, prefix) = (h.payment_flow(), prefix.map(str::to_owned));
    f.create_invoice(inv, prefix, None, None, None)
        .await
        .unwrap()
        .number
}

pub async fn create_invoice_assigns_gapless_numbers(h: &Harness) {
    let a = h.account().await;
    let f = h.payment_flow();
    let number = |prefix: &str, year: i32, n: u32| Some(format!("{prefix}-{year}-{n:06}"));
    let year = at(1).year();
    let first = create_numbered(h, &finalized_invoice(&a, at(1)), Some("INV")).await;
    assert_eq!(first, number("INV", year, 1));
    let transfer = |inv: &Invoice, ms| {
        use {PaymentMethodKind::BankTransfer, PaymentStatus::AwaitingTransfer};
        payment(
            &a,
            &inv.id,
            at(ms),
            BankTransfer,
            AwaitingTransfer,
            Some("REF-1"),
        )
    };
    let inv = finalized_invoice(&a, at(2));
    let p = transfer(&inv, 2);
    let second = f
        .create_invoice(
            &inv,
            Some("INV".into()),
            Some(p.clone()),
            Some(audit(at(2), "invoice.create", inv.id.as_str())),
            None,
        )
        .await
        .unwrap();
    assert_eq!(second.number, number("INV", year, 2));
    assert_eq!(h.repos.invoices.get(&inv.id).await.unwrap(), Some(second));
    assert_eq!(h.repos.payments.get(&p.id).await.unwrap(), Some(p));
    assert_eq!(audit_count(h).await, 1);
    // The year is the finalization's; another year and another prefix count on their own.
    let mut next_year = finalized_invoice(&a, at(1));
    next_year.finalized_at = Some(at(1) + time::Duration::days(400));
    assert_eq!(
        create_numbered(h, &next_year, Some("INV")).await,
        number("INV", year + 1, 1)
    );
    assert_eq!(
        create_numbered(h, &finalized_invoice(&a, at(3)), Some("CN")).await,
        number("CN", year, 1)
    );
    // A failed insert does not burn a number: an unknown account, or a taken payment reference
    // (and then the invoice is not written either).
    let orphan = finalized_invoice(&AccountId::generate(at(4)), at(4));
    assert_eq!(
        f.create_invoice(&orphan, Some("INV".into()), None, None, None)
            .await,
        Err(RepoError::NotFound)
    );
    let clashing = finalized_invoice(&a, at(4));
    let clash = Some(transfer(&clashing, 4));
    assert_conflict(
        f.create_invoice(&clashing, Some("INV".into()), clash, None, None)
            .await,
        "a taken payment reference",
    );
    assert_eq!(h.repos.invoices.get(&clashing.id).await.unwrap(), None);
    assert_eq!(
        create_numbered(h, &finalized_invoice(&a, at(5)), Some("INV")).await,
        number("INV", year, 3)
    );
    let draft = invoice(&a, at(6), InvoiceStatus::Draft, None);
    assert_eq!(
        create_numbered(h, &draft, None).await,
        None,
        "a draft has none"
    );
    assert_conflict(
        f.create_invoice(&draft, None, None, None, None).await,
        "same id",
    );
}

pub async fn concurrent_numbering_has_no_gaps(h: &Harness) {
    let a = h.account().await;
    let f = h.payment_flow();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (f, inv) = (Arc::clone(&f), finalized_invoice(&a, at(10 + i)));
            tokio::spawn(async move {
                f.create_invoice(&inv, Some("INV".into()), None, None, None)
                    .await
            })
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
    let f = h.payment_flow();
    create_numbered(h, &finalized_invoice(&a, at(0)), Some("INV")).await;
    let draft = invoice(&a, at(1), InvoiceStatus::Draft, None);
    f.create_invoice(&draft, None, None, None, None)
        .await
        .unwrap();
    let mut fin = draft.clone();
    fin.status = InvoiceStatus::Pending;
    fin.finalized_at = Some(at(5));
    fin.updated_at = at(5);
    let finalized = |ms| {
        Some(billing_domain::entities::OutboxEvent::new(
            "invoice.finalized",
            &a,
            serde_json::json!({ "invoice_id": draft.id }),
            at(ms),
        ))
    };
    let done = f
        .finalize_invoice(
            &fin,
            "INV".into(),
            Some(audit(at(5), "invoice.finalize", draft.id.as_str())),
            finalized(5),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.number.as_deref(), done.status),
        (
            Some(format!("INV-{}-000002", at(5).year()).as_str()),
            InvoiceStatus::Pending
        ),
        "the next number of the prefix"
    );
    assert_eq!(
        h.repos.invoices.get(&draft.id).await.unwrap(),
        Some(done.clone())
    );
    assert_eq!(
        f.finalize_invoice(&fin, "INV".into(), None, finalized(6))
            .await
            .unwrap(),
        None,
        "no longer a draft"
    );
    let events = h
        .repos
        .outbox
        .list(None, Some("invoice.finalized".into()), &page(10, None))
        .await
        .unwrap()
        .data;
    assert_eq!(
        events.iter().map(|e| e.created_at).collect::<Vec<_>>(),
        vec![at(5)],
        "the event of the finalization that happened, once"
    );
    let ghost = invoice(&a, at(6), InvoiceStatus::Draft, None);
    assert_eq!(
        f.finalize_invoice(&ghost, "INV".into(), None, None).await,
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
    assert!(
        !f.update_invoice_status(&void, InvoiceStatus::Pending, None)
            .await
            .unwrap(),
        "already moved on"
    );
    assert_eq!(
        f.update_invoice_status(&ghost, InvoiceStatus::Draft, None)
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(audit_count(h).await, 2);
}

pub async fn manual_payments_past_their_expiry_are_listed_oldest_first(h: &Harness) {
    let a = h.account().await;
    let inv = h.invoice(&a).await;
    let mut stored = Vec::new();
    for (i, (status, expires)) in [
        (PaymentStatus::AwaitingTransfer, Some(10)),
        (PaymentStatus::Rejected, Some(5)),
        (PaymentStatus::AwaitingTransfer, Some(5_000)),
        (PaymentStatus::PendingApproval, Some(10)),
        (PaymentStatus::AwaitingTransfer, None),
        (PaymentStatus::Succeeded, Some(10)),
    ]
    .into_iter()
    .enumerate()
    {
        let transfer = PaymentMethodKind::BankTransfer;
        let mut p = payment(&a, &inv, at(i as i64), transfer, status, None);
        p.expires_at = expires.map(at);
        h.repos.payments.insert(&p).await.unwrap();
        stored.push(p);
    }
    let due = |now, limit| {
        let f = h.payment_flow();
        async move { f.payments_due_for_expiry(at(now), limit).await.unwrap() }
    };
    assert_eq!(
        due(1_000, 10).await,
        vec![stored[0].clone(), stored[1].clone()],
        "awaiting or rejected, past their expiry, oldest first"
    );
    assert_eq!(due(1_000, 1).await, vec![stored[0].clone()]);
    assert_eq!(
        due(10, 10).await,
        vec![stored[1].clone()],
        "expires_at strictly before now"
    );
}
