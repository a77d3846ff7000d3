//! [`SubscriptionRepository`] over Diesel: each step is one write transaction. The
//! subscription row is locked (PostgreSQL) and its version checked, the period key and every
//! invoice guard are checked, all before anything is written; the scheduler's claims take
//! rows with `FOR UPDATE SKIP LOCKED` so two processes never claim the same subscription.

use billing_domain::RepoError;
use billing_domain::entities::{Subscription, SubscriptionPeriod};
use billing_domain::ports::subscriptions::ALREADY_SUBSCRIBED;
use billing_domain::ports::{
    SubscriptionChange, SubscriptionChangeOutcome, SubscriptionFilter, SubscriptionRepository,
};
use billing_domain::types::{Page, PageRequest, SubscriptionId};
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::convert::ts;
use crate::convert_subscriptions::{period, period_row, subscription, subscription_row};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::repo::ledger::post::post_locked;
use crate::repo::payment_change::{invoice_guard_holds, write_invoice_state};
use crate::repo::payment_flow::create_invoice;
use crate::repo::{Db, convert_all, insert_audit, insert_events, overfetch};
use crate::rows::{SubscriptionPeriodRow, SubscriptionRow};
use crate::schema::{subscription_periods, subscriptions};

/// Subscriptions and their periods.
#[derive(Clone)]
pub(crate) struct SubscriptionRepo(pub(crate) Db);

/// The live-subscription-per-plan index refused the row: the port's readable conflict.
fn already_subscribed(e: diesel::result::Error) -> Fail {
    match Fail::from(e) {
        Fail(RepoError::Conflict(_)) => Fail(RepoError::Conflict(ALREADY_SUBSCRIBED.into())),
        other => other,
    }
}

/// The stored version of a subscription, locked for the transaction on PostgreSQL.
fn lock_version(conn: &mut AnyConnection, id: &str) -> DbResult<Option<i64>> {
    let query = subscriptions::table.find(id).select(subscriptions::version);
    Ok(match conn {
        AnyConnection::Postgres(c) => query.for_update().first(c).optional()?,
        AnyConnection::Sqlite(c) => query.first(c).optional()?,
    })
}

/// Every guard of `c`; `Some(outcome)` ends the step with nothing written.
fn check(
    conn: &mut AnyConnection,
    c: &SubscriptionChange,
) -> DbResult<Option<SubscriptionChangeOutcome>> {
    if let Some(v) = c.expected_version {
        let stored = lock_version(conn, c.subscription.id.as_str())?;
        if stored.and_then(|s| u64::try_from(s).ok()) != Some(v) {
            return Ok(Some(SubscriptionChangeOutcome::Stale));
        }
    }
    if let Some(p) = &c.period {
        use subscription_periods::dsl as sp;
        let taken: i64 = sp::subscription_periods
            .filter(sp::subscription_id.eq(p.subscription_id.as_str()))
            .filter(sp::period_start.eq(ts(p.start)))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Ok(Some(SubscriptionChangeOutcome::PeriodTaken));
        }
    }
    for ic in &c.invoice_changes {
        if !invoice_guard_holds(conn, ic)? {
            return Ok(Some(SubscriptionChangeOutcome::Stale));
        }
    }
    Ok(None)
}

fn apply(conn: &mut AnyConnection, c: &SubscriptionChange) -> DbResult<SubscriptionChangeOutcome> {
    if let Some(done) = check(conn, c)? {
        return Ok(done);
    }
    let invoice = match &c.invoice {
        Some(n) => Some(create_invoice(
            conn,
            &n.invoice,
            Some(&n.number_prefix),
            n.payment.as_ref(),
            None,
        )?),
        None => None,
    };
    if let Some(p) = &c.posting {
        post_locked(conn, p)?;
    }
    let version = c.expected_version.map_or(1, |v| v + 1);
    let mut row = subscription_row(&c.subscription, version)?;
    match c.expected_version {
        None => {
            diesel::insert_into(subscriptions::table)
                .values(&row)
                .execute(conn)
                .map_err(already_subscribed)?;
        }
        Some(_) => {
            // created_at never changes.
            let created: crate::sql_types::UtcDateTime = subscriptions::table
                .find(&row.id)
                .select(subscriptions::created_at)
                .first(conn)?;
            row.created_at = created;
            diesel::update(subscriptions::table.find(&row.id))
                .set(&row)
                .execute(conn)
                .map_err(already_subscribed)?;
        }
    }
    if let Some(p) = &c.period {
        diesel::insert_into(subscription_periods::table)
            .values(period_row(p))
            .execute(conn)?;
    }
    for ic in &c.invoice_changes {
        write_invoice_state(conn, &ic.invoice)?;
    }
    insert_events(conn, &c.events)?;
    if let Some(a) = &c.audit {
        insert_audit(conn, a)?;
    }
    Ok(SubscriptionChangeOutcome::Applied {
        subscription: subscription(row)?,
        invoice,
    })
}

fn claim(
    conn: &mut AnyConnection,
    now: OffsetDateTime,
    until: OffsetDateTime,
    limit: u32,
) -> DbResult<Vec<Subscription>> {
    use subscriptions::dsl as s;
    write_transaction(conn, |conn| {
        let due = s::subscriptions
            .filter(s::next_action_at.le(ts(now)))
            .filter(s::claimed_until.is_null().or(s::claimed_until.le(ts(now))))
            .order((s::next_action_at.asc(), s::id.asc()))
            .limit(i64::from(limit))
            .select(s::id);
        let ids: Vec<String> = match conn {
            AnyConnection::Postgres(c) => due.for_update().skip_locked().load(c)?,
            AnyConnection::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(s::subscriptions.filter(s::id.eq_any(&ids)))
            .set(s::claimed_until.eq(ts(until)))
            .execute(conn)?;
        let rows: Vec<SubscriptionRow> = s::subscriptions
            .filter(s::id.eq_any(&ids))
            .order((s::next_action_at.asc(), s::id.asc()))
            .load(conn)?;
        convert_all(rows, subscription)
    })
}

#[async_trait::async_trait]
impl SubscriptionRepository for SubscriptionRepo {
    async fn apply(
        &self,
        change: &SubscriptionChange,
    ) -> Result<SubscriptionChangeOutcome, RepoError> {
        let change = change.clone();
        self.0
            .run(move |conn| write_transaction(conn, |conn| apply(conn, &change)))
            .await
    }

    async fn get(&self, id: &SubscriptionId) -> Result<Option<Subscription>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<SubscriptionRow> =
                    subscriptions::table.find(&id).first(conn).optional()?;
                row.map(subscription).transpose()
            })
            .await
    }

    async fn list(
        &self,
        filter: &SubscriptionFilter,
        page: &PageRequest,
    ) -> Result<Page<Subscription>, RepoError> {
        let (filter, page) = (filter.clone(), page.clone());
        self.0
            .run(move |conn| {
                use subscriptions::dsl as s;
                let mut q = s::subscriptions.order(s::id.desc()).into_boxed();
                if let Some(a) = &filter.account_id {
                    q = q.filter(s::account_id.eq(a.to_string()));
                }
                if let Some(st) = filter.status {
                    q = q.filter(s::status.eq(st.as_str()));
                }
                if let Some(p) = &filter.plan_id {
                    q = q.filter(s::plan_id.eq(p.to_string()));
                }
                if let Some(t) = filter.from {
                    q = q.filter(s::created_at.ge(ts(t)));
                }
                if let Some(t) = filter.to {
                    q = q.filter(s::created_at.lt(ts(t)));
                }
                if let Some(m) = &filter.gateway_payment_method {
                    q = q.filter(s::gateway_payment_method.eq(m.clone()));
                }
                if let Some(c) = &page.starting_after {
                    q = q.filter(s::id.lt(c.clone()));
                }
                let rows: Vec<SubscriptionRow> = q.limit(overfetch(page.limit)).load(conn)?;
                Ok(Page::from_overfetch(
                    convert_all(rows, subscription)?,
                    page.limit,
                ))
            })
            .await
    }

    async fn periods(&self, id: &SubscriptionId) -> Result<Vec<SubscriptionPeriod>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                use subscription_periods::dsl as sp;
                let rows: Vec<SubscriptionPeriodRow> = sp::subscription_periods
                    .filter(sp::subscription_id.eq(&id))
                    .order(sp::period_start.asc())
                    .load(conn)?;
                convert_all(rows, period)
            })
            .await
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        claim_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Subscription>, RepoError> {
        self.0
            .run(move |conn| claim(conn, now, claim_until, limit))
            .await
    }

    async fn release(&self, id: &SubscriptionId) -> Result<(), RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                use subscriptions::dsl as s;
                write_transaction(conn, |conn| {
                    diesel::update(s::subscriptions.find(&id))
                        .set(s::claimed_until.eq(None::<crate::sql_types::UtcDateTime>))
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    async fn next_action_after(
        &self,
        after: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, RepoError> {
        self.0
            .run(move |conn| {
                use subscriptions::dsl as s;
                let t: Option<crate::sql_types::UtcDateTime> = s::subscriptions
                    .filter(s::next_action_at.gt(ts(after)))
                    .select(s::next_action_at)
                    .order(s::next_action_at.asc())
                    .first::<Option<crate::sql_types::UtcDateTime>>(conn)
                    .optional()?
                    .flatten();
                Ok(t.map(|t| t.0))
            })
            .await
    }
}
