//! CreditPackageRepository and PaymentMethodConfigRepository.

use billing_domain::RepoError;
use billing_domain::entities::{AmountLimit, BankDetails, PaymentMethodKind};
use billing_domain::ports::AuditFilter;
use billing_domain::types::{CountryCode, Currency, PaymentMethodConfigId, Slug};
use rust_decimal::Decimal;

use crate::Harness;
use crate::fixtures::*;

async fn audit_count(h: &Harness) -> usize {
    h.repos
        .audit
        .list(&AuditFilter::default(), &page(100, None))
        .await
        .unwrap()
        .data
        .len()
}

pub async fn package_insert_get_update_list(h: &Harness) {
    let a = package(at(0), "starter", true);
    let b = package(at(1), "legacy", false);
    h.repos
        .packages
        .insert(&a, &audit(at(0), "credit_package.create", a.id.as_str()))
        .await
        .unwrap();
    h.repos
        .packages
        .insert(&b, &audit(at(1), "credit_package.create", b.id.as_str()))
        .await
        .unwrap();
    let got = h.repos.packages.get(&a.id).await.unwrap().unwrap();
    assert_eq!(got, a);
    assert_eq!(got.discount_percent.to_string(), "12.5");

    let mut a2 = a.clone();
    a2.slug = Slug::new("starter-2", "slug").unwrap();
    a2.discount_percent = Decimal::new(10, 0);
    a2.stripe_price_id = None;
    a2.active = false;
    a2.updated_at = at(50);
    h.repos
        .packages
        .update(&a2, &audit(at(50), "credit_package.update", a.id.as_str()))
        .await
        .unwrap();
    assert_eq!(h.repos.packages.get(&a.id).await.unwrap(), Some(a2.clone()));

    let mut b2 = b.clone();
    b2.active = true;
    h.repos
        .packages
        .update(&b2, &audit(at(51), "credit_package.update", b.id.as_str()))
        .await
        .unwrap();
    assert_eq!(
        h.repos.packages.list(false).await.unwrap(),
        vec![a2, b2.clone()]
    );
    assert_eq!(h.repos.packages.list(true).await.unwrap(), vec![b2]);
    assert_eq!(audit_count(h).await, 4);
}

pub async fn package_slug_conflict_writes_nothing(h: &Harness) {
    let a = package(at(0), "pro", true);
    h.repos
        .packages
        .insert(&a, &audit(at(0), "credit_package.create", a.id.as_str()))
        .await
        .unwrap();
    let b = package(at(1), "pro", true);
    let r = h
        .repos
        .packages
        .insert(&b, &audit(at(1), "credit_package.create", b.id.as_str()))
        .await;
    assert!(matches!(r, Err(RepoError::Conflict(_))), "{r:?}");
    assert_eq!(h.repos.packages.get(&b.id).await.unwrap(), None);

    let c = package(at(2), "team", true);
    h.repos
        .packages
        .insert(&c, &audit(at(2), "credit_package.create", c.id.as_str()))
        .await
        .unwrap();
    let mut c2 = c.clone();
    c2.slug = Slug::new("pro", "slug").unwrap();
    let r = h
        .repos
        .packages
        .update(&c2, &audit(at(3), "credit_package.update", c.id.as_str()))
        .await;
    assert!(matches!(r, Err(RepoError::Conflict(_))));
    assert_eq!(h.repos.packages.get(&c.id).await.unwrap(), Some(c));
    assert_eq!(
        audit_count(h).await,
        2,
        "failed writes leave no audit entry"
    );
}

pub async fn package_update_of_missing_is_not_found(h: &Harness) {
    let a = package(at(0), "ghost", true);
    let r = h
        .repos
        .packages
        .update(&a, &audit(at(0), "credit_package.update", a.id.as_str()))
        .await;
    assert_eq!(r, Err(RepoError::NotFound));
    assert_eq!(audit_count(h).await, 0);
}

pub async fn config_crud_with_audit(h: &Harness) {
    let mut bank = method_config(at(0));
    bank.country = Some(CountryCode::parse("KE").unwrap());
    bank.method = PaymentMethodKind::BankTransfer;
    bank.instructions = Some(text("Quote the reference.\nThanks"));
    bank.bank_details = Some(BankDetails {
        bank_name: text("Equity"),
        account_holder: text("Acme Ltd"),
        iban: None,
        account_number: Some(text("0123456789")),
        bic: Some(text("EQBLKENA")),
        routing_code: None,
        bank_address: None,
    });
    bank.currencies = vec![Currency::parse("KES").unwrap(), usd()];
    bank.amount_limits = vec![AmountLimit {
        currency: usd(),
        min: Some(500),
        max: None,
    }];
    let card = method_config(at(1));
    for c in [&bank, &card] {
        h.repos
            .payment_methods
            .insert(c, &audit(at(2), "payment_method.create", c.id.as_str()))
            .await
            .unwrap();
    }
    assert_eq!(
        h.repos.payment_methods.get(&bank.id).await.unwrap(),
        Some(bank.clone())
    );
    assert_eq!(
        h.repos.payment_methods.list().await.unwrap(),
        vec![bank.clone(), card.clone()]
    );

    let mut card2 = card.clone();
    card2.enabled = false;
    card2.sort_order = 7;
    card2.updated_at = at(10);
    h.repos
        .payment_methods
        .update(
            &card2,
            &audit(at(10), "payment_method.update", card.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(
        h.repos.payment_methods.get(&card.id).await.unwrap(),
        Some(card2)
    );

    h.repos
        .payment_methods
        .delete(
            &bank.id,
            &audit(at(11), "payment_method.delete", bank.id.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(h.repos.payment_methods.get(&bank.id).await.unwrap(), None);
    let missing = PaymentMethodConfigId::generate(at(12));
    let del = h
        .repos
        .payment_methods
        .delete(
            &missing,
            &audit(at(12), "payment_method.delete", missing.as_str()),
        )
        .await;
    assert_eq!(del, Err(RepoError::NotFound));
    let upd = h
        .repos
        .payment_methods
        .update(
            &bank,
            &audit(at(13), "payment_method.update", bank.id.as_str()),
        )
        .await;
    assert_eq!(upd, Err(RepoError::NotFound));
    assert_eq!(h.repos.payment_methods.list().await.unwrap().len(), 1);
    assert_eq!(audit_count(h).await, 4);
}
