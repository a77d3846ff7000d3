//! [`PlanRepository`] in memory.

use billing_domain::entities::{AuditEntry, Plan};
use billing_domain::error::RepoError;
use billing_domain::ports::PlanRepository;
use billing_domain::ports::plans::PLAN_SLUG_TAKEN;
use billing_domain::types::PlanId;

use super::Shared;
use super::state::{State, exists};

/// Plans; slugs are unique.
pub(crate) struct MemoryPlans(pub(crate) Shared);

/// `Conflict` if a plan other than `plan` uses its slug.
fn check_slug(state: &State, plan: &Plan) -> Result<(), RepoError> {
    if state
        .plans
        .values()
        .any(|p| p.id != plan.id && p.slug.as_str() == plan.slug.as_str())
    {
        return Err(RepoError::Conflict(PLAN_SLUG_TAKEN.into()));
    }
    Ok(())
}

#[async_trait::async_trait]
impl PlanRepository for MemoryPlans {
    async fn insert(&self, plan: &Plan, audit: &AuditEntry) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.plans.contains_key(&plan.id) {
                return Err(exists("plan", &plan.id));
            }
            check_slug(s, plan)?;
            s.check_audit(Some(audit))?;
            s.plans.insert(plan.id.clone(), plan.clone());
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn update(&self, plan: &Plan, audit: &AuditEntry) -> Result<(), RepoError> {
        self.0.with(|s| {
            let created_at = s.plans.get(&plan.id).ok_or(RepoError::NotFound)?.created_at;
            check_slug(s, plan)?;
            s.check_audit(Some(audit))?;
            s.plans.insert(
                plan.id.clone(),
                Plan {
                    created_at,
                    ..plan.clone()
                },
            );
            s.put_audit(Some(audit));
            Ok(())
        })
    }

    async fn get(&self, id: &PlanId) -> Result<Option<Plan>, RepoError> {
        Ok(self.0.lock().plans.get(id).cloned())
    }

    async fn list(&self, active_only: bool) -> Result<Vec<Plan>, RepoError> {
        Ok(self
            .0
            .lock()
            .plans
            .values()
            .filter(|p| !active_only || p.active)
            .cloned()
            .collect())
    }
}
