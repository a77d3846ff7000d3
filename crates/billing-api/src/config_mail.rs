//! Outgoing e-mail: the `[mail]` table of the config file, then `BILLING_MAIL_*` and
//! `BILLING_SMTP_URL`, which win.
//!
//! | key (`[mail]`) | env                     | default                                          |
//! |----------------|-------------------------|--------------------------------------------------|
//! | `enabled`      | `BILLING_MAIL_ENABLED`  | `true`; `false` records the events but sends nothing |
//! | `smtp_url`     | `BILLING_SMTP_URL`      | none: messages are written to `dir` as `.eml` files |
//! | `from`         | `BILLING_MAIL_FROM`     | `<seller name> <seller e-mail>`, else `billing@localhost` |
//! | `reply_to`     | `BILLING_MAIL_REPLY_TO` | the seller's e-mail, when `from` is another address |
//! | `dir`          | `BILLING_MAIL_DIR`      | `data/outbox-mail`                               |
//!
//! `smtp_url` is `smtp://host:port` (plain, a local relay), `smtp+starttls://` (STARTTLS
//! required) or `smtps://` (TLS from the start), with optional `user:password@`.

use std::path::PathBuf;
use std::sync::Arc;

use billing_domain::entities::Seller;
use billing_domain::ports::Mailer;
use billing_mail::{FileMailer, Sender, SmtpMailer};
use serde::Deserialize;

use crate::config::ConfigError;

/// The `[mail]` table of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailFile {
    enabled: Option<bool>,
    smtp_url: Option<String>,
    from: Option<String>,
    reply_to: Option<String>,
    dir: Option<PathBuf>,
}

/// An SMTP URL, shown without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(pub String);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = match self.0.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}", rest.rsplit('@').next().unwrap_or(rest))
            }
            None => "…".to_owned(),
        };
        f.write_str(&shown)
    }
}

/// Where and how mail is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Whether the mail worker runs.
    pub enabled: bool,
    /// The SMTP server; `None` writes `.eml` files into `dir`.
    pub smtp_url: Option<SmtpUrl>,
    /// `From:`.
    pub from: String,
    /// `Reply-To:`.
    pub reply_to: Option<String>,
    /// Where `.eml` files go without SMTP.
    pub dir: PathBuf,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            smtp_url: None,
            from: "billing@localhost".into(),
            reply_to: None,
            dir: PathBuf::from("data/outbox-mail"),
        }
    }
}

impl MailSettings {
    /// Whether the addresses and the URL parse (no runtime, no connection).
    fn check(&self) -> Result<(), billing_mail::MailConfigError> {
        Sender::new(&self.from, self.reply_to.as_deref())?;
        match &self.smtp_url {
            Some(url) => SmtpMailer::check_url(&url.0),
            None => Ok(()),
        }
    }

    /// The mailer these settings describe, and the domain of its `Message-ID`s. Call inside
    /// a tokio runtime.
    pub fn mailer(&self) -> Result<(Arc<dyn Mailer>, String), billing_mail::MailConfigError> {
        let sender = Sender::new(&self.from, self.reply_to.as_deref())?;
        let domain = sender.domain();
        let mailer: Arc<dyn Mailer> = match &self.smtp_url {
            Some(url) => Arc::new(SmtpMailer::new(&url.0, sender)?),
            None => Arc::new(FileMailer::new(&self.dir, sender)),
        };
        Ok((mailer, domain))
    }
}

/// The mail settings from the file's table and the environment; a bad address or URL stops
/// the start.
pub(crate) fn mail_config(
    file: Option<MailFile>,
    seller: &Seller,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<MailSettings, ConfigError> {
    let f = file.unwrap_or_default();
    let mut m = MailSettings::default();
    let clean = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(v) = env("BILLING_MAIL_ENABLED") {
        m.enabled = crate::config::parse_env("BILLING_MAIL_ENABLED", v, "must be true or false")?;
    } else if let Some(v) = f.enabled {
        m.enabled = v;
    }
    m.smtp_url = env("BILLING_SMTP_URL")
        .or(f.smtp_url)
        .and_then(clean)
        .map(SmtpUrl);
    let seller_mailbox = seller.email.as_ref().map(|e| {
        // A display name with a quote or angle bracket would not parse as a mailbox.
        let name: String = seller
            .legal_name
            .chars()
            .filter(|c| !matches!(c, '"' | '<' | '>' | '\\'))
            .collect();
        format!("\"{name}\" <{e}>")
    });
    let from = env("BILLING_MAIL_FROM").or(f.from).and_then(clean);
    m.reply_to = env("BILLING_MAIL_REPLY_TO").or(f.reply_to).and_then(clean);
    match (from, seller_mailbox) {
        (Some(from), seller_mailbox) => {
            // Replies reach the seller's own address when mail comes from another one.
            let own = seller.email.as_deref().is_some_and(|e| from.contains(e));
            if m.reply_to.is_none() && !own {
                m.reply_to = seller_mailbox;
            }
            m.from = from;
        }
        (None, Some(seller)) => m.from = seller,
        (None, None) => {}
    }
    if let Some(v) = env("BILLING_MAIL_DIR").map(PathBuf::from).or(f.dir) {
        m.dir = v;
    }
    // Checked now, so a typo stops the start instead of every message.
    m.check().map_err(|e| ConfigError::Env {
        name: match e {
            billing_mail::MailConfigError::Address { name, .. } => name,
            billing_mail::MailConfigError::Url(_) => "BILLING_SMTP_URL",
        },
        value: e.to_string(),
        message: "see docs/notifications.md",
    })?;
    Ok(m)
}

/// A mailer that refuses every message: what a hand-built [`MailSettings`] that does not
/// parse gets (a configuration read by [`crate::config::Config::load`] is checked first).
pub(crate) struct UnusableMailer(pub String);

#[async_trait::async_trait]
impl Mailer for UnusableMailer {
    async fn send(
        &self,
        _: &billing_domain::ports::MailMessage,
    ) -> Result<(), billing_domain::ports::MailError> {
        Err(billing_domain::ports::MailError::Permanent(self.0.clone()))
    }

    fn describe(&self) -> String {
        format!("nowhere: {}", self.0)
    }
}
