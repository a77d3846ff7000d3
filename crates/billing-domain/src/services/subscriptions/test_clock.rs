//! The test clock: moving time forward steps through every instant a subscription has
//! something due, in order, and runs the scheduler and the janitors at each, so "+3 months"
//! yields three renewals, each at its own instant, with its retries at theirs.

use time::OffsetDateTime;

use crate::entities::OutboxEvent;
use crate::error::{BillingResult, ValidationError};
use crate::ports::TestClock;
use crate::types::PageRequest;

use super::SubscriptionService;

/// The janitors run at each instant the clock stops at (hold expiry, manual payment expiry,
/// the gateway janitors): the HTTP adapter's background sweeps.
#[async_trait::async_trait]
pub trait Sweeps: Send + Sync {
    /// One pass of every sweep at the clock's current time.
    async fn run_once(&self);
}

/// What moving the clock did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockAdvance {
    /// Where the clock was.
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    /// Where it is now.
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// Every instant it stopped at, in order (the target last).
    #[serde(with = "rfc3339_list")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub instants: Vec<OffsetDateTime>,
    /// The events recorded on the way, oldest first.
    pub events: Vec<OutboxEvent>,
}

mod rfc3339_list {
    use serde::Serializer;
    use serde::ser::SerializeSeq;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(v: &[OffsetDateTime], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for t in v {
            seq.serialize_element(&super::super::events::rfc3339(*t))?;
        }
        seq.end()
    }
}

/// Instants one move may stop at before it gives up (ten years of weekly renewals and dunning).
const MAX_INSTANTS: usize = 5_000;

impl SubscriptionService {
    /// Moves `clock` forward to `to`, stopping at every due instant on the way.
    pub async fn advance_clock(
        &self,
        clock: &TestClock,
        to: OffsetDateTime,
        sweeps: &dyn Sweeps,
    ) -> BillingResult<ClockAdvance> {
        let from = self.deps.clock.now();
        if to < from {
            return Err(ValidationError::new(
                "to",
                format!(
                    "the clock never moves backwards; it reads {}",
                    super::events::rfc3339(from)
                ),
            )
            .into());
        }
        let mut instants = Vec::new();
        let mut at = from;
        while instants.len() < MAX_INSTANTS {
            let next = self.deps.repos.subscriptions.next_action_after(at).await?;
            let stop = match next {
                Some(t) if t <= to => t,
                _ => to,
            };
            // Already past `stop` (real time flowed while the last instant ran): fine.
            let _ = clock.set(stop);
            sweeps.run_once().await;
            self.run_due().await?;
            instants.push(stop);
            at = stop;
            if stop == to {
                break;
            }
        }
        Ok(ClockAdvance {
            from,
            to,
            instants,
            events: self.events_between(from, self.deps.clock.now()).await?,
        })
    }

    /// Events recorded in `(from, to]`, oldest first.
    async fn events_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> BillingResult<Vec<OutboxEvent>> {
        let mut out = Vec::new();
        let mut page = PageRequest::first(100);
        loop {
            let batch = self.deps.repos.outbox.list(None, None, &page).await?;
            let done = !batch.has_more || batch.data.last().is_some_and(|e| e.created_at <= from);
            out.extend(
                batch
                    .data
                    .iter()
                    .filter(|e| e.created_at > from && e.created_at <= to)
                    .cloned(),
            );
            match (done, batch.data.last()) {
                (false, Some(last)) => page.starting_after = Some(last.id.to_string()),
                _ => break,
            }
        }
        out.reverse();
        Ok(out)
    }
}
