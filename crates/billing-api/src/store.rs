//! Opens the configured store: PostgreSQL or SQLite through `billing-store-diesel` (chosen by
//! the URL scheme), or `memory:` for an in-process store that is never persisted.

use std::path::PathBuf;

use billing_store_memory::MemoryStore;
use std::sync::Arc;

use billing_domain::ports::{PaymentFlowRepository, Repositories};

/// Store errors (connection, migration), as text: the adapter's own error types stay inside.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// An opened store.
#[derive(Clone)]
pub struct StoreHandle {
    /// Every repository.
    pub repos: Repositories,
    /// The transactional payment-flow port on the same store.
    pub flow: Arc<dyn PaymentFlowRepository>,
    /// `postgres`, `sqlite` or `memory`.
    pub backend: &'static str,
    sqlite_file: Option<PathBuf>,
    memory: Option<MemoryStore>,
    #[cfg(feature = "diesel")]
    diesel: Option<billing_store_diesel::Store>,
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHandle")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// The SQLite file a URL points to, if it is a SQLite URL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if url.starts_with("postgres://")
        || url.starts_with("postgresql://")
        || url.starts_with("memory:")
    {
        return None;
    }
    let p = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let p = p.split('?').next().unwrap_or(p);
    (!p.is_empty() && p != ":memory:").then(|| PathBuf::from(p))
}

impl StoreHandle {
    /// Connects (blocking; call before the runtime gets busy or in `spawn_blocking`).
    pub fn open(url: &str, pool_size: u32) -> Result<Self, StoreError> {
        if url.starts_with("memory:") {
            let memory = MemoryStore::new();
            return Ok(Self {
                repos: memory.repositories(),
                flow: memory.payment_flow(),
                backend: "memory",
                sqlite_file: None,
                memory: Some(memory.clone()),
                #[cfg(feature = "diesel")]
                diesel: None,
            });
        }
        #[cfg(feature = "diesel")]
        {
            let store = billing_store_diesel::Store::connect(url, pool_size)
                .map_err(|e| StoreError(format!("cannot open the database: {e}")))?;
            Ok(Self {
                repos: store.repositories(),
                flow: store.payment_flow(),
                backend: store.backend(),
                sqlite_file: sqlite_path(url),
                memory: None,
                diesel: Some(store),
            })
        }
        #[cfg(not(feature = "diesel"))]
        {
            let _ = (pool_size, sqlite_path(url));
            Err(StoreError(format!(
                "this build has no database support (feature `diesel`); use memory: instead of {url}"
            )))
        }
    }

    /// The webhook event store on the same database (or memory).
    pub fn webhook_events(&self) -> Arc<dyn billing_domain::ports::WebhookEventRepository> {
        #[cfg(feature = "diesel")]
        if let Some(s) = &self.diesel {
            return s.webhook_events();
        }
        self.memory
            .as_ref()
            .map(MemoryStore::webhook_events)
            .unwrap_or_else(|| MemoryStore::new().webhook_events())
    }

    /// Applies pending migrations (blocking). A no-op for the memory store.
    pub fn migrate(&self) -> Result<(), StoreError> {
        #[cfg(feature = "diesel")]
        if let Some(s) = &self.diesel {
            s.migrate()
                .map_err(|e| StoreError(format!("migration failed: {e}")))?;
        }
        Ok(())
    }

    /// Copies the SQLite database to `path` while it stays in use (see
    /// `billing_store_diesel::Store::backup_to`). Refused for PostgreSQL (use `pg_dump`) and
    /// for the memory store (nothing to copy).
    pub fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        #[cfg(feature = "diesel")]
        if let Some(s) = &self.diesel {
            return s
                .backup_to(path)
                .map_err(|e| StoreError(format!("backup failed: {e}")));
        }
        let _ = path;
        Err(StoreError(
            "the memory store keeps nothing to back up".to_owned(),
        ))
    }

    /// One round trip to the database, for `/readyz`. For SQLite, the file must also still
    /// exist: open connections keep working on a deleted file, which would silently lose data.
    pub async fn ping(&self) -> Result<(), String> {
        if let Some(f) = &self.sqlite_file
            && !f.exists()
        {
            return Err(format!("the SQLite database file {} is gone", f.display()));
        }
        self.repos.health.ping().await.map_err(|e| e.to_string())
    }
}
