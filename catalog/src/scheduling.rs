//! What the scheduler keeps in the catalog (migration 2): runs with attempt
//! and period, job leases, the per-job fire cursor and the queue of fires.
//!
//! Every method that takes a time takes it explicitly (the scheduler's
//! clock), so a scheduler driven by a simulated clock records simulated
//! times and tests can check them exactly.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use crate::catalog::{format_ts, non_empty, run_from_row, RUN_COLUMNS};
use crate::error::{CatalogError, Context};
use crate::types::{RunId, RunRecord, RunStatus, Trigger};
use crate::Catalog;

type Result<T> = std::result::Result<T, CatalogError>;

/// A run to record with [`Catalog::start_run_with`] or
/// [`Catalog::record_skipped_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub job: String,
    pub pipeline: String,
    pub trigger: Trigger,
    /// 1 for the first attempt of a fire, counting up on retries.
    pub attempt: u32,
    /// The fire time the run is for (`None` for manual runs).
    pub period: Option<DateTime<Utc>>,
    /// Valid JSON (empty: `{}`).
    pub params_json: String,
    /// When it started (`None`: now).
    pub started_at: Option<DateTime<Utc>>,
}

/// A job lease: `owner` may run `job` until `expires_at` unless it renews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job: String,
    pub owner: String,
    pub acquired_at: DateTime<Utc>,
    pub renewed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A fire waiting to run, waiting to be retried, or running (`run` set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedFire {
    pub id: i64,
    pub job: String,
    pub period: DateTime<Utc>,
    pub trigger: Trigger,
    /// The attempt running (when `run` is set) or to run next.
    pub attempt: u32,
    /// Failed attempts counted against the job's `retries.max`.
    pub retries_used: u32,
    /// Attempts cut short by a scheduler that died.
    pub interruptions: u32,
    /// Not to be started before this time (retry backoff).
    pub not_before: DateTime<Utc>,
    /// The run of the attempt in progress.
    pub run: Option<RunId>,
    pub enqueued_at: DateTime<Utc>,
}

fn invalid(op: &'static str, message: impl Into<String>) -> CatalogError {
    CatalogError::InvalidInput {
        op,
        message: message.into(),
    }
}

fn parse_ts(s: &str) -> std::result::Result<DateTime<Utc>, rusqlite::Error> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn ts_at(row: &Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    parse_ts(&row.get::<_, String>(i)?)
}

fn ttl_delta(op: &'static str, ttl: Duration) -> Result<chrono::Duration> {
    chrono::Duration::from_std(ttl)
        .ok()
        .filter(|d| *d > chrono::Duration::zero())
        .ok_or_else(|| invalid(op, "lease ttl must be positive and finite"))
}

const QUEUE_COLUMNS: &str = "id, job, period, triggered_by, attempt, retries_used, interruptions, \
     not_before, run_id, enqueued_at";

fn fire_from_row(row: &Row<'_>) -> rusqlite::Result<QueuedFire> {
    Ok(QueuedFire {
        id: row.get(0)?,
        job: row.get(1)?,
        period: ts_at(row, 2)?,
        trigger: row.get(3)?,
        attempt: row.get(4)?,
        retries_used: row.get(5)?,
        interruptions: row.get(6)?,
        not_before: ts_at(row, 7)?,
        run: row.get(8)?,
        enqueued_at: ts_at(row, 9)?,
    })
}

fn lease_from_row(row: &Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        job: row.get(0)?,
        owner: row.get(1)?,
        acquired_at: ts_at(row, 2)?,
        renewed_at: ts_at(row, 3)?,
        expires_at: ts_at(row, 4)?,
    })
}

impl Catalog {
    // ------------------------------------------------------------------
    // runs with attempt and period
    // ------------------------------------------------------------------

    /// Records a new `running` run with its trigger, attempt, period and
    /// start time (the general form of [`Catalog::start_run`]).
    pub fn start_run_with(&self, r: &NewRun) -> Result<RunId> {
        const OP: &str = "start_run_with";
        non_empty(OP, "job", &r.job)?;
        if r.attempt == 0 {
            return Err(invalid(OP, "attempt numbers start at 1"));
        }
        let params = if r.params_json.trim().is_empty() {
            "{}"
        } else {
            r.params_json.as_str()
        };
        if serde_json::from_str::<serde_json::Value>(params).is_err() {
            return Err(invalid(OP, format!("params_json is not valid JSON: {params}")));
        }
        let started = format_ts(r.started_at.unwrap_or_else(Utc::now));
        self.conn
            .prepare_cached(
                "INSERT INTO runs (job, pipeline, triggered_by, attempt, status, started_at, params_json, period)
                 VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7)
                 RETURNING id",
            )
            .and_then(|mut st| {
                st.query_row(
                    params![
                        r.job,
                        r.pipeline,
                        r.trigger,
                        r.attempt,
                        started,
                        params,
                        r.period.map(format_ts)
                    ],
                    |row| row.get(0),
                )
            })
            .ctx(OP)
    }

    /// Records a run that was not executed: status `skipped`, ended when it
    /// started, `reason` as its error (e.g. "dependency `x` failed").
    pub fn record_skipped_run(&self, r: &NewRun, reason: &str) -> Result<RunId> {
        const OP: &str = "record_skipped_run";
        self.atomically(OP, || {
            let run = self.start_run_with(r)?;
            let at = r.started_at.unwrap_or_else(Utc::now);
            self.finish_run_at(run, RunStatus::Skipped, Some(reason), at)?;
            Ok(run)
        })
    }

    /// Closes a running run at `ended_at` (duration measured from its start,
    /// clamped at 0). Same errors as [`Catalog::finish_run`].
    pub fn finish_run_at(
        &self,
        run: RunId,
        status: RunStatus,
        error: Option<&str>,
        ended_at: DateTime<Utc>,
    ) -> Result<()> {
        const OP: &str = "finish_run_at";
        if !status.is_terminal() {
            return Err(invalid(OP, "a run cannot be finished with status `running`"));
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
            let duration_ms = DateTime::parse_from_rfc3339(&started_at)
                .map(|s| (ended_at - s.with_timezone(&Utc)).num_milliseconds().max(0))
                .unwrap_or(0);
            self.conn
                .execute(
                    "UPDATE runs SET status = ?2, ended_at = ?3, duration_ms = ?4, error = ?5
                     WHERE id = ?1",
                    params![run, status, format_ts(ended_at), duration_ms, error],
                )
                .ctx(OP)?;
            Ok(())
        })
    }

    /// Like [`Catalog::finish_run_at`], but a run that is already finished is
    /// left as it is (returns `false`): the runner may have closed it itself.
    pub fn finish_run_if_running(
        &self,
        run: RunId,
        status: RunStatus,
        error: Option<&str>,
        ended_at: DateTime<Utc>,
    ) -> Result<bool> {
        match self.finish_run_at(run, status, error, ended_at) {
            Ok(()) => Ok(true),
            Err(CatalogError::RunNotRunning { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Every run of `job` for the fire at `period`, by attempt then id.
    pub fn runs_for_period(&self, job: &str, period: DateTime<Utc>) -> Result<Vec<RunRecord>> {
        const OP: &str = "runs_for_period";
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r WHERE r.job = ?1 AND r.period = ?2 ORDER BY r.attempt, r.id"
        );
        let mut st = self.conn.prepare_cached(&sql).ctx(OP)?;
        let rows = st
            .query_map(params![job, format_ts(period)], run_from_row)
            .ctx(OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)
    }

    // ------------------------------------------------------------------
    // leases
    // ------------------------------------------------------------------

    /// Takes the lease of `job` for `owner` until `now + ttl`, if it is free,
    /// expired (`expires_at <= now`) or already `owner`'s. One conditional
    /// upsert, so of two schedulers racing for it exactly one gets it.
    pub fn try_acquire_lease(
        &self,
        job: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool> {
        const OP: &str = "try_acquire_lease";
        non_empty(OP, "job", job)?;
        non_empty(OP, "owner", owner)?;
        let expires = now + ttl_delta(OP, ttl)?;
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO job_leases (job, owner, acquired_at, renewed_at, expires_at)
                 VALUES (?1, ?2, ?3, ?3, ?4)
                 ON CONFLICT (job) DO UPDATE SET
                     acquired_at = CASE WHEN job_leases.owner = excluded.owner
                                        THEN job_leases.acquired_at ELSE excluded.acquired_at END,
                     owner = excluded.owner,
                     renewed_at = excluded.renewed_at,
                     expires_at = excluded.expires_at
                 WHERE job_leases.owner = excluded.owner OR job_leases.expires_at <= excluded.renewed_at",
            )
            .and_then(|mut st| st.execute(params![job, owner, format_ts(now), format_ts(expires)]))
            .ctx(OP)?;
        Ok(n == 1)
    }

    /// Extends `owner`'s lease of `job` to `now + ttl`. `false` if the lease
    /// is no longer `owner`'s (taken over after expiring, or released).
    pub fn renew_lease(&self, job: &str, owner: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool> {
        const OP: &str = "renew_lease";
        let expires = now + ttl_delta(OP, ttl)?;
        let n = self
            .conn
            .prepare_cached(
                "UPDATE job_leases SET renewed_at = ?3, expires_at = ?4 WHERE job = ?1 AND owner = ?2",
            )
            .and_then(|mut st| st.execute(params![job, owner, format_ts(now), format_ts(expires)]))
            .ctx(OP)?;
        Ok(n == 1)
    }

    /// Gives up `owner`'s lease of `job`; `false` if it was not `owner`'s.
    pub fn release_lease(&self, job: &str, owner: &str) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM job_leases WHERE job = ?1 AND owner = ?2")
            .and_then(|mut st| st.execute(params![job, owner]))
            .ctx("release_lease")?;
        Ok(n == 1)
    }

    /// The lease of `job`, expired or not.
    pub fn lease(&self, job: &str) -> Result<Option<Lease>> {
        self.conn
            .prepare_cached(
                "SELECT job, owner, acquired_at, renewed_at, expires_at FROM job_leases WHERE job = ?1",
            )
            .and_then(|mut st| st.query_row([job], lease_from_row).optional())
            .ctx("lease")
    }

    // ------------------------------------------------------------------
    // fire cursor
    // ------------------------------------------------------------------

    /// The last fire time of `job` already handled by a scheduler.
    pub fn schedule_cursor(&self, job: &str) -> Result<Option<DateTime<Utc>>> {
        self.conn
            .prepare_cached("SELECT last_fire FROM scheduler_state WHERE job = ?1")
            .and_then(|mut st| st.query_row([job], |r| ts_at(r, 0)).optional())
            .ctx("schedule_cursor")
    }

    /// Sets the last fire time handled for `job`.
    pub fn set_schedule_cursor(&self, job: &str, last_fire: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        const OP: &str = "set_schedule_cursor";
        non_empty(OP, "job", job)?;
        self.conn
            .prepare_cached(
                "INSERT INTO scheduler_state (job, last_fire, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (job) DO UPDATE SET last_fire = excluded.last_fire, updated_at = excluded.updated_at",
            )
            .and_then(|mut st| st.execute(params![job, format_ts(last_fire), format_ts(now)]))
            .ctx(OP)?;
        Ok(())
    }

    // ------------------------------------------------------------------
    // queue of fires
    // ------------------------------------------------------------------

    /// Queues the fire of `job` at `period`, to start at `not_before` or
    /// later. `None` if that fire is already queued.
    pub fn enqueue_fire(
        &self,
        job: &str,
        period: DateTime<Utc>,
        trigger: Trigger,
        not_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        const OP: &str = "enqueue_fire";
        non_empty(OP, "job", job)?;
        self.conn
            .prepare_cached(
                "INSERT INTO scheduler_queue (job, period, triggered_by, not_before, enqueued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (job, period) DO NOTHING
                 RETURNING id",
            )
            .and_then(|mut st| {
                st.query_row(
                    params![
                        job,
                        format_ts(period),
                        trigger,
                        format_ts(not_before),
                        format_ts(now)
                    ],
                    |r| r.get(0),
                )
                .optional()
            })
            .ctx(OP)
    }

    /// The queued fires of `job` (all jobs if `None`), by period then id.
    pub fn queued_fires(&self, job: Option<&str>) -> Result<Vec<QueuedFire>> {
        const OP: &str = "queued_fires";
        let sql = format!(
            "SELECT {QUEUE_COLUMNS} FROM scheduler_queue WHERE ?1 IS NULL OR job = ?1 ORDER BY job, period, id"
        );
        let mut st = self.conn.prepare_cached(&sql).ctx(OP)?;
        let rows = st.query_map([job], fire_from_row).ctx(OP)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().ctx(OP)
    }

    /// One queued fire.
    pub fn queued_fire(&self, id: i64) -> Result<Option<QueuedFire>> {
        let sql = format!("SELECT {QUEUE_COLUMNS} FROM scheduler_queue WHERE id = ?1");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([id], fire_from_row).optional())
            .ctx("queued_fire")
    }

    /// Writes back `fire`'s attempt, counters, `not_before` and run, if its
    /// stored run is still `expected_run` (so a scheduler that lost the job's
    /// lease cannot overwrite the new owner's progress). `false` otherwise.
    pub fn update_fire(&self, fire: &QueuedFire, expected_run: Option<RunId>) -> Result<bool> {
        const OP: &str = "update_fire";
        if fire.attempt == 0 {
            return Err(invalid(OP, "attempt numbers start at 1"));
        }
        let n = self
            .conn
            .prepare_cached(
                "UPDATE scheduler_queue SET attempt = ?2, retries_used = ?3, interruptions = ?4,
                        not_before = ?5, run_id = ?6
                 WHERE id = ?1 AND run_id IS ?7",
            )
            .and_then(|mut st| {
                st.execute(params![
                    fire.id,
                    fire.attempt,
                    fire.retries_used,
                    fire.interruptions,
                    format_ts(fire.not_before),
                    fire.run,
                    expected_run
                ])
            })
            .ctx(OP)?;
        Ok(n == 1)
    }

    /// Removes a fire that is done, if its run is still `expected_run`.
    pub fn remove_fire(&self, id: i64, expected_run: Option<RunId>) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM scheduler_queue WHERE id = ?1 AND run_id IS ?2")
            .and_then(|mut st| st.execute(params![id, expected_run]))
            .ctx("remove_fire")?;
        Ok(n == 1)
    }
}
