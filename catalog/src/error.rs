//! Error type of the catalog.

use std::path::PathBuf;

use crate::types::{RunId, RunStatus, VersionId};

/// Everything that can go wrong talking to the catalog.
///
/// SQLite errors are wrapped with the operation that failed
/// ([`CatalogError::Sqlite`]); violations of the catalog's own rules that are
/// checked before touching the database get their own variants so callers
/// (and data stewards reading logs) see what was wrong, not just
/// "CHECK constraint failed".
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Creating the catalog's parent directory failed.
    #[error("catalog: cannot create directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Creating the catalog file owner-only, or narrowing its mode, failed.
    #[error("catalog: cannot make {path} readable by its owner only: {source}")]
    Permissions {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A SQLite call failed; `op` says which catalog operation was running.
    #[error("catalog: {op}: {source}")]
    Sqlite {
        op: &'static str,
        #[source]
        source: rusqlite::Error,
    },

    /// The database was written by a newer build (its `user_version` is
    /// higher than the last migration this build knows).
    #[error(
        "catalog: database schema version {found} is newer than this build supports \
         ({supported}); upgrade metrodati"
    )]
    SchemaTooNew { found: i64, supported: i64 },

    /// The row accounting of a source does not add up.
    #[error(
        "catalog: row accounting violated for run {run}, comune {comune}, source {source_name}: {detail}"
    )]
    Accounting {
        run: RunId,
        comune: String,
        /// The source (e.g. `anagrafe`); named so because thiserror reserves `source`.
        source_name: String,
        detail: String,
    },

    /// The run does not exist.
    #[error("catalog: run {0} not found")]
    RunNotFound(RunId),

    /// `finish_run` on a run that already finished.
    #[error("catalog: run {run} is not running (status {status})")]
    RunNotRunning { run: RunId, status: RunStatus },

    /// The dataset has not been registered with `register_dataset`.
    #[error("catalog: dataset {0:?} is not registered")]
    UnknownDataset(String),

    /// The dataset version does not exist.
    #[error("catalog: dataset version {0} not found")]
    VersionNotFound(VersionId),

    /// An argument was rejected before reaching the database.
    #[error("catalog: {op}: invalid input: {message}")]
    InvalidInput { op: &'static str, message: String },

    /// Text that should have been one of the catalog's enumerations.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// A string that is not a valid value of one of the catalog's enumerations
/// ([`Trigger`](crate::Trigger), [`RunStatus`], [`SourceStatus`](crate::SourceStatus)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?} (expected one of: {expected})")]
pub struct ParseError {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// Attach the failing operation to a rusqlite result.
pub(crate) trait Context<T> {
    fn ctx(self, op: &'static str) -> Result<T, CatalogError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn ctx(self, op: &'static str) -> Result<T, CatalogError> {
        self.map_err(|source| CatalogError::Sqlite { op, source })
    }
}
