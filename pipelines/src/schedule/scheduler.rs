//! The scheduler: a deterministic state machine over an injected [`Clock`]
//! and [`Executor`], with its state in the catalog.
//!
//! Each [`Scheduler::tick`] does, at the clock's `now`:
//!
//! 1. **Poll** the attempts it runs: record the finished ones (retry with
//!    backoff, or finish the fire and trigger or skip its dependents), cancel
//!    those past their timeout, renew the job leases.
//! 2. **Claim** the fires that are due: in one `BEGIN IMMEDIATE` transaction
//!    per job, read the job's cursor (the last fire time handled), compute the
//!    fire times after it up to `now`, queue them (fires older than the
//!    on-time grace are *missed* and go through the job's catch-up policy) and
//!    advance the cursor. Two schedulers on one catalog therefore never claim
//!    a fire twice, and a restart resumes from the cursor: nothing is lost or
//!    repeated. On first sight of a job the cursor starts at `now - grace`.
//! 3. **Start** queued fires: for each job with a ready fire at the head of
//!    its queue, take the job's lease (owner + expiry, one conditional
//!    upsert), re-read the queue under the lease, record the run (trigger,
//!    attempt, period) and hand it to the executor. A fire whose previous
//!    attempt is still `running` in the catalog although its lease expired
//!    was cut short by a scheduler that died: it is closed as failed
//!    ("interrupted") and re-run as the next attempt (interruptions do not use
//!    the retry budget, but a fire interrupted more than
//!    [`SchedulerOptions::max_interruptions`] times is given up).
//!
//! One attempt per job runs at a time (per process by `active`, across
//! processes by the lease); further fires wait in the queue, or with
//! `concurrency = "drop"` are recorded as skipped.

use super::cancel::{CancelReason, CancelToken};
use super::clock::Clock;
use super::cron::Schedule;
use super::executor::{toml_to_json, AttemptHandle, AttemptOutcome, AttemptSpec, Executor};
use super::policy::{delta, format_duration, CatchUp, Concurrency, RetryPolicy};
use crate::config::JobsFile;
use chrono::{DateTime, Utc};
use metrodati_catalog::{Catalog, CatalogError, NewRun, QueuedFire, RunId, RunStatus, Trigger};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A job as the scheduler needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPlan {
    pub name: String,
    pub pipeline: String,
    /// ISTAT codes, sorted.
    pub comuni: Vec<String>,
    /// `params` as a JSON object.
    pub params: serde_json::Value,
    /// `None` for jobs run only by hand or by their dependencies.
    pub schedule: Option<Schedule>,
    pub retries: RetryPolicy,
    pub timeout: Option<Duration>,
    pub depends_on: Vec<String>,
    /// Run also after a dependency that ended `partially_succeeded`.
    pub run_after_partial: bool,
    pub catch_up: CatchUp,
    pub concurrency: Concurrency,
    pub enabled: bool,
}

impl JobPlan {
    /// Every job of a checked jobs file.
    pub fn from_jobs_file(f: &JobsFile) -> Vec<JobPlan> {
        f.jobs
            .iter()
            .map(|(name, j)| JobPlan {
                name: name.get_ref().clone(),
                pipeline: j.pipeline.get_ref().clone(),
                comuni: f.comuni_of(j),
                params: toml_to_json(&j.params),
                schedule: j.cron.clone(),
                retries: j.retries,
                timeout: j.timeout,
                depends_on: j.depends_on.iter().map(|d| d.get_ref().clone()).collect(),
                run_after_partial: j.run_after_partial,
                catch_up: j.catch_up,
                concurrency: j.concurrency,
                enabled: j.enabled,
            })
            .collect()
    }

    /// A minimal enabled job (tests, library use).
    pub fn new(name: &str, schedule: Option<Schedule>) -> JobPlan {
        JobPlan {
            name: name.to_string(),
            pipeline: "anagrafe".into(),
            comuni: vec![],
            params: serde_json::json!({}),
            schedule,
            retries: RetryPolicy::default(),
            timeout: None,
            depends_on: vec![],
            run_after_partial: false,
            catch_up: CatchUp::default(),
            concurrency: Concurrency::Queue,
            enabled: true,
        }
    }

    /// The parameters recorded with each run (same shape as
    /// [`crate::runner::RunRequest::params_json`]).
    fn params_json(&self, period: DateTime<Utc>) -> String {
        serde_json::json!({
            "comuni": self.comuni,
            "force": false,
            "params": self.params,
            "period": period.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
        .to_string()
    }
}

/// Knobs of a scheduler instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerOptions {
    /// Unique id of this scheduler (lease owner).
    pub owner: String,
    /// A lease not renewed for this long can be taken over.
    pub lease_ttl: Duration,
    /// A fire claimed at most this late is on time (`scheduled`); older ones
    /// were missed and go through the catch-up policy.
    pub on_time_grace: Duration,
    /// A fire whose attempts were interrupted (scheduler died) more than
    /// this many times is given up, so a job that crashes the process cannot
    /// crash-loop it forever.
    pub max_interruptions: u32,
    /// Only claim and run these jobs (`None`: all). The other jobs are left
    /// untouched (their cursors do not move), so that schedulers sharing a
    /// catalog can split the jobs between them; fires of their dependents are
    /// still queued for whichever scheduler runs them.
    pub only_jobs: Option<Vec<String>>,
}

impl SchedulerOptions {
    pub fn new(owner: impl Into<String>) -> SchedulerOptions {
        SchedulerOptions {
            owner: owner.into(),
            lease_ttl: Duration::from_secs(60),
            on_time_grace: Duration::from_secs(60),
            max_interruptions: 3,
            only_jobs: None,
        }
    }

    /// `host:pid:nonce`: unique per process, readable in the lease table.
    pub fn default_owner() -> String {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_string())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{host}:{}:{nonce:08x}", std::process::id())
    }
}

/// Something that happened during a tick (also logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Fires were missed while no scheduler ran (`missed` counts those
    /// within the catch-up window, or the last 366 days without one);
    /// `queued` of them run (trigger catch-up).
    Missed {
        job: String,
        missed: usize,
        queued: usize,
    },
    Started {
        job: String,
        period: DateTime<Utc>,
        trigger: Trigger,
        attempt: u32,
        run: RunId,
    },
    /// An attempt ended; `retry_at` is set when another attempt will follow.
    Finished {
        job: String,
        period: DateTime<Utc>,
        attempt: u32,
        run: RunId,
        status: RunStatus,
        error: Option<String>,
        retry_at: Option<DateTime<Utc>>,
    },
    /// A fire recorded as skipped (dropped trigger, failed dependency).
    Skipped {
        job: String,
        period: DateTime<Utc>,
        run: RunId,
        reason: String,
    },
    /// A previous scheduler's attempt found unfinished and closed as interrupted.
    Interrupted { job: String, run: RunId },
}

/// What a tick did and when the next one is useful.
#[derive(Debug, Clone, Default)]
pub struct TickReport {
    pub events: Vec<Event>,
    /// The earliest time something is due (a fire, a retry, a timeout, a
    /// lease renewal, a simulated attempt end); the daemon sleeps at most
    /// until then.
    pub next_wake: Option<DateTime<Utc>>,
}

struct Active {
    fire_id: i64,
    period: DateTime<Utc>,
    attempt: u32,
    run: RunId,
    deadline: Option<DateTime<Utc>>,
    renew_at: DateTime<Utc>,
    cancel: CancelToken,
    handle: Box<dyn AttemptHandle>,
    lease_lost: bool,
}

enum FireState {
    /// Queued, running or waiting to retry.
    Pending,
    /// Its last attempt's status and run.
    Final(RunStatus, RunId),
    /// Never fired for that period.
    Unknown,
}

type Result<T> = std::result::Result<T, CatalogError>;

/// See the [module docs](self).
pub struct Scheduler {
    jobs: BTreeMap<String, JobPlan>,
    catalog: Catalog,
    clock: Arc<dyn Clock>,
    executor: Arc<dyn Executor>,
    opts: SchedulerOptions,
    active: BTreeMap<String, Active>,
    /// Next fire time after the job's cursor, cached so that idle ticks do
    /// not write.
    next_due: BTreeMap<String, Option<DateTime<Utc>>>,
    stopping: bool,
}

impl Scheduler {
    pub fn new(
        jobs: Vec<JobPlan>,
        catalog: Catalog,
        clock: Arc<dyn Clock>,
        executor: Arc<dyn Executor>,
        opts: SchedulerOptions,
    ) -> Scheduler {
        Scheduler {
            jobs: jobs.into_iter().map(|j| (j.name.clone(), j)).collect(),
            catalog,
            clock,
            executor,
            opts,
            active: BTreeMap::new(),
            next_due: BTreeMap::new(),
            stopping: false,
        }
    }

    /// Whether this scheduler claims and runs `job`.
    fn runs_here(&self, job: &str) -> bool {
        self.opts
            .only_jobs
            .as_ref()
            .is_none_or(|o| o.iter().any(|j| j == job))
    }

    /// The catalog (to inspect state).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn options(&self) -> &SchedulerOptions {
        &self.opts
    }

    /// Jobs with an attempt running in this scheduler.
    pub fn active_jobs(&self) -> Vec<String> {
        self.active.keys().cloned().collect()
    }

    /// Stops claiming and starting fires; running attempts go on (see
    /// [`Scheduler::cancel_all`]).
    pub fn begin_shutdown(&mut self) {
        self.stopping = true;
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping
    }

    /// Asks every running attempt to stop for `reason`.
    pub fn cancel_all(&mut self, reason: CancelReason) {
        for (job, a) in &self.active {
            if a.cancel.cancel(reason) {
                tracing::warn!(job = %job, run = %a.run, "asking the running attempt to stop: {}", reason.message());
            }
        }
        // Let attempts that stop at once be recorded by the next tick.
    }

    /// Whether queued work remains that this scheduler could run (fires of
    /// enabled jobs whose lease is free, expired or ours), or attempts run.
    pub fn has_pending_work(&self) -> Result<bool> {
        if !self.active.is_empty() {
            return Ok(true);
        }
        let now = self.clock.now();
        for f in self.catalog.queued_fires(None)? {
            if !self.jobs.get(&f.job).is_some_and(|j| j.enabled) || !self.runs_here(&f.job) {
                continue;
            }
            match self.catalog.lease(&f.job)? {
                Some(l) if l.owner != self.opts.owner && l.expires_at > now => {}
                _ => return Ok(true),
            }
        }
        Ok(false)
    }

    /// One step of the state machine at the clock's current time.
    pub fn tick(&mut self) -> Result<TickReport> {
        let now = self.clock.now();
        let mut events = Vec::new();
        self.poll_active(now, &mut events)?;
        if !self.stopping {
            self.claim_due(now, &mut events)?;
            self.start_ready(now, &mut events)?;
        }
        let next_wake = self.next_wake(now)?;
        Ok(TickReport { events, next_wake })
    }

    // ------------------------------------------------------------------
    // 1. running attempts
    // ------------------------------------------------------------------

    fn poll_active(&mut self, now: DateTime<Utc>, events: &mut Vec<Event>) -> Result<()> {
        let jobs: Vec<String> = self.active.keys().cloned().collect();
        for job in jobs {
            let Some(a) = self.active.get_mut(&job) else {
                continue;
            };
            let mut outcome = a.handle.poll();
            if outcome.is_none() {
                if let Some(deadline) = a.deadline {
                    if now >= deadline && a.cancel.cancel(CancelReason::Timeout) {
                        tracing::warn!(job = %job, run = %a.run, "attempt {} exceeded its timeout: cancelling", a.attempt);
                        outcome = a.handle.poll();
                    }
                }
            }
            if outcome.is_none() && now >= a.renew_at && !a.lease_lost {
                if self
                    .catalog
                    .renew_lease(&job, &self.opts.owner, now, self.opts.lease_ttl)?
                {
                    a.renew_at = now + delta(self.opts.lease_ttl / 3);
                } else {
                    tracing::error!(job = %job, run = %a.run, "lost the job's lease to another scheduler: cancelling");
                    a.lease_lost = true;
                    a.cancel.cancel(CancelReason::LeaseLost);
                    outcome = a.handle.poll();
                }
            }
            if let Some(outcome) = outcome {
                if let Some(a) = self.active.remove(&job) {
                    self.settle(&job, a, outcome, now, events)?;
                }
            }
        }
        Ok(())
    }

    /// Records the end of an attempt and decides what follows.
    fn settle(
        &mut self,
        job: &str,
        a: Active,
        outcome: AttemptOutcome,
        now: DateTime<Utc>,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let timeout = self.jobs.get(job).and_then(|j| j.timeout);
        let (status, error) = match (a.cancel.reason(), outcome.status) {
            (_, RunStatus::Succeeded) => (RunStatus::Succeeded, outcome.error),
            (Some(CancelReason::Timeout), _) => (
                RunStatus::Failed,
                Some(format!(
                    "timeout: the attempt ran longer than {}",
                    timeout.map(format_duration).unwrap_or_default()
                )),
            ),
            (Some(r), _) => (RunStatus::Cancelled, Some(r.message().to_string())),
            (None, s) => (s, outcome.error),
        };
        self.catalog
            .finish_run_if_running(a.run, status, error.as_deref(), now)?;
        // The run as recorded (the runner may have closed it itself).
        let (status, error) = match self.catalog.run(a.run)? {
            Some(r) => (r.status, r.error),
            None => (status, error),
        };
        if a.lease_lost {
            // The scheduler that took the lease owns the fire now.
            events.push(Event::Finished {
                job: job.to_string(),
                period: a.period,
                attempt: a.attempt,
                run: a.run,
                status,
                error,
                retry_at: None,
            });
            return Ok(());
        }
        let fire = self.catalog.queued_fire(a.fire_id)?;
        match fire {
            Some(fire) if fire.run == Some(a.run) => {
                self.after_attempt(job, fire, a.run, status, error, now, events)?;
            }
            _ => tracing::warn!(job = %job, run = %a.run, "the fire of this attempt is no longer queued"),
        }
        self.catalog.release_lease(job, &self.opts.owner)?;
        Ok(())
    }

    /// After attempt `run` of `fire` ended with `status`: retry, keep (for
    /// the next start, if cancelled by shutdown) or finish the fire.
    #[allow(clippy::too_many_arguments)]
    fn after_attempt(
        &mut self,
        job: &str,
        mut fire: QueuedFire,
        run: RunId,
        status: RunStatus,
        error: Option<String>,
        now: DateTime<Utc>,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let retries = self.jobs.get(job).map(|j| j.retries).unwrap_or_default();
        let attempt = fire.attempt;
        let mut retry_at = None;
        match status {
            RunStatus::Succeeded => {
                self.catalog.remove_fire(fire.id, Some(run))?;
            }
            RunStatus::Cancelled => {
                // Shutdown: not the job's fault; run again at the next start.
                fire.attempt += 1;
                fire.run = None;
                fire.not_before = now;
                self.catalog.update_fire(&fire, Some(run))?;
            }
            _ if fire.retries_used < retries.max => {
                fire.retries_used += 1;
                fire.attempt += 1;
                fire.run = None;
                fire.not_before = now + delta(retries.backoff(fire.retries_used));
                retry_at = Some(fire.not_before);
                self.catalog.update_fire(&fire, Some(run))?;
            }
            _ => {
                self.catalog.remove_fire(fire.id, Some(run))?;
            }
        }
        match (status, retry_at) {
            (RunStatus::Succeeded, _) => {
                tracing::info!(job = %job, run = %run, period = %fire.period, "succeeded")
            }
            (_, Some(t)) => {
                tracing::warn!(job = %job, run = %run, "attempt {attempt} {status}: {}; retry at {t}", error.as_deref().unwrap_or("-"))
            }
            _ => {
                tracing::warn!(job = %job, run = %run, period = %fire.period, "{status}: {}", error.as_deref().unwrap_or("-"))
            }
        }
        events.push(Event::Finished {
            job: job.to_string(),
            period: fire.period,
            attempt,
            run,
            status,
            error,
            retry_at,
        });
        if status != RunStatus::Cancelled && retry_at.is_none() {
            self.fire_done(job, fire.period, now, events)?;
        }
        Ok(())
    }

    /// A fire of `job` is final: trigger (or skip) the jobs depending on it.
    fn fire_done(
        &mut self,
        job: &str,
        period: DateTime<Utc>,
        now: DateTime<Utc>,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let dependents: Vec<JobPlan> = self
            .jobs
            .values()
            .filter(|j| j.enabled && j.depends_on.iter().any(|d| d == job))
            .cloned()
            .collect();
        for d in dependents {
            let decided = self.catalog.transaction(|c| {
                if !c.runs_for_period(&d.name, period)?.is_empty()
                    || c.queued_fires(Some(&d.name))?.iter().any(|f| f.period == period)
                {
                    return Ok(None); // already triggered or skipped
                }
                let mut pending = false;
                let mut failed = None;
                for dep in &d.depends_on {
                    match fire_state(c, dep, period)? {
                        FireState::Final(RunStatus::Succeeded, _) => {}
                        FireState::Final(RunStatus::PartiallySucceeded, _) if d.run_after_partial => {}
                        FireState::Final(s, run) => {
                            failed.get_or_insert((dep.clone(), s, run));
                        }
                        FireState::Pending | FireState::Unknown => pending = true,
                    }
                }
                let new_run = |reason: &str| -> Result<RunId> {
                    c.record_skipped_run(
                        &NewRun {
                            job: d.name.clone(),
                            pipeline: d.pipeline.clone(),
                            trigger: Trigger::Dependency,
                            attempt: 1,
                            period: Some(period),
                            params_json: d.params_json(period),
                            started_at: Some(now),
                        },
                        reason,
                    )
                };
                if let Some((dep, s, run)) = failed {
                    let reason = format!("skipped: dependency `{dep}` did not succeed ({s}, run {run})");
                    return Ok(Some((new_run(&reason)?, reason)));
                }
                if pending {
                    return Ok(None);
                }
                if d.concurrency == Concurrency::Drop && !c.queued_fires(Some(&d.name))?.is_empty() {
                    let reason = dropped_reason();
                    return Ok(Some((new_run(&reason)?, reason)));
                }
                c.enqueue_fire(&d.name, period, Trigger::Dependency, now, now)?;
                Ok(None)
            })?;
            if let Some((run, reason)) = decided {
                tracing::warn!(job = %d.name, run = %run, "{reason}");
                events.push(Event::Skipped {
                    job: d.name.clone(),
                    period,
                    run,
                    reason,
                });
                // Its own dependents are skipped in turn.
                self.fire_done(&d.name, period, now, events)?;
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------
    // 2. claiming due fires
    // ------------------------------------------------------------------

    fn claim_due(&mut self, now: DateTime<Utc>, events: &mut Vec<Event>) -> Result<()> {
        let grace = delta(self.opts.on_time_grace);
        let names: Vec<String> = self.jobs.keys().cloned().collect();
        for name in names {
            if !self.runs_here(&name) {
                continue;
            }
            let plan = &self.jobs[&name];
            let Some(schedule) = plan.schedule.clone() else {
                continue;
            };
            if let Some(Some(next)) = self.next_due.get(&name) {
                if *next > now {
                    continue;
                }
            }
            let enabled = plan.enabled;
            let catch_up = plan.catch_up;
            let concurrency = plan.concurrency;
            let plan_json = plan.clone();
            let claimed = self.catalog.transaction(|c| {
                let cursor = c.schedule_cursor(&name)?.unwrap_or(now - grace);
                // Fires older than the catch-up window cannot run: do not
                // enumerate years of them.
                let horizon = catch_up
                    .window
                    .map_or(chrono::Duration::days(366), delta)
                    .max(chrono::Duration::days(1))
                    + grace;
                let from = cursor.max(now - horizon);
                let fires = schedule.fires_between(from, now);
                let mut out = Vec::new();
                let Some(&last) = fires.last() else {
                    c.set_schedule_cursor(&name, cursor.max(now - horizon), now)?;
                    return Ok((out, 0usize, 0usize));
                };
                if !enabled {
                    // A disabled job's fires are handled by not running them.
                    c.set_schedule_cursor(&name, last, now)?;
                    return Ok((out, 0, 0));
                }
                let (on_time, missed): (Vec<_>, Vec<_>) = fires.iter().partition(|t| **t >= now - grace);
                let selected = catch_up.select(&missed, now);
                for t in &selected {
                    c.enqueue_fire(&name, *t, Trigger::CatchUp, now, now)?;
                }
                for t in on_time {
                    if concurrency == Concurrency::Drop && !c.queued_fires(Some(&name))?.is_empty() {
                        let reason = dropped_reason();
                        let run = c.record_skipped_run(
                            &NewRun {
                                job: name.clone(),
                                pipeline: plan_json.pipeline.clone(),
                                trigger: Trigger::Scheduled,
                                attempt: 1,
                                period: Some(t),
                                params_json: plan_json.params_json(t),
                                started_at: Some(now),
                            },
                            &reason,
                        )?;
                        out.push(Event::Skipped {
                            job: name.clone(),
                            period: t,
                            run,
                            reason,
                        });
                    } else {
                        c.enqueue_fire(&name, t, Trigger::Scheduled, now, now)?;
                    }
                }
                c.set_schedule_cursor(&name, last, now)?;
                Ok((out, missed.len(), selected.len()))
            })?;
            let (mut out, missed, queued) = claimed;
            if missed > 0 {
                tracing::warn!(
                    job = %name,
                    "{missed} fire(s) missed while no scheduler was running; catch_up = {} queues {queued}",
                    catch_up.policy.as_str()
                );
                events.push(Event::Missed {
                    job: name.clone(),
                    missed,
                    queued,
                });
            }
            for e in &out {
                if let Event::Skipped { job, reason, .. } = e {
                    tracing::warn!(job = %job, "{reason}");
                }
            }
            events.append(&mut out);
            self.next_due.insert(name.clone(), schedule.next_fire(now));
        }
        Ok(())
    }

    // ------------------------------------------------------------------
    // 3. starting queued fires
    // ------------------------------------------------------------------

    fn start_ready(&mut self, now: DateTime<Utc>, events: &mut Vec<Event>) -> Result<()> {
        let names: Vec<String> = self
            .jobs
            .values()
            .filter(|j| j.enabled && self.runs_here(&j.name) && !self.active.contains_key(&j.name))
            .map(|j| j.name.clone())
            .collect();
        for name in names {
            let ready = |c: &Catalog| -> Result<Option<QueuedFire>> {
                Ok(c.queued_fires(Some(&name))?
                    .into_iter()
                    .next()
                    .filter(|f| f.not_before <= now))
            };
            if ready(&self.catalog)?.is_none() {
                continue;
            }
            if !self
                .catalog
                .try_acquire_lease(&name, &self.opts.owner, now, self.opts.lease_ttl)?
            {
                continue; // another scheduler runs this job
            }
            // Re-read under the lease: the previous holder may have finished it.
            let Some(mut fire) = ready(&self.catalog)? else {
                self.catalog.release_lease(&name, &self.opts.owner)?;
                continue;
            };
            if let Some(prev) = fire.run {
                let expected = Some(prev);
                match self.catalog.run(prev)? {
                    Some(r) if r.status == RunStatus::Running => {
                        let msg =
                            "interrupted: the scheduler running this attempt stopped (its lease expired)";
                        self.catalog
                            .finish_run_if_running(prev, RunStatus::Failed, Some(msg), now)?;
                        tracing::warn!(job = %name, run = %prev, "{msg}");
                        events.push(Event::Interrupted {
                            job: name.clone(),
                            run: prev,
                        });
                        fire.interruptions += 1;
                        if fire.interruptions > self.opts.max_interruptions {
                            tracing::error!(job = %name, period = %fire.period, "interrupted {} times: giving the fire up", fire.interruptions);
                            self.catalog.remove_fire(fire.id, expected)?;
                            self.fire_done(&name, fire.period, now, events)?;
                            self.catalog.release_lease(&name, &self.opts.owner)?;
                            continue;
                        }
                        fire.attempt += 1;
                        fire.run = None;
                        if !self.catalog.update_fire(&fire, expected)? {
                            self.catalog.release_lease(&name, &self.opts.owner)?;
                            continue;
                        }
                    }
                    Some(r) => {
                        // Finished, but its scheduler died before moving on.
                        self.after_attempt(&name, fire, prev, r.status, r.error, now, events)?;
                        self.catalog.release_lease(&name, &self.opts.owner)?;
                        continue;
                    }
                    None => {
                        fire.run = None;
                        self.catalog.update_fire(&fire, expected)?;
                    }
                }
            }
            self.start_attempt(&name, fire, now, events)?;
        }
        Ok(())
    }

    fn start_attempt(
        &mut self,
        name: &str,
        mut fire: QueuedFire,
        now: DateTime<Utc>,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let plan = self.jobs[name].clone();
        let run = self.catalog.start_run_with(&NewRun {
            job: name.to_string(),
            pipeline: plan.pipeline.clone(),
            trigger: fire.trigger,
            attempt: fire.attempt,
            period: Some(fire.period),
            params_json: plan.params_json(fire.period),
            started_at: Some(now),
        })?;
        fire.run = Some(run);
        if !self.catalog.update_fire(&fire, None)? {
            self.catalog.finish_run_if_running(
                run,
                RunStatus::Skipped,
                Some("skipped: the fire was taken by another scheduler"),
                now,
            )?;
            self.catalog.release_lease(name, &self.opts.owner)?;
            return Ok(());
        }
        let cancel = CancelToken::new();
        let spec = AttemptSpec {
            job: name.to_string(),
            pipeline: plan.pipeline.clone(),
            comuni: plan.comuni.clone(),
            params: plan.params.clone(),
            trigger: fire.trigger,
            period: fire.period,
            attempt: fire.attempt,
            run,
        };
        tracing::info!(job = %name, run = %run, period = %fire.period, trigger = %fire.trigger, "starting attempt {}", fire.attempt);
        let handle = self.executor.start(&spec, cancel.clone());
        events.push(Event::Started {
            job: name.to_string(),
            period: fire.period,
            trigger: fire.trigger,
            attempt: fire.attempt,
            run,
        });
        self.active.insert(
            name.to_string(),
            Active {
                fire_id: fire.id,
                period: fire.period,
                attempt: fire.attempt,
                run,
                deadline: plan.timeout.map(|t| now + delta(t)),
                renew_at: now + delta(self.opts.lease_ttl / 3),
                cancel,
                handle,
                lease_lost: false,
            },
        );
        Ok(())
    }

    // ------------------------------------------------------------------
    // timing
    // ------------------------------------------------------------------

    fn next_wake(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let mut next: Option<DateTime<Utc>> = None;
        let mut consider = |t: DateTime<Utc>| {
            let t = t.max(now);
            next = Some(next.map_or(t, |n| n.min(t)));
        };
        for a in self.active.values() {
            if let Some(d) = a.deadline.filter(|_| !a.cancel.is_cancelled()) {
                consider(d);
            }
            if !a.lease_lost {
                consider(a.renew_at);
            }
            if let Some(t) = a.handle.wake_at() {
                consider(t);
            }
        }
        if !self.stopping {
            for (job, due) in &self.next_due {
                if let (Some(t), true) = (due, self.jobs.get(job).is_some_and(|j| j.enabled)) {
                    consider(*t);
                }
            }
            for f in self.catalog.queued_fires(None)? {
                if self.active.contains_key(&f.job)
                    || !self.jobs.get(&f.job).is_some_and(|j| j.enabled)
                    || !self.runs_here(&f.job)
                {
                    continue;
                }
                if f.not_before > now {
                    consider(f.not_before);
                } else if let Some(l) = self.catalog.lease(&f.job)? {
                    // Held elsewhere: look again when it could expire.
                    consider(l.expires_at.min(now + chrono::Duration::seconds(5)));
                }
            }
            for (job, plan) in &self.jobs {
                if plan.schedule.is_some() && self.runs_here(job) && !self.next_due.contains_key(job) {
                    consider(now);
                }
            }
        }
        Ok(next)
    }
}

fn dropped_reason() -> String {
    "dropped: the job was still busy with an earlier fire (concurrency = \"drop\")".to_string()
}

fn fire_state(c: &Catalog, job: &str, period: DateTime<Utc>) -> Result<FireState> {
    if c.queued_fires(Some(job))?.iter().any(|f| f.period == period) {
        return Ok(FireState::Pending);
    }
    Ok(match c.runs_for_period(job, period)?.last() {
        Some(r) => FireState::Final(r.status, r.id),
        None => FireState::Unknown,
    })
}
