//! Identifiers, enumerations and records stored in the catalog.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

use crate::error::ParseError;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.0))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }
    };
}

id_type!(
    /// Primary key of a run (`runs.id`).
    RunId
);
id_type!(
    /// Primary key of a dataset version (`dataset_versions.id`).
    VersionId
);

macro_rules! text_enum {
    (
        $(#[$m:meta])*
        $name:ident, $kind:literal, $serde_case:literal {
            $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = $serde_case)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database (and printed by `Display`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            /// Parses the stored text form; surrounding whitespace and ASCII
            /// case are ignored.
            fn from_str(s: &str) -> Result<Self, ParseError> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($text) {
                        return Ok($name::$variant);
                    }
                )+
                Err(ParseError {
                    kind: $kind,
                    value: s.to_string(),
                    expected: concat!($($text, ", "),+).trim_end_matches(", "),
                })
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let s = value.as_str()?;
                s.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

text_enum!(
    /// What started a run. Stored as `manual`, `scheduled`, `catch-up`,
    /// `backfill`, `dependency`.
    Trigger, "trigger", "kebab-case" {
        /// Started by a person (CLI).
        Manual => "manual",
        /// Started by the scheduler at its planned time.
        Scheduled => "scheduled",
        /// Started by the scheduler to make up for missed slots.
        CatchUp => "catch-up",
        /// Re-processing of past periods.
        Backfill => "backfill",
        /// Started because an upstream job finished.
        Dependency => "dependency",
    }
);

text_enum!(
    /// Life-cycle state of a run. Stored in snake_case.
    RunStatus, "run status", "snake_case" {
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        /// Some sources failed, the others were published.
        PartiallySucceeded => "partially_succeeded",
        /// Nothing to do (e.g. all inputs unchanged).
        Skipped => "skipped",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// Outcome for one comune × source within a run.
    SourceStatus, "source status", "snake_case" {
        /// Read and processed: `rows_read = rows_written + rows_quarantined`.
        Processed => "processed",
        /// Fingerprint unchanged since the last success: no work done.
        Unchanged => "unchanged",
        /// Processing failed; `error` says why.
        Failed => "failed",
    }
);

impl RunStatus {
    /// True for every status but [`RunStatus::Running`].
    pub fn is_terminal(self) -> bool {
        self != RunStatus::Running
    }
}

/// A run, as returned by [`Catalog::run`](crate::Catalog::run) and
/// [`Catalog::runs`](crate::Catalog::runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: RunId,
    pub job: String,
    pub pipeline: String,
    pub trigger: Trigger,
    pub attempt: u32,
    pub status: RunStatus,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC; `None` while running.
    pub ended_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    pub params_json: String,
    /// The fire time (RFC 3339 UTC) a scheduled, catch-up, dependency or
    /// backfill run is for; `None` for manual runs. Retries share it.
    pub period: Option<String>,
    /// Sum over the run's source accounting.
    pub rows_read: i64,
    /// Sum over the run's source accounting.
    pub rows_written: i64,
    /// Sum over the run's source accounting.
    pub rows_quarantined: i64,
}

/// Filter for [`Catalog::runs`](crate::Catalog::runs); all fields are
/// optional and combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub job: Option<String>,
    pub status: Option<RunStatus>,
    pub trigger: Option<Trigger>,
    /// Keep runs with `started_at >= since`. RFC 3339 (any offset; it is
    /// normalised to UTC) or a bare date `YYYY-MM-DD` (midnight UTC).
    pub since: Option<String>,
    pub limit: Option<usize>,
}

/// Row accounting for one comune × source within a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceAccounting {
    /// ISTAT code of the comune, e.g. `015146`.
    pub comune: String,
    /// Source name, e.g. `anagrafe`.
    pub source: String,
    pub status: SourceStatus,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_quarantined: u64,
    /// Repair code → number of rows repaired.
    pub repairs: BTreeMap<String, u64>,
    pub fingerprint: Option<String>,
    pub error: Option<String>,
    pub quarantine_path: Option<String>,
}

/// How many rows hit one quality rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityResult {
    /// Stable rule code.
    pub rule: String,
    /// `"error"`, `"warning"` or `"repair"`.
    pub severity: String,
    pub count: u64,
}

/// Descriptive metadata of a dataset ([`Catalog::register_dataset`](crate::Catalog::register_dataset)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub title: String,
    pub description: String,
    pub schema_version: String,
    pub personal_data: bool,
}

/// A new version to append ([`Catalog::add_version`](crate::Catalog::add_version)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVersion {
    pub dataset: String,
    /// `None` for an unpartitioned dataset; `Some("")` is rejected.
    pub partition: Option<String>,
    pub run: RunId,
    pub path: String,
    pub rows: u64,
    pub content_hash: String,
    pub schema_version: String,
}

/// A stored dataset version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub id: VersionId,
    pub dataset: String,
    pub partition: Option<String>,
    /// 1, 2, 3… per (dataset, partition).
    pub version: u32,
    pub run: RunId,
    pub path: String,
    pub rows: u64,
    pub content_hash: String,
    pub schema_version: String,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// One line of [`Catalog::datasets`](crate::Catalog::datasets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Schema version of the dataset's registration.
    pub schema_version: String,
    pub personal_data: bool,
    /// Number of partitions that have at least one version (an
    /// unpartitioned dataset with versions counts 1).
    pub partitions: u64,
    /// Sum of `rows` of the latest version of each partition.
    pub total_rows: u64,
    /// `created_at` of the most recent version; `None` if there is none.
    pub last_updated: Option<String>,
    /// Run that produced the most recent version; `None` if there is none.
    pub latest_run: Option<RunId>,
}

/// One lineage edge: `input_url` (as it was, `input_fingerprint`) was read by
/// `run` to produce `output`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageEdge {
    pub input_url: String,
    pub input_fingerprint: String,
    pub run: RunId,
    pub output: VersionId,
}
