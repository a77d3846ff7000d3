//! # billing-store-memory
//!
//! The in-memory storage adapter: in-process implementations of every repository port of
//! `billing-domain`.
//!
//! One [`MemoryStore`] holds all state behind a single `Arc<Mutex<…>>`, so every port call is
//! atomic exactly like one database transaction of the Diesel store: a posting and its outbox
//! event, a write and its audit entry, all happen under the same lock or not at all.
//! Every method validates first and mutates last, so a refused call writes nothing.
//!
//! Meant for tests (ours and those of crates and services that embed the domain) and for
//! embedding without a database. State lives as long as the store and is never persisted.
//!
//! [`MemoryStore::repositories`] hands out every port of [`Repositories`];
//! [`MemoryStore::payment_flow`] the transactional payment-flow port, on the same state.

mod accounts;
mod api_keys;
mod audit;
mod billing;
mod catalog;
mod drift;
mod emails;
mod idempotency;
mod job_leases;
mod ledger;
mod lots;
mod outbox;
mod payment_change;
mod payment_flow;
mod plans;
mod portal_sessions;
mod reservations;
mod state;
mod subscriptions;
mod tax_rates;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use billing_domain::error::RepoError;
use billing_domain::ports::{
    PaymentFlowRepository, Repositories, StoreHealth, WebhookEventRepository,
};

use state::State;

/// An in-memory store implementing every repository port.
///
/// Cloning a `MemoryStore` shares its state; so do all the [`Repositories`] it hands out.
///
/// ```
/// use billing_domain::entities::{Account, LedgerKind};
/// use billing_store_memory::MemoryStore;
/// use billing_domain::ports::{Posting, PostingMode, PostingOutcome};
/// use billing_domain::types::{AccountId, BoundedText, LedgerEntryId};
/// use billing_domain::entities::Metadata;
/// use time::OffsetDateTime;
///
/// let repos = MemoryStore::new().repositories();
/// let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
/// let account = Account {
///     id: AccountId::generate(now),
///     name: BoundedText::new("Acme", "name", 100).unwrap(),
///     external_id: None,
///     billing_profile: None,
///     low_balance_threshold: None,
///     stripe_customer_id: None,
///     metadata: Metadata::default(),
///     created_at: now,
///     updated_at: now,
/// };
/// let posting = |amount: i64, source_ref: &str, kind: LedgerKind| Posting {
///     entry_id: LedgerEntryId::generate(now),
///     account_id: account.id.clone(),
///     kind,
///     amount,
///     mode: PostingMode::Exact,
///     source_ref: source_ref.to_owned(),
///     description: "example".to_owned(),
///     metadata: serde_json::json!({}),
///     actor: "system".to_owned(),
///     at: now,
///     audit: None,
///     lot: Default::default(),
/// };
///
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// rt.block_on(async {
///     repos.accounts.insert(&account).await.unwrap();
///     // A purchase grants 100 credits…
///     let grant = repos.ledger.post(&posting(100, "payment:pay_1", LedgerKind::PurchaseGrant)).await.unwrap();
///     assert!(matches!(grant, PostingOutcome::Applied { .. }));
///     // …and usage spends 30 of them.
///     let debit = repos.ledger.post(&posting(-30, "debit:op_1", LedgerKind::UsageDebit)).await.unwrap();
///     let PostingOutcome::Applied { entry, .. } = debit else { panic!("not applied") };
///     assert_eq!(entry.balance_after, 70);
///     // The same debit again is recognised, not charged twice.
///     let again = repos.ledger.post(&posting(-30, "debit:op_1", LedgerKind::UsageDebit)).await.unwrap();
///     assert!(matches!(again, PostingOutcome::Duplicate(_)));
///     assert_eq!(repos.ledger.balance(&account.id, now).await.unwrap().available, 70);
///     // Spending more than is available writes nothing.
///     let short = repos.ledger.post(&posting(-500, "debit:op_2", LedgerKind::UsageDebit)).await.unwrap();
///     assert!(matches!(short, PostingOutcome::Insufficient(b) if b.balance == 70));
/// });
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    shared: Shared,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every port, as trait objects sharing this store's state.
    pub fn repositories(&self) -> Repositories {
        let s = &self.shared;
        Repositories {
            accounts: Arc::new(accounts::MemoryAccounts(s.clone())),
            packages: Arc::new(catalog::MemoryCreditPackages(s.clone())),
            payment_methods: Arc::new(catalog::MemoryPaymentMethodConfigs(s.clone())),
            plans: Arc::new(plans::MemoryPlans(s.clone())),
            subscriptions: Arc::new(subscriptions::MemorySubscriptions(s.clone())),
            api_keys: Arc::new(api_keys::MemoryApiKeys(s.clone())),
            idempotency: Arc::new(idempotency::MemoryIdempotency(s.clone())),
            ledger: Arc::new(ledger::MemoryLedger(s.clone())),
            invoices: Arc::new(billing::MemoryInvoices(s.clone())),
            payments: Arc::new(billing::MemoryPayments(s.clone())),
            audit: Arc::new(audit::MemoryAudit(s.clone())),
            outbox: Arc::new(outbox::MemoryOutbox(s.clone())),
            emails: Arc::new(emails::MemoryEmails(s.clone())),
            health: Arc::new(MemoryHealth),
            job_leases: Arc::new(job_leases::MemoryJobLeases(s.clone())),
            portal_sessions: Arc::new(portal_sessions::MemoryPortalSessions(s.clone())),
            tax_rates: Arc::new(tax_rates::MemoryTaxRates(s.clone())),
        }
    }

    /// The transactional payment-flow port (not part of [`Repositories`]), on the same state.
    pub fn payment_flow(&self) -> Arc<dyn PaymentFlowRepository> {
        Arc::new(payment_flow::MemoryPaymentFlow(self.shared.clone()))
    }

    /// The gateway webhook event port (not part of [`Repositories`]), on the same state.
    pub fn webhook_events(&self) -> Arc<dyn WebhookEventRepository> {
        Arc::new(webhooks::MemoryWebhookEvents(self.shared.clone()))
    }

    /// Test hook (feature `testing`): adds `delta` to an account's cached balance without an
    /// entry, so `verify` has drift to find — what a bad write to a database would do.
    #[cfg(feature = "testing")]
    pub fn tamper_balance(&self, account: &billing_domain::types::AccountId, delta: i64) {
        if let Some(l) = self.shared.lock().ledgers.get_mut(account) {
            l.balance += delta;
        }
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

/// The state shared by every repository of one store.
#[derive(Clone, Default)]
pub(crate) struct Shared(Arc<Mutex<State>>);

impl Shared {
    /// Locks the state. A panic while locked cannot leave half a write behind (every method
    /// validates before it mutates), so a poisoned lock is simply taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the locked state: one atomic "transaction".
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.lock())
    }
}

/// The in-memory store is always up.
struct MemoryHealth;

#[async_trait::async_trait]
impl StoreHealth for MemoryHealth {
    async fn ping(&self) -> Result<(), RepoError> {
        Ok(())
    }
}
