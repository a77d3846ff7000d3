//! [`InvoiceRepository`] and [`PaymentRepository`] in memory.

use billing_domain::entities::{Invoice, Payment, ProofFile, Refund};
use billing_domain::error::RepoError;
use billing_domain::ports::{InvoiceFilter, InvoiceRepository, PaymentFilter, PaymentRepository};
use billing_domain::types::{FileId, InvoiceId, Page, PageRequest, PaymentId};
use time::OffsetDateTime;

use super::Shared;
use super::state::{Order, account_exists, exists, paginate};

/// Invoices with their lines; ids and numbers (once assigned) are unique.
pub(crate) struct MemoryInvoices(pub(crate) Shared);

/// Payments, refunds and proofs of payment; manual references are unique.
pub(crate) struct MemoryPayments(pub(crate) Shared);

fn invoice_matches(f: &InvoiceFilter, i: &Invoice) -> bool {
    f.account_id.as_ref().is_none_or(|a| *a == i.account_id)
        && f.status.is_none_or(|s| s == i.status)
        && f.from.is_none_or(|from| i.created_at >= from)
        && f.to.is_none_or(|to| i.created_at < to)
}

fn payment_matches(f: &PaymentFilter, p: &Payment) -> bool {
    f.account_id.as_ref().is_none_or(|a| *a == p.account_id)
        && f.status.is_none_or(|s| s == p.status)
        && f.method.is_none_or(|m| m == p.method)
        && f.from.is_none_or(|from| p.created_at >= from)
        && f.to.is_none_or(|to| p.created_at < to)
}

#[async_trait::async_trait]
impl InvoiceRepository for MemoryInvoices {
    async fn insert(&self, invoice: &Invoice) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.invoices.contains_key(&invoice.id) {
                return Err(exists("invoice", &invoice.id));
            }
            account_exists(s, &invoice.account_id)?;
            if let Some(n) = &invoice.number
                && s.invoices.values().any(|i| i.number.as_ref() == Some(n))
            {
                return Err(RepoError::Conflict(format!("invoice number {n} is taken")));
            }
            s.invoices.insert(invoice.id.clone(), invoice.clone());
            Ok(())
        })
    }

    async fn get(&self, id: &InvoiceId) -> Result<Option<Invoice>, RepoError> {
        Ok(self.0.lock().invoices.get(id).cloned())
    }

    async fn list(
        &self,
        filter: &InvoiceFilter,
        page: &PageRequest,
    ) -> Result<Page<Invoice>, RepoError> {
        let s = self.0.lock();
        Ok(paginate(
            s.invoices.values().filter(|i| invoice_matches(filter, i)),
            |i| i.id.as_str(),
            Order::NewestFirst,
            page,
        ))
    }

    async fn document(&self, id: &InvoiceId, key: &str) -> Result<Option<Vec<u8>>, RepoError> {
        let s = self.0.lock();
        Ok(s.documents.get(&(id.clone(), key.to_owned())).cloned())
    }

    async fn save_document(
        &self,
        id: &InvoiceId,
        key: &str,
        pdf: &[u8],
        _at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        self.0.with(|s| {
            if !s.invoices.contains_key(id) {
                return Err(RepoError::NotFound);
            }
            s.documents
                .entry((id.clone(), key.to_owned()))
                .or_insert_with(|| pdf.to_vec());
            Ok(())
        })
    }
}

#[async_trait::async_trait]
impl PaymentRepository for MemoryPayments {
    async fn insert(&self, payment: &Payment) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.payments.contains_key(&payment.id) {
                return Err(exists("payment", &payment.id));
            }
            account_exists(s, &payment.account_id)?;
            if !s.invoices.contains_key(&payment.invoice_id) {
                return Err(RepoError::NotFound);
            }
            if let Some(r) = &payment.reference
                && s.payments.values().any(|p| p.reference.as_ref() == Some(r))
            {
                return Err(RepoError::Conflict(format!(
                    "payment reference {r} is taken"
                )));
            }
            s.payments.insert(payment.id.clone(), payment.clone());
            Ok(())
        })
    }

    async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, RepoError> {
        Ok(self.0.lock().payments.get(id).cloned())
    }

    async fn list(
        &self,
        filter: &PaymentFilter,
        page: &PageRequest,
    ) -> Result<Page<Payment>, RepoError> {
        let s = self.0.lock();
        let order = if filter.oldest_first {
            Order::OldestFirst
        } else {
            Order::NewestFirst
        };
        Ok(paginate(
            s.payments.values().filter(|p| payment_matches(filter, p)),
            |p| p.id.as_str(),
            order,
            page,
        ))
    }

    /// Inserts a refund of a stored payment (`NotFound` otherwise, like a foreign key).
    async fn insert_refund(&self, refund: &Refund) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.refunds.contains_key(&refund.id) {
                return Err(exists("refund", &refund.id));
            }
            if !s.payments.contains_key(&refund.payment_id) {
                return Err(RepoError::NotFound);
            }
            s.check_gateway_refund_id(refund.gateway_refund_id.as_ref(), &refund.id)?;
            s.refunds.insert(refund.id.clone(), refund.clone());
            Ok(())
        })
    }

    async fn refunds_of(&self, payment: &PaymentId) -> Result<Vec<Refund>, RepoError> {
        Ok(self
            .0
            .lock()
            .refunds
            .values()
            .filter(|r| r.payment_id == *payment)
            .cloned()
            .collect())
    }

    async fn find_by_reference(&self, reference: &str) -> Result<Option<Payment>, RepoError> {
        Ok(self
            .0
            .lock()
            .payments
            .values()
            .find(|p| p.reference.as_deref() == Some(reference))
            .cloned())
    }

    /// Oldest (by id) first.
    async fn find_by_gateway_reference(
        &self,
        gateway_reference: &str,
    ) -> Result<Option<Payment>, RepoError> {
        Ok(self
            .0
            .lock()
            .payments
            .values()
            .find(|p| {
                p.gateway_reference.as_deref() == Some(gateway_reference)
                    || p.gateway_payment_id.as_deref() == Some(gateway_reference)
            })
            .cloned())
    }

    /// Stores a proof of a stored payment (`NotFound` otherwise, like a foreign key).
    async fn save_proof(&self, file: &ProofFile) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.proofs.contains_key(&file.id) {
                return Err(exists("file", &file.id));
            }
            if !s.payments.contains_key(&file.payment_id) {
                return Err(RepoError::NotFound);
            }
            s.proofs.insert(file.id.clone(), file.clone());
            Ok(())
        })
    }

    async fn get_proof(&self, id: &FileId) -> Result<Option<ProofFile>, RepoError> {
        Ok(self.0.lock().proofs.get(id).cloned())
    }
}
