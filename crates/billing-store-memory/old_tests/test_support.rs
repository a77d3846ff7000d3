//! Fixtures of the memory store's tests.
#![allow(clippy::unwrap_used)]

use crate::ports::PostingOutcome;
use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

use crate::entities::{
    Account, ApiKey, ApiKeyScope, AuditEntry, CreditPackage, Invoice, InvoiceStatus, LedgerKind,
    Metadata, Payment, PaymentMethodConfig, PaymentMethodKind, PaymentStatus, Refund, RefundStatus,
    Reservation, ReservationStatus,
};
use crate::ports::{NewHold, Posting, PostingMode, Repositories};
use crate::types::{
    AccountId, ApiKeyId, AuditEntryId, BoundedText, CreditPackageId, Credits, Currency, InvoiceId,
    LedgerEntryId, Money, PageRequest, PaymentId, PaymentMethodConfigId, RefundId, ReservationId,
    Slug,
};

use super::MemoryStore;

/// A fixed instant all tests start from.
pub(crate) fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
}

/// `t0` plus `ms` milliseconds: distinct times give strictly ordered ids.
pub(crate) fn at(ms: i64) -> OffsetDateTime {
    t0() + Duration::milliseconds(ms)
}

pub(crate) fn repos() -> Repositories {
    MemoryStore::new().repositories()
}

pub(crate) fn text(s: &str) -> BoundedText {
    BoundedText::new(s, "f", 500).unwrap()
}

pub(crate) fn page(limit: u32, after: Option<&str>) -> PageRequest {
    PageRequest {
        limit,
        starting_after: after.map(str::to_owned),
    }
}

pub(crate) fn account_at(when: OffsetDateTime, external_id: Option<&str>) -> Account {
    Account {
        id: AccountId::generate(when),
        name: text("Acme"),
        external_id: external_id.map(text),
        billing_profile: None,
        low_balance_threshold: None,
        stripe_customer_id: None,
        metadata: Metadata::default(),
        created_at: when,
        updated_at: when,
    }
}

/// An inserted account.
pub(crate) async fn new_account(r: &Repositories) -> AccountId {
    let a = account_at(t0(), None);
    r.accounts.insert(&a).await.unwrap();
    a.id
}

pub(crate) fn audit(when: OffsetDateTime, action: &str, target: &str) -> AuditEntry {
    AuditEntry {
        id: AuditEntryId::generate(when),
        actor: "key_admin".into(),
        action: action.into(),
        target_type: action.split('.').next().unwrap_or("x").into(),
        target_id: target.into(),
        reason: None,
        before: None,
        after: None,
        request_id: None,
        created_at: when,
    }
}

pub(crate) fn posting(
    account: &AccountId,
    amount: i64,
    source_ref: &str,
    when: OffsetDateTime,
) -> Posting {
    Posting {
        entry_id: LedgerEntryId::generate(when),
        account_id: account.clone(),
        kind: if amount > 0 {
            LedgerKind::PurchaseGrant
        } else {
            LedgerKind::UsageDebit
        },
        amount,
        mode: PostingMode::Exact,
        source_ref: source_ref.into(),
        description: "test".into(),
        metadata: serde_json::json!({}),
        actor: "system".into(),
        at: when,
        audit: None,
    }
}

pub(crate) fn new_hold(
    account: &AccountId,
    amount: i64,
    reference: &str,
    when: OffsetDateTime,
    ttl: Duration,
) -> NewHold {
    NewHold {
        reservation: Reservation {
            id: ReservationId::generate(when),
            account_id: account.clone(),
            amount,
            committed_amount: 0,
            status: ReservationStatus::Active,
            reference: reference.into(),
            metadata: serde_json::json!({}),
            expires_at: when + ttl,
            created_at: when,
            updated_at: when,
        },
        entry_id: LedgerEntryId::generate(when),
        actor: "key_service".into(),
    }
}

pub(crate) fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

pub(crate) fn package(when: OffsetDateTime, slug: &str, active: bool) -> CreditPackage {
    CreditPackage {
        id: CreditPackageId::generate(when),
        name: text("Pro"),
        slug: Slug::new(slug, "slug").unwrap(),
        description: None,
        credits: Credits::new(1000, "credits").unwrap(),
        price: Money::new(1900, usd(), "price").unwrap(),
        discount_percent: Decimal::ZERO,
        featured: false,
        active,
        sort_order: 0,
        stripe_price_id: None,
        paypal_product_id: None,
        created_at: when,
        updated_at: when,
    }
}

pub(crate) fn method_config(when: OffsetDateTime) -> PaymentMethodConfig {
    PaymentMethodConfig {
        id: PaymentMethodConfigId::generate(when),
        country: None,
        method: PaymentMethodKind::Stripe,
        display_name: text("Card"),
        enabled: true,
        sort_order: 0,
        instructions: None,
        bank_details: None,
        wallet_details: None,
        currencies: Vec::new(),
        amount_limits: Vec::new(),
        created_at: when,
        updated_at: when,
    }
}

pub(crate) fn api_key(when: OffsetDateTime, hash: &str) -> ApiKey {
    ApiKey {
        id: ApiKeyId::generate(when),
        name: text("ci"),
        scope: ApiKeyScope::Service,
        account_id: None,
        prefix: "bk_service_abc".into(),
        secret_hash: hash.into(),
        created_at: when,
        revoked_at: None,
    }
}

pub(crate) fn invoice(
    account: &AccountId,
    when: OffsetDateTime,
    status: InvoiceStatus,
    number: Option<&str>,
) -> Invoice {
    Invoice {
        id: InvoiceId::generate(when),
        account_id: account.clone(),
        number: number.map(str::to_owned),
        status,
        currency: usd(),
        lines: Vec::new(),
        subtotal: 0,
        discount: 0,
        total: 0,
        amount_paid: 0,
        amount_due: 0,
        due_at: None,
        billing_snapshot: None,
        status_reason: None,
        metadata: Metadata::default(),
        created_at: when,
        finalized_at: None,
        paid_at: None,
        updated_at: when,
    }
}

pub(crate) fn payment(
    account: &AccountId,
    when: OffsetDateTime,
    method: PaymentMethodKind,
    status: PaymentStatus,
    reference: Option<&str>,
) -> Payment {
    Payment {
        id: PaymentId::generate(when),
        account_id: account.clone(),
        invoice_id: InvoiceId::generate(when),
        method,
        status,
        currency: usd(),
        amount: 1900,
        amount_received: 0,
        amount_refunded: 0,
        reference: reference.map(str::to_owned),
        gateway_reference: None,
        gateway_payment_id: None,
        failure_reason: None,
        expires_at: None,
        next_action: None,
        confirmation: None,
        history: Vec::new(),
        created_at: when,
        updated_at: when,
    }
}

pub(crate) fn refund(p: &Payment, when: OffsetDateTime) -> Refund {
    Refund {
        id: RefundId::generate(when),
        payment_id: p.id.clone(),
        account_id: p.account_id.clone(),
        status: RefundStatus::Pending,
        currency: usd(),
        amount: 100,
        reason: "requested".into(),
        gateway_refund_id: None,
        credits_clawed_back: 0,
        credits_deficit: 0,
        actor: "key_admin".into(),
        created_at: when,
        updated_at: when,
    }
}

/// The entry and threshold flag of an applied posting; panics otherwise.
pub(super) fn applied(o: PostingOutcome) -> (crate::entities::LedgerEntry, bool) {
    match o {
        PostingOutcome::Applied {
            entry,
            low_balance_crossed,
        } => (entry, low_balance_crossed),
        other => panic!("not applied: {other:?}"),
    }
}
