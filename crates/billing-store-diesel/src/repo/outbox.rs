//! [`OutboxRepository`] over Diesel.

use billing_domain::RepoError;
use billing_domain::entities::OutboxEvent;
use billing_domain::ports::OutboxRepository;
use billing_domain::types::{AccountId, EventId, Page, PageRequest};
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::{outbox, outbox_row, ts};
use crate::dialect::write_transaction;
use crate::repo::{Db, convert_all, overfetch};
use crate::rows::OutboxRow;
use crate::schema::outbox_events::dsl as oe;

/// Outbox events.
#[derive(Clone)]
pub(crate) struct OutboxRepo(pub(crate) Db);

#[async_trait::async_trait]
impl OutboxRepository for OutboxRepo {
    async fn insert(&self, event: &OutboxEvent) -> Result<(), RepoError> {
        let event = event.clone();
        self.0
            .run(move |conn| {
                let row = outbox_row(&event)?;
                write_transaction(conn, |conn| {
                    diesel::insert_into(oe::outbox_events)
                        .values(&row)
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    async fn list(
        &self,
        account: Option<AccountId>,
        kind: Option<String>,
        page: &PageRequest,
    ) -> Result<Page<OutboxEvent>, RepoError> {
        let page = page.clone();
        self.0
            .run(move |conn| {
                let mut q = oe::outbox_events
                    .order(oe::id.desc())
                    .limit(overfetch(page.limit))
                    .into_boxed();
                if let Some(account) = account {
                    q = q.filter(oe::account_id.eq(account.to_string()));
                }
                if let Some(kind) = kind {
                    q = q.filter(oe::kind.eq(kind));
                }
                if let Some(after) = page.starting_after.clone() {
                    q = q.filter(oe::id.lt(after));
                }
                let rows: Vec<OutboxRow> = q.load(conn)?;
                Ok(Page::from_overfetch(convert_all(rows, outbox)?, page.limit))
            })
            .await
    }

    async fn undelivered(&self, limit: u32) -> Result<Vec<OutboxEvent>, RepoError> {
        self.0
            .run(move |conn| {
                let rows: Vec<OutboxRow> = oe::outbox_events
                    .filter(oe::delivered_at.is_null())
                    .order(oe::id.asc())
                    .limit(i64::from(limit))
                    .load(conn)?;
                convert_all(rows, outbox)
            })
            .await
    }

    async fn mark_delivered(&self, ids: &[EventId], at: OffsetDateTime) -> Result<(), RepoError> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        if ids.is_empty() {
            return Ok(());
        }
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::update(
                        oe::outbox_events
                            .filter(oe::id.eq_any(&ids))
                            .filter(oe::delivered_at.is_null()),
                    )
                    .set(oe::delivered_at.eq(Some(ts(at))))
                    .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }
}
