//! # billing-store-diesel
//!
//! The storage adapter of the billing platform: every repository port of
//! [`billing_domain::ports`] implemented once, with sync Diesel over
//! `#[derive(MultiConnection)] enum AnyConnection { Postgres, Sqlite }` and an r2d2 pool,
//! run on tokio's blocking pool.
//!
//! * The backend is chosen by URL: `postgres://…` / `postgresql://…` → PostgreSQL;
//!   `sqlite://path`, `sqlite:path` or a plain file path → SQLite (parent directories created,
//!   WAL, foreign keys, 5 s busy timeout).
//! * Migrations for both dialects are embedded (`migrations/postgres`, `migrations/sqlite`).
//! * Backend differences (row locks, `BEGIN IMMEDIATE`, `ON CONFLICT`, the single-statement
//!   ledger posting on PostgreSQL) live in `dialect` and `repo::ledger`.
//!
//! ```no_run
//! # fn main() -> Result<(), billing_store_diesel::StoreError> {
//! let store = billing_store_diesel::Store::connect("sqlite://data/billing.db", 8)?;
//! store.migrate()?;
//! let repos = store.repositories();
//! # let _ = repos; Ok(()) }
//! ```

//! ## Library use: spending credits from another Rust service, without HTTP
//!
//! The same use cases the HTTP API calls, on the same database:
//!
//! ```
//! use std::sync::Arc;
//! use billing_domain::entities::audit::RequestContext;
//! use billing_domain::ports::SystemClock;
//! use billing_domain::services::accounts::CreateAccountInput;
//! use billing_domain::services::credits::{AdjustmentInput, DebitInput};
//! use billing_domain::services::{GatewayAvailability, Services};
//! use billing_domain::BillingError;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let url = format!("sqlite://{}", dir.path().join("billing.db").display());
//! // `url` is `sqlite://…` or `postgres://…`.
//! let store = billing_store_diesel::Store::connect(&url, 4)?;
//! store.migrate()?;
//! let services = Services::new(store.repositories(), Arc::new(SystemClock), GatewayAvailability::all());
//! let ctx = RequestContext::system(); // or a context with the calling key's `Principal`
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let account = services.accounts.create(&ctx, CreateAccountInput { name: Some("Acme".into()), ..Default::default() }).await?;
//!     let id = account.id.as_str();
//!     services.credits.adjust(&ctx, id, AdjustmentInput { credits: Some(100), reason: Some("welcome".into()), reference: None }).await?;
//!     let debit = DebitInput { credits: Some(30), operation: Some("image.generate".into()), reference: Some("job-1".into()), metadata: None };
//!     let entry = services.credits.debit(&ctx, id, debit.clone()).await?;
//!     assert_eq!(entry.balance_after, 70);
//!     // The same reference again is not charged twice.
//!     assert_eq!(services.credits.debit(&ctx, id, debit).await?.id, entry.id);
//!     // Never below zero: a short balance is refused and nothing is written.
//!     let too_much = DebitInput { credits: Some(500), operation: Some("video.render".into()), reference: Some("job-2".into()), metadata: None };
//!     assert!(matches!(services.credits.debit(&ctx, id, too_much).await, Err(BillingError::InsufficientCredits { shortfall: 430, .. })));
//!     Ok::<_, BillingError>(())
//! })?;
//! # Ok(()) }
//! ```

mod convert;
mod convert_billing;
mod convert_emails;
mod convert_plans;
mod convert_subscriptions;
mod dialect;
mod error;
mod pool;
mod repo;
mod rows;
pub mod schema;
pub mod sql_types;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use billing_domain::RepoError;
use billing_domain::ports::{PaymentFlowRepository, Repositories};

pub use crate::error::StoreError;
pub use crate::pool::AnyConnection;
use crate::repo::Db;

/// An opened store: a connection pool to one database.
#[derive(Clone)]
pub struct Store {
    db: Db,
    backend: &'static str,
}

impl Store {
    /// Opens a pool of `pool_size` connections to `url` (see the crate docs for URL forms).
    /// Fails within about five seconds if the database cannot be reached.
    pub fn connect(url: &str, pool_size: u32) -> Result<Store, StoreError> {
        let (pool, backend) = pool::build(url, pool_size)?;
        Ok(Store {
            db: Db::new(pool),
            backend,
        })
    }

    /// Applies the embedded migrations of this store's backend that have not run yet.
    /// Blocks; call it at start-up.
    pub fn migrate(&self) -> Result<(), StoreError> {
        let applied = self
            .db
            .run_blocking(|conn| Ok(dialect::run_migrations(conn)))
            .map_err(StoreError::Repo)?
            .map_err(StoreError::Migration)?;
        tracing::info!(
            backend = self.backend,
            applied,
            "database migrations applied"
        );
        Ok(())
    }

    /// Writes a consistent copy of the SQLite database to `path` while it stays in use:
    /// `VACUUM INTO` reads one committed state in one read transaction, so writers go on and
    /// the copy holds every transaction committed before it started and none after. `path`
    /// must not exist. PostgreSQL is backed up with `pg_dump`, not here.
    pub fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.backend != "sqlite" {
            return Err(StoreError::Repo(RepoError::Other(
                "backup copies SQLite databases; back PostgreSQL up with pg_dump".into(),
            )));
        }
        if path.exists() {
            return Err(StoreError::Repo(RepoError::Conflict(format!(
                "{} exists; a backup never overwrites a file",
                path.display()
            ))));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Repo(RepoError::Other("the path is not UTF-8".into())))?
            .to_owned();
        self.db
            .run_blocking(move |conn| {
                use diesel::RunQueryDsl as _;
                match conn {
                    pool::AnyConnection::Sqlite(c) => {
                        diesel::sql_query("VACUUM INTO ?")
                            .bind::<diesel::sql_types::Text, _>(&target)
                            .execute(c)?;
                        Ok(())
                    }
                    pool::AnyConnection::Postgres(_) => Err(error::Fail(RepoError::Other(
                        "not a SQLite database".into(),
                    ))),
                }
            })
            .map_err(StoreError::Repo)
    }

    /// `"postgres"` or `"sqlite"`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Every repository of this store, sharing its pool.
    pub fn repositories(&self) -> Repositories {
        let db = &self.db;
        Repositories {
            accounts: Arc::new(repo::accounts::AccountRepo(db.clone())),
            packages: Arc::new(repo::catalog::PackageRepo(db.clone())),
            payment_methods: Arc::new(repo::catalog::ConfigRepo(db.clone())),
            plans: Arc::new(repo::plans::PlanRepo(db.clone())),
            subscriptions: Arc::new(repo::subscriptions::SubscriptionRepo(db.clone())),
            api_keys: Arc::new(repo::api_keys::ApiKeyRepo(db.clone())),
            idempotency: Arc::new(repo::idempotency::IdempotencyRepo(db.clone())),
            ledger: Arc::new(repo::ledger::LedgerRepo::new(db.clone())),
            invoices: Arc::new(repo::billing::InvoiceRepo(db.clone())),
            payments: Arc::new(repo::billing::PaymentRepo(db.clone())),
            audit: Arc::new(repo::audit::AuditRepo(db.clone())),
            outbox: Arc::new(repo::outbox::OutboxRepo(db.clone())),
            emails: Arc::new(repo::emails::EmailRepo(db.clone())),
            health: Arc::new(repo::health::HealthRepo(db.clone())),
            job_leases: Arc::new(repo::job_leases::JobLeaseRepo(db.clone())),
            portal_sessions: Arc::new(repo::portal_sessions::PortalSessionRepo(db.clone())),
            tax_rates: Arc::new(repo::tax_rates::TaxRateRepo(db.clone())),
        }
    }

    /// The transactional payment-flow port (invoice numbering, guarded payment steps) on the
    /// same pool.
    pub fn payment_flow(&self) -> Arc<dyn PaymentFlowRepository> {
        Arc::new(repo::payment_flow::PaymentFlowRepo(self.db.clone()))
    }

    /// The gateway webhook event port, on the same pool.
    pub fn webhook_events(&self) -> Arc<dyn billing_domain::ports::WebhookEventRepository> {
        Arc::new(repo::webhooks::WebhookEventRepo(self.db.clone()))
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}
