//! Executing one attempt of a job: the [`Executor`] trait the scheduler
//! drives, and [`PipelineExecutor`], which runs the real pipelines.

use super::cancel::CancelToken;
use crate::config::Settings;
use crate::progress::NoProgress;
use crate::runner::{self, RunRequest};
use chrono::{DateTime, Utc};
use metrodati_catalog::{Catalog, RunId, RunStatus, Trigger};
use std::sync::mpsc;

/// One attempt to execute. The scheduler has already recorded its run
/// (`run`, status `running`); the executor must not start another.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptSpec {
    pub job: String,
    pub pipeline: String,
    /// ISTAT codes, sorted.
    pub comuni: Vec<String>,
    /// The job's `params`, as a JSON object.
    pub params: serde_json::Value,
    pub trigger: Trigger,
    /// The fire time this attempt is for.
    pub period: DateTime<Utc>,
    pub attempt: u32,
    pub run: RunId,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub status: RunStatus,
    pub error: Option<String>,
}

impl AttemptOutcome {
    pub fn succeeded() -> AttemptOutcome {
        AttemptOutcome {
            status: RunStatus::Succeeded,
            error: None,
        }
    }

    pub fn failed(error: impl Into<String>) -> AttemptOutcome {
        AttemptOutcome {
            status: RunStatus::Failed,
            error: Some(error.into()),
        }
    }
}

/// A running attempt.
pub trait AttemptHandle: Send {
    /// The outcome once the attempt is over; `None` while it runs. Must not
    /// block.
    fn poll(&mut self) -> Option<AttemptOutcome>;

    /// When the attempt is known to end, if it is (simulated attempts); the
    /// scheduler wakes up then instead of polling.
    fn wake_at(&self) -> Option<DateTime<Utc>> {
        None
    }
}

/// Starts attempts. The scheduler calls [`Executor::start`] and then polls
/// the handle at every tick; it sets `cancel` on timeout or shutdown.
pub trait Executor: Send + Sync {
    fn start(&self, spec: &AttemptSpec, cancel: CancelToken) -> Box<dyn AttemptHandle>;
}

/// Converts a TOML table to JSON (dates and times become their TOML text).
pub fn toml_to_json(t: &toml::Table) -> serde_json::Value {
    fn value(v: &toml::Value) -> serde_json::Value {
        match v {
            toml::Value::String(s) => serde_json::Value::String(s.clone()),
            toml::Value::Integer(i) => serde_json::Value::from(*i),
            toml::Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
            toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
            toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(value).collect()),
            toml::Value::Table(t) => toml_to_json(t),
        }
    }
    serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}

/// Runs attempts with [`runner::run`], each on its own thread with its own
/// catalog connection (a [`Catalog`] is not `Sync`).
#[derive(Debug, Clone)]
pub struct PipelineExecutor {
    pub settings: Settings,
    /// Comuni processed at once within a run.
    pub workers: usize,
    /// Rows per store batch.
    pub batch_rows: usize,
}

struct ThreadHandle {
    rx: mpsc::Receiver<AttemptOutcome>,
}

impl AttemptHandle for ThreadHandle {
    fn poll(&mut self) -> Option<AttemptOutcome> {
        match self.rx.try_recv() {
            Ok(o) => Some(o),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(AttemptOutcome::failed(
                "the attempt's thread ended without a result (panic)",
            )),
        }
    }
}

impl Executor for PipelineExecutor {
    fn start(&self, spec: &AttemptSpec, cancel: CancelToken) -> Box<dyn AttemptHandle> {
        let (tx, rx) = mpsc::channel();
        let settings = self.settings.clone();
        let req = RunRequest {
            job: spec.job.clone(),
            pipeline: spec.pipeline.clone(),
            comuni: spec.comuni.clone(),
            trigger: spec.trigger,
            force: false,
            workers: self.workers.max(1),
            batch_rows: self.batch_rows.max(1),
            max_rejected_share: crate::runner::DEFAULT_MAX_REJECTED_SHARE,
            in_memory_limit: crate::anagrafe::DEFAULT_IN_MEMORY_LIMIT,
            params: spec.params.clone(),
            period: Some(spec.period),
            run: Some(spec.run),
            cancel: Some(cancel),
        };
        let spawned = std::thread::Builder::new()
            .name(format!("job-{}", spec.job))
            .spawn(move || {
                let outcome = match Catalog::open(&settings.catalog_path) {
                    Err(e) => AttemptOutcome::failed(format!("cannot open the catalog: {e}")),
                    Ok(mut catalog) => match runner::run(&settings, &mut catalog, &req, &NoProgress) {
                        Ok(report) => {
                            for e in &report.config_errors {
                                tracing::warn!(job = %req.job, "{e}");
                            }
                            let error = catalog.run(report.run).ok().flatten().and_then(|r| r.error);
                            AttemptOutcome {
                                status: report.status,
                                error,
                            }
                        }
                        Err(e) => AttemptOutcome::failed(e.to_string()),
                    },
                };
                let _ = tx.send(outcome);
            });
        if let Err(e) = spawned {
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(AttemptOutcome::failed(format!("cannot start a thread: {e}")));
            return Box::new(ThreadHandle { rx });
        }
        Box::new(ThreadHandle { rx })
    }
}
