//! Outgoing e-mail: the [`Mailer`] port over SMTP ([`SmtpMailer`], lettre on tokio with
//! rustls) or into a directory of `.eml` files ([`FileMailer`], the embedded default when no
//! SMTP server is configured). Header values are single lines: a line break in a subject or
//! a name (say, a billing name typed with CR/LF) becomes a space and can never start
//! another header.

use std::path::PathBuf;

use billing_domain::ports::{MailError, MailMessage, Mailer};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why mail could not be set up (a configuration error, reported at start).
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    /// `BILLING_MAIL_FROM` or the reply-to is not an address.
    #[error("{name}: {value:?} is not an e-mail address (`Name <addr@host>` or `addr@host`)")]
    Address {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// `BILLING_SMTP_URL` is not usable.
    #[error(
        "BILLING_SMTP_URL: {0} (use smtp://, smtps:// or smtp+starttls://[user:pass@]host[:port])"
    )]
    Url(String),
}

/// Who mail comes from.
#[derive(Debug, Clone)]
pub struct Sender {
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl Sender {
    /// `from` and an optional `reply_to`, each `Name <addr@host>` or `addr@host`.
    pub fn new(from: &str, reply_to: Option<&str>) -> Result<Self, MailConfigError> {
        let parse = |name, v: &str| {
            v.parse::<Mailbox>().map_err(|_| MailConfigError::Address {
                name,
                value: v.to_owned(),
            })
        };
        Ok(Self {
            from: parse("BILLING_MAIL_FROM", from)?,
            reply_to: reply_to
                .map(|r| parse("BILLING_MAIL_REPLY_TO", r))
                .transpose()?,
        })
    }

    /// The sender address's domain, which ends every `Message-ID`.
    pub fn domain(&self) -> String {
        self.from.email.domain().to_owned()
    }

    /// The MIME message of `m`: text and HTML alternatives, then the attachments.
    fn message(&self, m: &MailMessage) -> Result<Message, MailError> {
        let address =
            m.to.parse()
                .map_err(|e| MailError::Permanent(format!("recipient {:?}: {e}", m.to)))?;
        let to = Mailbox::new(m.to_name.as_deref().map(one_line), address);
        let mut b = Message::builder()
            .message_id(Some(format!("<{}>", one_line(&m.message_id))))
            .from(self.from.clone())
            .to(to)
            .subject(one_line(&m.subject));
        if let Some(r) = &self.reply_to {
            b = b.reply_to(r.clone());
        }
        let body = MultiPart::alternative_plain_html(m.text.clone(), m.html.clone());
        let built = if m.attachments.is_empty() {
            b.multipart(body)
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in &m.attachments {
                let kind = ContentType::parse(&a.content_type)
                    .map_err(|e| MailError::Permanent(format!("{}: {e}", a.content_type)))?;
                mixed = mixed
                    .singlepart(Attachment::new(one_line(&a.filename)).body(a.bytes.clone(), kind));
            }
            b.multipart(mixed)
        };
        built.map_err(|e| MailError::Permanent(format!("message: {e}")))
    }
}

/// A header value on one line.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Delivers over SMTP.
pub struct SmtpMailer {
    sender: Sender,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    shown: String,
}

impl SmtpMailer {
    /// A mailer for `url`: `smtp://` (plain, for a local relay), `smtp+starttls://`
    /// (STARTTLS required) or `smtps://` (TLS from the start), with optional `user:pass@`.
    /// Call inside a tokio runtime: the connection pool starts a task.
    pub fn new(url: &str, sender: Sender) -> Result<Self, MailConfigError> {
        let transport = Self::builder(url)?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        // The log shows where mail goes, never the password.
        let shown = match url.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}", rest.rsplit('@').next().unwrap_or(rest))
            }
            None => url.to_owned(),
        };
        Ok(Self {
            sender,
            transport,
            shown,
        })
    }

    /// Whether `url` is usable, without a runtime or a connection (for checking settings).
    pub fn check_url(url: &str) -> Result<(), MailConfigError> {
        Self::builder(url).map(|_| ())
    }

    fn builder(
        url: &str,
    ) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, MailConfigError> {
        let lettre_url = match url.strip_prefix("smtp+starttls://") {
            Some(rest) if rest.contains('?') => format!("smtp://{rest}&tls=required"),
            Some(rest) => format!("smtp://{rest}?tls=required"),
            None if url.starts_with("smtp://") || url.starts_with("smtps://") => url.to_owned(),
            None => return Err(MailConfigError::Url("unknown scheme".into())),
        };
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url)
            .map_err(|e| MailConfigError::Url(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let m = self.sender.message(message)?;
        match self.transport.send(m).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            // 4xx, a dropped connection, a timeout: worth another try.
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        format!("SMTP {}", self.shown)
    }
}

/// Writes every message to `<dir>/<message id>.eml` instead of sending it.
pub struct FileMailer {
    sender: Sender,
    dir: PathBuf,
}

impl FileMailer {
    /// A mailer writing into `dir` (created when the first message is written).
    pub fn new(dir: impl Into<PathBuf>, sender: Sender) -> Self {
        Self {
            sender,
            dir: dir.into(),
        }
    }
}

#[async_trait::async_trait]
impl Mailer for FileMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let m = self.sender.message(message)?;
        let name: String = message
            .message_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let io = |e: std::io::Error| MailError::Transient(format!("{}: {e}", self.dir.display()));
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let path = self.dir.join(format!("{name}.eml"));
        let tmp = self.dir.join(format!("{name}.eml.tmp"));
        tokio::fs::write(&tmp, m.formatted()).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    fn describe(&self) -> String {
        format!("files in {} (no BILLING_SMTP_URL)", self.dir.display())
    }
}
mod templates;
#[cfg(feature = "testing")]
pub mod testing;

pub use templates::AskamaTemplates;
