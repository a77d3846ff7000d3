//! [`WebhookEventRepository`] over Diesel: one `webhook_events` row per `(gateway, event_id)`,
//! inserted with `ON CONFLICT DO NOTHING` so concurrent deliveries of one event record it once.

use billing_domain::RepoError;
use billing_domain::entities::{PaymentMethodKind, WebhookEvent};
use billing_domain::ports::{RecordOutcome, WebhookEventRepository};
use billing_domain::types::WebhookEventId;
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::{parse_enum, ts};
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::repo::Db;
use crate::schema::webhook_events;
use crate::sql_types::UtcDateTime;

/// Gateway webhook events.
#[derive(Clone)]
pub(crate) struct WebhookEventRepo(pub(crate) Db);

/// `webhook_events`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = webhook_events)]
struct WebhookEventRow {
    id: String,
    gateway: String,
    event_id: String,
    event_type: String,
    payload: String,
    received_at: UtcDateTime,
    processed_at: Option<UtcDateTime>,
}

fn row(e: &WebhookEvent) -> WebhookEventRow {
    WebhookEventRow {
        id: e.id.to_string(),
        gateway: e.gateway.as_str().to_owned(),
        event_id: e.event_id.clone(),
        event_type: e.event_type.clone(),
        payload: e.payload.clone(),
        received_at: ts(e.received_at),
        processed_at: e.processed_at.map(ts),
    }
}

fn event(r: WebhookEventRow) -> DbResult<WebhookEvent> {
    Ok(WebhookEvent {
        id: WebhookEventId::from_trusted(r.id),
        gateway: parse_enum(&r.gateway, "webhook gateway", PaymentMethodKind::parse)?,
        event_id: r.event_id,
        event_type: r.event_type,
        payload: r.payload,
        received_at: r.received_at.0,
        processed_at: r.processed_at.map(|t| t.0),
    })
}

/// Inserts unless the row exists; `true` if inserted.
fn insert_if_absent(conn: &mut AnyConnection, r: &WebhookEventRow) -> DbResult<bool> {
    let statement = diesel::insert_into(webhook_events::table).values(r);
    let n = match conn {
        AnyConnection::Postgres(c) => statement.on_conflict_do_nothing().execute(c)?,
        AnyConnection::Sqlite(c) => statement.on_conflict_do_nothing().execute(c)?,
    };
    Ok(n == 1)
}

#[async_trait::async_trait]
impl WebhookEventRepository for WebhookEventRepo {
    async fn record(&self, e: &WebhookEvent) -> Result<RecordOutcome, RepoError> {
        let r = row(e);
        self.0
            .run(move |conn| {
                if insert_if_absent(conn, &r)? {
                    return Ok(RecordOutcome::New);
                }
                use webhook_events::dsl as w;
                let processed: Option<Option<UtcDateTime>> = w::webhook_events
                    .filter(w::gateway.eq(&r.gateway))
                    .filter(w::event_id.eq(&r.event_id))
                    .select(w::processed_at)
                    .first(conn)
                    .optional()?;
                match processed {
                    Some(Some(_)) => Ok(RecordOutcome::AlreadyProcessed),
                    Some(None) => Ok(RecordOutcome::SeenUnprocessed),
                    None => Err(Fail(RepoError::Conflict(format!(
                        "webhook event {} already exists",
                        r.id
                    )))),
                }
            })
            .await
    }

    async fn mark_processed(
        &self,
        gateway: PaymentMethodKind,
        event_id: &str,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        let event_id = event_id.to_owned();
        self.0
            .run(move |conn| {
                use webhook_events::dsl as w;
                let n = diesel::update(
                    w::webhook_events
                        .filter(w::gateway.eq(gateway.as_str()))
                        .filter(w::event_id.eq(&event_id))
                        .filter(w::processed_at.is_null()),
                )
                .set(w::processed_at.eq(Some(ts(at))))
                .execute(conn)?;
                Ok(n == 1)
            })
            .await
    }

    async fn get(
        &self,
        gateway: PaymentMethodKind,
        event_id: &str,
    ) -> Result<Option<WebhookEvent>, RepoError> {
        let event_id = event_id.to_owned();
        self.0
            .run(move |conn| {
                use webhook_events::dsl as w;
                let r: Option<WebhookEventRow> = w::webhook_events
                    .filter(w::gateway.eq(gateway.as_str()))
                    .filter(w::event_id.eq(&event_id))
                    .first(conn)
                    .optional()?;
                r.map(event).transpose()
            })
            .await
    }
}
