//! Domain ⇄ row conversions for plans.

use billing_domain::entities::{DunningPolicy, FinalAction, Plan, RolloverPolicy};
use billing_domain::types::{BillingInterval, IntervalUnit, PlanId, Slug};

use crate::convert::{from_json, opt_text, parse_enum, price_list, text, to_json, ts};
use crate::error::{DbResult, corrupt};
use crate::rows::PlanRow;

pub(crate) fn plan_row(p: &Plan) -> DbResult<PlanRow> {
    Ok(PlanRow {
        id: p.id.to_string(),
        name: p.name.to_string(),
        slug: p.slug.to_string(),
        description: p.description.as_ref().map(ToString::to_string),
        prices: to_json(&p.prices, "prices")?,
        interval_unit: p.interval.unit.as_str().to_owned(),
        interval_count: i32::from(p.interval.count),
        credits_per_period: p.credits_per_period,
        features: to_json(&p.features, "features")?,
        trial_days: i32::from(p.trial_days),
        retry_days: to_json(&p.dunning.retry_days, "retry_days")?,
        final_action: p.dunning.final_action.as_str().to_owned(),
        active: p.active,
        featured: p.featured,
        sort_order: p.sort_order,
        stripe_product_id: p.stripe_product_id.clone(),
        paypal_product_id: p.paypal_product_id.clone(),
        created_at: ts(p.created_at),
        updated_at: ts(p.updated_at),
        rollover_max: p.rollover.cap(),
    })
}

pub(crate) fn plan(r: PlanRow) -> DbResult<Plan> {
    Ok(Plan {
        id: PlanId::from_trusted(r.id),
        name: text(&r.name, "plan name")?,
        slug: Slug::new(&r.slug, "slug").map_err(|e| corrupt("slug", e))?,
        description: opt_text(r.description.as_deref(), "plan description")?,
        prices: price_list(&r.prices)?,
        interval: BillingInterval {
            unit: parse_enum(&r.interval_unit, "interval", IntervalUnit::parse)?,
            count: u16::try_from(r.interval_count).map_err(|e| corrupt("interval_count", e))?,
        },
        credits_per_period: r.credits_per_period,
        features: from_json(&r.features, "features")?,
        trial_days: u16::try_from(r.trial_days).map_err(|e| corrupt("trial_days", e))?,
        dunning: DunningPolicy {
            retry_days: from_json(&r.retry_days, "retry_days")?,
            final_action: parse_enum(&r.final_action, "final_action", FinalAction::parse)?,
        },
        rollover: RolloverPolicy::parse(r.rollover_max, "rollover_max")
            .map_err(|e| corrupt("rollover_max", e))?,
        active: r.active,
        featured: r.featured,
        sort_order: r.sort_order,
        stripe_product_id: r.stripe_product_id,
        paypal_product_id: r.paypal_product_id,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}
