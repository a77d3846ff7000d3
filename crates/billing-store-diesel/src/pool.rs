//! Connections: the `AnyConnection` enum over both backends, the URL rules that pick one,
//! and the r2d2 manager that opens connections (with SQLite's PRAGMAs).

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::error::StoreError;

/// A connection to either backend. Queries written once against it run on both.
#[derive(diesel::MultiConnection)]
#[allow(missing_docs)]
pub enum AnyConnection {
    /// PostgreSQL.
    Postgres(PgConnection),
    /// SQLite (bundled).
    Sqlite(SqliteConnection),
}

/// The pool type.
pub(crate) type Pool = r2d2::Pool<Manager>;

/// A pooled connection and whether a query found it dead. Diesel's `is_broken` only knows
/// about broken transactions, so a PostgreSQL connection the server closed (restart,
/// failover, terminated backend) would otherwise be handed out again and again.
pub(crate) struct Pooled {
    pub(crate) conn: AnyConnection,
    pub(crate) lost: bool,
}

/// Which database a URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A `postgres://` URL, passed on as is.
    Postgres(String),
    /// A SQLite database file.
    Sqlite(PathBuf),
}

impl Target {
    /// `postgres://`/`postgresql://` → PostgreSQL; `sqlite://path`, `sqlite:path` or a plain
    /// path → SQLite. Anything else with a `scheme://` is refused.
    pub(crate) fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") || path == ":memory:" {
            return Err(StoreError::InvalidUrl(format!(
                "`{url}`: use postgres://…, sqlite://path/to/file.db or a file path"
            )));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }
}

/// r2d2 manager keyed on the URL's scheme.
#[derive(Debug)]
pub(crate) struct Manager {
    target: Target,
}

const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

fn open_sqlite(path: &Path) -> Result<SqliteConnection, r2d2::Error> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(r2d2::Error::ConnectionError)?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .map_err(r2d2::Error::QueryError)?;
    Ok(conn)
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let conn = match &self.target {
            Target::Postgres(url) => PgConnection::establish(url)
                .map(AnyConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError)?,
            Target::Sqlite(path) => open_sqlite(path).map(AnyConnection::Sqlite)?,
        };
        Ok(Pooled { conn, lost: false })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        pooled.conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.lost || std::thread::panicking() || pooled.conn.is_broken()
    }
}

/// Builds the pool. SQLite: creates the parent directory and switches the file to WAL once,
/// before the pool opens its connections concurrently.
pub(crate) fn build(url: &str, pool_size: u32) -> Result<(Pool, &'static str), StoreError> {
    let target = Target::parse(url)?;
    let backend = match &target {
        Target::Postgres(_) => "postgres",
        Target::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                    path: dir.display().to_string(),
                    source: e,
                })?;
            }
            drop(open_sqlite(path).map_err(|e| StoreError::Connect(e.to_string()))?);
            "sqlite"
        }
    };
    let pool = r2d2::Pool::builder()
        .max_size(pool_size.max(1))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(5))
        .build(Manager { target })
        .map_err(|e| StoreError::Connect(e.to_string()))?;
    Ok((pool, backend))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert!(matches!(
            Target::parse("postgres://u@h/db"),
            Ok(Target::Postgres(_))
        ));
        assert!(matches!(
            Target::parse("postgresql://u@h/db"),
            Ok(Target::Postgres(_))
        ));
        assert_eq!(
            Target::parse("sqlite://data/b.db").ok(),
            Some(Target::Sqlite("data/b.db".into()))
        );
        assert_eq!(
            Target::parse("sqlite:///tmp/b.db").ok(),
            Some(Target::Sqlite("/tmp/b.db".into()))
        );
        assert_eq!(
            Target::parse("sqlite:b.db").ok(),
            Some(Target::Sqlite("b.db".into()))
        );
        assert_eq!(
            Target::parse("./b.db").ok(),
            Some(Target::Sqlite("./b.db".into()))
        );
        assert!(Target::parse("mysql://h/db").is_err());
        assert!(Target::parse("").is_err());
    }
}
