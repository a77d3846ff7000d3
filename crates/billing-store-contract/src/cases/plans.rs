//! PlanRepository: insert, get, update, list, slug uniqueness, audit in the same write.

use billing_domain::RepoError;
use billing_domain::entities::{DunningPolicy, FinalAction, Plan, RolloverPolicy};
use billing_domain::ports::plans::PLAN_SLUG_TAKEN;
use billing_domain::types::{
    BillingInterval, Currency, IntervalUnit, Money, PlanId, PriceList, Slug,
};
use time::OffsetDateTime;

use crate::Harness;
use crate::fixtures::*;

/// A plan priced in USD and NGN, with every optional field set.
pub fn plan(when: OffsetDateTime, slug: &str, active: bool) -> Plan {
    let ngn = Currency::parse("NGN").unwrap();
    Plan {
        id: PlanId::generate(when),
        name: text("Pro"),
        slug: Slug::new(slug, "slug").unwrap(),
        description: Some(text("For teams")),
        prices: PriceList::new(vec![
            Money::new(2900, usd(), "p").unwrap(),
            Money::new(4_500_000, ngn, "p").unwrap(),
        ])
        .unwrap(),
        interval: BillingInterval {
            unit: IntervalUnit::Month,
            count: 3,
        },
        credits_per_period: 2000,
        features: vec!["api_access".into(), "seats:5".into()],
        trial_days: 14,
        dunning: DunningPolicy {
            retry_days: vec![2, 4],
            final_action: FinalAction::Unpaid,
        },
        rollover: RolloverPolicy::Capped { max: 100 },
        active,
        featured: true,
        sort_order: 3,
        stripe_product_id: Some("prod_123".into()),
        paypal_product_id: Some("PROD-9".into()),
        created_at: when,
        updated_at: when,
    }
}

/// Inserts `p` with its audit entry at `when`.
async fn insert(h: &Harness, p: &Plan, when: OffsetDateTime) -> Result<(), RepoError> {
    h.repos
        .plans
        .insert(p, &audit(when, "plan.create", p.id.as_str()))
        .await
}

/// Updates `p` with its audit entry at `when`.
async fn update(h: &Harness, p: &Plan, when: OffsetDateTime) -> Result<(), RepoError> {
    h.repos
        .plans
        .update(p, &audit(when, "plan.update", p.id.as_str()))
        .await
}

pub async fn plan_insert_get_update_list(h: &Harness) {
    let a = plan(at(1), "pro", true);
    let b = plan(at(2), "legacy", false);
    insert(h, &a, at(1)).await.unwrap();
    insert(h, &b, at(2)).await.unwrap();
    assert_eq!(
        h.repos.plans.get(&a.id).await.unwrap(),
        Some(a.clone()),
        "every field round-trips"
    );
    assert_eq!(
        h.repos.plans.get(&PlanId::generate(at(3))).await.unwrap(),
        None
    );
    assert_eq!(
        h.repos.plans.list(false).await.unwrap(),
        vec![a.clone(), b.clone()],
        "id order"
    );
    assert_eq!(
        h.repos.plans.list(true).await.unwrap(),
        vec![a.clone()],
        "active only"
    );
    let mut changed = a.clone();
    changed.prices = PriceList::single(Money::new(3900, usd(), "p").unwrap());
    changed.dunning.final_action = FinalAction::LeavePastDue;
    changed.features.clear();
    changed.rollover = RolloverPolicy::Capped { max: 0 };
    changed.created_at = at(99);
    changed.updated_at = at(5);
    update(h, &changed, at(5)).await.unwrap();
    let stored = h.repos.plans.get(&a.id).await.unwrap().unwrap();
    assert_eq!(
        stored.created_at, a.created_at,
        "creation time is not mutable"
    );
    assert_eq!(
        stored,
        Plan {
            created_at: a.created_at,
            ..changed
        }
    );
    assert_eq!(
        audit_count(h).await,
        3,
        "each write carried its audit entry"
    );
}

pub async fn plan_slug_conflict_and_missing_write_nothing(h: &Harness) {
    let a = plan(at(1), "pro", true);
    insert(h, &a, at(1)).await.unwrap();
    let clash = plan(at(2), "pro", true);
    assert_eq!(
        insert(h, &clash, at(2)).await,
        Err(RepoError::Conflict(PLAN_SLUG_TAKEN.into()))
    );
    let other = plan(at(3), "other", true);
    insert(h, &other, at(3)).await.unwrap();
    let mut renamed = other.clone();
    renamed.slug = a.slug.clone();
    assert_eq!(
        update(h, &renamed, at(4)).await,
        Err(RepoError::Conflict(PLAN_SLUG_TAKEN.into()))
    );
    let ghost = plan(at(5), "ghost", true);
    assert_eq!(update(h, &ghost, at(5)).await, Err(RepoError::NotFound));
    assert_eq!(h.repos.plans.get(&clash.id).await.unwrap(), None);
    assert_eq!(h.repos.plans.get(&other.id).await.unwrap(), Some(other));
    assert_eq!(
        audit_count(h).await,
        2,
        "refused writes wrote no audit entry"
    );
}
