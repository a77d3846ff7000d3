//! [`CreditPackageRepository`] and [`PaymentMethodConfigRepository`] over Diesel. Every write
//! carries its audit entry, written in the same transaction.

use billing_domain::RepoError;
use billing_domain::entities::{AuditEntry, CreditPackage, PaymentMethodConfig};
use billing_domain::ports::{CreditPackageRepository, PaymentMethodConfigRepository};
use billing_domain::types::{CreditPackageId, PaymentMethodConfigId};
use diesel::prelude::*;

use crate::convert::{config, config_row, package, package_row};
use crate::dialect::write_transaction;
use crate::error::{DbResult, Fail};
use crate::pool::AnyConnection;
use crate::repo::{Db, convert_all, insert_audit};
use crate::rows::{ConfigRow, PackageRow};
use crate::schema::{credit_packages, payment_method_configs};

/// Credit packages.
#[derive(Clone)]
pub(crate) struct PackageRepo(pub(crate) Db);

/// Payment method configs.
#[derive(Clone)]
pub(crate) struct ConfigRepo(pub(crate) Db);

fn slug_taken(e: diesel::result::Error) -> Fail {
    crate::repo::slug_taken(e, billing_domain::ports::catalog::PACKAGE_SLUG_TAKEN)
}

fn update_package(conn: &mut AnyConnection, row: &PackageRow) -> DbResult<()> {
    use credit_packages::dsl as p;
    let changed = diesel::update(p::credit_packages.find(&row.id))
        .set((
            p::name.eq(&row.name),
            p::slug.eq(&row.slug),
            p::description.eq(&row.description),
            p::credits.eq(row.credits),
            p::prices.eq(&row.prices),
            p::discount_bps.eq(row.discount_bps),
            p::featured.eq(row.featured),
            p::active.eq(row.active),
            p::sort_order.eq(row.sort_order),
            p::stripe_price_id.eq(&row.stripe_price_id),
            p::paypal_product_id.eq(&row.paypal_product_id),
            p::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map_err(slug_taken)?;
    if changed == 0 {
        Err(Fail(RepoError::NotFound))
    } else {
        Ok(())
    }
}

#[async_trait::async_trait]
impl CreditPackageRepository for PackageRepo {
    async fn insert(&self, package: &CreditPackage, audit: &AuditEntry) -> Result<(), RepoError> {
        let (package, audit) = (package.clone(), audit.clone());
        self.0
            .run(move |conn| {
                let row = package_row(&package)?;
                write_transaction(conn, |conn| {
                    diesel::insert_into(credit_packages::table)
                        .values(&row)
                        .execute(conn)
                        .map_err(slug_taken)?;
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn update(&self, package: &CreditPackage, audit: &AuditEntry) -> Result<(), RepoError> {
        let (package, audit) = (package.clone(), audit.clone());
        self.0
            .run(move |conn| {
                let row = package_row(&package)?;
                write_transaction(conn, |conn| {
                    update_package(conn, &row)?;
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn get(&self, id: &CreditPackageId) -> Result<Option<CreditPackage>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<PackageRow> =
                    credit_packages::table.find(&id).first(conn).optional()?;
                row.map(package).transpose()
            })
            .await
    }

    async fn list(&self, active_only: bool) -> Result<Vec<CreditPackage>, RepoError> {
        self.0
            .run(move |conn| {
                let mut q = credit_packages::table
                    .order(credit_packages::id.asc())
                    .into_boxed();
                if active_only {
                    q = q.filter(credit_packages::active.eq(true));
                }
                convert_all(q.load::<PackageRow>(conn)?, package)
            })
            .await
    }
}

fn update_config(conn: &mut AnyConnection, row: &ConfigRow) -> DbResult<()> {
    use payment_method_configs::dsl as c;
    let changed = diesel::update(c::payment_method_configs.find(&row.id))
        .set((
            c::country.eq(&row.country),
            c::method.eq(&row.method),
            c::display_name.eq(&row.display_name),
            c::enabled.eq(row.enabled),
            c::sort_order.eq(row.sort_order),
            c::instructions.eq(&row.instructions),
            c::bank_details.eq(&row.bank_details),
            c::wallet_details.eq(&row.wallet_details),
            c::currencies.eq(&row.currencies),
            c::amount_limits.eq(&row.amount_limits),
            c::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    if changed == 0 {
        Err(Fail(RepoError::NotFound))
    } else {
        Ok(())
    }
}

#[async_trait::async_trait]
impl PaymentMethodConfigRepository for ConfigRepo {
    async fn insert(&self, cfg: &PaymentMethodConfig, audit: &AuditEntry) -> Result<(), RepoError> {
        let (cfg, audit) = (cfg.clone(), audit.clone());
        self.0
            .run(move |conn| {
                let row = config_row(&cfg)?;
                write_transaction(conn, |conn| {
                    diesel::insert_into(payment_method_configs::table)
                        .values(&row)
                        .execute(conn)?;
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn update(&self, cfg: &PaymentMethodConfig, audit: &AuditEntry) -> Result<(), RepoError> {
        let (cfg, audit) = (cfg.clone(), audit.clone());
        self.0
            .run(move |conn| {
                let row = config_row(&cfg)?;
                write_transaction(conn, |conn| {
                    update_config(conn, &row)?;
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn delete(
        &self,
        id: &PaymentMethodConfigId,
        audit: &AuditEntry,
    ) -> Result<(), RepoError> {
        let (id, audit) = (id.to_string(), audit.clone());
        self.0
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let deleted =
                        diesel::delete(payment_method_configs::table.find(&id)).execute(conn)?;
                    if deleted == 0 {
                        return Err(Fail(RepoError::NotFound));
                    }
                    insert_audit(conn, &audit)
                })
            })
            .await
    }

    async fn get(
        &self,
        id: &PaymentMethodConfigId,
    ) -> Result<Option<PaymentMethodConfig>, RepoError> {
        let id = id.to_string();
        self.0
            .run(move |conn| {
                let row: Option<ConfigRow> = payment_method_configs::table
                    .find(&id)
                    .first(conn)
                    .optional()?;
                row.map(config).transpose()
            })
            .await
    }

    async fn list(&self) -> Result<Vec<PaymentMethodConfig>, RepoError> {
        self.0
            .run(|conn| {
                let rows: Vec<ConfigRow> = payment_method_configs::table
                    .order(payment_method_configs::id.asc())
                    .load(conn)?;
                convert_all(rows, config)
            })
            .await
    }
}
