//! The catalog, shared by the services of one server.
//!
//! [`Catalog`] owns one SQLite connection and is `Send` but not `Sync`; the
//! handle keeps it behind a mutex and runs every call on tokio's blocking
//! pool, so a slow disk or a writer holding the lock (the SIUSS pipeline
//! storing flows, for up to the catalog's 5 s busy timeout) never stalls the
//! async workers.

use std::path::Path;
use std::sync::{Arc, Mutex};

use metrodati_catalog::{Catalog, CatalogError};

/// Why a catalog call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The blocking task panicked or was cancelled.
    #[error("catalog task failed: {0}")]
    Task(String),
}

/// A cloneable handle on one catalog connection.
#[derive(Debug, Clone)]
pub struct CatalogHandle {
    inner: Arc<Mutex<Catalog>>,
}

impl CatalogHandle {
    /// Opens (and migrates) the catalog file.
    pub fn open(path: &Path) -> Result<CatalogHandle, CatalogError> {
        Ok(CatalogHandle::new(Catalog::open(path)?))
    }

    pub fn new(catalog: Catalog) -> CatalogHandle {
        CatalogHandle {
            inner: Arc::new(Mutex::new(catalog)),
        }
    }

    /// Runs `f` with the catalog on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Catalog) -> Result<T, CatalogError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves the connection usable
            // (SQLite rolls back the open transaction when it is dropped).
            let mut guard = inner.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
        .map_err(DbError::from)
    }

    /// Locks the catalog from synchronous code (tests, tools).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Catalog> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
