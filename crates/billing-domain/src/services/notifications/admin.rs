//! What operators do with the e-mail queue: list it, read a message, resend one.

use crate::entities::audit::RequestContext;
use crate::entities::{EmailKind, EmailStatus, OutgoingEmail};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::EmailFilter;
use crate::types::{AccountId, EmailId, Page, PageRequest};

use super::NotificationService;

/// The raw filters of `GET /v1/admin/emails`.
#[derive(Debug, Clone, Default)]
pub struct EmailQuery {
    /// `acct_…`.
    pub account_id: Option<String>,
    /// An [`EmailKind`] name.
    pub kind: Option<String>,
    /// `queued`, `sent` or `failed`.
    pub status: Option<String>,
}

/// A filter's value; an empty one filters nothing, like the other lists' filters.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

impl EmailQuery {
    fn filter(&self) -> Result<EmailFilter, ValidationError> {
        let kind = given(&self.kind)
            .map(|k| {
                EmailKind::parse(k).ok_or_else(|| {
                    let names: Vec<&str> = EmailKind::ALL.iter().map(|k| k.as_str()).collect();
                    ValidationError::new("kind", format!("must be one of {}", names.join(", ")))
                })
            })
            .transpose()?;
        let status = given(&self.status)
            .map(|s| {
                EmailStatus::parse(s).ok_or_else(|| {
                    ValidationError::new("status", "must be one of queued, sent, failed")
                })
            })
            .transpose()?;
        Ok(EmailFilter {
            account_id: given(&self.account_id)
                .map(|a| AccountId::parse(a, "account_id"))
                .transpose()?,
            kind,
            status,
        })
    }
}

impl NotificationService {
    /// Messages, newest first (admin).
    pub async fn list(
        &self,
        ctx: &RequestContext,
        query: &EmailQuery,
        page: &PageRequest,
    ) -> BillingResult<Page<OutgoingEmail>> {
        ctx.principal.ensure_admin()?;
        let filter = query.filter()?;
        Ok(self.deps.repos.emails.list(&filter, page).await?)
    }

    /// One message with its attempts (admin).
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> BillingResult<OutgoingEmail> {
        ctx.principal.ensure_admin()?;
        let id = EmailId::parse(id, "id")?;
        self.deps
            .repos
            .emails
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("e-mail", &id))
    }

    /// Queues a copy of a message to send now (admin, audited): the same recipient, subject
    /// and bodies, and the invoice PDF as it is now; a new `Message-ID`. The original keeps
    /// its own history.
    pub async fn resend(&self, ctx: &RequestContext, id: &str) -> BillingResult<OutgoingEmail> {
        let original = self.get(ctx, id).await?;
        let now = self.deps.clock.now();
        let copy_id = EmailId::generate(now);
        let copy = OutgoingEmail {
            message_id: format!("{copy_id}@{}", self.message_domain),
            dedupe_key: format!("resend:{}:{copy_id}", original.id),
            id: copy_id,
            status: EmailStatus::Queued,
            attempts: Vec::new(),
            next_attempt_at: now,
            lease_until: None,
            resent_from: Some(original.id.clone()),
            created_at: now,
            updated_at: now,
            sent_at: None,
            ..original.clone()
        };
        let audit = ctx.audit(
            now,
            "email.resend",
            "email",
            original.id.as_str(),
            None,
            None::<&()>,
            Some(&copy.id),
        );
        self.deps.repos.emails.enqueue(&copy, Some(audit)).await?;
        Ok(copy)
    }
}
