//! Outgoing e-mail port. The adapter (`billing-mail`) delivers over SMTP, or writes `.eml`
//! files when no SMTP server is configured. A message carries its own `Message-ID`, chosen
//! before the first attempt, so a message delivered twice (a crash after the server's 250)
//! is recognisable as the same one.

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    /// `INV-2026-000001.pdf`.
    pub filename: String,
    /// `application/pdf`.
    pub content_type: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// One message to one recipient, with a plain-text and an HTML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    /// `<eml_…@host>`, without the angle brackets.
    pub message_id: String,
    /// The recipient's address.
    pub to: String,
    /// The recipient's name, if known.
    pub to_name: Option<String>,
    /// The subject (one line: line breaks are replaced by spaces before sending).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// Attachments.
    pub attachments: Vec<MailAttachment>,
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Worth retrying later: the server answered 4xx, or could not be reached.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// Retrying will not help: the server answered 5xx (unknown mailbox, refused).
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

/// Delivers messages.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers `message`; `Ok` once the server accepted it.
    async fn send(&self, message: &MailMessage) -> Result<(), MailError>;
    /// Where mail goes, for the log at start (`smtp://host:port`, `files in ./data/…`).
    fn describe(&self) -> String;
}
