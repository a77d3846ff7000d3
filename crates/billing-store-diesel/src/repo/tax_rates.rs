//! [`TaxRateRepository`] over Diesel. The partial unique index refuses a second active rate
//! for a country and region (mapped to `RepoError::Conflict`).

use billing_domain::RepoError;
use billing_domain::entities::{AuditEntry, TaxRate};
use billing_domain::ports::TaxRateRepository;
use billing_domain::types::{AccountId, CountryCode, TaxRateId};
use diesel::prelude::*;

use crate::convert::ts;
use crate::dialect::write_transaction;
use crate::error::{DbResult, corrupt};
use crate::repo::{Db, insert_audit};
use crate::schema::tax_exemptions as te;
use crate::schema::tax_rates as tr;
use crate::sql_types::UtcDateTime;

/// Tax rates.
#[derive(Clone)]
pub(crate) struct TaxRateRepo(pub(crate) Db);

/// `tax_rates`.
#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = tr, treat_none_as_null = true)]
struct RateRow {
    id: String,
    display_name: String,
    country: String,
    region: Option<String>,
    percentage: String,
    inclusive: bool,
    active: bool,
    created_at: UtcDateTime,
    updated_at: UtcDateTime,
}

fn row(r: &TaxRate) -> RateRow {
    RateRow {
        id: r.id.to_string(),
        display_name: r.display_name.clone(),
        country: r.country.as_str().to_owned(),
        region: r.region.clone(),
        percentage: r.percentage.to_string(),
        inclusive: r.inclusive,
        active: r.active,
        created_at: ts(r.created_at),
        updated_at: ts(r.updated_at),
    }
}

fn rate(r: RateRow) -> DbResult<TaxRate> {
    Ok(TaxRate {
        id: TaxRateId::from_trusted(r.id),
        display_name: r.display_name,
        country: CountryCode::parse(&r.country).map_err(|e| corrupt("tax rate country", e))?,
        region: r.region,
        percentage: r
            .percentage
            .parse()
            .map_err(|e| corrupt("tax rate percentage", e))?,
        inclusive: r.inclusive,
        active: r.active,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}

#[async_trait::async_trait]
impl TaxRateRepository for TaxRateRepo {
    async fn insert(&self, r: &TaxRate, audit: &AuditEntry) -> Result<(), RepoError> {
        let (row, audit) = (row(r), audit.clone());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::insert_into(tr::table).values(&row).execute(conn)?;
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn get(&self, id: &TaxRateId) -> Result<Option<TaxRate>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let r: Option<RateRow> = tr::table.find(&id).first(conn).optional()?;
                r.map(rate).transpose()
            })
            .await
    }

    async fn list(&self) -> Result<Vec<TaxRate>, RepoError> {
        self.0
            .run(move |conn| {
                let rows: Vec<RateRow> = tr::table
                    .order((tr::country.asc(), tr::region.asc(), tr::id.asc()))
                    .load(conn)?;
                rows.into_iter().map(rate).collect()
            })
            .await
    }

    async fn update(&self, r: &TaxRate, audit: &AuditEntry) -> Result<(), RepoError> {
        let (row, audit) = (row(r), audit.clone());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let n = diesel::update(tr::table.find(&row.id))
                        .set(&row)
                        .execute(conn)?;
                    if n == 0 {
                        return Err(diesel::result::Error::NotFound.into());
                    }
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn exemption(&self, account: &AccountId) -> Result<Option<String>, RepoError> {
        let account = account.to_string();
        self.0
            .run(move |conn| {
                Ok(te::table
                    .find(&account)
                    .select(te::reason)
                    .first::<String>(conn)
                    .optional()?)
            })
            .await
    }

    async fn set_exemption(
        &self,
        account: &AccountId,
        reason: Option<String>,
        audit: &AuditEntry,
    ) -> Result<(), RepoError> {
        let (account, audit) = (account.to_string(), audit.clone());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    // An unknown account is NotFound, as the foreign key would have it.
                    let known: i64 = crate::schema::accounts::table
                        .filter(crate::schema::accounts::id.eq(&account))
                        .count()
                        .get_result(conn)?;
                    if known == 0 {
                        return Err(diesel::result::Error::NotFound.into());
                    }
                    diesel::delete(te::table.find(&account)).execute(conn)?;
                    if let Some(r) = &reason {
                        diesel::insert_into(te::table)
                            .values((
                                te::account_id.eq(&account),
                                te::reason.eq(r),
                                te::updated_at.eq(ts(audit.created_at)),
                            ))
                            .execute(conn)?;
                    }
                    insert_audit(conn, &audit)
                })
            })
            .await
    }
}
