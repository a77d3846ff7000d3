//! LedgerRepository reads: listing with filters and pages, and `verify`.

use billing_domain::entities::LedgerKind;
use billing_domain::ports::LedgerFilter;
use billing_domain::types::LedgerEntryId;

use crate::Harness;
use crate::fixtures::*;

pub async fn list_entries_filters_and_pages(h: &Harness) {
    let id = h.account().await;
    let other = h.account().await;
    h.grant(&other, 5).await;
    let mut ids = Vec::new();
    for i in 0..6_i64 {
        let amount = if i % 2 == 0 { 10 } else { -1 };
        let mut p = posting(&id, amount, &format!("s{i}"), at(100 * (i + 1)));
        p.entry_id = LedgerEntryId::generate(at(100 * (i + 1)));
        h.repos.ledger.post(&p).await.unwrap();
        ids.push(p.entry_id);
    }
    ids.reverse();
    let all = h
        .repos
        .ledger
        .list_entries(&id, &LedgerFilter::default(), &page(4, None))
        .await
        .unwrap();
    assert_eq!(
        all.data.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        ids[..4]
    );
    assert!(all.has_more);
    let rest = h
        .repos
        .ledger
        .list_entries(
            &id,
            &LedgerFilter::default(),
            &page(4, Some(ids[3].as_str())),
        )
        .await
        .unwrap();
    assert_eq!(
        rest.data.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        ids[4..]
    );
    assert!(!rest.has_more);
    let debits = LedgerFilter {
        kinds: vec![LedgerKind::UsageDebit],
        ..Default::default()
    };
    let d = h
        .repos
        .ledger
        .list_entries(&id, &debits, &page(10, None))
        .await
        .unwrap();
    assert_eq!(d.data.len(), 3);
    assert!(d.data.iter().all(|e| e.kind == LedgerKind::UsageDebit));
    let both = LedgerFilter {
        kinds: vec![LedgerKind::UsageDebit, LedgerKind::PurchaseGrant],
        ..Default::default()
    };
    assert_eq!(
        h.repos
            .ledger
            .list_entries(&id, &both, &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        6
    );
    let window = LedgerFilter {
        from: Some(at(200)),
        to: Some(at(400)),
        ..Default::default()
    };
    let w = h
        .repos
        .ledger
        .list_entries(&id, &window, &page(10, None))
        .await
        .unwrap();
    assert_eq!(
        w.data.iter().map(|e| e.created_at).collect::<Vec<_>>(),
        vec![at(300), at(200)]
    );
}

pub async fn verify_reports_no_drift_and_detects_tampering(h: &Harness) {
    let a = h.account().await;
    let b = h.account().await;
    h.grant(&a, 40).await;
    h.grant(&b, 7).await;
    h.repos
        .ledger
        .post(&posting(&a, -15, "d1", at(3)))
        .await
        .unwrap();
    h.repos
        .ledger
        .hold(&new_hold(&a, 5, "r", at(4), time::Duration::hours(1)))
        .await
        .unwrap();
    let (drift, checked) = h.repos.ledger.verify().await.unwrap();
    assert!(drift.is_empty(), "{drift:?}");
    assert_eq!(checked, 2);
    h.tamper_balance(&b, 3);
    let (drift, _) = h.repos.ledger.verify().await.unwrap();
    assert_eq!(drift.len(), 1);
    assert_eq!(
        (
            drift[0].account_id.clone(),
            drift[0].balance,
            drift[0].entries_balance
        ),
        (b, 10, 7)
    );
    assert_eq!(
        (drift[0].held, drift[0].entries_held, drift[0].active_holds),
        (0, 0, 0)
    );
}
