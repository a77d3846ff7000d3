//! Mail templates port: turns what a message says (decided and formatted by the domain) into
//! a subject and HTML and plain-text bodies. The adapter (`billing-mail`, askama) owns the
//! wording and the layout; every value it prints arrives here already formatted, and it
//! escapes them for HTML.

use crate::entities::{EmailKind, Seller};

/// One labelled value of a block (bank details: "IBAN" → "DE89 …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRow {
    /// "IBAN".
    pub label: String,
    /// "DE89370400440532013000".
    pub value: String,
}

/// What one message says. Which fields are set depends on the kind; templates print the
/// ones they need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailContent {
    /// Which message.
    pub kind: EmailKind,
    /// The seller's branding and contact (footer, reply address).
    pub seller: Seller,
    /// Whom it greets: the billing profile's legal name.
    pub recipient: String,
    /// The invoice concerned, by number.
    pub invoice_number: Option<String>,
    /// The amount the message is about (paid, due, refunded), formatted: `EUR 1,234.56`.
    pub amount: Option<String>,
    /// How it was or is to be paid: "bank transfer", "card", "PayPal".
    pub method: Option<String>,
    /// The payment reference to quote.
    pub reference: Option<String>,
    /// Why (a rejection's or a refund's reason, a failed payment's decline).
    pub reason: Option<String>,
    /// The seller's instructions for a manual method.
    pub instructions: Option<String>,
    /// Bank or wallet details.
    pub details: Vec<DetailRow>,
    /// Where to pay online.
    pub pay_link: Option<String>,
    /// The date the message is about (due, next retry, trial end, end of service),
    /// formatted: `3 Dec 2026`.
    pub date: Option<String>,
    /// The subscription's plan name.
    pub plan: Option<String>,
    /// A credit balance, formatted with its unit: `120 credits`.
    pub balance: Option<String>,
    /// The low-balance threshold, formatted likewise.
    pub threshold: Option<String>,
    /// The attached file's name, if one is attached.
    pub attachment: Option<String>,
    /// What is still due on the invoice after a partial payment, formatted.
    pub still_due: Option<String>,
}

impl MailContent {
    /// A message of `kind` from `seller` to `recipient` with nothing else set.
    pub fn new(kind: EmailKind, seller: Seller, recipient: String) -> Self {
        Self {
            kind,
            seller,
            recipient,
            invoice_number: None,
            amount: None,
            method: None,
            reference: None,
            reason: None,
            instructions: None,
            details: Vec::new(),
            pay_link: None,
            date: None,
            plan: None,
            balance: None,
            threshold: None,
            attachment: None,
            still_due: None,
        }
    }
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// A template failed to render (a bug in a template, never the data's fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mail template {kind} failed: {message}")]
pub struct TemplateError {
    /// The template's kind.
    pub kind: EmailKind,
    /// What went wrong.
    pub message: String,
}

/// Renders messages.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait MailTemplates: Send + Sync {
    /// Subject and bodies of `content`.
    fn render(&self, content: &MailContent) -> Result<RenderedMail, TemplateError>;
}
