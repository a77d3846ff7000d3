//! [`PortalSessionRepository`] over Diesel: a guarded update redeems a link, so of two
//! concurrent openings exactly one creates a session.

use billing_domain::RepoError;
use billing_domain::entities::{AuditEntry, PortalFlow, PortalLink, PortalSession};
use billing_domain::ports::{NewPortalSession, PortalSessionRepository};
use billing_domain::types::{AccountId, PortalSessionId};
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::ts;
use crate::dialect::write_transaction;
use crate::repo::{Db, insert_audit};
use crate::schema::{portal_links as pl, portal_sessions as ps};
use crate::sql_types::UtcDateTime;

/// The smallest move of a session's idle timeout worth a write.
const IDLE_RENEWAL_STEP: time::Duration = time::Duration::MINUTE;

/// Portal links and sessions.
#[derive(Clone)]
pub(crate) struct PortalSessionRepo(pub(crate) Db);

/// `portal_links`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = pl)]
struct LinkRow {
    token_hash: String,
    account_id: String,
    return_url: String,
    flow_kind: Option<String>,
    flow_target: Option<String>,
    created_at: UtcDateTime,
    expires_at: UtcDateTime,
    used_at: Option<UtcDateTime>,
}

/// `portal_sessions`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = ps)]
struct SessionRow {
    id: String,
    token_hash: String,
    account_id: String,
    return_url: String,
    flow_kind: Option<String>,
    flow_target: Option<String>,
    csrf_token: String,
    created_at: UtcDateTime,
    idle_expires_at: UtcDateTime,
    expires_at: UtcDateTime,
    revoked_at: Option<UtcDateTime>,
}

fn session(r: SessionRow) -> PortalSession {
    PortalSession {
        id: PortalSessionId::from_trusted(r.id),
        token_hash: r.token_hash,
        account_id: AccountId::from_trusted(r.account_id),
        return_url: r.return_url,
        flow: r
            .flow_kind
            .as_deref()
            .and_then(|k| PortalFlow::from_stored(k, r.flow_target.as_deref())),
        csrf_token: r.csrf_token,
        created_at: r.created_at.0,
        idle_expires_at: r.idle_expires_at.0,
        expires_at: r.expires_at.0,
        revoked_at: r.revoked_at.map(|t| t.0),
    }
}

#[async_trait::async_trait]
impl PortalSessionRepository for PortalSessionRepo {
    async fn insert_link(&self, link: &PortalLink, audit: &AuditEntry) -> Result<(), RepoError> {
        let row = LinkRow {
            token_hash: link.token_hash.clone(),
            account_id: link.account_id.to_string(),
            return_url: link.return_url.clone(),
            flow_kind: link.flow.as_ref().map(|f| f.kind().to_owned()),
            flow_target: link
                .flow
                .as_ref()
                .and_then(|f| f.target().map(str::to_owned)),
            created_at: ts(link.created_at),
            expires_at: ts(link.expires_at),
            used_at: link.used_at.map(ts),
        };
        let audit = audit.clone();
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::insert_into(pl::table).values(&row).execute(conn)?;
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn redeem_link(
        &self,
        link_hash: &str,
        now: OffsetDateTime,
        new: &NewPortalSession,
    ) -> Result<Option<PortalSession>, RepoError> {
        let (hash, new) = (link_hash.to_owned(), new.clone());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    // The guard is the WHERE clause: only an unused, unexpired link updates.
                    let link: Option<LinkRow> = diesel::update(pl::table.find(&hash))
                        .filter(pl::used_at.is_null().and(pl::expires_at.gt(ts(now))))
                        .set(pl::used_at.eq(Some(ts(now))))
                        .get_result(conn)
                        .optional()?;
                    let Some(link) = link else {
                        return Ok(None);
                    };
                    let row = SessionRow {
                        id: new.id.to_string(),
                        token_hash: new.token_hash,
                        account_id: link.account_id,
                        return_url: link.return_url,
                        flow_kind: link.flow_kind,
                        flow_target: link.flow_target,
                        csrf_token: new.csrf_token,
                        created_at: ts(new.created_at),
                        idle_expires_at: ts(new.idle_expires_at.min(new.expires_at)),
                        expires_at: ts(new.expires_at),
                        revoked_at: None,
                    };
                    diesel::insert_into(ps::table).values(&row).execute(conn)?;
                    Ok(Some(session(row)))
                })
            })
            .await
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        idle_until: OffsetDateTime,
    ) -> Result<Option<PortalSession>, RepoError> {
        let hash = token_hash.to_owned();
        self.0
            .run(move |conn| {
                // Every portal request comes here: a read, and a write only when the timeout
                // moves, so a page view does not take SQLite's write lock.
                let row: Option<SessionRow> = ps::table
                    .filter(ps::token_hash.eq(&hash))
                    .filter(ps::revoked_at.is_null())
                    .filter(ps::idle_expires_at.gt(ts(now)))
                    .filter(ps::expires_at.gt(ts(now)))
                    .first(conn)
                    .optional()?;
                let Some(mut row) = row else {
                    return Ok(None);
                };
                let renewed = idle_until.min(row.expires_at.0);
                // A page polling every 2 s need not write every 2 s: renew only when the
                // timeout moves by a minute or more. The guard keeps a revocation that
                // landed since the read.
                if renewed - row.idle_expires_at.0 >= IDLE_RENEWAL_STEP {
                    let moved = diesel::update(ps::table.find(&row.id))
                        .filter(ps::revoked_at.is_null())
                        .set(ps::idle_expires_at.eq(ts(renewed)))
                        .execute(conn)?;
                    if moved == 0 {
                        return Ok(None);
                    }
                    row.idle_expires_at = ts(renewed);
                }
                Ok(Some(session(row)))
            })
            .await
    }

    async fn revoke_session(
        &self,
        id: &PortalSessionId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                diesel::update(ps::table.find(&id))
                    .filter(ps::revoked_at.is_null())
                    .set(ps::revoked_at.eq(Some(ts(at))))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn revoke_account_sessions(
        &self,
        account: &AccountId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<u64, RepoError> {
        let (account, audit) = (account.to_string(), audit.clone());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let n = diesel::update(ps::table)
                        .filter(ps::account_id.eq(&account))
                        .filter(ps::revoked_at.is_null())
                        .filter(ps::idle_expires_at.gt(ts(at)))
                        .filter(ps::expires_at.gt(ts(at)))
                        .set(ps::revoked_at.eq(Some(ts(at))))
                        .execute(conn)?;
                    insert_audit(conn, &audit)?;
                    Ok(u64::try_from(n).unwrap_or(u64::MAX))
                })
            })
            .await
    }

    async fn prune(&self, before: OffsetDateTime) -> Result<u64, RepoError> {
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let links = diesel::delete(pl::table.filter(pl::expires_at.lt(ts(before))))
                        .execute(conn)?;
                    let sessions = diesel::delete(
                        ps::table.filter(
                            ps::expires_at
                                .lt(ts(before))
                                .or(ps::idle_expires_at.lt(ts(before)))
                                .or(ps::revoked_at.lt(ts(before))),
                        ),
                    )
                    .execute(conn)?;
                    Ok(u64::try_from(links + sessions).unwrap_or(u64::MAX))
                })
            })
            .await
    }
}
