//! Invoices, payments and refunds port (storage; the purchase use cases build on it).

use time::OffsetDateTime;

use crate::entities::{
    Invoice, InvoiceStatus, Payment, PaymentMethodKind, PaymentStatus, ProofFile, Refund,
};
use crate::error::RepoError;
use crate::types::{AccountId, FileId, InvoiceId, Page, PageRequest, PaymentId};

/// Filters of invoice listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// One account only.
    pub account_id: Option<AccountId>,
    /// One status only.
    pub status: Option<InvoiceStatus>,
    /// Created at or after.
    pub from: Option<OffsetDateTime>,
    /// Created before.
    pub to: Option<OffsetDateTime>,
}

/// Stores invoices with their lines.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait InvoiceRepository: Send + Sync {
    /// Inserts an invoice and its lines.
    async fn insert(&self, invoice: &Invoice) -> Result<(), RepoError>;
    /// Reads one invoice with its lines.
    async fn get(&self, id: &InvoiceId) -> Result<Option<Invoice>, RepoError>;
    /// Newest first.
    async fn list(
        &self,
        filter: &InvoiceFilter,
        page: &PageRequest,
    ) -> Result<Page<Invoice>, RepoError>;
    /// The stored rendering of an invoice under `key` (the template version and the
    /// invoice's state), if one was kept.
    async fn document(&self, id: &InvoiceId, key: &str) -> Result<Option<Vec<u8>>, RepoError>;
    /// Keeps a rendering under `key`. A rendering already kept under that key stays as it
    /// is (two processes rendering at once keep the first), so what was served once is
    /// served again byte for byte.
    async fn save_document(
        &self,
        id: &InvoiceId,
        key: &str,
        pdf: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), RepoError>;
}

/// Filters of payment listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    /// One account only.
    pub account_id: Option<AccountId>,
    /// One status only.
    pub status: Option<PaymentStatus>,
    /// One method only.
    pub method: Option<PaymentMethodKind>,
    /// Created at or after.
    pub from: Option<OffsetDateTime>,
    /// Created before.
    pub to: Option<OffsetDateTime>,
    /// Oldest first instead of newest first (operator queues).
    pub oldest_first: bool,
}

/// Stores payments and refunds.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait PaymentRepository: Send + Sync {
    /// Inserts a payment.
    async fn insert(&self, payment: &Payment) -> Result<(), RepoError>;
    /// Reads one payment.
    async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, RepoError>;
    /// Newest first unless `oldest_first`.
    async fn list(
        &self,
        filter: &PaymentFilter,
        page: &PageRequest,
    ) -> Result<Page<Payment>, RepoError>;
    /// Inserts a refund.
    async fn insert_refund(&self, refund: &Refund) -> Result<(), RepoError>;
    /// The refunds of a payment, oldest first.
    async fn refunds_of(&self, payment: &PaymentId) -> Result<Vec<Refund>, RepoError>;
    /// The payment whose manual `reference` this is (references are unique).
    async fn find_by_reference(&self, reference: &str) -> Result<Option<Payment>, RepoError>;
    /// The payment whose `gateway_reference` (Checkout Session, PayPal order) or
    /// `gateway_payment_id` (PaymentIntent, PayPal capture) this is; the oldest if several
    /// share it.
    async fn find_by_gateway_reference(
        &self,
        gateway_reference: &str,
    ) -> Result<Option<Payment>, RepoError>;
    /// Stores an uploaded proof of payment.
    async fn save_proof(&self, file: &ProofFile) -> Result<(), RepoError>;
    /// Reads a proof of payment with its bytes.
    async fn get_proof(&self, id: &FileId) -> Result<Option<ProofFile>, RepoError>;
}
