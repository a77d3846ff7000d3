//! The store contract suite (`billing-store-contract`) on SQLite and PostgreSQL, each case on
//! a fresh database (`sqlite::<area>::<case>`, `postgres::<area>::<case>`), plus the cases
//! only a SQL store has: migrations, timestamp precision, the schema (`diesel_only`).
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use billing_domain::ports::{PaymentFlowRepository, Repositories, WebhookEventRepository};
use billing_domain::types::AccountId;
use billing_store_contract::{Harness, StoreUnderTest};
use billing_store_diesel::AnyConnection;
use billing_store_diesel::testing::TestStore;

mod diesel_only;

/// A migrated Diesel store on a fresh database.
struct Diesel(TestStore);

/// A raw connection to the test database at `url` (to inspect or tamper with it).
fn raw(url: &str) -> AnyConnection {
    use diesel::Connection;
    match url.strip_prefix("sqlite://") {
        Some(path) => AnyConnection::Sqlite(diesel::SqliteConnection::establish(path).unwrap()),
        None => AnyConnection::Postgres(diesel::PgConnection::establish(url).unwrap()),
    }
}

impl StoreUnderTest for Diesel {
    fn backend(&self) -> &'static str {
        self.0.store.backend()
    }

    fn repositories(&self) -> Repositories {
        self.0.store.repositories()
    }

    fn payment_flow(&self) -> Arc<dyn PaymentFlowRepository> {
        self.0.store.payment_flow()
    }

    fn webhook_events(&self) -> Arc<dyn WebhookEventRepository> {
        self.0.store.webhook_events()
    }

    fn tamper_balance(&self, account: &AccountId, delta: i64) {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "UPDATE credit_balances SET balance = balance + {delta} WHERE account_id = '{account}'"
        ))
        .execute(&mut raw(&self.0.url))
        .unwrap();
    }
}

fn sqlite() -> Harness {
    Harness::new(Diesel(TestStore::sqlite(8)))
}

fn postgres() -> Harness {
    Harness::new(Diesel(TestStore::postgres(8)))
}

billing_store_contract::contract_suite!(sqlite, crate::sqlite(), property_cases = 100);
billing_store_contract::contract_suite!(postgres, crate::postgres(), property_cases = 40);

/// `sqlite::diesel_only::<case>` and `postgres::diesel_only::<case>`.
macro_rules! diesel_only {
    ($($case:ident),* $(,)?) => {
        mod sqlite_only {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                crate::diesel_only::$case(&TestStore::sqlite(8)).await;
            })*
            use billing_store_diesel::testing::TestStore;
        }
        mod postgres_only {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                crate::diesel_only::$case(&TestStore::postgres(8)).await;
            })*
            use billing_store_diesel::testing::TestStore;
        }
    };
}

diesel_only! {
    migrate_twice_is_a_no_op,
    timestamps_keep_microseconds_in_utc,
    every_table_matches_schema_rs,
}
