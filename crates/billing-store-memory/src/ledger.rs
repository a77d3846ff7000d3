//! [`LedgerRepository`] in memory: postings, balances, entries, low-balance events and
//! verification. Reservations (holds) are in `reservations.rs`; both share the helpers here.

use time::OffsetDateTime;

use billing_domain::entities::credit_lot::spend_order;
use billing_domain::entities::{
    CreditBalance, CreditLot, LedgerEntry, LedgerKind, LotAllocation, OutboxEvent, Reservation,
};
use billing_domain::error::RepoError;
use billing_domain::ports::lot_rules::{LotChange, LotTerms};
use billing_domain::ports::{
    DriftReport, HoldOutcome, LedgerFilter, LedgerRepository, NewHold, Posting, PostingMode,
    PostingOutcome, ReservationOutcome, SettleReservation,
};
use billing_domain::types::{AccountId, EventId, LedgerEntryId, Page, PageRequest, ReservationId};

use super::Shared;
use super::reservations;
use super::state::{AccountLedger, Order, State, add, paginate, sub};

/// The credit ledger. Every method runs under the store's one lock, so each is atomic.
pub(crate) struct MemoryLedger(pub(crate) Shared);

/// An entry about to be appended; balance_after and held_after are computed on append.
pub(crate) struct NewEntry {
    pub id: LedgerEntryId,
    pub kind: LedgerKind,
    pub amount: i64,
    pub held_delta: i64,
    pub source_ref: String,
    pub reservation_id: Option<ReservationId>,
    pub description: String,
    pub metadata: serde_json::Value,
    pub actor: String,
    pub at: OffsetDateTime,
    /// For a grant: its lot's expiry and rollover.
    pub lot: LotTerms,
    /// The lot changes, when the store decides them itself (expiries); else the domain's
    /// lot rules decide from the entry.
    pub explicit: Option<Vec<LotChange>>,
}

impl State {
    /// The ledger of an existing account.
    pub(crate) fn ledger(&self, account: &AccountId) -> Result<&AccountLedger, RepoError> {
        self.ledgers.get(account).ok_or(RepoError::NotFound)
    }

    /// Balance, held and available of an account.
    pub(crate) fn credit_balance(&self, account: &AccountId) -> Result<CreditBalance, RepoError> {
        let l = self.ledger(account)?;
        sub(l.balance, l.held)?;
        Ok(CreditBalance::new(l.balance, l.held))
    }

    /// `Conflict` if an entry with this id exists (in any account).
    pub(crate) fn check_entry_id(&self, id: &LedgerEntryId) -> Result<(), RepoError> {
        if self.entry_ids.contains(id) {
            Err(RepoError::Conflict(format!(
                "ledger entry {id} already exists"
            )))
        } else {
            Ok(())
        }
    }

    /// Appends one entry and moves the cached balance and held amount with it. Refuses (writing
    /// nothing) a taken id or source reference, overflow, and any result breaking
    /// `0 <= held <= balance`.
    pub(crate) fn append(
        &mut self,
        account: &AccountId,
        e: NewEntry,
    ) -> Result<LedgerEntry, RepoError> {
        self.check_entry_id(&e.id)?;
        let l = self.ledgers.get_mut(account).ok_or(RepoError::NotFound)?;
        if l.by_source.contains_key(&e.source_ref) {
            return Err(RepoError::Conflict(format!(
                "source_ref {} already used",
                e.source_ref
            )));
        }
        let balance_after = add(l.balance, e.amount)?;
        let held_after = add(l.held, e.held_delta)?;
        if balance_after < 0 || held_after < 0 || held_after > balance_after {
            return Err(RepoError::Other(format!(
                "entry would leave balance {balance_after} and held {held_after}"
            )));
        }
        let planned = self.plan_lots(account, &e)?;
        let l = self.ledgers.get_mut(account).ok_or(RepoError::NotFound)?;
        let entry = LedgerEntry {
            id: e.id,
            account_id: account.clone(),
            kind: e.kind,
            amount: e.amount,
            held_delta: e.held_delta,
            balance_after,
            held_after,
            source_ref: e.source_ref,
            reservation_id: e.reservation_id,
            description: e.description,
            metadata: e.metadata,
            actor: e.actor,
            created_at: e.at,
        };
        l.balance = balance_after;
        l.held = held_after;
        l.by_source
            .insert(entry.source_ref.clone(), entry.id.clone());
        l.entries.insert(entry.id.clone(), entry.clone());
        self.entry_ids.insert(entry.id.clone());
        self.put_lots(account, &entry.id, &planned)?;
        self.expire_late(
            account,
            entry.reservation_id.as_ref(),
            planned.late_expiries,
            entry.created_at,
        )?;
        Ok(entry)
    }

    /// Whether the account has active holds whose expiry is at or before `now`.
    pub(crate) fn has_due_holds(&self, account: &AccountId, now: OffsetDateTime) -> bool {
        self.ledgers
            .get(account)
            .is_some_and(|l| l.reservations.values().any(|r| r.is_due(now)))
    }

    /// Expires every due hold of the account, each in its own `reservation_expiry` entry.
    pub(crate) fn expire_due_of(
        &mut self,
        account: &AccountId,
        now: OffsetDateTime,
    ) -> Result<u64, RepoError> {
        let due: Vec<ReservationId> = match self.ledgers.get(account) {
            Some(l) => l
                .reservations
                .values()
                .filter(|r| r.is_due(now))
                .map(|r| r.id.clone())
                .collect(),
            None => return Ok(0),
        };
        for id in &due {
            self.expire_reservation(account, id, now)?;
        }
        Ok(due.len() as u64)
    }

    /// Available credits, expiring due holds first when fewer than `need` are available.
    pub(crate) fn available_for(
        &mut self,
        account: &AccountId,
        need: i64,
        now: OffsetDateTime,
    ) -> Result<i64, RepoError> {
        // Credits past their expiry are never spent: due lots expire first.
        self.expire_lots_of(account, now)?;
        let mut available = self.credit_balance(account)?.available;
        if available < need && self.has_due_holds(account, now) {
            self.expire_due_of(account, now)?;
            available = self.credit_balance(account)?.available;
        }
        Ok(available)
    }
}

/// Applies one posting (see [`LedgerRepository::post`]).
pub(crate) fn post(s: &mut State, p: &Posting) -> Result<PostingOutcome, RepoError> {
    let ledger = s.ledger(&p.account_id)?;
    if let Some(entry) = ledger
        .by_source
        .get(&p.source_ref)
        .and_then(|id| ledger.entries.get(id))
    {
        return Ok(PostingOutcome::Duplicate(entry.clone()));
    }
    if p.amount == 0 {
        return Err(RepoError::Other("a posting's amount is never zero".into()));
    }
    s.check_entry_id(&p.entry_id)?;
    s.check_audit(p.audit.as_ref())?;
    let amount = if p.amount < 0 {
        let need = p
            .amount
            .checked_neg()
            .ok_or_else(|| RepoError::Other("posting amount overflows".into()))?;
        let available = s.available_for(&p.account_id, need, p.at)?;
        match p.mode {
            _ if available >= need => p.amount,
            PostingMode::Exact => {
                return Ok(PostingOutcome::Insufficient(
                    s.credit_balance(&p.account_id)?,
                ));
            }
            PostingMode::UpToAvailable => -available.max(0),
        }
    } else {
        p.amount
    };
    let before = s.ledger(&p.account_id)?.balance;
    let entry = s.append(
        &p.account_id,
        NewEntry {
            id: p.entry_id.clone(),
            kind: p.kind,
            amount,
            held_delta: 0,
            source_ref: p.source_ref.clone(),
            reservation_id: None,
            description: p.description.clone(),
            metadata: p.metadata.clone(),
            actor: p.actor.clone(),
            at: p.at,
            lot: p.lot,
            explicit: None,
        },
    )?;
    let crossed = record_low_balance(s, before, &entry);
    s.put_audit(p.audit.as_ref());
    Ok(PostingOutcome::Applied {
        entry,
        low_balance_crossed: crossed,
    })
}

fn entry_matches(f: &LedgerFilter, e: &LedgerEntry) -> bool {
    (f.kinds.is_empty() || f.kinds.contains(&e.kind))
        && f.from.is_none_or(|from| e.created_at >= from)
        && f.to.is_none_or(|to| e.created_at < to)
}

#[async_trait::async_trait]
impl LedgerRepository for MemoryLedger {
    async fn post(&self, posting: &Posting) -> Result<PostingOutcome, RepoError> {
        self.0.with(|s| post(s, posting))
    }

    async fn find_by_source(
        &self,
        account: &AccountId,
        source_ref: &str,
    ) -> Result<Option<LedgerEntry>, RepoError> {
        let s = self.0.lock();
        Ok(s.ledgers
            .get(account)
            .and_then(|l| l.by_source.get(source_ref).and_then(|id| l.entries.get(id)))
            .cloned())
    }

    async fn balance(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
    ) -> Result<CreditBalance, RepoError> {
        self.0.with(|s| {
            s.expire_due_of(account, now)?;
            s.expire_lots_of(account, now)?;
            s.credit_balance(account)
        })
    }

    /// Entries newest first; an unknown account has none.
    async fn list_entries(
        &self,
        account: &AccountId,
        filter: &LedgerFilter,
        page: &PageRequest,
    ) -> Result<Page<LedgerEntry>, RepoError> {
        let s = self.0.lock();
        let Some(l) = s.ledgers.get(account) else {
            return Ok(Page {
                data: Vec::new(),
                has_more: false,
            });
        };
        Ok(paginate(
            l.entries.values().filter(|e| entry_matches(filter, e)),
            |e| e.id.as_str(),
            Order::NewestFirst,
            page,
        ))
    }

    /// Sets `Account::low_balance_threshold`; `NotFound` if the account does not exist.
    async fn set_low_balance_threshold(
        &self,
        account: &AccountId,
        threshold: Option<i64>,
    ) -> Result<(), RepoError> {
        self.0.with(|s| {
            s.accounts
                .get_mut(account)
                .ok_or(RepoError::NotFound)?
                .low_balance_threshold = threshold;
            Ok(())
        })
    }

    async fn hold(&self, hold: &NewHold) -> Result<HoldOutcome, RepoError> {
        self.0.with(|s| reservations::hold(s, hold))
    }

    async fn get_reservation(
        &self,
        account: &AccountId,
        id: &ReservationId,
    ) -> Result<Option<Reservation>, RepoError> {
        let s = self.0.lock();
        Ok(s.ledgers
            .get(account)
            .and_then(|l| l.reservations.get(id))
            .cloned())
    }

    async fn settle(
        &self,
        account: &AccountId,
        id: &ReservationId,
        how: SettleReservation,
        entry_id: LedgerEntryId,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<ReservationOutcome, RepoError> {
        self.0
            .with(|s| reservations::settle(s, account, id, how, entry_id, actor, at))
    }

    async fn expire_due(&self, now: OffsetDateTime, limit: u32) -> Result<u64, RepoError> {
        self.0.with(|s| reservations::expire_due(s, now, limit))
    }

    async fn lots(&self, account: &AccountId) -> Result<Vec<CreditLot>, RepoError> {
        let s = self.0.lock();
        // The newest 500 (ids are in creation order), as the database stores list them.
        let mut lots: Vec<CreditLot> = s
            .ledgers
            .get(account)
            .map(|l| l.lots.values().rev().take(500).cloned().collect())
            .unwrap_or_default();
        lots.sort_by(spend_order);
        Ok(lots)
    }

    async fn allocations(
        &self,
        account: &AccountId,
        entry: &LedgerEntryId,
    ) -> Result<Option<Vec<LotAllocation>>, RepoError> {
        let s = self.0.lock();
        Ok(s.ledgers
            .get(account)
            .filter(|l| l.entries.contains_key(entry))
            .map(|l| l.allocations.get(entry).cloned().unwrap_or_default()))
    }

    async fn expire_lots_due(&self, now: OffsetDateTime, limit: u32) -> Result<u64, RepoError> {
        self.0.with(|s| super::lots::expire_lots_due(s, now, limit))
    }

    async fn verify(&self) -> Result<(Vec<DriftReport>, u64), RepoError> {
        let s = self.0.lock();
        let mut drift = Vec::new();
        for (account, l) in &s.ledgers {
            drift.extend(super::drift::drift_of(account, l)?);
        }
        drift.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        Ok((drift, s.ledgers.len() as u64))
    }
}

/// Writes a `credits.low_balance` outbox event when `entry` took the balance from `before`
/// (at or above the account's threshold) to below it; returns whether it did. Used by
/// postings and by reservation commits, which lower the balance the same way.
pub(crate) fn record_low_balance(s: &mut State, before: i64, entry: &LedgerEntry) -> bool {
    let threshold = s
        .accounts
        .get(&entry.account_id)
        .and_then(|a| a.low_balance_threshold);
    let Some(t) = threshold.filter(|t| before >= *t && entry.balance_after < *t) else {
        return false;
    };
    let event = OutboxEvent {
        id: EventId::generate(entry.created_at),
        kind: "credits.low_balance".into(),
        account_id: Some(entry.account_id.clone()),
        payload: serde_json::json!({
            "account_id": entry.account_id,
            "balance": entry.balance_after,
            "available": entry.balance_after - entry.held_after,
            "threshold": t,
            "entry_id": entry.id,
        }),
        created_at: entry.created_at,
        delivered_at: None,
    };
    s.outbox.insert(event.id.clone(), event);
    true
}
