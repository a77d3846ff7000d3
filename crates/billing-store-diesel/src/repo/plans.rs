//! [`PlanRepository`] over Diesel. Every write carries its audit entry, written in the same
//! transaction.

use billing_domain::RepoError;
use billing_domain::entities::{AuditEntry, Plan};
use billing_domain::ports::PlanRepository;
use billing_domain::ports::plans::PLAN_SLUG_TAKEN;
use billing_domain::types::PlanId;
use diesel::prelude::*;

use crate::convert_plans::{plan, plan_row};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::repo::{Db, convert_all, insert_audit};
use crate::rows::PlanRow;
use crate::schema::plans;

/// Plans.
#[derive(Clone)]
pub(crate) struct PlanRepo(pub(crate) Db);

fn slug_taken(e: diesel::result::Error) -> Fail {
    crate::repo::slug_taken(e, PLAN_SLUG_TAKEN)
}

fn update_plan(conn: &mut AnyConnection, row: &PlanRow) -> DbResult<()> {
    use plans::dsl as p;
    let changed = diesel::update(p::plans.find(&row.id))
        .set((
            (
                p::name.eq(&row.name),
                p::slug.eq(&row.slug),
                p::description.eq(&row.description),
                p::prices.eq(&row.prices),
                p::interval_unit.eq(&row.interval_unit),
                p::interval_count.eq(row.interval_count),
                p::credits_per_period.eq(row.credits_per_period),
                p::features.eq(&row.features),
                p::trial_days.eq(row.trial_days),
            ),
            (
                p::retry_days.eq(&row.retry_days),
                p::final_action.eq(&row.final_action),
                p::active.eq(row.active),
                p::featured.eq(row.featured),
                p::sort_order.eq(row.sort_order),
                p::stripe_product_id.eq(&row.stripe_product_id),
                p::paypal_product_id.eq(&row.paypal_product_id),
                p::updated_at.eq(row.updated_at),
                p::rollover_max.eq(row.rollover_max),
            ),
        ))
        .execute(conn)
        .map_err(slug_taken)?;
    if changed == 0 {
        Err(Fail(RepoError::NotFound))
    } else {
        Ok(())
    }
}

#[async_trait::async_trait]
impl PlanRepository for PlanRepo {
    async fn insert(&self, plan: &Plan, audit: &AuditEntry) -> Result<(), RepoError> {
        let (plan, audit) = (plan.clone(), audit.clone());
        self.0
            .run(move |conn| {
                let row = plan_row(&plan)?;
                write_transaction(conn, |conn| {
                    diesel::insert_into(plans::table)
                        .values(&row)
                        .execute(conn)
                        .map_err(slug_taken)?;
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn update(&self, plan: &Plan, audit: &AuditEntry) -> Result<(), RepoError> {
        let (plan, audit) = (plan.clone(), audit.clone());
        self.0
            .run(move |conn| {
                let row = plan_row(&plan)?;
                write_transaction(conn, |conn| {
                    update_plan(conn, &row)?;
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn get(&self, id: &PlanId) -> Result<Option<Plan>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<PlanRow> = plans::table.find(&id).first(conn).optional()?;
                row.map(plan).transpose()
            })
            .await
    }

    async fn list(&self, active_only: bool) -> Result<Vec<Plan>, RepoError> {
        self.0
            .run(move |conn| {
                let mut q = plans::table.order(plans::id.asc()).into_boxed();
                if active_only {
                    q = q.filter(plans::active.eq(true));
                }
                convert_all(q.load::<PlanRow>(conn)?, plan)
            })
            .await
    }
}
