//! Errors: [`StoreError`] for setting the store up, and the one mapping from Diesel and pool
//! errors to the domain's [`RepoError`].

use billing_domain::RepoError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Why the store could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported backend.
    #[error("unsupported database url {0}")]
    InvalidUrl(String),
    /// The SQLite file's directory could not be created.
    #[error("cannot create directory {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The database could not be reached.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A repository error while setting up.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// The error type inside store code: a [`RepoError`] that Diesel errors convert into, so `?`
/// and Diesel's transactions work with it.
#[derive(Debug)]
pub(crate) struct Fail(pub(crate) RepoError);

impl From<DieselError> for Fail {
    fn from(e: DieselError) -> Self {
        Self(map_diesel(e))
    }
}

impl From<RepoError> for Fail {
    fn from(e: RepoError) -> Self {
        Self(e)
    }
}

/// Result alias of store internals.
pub(crate) type DbResult<T> = Result<T, Fail>;

/// Maps a Diesel error: no row or a missing referenced row → `NotFound`, unique violation → `Conflict`, lost connection
/// or a locked SQLite database → `Unavailable`, anything else → `Other` (for logs only).
pub(crate) fn map_diesel(e: DieselError) -> RepoError {
    match e {
        DieselError::NotFound => RepoError::NotFound,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            RepoError::Conflict(
                info.constraint_name()
                    .map_or_else(|| info.message().to_owned(), str::to_owned),
            )
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            RepoError::NotFound
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            RepoError::Unavailable(info.message().to_owned())
        }
        DieselError::DatabaseError(_, info) if is_transient(info.message()) => {
            RepoError::Unavailable(info.message().to_owned())
        }
        DieselError::BrokenTransactionManager => RepoError::Unavailable("broken connection".into()),
        other => RepoError::Other(other.to_string()),
    }
}

fn is_transient(message: &str) -> bool {
    const MARKERS: [&str; 5] = [
        "database is locked",
        "server closed the connection",
        "no connection to the server",
        "terminating connection",
        "could not receive data from server",
    ];
    MARKERS.iter().any(|m| message.contains(m))
}

/// A pool error (timeout waiting for a connection, database down) → `Unavailable`.
pub(crate) fn pool_error(e: impl std::fmt::Display) -> RepoError {
    RepoError::Unavailable(e.to_string())
}

/// A stored value that does not parse back: a bug or a hand-edited row.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Fail {
    Fail(RepoError::Other(format!(
        "stored {what} is invalid: {detail}"
    )))
}

/// A JSON value that cannot be written.
pub(crate) fn encode_error(what: &str, detail: impl std::fmt::Display) -> Fail {
    Fail(RepoError::Other(format!("cannot encode {what}: {detail}")))
}
