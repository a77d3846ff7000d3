//! Unit tests of the use cases against mockall mocks: scope and tenancy rules, outcome
//! mapping, and that bad input never reaches the store. (The adapters have their own tests.)

#[allow(unused_imports)]
use crate::prelude::*;
use std::sync::Arc;

use time::OffsetDateTime;

use billing_domain::entities::audit::RequestContext;
use billing_domain::entities::{
    ApiKey, ApiKeyScope, CreditBalance, LedgerEntry, LedgerKind, Principal,
};
use billing_domain::error::BillingError;
use billing_domain::ports::Repositories;
use billing_domain::ports::accounts::MockAccountRepository;
use billing_domain::ports::api_keys::MockApiKeyRepository;
use billing_domain::ports::audit::MockAuditRepository;
use billing_domain::ports::billing::{MockInvoiceRepository, MockPaymentRepository};
use billing_domain::ports::catalog::{
    MockCreditPackageRepository, MockPaymentMethodConfigRepository,
};
use billing_domain::ports::idempotency::MockIdempotencyRepository;
use billing_domain::ports::ledger::MockLedgerRepository;
use billing_domain::ports::outbox::MockOutboxRepository;
use billing_domain::ports::{FixedClock, MockStoreHealth, PostingOutcome};
use billing_domain::types::{AccountId, ApiKeyId, BoundedText, LedgerEntryId};

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
}

/// Repositories whose mocks have no expectations: any unexpected call panics the test.
#[derive(Default)]
struct Mocks {
    accounts: MockAccountRepository,
    packages: MockCreditPackageRepository,
    api_keys: MockApiKeyRepository,
    ledger: MockLedgerRepository,
}

impl Mocks {
    fn services(self) -> Services {
        let repos = Repositories {
            accounts: Arc::new(self.accounts),
            packages: Arc::new(self.packages),
            payment_methods: Arc::new(MockPaymentMethodConfigRepository::new()),
            plans: Arc::new(billing_domain::ports::plans::MockPlanRepository::new()),
            subscriptions: Arc::new(
                billing_domain::ports::subscriptions::MockSubscriptionRepository::new(),
            ),
            api_keys: Arc::new(self.api_keys),
            idempotency: Arc::new(MockIdempotencyRepository::new()),
            ledger: Arc::new(self.ledger),
            invoices: Arc::new(MockInvoiceRepository::new()),
            payments: Arc::new(MockPaymentRepository::new()),
            audit: Arc::new(MockAuditRepository::new()),
            outbox: Arc::new(MockOutboxRepository::new()),
            emails: Arc::new(billing_domain::ports::emails::MockEmailRepository::new()),
            health: Arc::new(MockStoreHealth::new()),
            job_leases: Arc::new(billing_domain::ports::job_leases::MockJobLeaseRepository::new()),
            portal_sessions: Arc::new(
                billing_domain::ports::portal_sessions::MockPortalSessionRepository::new(),
            ),
            tax_rates: Arc::new(billing_domain::ports::tax_rates::MockTaxRateRepository::new()),
        };
        Services::new(
            repos,
            Arc::new(FixedClock::new(now())),
            GatewayAvailability::all(),
        )
    }
}

fn ctx(scope: ApiKeyScope, account: Option<&AccountId>) -> RequestContext {
    RequestContext {
        principal: Principal {
            key_id: Some(ApiKeyId::generate(now())),
            scope,
            account_id: account.cloned(),
            portal_session: None,
        },
        request_id: Some("req_test".into()),
    }
}

fn entry(account: &AccountId, amount: i64) -> LedgerEntry {
    LedgerEntry {
        id: LedgerEntryId::generate(now()),
        account_id: account.clone(),
        kind: LedgerKind::UsageDebit,
        amount,
        held_delta: 0,
        balance_after: 10,
        held_after: 0,
        source_ref: "debit:r1".into(),
        reservation_id: None,
        description: "op".into(),
        metadata: serde_json::json!({}),
        actor: "key".into(),
        created_at: now(),
    }
}

fn debit(credits: i64) -> billing_domain::services::credits::DebitInput {
    billing_domain::services::credits::DebitInput {
        credits: Some(credits),
        operation: Some("image.generate".into()),
        reference: Some("r1".into()),
        metadata: None,
    }
}

#[tokio::test]
async fn a_short_balance_is_402_with_the_shortfall() {
    let acct = AccountId::generate(now());
    let mut m = Mocks::default();
    m.ledger
        .expect_post()
        .times(1)
        .returning(|_| Ok(PostingOutcome::Insufficient(CreditBalance::new(7, 2))));
    let err = m
        .services()
        .credits
        .debit(&ctx(ApiKeyScope::Service, None), acct.as_str(), debit(10))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BillingError::InsufficientCredits {
            balance: 7,
            available: 5,
            requested: 10,
            shortfall: 5
        }
    );
}

#[tokio::test]
async fn a_repeated_reference_returns_the_original_or_conflicts() {
    let acct = AccountId::generate(now());
    let original = entry(&acct, -3);
    let mut m = Mocks::default();
    let o = original.clone();
    m.ledger
        .expect_post()
        .times(2)
        .returning(move |_| Ok(PostingOutcome::Duplicate(o.clone())));
    let s = m.services();
    let c = ctx(ApiKeyScope::Service, None);
    assert_eq!(
        s.credits.debit(&c, acct.as_str(), debit(3)).await.unwrap(),
        original
    );
    let err = s
        .credits
        .debit(&c, acct.as_str(), debit(4))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        BillingError::Conflict {
            code: "reference_reused",
            ..
        }
    ));
}

#[tokio::test]
async fn the_debit_posting_is_negative_exact_and_keyed_by_reference() {
    let acct = AccountId::generate(now());
    let mut m = Mocks::default();
    let a = acct.clone();
    m.ledger
        .expect_post()
        .withf(move |p| {
            p.amount == -5
                && p.source_ref == "debit:r1"
                && p.account_id == a
                && p.mode == billing_domain::ports::PostingMode::Exact
                && p.audit.is_none()
        })
        .times(1)
        .returning(|p| {
            Ok(PostingOutcome::Applied {
                entry: entry(&p.account_id, p.amount),
                low_balance_crossed: false,
            })
        });
    let e = m
        .services()
        .credits
        .debit(&ctx(ApiKeyScope::Admin, None), acct.as_str(), debit(5))
        .await
        .unwrap();
    assert_eq!(e.amount, -5);
}

#[tokio::test]
async fn account_keys_cannot_debit_and_bad_input_never_reaches_the_store() {
    let acct = AccountId::generate(now());
    let s = Mocks::default().services();
    let own = ctx(ApiKeyScope::Account, Some(&acct));
    assert!(matches!(
        s.credits.debit(&own, acct.as_str(), debit(1)).await,
        Err(BillingError::Forbidden(_))
    ));
    let svc = ctx(ApiKeyScope::Service, None);
    for (input, field) in [
        (debit(0), "credits"),
        (debit(-1), "credits"),
        (debit(i64::MAX), "credits"),
        (
            billing_domain::services::credits::DebitInput {
                operation: None,
                ..debit(1)
            },
            "operation",
        ),
        (
            billing_domain::services::credits::DebitInput {
                reference: Some("has space".into()),
                ..debit(1)
            },
            "reference",
        ),
    ] {
        match s.credits.debit(&svc, acct.as_str(), input).await {
            Err(BillingError::Validation(v)) => assert_eq!(v.field, field),
            other => panic!("expected a validation error on {field}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_account_key_sees_another_account_as_missing() {
    let mine = AccountId::generate(now());
    let other = AccountId::generate(now());
    let s = Mocks::default().services();
    let c = ctx(ApiKeyScope::Account, Some(&mine));
    assert!(matches!(
        s.accounts.get(&c, other.as_str()).await,
        Err(BillingError::NotFound { .. })
    ));
    assert!(matches!(
        s.credits.balance(&c, other.as_str()).await,
        Err(BillingError::NotFound { .. })
    ));
}

#[tokio::test]
async fn adjustments_need_a_reason_and_carry_their_audit_entry() {
    let acct = AccountId::generate(now());
    let mut m = Mocks::default();
    m.ledger
        .expect_post()
        .withf(|p| {
            p.amount == -20
                && p.kind == LedgerKind::AdminAdjustment
                && p.audit
                    .as_ref()
                    .is_some_and(|a| a.reason.as_deref() == Some("goodwill fix"))
        })
        .times(1)
        .returning(|p| {
            Ok(PostingOutcome::Applied {
                entry: entry(&p.account_id, p.amount),
                low_balance_crossed: false,
            })
        });
    let s = m.services();
    let admin = ctx(ApiKeyScope::Admin, None);
    let no_reason = billing_domain::services::credits::AdjustmentInput {
        credits: Some(-20),
        reason: None,
        reference: None,
    };
    assert!(
        matches!(s.credits.adjust(&admin, acct.as_str(), no_reason).await, Err(BillingError::Validation(v)) if v.field == "reason")
    );
    let ok = billing_domain::services::credits::AdjustmentInput {
        credits: Some(-20),
        reason: Some("goodwill fix".into()),
        reference: None,
    };
    s.credits
        .adjust(&admin, acct.as_str(), ok.clone())
        .await
        .unwrap();
    assert!(matches!(
        s.credits
            .adjust(&ctx(ApiKeyScope::Service, None), acct.as_str(), ok)
            .await,
        Err(BillingError::Forbidden(_))
    ));
}

#[tokio::test]
async fn revoked_keys_do_not_authenticate() {
    let mut m = Mocks::default();
    m.api_keys.expect_find_by_hash().returning(|_| {
        Ok(Some(ApiKey {
            id: ApiKeyId::generate(now()),
            name: BoundedText::new("k", "name", 10).unwrap(),
            scope: ApiKeyScope::Admin,
            account_id: None,
            prefix: "bk_admin_x".into(),
            secret_hash: "h".into(),
            created_at: now(),
            revoked_at: Some(now()),
        }))
    });
    let err = m
        .services()
        .api_keys
        .authenticate("bk_admin_whatever")
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::Unauthenticated(_)));
}

#[tokio::test]
async fn packages_validate_before_writing_and_audit_the_create() {
    let mut m = Mocks::default();
    m.packages
        .expect_insert()
        .withf(|p, a| {
            a.action == "credit_package.create"
                && a.target_id == p.id.as_str()
                && p.net_of(p.prices.first()).amount == 2610
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let s = m.services();
    let admin = ctx(ApiKeyScope::Admin, None);
    let input = credit_packages::CreditPackageInput {
        name: Some("Pro".into()),
        slug: Some("pro".into()),
        credits: Some(2000),
        prices: Some(vec![billing_domain::types::PriceInput {
            amount: Some(2900),
            currency: Some("usd".into()),
        }]),
        discount_percent: Some(serde_json::json!(10)),
        ..Default::default()
    };
    let bad = credit_packages::CreditPackageInput {
        discount_percent: Some(serde_json::json!(101)),
        ..input.clone()
    };
    assert!(
        matches!(s.packages.create(&admin, bad).await, Err(BillingError::Validation(v)) if v.field == "discount_percent")
    );
    let float = credit_packages::CreditPackageInput {
        discount_percent: Some(serde_json::json!(12.5)),
        ..input.clone()
    };
    assert!(
        matches!(s.packages.create(&admin, float).await, Err(BillingError::Validation(v)) if v.field == "discount_percent")
    );
    let p = s.packages.create(&admin, input.clone()).await.unwrap();
    assert_eq!(p.prices.first().currency.code(), "USD");
    assert!(matches!(
        s.packages
            .create(&ctx(ApiKeyScope::Service, None), input)
            .await,
        Err(BillingError::Forbidden(_))
    ));
}

fn live_key(scope: ApiKeyScope) -> ApiKey {
    ApiKey {
        id: ApiKeyId::generate(now()),
        name: BoundedText::new("k", "name", 10).unwrap(),
        scope,
        account_id: None,
        prefix: "bk_service_x".into(),
        secret_hash: "h".into(),
        created_at: now(),
        revoked_at: None,
    }
}

#[tokio::test]
async fn authentication_is_cached_and_revocation_clears_the_cache() {
    let key = live_key(ApiKeyScope::Service);
    let mut m = Mocks::default();
    let k = key.clone();
    // Two store look-ups in all: the first authentication, and the one after revocation.
    m.api_keys
        .expect_find_by_hash()
        .times(2)
        .returning(move |_| Ok(Some(k.clone())));
    let k = key.clone();
    m.api_keys
        .expect_get()
        .times(1)
        .returning(move |_| Ok(Some(k.clone())));
    let k = key.clone();
    m.api_keys
        .expect_revoke()
        .times(1)
        .returning(move |_, at, _| {
            Ok(ApiKey {
                revoked_at: Some(at),
                ..k.clone()
            })
        });
    let s = m.services();
    for _ in 0..3 {
        assert_eq!(
            s.api_keys
                .authenticate("bk_service_secret")
                .await
                .unwrap()
                .key_id,
            Some(key.id.clone())
        );
    }
    s.api_keys
        .revoke(&ctx(ApiKeyScope::Admin, None), key.id.as_str())
        .await
        .unwrap();
    s.api_keys.authenticate("bk_service_secret").await.unwrap();
}
