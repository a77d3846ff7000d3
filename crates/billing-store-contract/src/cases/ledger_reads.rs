//! LedgerRepository reads: listing with filters and pages, and `verify`.

use billing_domain::entities::{LedgerEntry, LedgerKind};
use billing_domain::ports::LedgerFilter;
use billing_domain::types::{AccountId, LedgerEntryId};

use crate::Harness;
use crate::fixtures::*;

/// A page of the account's entries `f` selects, and whether more follow.
async fn list(
    h: &Harness,
    id: &AccountId,
    f: &LedgerFilter,
    limit: u32,
    after: Option<&LedgerEntryId>,
) -> (Vec<LedgerEntry>, bool) {
    let after = after.map(LedgerEntryId::as_str);
    let p = h
        .repos
        .ledger
        .list_entries(id, f, &page(limit, after))
        .await
        .unwrap();
    (p.data, p.has_more)
}

fn ids(entries: &[LedgerEntry]) -> Vec<LedgerEntryId> {
    entries.iter().map(|e| e.id.clone()).collect()
}

pub async fn list_entries_filters_and_pages(h: &Harness) {
    let id = h.account().await;
    let _other = funded(h, 5).await; // another account's entry, never listed here
    let mut posted = Vec::new();
    for i in 0..6_i64 {
        let amount = if i % 2 == 0 { 10 } else { -1 };
        let mut p = posting(&id, amount, &format!("s{i}"), at(100 * (i + 1)));
        p.entry_id = LedgerEntryId::generate(at(100 * (i + 1)));
        post(h, &p).await;
        posted.push(p.entry_id);
    }
    posted.reverse();
    let all = LedgerFilter::default();
    let (first, more) = list(h, &id, &all, 4, None).await;
    assert_eq!((ids(&first), more), (posted[..4].to_vec(), true));
    let (rest, more) = list(h, &id, &all, 4, Some(&posted[3])).await;
    assert_eq!((ids(&rest), more), (posted[4..].to_vec(), false));
    let debits = LedgerFilter {
        kinds: vec![LedgerKind::UsageDebit],
        ..Default::default()
    };
    let (d, _) = list(h, &id, &debits, 10, None).await;
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|e| e.kind == LedgerKind::UsageDebit));
    let both = LedgerFilter {
        kinds: vec![LedgerKind::UsageDebit, LedgerKind::PurchaseGrant],
        ..Default::default()
    };
    assert_eq!(list(h, &id, &both, 10, None).await.0.len(), 6);
    let window = LedgerFilter {
        from: Some(at(200)),
        to: Some(at(400)),
        ..Default::default()
    };
    let (w, _) = list(h, &id, &window, 10, None).await;
    assert_eq!(
        w.iter().map(|e| e.created_at).collect::<Vec<_>>(),
        vec![at(300), at(200)],
        "from inclusive, to exclusive"
    );
}

pub async fn verify_reports_no_drift_and_detects_tampering(h: &Harness) {
    let (a, b) = (funded(h, 40).await, funded(h, 7).await);
    post(h, &posting(&a, -15, "d1", at(3))).await;
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
