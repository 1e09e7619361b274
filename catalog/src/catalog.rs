//! The [`Catalog`] handle and its operations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

use crate::error::{CatalogError, Context};
use crate::schema;
use crate::types::{
    DatasetInfo, DatasetSummary, LineageEdge, NewVersion, QualityResult, RunFilter, RunId, RunRecord,
    RunStatus, SourceAccounting, SourceStatus, Trigger, VersionId, VersionRecord,
};

type Result<T> = std::result::Result<T, CatalogError>;

/// How long a connection waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Quality severities accepted by [`Catalog::record_quality`].
pub const SEVERITIES: &[&str] = &["error", "warning", "repair"];

/// Handle on a catalog database. See the [crate docs](crate) for the tables.
///
/// Every method takes `&self`; writes that touch several rows are atomic on
/// their own. To group several calls into one atomic unit use
/// [`Catalog::transaction`].
///
/// `Catalog` is `Send` but not `Sync` (it owns one SQLite connection): give
/// each thread or process its own `Catalog` on the same file; WAL mode and the
/// 5 s busy timeout let them write concurrently (writes are serialised by
/// SQLite).
#[derive(Debug)]
pub struct Catalog {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
}

/// Current time as stored in the catalog: RFC 3339, UTC, milliseconds, `Z`.
pub fn now_rfc3339() -> String {
    format_ts(Utc::now())
}

pub(crate) fn format_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Normalise a `since` bound to the stored form, so that text comparison is
/// time comparison.
fn normalize_since(s: &str) -> Result<String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(format_ts(t.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        return Ok(format_ts(t));
    }
    Err(CatalogError::InvalidInput {
        op: "runs",
        message: format!("`since` must be RFC 3339 or YYYY-MM-DD, got {s:?}"),
    })
}

fn to_i64(op: &'static str, what: &str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| CatalogError::InvalidInput {
        op,
        message: format!("{what} = {v} does not fit in a signed 64-bit integer"),
    })
}

pub(crate) fn non_empty(op: &'static str, what: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        Err(CatalogError::InvalidInput {
            op,
            message: format!("{what} must not be empty"),
        })
    } else {
        Ok(())
    }
}

/// Checks the row accounting of a source; the same rules are CHECK
/// constraints on `source_accounting`.
fn check_accounting(run: RunId, acc: &SourceAccounting) -> Result<()> {
    let fail = |detail: String| CatalogError::Accounting {
        run,
        comune: acc.comune.clone(),
        source_name: acc.source.clone(),
        detail,
    };
    let out = acc.rows_written.checked_add(acc.rows_quarantined);
    if acc.status == SourceStatus::Processed && out != Some(acc.rows_read) {
        return Err(fail(format!(
            "processed source must have rows_read = rows_written + rows_quarantined, \
             got {} != {} + {}",
            acc.rows_read, acc.rows_written, acc.rows_quarantined
        )));
    }
    if out.is_none_or(|o| o > acc.rows_read) {
        return Err(fail(format!(
            "rows_written + rows_quarantined ({} + {}) exceeds rows_read ({})",
            acc.rows_written, acc.rows_quarantined, acc.rows_read
        )));
    }
    Ok(())
}

/// Rolls back to a savepoint unless released (also on panic).
struct SavepointGuard<'a> {
    conn: &'a Connection,
    released: bool,
}

impl<'a> SavepointGuard<'a> {
    fn begin(conn: &'a Connection, op: &'static str) -> Result<Self> {
        conn.execute_batch("SAVEPOINT catalog_op").ctx(op)?;
        Ok(SavepointGuard {
            conn,
            released: false,
        })
    }

    fn release(mut self, op: &'static str) -> Result<()> {
        self.released = true;
        self.conn.execute_batch("RELEASE catalog_op").ctx(op)
    }
}

impl Drop for SavepointGuard<'_> {
    fn drop(&mut self) {
        if !self.released {
            let _ = self
                .conn
                .execute_batch("ROLLBACK TO catalog_op; RELEASE catalog_op");
        }
    }
}

pub(crate) const RUN_COLUMNS: &str = "r.id, r.job, r.pipeline, r.triggered_by, r.attempt, r.status, \
     r.started_at, r.ended_at, r.duration_ms, r.error, r.params_json, r.period, \
     (SELECT IFNULL(SUM(s.rows_read), 0) FROM source_accounting s WHERE s.run_id = r.id), \
     (SELECT IFNULL(SUM(s.rows_written), 0) FROM source_accounting s WHERE s.run_id = r.id), \
     (SELECT IFNULL(SUM(s.rows_quarantined), 0) FROM source_accounting s WHERE s.run_id = r.id)";

pub(crate) fn run_from_row(row: &Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: row.get(0)?,
        job: row.get(1)?,
        pipeline: row.get(2)?,
        trigger: row.get(3)?,
        attempt: row.get(4)?,
        status: row.get(5)?,
        started_at: row.get(6)?,
        ended_at: row.get(7)?,
        duration_ms: row.get(8)?,
        error: row.get(9)?,
        params_json: row.get(10)?,
        period: row.get(11)?,
        rows_read: row.get(12)?,
        rows_written: row.get(13)?,
        rows_quarantined: row.get(14)?,
    })
}

const VERSION_COLUMNS: &str = "id, dataset, partition_key, version, run_id, path, row_count, \
     content_hash, schema_version, created_at";

fn version_from_row(row: &Row<'_>) -> rusqlite::Result<VersionRecord> {
    Ok(VersionRecord {
        id: row.get(0)?,
        dataset: row.get(1)?,
        partition: row.get(2)?,
        version: row.get(3)?,
        run: row.get(4)?,
        path: row.get(5)?,
        rows: row.get(6)?,
        content_hash: row.get(7)?,
        schema_version: row.get(8)?,
        created_at: row.get(9)?,
    })
}

/// The catalog holds personal data (the SIUSS flows carry codici fiscali
/// and names): its file is created, or narrowed, to owner-only (0600).
/// SQLite gives its `-wal` and `-shm` files the database file's mode.
fn restrict_permissions(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |source| CatalogError::Permissions {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::metadata(path) {
            Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .mode(0o600)
                    .open(path)
                    .map_err(io)?;
            }
            Err(e) => return Err(io(e)),
        }
        // Journal files left by an earlier process keep their own mode.
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = PathBuf::from(p);
            if let Ok(m) = std::fs::metadata(&p) {
                if m.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).map_err(
                        |source| CatalogError::Permissions {
                            path: p.clone(),
                            source,
                        },
                    )?;
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Catalog {
    // ------------------------------------------------------------------
    // opening
    // ------------------------------------------------------------------

    /// Opens (creating it and its parent directories if needed) the catalog
    /// at `path`, switches it to WAL mode, turns foreign keys on, sets a 5 s
    /// busy timeout and applies pending migrations.
    pub fn open(path: &Path) -> Result<Catalog> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| CatalogError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        restrict_permissions(path)?;
        let conn = Connection::open(path).ctx("open database file")?;
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// A private, empty catalog in memory (tests, dry runs). Same schema and
    /// pragmas as a file catalog, except that the journal stays in memory.
    pub fn open_in_memory() -> Result<Catalog> {
        let conn = Connection::open_in_memory().ctx("open in-memory database")?;
        Self::init(conn, None)
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Catalog> {
        conn.busy_timeout(BUSY_TIMEOUT).ctx("set busy_timeout")?;
        conn.pragma_update(None, "foreign_keys", true)
            .ctx("enable foreign keys")?;
        if path.is_some() {
            // Returns the mode in force; a file system without WAL support
            // keeps the rollback journal, which is still correct, only less
            // concurrent.
            let _mode: String = conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .ctx("enable WAL journal")?;
        }
        schema::migrate(&mut conn, &now_rfc3339())?;
        Ok(Catalog { conn, path })
    }

    /// The file this catalog was opened from (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The database's schema version (`PRAGMA user_version`); equal to
    /// [`SCHEMA_VERSION`](crate::SCHEMA_VERSION) once opened.
    pub fn schema_version(&self) -> Result<i64> {
        schema::user_version(&self.conn)
    }

    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    // ------------------------------------------------------------------
    // transactions
    // ------------------------------------------------------------------

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction: it commits if `f`
    /// returns `Ok`, and rolls back if `f` returns `Err` or panics.
    ///
    /// Borrowing: the closure gets `&Catalog`, so it can call every other
    /// method (they all take `&self`). `transaction` itself takes `&mut self`,
    /// so it cannot be called again from inside the closure: nesting is
    /// ruled out at compile time. Methods that need several statements use
    /// SQL savepoints when they run inside a transaction, so a failing call
    /// inside `f` undoes only itself; it is still up to `f` whether to
    /// propagate the error (rolling back everything) or carry on.
    ///
    /// `IMMEDIATE` takes the write lock at the start (waiting up to the busy
    /// timeout), so read-then-write sequences in `f` cannot fail half-way
    /// because another process wrote in between.
    ///
    /// ```
    /// # use metrodati_catalog::*;
    /// let mut cat = Catalog::open_in_memory()?;
    /// let run = cat.transaction(|c| {
    ///     let run = c.start_run("anagrafe", "anagrafe-v1", Trigger::Manual, "{}")?;
    ///     c.set_fingerprint("anagrafe/015146", "sha256:ab12", run)?;
    ///     Ok(run)
    /// })?;
    /// assert_eq!(cat.fingerprint("anagrafe/015146")?.as_deref(), Some("sha256:ab12"));
    /// # let _ = run;
    /// # Ok::<(), CatalogError>(())
    /// ```
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Catalog) -> Result<T>) -> Result<T> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .ctx("transaction: begin")?;
        let out = f(self)?;
        tx.commit().ctx("transaction: commit")?;
        Ok(out)
    }

    /// Runs `f` atomically: in its own IMMEDIATE transaction when none is
    /// open, in a savepoint inside the caller's [`Catalog::transaction`].
    pub(crate) fn atomically<T>(&self, op: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.conn.is_autocommit() {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).ctx(op)?;
            let out = f()?;
            tx.commit().ctx(op)?;
            Ok(out)
        } else {
            let sp = SavepointGuard::begin(&self.conn, op)?;
            let out = f()?;
            sp.release(op)?;
            Ok(out)
        }
    }

    pub(crate) fn ensure_run(&self, op: &'static str, run: RunId) -> Result<()> {
        let found = self
            .conn
            .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")
            .and_then(|mut st| st.exists([run]))
            .ctx(op)?;
        if found {
            Ok(())
        } else {
            Err(CatalogError::RunNotFound(run))
        }
    }

    // ------------------------------------------------------------------
    // runs
    // ------------------------------------------------------------------

    /// Records a new run: status `running`, `started_at` now, attempt 1.
    /// `params_json` must be valid JSON (an empty string is stored as `{}`).
    pub fn start_run(&self, job: &str, pipeline: &str, trigger: Trigger, params_json: &str) -> Result<RunId> {
        const OP: &str = "start_run";
        non_empty(OP, "job", job)?;
        let params = if params_json.trim().is_empty() {
            "{}"
        } else {
            params_json
        };
        if let Err(e) = serde_json::from_str::<serde_json::Value>(params) {
            return Err(CatalogError::InvalidInput {
                op: OP,
                message: format!("params_json is not valid JSON: {e}"),
            });
        }
        self.conn
            .prepare_cached(
                "INSERT INTO runs (job, pipeline, triggered_by, attempt, status, started_at, params_json)
                 VALUES (?1, ?2, ?3, 1, 'running', ?4, ?5)
                 RETURNING id",
            )
            .and_then(|mut st| {
                st.query_row(params![job, pipeline, trigger, now_rfc3339(), params], |r| {
                    r.get(0)
                })
            })
            .ctx(OP)
    }

    /// Closes a running run with a terminal `status`: sets `ended_at` now,
    /// `duration_ms` and `error`. Fails with [`CatalogError::RunNotFound`],
    /// with [`CatalogError::RunNotRunning`] if it was already finished, and
    /// with [`CatalogError::InvalidInput`] for `RunStatus::Running`.
    pub fn finish_run(&self, run: RunId, status: RunStatus, error: Option<&str>) -> Result<()> {
        const OP: &str = "finish_run";
        if !status.is_terminal() {
            return Err(CatalogError::InvalidInput {
                op: OP,
                message: "a run cannot be finished with status `running`".into(),
            });
        }
        self.atomically(OP, || {
            let current: Option<(RunStatus, String)> = self
                .conn
                .query_row("SELECT status, started_at FROM runs WHERE id = ?1", [run], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .ctx(OP)?;
            let (current, started_at) = current.ok_or(CatalogError::RunNotFound(run))?;
            if current != RunStatus::Running {
                return Err(CatalogError::RunNotRunning { run, status: current });
            }
            let now = Utc::now();
            // Clamp: clocks of different hosts writing the same catalog may
            // disagree slightly.
            let duration_ms = DateTime::parse_from_rfc3339(&started_at)
                .map(|s| (now - s.with_timezone(&Utc)).num_milliseconds().max(0))
                .unwrap_or(0);
            self.conn
                .execute(
                    "UPDATE runs SET status = ?2, ended_at = ?3, duration_ms = ?4, error = ?5
                     WHERE id = ?1",
                    params![run, status, format_ts(now), duration_ms, error],
                )
                .ctx(OP)?;
            Ok(())
        })
    }

    /// One run with its row totals, or `None`.
    pub fn run(&self, run: RunId) -> Result<Option<RunRecord>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.id = ?1");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([run], run_from_row).optional())
            .ctx("run")
    }

    /// Runs matching `filter`, newest first (by `started_at`, then id).
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        const OP: &str = "runs";
        let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs r WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        if let Some(job) = &filter.job {
            args.push(Value::Text(job.clone()));
            sql.push_str(&format!(" AND r.job = ?{}", args.len()));
        }
        if let Some(status) = filter.status {
            args.push(Value::Text(status.as_str().into()));
            sql.push_str(&format!(" AND r.status = ?{}", args.len()));
        }
        if let Some(trigger) = filter.trigger {
            args.push(Value::Text(trigger.as_str().into()));
            sql.push_str(&format!(" AND r.triggered_by = ?{}", args.len()));
        }
        if let Some(since) = &filter.since {
            args.push(Value::Text(normalize_since(since)?));
            sql.push_str(&format!(" AND r.started_at >= ?{}", args.len()));
        }
        sql.push_str(" ORDER BY r.started_at DESC, r.id DESC");
        if let Some(limit) = filter.limit {
            args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
            sql.push_str(&format!(" LIMIT ?{}", args.len()));
        }
        let mut st = self.conn.prepare_cached(&sql).ctx(OP)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args), run_from_row)
            .ctx(OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)
    }

    // ------------------------------------------------------------------
    // per-source accounting
    // ------------------------------------------------------------------

    /// Records (or replaces) the accounting of one comune × source in `run`,
    /// repairs included.
    ///
    /// Rejected with [`CatalogError::Accounting`] when the rows do not add
    /// up: for a `Processed` source `rows_read` must equal
    /// `rows_written + rows_quarantined`, and for any status
    /// `rows_written + rows_quarantined <= rows_read`.
    pub fn record_source(&self, run: RunId, acc: &SourceAccounting) -> Result<()> {
        const OP: &str = "record_source";
        non_empty(OP, "comune", &acc.comune)?;
        non_empty(OP, "source", &acc.source)?;
        check_accounting(run, acc)?;
        let read = to_i64(OP, "rows_read", acc.rows_read)?;
        let written = to_i64(OP, "rows_written", acc.rows_written)?;
        let quarantined = to_i64(OP, "rows_quarantined", acc.rows_quarantined)?;
        let mut repairs = Vec::with_capacity(acc.repairs.len());
        for (code, &n) in &acc.repairs {
            non_empty(OP, "repair code", code)?;
            repairs.push((code.as_str(), to_i64(OP, "repair count", n)?));
        }
        self.atomically(OP, || {
            self.ensure_run(OP, run)?;
            // Replacing cascades to the old repairs.
            self.conn
                .execute(
                    "DELETE FROM source_accounting WHERE run_id = ?1 AND comune = ?2 AND source = ?3",
                    params![run, acc.comune, acc.source],
                )
                .ctx(OP)?;
            self.conn
                .prepare_cached(
                    "INSERT INTO source_accounting
                       (run_id, comune, source, status, rows_read, rows_written, rows_quarantined,
                        fingerprint, error, quarantine_path, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        run,
                        acc.comune,
                        acc.source,
                        acc.status,
                        read,
                        written,
                        quarantined,
                        acc.fingerprint,
                        acc.error,
                        acc.quarantine_path,
                        now_rfc3339(),
                    ])
                })
                .ctx(OP)?;
            let mut st = self
                .conn
                .prepare_cached(
                    "INSERT INTO source_repairs (run_id, comune, source, repair, count)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .ctx(OP)?;
            for (code, n) in &repairs {
                st.execute(params![run, acc.comune, acc.source, code, n])
                    .ctx(OP)?;
            }
            Ok(())
        })
    }

    /// The accounting of every comune × source of `run`, ordered by comune
    /// then source (empty for an unknown run).
    pub fn sources(&self, run: RunId) -> Result<Vec<SourceAccounting>> {
        const OP: &str = "sources";
        let mut repairs: BTreeMap<(String, String), BTreeMap<String, u64>> = BTreeMap::new();
        {
            let mut st = self
                .conn
                .prepare_cached("SELECT comune, source, repair, count FROM source_repairs WHERE run_id = ?1")
                .ctx(OP)?;
            let rows = st
                .query_map([run], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, u64>(3)?,
                    ))
                })
                .ctx(OP)?;
            for row in rows {
                let (comune, source, code, n) = row.ctx(OP)?;
                repairs.entry((comune, source)).or_default().insert(code, n);
            }
        }
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT comune, source, status, rows_read, rows_written, rows_quarantined,
                        fingerprint, error, quarantine_path
                 FROM source_accounting WHERE run_id = ?1 ORDER BY comune, source",
            )
            .ctx(OP)?;
        let rows = st
            .query_map([run], |r| {
                Ok(SourceAccounting {
                    comune: r.get(0)?,
                    source: r.get(1)?,
                    status: r.get(2)?,
                    rows_read: r.get(3)?,
                    rows_written: r.get(4)?,
                    rows_quarantined: r.get(5)?,
                    repairs: BTreeMap::new(),
                    fingerprint: r.get(6)?,
                    error: r.get(7)?,
                    quarantine_path: r.get(8)?,
                })
            })
            .ctx(OP)?;
        let mut out = rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)?;
        for acc in &mut out {
            if let Some(map) = repairs.remove(&(acc.comune.clone(), acc.source.clone())) {
                acc.repairs = map;
            }
        }
        Ok(out)
    }

    // ------------------------------------------------------------------
    // quality
    // ------------------------------------------------------------------

    /// Records the per-rule counts of one comune × source in `run`. A rule
    /// recorded again for the same run × comune × source replaces the
    /// earlier count. Severity must be `error`, `warning` or `repair`; a rule
    /// listed twice in `results` is rejected.
    pub fn record_quality(
        &self,
        run: RunId,
        comune: &str,
        source: &str,
        results: &[QualityResult],
    ) -> Result<()> {
        const OP: &str = "record_quality";
        non_empty(OP, "comune", comune)?;
        non_empty(OP, "source", source)?;
        let mut seen = BTreeSet::new();
        let mut rows = Vec::with_capacity(results.len());
        for q in results {
            non_empty(OP, "rule", &q.rule)?;
            if !SEVERITIES.contains(&q.severity.as_str()) {
                return Err(CatalogError::InvalidInput {
                    op: OP,
                    message: format!(
                        "rule {}: severity {:?} is not one of error, warning, repair",
                        q.rule, q.severity
                    ),
                });
            }
            if !seen.insert(q.rule.as_str()) {
                return Err(CatalogError::InvalidInput {
                    op: OP,
                    message: format!("rule {} listed more than once", q.rule),
                });
            }
            rows.push((q, to_i64(OP, "count", q.count)?));
        }
        self.atomically(OP, || {
            self.ensure_run(OP, run)?;
            let mut st = self
                .conn
                .prepare_cached(
                    "INSERT INTO quality_results (run_id, comune, source, rule, severity, count)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (run_id, comune, source, rule)
                     DO UPDATE SET severity = excluded.severity, count = excluded.count",
                )
                .ctx(OP)?;
            for (q, n) in &rows {
                st.execute(params![run, comune, source, q.rule, q.severity, n])
                    .ctx(OP)?;
            }
            Ok(())
        })
    }

    /// Every quality result of `run` as (comune, source, result), ordered by
    /// comune, source, rule.
    pub fn quality(&self, run: RunId) -> Result<Vec<(String, String, QualityResult)>> {
        const OP: &str = "quality";
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT comune, source, rule, severity, count FROM quality_results
                 WHERE run_id = ?1 ORDER BY comune, source, rule",
            )
            .ctx(OP)?;
        let rows = st
            .query_map([run], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    QualityResult {
                        rule: r.get(2)?,
                        severity: r.get(3)?,
                        count: r.get(4)?,
                    },
                ))
            })
            .ctx(OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)
    }

    // ------------------------------------------------------------------
    // fingerprints
    // ------------------------------------------------------------------

    /// The fingerprint that last produced a successful result for `key`.
    pub fn fingerprint(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT fingerprint FROM fingerprints WHERE key = ?1")
            .and_then(|mut st| st.query_row([key], |r| r.get(0)).optional())
            .ctx("fingerprint")
    }

    /// Sets (or replaces) the fingerprint of `key`, remembering which run
    /// produced it.
    pub fn set_fingerprint(&self, key: &str, fingerprint: &str, run: RunId) -> Result<()> {
        const OP: &str = "set_fingerprint";
        non_empty(OP, "key", key)?;
        non_empty(OP, "fingerprint", fingerprint)?;
        self.atomically(OP, || {
            self.ensure_run(OP, run)?;
            self.conn
                .prepare_cached(
                    "INSERT INTO fingerprints (key, fingerprint, run_id, updated_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,
                         run_id = excluded.run_id, updated_at = excluded.updated_at",
                )
                .and_then(|mut st| st.execute(params![key, fingerprint, run, now_rfc3339()]))
                .ctx(OP)?;
            Ok(())
        })
    }

    /// Forgets the fingerprint of `key` (so the next run reprocesses it).
    /// Clearing an absent key is not an error.
    pub fn clear_fingerprint(&self, key: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM fingerprints WHERE key = ?1")
            .and_then(|mut st| st.execute([key]))
            .ctx("clear_fingerprint")?;
        Ok(())
    }

    // ------------------------------------------------------------------
    // datasets and versions
    // ------------------------------------------------------------------

    /// Registers a dataset, or updates title, description, schema version
    /// and personal-data flag of an existing one (upsert by name).
    pub fn register_dataset(&self, ds: &DatasetInfo) -> Result<()> {
        const OP: &str = "register_dataset";
        non_empty(OP, "dataset name", &ds.name)?;
        let now = now_rfc3339();
        self.conn
            .prepare_cached(
                "INSERT INTO datasets
                   (name, title, description, schema_version, personal_data, registered_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (name) DO UPDATE SET
                   title = excluded.title, description = excluded.description,
                   schema_version = excluded.schema_version,
                   personal_data = excluded.personal_data, updated_at = excluded.updated_at",
            )
            .and_then(|mut st| {
                st.execute(params![
                    ds.name,
                    ds.title,
                    ds.description,
                    ds.schema_version,
                    ds.personal_data,
                    now
                ])
            })
            .ctx(OP)?;
        Ok(())
    }

    /// Appends a version of `v.dataset` / `v.partition`; its number is the
    /// previous maximum for that (dataset, partition) plus one, computed
    /// under the write lock. The dataset must be registered and the run
    /// must exist.
    pub fn add_version(&self, v: &NewVersion) -> Result<VersionId> {
        const OP: &str = "add_version";
        if v.partition.as_deref() == Some("") {
            return Err(CatalogError::InvalidInput {
                op: OP,
                message: "partition must be None or a non-empty string".into(),
            });
        }
        non_empty(OP, "path", &v.path)?;
        non_empty(OP, "content_hash", &v.content_hash)?;
        let rows = to_i64(OP, "rows", v.rows)?;
        self.atomically(OP, || {
            let known = self
                .conn
                .prepare_cached("SELECT 1 FROM datasets WHERE name = ?1")
                .and_then(|mut st| st.exists([&v.dataset]))
                .ctx(OP)?;
            if !known {
                return Err(CatalogError::UnknownDataset(v.dataset.clone()));
            }
            self.ensure_run(OP, v.run)?;
            self.conn
                .prepare_cached(
                    "INSERT INTO dataset_versions
                       (dataset, partition_key, version, run_id, path, row_count, content_hash,
                        schema_version, created_at)
                     SELECT ?1, ?2, IFNULL(MAX(version), 0) + 1, ?3, ?4, ?5, ?6, ?7, ?8
                     FROM dataset_versions
                     WHERE dataset = ?1 AND IFNULL(partition_key, '') = IFNULL(?2, '')
                     RETURNING id",
                )
                .and_then(|mut st| {
                    st.query_row(
                        params![
                            v.dataset,
                            v.partition,
                            v.run,
                            v.path,
                            rows,
                            v.content_hash,
                            v.schema_version,
                            now_rfc3339()
                        ],
                        |r| r.get(0),
                    )
                })
                .ctx(OP)
        })
    }

    /// Every registered dataset (by name) with: number of partitions that
    /// have versions, total rows over the latest version of each partition,
    /// time and run of the most recent version.
    pub fn datasets(&self) -> Result<Vec<DatasetSummary>> {
        const OP: &str = "datasets";
        let mut st = self
            .conn
            .prepare_cached(
                "WITH ranked AS (
                    SELECT dataset, row_count,
                           ROW_NUMBER() OVER (PARTITION BY dataset, IFNULL(partition_key, '')
                                              ORDER BY version DESC) AS rn
                    FROM dataset_versions
                 ),
                 totals AS (
                    SELECT dataset, COUNT(*) AS partitions, SUM(row_count) AS total_rows
                    FROM ranked WHERE rn = 1 GROUP BY dataset
                 ),
                 newest AS (
                    SELECT dataset, created_at, run_id,
                           ROW_NUMBER() OVER (PARTITION BY dataset ORDER BY id DESC) AS rn
                    FROM dataset_versions
                 )
                 SELECT d.name, d.title, d.description, d.schema_version, d.personal_data,
                        IFNULL(t.partitions, 0), IFNULL(t.total_rows, 0), n.created_at, n.run_id
                 FROM datasets d
                 LEFT JOIN totals t ON t.dataset = d.name
                 LEFT JOIN newest n ON n.dataset = d.name AND n.rn = 1
                 ORDER BY d.name",
            )
            .ctx(OP)?;
        let rows = st
            .query_map([], |r| {
                Ok(DatasetSummary {
                    name: r.get(0)?,
                    title: r.get(1)?,
                    description: r.get(2)?,
                    schema_version: r.get(3)?,
                    personal_data: r.get(4)?,
                    partitions: r.get(5)?,
                    total_rows: r.get(6)?,
                    last_updated: r.get(7)?,
                    latest_run: r.get(8)?,
                })
            })
            .ctx(OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)
    }

    /// Versions of `dataset`, ordered by partition (unpartitioned first)
    /// and then newest version first. `partition: None` returns the versions
    /// of every partition; `Some(p)` only those of partition `p`.
    pub fn versions(&self, dataset: &str, partition: Option<&str>) -> Result<Vec<VersionRecord>> {
        const OP: &str = "versions";
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM dataset_versions
             WHERE dataset = ?1 AND (?2 IS NULL OR partition_key = ?2)
             ORDER BY IFNULL(partition_key, ''), version DESC"
        );
        let mut st = self.conn.prepare_cached(&sql).ctx(OP)?;
        let rows = st
            .query_map(params![dataset, partition], version_from_row)
            .ctx(OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)
    }

    /// One version by id.
    pub fn version(&self, id: VersionId) -> Result<Option<VersionRecord>> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM dataset_versions WHERE id = ?1");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([id], version_from_row).optional())
            .ctx("version")
    }

    // ------------------------------------------------------------------
    // lineage
    // ------------------------------------------------------------------

    /// Records that `run` read `input_url` (as identified by
    /// `input_fingerprint`) to produce `output`. `output` must have been
    /// produced by `run`. Recording the same edge twice is a no-op.
    pub fn add_lineage(
        &self,
        run: RunId,
        input_url: &str,
        input_fingerprint: &str,
        output: VersionId,
    ) -> Result<()> {
        const OP: &str = "add_lineage";
        non_empty(OP, "input_url", input_url)?;
        self.atomically(OP, || {
            self.ensure_run(OP, run)?;
            let producer: Option<RunId> = self
                .conn
                .prepare_cached("SELECT run_id FROM dataset_versions WHERE id = ?1")
                .and_then(|mut st| st.query_row([output], |r| r.get(0)).optional())
                .ctx(OP)?;
            match producer {
                None => return Err(CatalogError::VersionNotFound(output)),
                Some(p) if p != run => {
                    return Err(CatalogError::InvalidInput {
                        op: OP,
                        message: format!("version {output} was produced by run {p}, not by run {run}"),
                    })
                }
                Some(_) => {}
            }
            self.conn
                .prepare_cached(
                    "INSERT INTO lineage
                       (run_id, input_url, input_fingerprint, output_version_id, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (output_version_id, input_url, input_fingerprint) DO NOTHING",
                )
                .and_then(|mut st| {
                    st.execute(params![run, input_url, input_fingerprint, output, now_rfc3339()])
                })
                .ctx(OP)?;
            Ok(())
        })
    }

    /// The inputs that made `output`, ordered by URL.
    pub fn lineage_of(&self, output: VersionId) -> Result<Vec<LineageEdge>> {
        const OP: &str = "lineage_of";
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT input_url, input_fingerprint, run_id, output_version_id FROM lineage
                 WHERE output_version_id = ?1 ORDER BY input_url, input_fingerprint",
            )
            .ctx(OP)?;
        let rows = st
            .query_map([output], |r| {
                Ok(LineageEdge {
                    input_url: r.get(0)?,
                    input_fingerprint: r.get(1)?,
                    run: r.get(2)?,
                    output: r.get(3)?,
                })
            })
            .ctx(OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)
    }

    /// Every dataset version made (in any run, from any fingerprint) from
    /// `input_url`, as (version id, dataset, partition), newest first.
    pub fn outputs_of_input(&self, input_url: &str) -> Result<Vec<(VersionId, String, Option<String>)>> {
        const OP: &str = "outputs_of_input";
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT v.id, v.dataset, v.partition_key
                 FROM lineage l JOIN dataset_versions v ON v.id = l.output_version_id
                 WHERE l.input_url = ?1
                 ORDER BY v.id DESC",
            )
            .ctx(OP)?;
        let rows = st
            .query_map([input_url], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .ctx(OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)
    }
}
