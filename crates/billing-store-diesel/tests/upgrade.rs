//! Upgrading a database the previous version filled: every migration up to the one being
//! tested runs, rows are written in the old shape, then the store migrates and reads them.
#![allow(clippy::unwrap_used, missing_docs)]

use billing_domain::types::Currency;
use billing_store_diesel::Store;
use billing_store_diesel::testing::{PostgresTestDb, fresh_sqlite_url};
use diesel::migration::MigrationSource;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// The migration that moved package prices into per-currency lists.
const PRICE_LISTS: &str = "2026-12-01-000001_price_lists_and_plans";

/// Runs every migration before [`PRICE_LISTS`] on `conn`.
fn migrate_to_before_price_lists<C, B>(conn: &mut C, source: fn() -> EmbeddedMigrations)
where
    B: diesel::backend::Backend,
    C: MigrationHarness<B>,
    EmbeddedMigrations: MigrationSource<B>,
{
    loop {
        let pending = conn.pending_migrations(source()).unwrap();
        let next = pending.first().expect("the price-list migration exists");
        if next.name().to_string().starts_with(PRICE_LISTS) {
            break;
        }
        conn.run_next_migration(source()).unwrap();
    }
}

/// Two packages as the previous version stored them: one price column and one currency.
const OLD_PACKAGES: &str = "INSERT INTO credit_packages
    (id, name, slug, description, credits, price_amount, currency, discount_bps, featured, active,
     sort_order, stripe_price_id, paypal_product_id, created_at, updated_at) VALUES
    ('cpkg_01jqk3v2g2x0m8s0q1b2c3d4e5', 'Pro', 'pro', NULL, 2000, 2900, 'USD', 1000, TRUE, TRUE, 2,
     'price_123', NULL, '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00'),
    ('cpkg_01jqk3v2g2x0m8s0q1b2c3d4e6', 'Mini', 'mini', NULL, 10, 150000, 'NGN', 0, FALSE, TRUE, 3,
     NULL, NULL, '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')";

async fn assert_packages_kept_their_price(store: &Store) {
    store.migrate().unwrap();
    let repos = store.repositories();
    let packages = repos.packages.list(false).await.unwrap();
    let prices: Vec<(String, Vec<(i64, Currency)>)> = packages
        .iter()
        .map(|p| {
            (
                p.slug.to_string(),
                p.prices
                    .prices()
                    .iter()
                    .map(|m| (m.amount, m.currency))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        prices,
        vec![
            ("pro".into(), vec![(2900, Currency::parse("USD").unwrap())]),
            (
                "mini".into(),
                vec![(150_000, Currency::parse("NGN").unwrap())]
            ),
        ],
        "on {}",
        store.backend()
    );
    assert_eq!(packages[0].stripe_price_id.as_deref(), Some("price_123"));
    assert_eq!(packages[0].discount_percent.to_string(), "10");
    assert!(repos.plans.list(false).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_packages_keep_their_price_as_a_list_of_one() {
    let (_dir, url) = fresh_sqlite_url();
    let mut conn = SqliteConnection::establish(url.strip_prefix("sqlite://").unwrap()).unwrap();
    migrate_to_before_price_lists(&mut conn, || SQLITE);
    // As the previous version wrote them: booleans as 0/1, instants as UTC text.
    let rows = OLD_PACKAGES
        .replace("TRUE", "1")
        .replace("FALSE", "0")
        .replace("10:00:00+00'", "10:00:00.000000+00:00'");
    diesel::sql_query(rows).execute(&mut conn).unwrap();
    drop(conn);
    assert_packages_kept_their_price(&Store::connect(&url, 2).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_packages_keep_their_price_as_a_list_of_one() {
    let db = PostgresTestDb::create();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    migrate_to_before_price_lists(&mut conn, || POSTGRES);
    diesel::sql_query(OLD_PACKAGES).execute(&mut conn).unwrap();
    drop(conn);
    assert_packages_kept_their_price(&Store::connect(db.url(), 2).unwrap()).await;
}
