//! [`EmailRepository`] over Diesel. Claims take due rows with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so workers in several processes split the queue instead of queueing on each
//! other's rows; on SQLite `BEGIN IMMEDIATE` already makes a claim exclusive.

use billing_domain::RepoError;
use billing_domain::entities::{AuditEntry, EmailStatus, OutgoingEmail};
use billing_domain::ports::{EmailFilter, EmailRepository};
use billing_domain::types::{EmailId, Page, PageRequest};
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::{to_json, ts};
use crate::convert_emails::{EmailRow, email, email_row};
use crate::dialect::write_transaction;
use crate::error::DbResult;
use crate::pool::AnyConnection;
use crate::repo::{Db, convert_all, insert_audit, overfetch};
use crate::schema::emails::dsl as e;

/// The outgoing e-mail queue.
#[derive(Clone)]
pub(crate) struct EmailRepo(pub(crate) Db);

/// Inserts `email` unless its dedupe key is taken; `true` when written.
fn enqueue(conn: &mut AnyConnection, email: &OutgoingEmail) -> DbResult<bool> {
    let row = email_row(email)?;
    let statement = diesel::insert_into(e::emails).values(&row);
    let written = match conn {
        AnyConnection::Postgres(c) => statement
            .on_conflict(e::dedupe_key)
            .do_nothing()
            .execute(c)?,
        AnyConnection::Sqlite(c) => statement
            .on_conflict(e::dedupe_key)
            .do_nothing()
            .execute(c)?,
    };
    Ok(written == 1)
}

fn claim(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
    until: OffsetDateTime,
    limit: u32,
) -> DbResult<Vec<OutgoingEmail>> {
    write_transaction(conn, |conn| {
        let due = e::emails
            .filter(e::status.eq(EmailStatus::Queued.as_str()))
            .filter(e::next_attempt_at.le(ts(now)))
            .filter(e::lease_until.is_null().or(e::lease_until.le(ts(now))))
            .order((e::next_attempt_at.asc(), e::id.asc()))
            .limit(i64::from(limit))
            .select(e::id);
        let ids: Vec<String> = match conn {
            AnyConnection::Postgres(c) => due.for_update().skip_locked().load(c)?,
            AnyConnection::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(e::emails.filter(e::id.eq_any(&ids)))
            .set(e::lease_until.eq(Some(ts(until))))
            .execute(conn)?;
        let rows: Vec<EmailRow> = e::emails
            .filter(e::id.eq_any(&ids))
            .order((e::next_attempt_at.asc(), e::id.asc()))
            .load(conn)?;
        convert_all(rows, email)
    })
}

#[async_trait::async_trait]
impl EmailRepository for EmailRepo {
    async fn enqueue(
        &self,
        email: &OutgoingEmail,
        audit: Option<AuditEntry>,
    ) -> Result<bool, RepoError> {
        let email = email.clone();
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let written = enqueue(conn, &email)?;
                    if let (true, Some(a)) = (written, &audit) {
                        insert_audit(conn, a)?;
                    }
                    Ok(written)
                })
            })
            .await
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutgoingEmail>, RepoError> {
        self.0.run(move |conn| claim(conn, now, until, limit)).await
    }

    async fn finish(
        &self,
        email: &OutgoingEmail,
        lease: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        let email = email.clone();
        self.0
            .run(move |conn| {
                let attempts = to_json(&email.attempts, "e-mail attempts")?;
                write_transaction(conn, |conn| {
                    let n = diesel::update(
                        e::emails
                            .find(email.id.as_str())
                            .filter(e::lease_until.eq(Some(ts(lease)))),
                    )
                    .set((
                        e::status.eq(email.status.as_str()),
                        e::attempts.eq(&attempts),
                        e::next_attempt_at.eq(ts(email.next_attempt_at)),
                        e::sent_at.eq(email.sent_at.map(ts)),
                        e::updated_at.eq(ts(email.updated_at)),
                        e::lease_until.eq(None::<crate::sql_types::UtcDateTime>),
                    ))
                    .execute(conn)?;
                    Ok(n == 1)
                })
            })
            .await
    }

    async fn get(&self, id: &EmailId) -> Result<Option<OutgoingEmail>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<EmailRow> = e::emails.find(&id).first(conn).optional()?;
                row.map(email).transpose()
            })
            .await
    }

    async fn list(
        &self,
        filter: &EmailFilter,
        page: &PageRequest,
    ) -> Result<Page<OutgoingEmail>, RepoError> {
        let (filter, page) = (filter.clone(), page.clone());
        self.0
            .run(move |conn| {
                let mut q = e::emails
                    .order(e::id.desc())
                    .limit(overfetch(page.limit))
                    .into_boxed();
                if let Some(a) = &filter.account_id {
                    q = q.filter(e::account_id.eq(a.to_string()));
                }
                if let Some(k) = filter.kind {
                    q = q.filter(e::kind.eq(k.as_str()));
                }
                if let Some(s) = filter.status {
                    q = q.filter(e::status.eq(s.as_str()));
                }
                if let Some(after) = page.starting_after.clone() {
                    q = q.filter(e::id.lt(after));
                }
                let rows: Vec<EmailRow> = q.load(conn)?;
                Ok(Page::from_overfetch(convert_all(rows, email)?, page.limit))
            })
            .await
    }
}
