//! The mail worker's two steps, run by every server process: queue the e-mail of new outbox
//! events, then deliver what is due.

use time::Duration;

use crate::entities::{EmailStatus, OutboxEvent, OutgoingEmail};
use crate::error::BillingResult;
use crate::ports::{MailAttachment, MailError, MailMessage};
use crate::types::{EmailId, EventId};

use super::{NotificationService, pdf_filename};

/// How long a worker holds a message it is sending; far longer than an SMTP exchange.
const LEASE: Duration = Duration::minutes(5);

/// Events older than this when first seen are not mailed (a store upgraded from before
/// e-mail existed must not mail its whole history).
const MAX_EVENT_AGE: Duration = Duration::days(3);

/// What one dispatch pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Messages queued.
    pub queued: usize,
    /// Events that call for a message but could not be turned into one (a template
    /// failed), with why; they are not tried again.
    pub skipped: Vec<(EventId, String)>,
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by the server.
    pub sent: usize,
    /// Refused for now; queued again with backoff.
    pub deferred: usize,
    /// Given up.
    pub failed: usize,
}

impl NotificationService {
    /// Queues the message of each of up to `limit` undelivered outbox events, then marks
    /// them delivered. A store error stops the pass; the events not yet marked are handled
    /// again next pass, and the queue's unique key makes that harmless.
    pub async fn dispatch(&self, limit: u32) -> BillingResult<DispatchReport> {
        let outbox = &self.deps.repos.outbox;
        let events = outbox.undelivered(limit).await?;
        let now = self.deps.clock.now();
        let mut report = DispatchReport::default();
        let mut handled = Vec::with_capacity(events.len());
        for event in events {
            if now - event.created_at <= MAX_EVENT_AGE {
                match self.queue(&event).await {
                    Ok(Ok(true)) => report.queued += 1,
                    Ok(Ok(false)) => {}
                    Ok(Err(why)) => report.skipped.push((event.id.clone(), why)),
                    Err(e) => {
                        outbox.mark_delivered(&handled, now).await?;
                        return Err(e);
                    }
                }
            }
            handled.push(event.id);
        }
        outbox.mark_delivered(&handled, now).await?;
        Ok(report)
    }

    /// Queues the message `event` calls for: `Ok(true)` queued, `Ok(false)` none or queued
    /// before; the inner `Err` is a template failure.
    async fn queue(&self, event: &OutboxEvent) -> BillingResult<Result<bool, String>> {
        let Some(planned) = self.plan(event).await? else {
            return Ok(Ok(false));
        };
        let Some(profile) = planned.account.billing_profile else {
            return Ok(Ok(false));
        };
        let rendered = match self.templates.render(&planned.content) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let now = self.deps.clock.now();
        let kind = planned.content.kind;
        let id = EmailId::generate(now);
        let email = OutgoingEmail {
            message_id: format!("{id}@{}", self.message_domain),
            id,
            account_id: planned.account.id,
            event_id: event.id.clone(),
            kind,
            dedupe_key: format!("{}:{kind}", event.id),
            to: profile.billing_email.to_string(),
            to_name: Some(profile.legal_name.to_string()),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            invoice_id: planned.attach,
            status: EmailStatus::Queued,
            attempts: Vec::new(),
            next_attempt_at: now,
            lease_until: None,
            resent_from: None,
            created_at: now,
            updated_at: now,
            sent_at: None,
        };
        Ok(Ok(self.deps.repos.emails.enqueue(&email, None).await?))
    }

    /// Sends up to `limit` due messages, one at a time, recording each attempt.
    pub async fn deliver(&self, limit: u32) -> BillingResult<DeliveryReport> {
        let emails = &self.deps.repos.emails;
        let now = self.deps.clock.now();
        let until = now + LEASE;
        let mut report = DeliveryReport::default();
        for email in emails.claim_due(now, until, limit).await? {
            let result = match self.message(&email).await {
                Ok(m) => self.mailer.send(&m).await,
                // The attachment could not be rendered now (the store is down): later.
                Err(e) => Err(MailError::Transient(format!("attachment: {e}"))),
            };
            let next = email.after_attempt(result, self.deps.clock.now());
            if !emails.finish(&next, until).await? {
                continue; // the lease ran out and another worker took the message over
            }
            match next.status {
                EmailStatus::Sent => report.sent += 1,
                EmailStatus::Queued => report.deferred += 1,
                EmailStatus::Failed => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// The message as sent: the stored content, and the invoice PDF when one goes with it
    /// (the kept rendering, so every attempt attaches the same bytes).
    async fn message(&self, email: &OutgoingEmail) -> BillingResult<MailMessage> {
        let mut attachments = Vec::new();
        if let Some(id) = &email.invoice_id
            && let Some(invoice) = self.deps.repos.invoices.get(id).await?
        {
            attachments.push(MailAttachment {
                filename: pdf_filename(&invoice),
                content_type: "application/pdf".into(),
                bytes: self.documents.rendering(&invoice).await?,
            });
        }
        Ok(MailMessage {
            message_id: email.message_id.clone(),
            to: email.to.clone(),
            to_name: email.to_name.clone(),
            subject: email.subject.clone(),
            text: email.text.clone(),
            html: email.html.clone(),
            attachments,
        })
    }
}
