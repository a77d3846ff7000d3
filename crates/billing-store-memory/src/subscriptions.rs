//! [`SubscriptionRepository`] in memory: version-guarded, all-or-nothing subscription steps.

use time::OffsetDateTime;

use billing_domain::entities::{Subscription, SubscriptionPeriod};
use billing_domain::error::RepoError;
use billing_domain::ports::subscriptions::ALREADY_SUBSCRIBED;
use billing_domain::ports::{
    SubscriptionChange, SubscriptionChangeOutcome, SubscriptionFilter, SubscriptionRepository,
};
use billing_domain::types::{Page, PageRequest, SubscriptionId};

use super::Shared;
use super::ledger::post;
use super::payment_flow::insert_invoice;
use super::state::{Order, State, StoredSubscription, account_exists, exists, paginate};

/// Subscriptions and their periods.
pub(crate) struct MemorySubscriptions(pub(crate) Shared);

/// Every guard of `c`, checked before anything is written. `Ok(Some(outcome))` ends the call.
fn check(
    s: &State,
    c: &SubscriptionChange,
) -> Result<Option<SubscriptionChangeOutcome>, RepoError> {
    let sub = &c.subscription;
    match (c.expected_version, s.subscriptions.get(&sub.id)) {
        (None, Some(_)) => return Err(exists("subscription", &sub.id)),
        (None, None) => {
            account_exists(s, &sub.account_id)?;
            if !s.plans.contains_key(&sub.plan_id) {
                return Err(RepoError::NotFound);
            }
        }
        (Some(v), Some(stored)) if stored.sub.version == v => {}
        (Some(_), _) => return Ok(Some(SubscriptionChangeOutcome::Stale)),
    }
    if sub.is_live()
        && s.subscriptions.values().any(|o| {
            o.sub.id != sub.id
                && o.sub.account_id == sub.account_id
                && o.sub.plan_id == sub.plan_id
                && o.sub.is_live()
        })
    {
        return Err(RepoError::Conflict(ALREADY_SUBSCRIBED.into()));
    }
    if let Some(p) = &c.period
        && s.periods
            .contains_key(&(p.subscription_id.clone(), p.start))
    {
        return Ok(Some(SubscriptionChangeOutcome::PeriodTaken));
    }
    for ic in &c.invoice_changes {
        match s.invoices.get(&ic.invoice.id) {
            Some(i) if ic.admits(i.status, i.amount_paid) => {}
            _ => return Ok(Some(SubscriptionChangeOutcome::Stale)),
        }
    }
    for e in &c.events {
        if s.outbox.contains_key(&e.id) {
            return Err(exists("event", &e.id));
        }
    }
    s.check_audit(c.audit.as_ref())?;
    Ok(None)
}

fn apply(s: &mut State, c: &SubscriptionChange) -> Result<SubscriptionChangeOutcome, RepoError> {
    if let Some(done) = check(s, c)? {
        return Ok(done);
    }
    // The two steps that can still refuse go first, so a refusal writes nothing else.
    let invoice = c
        .invoice
        .as_ref()
        .map(|n| {
            insert_invoice(
                s,
                &n.invoice,
                Some(&n.number_prefix),
                n.payment.clone(),
                None,
            )
        })
        .transpose()?;
    if let Some(p) = &c.posting {
        post(s, p)?;
    }
    let mut stored = c.subscription.clone();
    stored.version = c.expected_version.map_or(1, |v| v + 1);
    if let Some(prev) = s.subscriptions.get(&stored.id) {
        stored.created_at = prev.sub.created_at;
    }
    if let Some(p) = &c.period {
        s.periods
            .insert((p.subscription_id.clone(), p.start), p.clone());
    }
    for ic in &c.invoice_changes {
        s.invoices.insert(ic.invoice.id.clone(), ic.invoice.clone());
    }
    for e in &c.events {
        s.outbox.insert(e.id.clone(), e.clone());
    }
    s.put_audit(c.audit.as_ref());
    s.subscriptions.insert(
        stored.id.clone(),
        StoredSubscription {
            sub: stored.clone(),
            claimed_until: None,
        },
    );
    Ok(SubscriptionChangeOutcome::Applied {
        subscription: stored,
        invoice,
    })
}

fn matches(f: &SubscriptionFilter, sub: &Subscription) -> bool {
    f.account_id.as_ref().is_none_or(|a| a == &sub.account_id)
        && f.status.is_none_or(|st| st == sub.status)
        && f.plan_id.as_ref().is_none_or(|p| p == &sub.plan_id)
        && f.from.is_none_or(|t| sub.created_at >= t)
        && f.to.is_none_or(|t| sub.created_at < t)
        && f.gateway_payment_method
            .as_ref()
            .is_none_or(|m| sub.gateway_payment_method.as_ref() == Some(m))
}

#[async_trait::async_trait]
impl SubscriptionRepository for MemorySubscriptions {
    async fn apply(
        &self,
        change: &SubscriptionChange,
    ) -> Result<SubscriptionChangeOutcome, RepoError> {
        self.0.with(|s| apply(s, change))
    }

    async fn get(&self, id: &SubscriptionId) -> Result<Option<Subscription>, RepoError> {
        Ok(self.0.lock().subscriptions.get(id).map(|r| r.sub.clone()))
    }

    async fn list(
        &self,
        filter: &SubscriptionFilter,
        page: &PageRequest,
    ) -> Result<Page<Subscription>, RepoError> {
        let s = self.0.lock();
        let rows: Vec<Subscription> = s
            .subscriptions
            .values()
            .map(|r| r.sub.clone())
            .filter(|sub| matches(filter, sub))
            .collect();
        Ok(paginate(
            rows.iter(),
            |x: &Subscription| x.id.as_str(),
            Order::NewestFirst,
            page,
        ))
    }

    async fn periods(&self, id: &SubscriptionId) -> Result<Vec<SubscriptionPeriod>, RepoError> {
        let s = self.0.lock();
        let mut rows: Vec<SubscriptionPeriod> = s
            .periods
            .values()
            .filter(|p| &p.subscription_id == id)
            .cloned()
            .collect();
        rows.sort_by_key(|p| p.start);
        Ok(rows)
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        claim_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Subscription>, RepoError> {
        self.0.with(|s| {
            let mut due: Vec<&mut StoredSubscription> = s
                .subscriptions
                .values_mut()
                .filter(|r| {
                    r.sub.next_action_at.is_some_and(|t| t <= now)
                        && r.claimed_until.is_none_or(|c| c <= now)
                })
                .collect();
            due.sort_by(|a, b| {
                (a.sub.next_action_at, &a.sub.id).cmp(&(b.sub.next_action_at, &b.sub.id))
            });
            Ok(due
                .into_iter()
                .take(limit as usize)
                .map(|r| {
                    r.claimed_until = Some(claim_until);
                    r.sub.clone()
                })
                .collect())
        })
    }

    async fn release(&self, id: &SubscriptionId) -> Result<(), RepoError> {
        self.0.with(|s| {
            if let Some(r) = s.subscriptions.get_mut(id) {
                r.claimed_until = None;
            }
        });
        Ok(())
    }

    async fn next_action_after(
        &self,
        after: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, RepoError> {
        Ok(self
            .0
            .lock()
            .subscriptions
            .values()
            .filter_map(|r| r.sub.next_action_at)
            .filter(|t| *t > after)
            .min())
    }
}
