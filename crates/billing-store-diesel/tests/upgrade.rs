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

/// The migration that introduced credit lots.
const CREDIT_LOTS: &str = "2026-12-04-000001_credit_lots";

/// Runs every migration before [`PRICE_LISTS`] on `conn`.
fn migrate_to_before_price_lists<C, B>(conn: &mut C, source: fn() -> EmbeddedMigrations)
where
    B: diesel::backend::Backend,
    C: MigrationHarness<B>,
    EmbeddedMigrations: MigrationSource<B>,
{
    migrate_to_before(conn, source, PRICE_LISTS);
}

/// Runs every migration before the one named `name` on `conn`.
fn migrate_to_before<C, B>(conn: &mut C, source: fn() -> EmbeddedMigrations, name: &str)
where
    B: diesel::backend::Backend,
    C: MigrationHarness<B>,
    EmbeddedMigrations: MigrationSource<B>,
{
    loop {
        let pending = conn.pending_migrations(source()).unwrap();
        let next = pending.first().expect("the migration exists");
        if next.name().to_string().starts_with(name) {
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

/// An account as the previous version left it: 500 granted, 100 spent, a hold of 50 active;
/// and a second account with no entries.
const OLD_LEDGER: &str = "
INSERT INTO accounts (id, name, external_id, billing_profile, low_balance_threshold,
                      stripe_customer_id, metadata, created_at, updated_at) VALUES
    ('acct_01jqk3v2g2x0m8s0q1b2c3d4e5', 'Old', NULL, NULL, NULL, NULL, '{}', 'T0', 'T0'),
    ('acct_01jqk3v2g2x0m8s0q1b2c3d4e6', 'Empty', NULL, NULL, NULL, NULL, '{}', 'T0', 'T0');
INSERT INTO credit_balances (account_id, balance, held, low_balance_threshold, updated_at) VALUES
    ('acct_01jqk3v2g2x0m8s0q1b2c3d4e5', 400, 50, NULL, 'T0'),
    ('acct_01jqk3v2g2x0m8s0q1b2c3d4e6', 0, 0, NULL, 'T0');
INSERT INTO reservations (id, account_id, amount, committed_amount, status, reference, metadata,
                          expires_at, created_at, updated_at) VALUES
    ('rsv_01jqk3v2g2x0m8s0q1b2c3d4e5', 'acct_01jqk3v2g2x0m8s0q1b2c3d4e5', 50, 0, 'active', 'job-1',
     '{}', 'T9', 'T0', 'T0');
INSERT INTO ledger_entries (id, account_id, kind, amount, held_delta, balance_after, held_after,
                            source_ref, reservation_id, description, metadata, actor, created_at) VALUES
    ('cle_01jqk3v2g2x0m8s0q1b2c3d4e1', 'acct_01jqk3v2g2x0m8s0q1b2c3d4e5', 'purchase_grant', 500, 0,
     500, 0, 'invoice:inv_1', NULL, 'paid', '{}', 'system', 'T0'),
    ('cle_01jqk3v2g2x0m8s0q1b2c3d4e2', 'acct_01jqk3v2g2x0m8s0q1b2c3d4e5', 'usage_debit', -100, 0,
     400, 0, 'debit:op-1', NULL, 'render', '{}', 'key', 'T0'),
    ('cle_01jqk3v2g2x0m8s0q1b2c3d4e3', 'acct_01jqk3v2g2x0m8s0q1b2c3d4e5', 'reservation_hold', 0, 50,
     400, 50, 'reservation:rsv_01jqk3v2g2x0m8s0q1b2c3d4e5:hold', 'rsv_01jqk3v2g2x0m8s0q1b2c3d4e5',
     'hold', '{}', 'key', 'T0');
";

/// Migrates `store` and checks the old balance became one lot that keeps working.
async fn assert_the_balance_became_one_lot(store: &Store) {
    use billing_domain::entities::LotSource;
    use billing_domain::ports::{ReservationOutcome, SettleReservation};
    use billing_domain::types::{AccountId, LedgerEntryId, ReservationId};
    store.migrate().unwrap();
    let repos = store.repositories();
    let (drift, checked) = repos.ledger.verify().await.unwrap();
    assert!(drift.is_empty(), "{}: {drift:?}", store.backend());
    assert_eq!(checked, 2);
    let old = AccountId::from_trusted("acct_01jqk3v2g2x0m8s0q1b2c3d4e5".into());
    let lots = repos.ledger.lots(&old).await.unwrap();
    assert_eq!(lots.len(), 1);
    assert_eq!(
        (
            lots[0].source,
            lots[0].remaining,
            lots[0].held,
            lots[0].expires_at
        ),
        (LotSource::Migrated, 400, 50, None)
    );
    let empty = AccountId::from_trusted("acct_01jqk3v2g2x0m8s0q1b2c3d4e6".into());
    assert!(repos.ledger.lots(&empty).await.unwrap().is_empty());
    // The hold made before lots existed commits against the migrated lot.
    let now = time::OffsetDateTime::now_utc();
    let rsv = ReservationId::from_trusted("rsv_01jqk3v2g2x0m8s0q1b2c3d4e5".into());
    let out = repos
        .ledger
        .settle(
            &old,
            &rsv,
            SettleReservation::Commit { amount: 30 },
            LedgerEntryId::generate(now),
            "key",
            now,
        )
        .await
        .unwrap();
    assert!(matches!(out, ReservationOutcome::Settled(..)), "{out:?}");
    let lots = repos.ledger.lots(&old).await.unwrap();
    assert_eq!((lots[0].remaining, lots[0].held), (370, 0));
    let (drift, _) = repos.ledger.verify().await.unwrap();
    assert!(drift.is_empty(), "{}: {drift:?}", store.backend());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_balances_become_one_lot_each() {
    let (_dir, url) = fresh_sqlite_url();
    let mut conn = SqliteConnection::establish(url.strip_prefix("sqlite://").unwrap()).unwrap();
    migrate_to_before(&mut conn, || SQLITE, CREDIT_LOTS);
    let rows = OLD_LEDGER
        .replace("'T0'", "'2026-11-01 10:00:00.000000+00:00'")
        .replace("'T9'", "'2099-01-01 10:00:00.000000+00:00'");
    for statement in rows.split(';').filter(|s| !s.trim().is_empty()) {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
    drop(conn);
    assert_the_balance_became_one_lot(&Store::connect(&url, 2).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_balances_become_one_lot_each() {
    let db = PostgresTestDb::create();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    migrate_to_before(&mut conn, || POSTGRES, CREDIT_LOTS);
    let rows = OLD_LEDGER
        .replace("'T0'", "'2026-11-01 10:00:00+00'")
        .replace("'T9'", "'2099-01-01 10:00:00+00'");
    for statement in rows.split(';').filter(|s| !s.trim().is_empty()) {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
    drop(conn);
    assert_the_balance_became_one_lot(&Store::connect(db.url(), 2).unwrap()).await;
}
