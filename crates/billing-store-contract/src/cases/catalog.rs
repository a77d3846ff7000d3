//! CreditPackageRepository and PaymentMethodConfigRepository.

use billing_domain::RepoError;
use billing_domain::entities::{
    AmountLimit, BankDetails, CreditPackage, PaymentMethodConfig, PaymentMethodKind,
};
use billing_domain::types::{CountryCode, Currency, PaymentMethodConfigId, Slug};
use rust_decimal::Decimal;

use crate::Harness;
use crate::fixtures::*;

async fn insert_package(h: &Harness, p: &CreditPackage, ms: i64) -> Result<(), RepoError> {
    let entry = audit(at(ms), "credit_package.create", p.id.as_str());
    h.repos.packages.insert(p, &entry).await
}

async fn update_package(h: &Harness, p: &CreditPackage, ms: i64) -> Result<(), RepoError> {
    let entry = audit(at(ms), "credit_package.update", p.id.as_str());
    h.repos.packages.update(p, &entry).await
}

pub async fn package_insert_get_update_list(h: &Harness) {
    let a = package(at(0), "starter", true);
    let b = package(at(1), "legacy", false);
    insert_package(h, &a, 0).await.unwrap();
    insert_package(h, &b, 1).await.unwrap();
    let got = h.repos.packages.get(&a.id).await.unwrap().unwrap();
    assert_eq!(got, a);
    assert_eq!(got.discount_percent.to_string(), "12.5");

    let mut a2 = a.clone();
    a2.slug = Slug::new("starter-2", "slug").unwrap();
    a2.discount_percent = Decimal::new(10, 0);
    a2.stripe_price_id = None;
    a2.active = false;
    a2.updated_at = at(50);
    update_package(h, &a2, 50).await.unwrap();
    assert_eq!(h.repos.packages.get(&a.id).await.unwrap(), Some(a2.clone()));

    let mut b2 = b.clone();
    b2.active = true;
    update_package(h, &b2, 51).await.unwrap();
    assert_eq!(
        h.repos.packages.list(false).await.unwrap(),
        vec![a2, b2.clone()]
    );
    assert_eq!(h.repos.packages.list(true).await.unwrap(), vec![b2]);
    assert_eq!(audit_count(h).await, 4);
}

pub async fn package_slug_conflict_writes_nothing(h: &Harness) {
    let a = package(at(0), "pro", true);
    insert_package(h, &a, 0).await.unwrap();
    let b = package(at(1), "pro", true);
    assert_eq!(
        insert_package(h, &b, 1).await,
        Err(RepoError::Conflict(
            billing_domain::ports::catalog::PACKAGE_SLUG_TAKEN.into()
        )),
        "same slug, the same message from every store"
    );
    assert_eq!(h.repos.packages.get(&b.id).await.unwrap(), None);

    let c = package(at(2), "team", true);
    insert_package(h, &c, 2).await.unwrap();
    let mut c2 = c.clone();
    c2.slug = Slug::new("pro", "slug").unwrap();
    assert_conflict(update_package(h, &c2, 3).await, "update to a taken slug");
    assert_eq!(h.repos.packages.get(&c.id).await.unwrap(), Some(c));
    assert_eq!(
        audit_count(h).await,
        2,
        "failed writes leave no audit entry"
    );
}

pub async fn package_update_of_missing_is_not_found(h: &Harness) {
    let a = package(at(0), "ghost", true);
    assert_eq!(update_package(h, &a, 0).await, Err(RepoError::NotFound));
    assert_eq!(audit_count(h).await, 0);
}

fn bank_config() -> PaymentMethodConfig {
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
    bank
}

pub async fn config_crud_with_audit(h: &Harness) {
    let configs = &h.repos.payment_methods;
    let (bank, card) = (bank_config(), method_config(at(1)));
    let create = |c: &PaymentMethodConfig| audit(at(2), "payment_method.create", c.id.as_str());
    for c in [&bank, &card] {
        configs.insert(c, &create(c)).await.unwrap();
    }
    assert_conflict(configs.insert(&card, &create(&card)).await, "same id");
    assert_eq!(configs.get(&bank.id).await.unwrap(), Some(bank.clone()));
    assert_eq!(
        configs.list().await.unwrap(),
        vec![bank.clone(), card.clone()]
    );

    let mut card2 = card.clone();
    card2.enabled = false;
    card2.sort_order = 7;
    card2.updated_at = at(10);
    let update =
        |ms, c: &PaymentMethodConfig| audit(at(ms), "payment_method.update", c.id.as_str());
    configs.update(&card2, &update(10, &card)).await.unwrap();
    assert_eq!(configs.get(&card.id).await.unwrap(), Some(card2.clone()));

    let delete =
        |ms, id: &PaymentMethodConfigId| audit(at(ms), "payment_method.delete", id.as_str());
    configs
        .delete(&bank.id, &delete(11, &bank.id))
        .await
        .unwrap();
    assert_eq!(configs.get(&bank.id).await.unwrap(), None);
    assert_eq!(
        configs.delete(&bank.id, &delete(12, &bank.id)).await,
        Err(RepoError::NotFound),
        "deleted twice"
    );
    let missing = PaymentMethodConfigId::generate(at(12));
    assert_eq!(
        configs.delete(&missing, &delete(12, &missing)).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        configs.update(&bank, &update(13, &bank)).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(configs.list().await.unwrap(), vec![card2]);
    assert_eq!(audit_count(h).await, 4, "only the writes that happened");
    assert_eq!(audit_count_of(h, "payment_method.delete").await, 1);
}
