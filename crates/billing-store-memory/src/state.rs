//! The tables of the in-memory store, and helpers shared by the repositories.

use std::collections::{BTreeMap, HashMap, HashSet};

use billing_domain::entities::{
    Account, ApiKey, AuditEntry, CreditLot, CreditPackage, IdempotencyRecord, Invoice, LedgerEntry,
    LotAllocation, OutboxEvent, Payment, PaymentMethodConfig, PaymentMethodKind, ProofFile, Refund,
    Reservation, WebhookEvent,
};
use billing_domain::error::RepoError;
use billing_domain::types::{
    AccountId, ApiKeyId, AuditEntryId, CreditLotId, CreditPackageId, EventId, FileId, InvoiceId,
    LedgerEntryId, Page, PageRequest, PaymentId, PaymentMethodConfigId, RefundId, ReservationId,
};

/// One account's ledger: the cached balance row, its entries and its reservations.
#[derive(Debug, Default)]
pub(crate) struct AccountLedger {
    /// Cached Σ entry amounts.
    pub balance: i64,
    /// Cached Σ entry held deltas.
    pub held: i64,
    /// Entries by id (= time order).
    pub entries: BTreeMap<LedgerEntryId, LedgerEntry>,
    /// The unique `(account, source_ref)` index.
    pub by_source: HashMap<String, LedgerEntryId>,
    /// Reservations by id.
    pub reservations: BTreeMap<ReservationId, Reservation>,
    /// The unique `(account, reference)` index of reservations.
    pub by_reference: HashMap<String, ReservationId>,
    /// Credit lots by id.
    pub lots: BTreeMap<CreditLotId, CreditLot>,
    /// What each entry took from or gave to each lot.
    pub allocations: HashMap<LedgerEntryId, Vec<LotAllocation>>,
}

/// Every table. Maps keyed by prefixed ids iterate in id order, which is creation order.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub accounts: BTreeMap<AccountId, Account>,
    pub ledgers: HashMap<AccountId, AccountLedger>,
    /// Primary keys of all ledger entries and reservations, across accounts.
    pub entry_ids: HashSet<LedgerEntryId>,
    pub reservation_ids: HashSet<ReservationId>,
    pub packages: BTreeMap<CreditPackageId, CreditPackage>,
    pub plans: BTreeMap<billing_domain::types::PlanId, billing_domain::entities::Plan>,
    pub payment_methods: BTreeMap<PaymentMethodConfigId, PaymentMethodConfig>,
    pub api_keys: BTreeMap<ApiKeyId, ApiKey>,
    pub idempotency: HashMap<(String, String), IdempotencyRecord>,
    pub invoices: BTreeMap<InvoiceId, Invoice>,
    pub payments: BTreeMap<PaymentId, Payment>,
    pub refunds: BTreeMap<RefundId, Refund>,
    /// Janitor backoff by payment or refund id: (attempts, next attempt at).
    pub retries: BTreeMap<String, (u32, time::OffsetDateTime)>,
    pub proofs: BTreeMap<FileId, ProofFile>,
    /// Kept invoice renderings by invoice and key.
    pub documents: BTreeMap<(InvoiceId, String), Vec<u8>>,
    pub audit: BTreeMap<AuditEntryId, AuditEntry>,
    pub outbox: BTreeMap<EventId, OutboxEvent>,
    /// Outgoing e-mail by id, and the unique index of their dedupe keys.
    pub emails: BTreeMap<billing_domain::types::EmailId, billing_domain::entities::OutgoingEmail>,
    pub email_keys: HashSet<String>,
    /// Gapless invoice number counters: last number used per `(prefix, year)`.
    pub invoice_counters: HashMap<(String, i32), u64>,
    pub subscriptions: BTreeMap<billing_domain::types::SubscriptionId, StoredSubscription>,
    /// Periods by `(subscription, start)`: the renewal's unique key.
    pub periods: BTreeMap<
        (billing_domain::types::SubscriptionId, time::OffsetDateTime),
        billing_domain::entities::SubscriptionPeriod,
    >,
    /// Gateway webhook events by `(gateway, event_id)`.
    pub webhook_events: HashMap<(PaymentMethodKind, String), WebhookEvent>,
    /// Leases on singleton jobs: job → (holder, leased until).
    pub job_leases: HashMap<String, (String, time::OffsetDateTime)>,
    /// Portal links by token hash, portal sessions by id.
    pub portal_links: HashMap<String, billing_domain::entities::PortalLink>,
    pub portal_sessions:
        BTreeMap<billing_domain::types::PortalSessionId, billing_domain::entities::PortalSession>,
    pub tax_rates: BTreeMap<billing_domain::types::TaxRateId, billing_domain::entities::TaxRate>,
    /// Operators' tax exemptions: account → reason.
    pub tax_exemptions: HashMap<AccountId, String>,
}

/// A subscription row: the entity and the scheduler's claim on it.
#[derive(Debug, Clone)]
pub(crate) struct StoredSubscription {
    pub sub: billing_domain::entities::Subscription,
    pub claimed_until: Option<time::OffsetDateTime>,
}

impl State {
    /// `Conflict` if another refund than `except` has the gateway refund id `gateway_id`
    /// (unique, like the stores' index).
    pub(crate) fn check_gateway_refund_id(
        &self,
        gateway_id: Option<&String>,
        except: &RefundId,
    ) -> Result<(), RepoError> {
        match gateway_id {
            Some(g)
                if self
                    .refunds
                    .values()
                    .any(|r| &r.id != except && r.gateway_refund_id.as_ref() == Some(g)) =>
            {
                Err(RepoError::Conflict(format!(
                    "gateway refund {g} is recorded"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Refuses an audit entry whose id is taken (checked before any write of the call).
    pub fn check_audit(&self, entry: Option<&AuditEntry>) -> Result<(), RepoError> {
        match entry {
            Some(e) if self.audit.contains_key(&e.id) => {
                Err(RepoError::Conflict(format!("audit entry {} exists", e.id)))
            }
            _ => Ok(()),
        }
    }

    /// Records an audit entry already checked by [`Self::check_audit`].
    pub fn put_audit(&mut self, entry: Option<&AuditEntry>) {
        if let Some(e) = entry {
            self.audit.insert(e.id.clone(), e.clone());
        }
    }

    /// Refuses outbox events whose id is taken (checked before any write of the call).
    pub fn check_events<'a>(
        &self,
        events: impl IntoIterator<Item = &'a OutboxEvent>,
    ) -> Result<(), RepoError> {
        match events.into_iter().find(|e| self.outbox.contains_key(&e.id)) {
            Some(e) => Err(exists("event", &e.id)),
            None => Ok(()),
        }
    }

    /// Records outbox events already checked by [`Self::check_events`].
    pub fn put_events<'a>(&mut self, events: impl IntoIterator<Item = &'a OutboxEvent>) {
        for e in events {
            self.outbox.insert(e.id.clone(), e.clone());
        }
    }
}

/// A listing direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Descending ids.
    NewestFirst,
    /// Ascending ids.
    OldestFirst,
}

/// Cuts one page out of `rows` (ascending by id, already filtered): items strictly after the
/// cursor in the listing's direction, at most `limit`, with `has_more` from one extra row.
pub(crate) fn paginate<'a, T, I>(
    rows: I,
    id: impl Fn(&T) -> &str,
    order: Order,
    page: &PageRequest,
) -> Page<T>
where
    T: Clone + 'a,
    I: DoubleEndedIterator<Item = &'a T>,
{
    let take = (page.limit as usize).saturating_add(1);
    let cursor = page.starting_after.as_deref();
    let fetched: Vec<T> = match order {
        Order::NewestFirst => rows
            .rev()
            .filter(|r| cursor.is_none_or(|c| id(r) < c))
            .take(take)
            .cloned()
            .collect(),
        Order::OldestFirst => rows
            .filter(|r| cursor.is_none_or(|c| id(r) > c))
            .take(take)
            .cloned()
            .collect(),
    };
    Page::from_overfetch(fetched, page.limit)
}

/// `a + b`, or `RepoError::Other` on overflow.
pub(crate) fn add(a: i64, b: i64) -> Result<i64, RepoError> {
    a.checked_add(b)
        .ok_or_else(|| RepoError::Other(format!("arithmetic overflow: {a} + {b}")))
}

/// `a - b`, or `RepoError::Other` on overflow.
pub(crate) fn sub(a: i64, b: i64) -> Result<i64, RepoError> {
    a.checked_sub(b)
        .ok_or_else(|| RepoError::Other(format!("arithmetic overflow: {a} - {b}")))
}

/// `NotFound` unless `id` is a stored account: rows point at existing rows, as the
/// database's foreign keys make them.
pub(crate) fn account_exists(
    s: &State,
    id: &billing_domain::types::AccountId,
) -> Result<(), RepoError> {
    if s.accounts.contains_key(id) {
        Ok(())
    } else {
        Err(RepoError::NotFound)
    }
}

/// A `Conflict` naming what already exists.
pub(crate) fn exists(what: &str, id: impl std::fmt::Display) -> RepoError {
    RepoError::Conflict(format!("{what} {id} already exists"))
}
