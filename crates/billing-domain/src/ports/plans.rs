//! Subscription plans: a small operator-managed catalog.

use crate::entities::{AuditEntry, Plan};
use crate::error::RepoError;
use crate::types::PlanId;

/// The `Conflict` message every store reports when a plan's slug is already taken.
pub const PLAN_SLUG_TAKEN: &str = "slug is already used by another plan";

/// Stores plans. Every write carries its audit entry, written in the same transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait PlanRepository: Send + Sync {
    /// Inserts a plan. `Conflict` ([`PLAN_SLUG_TAKEN`]) if the slug is taken.
    async fn insert(&self, plan: &Plan, audit: &AuditEntry) -> Result<(), RepoError>;
    /// Replaces every field but the id and the creation time. `NotFound` if absent,
    /// `Conflict` ([`PLAN_SLUG_TAKEN`]) on a taken slug.
    async fn update(&self, plan: &Plan, audit: &AuditEntry) -> Result<(), RepoError>;
    /// Reads one plan.
    async fn get(&self, id: &PlanId) -> Result<Option<Plan>, RepoError>;
    /// Every plan (active only when asked), in id order. Catalogs are small.
    async fn list(&self, active_only: bool) -> Result<Vec<Plan>, RepoError>;
}
