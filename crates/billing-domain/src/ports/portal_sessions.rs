//! Billing-portal links and sessions port.

use time::OffsetDateTime;

use crate::entities::{AuditEntry, PortalLink, PortalSession};
use crate::error::RepoError;
use crate::types::{AccountId, PortalSessionId};

/// What a new session gets when a link is redeemed; the rest comes from the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPortalSession {
    /// Its id.
    pub id: PortalSessionId,
    /// Hex SHA-256 of the cookie secret.
    pub token_hash: String,
    /// The forms' CSRF token.
    pub csrf_token: String,
    /// Now.
    pub created_at: OffsetDateTime,
    /// Now + idle timeout.
    pub idle_expires_at: OffsetDateTime,
    /// Now + absolute lifetime.
    pub expires_at: OffsetDateTime,
}

/// Stores one-time portal links and the sessions they open, both by secret hash.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait PortalSessionRepository: Send + Sync {
    /// Stores a new link and the audit entry of its creation, atomically.
    async fn insert_link(&self, link: &PortalLink, audit: &AuditEntry) -> Result<(), RepoError>;

    /// In one transaction: marks the link hashing to `link_hash` used, if it is unused and
    /// `now` is before its expiry, and creates the session from it. `None` when the link is
    /// unknown, used or expired; of two concurrent redemptions exactly one gets a session.
    async fn redeem_link(
        &self,
        link_hash: &str,
        now: OffsetDateTime,
        session: &NewPortalSession,
    ) -> Result<Option<PortalSession>, RepoError>;

    /// The session whose cookie hashes to `token_hash` if it is live at `now` (not
    /// revoked, before both timeouts); its idle expiry moves to `idle_until` (capped at its
    /// absolute expiry) when that moves it by a minute or more, so frequent requests do not
    /// each write. `None` otherwise, and nothing changes.
    async fn touch_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        idle_until: OffsetDateTime,
    ) -> Result<Option<PortalSession>, RepoError>;

    /// Revokes one session (sign out); revoking twice keeps the first time.
    async fn revoke_session(
        &self,
        id: &PortalSessionId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError>;

    /// Revokes every live session of `account` and writes the audit entry; returns how
    /// many were revoked.
    async fn revoke_account_sessions(
        &self,
        account: &AccountId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<u64, RepoError>;

    /// Deletes links and sessions that expired before `before`; returns how many rows went.
    async fn prune(&self, before: OffsetDateTime) -> Result<u64, RepoError>;
}
