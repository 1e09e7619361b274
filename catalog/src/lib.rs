//! # metrodati-catalog
//!
//! The metadata catalog of metrodati: everything a data steward needs to see
//! what happened in the batch ETL of the 133 comuni of the Città
//! Metropolitana di Milano. It is one embedded SQLite file (path chosen by
//! the caller; [`Catalog::open_in_memory`] for tests), opened in WAL mode with
//! foreign keys on and a 5 s busy timeout, so several processes can share it.
//!
//! ## Tables
//!
//! | table | one row per | what for |
//! |---|---|---|
//! | `schema_migrations` | applied migration | audit of schema changes (mirrors `PRAGMA user_version`) |
//! | `runs` | pipeline run (one attempt) | job, pipeline, trigger, attempt, period (the fire time it is for), status, start/end, duration, error, parameters |
//! | `source_accounting` | run × comune × source | status and row accounting: `rows_read = rows_written + rows_quarantined` for processed sources, enforced by a CHECK; fingerprint, error, quarantine file |
//! | `source_repairs` | run × comune × source × repair | how many rows each automatic repair touched |
//! | `quality_results` | run × comune × source × rule | how many rows hit each quality rule, with severity `error`/`warning`/`repair` |
//! | `fingerprints` | key (e.g. `anagrafe/015146`) | fingerprint of the inputs + config + code that last produced a successful result, and the run that did: an unchanged fingerprint means a rerun has nothing to do |
//! | `datasets` | published dataset | title, description, schema version, personal-data flag |
//! | `dataset_versions` | version of a dataset partition | immutable outputs: path, rows, content hash, producing run; numbered 1, 2, … per (dataset, partition), unique |
//! | `lineage` | input × output version | which input (URL + fingerprint) a run read to make which version |
//! | `job_leases` | job being run by a scheduler | owner and expiry: two schedulers never run one job at once ([`Catalog::try_acquire_lease`]) |
//! | `scheduler_state` | scheduled job | the last fire time handled, so a restart neither loses nor repeats fires |
//! | `scheduler_queue` | fire waiting, retrying or running | trigger, attempt, retry counters, not-before time, current run |
//! | `siuss_flows` | SIUSS flow offered to INPS (WaaS) | ente, `id_flusso`, type, `ts_flusso` cursor, XML, status (`pending`/`sent`/`accepted`/`rejected`), latest esito, replacement ([`siuss`]) |
//! | `siuss_esiti` | esito received from INPS | every esito as received, also for unknown flows |
//! | `siuss_flow_meta` | flow built by the siuss pipeline | channel (WaaS or web upload), month, record, operation (I/C/SINBA snapshot), reason ([`siuss_ledger`]) |
//! | `siuss_records` | record ever submitted | change tracking: content hash, inserting flow, cancelling flow, state |
//! | `siuss_issues` | violation of the latest run per ente and month | the steward report's "not sent" rows (no CF on SINBA rows, by CHECK) |
//! | `siuss_keys` | key | fingerprint of the SINBA pseudonym secret: a changed secret is refused |
//!
//! Run row totals ([`RunRecord::rows_read`] etc.) are not stored: they are
//! summed from `source_accounting` when read.
//!
//! Conventions: timestamps are RFC 3339 UTC with milliseconds and `Z`
//! (fixed width, so text order is time order); enumerations are lowercase
//! text pinned by CHECK constraints; "no partition" is NULL.
//!
//! ## Schema changes
//!
//! The schema is built by ordered migrations ([`MIGRATIONS`], SQL under
//! `src/migrations/`), applied in one transaction by [`Catalog::open`]; the
//! version lives in `PRAGMA user_version`. A database newer than the build is
//! refused ([`CatalogError::SchemaTooNew`]). To add tables or columns (e.g.
//! the scheduler's leases), append a migration; never edit a shipped one.
//!
//! ## Transactions
//!
//! Each write method is atomic by itself. [`Catalog::transaction`] groups
//! several calls into one transaction (see its docs for the borrow design).

mod catalog;
mod error;
mod scheduling;
mod schema;
pub mod siuss;
pub mod siuss_ledger;
mod text_enum;
mod types;

pub use catalog::{now_rfc3339, Catalog, BUSY_TIMEOUT, SEVERITIES};
pub use error::{CatalogError, ParseError};
pub use scheduling::{Lease, NewRun, QueuedFire};
pub use schema::{Migration, MIGRATIONS, SCHEMA_VERSION};
pub use siuss::{
    CodiceEsito, EsitoOutcome, EsitoRecord, FlowEsito, FlowStatus, InsertedFlow, NewEsito, NewSiussFlow,
    SiussFlow, TipoFlusso,
};
pub use siuss_ledger::{
    Canale, FlowMeta, FlowState, LedgerRecord, LedgerUpdate, Motivo, Operazione, RecordState, ReportFlow,
    SiussIssue,
};
pub use types::{
    DatasetInfo, DatasetSummary, LineageEdge, NewVersion, QualityResult, RunFilter, RunId, RunRecord,
    RunStatus, SourceAccounting, SourceStatus, Trigger, VersionId, VersionRecord,
};

#[cfg(test)]
mod tests;
