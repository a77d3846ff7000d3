//! [`EmailRepository`] in memory.

use time::OffsetDateTime;

use billing_domain::entities::{AuditEntry, EmailStatus, OutgoingEmail};
use billing_domain::error::RepoError;
use billing_domain::ports::{EmailFilter, EmailRepository};
use billing_domain::types::{EmailId, Page, PageRequest};

use super::Shared;
use super::state::{Order, account_exists, paginate};

/// The outgoing e-mail queue.
pub(crate) struct MemoryEmails(pub(crate) Shared);

#[async_trait::async_trait]
impl EmailRepository for MemoryEmails {
    async fn enqueue(
        &self,
        email: &OutgoingEmail,
        audit: Option<AuditEntry>,
    ) -> Result<bool, RepoError> {
        self.0.with(|s| {
            account_exists(s, &email.account_id)?;
            if s.email_keys.contains(&email.dedupe_key) {
                return Ok(false);
            }
            if s.emails.contains_key(&email.id) {
                return Err(RepoError::Conflict(format!("e-mail {} exists", email.id)));
            }
            s.check_audit(audit.as_ref())?;
            s.email_keys.insert(email.dedupe_key.clone());
            s.emails.insert(email.id.clone(), email.clone());
            s.put_audit(audit.as_ref());
            Ok(true)
        })
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutgoingEmail>, RepoError> {
        self.0.with(|s| {
            let mut due: Vec<&OutgoingEmail> = s
                .emails
                .values()
                .filter(|e| {
                    e.status == EmailStatus::Queued
                        && e.next_attempt_at <= now
                        && e.lease_until.is_none_or(|l| l <= now)
                })
                .collect();
            due.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
            let ids: Vec<EmailId> = due
                .into_iter()
                .take(limit as usize)
                .map(|e| e.id.clone())
                .collect();
            let mut claimed = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(e) = s.emails.get_mut(&id) {
                    e.lease_until = Some(until);
                    claimed.push(e.clone());
                }
            }
            Ok(claimed)
        })
    }

    async fn finish(
        &self,
        email: &OutgoingEmail,
        lease: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        self.0.with(|s| {
            let Some(stored) = s.emails.get_mut(&email.id) else {
                return Ok(false);
            };
            if stored.lease_until != Some(lease) {
                return Ok(false);
            }
            stored.status = email.status;
            stored.attempts.clone_from(&email.attempts);
            stored.next_attempt_at = email.next_attempt_at;
            stored.sent_at = email.sent_at;
            stored.updated_at = email.updated_at;
            stored.lease_until = None;
            Ok(true)
        })
    }

    async fn get(&self, id: &EmailId) -> Result<Option<OutgoingEmail>, RepoError> {
        Ok(self.0.lock().emails.get(id).cloned())
    }

    async fn list(
        &self,
        filter: &EmailFilter,
        page: &PageRequest,
    ) -> Result<Page<OutgoingEmail>, RepoError> {
        let s = self.0.lock();
        let rows = s.emails.values().filter(|e| {
            filter
                .account_id
                .as_ref()
                .is_none_or(|a| *a == e.account_id)
                && filter.kind.is_none_or(|k| k == e.kind)
                && filter.status.is_none_or(|st| st == e.status)
        });
        Ok(paginate(rows, |e| e.id.as_str(), Order::NewestFirst, page))
    }
}
