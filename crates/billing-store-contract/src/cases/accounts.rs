//! AccountRepository.

use std::collections::BTreeMap;

use billing_domain::RepoError;
use billing_domain::entities::{Account, BillingProfile, Metadata};
use billing_domain::types::{AccountId, Address, CountryCode, Email, Page, TaxId, TaxIdKind};

use crate::Harness;
use crate::fixtures::*;

fn profile() -> BillingProfile {
    BillingProfile {
        legal_name: text("Acme GmbH"),
        billing_email: Email::parse("billing@acme.io", "e").unwrap(),
        address: Address {
            line1: text("Hauptstr. 1"),
            line2: None,
            city: text("Berlin"),
            region: None,
            postal_code: Some(text("10115")),
            country: CountryCode::parse("DE").unwrap(),
        },
        tax_id: Some(TaxId::parse(TaxIdKind::EuVat, "DE123456789").unwrap()),
        preferred_currency: Some(usd()),
    }
}

pub async fn insert_and_get_round_trip(h: &Harness) {
    let accounts = &h.repos.accounts;
    let mut a = account_at(at(0), Some("ext-1"));
    a.billing_profile = Some(profile());
    a.low_balance_threshold = Some(50);
    a.stripe_customer_id = Some("cus_1".into());
    a.metadata = Metadata(BTreeMap::from([("plan".to_owned(), "team".to_owned())]));
    accounts.insert(&a).await.unwrap();
    assert_eq!(accounts.get(&a.id).await.unwrap(), Some(a));
    assert_eq!(
        accounts.get(&AccountId::generate(at(0))).await.unwrap(),
        None
    );
}

pub async fn insert_creates_a_zero_balance(h: &Harness) {
    let id = h.account().await;
    let b = h.repos.ledger.balance(&id, at(5)).await.unwrap();
    assert_eq!((b.balance, b.held, b.available), (0, 0, 0));
    h.assert_no_drift().await;
}

async fn list(h: &Harness, limit: u32, after: Option<&Account>) -> Page<Account> {
    let after = after.map(|a| a.id.as_str());
    h.repos.accounts.list(&page(limit, after)).await.unwrap()
}

pub async fn list_pages_newest_first(h: &Harness) {
    let mut all = Vec::new();
    for i in 0..5 {
        let a = account_at(at(i * 10), None);
        h.repos.accounts.insert(&a).await.unwrap();
        all.push(a);
    }
    all.reverse();
    let p1 = list(h, 2, None).await;
    assert_eq!((p1.data, p1.has_more), (all[..2].to_vec(), true));
    let p2 = list(h, 2, Some(&all[1])).await;
    assert_eq!((p2.data, p2.has_more), (all[2..4].to_vec(), true));
    let p3 = list(h, 2, Some(&all[3])).await;
    assert_eq!((p3.data, p3.has_more), (all[4..].to_vec(), false));
    let exact = list(h, 5, None).await;
    assert_eq!(
        (exact.data.len(), exact.has_more),
        (5, false),
        "a page that takes the rest exactly has no more"
    );
}

pub async fn update_writes_fields_and_audit_atomically(h: &Harness) {
    let accounts = &h.repos.accounts;
    let a = account_at(at(0), None);
    accounts.insert(&a).await.unwrap();
    let mut changed = a.clone();
    changed.name = text("Acme Inc");
    changed.external_id = Some(text("ext-9"));
    changed.billing_profile = Some(profile());
    changed.low_balance_threshold = Some(10);
    changed.stripe_customer_id = Some("cus_1".into());
    changed.updated_at = at(100);
    changed.created_at = at(99);
    let entry = audit(at(100), "account.update", a.id.as_str());
    accounts
        .update(&changed, Some(entry.clone()))
        .await
        .unwrap();
    let stored = Account {
        created_at: a.created_at,
        ..changed.clone()
    };
    assert_eq!(
        accounts.get(&a.id).await.unwrap(),
        Some(stored),
        "every mutable field written; created_at is not mutable"
    );
    assert_eq!(audit_log(h).await, vec![entry]);
    // Keeping its own external id is no conflict, and an update need not be audited.
    accounts.update(&changed, None).await.unwrap();
    assert_eq!(audit_count(h).await, 1);

    // The threshold set through the account drives the ledger's low-balance event.
    h.grant(&a.id, 20).await;
    let (_, crossed) = applied(post(h, &posting(&a.id, -15, "debit:1", at(200))).await);
    assert!(crossed);
}

pub async fn update_of_a_missing_account_is_not_found(h: &Harness) {
    let a = account_at(at(0), None);
    let entry = audit(at(1), "account.update", a.id.as_str());
    assert_eq!(
        h.repos.accounts.update(&a, Some(entry)).await,
        Err(RepoError::NotFound)
    );
    assert!(
        audit_log(h).await.is_empty(),
        "no audit entry without the change"
    );
}

pub async fn external_id_is_unique(h: &Harness) {
    let accounts = &h.repos.accounts;
    let a = account_at(at(0), Some("same"));
    accounts.insert(&a).await.unwrap();
    let b = account_at(at(1), Some("same"));
    assert_eq!(
        accounts.insert(&b).await,
        Err(RepoError::Conflict(
            "external_id is already used by another account".into()
        ))
    );
    assert_conflict(accounts.insert(&a).await, "same id");
    assert_eq!(
        accounts.get(&b.id).await.unwrap(),
        None,
        "nothing half-written"
    );
    assert!(h.repos.ledger.balance(&b.id, at(2)).await.is_err());
    // Accounts without an external id never conflict with each other.
    for ms in [4, 5] {
        accounts.insert(&account_at(at(ms), None)).await.unwrap();
    }

    let c = account_at(at(2), Some("other"));
    accounts.insert(&c).await.unwrap();
    let mut taken = c.clone();
    taken.external_id = Some(text("same"));
    taken.name = text("nope");
    taken.updated_at = at(100_000);
    let entry = audit(at(3), "account.update", c.id.as_str());
    assert_conflict(
        accounts.update(&taken, Some(entry)).await,
        "taking another account's external id",
    );
    assert_eq!(
        accounts.get(&c.id).await.unwrap(),
        Some(c),
        "a refused update writes nothing"
    );
    assert!(audit_log(h).await.is_empty());
}

pub async fn found_by_external_id(h: &Harness) {
    let a = account_at(at(1), Some("platform-user-7"));
    let b = account_at(at(2), Some("platform-user-8"));
    let c = account_at(at(3), None);
    for x in [&a, &b, &c] {
        h.repos.accounts.insert(x).await.unwrap();
    }
    assert_eq!(
        h.repos
            .accounts
            .find_by_external_id("platform-user-7")
            .await
            .unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        h.repos
            .accounts
            .find_by_external_id("platform-user-9")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        h.repos
            .accounts
            .find_by_external_id("Platform-User-7")
            .await
            .unwrap(),
        None,
        "external ids match exactly"
    );
    let mut moved = a.clone();
    moved.external_id = Some(text("platform-user-70"));
    h.repos.accounts.update(&moved, None).await.unwrap();
    assert_eq!(
        h.repos
            .accounts
            .find_by_external_id("platform-user-7")
            .await
            .unwrap(),
        None,
        "the old id no longer finds it"
    );
    assert_eq!(
        h.repos
            .accounts
            .find_by_external_id("platform-user-70")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(a.id)
    );
}
