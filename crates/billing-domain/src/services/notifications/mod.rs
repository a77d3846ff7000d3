//! Transactional e-mail: the outbox events that call for a message become queued e-mails
//! ([`NotificationService::dispatch`]), and the queue is delivered through the [`Mailer`]
//! port ([`NotificationService::deliver`]) with retry and backoff. Operators list messages
//! and resend one.
//!
//! Exactly once, in the sense a mail system allows: an event queues one message per kind (the
//! queue's unique `<event id>:<kind>` key), and a message is leased by one worker while it
//! is sent. A worker that dies after the server accepted a message and before recording it
//! leaves it to be sent again when its lease runs out — with the same `Message-ID`, so mail
//! clients show it once.

mod admin;
mod compose;
mod worker;

use std::sync::Arc;

use crate::entities::{Invoice, Seller};
use crate::ports::{MailTemplates, Mailer};
use crate::services::invoice_documents::InvoiceDocumentService;
use crate::services::payment_context::PaymentDeps;

pub use admin::EmailQuery;
pub use worker::{DeliveryReport, DispatchReport};

/// Composes, queues, delivers and resends e-mail.
#[derive(Clone)]
pub struct NotificationService {
    deps: PaymentDeps,
    documents: InvoiceDocumentService,
    templates: Arc<dyn MailTemplates>,
    mailer: Arc<dyn Mailer>,
    seller: Arc<Seller>,
    message_domain: String,
}

impl NotificationService {
    /// Wires the service. `message_domain` ends every `Message-ID` (`eml_…@<domain>`): the
    /// sender address's domain.
    pub fn new(
        deps: PaymentDeps,
        documents: InvoiceDocumentService,
        templates: Arc<dyn MailTemplates>,
        mailer: Arc<dyn Mailer>,
        message_domain: String,
    ) -> Self {
        let seller = Arc::new(documents.seller().clone());
        Self {
            deps,
            documents,
            templates,
            mailer,
            seller,
            message_domain,
        }
    }

    /// Where mail goes, for the log at start.
    pub fn mailer_description(&self) -> String {
        self.mailer.describe()
    }
}

/// The file name of an invoice's PDF: `INV-2026-000001.pdf`, or `draft-inv_….pdf`.
pub(crate) fn pdf_filename(invoice: &Invoice) -> String {
    match &invoice.number {
        Some(n) => format!("{n}.pdf"),
        None => format!("draft-{}.pdf", invoice.id),
    }
}
