//! [`AccountRepository`] over Diesel.

use billing_domain::RepoError;
use billing_domain::entities::{Account, AuditEntry};
use billing_domain::ports::AccountRepository;
use billing_domain::types::{AccountId, Page, PageRequest};
use diesel::prelude::*;

use crate::convert::{account, account_row, ts};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail};
use crate::repo::{Db, convert_all, insert_audit, overfetch};
use crate::rows::{AccountRow, BalanceRow};
use crate::schema::{accounts, credit_balances};

/// Accounts and their balance rows.
#[derive(Clone)]
pub(crate) struct AccountRepo(pub(crate) Db);

/// A unique violation on `external_id` becomes a readable `Conflict`; others pass through.
fn taken(e: Fail) -> Fail {
    match e.0 {
        RepoError::Conflict(m) if m.contains("external_id") => Fail(RepoError::Conflict(
            billing_domain::ports::accounts::EXTERNAL_ID_TAKEN.into(),
        )),
        other => Fail(other),
    }
}

#[async_trait::async_trait]
impl AccountRepository for AccountRepo {
    async fn insert(&self, a: &Account) -> Result<(), RepoError> {
        let a = a.clone();
        self.0
            .run(move |conn| {
                let row = account_row(&a)?;
                let balance = BalanceRow {
                    account_id: row.id.clone(),
                    balance: 0,
                    held: 0,
                    low_balance_threshold: row.low_balance_threshold,
                    updated_at: row.created_at,
                    head_lot: None,
                    head_avail: 0,
                    head_spent: 0,
                    lots_next_expiry: None,
                };
                write_transaction(conn, |conn| {
                    diesel::insert_into(accounts::table)
                        .values(&row)
                        .execute(conn)
                        .map_err(|e| taken(e.into()))?;
                    diesel::insert_into(credit_balances::table)
                        .values(&balance)
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    async fn get(&self, id: &AccountId) -> Result<Option<Account>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<AccountRow> = accounts::table.find(&id).first(conn).optional()?;
                row.map(account).transpose()
            })
            .await
    }

    async fn find_by_external_id(&self, external_id: &str) -> Result<Option<Account>, RepoError> {
        let external_id = external_id.to_owned();
        self.0
            .run(move |conn| {
                let row: Option<AccountRow> = accounts::table
                    .filter(accounts::external_id.eq(&external_id))
                    .first(conn)
                    .optional()?;
                row.map(account).transpose()
            })
            .await
    }

    async fn list(&self, page: &PageRequest) -> Result<Page<Account>, RepoError> {
        let page = page.clone();
        self.0
            .run(move |conn| {
                let mut q = accounts::table
                    .order(accounts::id.desc())
                    .limit(overfetch(page.limit))
                    .into_boxed();
                if let Some(after) = &page.starting_after {
                    q = q.filter(accounts::id.lt(after.clone()));
                }
                let rows: Vec<AccountRow> = q.load(conn)?;
                Ok(Page::from_overfetch(
                    convert_all(rows, account)?,
                    page.limit,
                ))
            })
            .await
    }

    async fn update(&self, a: &Account, audit: Option<AuditEntry>) -> Result<(), RepoError> {
        let a = a.clone();
        self.0
            .run(move |conn| {
                let row = account_row(&a)?;
                write_transaction(conn, |conn| update_account(conn, &row, audit.as_ref()))
            })
            .await
    }
}

fn update_account(
    conn: &mut crate::pool::AnyConnection,
    row: &AccountRow,
    audit: Option<&AuditEntry>,
) -> DbResult<()> {
    use accounts::dsl as a;
    let changed = diesel::update(a::accounts.find(&row.id))
        .set((
            a::name.eq(&row.name),
            a::external_id.eq(&row.external_id),
            a::billing_profile.eq(&row.billing_profile),
            a::low_balance_threshold.eq(row.low_balance_threshold),
            a::stripe_customer_id.eq(&row.stripe_customer_id),
            a::metadata.eq(&row.metadata),
            a::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map_err(|e| taken(e.into()))?;
    if changed == 0 {
        return Err(Fail(RepoError::NotFound));
    }
    diesel::update(credit_balances::table.find(&row.id))
        .set((
            credit_balances::low_balance_threshold.eq(row.low_balance_threshold),
            credit_balances::updated_at.eq(ts(row.updated_at.0)),
        ))
        .execute(conn)?;
    if let Some(entry) = audit {
        insert_audit(conn, entry)?;
    }
    Ok(())
}
