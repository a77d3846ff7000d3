//! [`AuditRepository`] over Diesel.

use billing_domain::RepoError;
use billing_domain::entities::AuditEntry;
use billing_domain::ports::{AuditFilter, AuditRepository};
use billing_domain::types::{Page, PageRequest};
use diesel::prelude::*;

use crate::convert::{audit, ts};
use crate::dialect::write_transaction;
use crate::repo::{Db, convert_all, insert_audit, overfetch};
use crate::rows::AuditRow;
use crate::schema::audit_log::dsl as al;

/// The audit log.
#[derive(Clone)]
pub(crate) struct AuditRepo(pub(crate) Db);

#[async_trait::async_trait]
impl AuditRepository for AuditRepo {
    async fn insert(&self, entry: &AuditEntry) -> Result<(), RepoError> {
        let entry = entry.clone();
        self.0
            .run(move |conn| write_transaction(conn, |conn| insert_audit(conn, &entry)))
            .await
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, RepoError> {
        let (f, page) = (filter.clone(), page.clone());
        self.0
            .run(move |conn| {
                let mut q = al::audit_log
                    .order(al::id.desc())
                    .limit(overfetch(page.limit))
                    .into_boxed();
                if let Some(v) = f.actor {
                    q = q.filter(al::actor.eq(v));
                }
                if let Some(v) = f.action {
                    q = q.filter(al::action.eq(v));
                }
                if let Some(v) = f.target_type {
                    q = q.filter(al::target_type.eq(v));
                }
                if let Some(v) = f.target_id {
                    q = q.filter(al::target_id.eq(v));
                }
                if let Some(from) = f.from {
                    q = q.filter(al::created_at.ge(ts(from)));
                }
                if let Some(to) = f.to {
                    q = q.filter(al::created_at.lt(ts(to)));
                }
                if let Some(after) = page.starting_after.clone() {
                    q = q.filter(al::id.lt(after));
                }
                let rows: Vec<AuditRow> = q.load(conn)?;
                Ok(Page::from_overfetch(convert_all(rows, audit)?, page.limit))
            })
            .await
    }
}
