//! Accounts, credit packages and payment method configs in the memory store.
#![allow(clippy::unwrap_used)]

use super::test_support::*;
use crate::error::RepoError;
use crate::ports::AuditFilter;
use crate::types::{AccountId, CreditPackageId, PaymentMethodConfigId};

#[tokio::test]
async fn accounts_insert_get_and_external_ids_are_unique() {
    let r = repos();
    let a = account_at(at(1), Some("ext-1"));
    r.accounts.insert(&a).await.unwrap();
    assert_eq!(r.accounts.get(&a.id).await.unwrap(), Some(a.clone()));
    assert!(
        matches!(r.accounts.insert(&a).await, Err(RepoError::Conflict(_))),
        "same id"
    );
    assert!(
        matches!(
            r.accounts.insert(&account_at(at(2), Some("ext-1"))).await,
            Err(RepoError::Conflict(_))
        ),
        "same external id"
    );
    r.accounts.insert(&account_at(at(3), None)).await.unwrap();
    r.accounts.insert(&account_at(at(4), None)).await.unwrap();
    assert_eq!(
        r.accounts.get(&AccountId::generate(at(5))).await.unwrap(),
        None
    );
    assert_eq!(
        r.ledger.balance(&a.id, at(5)).await.unwrap().balance,
        0,
        "balance row created"
    );
}

#[tokio::test]
async fn accounts_update_mutable_fields_with_audit() {
    let r = repos();
    let a = account_at(at(1), Some("ext-1"));
    let other = account_at(at(2), Some("ext-2"));
    r.accounts.insert(&a).await.unwrap();
    r.accounts.insert(&other).await.unwrap();

    let mut changed = a.clone();
    changed.name = text("Acme GmbH");
    changed.external_id = Some(text("ext-3"));
    changed.low_balance_threshold = Some(10);
    changed.stripe_customer_id = Some("cus_1".into());
    changed.updated_at = at(9);
    changed.created_at = at(99); // not mutable
    let entry = audit(at(9), "account.update", a.id.as_str());
    r.accounts
        .update(&changed, Some(entry.clone()))
        .await
        .unwrap();
    let stored = r.accounts.get(&a.id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        crate::entities::Account {
            created_at: a.created_at,
            ..changed.clone()
        }
    );
    assert_eq!(
        r.audit
            .list(&AuditFilter::default(), &page(10, None))
            .await
            .unwrap()
            .data,
        vec![entry]
    );
    // Keeping its own external id is fine; taking another's is not, and writes nothing.
    r.accounts.update(&changed, None).await.unwrap();
    let mut taken = changed.clone();
    taken.external_id = Some(text("ext-2"));
    taken.name = text("nope");
    assert!(matches!(
        r.accounts
            .update(&taken, Some(audit(at(10), "account.update", "x")))
            .await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(
        r.accounts.get(&a.id).await.unwrap().unwrap().name,
        text("Acme GmbH")
    );
    assert_eq!(
        r.audit
            .list(&AuditFilter::default(), &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    assert_eq!(
        r.accounts.update(&account_at(at(11), None), None).await,
        Err(RepoError::NotFound)
    );
}

#[tokio::test]
async fn accounts_list_newest_first_with_cursor() {
    let r = repos();
    let ids: Vec<_> = (0..5).map(|i| account_at(at(i), None)).collect();
    for a in &ids {
        r.accounts.insert(a).await.unwrap();
    }
    let p1 = r.accounts.list(&page(2, None)).await.unwrap();
    assert!(p1.has_more);
    assert_eq!(p1.data, vec![ids[4].clone(), ids[3].clone()]);
    let p2 = r
        .accounts
        .list(&page(2, Some(ids[3].id.as_str())))
        .await
        .unwrap();
    assert_eq!(p2.data, vec![ids[2].clone(), ids[1].clone()]);
    assert!(p2.has_more);
    let p3 = r
        .accounts
        .list(&page(2, Some(ids[1].id.as_str())))
        .await
        .unwrap();
    assert_eq!((p3.data, p3.has_more), (vec![ids[0].clone()], false));
    let exact = r.accounts.list(&page(5, None)).await.unwrap();
    assert_eq!((exact.data.len(), exact.has_more), (5, false));
}

#[tokio::test]
async fn packages_have_unique_slugs_and_audited_writes() {
    let r = repos();
    let pro = package(at(1), "pro", true);
    let old = package(at(2), "old", false);
    r.packages
        .insert(
            &pro,
            &audit(at(1), "credit_package.create", pro.id.as_str()),
        )
        .await
        .unwrap();
    r.packages
        .insert(
            &old,
            &audit(at(2), "credit_package.create", old.id.as_str()),
        )
        .await
        .unwrap();
    let dup = package(at(3), "pro", true);
    assert!(matches!(
        r.packages
            .insert(&dup, &audit(at(3), "credit_package.create", "x"))
            .await,
        Err(RepoError::Conflict(_))
    ));
    assert_eq!(
        r.packages.list(false).await.unwrap(),
        vec![pro.clone(), old.clone()]
    );
    assert_eq!(r.packages.list(true).await.unwrap(), vec![pro.clone()]);

    let mut renamed = old.clone();
    renamed.slug = crate::types::Slug::new("pro", "slug").unwrap();
    assert!(matches!(
        r.packages
            .update(&renamed, &audit(at(4), "credit_package.update", "x"))
            .await,
        Err(RepoError::Conflict(_))
    ));
    renamed.slug = crate::types::Slug::new("legacy", "slug").unwrap();
    renamed.active = true;
    r.packages
        .update(
            &renamed,
            &audit(at(5), "credit_package.update", old.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(r.packages.get(&old.id).await.unwrap(), Some(renamed));
    assert_eq!(
        r.packages
            .get(&CreditPackageId::generate(at(6)))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        r.packages
            .update(
                &package(at(7), "new", true),
                &audit(at(7), "credit_package.update", "x")
            )
            .await,
        Err(RepoError::NotFound)
    );
    // Three successful writes, three audit entries.
    assert_eq!(
        r.audit
            .list(&AuditFilter::default(), &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        3
    );
}

#[tokio::test]
async fn payment_method_configs_crud_with_audit() {
    let r = repos();
    let c1 = method_config(at(1));
    let c2 = method_config(at(2));
    r.payment_methods
        .insert(
            &c1,
            &audit(at(1), "payment_method_config.create", c1.id.as_str()),
        )
        .await
        .unwrap();
    r.payment_methods
        .insert(
            &c2,
            &audit(at(2), "payment_method_config.create", c2.id.as_str()),
        )
        .await
        .unwrap();
    assert!(matches!(
        r.payment_methods
            .insert(&c1, &audit(at(3), "payment_method_config.create", "x"))
            .await,
        Err(RepoError::Conflict(_))
    ));
    let mut off = c1.clone();
    off.enabled = false;
    r.payment_methods
        .update(
            &off,
            &audit(at(4), "payment_method_config.update", c1.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(
        r.payment_methods.get(&c1.id).await.unwrap(),
        Some(off.clone())
    );
    assert_eq!(
        r.payment_methods.list().await.unwrap(),
        vec![off, c2.clone()]
    );
    r.payment_methods
        .delete(
            &c1.id,
            &audit(at(5), "payment_method_config.delete", c1.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(r.payment_methods.list().await.unwrap(), vec![c2]);
    assert_eq!(
        r.payment_methods
            .delete(&c1.id, &audit(at(6), "payment_method_config.delete", "x"))
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        r.payment_methods
            .update(&c1, &audit(at(6), "payment_method_config.update", "x"))
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        r.payment_methods
            .get(&PaymentMethodConfigId::generate(at(7)))
            .await
            .unwrap(),
        None
    );
    let by_action = AuditFilter {
        action: Some("payment_method_config.delete".into()),
        ..AuditFilter::default()
    };
    assert_eq!(
        r.audit
            .list(&by_action, &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    assert_eq!(
        r.audit
            .list(&AuditFilter::default(), &page(10, None))
            .await
            .unwrap()
            .data
            .len(),
        4
    );
}
