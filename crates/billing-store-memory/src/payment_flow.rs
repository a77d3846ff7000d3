//! [`PaymentFlowRepository`] in memory: guarded, all-or-nothing writes of the payment flows.

use time::OffsetDateTime;

use billing_domain::entities::{
    AuditEntry, Invoice, InvoiceStatus, OutboxEvent, Payment, PaymentStatus, Refund, RefundStatus,
};
use billing_domain::error::RepoError;
use billing_domain::ports::{
    PaymentChange, PaymentChangeOutcome, PaymentFlowRepository, RetryBackoff,
};

use billing_domain::types::RefundId;

use super::Shared;
use super::payment_change::{apply, check_reference};
use super::state::{State, account_exists, exists};

/// Invoice creation with gapless numbering, and guarded payment flow steps.
pub(crate) struct MemoryPaymentFlow(pub(crate) Shared);

/// The next number of `(prefix, year of finalization)`, and the counter value it uses.
fn next_number(
    s: &State,
    invoice: &Invoice,
    prefix: &str,
) -> Result<(String, (String, i32), u64), RepoError> {
    let year = invoice.finalized_at.unwrap_or(invoice.created_at).year();
    let key = (prefix.to_owned(), year);
    let seq = s
        .invoice_counters
        .get(&key)
        .copied()
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| RepoError::Other("invoice counter overflows".into()))?;
    let number = format!("{prefix}-{year}-{seq:06}");
    if s.invoices
        .values()
        .any(|i| i.number.as_deref() == Some(number.as_str()))
    {
        return Err(RepoError::Conflict(format!(
            "invoice number {number} is taken"
        )));
    }
    Ok((number, key, seq))
}

/// Not deferred by the janitors' backoff past `due_at`.
fn is_due(s: &State, subject: &str, due_at: OffsetDateTime) -> bool {
    s.retries.get(subject).is_none_or(|r| r.1 <= due_at)
}

/// The refund with `id`, else the first (by id) with `gateway_id`.
fn find_refund(s: &State, id: Option<&RefundId>, gateway_id: Option<&String>) -> Option<RefundId> {
    match (id, gateway_id) {
        (Some(id), _) => s.refunds.contains_key(id).then(|| id.clone()),
        (None, Some(g)) => s
            .refunds
            .values()
            .filter(|r| r.gateway_refund_id.as_ref() == Some(g))
            .map(|r| r.id.clone())
            .min(),
        (None, None) => None,
    }
}

/// Inserts an invoice (numbered with `prefix`) and its first payment, checking every key
/// first so a failure writes nothing. Shared with the subscription changes.
pub(crate) fn insert_invoice(
    s: &mut State,
    invoice: &Invoice,
    number_prefix: Option<&str>,
    payment: Option<Payment>,
    audit: Option<&AuditEntry>,
) -> Result<Invoice, RepoError> {
    if s.invoices.contains_key(&invoice.id) {
        return Err(exists("invoice", &invoice.id));
    }
    account_exists(s, &invoice.account_id)?;
    if let Some(p) = &payment {
        if s.payments.contains_key(&p.id) {
            return Err(exists("payment", &p.id));
        }
        if p.invoice_id != invoice.id && !s.invoices.contains_key(&p.invoice_id) {
            return Err(RepoError::NotFound);
        }
        account_exists(s, &p.account_id)?;
        check_reference(s, p)?;
    }
    s.check_audit(audit)?;
    let mut stored = invoice.clone();
    if let Some(prefix) = number_prefix {
        let (number, key, seq) = next_number(s, invoice, prefix)?;
        stored.number = Some(number);
        s.invoice_counters.insert(key, seq);
    } else if let Some(n) = &stored.number
        && s.invoices.values().any(|i| i.number.as_ref() == Some(n))
    {
        return Err(RepoError::Conflict(format!("invoice number {n} is taken")));
    }
    s.invoices.insert(stored.id.clone(), stored.clone());
    if let Some(p) = payment {
        s.payments.insert(p.id.clone(), p);
    }
    s.put_audit(audit);
    Ok(stored)
}

#[async_trait::async_trait]
impl PaymentFlowRepository for MemoryPaymentFlow {
    async fn create_invoice(
        &self,
        invoice: &Invoice,
        number_prefix: Option<String>,
        payment: Option<Payment>,
        audit: Option<AuditEntry>,
        event: Option<OutboxEvent>,
    ) -> Result<Invoice, RepoError> {
        self.0.with(|s| {
            s.check_events(&event)?;
            let stored = insert_invoice(
                s,
                invoice,
                number_prefix.as_deref(),
                payment,
                audit.as_ref(),
            )?;
            s.put_events(&event);
            Ok(stored)
        })
    }

    /// `NotFound` if the invoice does not exist; `None` if it is no longer a draft.
    async fn finalize_invoice(
        &self,
        invoice: &Invoice,
        number_prefix: String,
        audit: Option<AuditEntry>,
        event: Option<OutboxEvent>,
    ) -> Result<Option<Invoice>, RepoError> {
        self.0.with(|s| {
            let stored = s.invoices.get(&invoice.id).ok_or(RepoError::NotFound)?;
            if stored.status != InvoiceStatus::Draft {
                return Ok(None);
            }
            let created_at = stored.created_at;
            s.check_audit(audit.as_ref())?;
            s.check_events(&event)?;
            let (number, key, seq) = next_number(s, invoice, &number_prefix)?;
            let done = Invoice {
                number: Some(number),
                created_at,
                ..invoice.clone()
            };
            s.invoice_counters.insert(key, seq);
            s.invoices.insert(done.id.clone(), done.clone());
            s.put_audit(audit.as_ref());
            s.put_events(&event);
            Ok(Some(done))
        })
    }

    /// Writes status, status_reason and updated_at. `NotFound` if the invoice does not exist.
    async fn update_invoice_status(
        &self,
        invoice: &Invoice,
        expected: InvoiceStatus,
        audit: Option<AuditEntry>,
    ) -> Result<bool, RepoError> {
        self.0.with(|s| {
            if s.invoices
                .get(&invoice.id)
                .ok_or(RepoError::NotFound)?
                .status
                != expected
            {
                return Ok(false);
            }
            s.check_audit(audit.as_ref())?;
            let stored = s.invoices.get_mut(&invoice.id).ok_or(RepoError::NotFound)?;
            stored.status = invoice.status;
            stored.status_reason.clone_from(&invoice.status_reason);
            stored.updated_at = invoice.updated_at;
            s.put_audit(audit.as_ref());
            Ok(true)
        })
    }

    async fn apply_payment_change(
        &self,
        change: &PaymentChange,
    ) -> Result<PaymentChangeOutcome, RepoError> {
        self.0.with(|s| apply(s, change))
    }

    /// Oldest (by id, i.e. creation) first.
    async fn payments_due_for_expiry(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Payment>, RepoError> {
        let s = self.0.lock();
        Ok(s.payments
            .values()
            .filter(|p| {
                matches!(
                    p.status,
                    PaymentStatus::AwaitingTransfer | PaymentStatus::Rejected
                ) && p.expires_at.is_some_and(|e| e < now)
            })
            .take(limit as usize)
            .cloned()
            .collect())
    }

    /// Least recently updated first, then by id.
    async fn payments_to_reconcile(
        &self,
        statuses: Vec<PaymentStatus>,
        updated_before: OffsetDateTime,
        limit: u32,
        due_at: OffsetDateTime,
    ) -> Result<Vec<Payment>, RepoError> {
        let s = self.0.lock();
        let mut due: Vec<Payment> = s
            .payments
            .values()
            .filter(|p| {
                !p.method.is_manual()
                    && statuses.contains(&p.status)
                    && p.updated_at < updated_before
                    && is_due(&s, p.id.as_str(), due_at)
            })
            .cloned()
            .collect();
        due.sort_by(|a, b| {
            a.updated_at
                .cmp(&b.updated_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        due.truncate(limit as usize);
        Ok(due)
    }

    async fn find_refund(
        &self,
        refund_id: Option<RefundId>,
        gateway_refund_id: Option<String>,
    ) -> Result<Option<Refund>, RepoError> {
        self.0.with(|s| {
            let key = find_refund(s, refund_id.as_ref(), gateway_refund_id.as_ref());
            Ok(key.and_then(|k| s.refunds.get(&k).cloned()))
        })
    }

    async fn unacknowledged_refunds(
        &self,
        created_after: OffsetDateTime,
        created_before: OffsetDateTime,
        limit: u32,
        due_at: OffsetDateTime,
    ) -> Result<Vec<Refund>, RepoError> {
        self.0.with(|s| {
            let mut due: Vec<Refund> = s
                .refunds
                .values()
                .filter(|r| {
                    r.status == RefundStatus::Pending
                        && r.gateway_refund_id.is_none()
                        && r.created_at >= created_after
                        && r.created_at < created_before
                        && is_due(s, r.id.as_str(), due_at)
                })
                .cloned()
                .collect();
            due.sort_by(|a, b| a.id.cmp(&b.id));
            due.truncate(limit as usize);
            Ok(due)
        })
    }

    async fn defer_retry(
        &self,
        subject: &str,
        _error: &str,
        now: OffsetDateTime,
        backoff: RetryBackoff,
    ) -> Result<u32, RepoError> {
        self.0.with(|s| {
            let attempts = s.retries.get(subject).map_or(0, |r| r.0).saturating_add(1);
            s.retries.insert(
                subject.to_owned(),
                (attempts, backoff.next_at(now, attempts)),
            );
            Ok(attempts)
        })
    }

    async fn clear_retry(&self, subject: &str) -> Result<(), RepoError> {
        self.0.with(|s| {
            s.retries.remove(subject);
            Ok(())
        })
    }

    async fn settle_refund(
        &self,
        refund_id: Option<RefundId>,
        gateway_refund_id: Option<String>,
        status: RefundStatus,
        at: OffsetDateTime,
        event: Option<OutboxEvent>,
    ) -> Result<Option<Refund>, RepoError> {
        self.0.with(|s| {
            s.check_events(&event)?;
            let Some(key) = find_refund(s, refund_id.as_ref(), gateway_refund_id.as_ref()) else {
                return Ok(None);
            };
            if s.refunds
                .get(&key)
                .is_some_and(|r| r.status == RefundStatus::Pending && r.gateway_refund_id.is_none())
            {
                s.check_gateway_refund_id(gateway_refund_id.as_ref(), &key)?;
            }
            let Some(r) = s.refunds.get_mut(&key) else {
                return Ok(None);
            };
            let succeeded = r.status == RefundStatus::Pending && status == RefundStatus::Succeeded;
            if r.status == RefundStatus::Pending {
                r.status = status;
                r.updated_at = at;
                if r.gateway_refund_id.is_none() {
                    r.gateway_refund_id = gateway_refund_id;
                }
            }
            let stored = r.clone();
            if succeeded {
                s.put_events(&event);
            }
            Ok(Some(stored))
        })
    }
}
