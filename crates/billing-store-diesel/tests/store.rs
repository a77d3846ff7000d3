//! Opening stores: URL forms, start-up failures, and a database that goes away.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use billing_domain::RepoError;
use billing_store_diesel::testing::{PostgresTestDb, admin_url};
use billing_store_diesel::{Store, StoreError};
use diesel::{Connection, RunQueryDsl};

#[test]
fn unsupported_urls_are_refused() {
    assert!(matches!(
        Store::connect("mysql://localhost/db", 1),
        Err(StoreError::InvalidUrl(_))
    ));
    assert!(matches!(
        Store::connect("sqlite://", 1),
        Err(StoreError::InvalidUrl(_))
    ));
}

#[test]
fn sqlite_url_forms_create_parent_directories() {
    let dir = tempfile::tempdir().unwrap();
    let forms = [
        format!("sqlite://{}", dir.path().join("a/one.db").display()),
        format!("sqlite:{}", dir.path().join("b/two.db").display()),
        dir.path().join("c/d/three.db").display().to_string(),
    ];
    for url in forms {
        let store = Store::connect(&url, 2).unwrap();
        assert_eq!(store.backend(), "sqlite");
        store.migrate().unwrap();
    }
    assert!(dir.path().join("a/one.db").exists());
    assert!(dir.path().join("b/two.db").exists());
    assert!(dir.path().join("c/d/three.db").exists());
}

#[test]
fn unreachable_postgres_fails_fast() {
    let started = Instant::now();
    let r = Store::connect("postgres://postgres@127.0.0.1:1/nothing", 2);
    assert!(matches!(r, Err(StoreError::Connect(_))), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_that_goes_away_is_unavailable() {
    let db = PostgresTestDb::create();
    let store = Store::connect(db.url(), 2).unwrap();
    assert_eq!(store.backend(), "postgres");
    store.migrate().unwrap();
    let repos = store.repositories();
    repos.health.ping().await.unwrap();
    let mut admin = diesel::PgConnection::establish(&admin_url()).unwrap();
    diesel::sql_query(format!("DROP DATABASE {} WITH (FORCE)", db.name()))
        .execute(&mut admin)
        .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        let r = repos.health.ping().await;
        assert!(matches!(r, Err(RepoError::Unavailable(_))), "{r:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_closed_by_the_server_are_replaced() {
    let db = PostgresTestDb::create();
    let store = Store::connect(db.url(), 2).unwrap();
    store.migrate().unwrap();
    let repos = store.repositories();
    repos.health.ping().await.unwrap();
    let mut admin = diesel::PgConnection::establish(&admin_url()).unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
        db.name()
    ))
    .execute(&mut admin)
    .unwrap();
    // Each dead pooled connection fails once (as Unavailable) and is then replaced.
    let mut failures = 0;
    for _ in 0..10 {
        match repos.health.ping().await {
            Ok(()) => break,
            Err(RepoError::Unavailable(_)) => failures += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(failures <= 2, "{failures} failures");
    repos.health.ping().await.unwrap();
    repos.health.ping().await.unwrap();
    repos.health.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instants_are_timestamptz() {
    let db = PostgresTestDb::create();
    let store = Store::connect(db.url(), 1).unwrap();
    store.migrate().unwrap();
    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        data_type: String,
    }
    let mut conn = diesel::PgConnection::establish(db.url()).unwrap();
    let cols: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_diesel%' AND (column_name LIKE '%\\_at' OR data_type LIKE 'timestamp%')",
    )
    .load(&mut conn)
    .unwrap();
    assert!(cols.len() > 20);
    for c in cols {
        assert_eq!(
            c.data_type, "timestamp with time zone",
            "{}.{}",
            c.table_name, c.column_name
        );
    }
}
