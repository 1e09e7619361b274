//! Shared set-up of the scheduler tests: a catalog file in a temporary
//! folder, a simulated clock and a fake executor.

#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use metrodati_catalog::{Catalog, RunFilter, RunRecord};
use metrodati_pipelines::schedule::testing::FakeExecutor;
use metrodati_pipelines::schedule::{JobPlan, Schedule, Scheduler, SchedulerOptions, SimClock};
use std::path::PathBuf;
use std::sync::Arc;

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn mins(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn std_mins(n: u64) -> std::time::Duration {
    std::time::Duration::from_secs(60 * n)
}

/// A job on `expr` in Europe/Rome.
pub fn job(name: &str, expr: &str) -> JobPlan {
    JobPlan::new(name, Some(Schedule::parse(expr, "Europe/Rome").unwrap()))
}

/// A job with no schedule, run after `deps`.
pub fn dependent(name: &str, deps: &[&str]) -> JobPlan {
    let mut j = JobPlan::new(name, None);
    j.depends_on = deps.iter().map(|d| d.to_string()).collect();
    j
}

pub struct Harness {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub clock: Arc<SimClock>,
    pub exec: Arc<FakeExecutor>,
}

impl Harness {
    pub fn new(start: &str) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        let clock = Arc::new(SimClock::new(utc(start)));
        let exec = FakeExecutor::new(clock.clone());
        Harness {
            _dir: dir,
            path,
            clock,
            exec,
        }
    }

    /// A scheduler (its own catalog connection) named `owner`.
    pub fn scheduler(&self, jobs: Vec<JobPlan>, owner: &str) -> Scheduler {
        Scheduler::new(
            jobs,
            Catalog::open(&self.path).unwrap(),
            self.clock.clone(),
            self.exec.clone(),
            SchedulerOptions::new(owner),
        )
    }

    /// A scheduler with explicit options.
    pub fn scheduler_with(&self, jobs: Vec<JobPlan>, opts: SchedulerOptions) -> Scheduler {
        Scheduler::new(
            jobs,
            Catalog::open(&self.path).unwrap(),
            self.clock.clone(),
            self.exec.clone(),
            opts,
        )
    }

    pub fn catalog(&self) -> Catalog {
        Catalog::open(&self.path).unwrap()
    }

    /// Runs of `job`, oldest first.
    pub fn runs(&self, job: &str) -> Vec<RunRecord> {
        let mut v = self
            .catalog()
            .runs(&RunFilter {
                job: Some(job.into()),
                ..RunFilter::default()
            })
            .unwrap();
        v.sort_by_key(|r| r.id);
        v
    }

    pub fn set(&self, t: &str) {
        self.clock.set(utc(t));
    }
}

/// `(period, attempt, trigger, status)` of runs, for compact assertions.
pub fn summary(runs: &[RunRecord]) -> Vec<(String, u32, String, String)> {
    runs.iter()
        .map(|r| {
            (
                r.period
                    .as_deref()
                    .map(|p| utc(p).format("%m-%dT%H:%M").to_string())
                    .unwrap_or_default(),
                r.attempt,
                r.trigger.to_string(),
                r.status.to_string(),
            )
        })
        .collect()
}

pub fn hm(ts: &str) -> String {
    utc(ts).format("%m-%dT%H:%M").to_string()
}

pub fn row(period: &str, attempt: u32, trigger: &str, status: &str) -> (String, u32, String, String) {
    (
        period.to_string(),
        attempt,
        trigger.to_string(),
        status.to_string(),
    )
}
