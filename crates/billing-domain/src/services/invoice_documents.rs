//! Invoice PDFs: the document of an invoice, rendered by the [`InvoiceRenderer`] port. A
//! finalized invoice's rendering is kept in the store under the template version, the
//! invoice's state and the reference of its open transfer, so it is served byte for byte
//! the same until one of them changes; a draft is rendered afresh every time, watermarked.

use std::sync::Arc;

use crate::entities::audit::RequestContext;
use crate::entities::invoice_document::Party;
use crate::entities::{Invoice, InvoiceDocument, InvoiceStatus, NextAction, PaymentStatus, Seller};
use crate::error::{BillingError, BillingResult};
use crate::ports::InvoiceRenderer;
use crate::services::invoices::InvoiceService;
use crate::services::payment_context::PaymentDeps;

/// A rendered invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePdf {
    /// `INV-2026-000001.pdf`, or `draft-inv_….pdf`.
    pub filename: String,
    /// The PDF.
    pub bytes: Vec<u8>,
}

/// Renders and keeps invoice PDFs.
#[derive(Clone)]
pub struct InvoiceDocumentService {
    deps: PaymentDeps,
    renderer: Arc<dyn InvoiceRenderer>,
    seller: Arc<Seller>,
}

impl InvoiceDocumentService {
    /// Wires the service.
    pub fn new(deps: PaymentDeps, renderer: Arc<dyn InvoiceRenderer>, seller: Seller) -> Self {
        Self {
            deps,
            renderer,
            seller: Arc::new(seller),
        }
    }

    /// The seller printed on invoices.
    pub fn seller(&self) -> &Seller {
        &self.seller
    }

    /// The PDF of invoice `id` of `account_id` (tenancy enforced), or of any invoice for
    /// admins when `account_id` is `None`.
    pub async fn pdf(
        &self,
        ctx: &RequestContext,
        account_id: Option<&str>,
        id: &str,
    ) -> BillingResult<InvoicePdf> {
        let invoice = InvoiceService::new(self.deps.clone())
            .get(ctx, account_id, id)
            .await?;
        let filename = crate::services::notifications::pdf_filename(&invoice);
        let bytes = self.rendering(&invoice).await?;
        Ok(InvoicePdf { filename, bytes })
    }

    /// The kept rendering of `invoice`, rendering and keeping it first if there is none.
    pub async fn rendering(&self, invoice: &Invoice) -> BillingResult<Vec<u8>> {
        let invoices = &self.deps.repos.invoices;
        // The transfer block is part of what is printed: a new manual payment (a new
        // reference) while the invoice stays open must not serve the old one.
        let transfer = self.transfer_of(invoice).await?;
        let reference = match &transfer {
            Some(NextAction::ManualTransfer { reference, .. }) => reference.as_str(),
            _ => "-",
        };
        let key = format!(
            "{}:{}:{}:{reference}",
            self.renderer.version(),
            invoice.status,
            invoice.amount_paid
        );
        let keep = invoice.status != InvoiceStatus::Draft;
        if keep && let Some(kept) = invoices.document(&invoice.id, &key).await? {
            return Ok(kept);
        }
        let mut doc = InvoiceDocument::new(invoice, &self.seller, transfer.as_ref());
        if doc.buyer.is_none() {
            // A draft has no snapshot yet: it shows the profile as it is now.
            let account = self.deps.repos.accounts.get(&invoice.account_id).await?;
            doc.buyer = account
                .and_then(|a| a.billing_profile)
                .as_ref()
                .map(Party::buyer);
        }
        let bytes = self
            .renderer
            .render(&doc)
            .await
            .map_err(|e| BillingError::Internal(e.to_string()))?;
        if !keep {
            return Ok(bytes);
        }
        let now = self.deps.clock.now();
        invoices
            .save_document(&invoice.id, &key, &bytes, now)
            .await?;
        // Another process may have kept its rendering first: serve the one kept.
        Ok(invoices.document(&invoice.id, &key).await?.unwrap_or(bytes))
    }

    /// The transfer instructions of the open manual payment of `invoice`, if any.
    async fn transfer_of(&self, invoice: &Invoice) -> BillingResult<Option<NextAction>> {
        if !matches!(
            invoice.status,
            InvoiceStatus::Pending | InvoiceStatus::Uncollectible
        ) {
            return Ok(None);
        }
        Ok(self
            .deps
            .payments_of(invoice)
            .await?
            .into_iter()
            .find(|p| p.status == PaymentStatus::AwaitingTransfer)
            .and_then(|p| p.next_action))
    }
}
