//! AccountRepository.

use std::collections::BTreeMap;

use billing_domain::RepoError;
use billing_domain::entities::{BillingProfile, Metadata};
use billing_domain::ports::AuditFilter;
use billing_domain::types::{AccountId, Address, CountryCode, Email, TaxId, TaxIdKind};
use time::OffsetDateTime;

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
    let mut a = account_at(at(0), Some("ext-1"));
    a.billing_profile = Some(profile());
    a.low_balance_threshold = Some(50);
    a.stripe_customer_id = Some("cus_1".into());
    a.metadata = Metadata(BTreeMap::from([("plan".to_owned(), "team".to_owned())]));
    h.repos.accounts.insert(&a).await.unwrap();
    assert_eq!(h.repos.accounts.get(&a.id).await.unwrap(), Some(a));
    assert_eq!(
        h.repos
            .accounts
            .get(&AccountId::generate(at(0)))
            .await
            .unwrap(),
        None
    );
}

pub async fn insert_creates_a_zero_balance(h: &Harness) {
    let id = h.account().await;
    let b = h.repos.ledger.balance(&id, at(5)).await.unwrap();
    assert_eq!((b.balance, b.held, b.available), (0, 0, 0));
    h.assert_no_drift().await;
}

pub async fn list_pages_newest_first(h: &Harness) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let a = account_at(at(i * 10), None);
        h.repos.accounts.insert(&a).await.unwrap();
        ids.push(a.id);
    }
    ids.reverse();
    let p1 = h.repos.accounts.list(&page(2, None)).await.unwrap();
    assert!(p1.has_more);
    assert_eq!(
        p1.data.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        ids[..2]
    );
    let p2 = h
        .repos
        .accounts
        .list(&page(2, Some(ids[1].as_str())))
        .await
        .unwrap();
    assert_eq!(
        p2.data.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        ids[2..4]
    );
    assert!(p2.has_more);
    let p3 = h
        .repos
        .accounts
        .list(&page(2, Some(ids[3].as_str())))
        .await
        .unwrap();
    assert_eq!(p3.data.len(), 1);
    assert!(!p3.has_more);
}

pub async fn update_writes_fields_and_audit_atomically(h: &Harness) {
    let mut a = account_at(at(0), None);
    h.repos.accounts.insert(&a).await.unwrap();
    a.name = text("Acme Inc");
    a.external_id = Some(text("ext-9"));
    a.billing_profile = Some(profile());
    a.low_balance_threshold = Some(10);
    a.updated_at = at(100);
    let entry = audit(at(100), "account.update", a.id.as_str());
    h.repos
        .accounts
        .update(&a, Some(entry.clone()))
        .await
        .unwrap();
    assert_eq!(h.repos.accounts.get(&a.id).await.unwrap(), Some(a.clone()));
    let log = h
        .repos
        .audit
        .list(&AuditFilter::default(), &page(10, None))
        .await
        .unwrap();
    assert_eq!(log.data, vec![entry]);

    // The threshold set through the account drives the ledger's low-balance event.
    h.grant(&a.id, 20).await;
    let out = h
        .repos
        .ledger
        .post(&posting(&a.id, -15, "debit:1", at(200)))
        .await
        .unwrap();
    assert!(matches!(
        out,
        billing_domain::ports::PostingOutcome::Applied {
            low_balance_crossed: true,
            ..
        }
    ));
}

pub async fn update_of_a_missing_account_is_not_found(h: &Harness) {
    let a = account_at(at(0), None);
    let entry = audit(at(1), "account.update", a.id.as_str());
    assert_eq!(
        h.repos.accounts.update(&a, Some(entry)).await,
        Err(RepoError::NotFound)
    );
    let log = h
        .repos
        .audit
        .list(&AuditFilter::default(), &page(10, None))
        .await
        .unwrap();
    assert!(log.data.is_empty(), "no audit entry without the change");
}

pub async fn external_id_is_unique(h: &Harness) {
    let a = account_at(at(0), Some("same"));
    h.repos.accounts.insert(&a).await.unwrap();
    let b = account_at(at(1), Some("same"));
    assert_eq!(
        h.repos.accounts.insert(&b).await,
        Err(RepoError::Conflict(
            "external_id is already used by another account".into()
        ))
    );
    assert!(
        matches!(
            h.repos.accounts.insert(&a).await,
            Err(RepoError::Conflict(_))
        ),
        "same id"
    );
    assert_eq!(
        h.repos.accounts.get(&b.id).await.unwrap(),
        None,
        "nothing half-written"
    );
    assert!(h.repos.ledger.balance(&b.id, at(2)).await.is_err());

    let mut c = account_at(at(2), Some("other"));
    h.repos.accounts.insert(&c).await.unwrap();
    c.external_id = Some(text("same"));
    c.updated_at = OffsetDateTime::from_unix_timestamp(1_790_000_100).unwrap();
    let entry = audit(at(3), "account.update", c.id.as_str());
    assert!(matches!(
        h.repos.accounts.update(&c, Some(entry)).await,
        Err(RepoError::Conflict(_))
    ));
    let log = h
        .repos
        .audit
        .list(&AuditFilter::default(), &page(10, None))
        .await
        .unwrap();
    assert!(log.data.is_empty());
}
