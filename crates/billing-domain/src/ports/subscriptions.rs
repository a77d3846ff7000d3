//! Subscriptions port. The domain decides every new state (see `services::subscriptions`);
//! the store applies each decision as **one transaction** guarded by the subscription's
//! `version`, so two scheduler processes, or a renewal racing a cancel, never both apply: the
//! second is `Stale`, re-reads and decides again. A renewal's period row is unique per
//! `(subscription, period start)`: a period already written makes the change `PeriodTaken`,
//! with nothing written.

use time::OffsetDateTime;

use crate::entities::{
    AuditEntry, Invoice, OutboxEvent, Payment, Subscription, SubscriptionPeriod, SubscriptionStatus,
};
use crate::error::RepoError;
use crate::ports::{InvoiceChange, Posting};
use crate::types::{AccountId, Page, PageRequest, PlanId, SubscriptionId};

/// The conflict message when an account already has a live subscription to the plan.
pub const ALREADY_SUBSCRIBED: &str = "the account already has a live subscription to this plan";

/// Filters of subscription listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionFilter {
    /// One account only.
    pub account_id: Option<AccountId>,
    /// One status only.
    pub status: Option<SubscriptionStatus>,
    /// One plan only.
    pub plan_id: Option<PlanId>,
    /// Created at or after.
    pub from: Option<OffsetDateTime>,
    /// Created before.
    pub to: Option<OffsetDateTime>,
    /// Charged off-session with this saved payment method.
    pub gateway_payment_method: Option<String>,
}

/// A new invoice written with a subscription change: finalized with the next gapless number
/// of `number_prefix` (as `PaymentFlowRepository::create_invoice` does), with its first
/// payment if any.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvoice {
    /// The invoice (status pending, finalized).
    pub invoice: Invoice,
    /// Number prefix.
    pub number_prefix: String,
    /// Its first payment.
    pub payment: Option<Payment>,
}

/// Everything one subscription step writes, atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionChange {
    /// The subscription's whole new state. Its `version` is ignored: the store writes
    /// `expected_version + 1` (or 1 for a new subscription).
    pub subscription: Subscription,
    /// `None`: insert a new subscription (an account's second live one to the same plan is a
    /// `Conflict` with [`ALREADY_SUBSCRIBED`]). `Some(v)`: update, only if the stored version
    /// is still `v`, else `Stale`.
    pub expected_version: Option<u64>,
    /// A period row to insert; if one with the same start exists: `PeriodTaken`.
    pub period: Option<SubscriptionPeriod>,
    /// An invoice to create (its id is what the period row names).
    pub invoice: Option<NewInvoice>,
    /// Existing invoices' new states (voided, written off), each guarded like in the payment
    /// flow: one that moved makes the whole change `Stale`.
    pub invoice_changes: Vec<InvoiceChange>,
    /// A ledger posting (a free period's grant); a `Duplicate` outcome is not an error.
    pub posting: Option<Posting>,
    /// Outbox events recorded with the change.
    pub events: Vec<OutboxEvent>,
    /// The operator's or account's audit entry.
    pub audit: Option<AuditEntry>,
}

impl SubscriptionChange {
    /// A change of the subscription alone, decided on `read`.
    pub fn of(next: Subscription, read: &Subscription) -> Self {
        Self {
            subscription: next,
            expected_version: Some(read.version),
            period: None,
            invoice: None,
            invoice_changes: Vec::new(),
            posting: None,
            events: Vec::new(),
            audit: None,
        }
    }
}

/// What applying a [`SubscriptionChange`] did.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // returned once per call, never stored in bulk
pub enum SubscriptionChangeOutcome {
    /// Written: the subscription and the invoice (numbered) as stored.
    Applied {
        /// The subscription as stored (its new version).
        subscription: Subscription,
        /// The created invoice, if any.
        invoice: Option<Invoice>,
    },
    /// The subscription (or a guarded invoice) changed since it was read; nothing written.
    Stale,
    /// The period row already exists: this renewal was done before; nothing written.
    PeriodTaken,
}

/// Stores subscriptions and their periods.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait SubscriptionRepository: Send + Sync {
    /// Applies one step atomically (see [`SubscriptionChange`]). Any claim on the
    /// subscription (see [`Self::claim_due`]) is released.
    async fn apply(
        &self,
        change: &SubscriptionChange,
    ) -> Result<SubscriptionChangeOutcome, RepoError>;
    /// Reads one subscription.
    async fn get(&self, id: &SubscriptionId) -> Result<Option<Subscription>, RepoError>;
    /// Newest first.
    async fn list(
        &self,
        filter: &SubscriptionFilter,
        page: &PageRequest,
    ) -> Result<Page<Subscription>, RepoError>;
    /// The periods of a subscription, oldest first.
    async fn periods(&self, id: &SubscriptionId) -> Result<Vec<SubscriptionPeriod>, RepoError>;
    /// Claims up to `limit` subscriptions whose `next_action_at ≤ now` and that no one else
    /// holds (no claim, or one that ran out by `now`), earliest due first, until
    /// `claim_until`; returns them. Two processes never get the same subscription (PostgreSQL:
    /// `FOR UPDATE SKIP LOCKED`; SQLite: one writer at a time).
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        claim_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Subscription>, RepoError>;
    /// Releases a claim without changing anything else.
    async fn release(&self, id: &SubscriptionId) -> Result<(), RepoError>;
    /// The earliest `next_action_at` after `after` (exclusive), if any: where the test clock
    /// steps next.
    async fn next_action_after(
        &self,
        after: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, RepoError>;
}
