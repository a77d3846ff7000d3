//! Fixtures of the contract suite: a fixed clock, entities built the same way for every store,
//! and the few setup steps and reads many cases share.

use billing_domain::RepoError;
use billing_domain::entities::{
    Account, ApiKey, ApiKeyScope, AuditEntry, CreditPackage, Invoice, InvoiceStatus, LedgerEntry,
    LedgerKind, Metadata, OutboxEvent, Payment, PaymentMethodConfig, PaymentMethodKind,
    PaymentStatus, Refund, RefundStatus, Reservation, ReservationStatus,
};
use billing_domain::ports::{
    AuditFilter, LedgerFilter, NewHold, Posting, PostingMode, PostingOutcome,
};
use billing_domain::types::{
    AccountId, ApiKeyId, AuditEntryId, BoundedText, CreditPackageId, Credits, Currency, InvoiceId,
    LedgerEntryId, Money, PageRequest, PaymentId, PaymentMethodConfigId, RefundId, ReservationId,
    Slug,
};
use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

use crate::Harness;

/// A fixed instant all tests start from.
pub fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
}

/// `t0` plus `ms` milliseconds.
pub fn at(ms: i64) -> OffsetDateTime {
    t0() + Duration::milliseconds(ms)
}

pub fn text(s: &str) -> BoundedText {
    BoundedText::new(s, "f", 500).unwrap()
}

pub fn page(limit: u32, after: Option<&str>) -> PageRequest {
    PageRequest {
        limit,
        starting_after: after.map(str::to_owned),
    }
}

pub fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

pub fn account_at(when: OffsetDateTime, external_id: Option<&str>) -> Account {
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

pub fn audit(when: OffsetDateTime, action: &str, target: &str) -> AuditEntry {
    AuditEntry {
        id: AuditEntryId::generate(when),
        actor: "key_admin".into(),
        action: action.into(),
        target_type: action.split('.').next().unwrap_or("x").into(),
        target_id: target.into(),
        reason: Some("because".into()),
        before: None,
        after: Some(serde_json::json!({"k": 1})),
        request_id: Some("req_1".into()),
        created_at: when,
    }
}

pub fn posting(
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
        metadata: serde_json::json!({"operation": "test"}),
        actor: "system".into(),
        at: when,
        audit: None,
        lot: Default::default(),
    }
}

pub fn new_hold(
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
            metadata: serde_json::json!({"job": reference}),
            expires_at: when + ttl,
            created_at: when,
            updated_at: when,
        },
        entry_id: LedgerEntryId::generate(when),
        actor: "key_service".into(),
    }
}

pub fn package(when: OffsetDateTime, slug: &str, active: bool) -> CreditPackage {
    CreditPackage {
        id: CreditPackageId::generate(when),
        name: text("Pro"),
        slug: Slug::new(slug, "slug").unwrap(),
        description: Some(text("For teams")),
        credits: Credits::new(1000, "credits").unwrap(),
        prices: billing_domain::types::PriceList::new(vec![
            Money::new(1900, usd(), "price").unwrap(),
            Money::new(2_900_000, Currency::parse("NGN").unwrap(), "price").unwrap(),
        ])
        .unwrap(),
        discount_percent: Decimal::new(125, 1),
        featured: true,
        active,
        sort_order: 3,
        stripe_price_id: Some("price_123".into()),
        paypal_product_id: None,
        created_at: when,
        updated_at: when,
    }
}

pub fn method_config(when: OffsetDateTime) -> PaymentMethodConfig {
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

pub fn api_key(when: OffsetDateTime, hash: &str) -> ApiKey {
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

pub fn invoice(
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
        billing_reason: billing_domain::entities::InvoiceReason::Manual,
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

pub fn payment(
    account: &AccountId,
    invoice: &InvoiceId,
    when: OffsetDateTime,
    method: PaymentMethodKind,
    status: PaymentStatus,
    reference: Option<&str>,
) -> Payment {
    Payment {
        id: PaymentId::generate(when),
        account_id: account.clone(),
        invoice_id: invoice.clone(),
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

pub fn refund(p: &Payment, when: OffsetDateTime) -> Refund {
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

/// An invoice as finalized at `when`: pending, its total of 1900 due.
pub fn finalized_invoice(account: &AccountId, when: OffsetDateTime) -> Invoice {
    let mut inv = invoice(account, when, InvoiceStatus::Pending, None);
    inv.finalized_at = Some(when);
    inv.total = 1900;
    inv.subtotal = 1900;
    inv.amount_due = 1900;
    inv
}

/// The entry and threshold flag of an applied posting; panics otherwise.
pub fn applied(o: PostingOutcome) -> (LedgerEntry, bool) {
    match o {
        PostingOutcome::Applied {
            entry,
            low_balance_crossed,
        } => (entry, low_balance_crossed),
        other => panic!("not applied: {other:?}"),
    }
}

/// Asserts `r` is refused as a conflict: `what` (a unique key) is taken.
#[track_caller]
pub fn assert_conflict<T: std::fmt::Debug>(r: Result<T, RepoError>, what: &str) {
    assert!(matches!(r, Err(RepoError::Conflict(_))), "{what}: {r:?}");
}

/// An inserted account holding `credits` (one purchase grant).
pub async fn funded(h: &Harness, credits: i64) -> AccountId {
    let id = h.account().await;
    h.grant(&id, credits).await;
    id
}

/// Sets the account's low-balance threshold; the account must exist.
pub async fn set_threshold(h: &Harness, account: &AccountId, threshold: Option<i64>) {
    h.repos
        .ledger
        .set_low_balance_threshold(account, threshold)
        .await
        .unwrap();
}

/// Posts `p`; the store must not fail.
pub async fn post(h: &Harness, p: &Posting) -> PostingOutcome {
    h.repos.ledger.post(p).await.unwrap()
}

/// A payment of `account` created at `ms`, stored on a pending invoice of its own.
pub async fn stored_payment(
    h: &Harness,
    account: &AccountId,
    ms: i64,
    method: PaymentMethodKind,
    status: PaymentStatus,
    reference: Option<&str>,
) -> Payment {
    let inv = invoice(account, at(ms), InvoiceStatus::Pending, None);
    h.repos.invoices.insert(&inv).await.unwrap();
    let p = payment(account, &inv.id, at(ms), method, status, reference);
    h.repos.payments.insert(&p).await.unwrap();
    p
}

/// The audit log, newest first (its first 100 entries).
pub async fn audit_log(h: &Harness) -> Vec<AuditEntry> {
    audit_where(h, AuditFilter::default()).await
}

/// The audit entries `filter` selects, newest first (the first 100).
pub async fn audit_where(h: &Harness, filter: AuditFilter) -> Vec<AuditEntry> {
    h.repos
        .audit
        .list(&filter, &page(100, None))
        .await
        .unwrap()
        .data
}

/// How many audit entries there are (up to 100).
pub async fn audit_count(h: &Harness) -> usize {
    audit_log(h).await.len()
}

/// How many audit entries record `action` (up to 100).
pub async fn audit_count_of(h: &Harness, action: &str) -> usize {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..AuditFilter::default()
    };
    audit_where(h, filter).await.len()
}

/// How many ledger entries of `kind` the account has (up to 100).
pub async fn entries_of_kind(h: &Harness, account: &AccountId, kind: LedgerKind) -> usize {
    let filter = LedgerFilter {
        kinds: vec![kind],
        ..LedgerFilter::default()
    };
    h.repos
        .ledger
        .list_entries(account, &filter, &page(100, None))
        .await
        .unwrap()
        .data
        .len()
}

/// The account's `credits.low_balance` events in the outbox, newest first.
pub async fn low_balance_events(h: &Harness, account: &AccountId) -> Vec<OutboxEvent> {
    h.repos
        .outbox
        .list(
            Some(account.clone()),
            Some("credits.low_balance".into()),
            &page(100, None),
        )
        .await
        .unwrap()
        .data
}
