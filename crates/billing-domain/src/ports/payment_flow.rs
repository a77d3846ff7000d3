//! Atomic writes of the purchase, approval, settlement and refund flows.
//!
//! The domain decides every new state (see `services::payments`); the store only applies it
//! in **one transaction guarded by optimistic checks** on what the domain read. A guard that
//! no longer holds (another operator approved first, a concurrent refund) rolls everything
//! back and reports `Stale`; the domain re-reads and decides again. So approve sent twice,
//! or by two operators at once, grants credits once.

use time::OffsetDateTime;

use crate::entities::{
    AuditEntry, Invoice, InvoiceStatus, OutboxEvent, Payment, PaymentStatus, ProofFile, Refund,
    RefundStatus,
};
use crate::error::RepoError;
use crate::ports::{Posting, PostingOutcome};
use crate::types::RefundId;

/// How long the janitors wait before asking a gateway again about the same payment or refund:
/// `base`, doubling with each failed attempt, never more than `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBackoff {
    /// Wait after the first failed attempt.
    pub base: time::Duration,
    /// Longest wait.
    pub cap: time::Duration,
}

impl RetryBackoff {
    /// The janitors' policy: 5 s, 10 s, 20 s, … at most an hour.
    pub const JANITOR: Self = Self {
        base: time::Duration::seconds(5),
        cap: time::Duration::HOUR,
    };

    /// When to ask again after `attempts` failed attempts (≥ 1) ending at `now`.
    pub fn next_at(self, now: OffsetDateTime, attempts: u32) -> OffsetDateTime {
        let doublings = attempts.saturating_sub(1).min(30);
        let wait = self
            .base
            .checked_mul(1_i32 << doublings)
            .map_or(self.cap, |w| w.min(self.cap));
        now + wait
    }
}

/// What the domain read of a payment; the write applies only if it still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentGuard {
    /// Status read.
    pub status: PaymentStatus,
    /// Amount received read.
    pub amount_received: i64,
    /// Amount refunded read.
    pub amount_refunded: i64,
}

impl PaymentGuard {
    /// The guard for a payment as read.
    pub fn of(p: &Payment) -> Self {
        Self {
            status: p.status,
            amount_received: p.amount_received,
            amount_refunded: p.amount_refunded,
        }
    }

    /// Whether a stored payment with these values may take the change: nothing the guard
    /// read has moved since.
    pub fn admits(
        &self,
        status: PaymentStatus,
        amount_received: i64,
        amount_refunded: i64,
    ) -> bool {
        self.status == status
            && self.amount_received == amount_received
            && self.amount_refunded == amount_refunded
    }
}

impl InvoiceChange {
    /// Whether the stored invoice (its status and amount paid) may take the change.
    pub fn admits(&self, status: InvoiceStatus, amount_paid: i64) -> bool {
        self.expected_status == status && self.expected_amount_paid == amount_paid
    }
}

impl RefundUpdate {
    /// Whether the stored refund's status (`None`: no such refund) may take the update.
    pub fn admits(&self, status: Option<RefundStatus>) -> bool {
        status == Some(self.expected)
    }

    /// The update applied to `refund` as stored: new status and time; the gateway's refund
    /// id only if the refund had none (a gateway id, once learnt, never changes).
    pub fn apply_to(&self, refund: &mut Refund) {
        refund.status = self.status;
        refund.updated_at = self.at;
        if refund.gateway_refund_id.is_none() {
            refund.gateway_refund_id.clone_from(&self.gateway_refund_id);
        }
    }
}

/// A new invoice state, applied only if the stored one still has `expected_status` and
/// `expected_amount_paid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceChange {
    /// The whole new state (status, amount_paid, amount_due, paid_at, status_reason, updated_at).
    pub invoice: Invoice,
    /// Status read.
    pub expected_status: InvoiceStatus,
    /// Amount paid read.
    pub expected_amount_paid: i64,
}

/// Everything one step of a payment flow writes, atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentChange {
    /// The payment's whole new state (every mutable column, `history` included).
    pub payment: Payment,
    /// Guard on the stored payment.
    pub guard: PaymentGuard,
    /// The invoice's new state, if it changes.
    pub invoice: Option<InvoiceChange>,
    /// A ledger posting (a purchase grant, a refund clawback), applied with the ledger's usual
    /// rules inside the same transaction. A `Duplicate` outcome is not an error.
    pub posting: Option<Posting>,
    /// A refund to insert. If `posting` is a clawback, the store sets the refund's
    /// `credits_clawed_back` to what the posting took and `credits_deficit` to the rest
    /// (`-posting.amount − taken`).
    pub refund: Option<Refund>,
    /// An existing refund's new status, applied only if it still has the status read.
    pub refund_update: Option<RefundUpdate>,
    /// An uploaded proof of payment to store.
    pub proof: Option<ProofFile>,
    /// The operator's audit entry.
    pub audit: Option<AuditEntry>,
    /// Outbox events the step records (`payment.succeeded`, `refund.succeeded`, …).
    pub events: Vec<OutboxEvent>,
}

/// A stored refund's change of status, guarded like the payment: if the refund no longer has
/// `expected`, the whole [`PaymentChange`] is `Stale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundUpdate {
    /// The refund.
    pub id: RefundId,
    /// Status read.
    pub expected: RefundStatus,
    /// New status.
    pub status: RefundStatus,
    /// The gateway's refund id, set if the refund had none.
    pub gateway_refund_id: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

impl PaymentChange {
    /// The refund to insert, as the store must write it: when `posting` is a clawback, with
    /// `credits_clawed_back` = what the posting took (`outcome`) and `credits_deficit` = the
    /// rest. Both stores call this, so the rule lives in one place.
    pub fn refund_to_insert(&self, outcome: Option<&PostingOutcome>) -> Option<Refund> {
        let mut r = self.refund.clone()?;
        if let (Some(p), Some(outcome)) = (&self.posting, outcome)
            && p.kind == crate::entities::LedgerKind::RefundClawback
        {
            let taken = match outcome {
                PostingOutcome::Applied { entry, .. } | PostingOutcome::Duplicate(entry) => {
                    entry.amount.saturating_neg().max(0)
                }
                PostingOutcome::Insufficient(_) => 0,
            };
            r.credits_clawed_back = taken;
            r.credits_deficit = p.amount.saturating_neg().saturating_sub(taken).max(0);
        }
        Some(r)
    }

    /// A change of the payment alone (status, fields, history), guarded by `read`, the
    /// payment as the domain read it. Set `audit` or `proof` with struct update syntax.
    pub fn payment_only(next: Payment, read: &Payment) -> Self {
        Self {
            payment: next,
            guard: PaymentGuard::of(read),
            invoice: None,
            posting: None,
            refund: None,
            refund_update: None,
            proof: None,
            audit: None,
            events: Vec::new(),
        }
    }
}

/// What applying a [`PaymentChange`] did.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // returned once per call, never stored in bulk
pub enum PaymentChangeOutcome {
    /// Written.
    Applied {
        /// The posting's outcome, if there was one.
        posting: Option<PostingOutcome>,
        /// The refund as stored afterwards, if one was inserted or updated.
        refund: Option<Refund>,
    },
    /// A guard failed (or the payment is gone); nothing was written.
    Stale,
}

/// Transactional writes of the payment flows.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait PaymentFlowRepository: Send + Sync {
    /// Inserts an invoice with its lines, and optionally its first payment, in one transaction.
    /// With `number_prefix`, the invoice is inserted finalized: it gets the next **gapless**
    /// number of `(prefix, year of finalized_at)` from a counter row updated in the same
    /// transaction, formatted `{prefix}-{year}-{seq:06}`. `event` is recorded with it.
    /// Returns the stored invoice.
    async fn create_invoice(
        &self,
        invoice: &Invoice,
        number_prefix: Option<String>,
        payment: Option<Payment>,
        audit: Option<AuditEntry>,
        event: Option<OutboxEvent>,
    ) -> Result<Invoice, RepoError>;
    /// Finalizes a draft: writes `invoice` (status pending, finalized_at, due_at, snapshot) and
    /// assigns its gapless number as above, only if the stored invoice is still a draft.
    /// `None` if it is not (nothing written). `event` is recorded with it.
    async fn finalize_invoice(
        &self,
        invoice: &Invoice,
        number_prefix: String,
        audit: Option<AuditEntry>,
        event: Option<OutboxEvent>,
    ) -> Result<Option<Invoice>, RepoError>;
    /// Writes an invoice's new status (void, uncollectible) if the stored status is `expected`.
    async fn update_invoice_status(
        &self,
        invoice: &Invoice,
        expected: InvoiceStatus,
        audit: Option<AuditEntry>,
    ) -> Result<bool, RepoError>;
    /// Applies one step of a payment flow atomically (see [`PaymentChange`]).
    async fn apply_payment_change(
        &self,
        change: &PaymentChange,
    ) -> Result<PaymentChangeOutcome, RepoError>;
    /// Manual payments (`awaiting_transfer`, `rejected`) whose `expires_at` is before `now`, oldest first.
    async fn payments_due_for_expiry(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Payment>, RepoError>;
    /// Gateway payments (not manual ones) in one of `statuses` whose `updated_at` is before
    /// `updated_before`, least recently updated first: what the janitor asks the gateway about.
    /// Payments deferred by [`Self::defer_retry`] to after `due_at` are left out.
    async fn payments_to_reconcile(
        &self,
        statuses: Vec<PaymentStatus>,
        updated_before: OffsetDateTime,
        limit: u32,
        due_at: OffsetDateTime,
    ) -> Result<Vec<Payment>, RepoError>;
    /// The refund with `refund_id`, else the first with `gateway_refund_id`.
    async fn find_refund(
        &self,
        refund_id: Option<RefundId>,
        gateway_refund_id: Option<String>,
    ) -> Result<Option<Refund>, RepoError>;
    /// Pending refunds the gateway never acknowledged (no gateway refund id), created in
    /// `[created_after, created_before)`, oldest first: what the janitor asks again. Refunds
    /// deferred by [`Self::defer_retry`] to after `due_at` are left out.
    async fn unacknowledged_refunds(
        &self,
        created_after: OffsetDateTime,
        created_before: OffsetDateTime,
        limit: u32,
        due_at: OffsetDateTime,
    ) -> Result<Vec<Refund>, RepoError>;
    /// Records that a gateway could not answer about `subject` (a payment or refund id) at
    /// `now`: the janitors skip it until `backoff.next_at(now, attempts)`. Returns the number
    /// of attempts so far, this one included.
    async fn defer_retry(
        &self,
        subject: &str,
        error: &str,
        now: OffsetDateTime,
        backoff: RetryBackoff,
    ) -> Result<u32, RepoError>;
    /// Forgets `subject`'s retry record (its outcome is known).
    async fn clear_retry(&self, subject: &str) -> Result<(), RepoError>;
    /// Settles a refund found by `refund_id`, else by `gateway_refund_id`: a `pending` refund
    /// takes `status` (and the gateway id, if it had none) and `updated_at = at`, guarded by
    /// its still being pending in the same statement. A refund no longer pending is left as
    /// it is. `event` is recorded in the same transaction when, and only when, this call
    /// moves the refund to `succeeded`. Returns the refund as stored afterwards, `None` if
    /// there is no such refund.
    async fn settle_refund(
        &self,
        refund_id: Option<RefundId>,
        gateway_refund_id: Option<String>,
        status: RefundStatus,
        at: OffsetDateTime,
        event: Option<OutboxEvent>,
    ) -> Result<Option<Refund>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let b = RetryBackoff::JANITOR;
        let waits: Vec<i64> = [1, 2, 3, 4, 10, 11, 12, 1000, u32::MAX]
            .iter()
            .map(|&n| (b.next_at(t, n) - t).whole_seconds())
            .collect();
        assert_eq!(waits, vec![5, 10, 20, 40, 2560, 3600, 3600, 3600, 3600]);
        assert_eq!(b.next_at(t, 0), t + time::Duration::seconds(5));
    }
}
