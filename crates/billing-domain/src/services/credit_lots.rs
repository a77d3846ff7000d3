//! Credit lots as an account owner and an operator see them: the balance split by lot with
//! what expires next, what one entry took from which lot, and the expiry sweep.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::audit::RequestContext;
use crate::entities::{CreditLot, LotAllocation};
use crate::error::{BillingError, BillingResult};
use crate::ports::{Clock, Repositories};
use crate::services::credits::{account_in, not_found};
use crate::types::LedgerEntryId;
use std::sync::Arc;

/// The credits that expire next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextExpiry {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// How many credits expire then if none is spent before (held ones included: they
    /// expire when their hold gives them back).
    pub credits: i64,
}

/// An account's balance split by lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditsByLot {
    /// Σ entries.
    pub balance: i64,
    /// Σ active holds.
    pub held: i64,
    /// `balance − held`.
    pub available: i64,
    /// The lots with credits left, in the order they are spent (Σ remaining = balance).
    pub lots: Vec<CreditLot>,
    /// The soonest expiry among those lots, if any expires.
    pub next_expiry: Option<NextExpiry>,
}

/// Credit lot use cases.
#[derive(Clone)]
pub struct CreditLotService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
}

impl CreditLotService {
    /// Builds the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>) -> Self {
        Self { repos, clock }
    }

    /// Balance, held and available credits, split by lot (due lots expire first).
    pub async fn by_lot(
        &self,
        ctx: &RequestContext,
        account_id: &str,
    ) -> BillingResult<CreditsByLot> {
        let id = account_in(ctx, account_id)?;
        let now = self.clock.now();
        let b = self
            .repos
            .ledger
            .balance(&id, now)
            .await
            .map_err(|e| not_found(e, &id))?;
        let lots: Vec<CreditLot> = self
            .repos
            .ledger
            .lots(&id)
            .await?
            .into_iter()
            .filter(|l| l.remaining > 0)
            .collect();
        let next_expiry = lots
            .iter()
            .filter(|l| l.expired_at.is_none())
            .filter_map(|l| l.expires_at)
            .min()
            .map(|at| NextExpiry {
                at,
                credits: lots
                    .iter()
                    .filter(|l| l.expired_at.is_none() && l.expires_at == Some(at))
                    .map(|l| l.remaining)
                    .sum(),
            });
        Ok(CreditsByLot {
            balance: b.balance,
            held: b.held,
            available: b.available,
            lots,
            next_expiry,
        })
    }

    /// What entry `entry_id` of the account took from or gave to each lot.
    pub async fn allocations(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        entry_id: &str,
    ) -> BillingResult<Vec<LotAllocation>> {
        let id = account_in(ctx, account_id)?;
        // An id that cannot be a ledger entry names no entry: 404, like an unknown one.
        let missing = || BillingError::not_found("ledger entry", entry_id);
        let entry = LedgerEntryId::parse(entry_id, "entry_id").map_err(|_| missing())?;
        self.repos
            .ledger
            .allocations(&id, &entry)
            .await?
            .ok_or_else(missing)
    }

    /// Expires up to `limit` lots whose expiry has come (the janitor and the test clock).
    pub async fn expire_due(&self, limit: u32) -> BillingResult<u64> {
        Ok(self
            .repos
            .ledger
            .expire_lots_due(self.clock.now(), limit)
            .await?)
    }
}
