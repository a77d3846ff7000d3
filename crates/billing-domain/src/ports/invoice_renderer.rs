//! Invoice documents port: an [`InvoiceDocument`] in, PDF bytes out. The adapter
//! (`billing-pdf`) renders in-process; the same document and template version must give the
//! same bytes, because a finalized invoice's PDF is kept and served again.

use crate::entities::InvoiceDocument;

/// Why a rendering failed (a template or font problem: a bug, never the caller's input).
#[derive(Debug, thiserror::Error)]
#[error("invoice rendering failed: {0}")]
pub struct RenderError(pub String);

/// Renders invoice documents.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait InvoiceRenderer: Send + Sync {
    /// The template's version: part of the key a rendering is kept under, so a new template
    /// renders kept invoices afresh.
    fn version(&self) -> &str;
    /// The PDF of `doc`.
    async fn render(&self, doc: &InvoiceDocument) -> Result<Vec<u8>, RenderError>;
}
