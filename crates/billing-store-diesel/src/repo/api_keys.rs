//! [`ApiKeyRepository`] over Diesel.

use billing_domain::RepoError;
use billing_domain::entities::{ApiKey, AuditEntry};
use billing_domain::ports::ApiKeyRepository;
use billing_domain::types::{ApiKeyId, Page, PageRequest};
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::{api_key, api_key_row, ts};
use crate::dialect::write_transaction;
use crate::error::Fail;
use crate::repo::{Db, convert_all, insert_audit, overfetch};
use crate::rows::ApiKeyRow;
use crate::schema::api_keys;

/// API keys, looked up by the hash of their secret.
#[derive(Clone)]
pub(crate) struct ApiKeyRepo(pub(crate) Db);

#[async_trait::async_trait]
impl ApiKeyRepository for ApiKeyRepo {
    async fn insert(&self, key: &ApiKey, audit: Option<AuditEntry>) -> Result<(), RepoError> {
        let row = api_key_row(key);
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::insert_into(api_keys::table)
                        .values(&row)
                        .execute(conn)?;
                    match &audit {
                        Some(a) => insert_audit(conn, a),
                        None => Ok(()),
                    }
                })
            })
            .await
    }

    async fn find_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>, RepoError> {
        let hash = secret_hash.to_owned();
        self.0
            .run(move |conn| {
                let row: Option<ApiKeyRow> = api_keys::table
                    .filter(api_keys::secret_hash.eq(&hash))
                    .first(conn)
                    .optional()?;
                row.map(api_key).transpose()
            })
            .await
    }

    async fn get(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<ApiKeyRow> = api_keys::table.find(&id).first(conn).optional()?;
                row.map(api_key).transpose()
            })
            .await
    }

    async fn list(&self, page: &PageRequest) -> Result<Page<ApiKey>, RepoError> {
        let page = page.clone();
        self.0
            .run(move |conn| {
                let mut q = api_keys::table
                    .order(api_keys::id.desc())
                    .limit(overfetch(page.limit))
                    .into_boxed();
                if let Some(after) = &page.starting_after {
                    q = q.filter(api_keys::id.lt(after.clone()));
                }
                let rows: Vec<ApiKeyRow> = q.load(conn)?;
                Ok(Page::from_overfetch(
                    convert_all(rows, api_key)?,
                    page.limit,
                ))
            })
            .await
    }

    async fn revoke(
        &self,
        id: &ApiKeyId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<ApiKey, RepoError> {
        let (id, audit) = (id.to_string(), audit.clone());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::update(
                        api_keys::table
                            .find(&id)
                            .filter(api_keys::revoked_at.is_null()),
                    )
                    .set(api_keys::revoked_at.eq(Some(ts(at))))
                    .execute(conn)?;
                    let row: Option<ApiKeyRow> =
                        api_keys::table.find(&id).first(conn).optional()?;
                    let row = row.ok_or(Fail(RepoError::NotFound))?;
                    insert_audit(conn, &audit)?;
                    api_key(row)
                })
            })
            .await
    }
}
