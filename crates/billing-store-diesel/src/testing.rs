//! Fresh databases for tests (feature `testing`), used by this crate's contract suite and by
//! other crates' tests.
//!
//! * PostgreSQL: a new database `billing_test_<random>` on the server at `TEST_DATABASE_URL`
//!   (default `postgres://postgres@127.0.0.1:5432/postgres`). [`PostgresTestDb`] drops it when
//!   dropped; [`fresh_postgres_url`] leaves it in place.
//! * SQLite: a file in a temporary directory that lives as long as the returned guard.

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::Store;

/// The server tests use when `TEST_DATABASE_URL` is not set.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `TEST_DATABASE_URL`, or the local default; on a loopback host without an `sslmode`,
/// with `sslmode=disable`.
///
/// Why: tests kill databases under running pools, and r2d2 keeps re-connecting from its own
/// threads until the process exits. A libpq connect negotiating TLS while the process runs
/// OpenSSL's exit handlers crashed the test binary (SIGSEGV after the test had passed, about
/// 1 run in 25 on a loaded 2-core machine). TLS to 127.0.0.1 protects nothing.
pub fn admin_url() -> String {
    let url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_TEST_DATABASE_URL.to_owned());
    let loopback = [
        "@127.0.0.1",
        "@localhost",
        "@[::1]",
        "://127.0.0.1",
        "://localhost",
    ]
    .iter()
    .any(|h| url.contains(h));
    if loopback && !url.contains("sslmode=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}sslmode=disable")
    } else {
        url
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A PostgreSQL database created for one test; dropped (with its connections) on drop.
#[derive(Debug)]
pub struct PostgresTestDb {
    admin: String,
    name: String,
    url: String,
}

impl PostgresTestDb {
    /// Creates `billing_test_<random>`. Panics if the server cannot be reached: a test helper.
    pub fn create() -> Self {
        let admin = admin_url();
        let name = format!("billing_test_{:016x}", rand::random::<u64>());
        let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
            panic!("cannot reach PostgreSQL at TEST_DATABASE_URL={admin}: {e}")
        });
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let url = with_database(&admin, &name);
        Self { admin, name, url }
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PostgresTestDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// Creates a fresh PostgreSQL database and returns its URL. The database is left in place
/// (use [`PostgresTestDb`] to drop it afterwards).
pub async fn fresh_postgres_url() -> String {
    let db = tokio::task::spawn_blocking(PostgresTestDb::create)
        .await
        .expect("test database task");
    let url = db.url.clone();
    std::mem::forget(db);
    url
}

/// A SQLite database file in a new temporary directory: keep the guard alive while it is used.
pub fn fresh_sqlite_url() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("billing.db").display());
    (dir, url)
}

/// A migrated store on a fresh database, with what keeps that database alive.
#[derive(Debug)]
pub struct TestStore {
    /// The store.
    pub store: Store,
    /// Its URL.
    pub url: String,
    _guard: Guard,
}

#[derive(Debug)]
#[allow(dead_code)]
enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres(PostgresTestDb),
}

impl TestStore {
    /// A migrated SQLite store in a temporary directory.
    pub fn sqlite(pool_size: u32) -> Self {
        let (dir, url) = fresh_sqlite_url();
        let store = Store::connect(&url, pool_size).expect("open SQLite test store");
        store.migrate().expect("migrate SQLite test store");
        Self {
            store,
            url,
            _guard: Guard::Sqlite(dir),
        }
    }

    /// A migrated PostgreSQL store on a new database, dropped with this value.
    pub fn postgres(pool_size: u32) -> Self {
        let db = PostgresTestDb::create();
        let url = db.url.clone();
        let store = Store::connect(&url, pool_size).expect("open PostgreSQL test store");
        store.migrate().expect("migrate PostgreSQL test store");
        Self {
            store,
            url,
            _guard: Guard::Postgres(db),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
            "postgresql://u:p@h/x?sslmode=disable"
        );
    }
}
