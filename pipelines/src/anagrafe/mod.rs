//! The anagrafe pipeline: residents, families and residences of a comune,
//! from its exports to the interoperability schema.
//!
//! Per comune: resolve the source files, fingerprint them (unchanged inputs
//! → no work), stream every row through mapping and validation, write valid
//! rows to the store in batches and rejected rows to the quarantine, then
//! replace the comune's partitions atomically. Row accounting holds for
//! every source: rows read = rows written + rows quarantined.

pub mod mapping;
mod process;
mod state;

pub use state::DEFAULT_IN_MEMORY_LIMIT;

pub use process::{process_comune, ComuneOutcome, ComuneStatus, Options, SourceOutcome};

/// Pipeline name (in jobs.toml and the catalog).
pub const PIPELINE: &str = "anagrafe";

/// Version of the normalisation logic: part of every input fingerprint, so
/// that a change in the rules reprocesses unchanged inputs.
pub const PIPELINE_VERSION: &str = "1";

/// Tables this pipeline writes.
pub const TABLES: [&str; 3] = ["persona", "famiglia", "residenza"];
