//! [`LedgerRepository`] over Diesel. Writes: `post` (hot path), `holds` (reservations);
//! shared building blocks in `core`. Reads and `verify` are here.

mod core;
mod gate;
mod holds;
mod lot_head;
mod lot_reads;
mod lots;
pub(crate) mod post;

use std::collections::BTreeMap;

use billing_domain::RepoError;
use billing_domain::entities::{
    CreditBalance, CreditLot, LedgerEntry, LotAllocation, Reservation, ReservationStatus,
};
use billing_domain::ports::{
    DriftReport, HoldOutcome, LedgerFilter, LedgerRepository, NewHold, Posting, PostingOutcome,
    ReservationOutcome, SettleReservation,
};
use billing_domain::types::{AccountId, LedgerEntryId, Page, PageRequest, ReservationId};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use time::OffsetDateTime;

use self::core::{Locked, find_entry};
use self::gate::AccountGate;
use crate::convert::ts;
use crate::convert_billing::{entry, reservation};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::repo::{Db, convert_all, overfetch};
use crate::rows::EntryRow;
use crate::schema::{accounts, credit_balances, ledger_entries, reservations};

/// The credit ledger. Writes that lock an account's balance row pass its [`AccountGate`]
/// first, so one hot account cannot take the whole pool.
#[derive(Clone)]
pub(crate) struct LedgerRepo {
    db: Db,
    gate: AccountGate,
}

impl LedgerRepo {
    pub(crate) fn new(db: Db) -> Self {
        Self {
            db,
            gate: AccountGate::default(),
        }
    }
}

/// Balance after expiring the account's due holds and lots; a plain read when none are due.
fn balance(
    conn: &mut AnyConnection,
    account: &str,
    now: OffsetDateTime,
) -> DbResult<CreditBalance> {
    use credit_balances::dsl as cb;
    use reservations::dsl as r;
    let due = r::reservations
        .filter(r::account_id.eq(account))
        .filter(r::status.eq(ReservationStatus::Active.as_str()))
        .filter(r::expires_at.le(ts(now)));
    // The balance row knows the soonest lot expiry (see `lot_head`).
    let row: Option<(i64, i64, bool)> = cb::credit_balances
        .find(account)
        .select((
            cb::balance,
            cb::held,
            // `IS NOT NULL AND …`: never NULL, so it reads as a plain bool.
            diesel::dsl::exists(due).or(cb::lots_next_expiry
                .is_not_null()
                .and(cb::lots_next_expiry.le(ts(now)).assume_not_null())),
        ))
        .first(conn)
        .optional()?;
    match row {
        None => Err(Fail(RepoError::NotFound)),
        Some((balance, held, false)) => Ok(CreditBalance::new(balance, held)),
        Some((_, _, true)) => write_transaction(conn, |conn| {
            let mut locked = Locked::lock(conn, account)?.ok_or(Fail(RepoError::NotFound))?;
            locked.expire_due(conn, now)?;
            locked.expire_due_lots(conn, now)?;
            Ok(locked.credit())
        }),
    }
}

fn list_entries(
    conn: &mut AnyConnection,
    account: &str,
    f: &LedgerFilter,
    page: &PageRequest,
) -> DbResult<Page<LedgerEntry>> {
    use ledger_entries::dsl as le;
    let mut q = le::ledger_entries
        .filter(le::account_id.eq(account.to_owned()))
        .order(le::id.desc())
        .limit(overfetch(page.limit))
        .into_boxed();
    if !f.kinds.is_empty() {
        q = q.filter(
            le::kind.eq_any(
                f.kinds
                    .iter()
                    .map(|k| k.as_str().to_owned())
                    .collect::<Vec<_>>(),
            ),
        );
    }
    if let Some(from) = f.from {
        q = q.filter(le::created_at.ge(ts(from)));
    }
    if let Some(to) = f.to {
        q = q.filter(le::created_at.lt(ts(to)));
    }
    if let Some(after) = &page.starting_after {
        q = q.filter(le::id.lt(after.clone()));
    }
    let rows: Vec<EntryRow> = q.load(conn)?;
    Ok(Page::from_overfetch(convert_all(rows, entry)?, page.limit))
}

fn set_threshold(conn: &mut AnyConnection, account: &str, threshold: Option<i64>) -> DbResult<()> {
    write_transaction(conn, |conn| {
        let changed = diesel::update(credit_balances::table.find(account))
            .set(credit_balances::low_balance_threshold.eq(threshold))
            .execute(conn)?;
        if changed == 0 {
            return Err(Fail(RepoError::NotFound));
        }
        diesel::update(accounts::table.find(account))
            .set(accounts::low_balance_threshold.eq(threshold))
            .execute(conn)?;
        Ok(())
    })
}

/// Compares every balance row with the sums of its entries and active holds.
fn verify(conn: &mut AnyConnection) -> DbResult<(Vec<DriftReport>, u64)> {
    use ledger_entries::dsl as le;
    use reservations::dsl as r;
    let balances: Vec<(String, i64, i64)> = credit_balances::table
        .select((
            credit_balances::account_id,
            credit_balances::balance,
            credit_balances::held,
        ))
        .order(credit_balances::account_id.asc())
        .load(conn)?;
    let sums: BTreeMap<String, (i64, i64)> = le::ledger_entries
        .group_by(le::account_id)
        .select((
            le::account_id,
            sql::<BigInt>("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
            sql::<BigInt>("CAST(COALESCE(SUM(held_delta), 0) AS BIGINT)"),
        ))
        .load::<(String, i64, i64)>(conn)?
        .into_iter()
        .map(|(a, s, h)| (a, (s, h)))
        .collect();
    let holds: BTreeMap<String, i64> = r::reservations
        .filter(r::status.eq(ReservationStatus::Active.as_str()))
        .group_by(r::account_id)
        .select((
            r::account_id,
            sql::<BigInt>("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
        ))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let checked = balances.len() as u64;
    let lot_sums = lot_reads::lot_sums(conn)?;
    let drift = balances
        .into_iter()
        .filter_map(|(account, balance, held)| {
            let (entries_balance, entries_held) = sums.get(&account).copied().unwrap_or((0, 0));
            let active_holds = holds.get(&account).copied().unwrap_or(0);
            let ok = balance == entries_balance
                && held == entries_held
                && held == active_holds
                && (0..=balance).contains(&held);
            let (lots_remaining, lots_held, misallocated) =
                lot_sums.get(&account).copied().unwrap_or((0, 0, 0));
            // An account with no entries yet has no lots either.
            let ok = ok && lots_remaining == balance && lots_held == held && misallocated == 0;
            (!ok).then(|| DriftReport {
                account_id: AccountId::from_trusted(account),
                balance,
                entries_balance,
                held,
                entries_held,
                active_holds,
                lots_remaining,
                lots_held,
                misallocated,
            })
        })
        .collect();
    Ok((drift, checked))
}

#[async_trait::async_trait]
impl LedgerRepository for LedgerRepo {
    async fn post(&self, posting: &Posting) -> Result<PostingOutcome, RepoError> {
        let _turn = self.gate.enter(posting.account_id.as_str()).await;
        let posting = posting.clone();
        self.db.run(move |conn| post::post(conn, &posting)).await
    }

    async fn find_by_source(
        &self,
        account: &AccountId,
        source_ref: &str,
    ) -> Result<Option<LedgerEntry>, RepoError> {
        let (account, source_ref) = (account.to_string(), source_ref.to_owned());
        self.db
            .run(move |conn| {
                find_entry(conn, &account, &source_ref)?
                    .map(entry)
                    .transpose()
            })
            .await
    }

    async fn balance(
        &self,
        account: &AccountId,
        now: OffsetDateTime,
    ) -> Result<CreditBalance, RepoError> {
        let account = account.to_string();
        self.db.run(move |conn| balance(conn, &account, now)).await
    }

    async fn list_entries(
        &self,
        account: &AccountId,
        filter: &LedgerFilter,
        page: &PageRequest,
    ) -> Result<Page<LedgerEntry>, RepoError> {
        let (account, filter, page) = (account.to_string(), filter.clone(), page.clone());
        self.db
            .run(move |conn| list_entries(conn, &account, &filter, &page))
            .await
    }

    async fn set_low_balance_threshold(
        &self,
        account: &AccountId,
        threshold: Option<i64>,
    ) -> Result<(), RepoError> {
        let account = account.to_string();
        self.db
            .run(move |conn| set_threshold(conn, &account, threshold))
            .await
    }

    async fn hold(&self, hold: &NewHold) -> Result<HoldOutcome, RepoError> {
        let _turn = self.gate.enter(hold.reservation.account_id.as_str()).await;
        let hold = hold.clone();
        self.db.run(move |conn| holds::hold(conn, &hold)).await
    }

    async fn get_reservation(
        &self,
        account: &AccountId,
        id: &ReservationId,
    ) -> Result<Option<Reservation>, RepoError> {
        let (account, id) = (account.to_string(), id.to_string());
        self.db
            .run(move |conn| {
                holds::find_reservation(conn, &account, &id)?
                    .map(reservation)
                    .transpose()
            })
            .await
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
        let _turn = self.gate.enter(account.as_str()).await;
        let (account, id, actor) = (account.to_string(), id.to_string(), actor.to_owned());
        self.db
            .run(move |conn| holds::settle(conn, &account, &id, how, &entry_id, &actor, at))
            .await
    }

    async fn expire_due(&self, now: OffsetDateTime, limit: u32) -> Result<u64, RepoError> {
        self.db
            .run(move |conn| holds::expire_due(conn, now, limit))
            .await
    }

    async fn lots(&self, account: &AccountId) -> Result<Vec<CreditLot>, RepoError> {
        let account = account.to_string();
        self.db
            .run(move |conn| lot_reads::lots(conn, &account))
            .await
    }

    async fn allocations(
        &self,
        account: &AccountId,
        entry: &LedgerEntryId,
    ) -> Result<Option<Vec<LotAllocation>>, RepoError> {
        let (account, entry) = (account.to_string(), entry.to_string());
        self.db
            .run(move |conn| lot_reads::allocations(conn, &account, &entry))
            .await
    }

    async fn expire_lots_due(&self, now: OffsetDateTime, limit: u32) -> Result<u64, RepoError> {
        self.db
            .run(move |conn| lots::expire_lots_due(conn, now, limit))
            .await
    }

    async fn verify(&self) -> Result<(Vec<DriftReport>, u64), RepoError> {
        self.db.run(verify).await
    }
}
