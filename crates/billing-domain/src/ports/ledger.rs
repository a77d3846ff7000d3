//! The credit ledger port: the hottest path of the system.
//!
//! Each method is one transaction: a conditional update of the balance row (Postgres: one
//! statement or `FOR UPDATE`; SQLite: `BEGIN IMMEDIATE`) plus the entry insert, so the
//! balance can neither go negative nor drift from the sum of the entries.

use time::OffsetDateTime;

use crate::entities::{
    AuditEntry, CreditBalance, CreditLot, LedgerEntry, LedgerKind, LotAllocation, Reservation,
};
use crate::error::RepoError;
use crate::ports::lot_rules::LotTerms;
use crate::types::{AccountId, LedgerEntryId, Page, PageRequest, ReservationId};

/// How a negative posting treats a short balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostingMode {
    /// All or nothing: if `available < -amount`, nothing is written.
    Exact,
    /// Take what is available, down to zero (refund clawbacks); the entry records what was taken.
    UpToAvailable,
}

/// One balance change to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Posting {
    /// Id of the entry to write.
    pub entry_id: LedgerEntryId,
    /// The account.
    pub account_id: AccountId,
    /// Why.
    pub kind: LedgerKind,
    /// Signed change of the balance; never zero.
    pub amount: i64,
    /// Behaviour on a short balance (only for negative amounts).
    pub mode: PostingMode,
    /// Unique per account; a second posting with it is a duplicate.
    pub source_ref: String,
    /// Human-readable text.
    pub description: String,
    /// Caller data.
    pub metadata: serde_json::Value,
    /// Who.
    pub actor: String,
    /// When.
    pub at: OffsetDateTime,
    /// Operator postings (adjustments): the audit entry, written in the same transaction
    /// only when the posting is applied.
    pub audit: Option<AuditEntry>,
    /// For a grant: when its lot expires and what rolls over (default: never expires).
    pub lot: LotTerms,
}

/// What a posting did.
#[derive(Debug, Clone, PartialEq)]
pub enum PostingOutcome {
    /// Written. `low_balance_crossed` when the balance fell from ≥ the account's threshold to
    /// below it; the store then also wrote a `credits.low_balance` outbox event in the same
    /// transaction.
    Applied {
        /// The new entry.
        entry: LedgerEntry,
        /// Whether the low-balance threshold was crossed downwards.
        low_balance_crossed: bool,
    },
    /// `(account, source_ref)` was already applied; here is the original entry. Nothing written.
    Duplicate(LedgerEntry),
    /// Not enough available credits (`Exact` mode). Nothing written.
    Insufficient(CreditBalance),
}

/// A new hold.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHold {
    /// The reservation to create (status active).
    pub reservation: Reservation,
    /// Id of its `reservation_hold` entry.
    pub entry_id: LedgerEntryId,
    /// Who.
    pub actor: String,
}

/// What creating a hold did.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // returned once per call, never stored in bulk
pub enum HoldOutcome {
    /// Created, with its entry.
    Applied(Reservation, LedgerEntry),
    /// A reservation with this reference exists for the account; nothing written.
    Duplicate(Reservation),
    /// Not enough available credits; nothing written.
    Insufficient(CreditBalance),
}

/// How to end a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleReservation {
    /// Spend `amount` (≤ the held amount); the rest is freed.
    Commit {
        /// Credits spent.
        amount: i64,
    },
    /// Give everything back.
    Release,
}

/// What settling a reservation did.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // returned once per call, never stored in bulk
pub enum ReservationOutcome {
    /// Settled now, with the entry written.
    Settled(Reservation, LedgerEntry),
    /// Already settled the same way earlier (a retry); nothing written.
    AlreadySettled(Reservation),
    /// Not active any more (expired, or settled the other way); nothing written.
    NotActive(Reservation),
    /// Commit amount above the held amount; nothing written.
    ExceedsHold(Reservation),
    /// No such reservation for this account.
    NotFound,
}

/// Filters of the ledger listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    /// Only these kinds (empty: all).
    pub kinds: Vec<LedgerKind>,
    /// Created at or after.
    pub from: Option<OffsetDateTime>,
    /// Created before.
    pub to: Option<OffsetDateTime>,
}

/// An account whose cached balance disagrees with its entries or holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftReport {
    /// The account.
    pub account_id: AccountId,
    /// Cached balance.
    pub balance: i64,
    /// Σ entry amounts.
    pub entries_balance: i64,
    /// Cached held amount.
    pub held: i64,
    /// Σ entry held deltas.
    pub entries_held: i64,
    /// Σ active reservations.
    pub active_holds: i64,
    /// Σ remaining credits of the account's lots (must equal `balance`).
    pub lots_remaining: i64,
    /// Σ held credits of the account's lots (must equal `held`).
    pub lots_held: i64,
    /// Entries whose allocations do not sum to their amount and held change, plus lots whose
    /// allocations do not sum to their remaining and held credits.
    pub misallocated: u64,
}

/// The ledger store.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait LedgerRepository: Send + Sync {
    /// Applies one posting atomically (see [`PostingOutcome`]). If the balance is short and the
    /// account has holds past their expiry, they are expired first (in their own entries) and
    /// the posting retried once. `NotFound` if the account does not exist.
    async fn post(&self, posting: &Posting) -> Result<PostingOutcome, RepoError>;
    /// The entry written for `(account, source_ref)`, if any.
    async fn find_by_source(
        &self,
        account: &AccountId,
        source_ref: &str,
    ) -> Result<Option<LedgerEntry>, RepoError>;
    /// Balance, held and available, after expiring this account's holds that are past `now`.
    /// `NotFound` if the account does not exist.
    async fn balance(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
    ) -> Result<CreditBalance, RepoError>;
    /// Entries newest first; `starting_after` is an entry id.
    async fn list_entries(
        &self,
        account: &AccountId,
        filter: &LedgerFilter,
        page: &PageRequest,
    ) -> Result<Page<LedgerEntry>, RepoError>;
    /// Sets the account's low-balance threshold (`None` to disable).
    async fn set_low_balance_threshold(
        &self,
        account: &AccountId,
        threshold: Option<i64>,
    ) -> Result<(), RepoError>;
    /// Creates a hold if `available ≥ amount` (expiring due holds first, as in `post`).
    async fn hold(&self, hold: &NewHold) -> Result<HoldOutcome, RepoError>;
    /// Reads one reservation of `account`.
    async fn get_reservation(
        &self,
        account: &AccountId,
        id: &ReservationId,
    ) -> Result<Option<Reservation>, RepoError>;
    /// Commits or releases an active, unexpired reservation, writing one entry with `entry_id`.
    /// A reservation past its expiry is expired instead and reported as `NotActive`.
    async fn settle(
        &self,
        account: &AccountId,
        id: &ReservationId,
        how: SettleReservation,
        entry_id: LedgerEntryId,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<ReservationOutcome, RepoError>;
    /// Expires up to `limit` active reservations past `now` (any account); returns how many.
    async fn expire_due(&self, now: OffsetDateTime, limit: u32) -> Result<u64, RepoError>;
    /// The account's lots in spend order, spent and expired ones included (newest 500).
    async fn lots(&self, account: &AccountId) -> Result<Vec<CreditLot>, RepoError>;
    /// What entry `entry` of `account` took from or gave to each lot; `None` if the account
    /// has no such entry.
    async fn allocations(
        &self,
        account: &AccountId,
        entry: &LedgerEntryId,
    ) -> Result<Option<Vec<LotAllocation>>, RepoError>;
    /// Expires up to `limit` lots whose `expires_at` is at or before `now` (any account): one
    /// `expiry` entry for what is free in each, a rollover grant where the lot carries one.
    /// Returns how many lots expired.
    async fn expire_lots_due(&self, now: OffsetDateTime, limit: u32) -> Result<u64, RepoError>;
    /// Checks every account's invariants; returns the ones that drift and how many were checked.
    async fn verify(&self) -> Result<(Vec<DriftReport>, u64), RepoError>;
}
