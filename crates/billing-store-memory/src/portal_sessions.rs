//! [`PortalSessionRepository`] in memory.

use time::OffsetDateTime;

use billing_domain::entities::{AuditEntry, PortalLink, PortalSession};
use billing_domain::error::RepoError;
use billing_domain::ports::{NewPortalSession, PortalSessionRepository};
use billing_domain::types::{AccountId, PortalSessionId};

use super::Shared;
use super::state::{account_exists, exists};

/// Portal links by token hash, sessions by id.
pub(crate) struct MemoryPortalSessions(pub(crate) Shared);

#[async_trait::async_trait]
impl PortalSessionRepository for MemoryPortalSessions {
    async fn insert_link(&self, link: &PortalLink, audit: &AuditEntry) -> Result<(), RepoError> {
        self.0.with(|s| {
            account_exists(s, &link.account_id)?;
            if s.portal_links.contains_key(&link.token_hash) {
                return Err(exists("portal link", &link.token_hash));
            }
            s.check_audit(Some(audit))?;
            s.portal_links.insert(link.token_hash.clone(), link.clone());
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn redeem_link(
        &self,
        link_hash: &str,
        now: OffsetDateTime,
        new: &NewPortalSession,
    ) -> Result<Option<PortalSession>, RepoError> {
        self.0.with(|s| {
            let Some(link) = s.portal_links.get_mut(link_hash) else {
                return Ok(None);
            };
            if link.used_at.is_some() || now >= link.expires_at {
                return Ok(None);
            }
            if s.portal_sessions.contains_key(&new.id)
                || s.portal_sessions
                    .values()
                    .any(|x| x.token_hash == new.token_hash)
            {
                return Err(exists("portal session", &new.id));
            }
            link.used_at = Some(now);
            let session = PortalSession {
                id: new.id.clone(),
                token_hash: new.token_hash.clone(),
                account_id: link.account_id.clone(),
                return_url: link.return_url.clone(),
                flow: link.flow.clone(),
                csrf_token: new.csrf_token.clone(),
                created_at: new.created_at,
                idle_expires_at: new.idle_expires_at.min(new.expires_at),
                expires_at: new.expires_at,
                revoked_at: None,
            };
            s.portal_sessions
                .insert(session.id.clone(), session.clone());
            Ok(Some(session))
        })
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        idle_until: OffsetDateTime,
    ) -> Result<Option<PortalSession>, RepoError> {
        self.0.with(|s| {
            let found = s
                .portal_sessions
                .values_mut()
                .find(|x| x.token_hash == token_hash && x.is_live(now));
            Ok(found.map(|x| {
                // Like the database stores: renewed only when it moves by a minute or more.
                let renewed = idle_until.min(x.expires_at);
                if renewed - x.idle_expires_at >= time::Duration::MINUTE {
                    x.idle_expires_at = renewed;
                }
                x.clone()
            }))
        })
    }

    async fn revoke_session(
        &self,
        id: &PortalSessionId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        self.0.with(|s| {
            if let Some(x) = s.portal_sessions.get_mut(id) {
                x.revoked_at.get_or_insert(at);
            }
            Ok(())
        })
    }

    async fn revoke_account_sessions(
        &self,
        account: &AccountId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<u64, RepoError> {
        self.0.with(|s| {
            s.check_audit(Some(audit))?;
            let mut n = 0;
            for x in s.portal_sessions.values_mut() {
                if &x.account_id == account && x.revoked_at.is_none() && x.is_live(at) {
                    x.revoked_at = Some(at);
                    n += 1;
                }
            }
            s.put_audit(Some(audit));
            Ok(n)
        })
    }

    async fn prune(&self, before: OffsetDateTime) -> Result<u64, RepoError> {
        self.0.with(|s| {
            let (links, sessions) = (s.portal_links.len(), s.portal_sessions.len());
            s.portal_links.retain(|_, l| l.expires_at >= before);
            s.portal_sessions.retain(|_, x| {
                x.expires_at.min(x.idle_expires_at) >= before
                    && x.revoked_at.is_none_or(|r| r >= before)
            });
            let gone = links - s.portal_links.len() + sessions - s.portal_sessions.len();
            Ok(u64::try_from(gone).unwrap_or(u64::MAX))
        })
    }
}
