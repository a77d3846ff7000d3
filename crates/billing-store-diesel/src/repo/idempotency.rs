//! [`IdempotencyRepository`] over Diesel: `INSERT … ON CONFLICT DO NOTHING` decides which of
//! concurrent callers with one key starts the request.

use billing_domain::RepoError;
use billing_domain::entities::{IdempotencyBegin, IdempotencyRecord};
use billing_domain::ports::IdempotencyRepository;
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::{idempotency, idempotency_row, ts};
use crate::dialect::{insert_idempotency_if_absent, write_transaction};
use crate::error::Fail;
use crate::repo::Db;
use crate::rows::IdempotencyRow;
use crate::schema::idempotency_keys::dsl as ik;

/// Idempotency records.
#[derive(Clone)]
pub(crate) struct IdempotencyRepo(pub(crate) Db);

#[async_trait::async_trait]
impl IdempotencyRepository for IdempotencyRepo {
    async fn begin(&self, record: &IdempotencyRecord) -> Result<IdempotencyBegin, RepoError> {
        let row = IdempotencyRow {
            response_status: None,
            response_body: None,
            ..idempotency_row(record)
        };
        self.0
            .run(move |conn| {
                // A record abandoned between our insert and our read is retried a few times.
                for _ in 0..3 {
                    if write_transaction(conn, |conn| insert_idempotency_if_absent(conn, &row))? {
                        return Ok(IdempotencyBegin::Started);
                    }
                    let existing: Option<IdempotencyRow> = ik::idempotency_keys
                        .find((&row.principal, &row.idempotency_key))
                        .first(conn)
                        .optional()?;
                    if let Some(existing) = existing {
                        return Ok(IdempotencyBegin::Existing(idempotency(existing)?));
                    }
                }
                Err(Fail(RepoError::Conflict(
                    "idempotency key is being reused concurrently".into(),
                )))
            })
            .await
    }

    async fn take_over_stale(
        &self,
        record: &IdempotencyRecord,
        stale_before: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        let (principal, key, hash) = (
            record.principal.clone(),
            record.key.clone(),
            record.request_hash.clone(),
        );
        let (at, before) = (record.created_at, stale_before);
        self.0
            .run(move |conn| {
                // One conditional update: of concurrent takers exactly one matches the row.
                let taken = diesel::update(ik::idempotency_keys.find((&principal, &key)))
                    .filter(ik::response_status.is_null())
                    .filter(ik::request_hash.eq(&hash))
                    .filter(ik::created_at.lt(ts(before)))
                    .set(ik::created_at.eq(ts(at)))
                    .execute(conn)?;
                Ok(taken == 1)
            })
            .await
    }

    async fn complete(
        &self,
        principal: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), RepoError> {
        let (principal, key, body) = (principal.to_owned(), key.to_owned(), body.to_vec());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    // Only an unfinished record takes a response: the first one stored is the
                    // one every replay answers with.
                    let changed = diesel::update(ik::idempotency_keys.find((&principal, &key)))
                        .filter(ik::response_status.is_null())
                        .set((
                            ik::response_status.eq(Some(i32::from(status))),
                            ik::response_body.eq(Some(&body)),
                        ))
                        .execute(conn)?;
                    if changed > 0 {
                        return Ok(());
                    }
                    let exists: i64 = ik::idempotency_keys
                        .find((&principal, &key))
                        .count()
                        .get_result(conn)?;
                    if exists == 0 {
                        Err(Fail(RepoError::NotFound))
                    } else {
                        Ok(())
                    }
                })
            })
            .await
    }

    async fn abandon(&self, principal: &str, key: &str) -> Result<(), RepoError> {
        let (principal, key) = (principal.to_owned(), key.to_owned());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::delete(
                        ik::idempotency_keys
                            .find((&principal, &key))
                            .filter(ik::response_status.is_null()),
                    )
                    .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    async fn purge_before(&self, before: OffsetDateTime) -> Result<u64, RepoError> {
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let n =
                        diesel::delete(ik::idempotency_keys.filter(ik::created_at.lt(ts(before))))
                            .execute(conn)?;
                    Ok(n as u64)
                })
            })
            .await
    }
}
