//! Test doubles for the scheduler: an executor whose attempts succeed, fail
//! or hang on command, timed by a simulated clock, and a driver that ticks a
//! scheduler from event to event without sleeping.

use super::cancel::CancelToken;
use super::clock::{Clock, SimClock};
use super::executor::{AttemptHandle, AttemptOutcome, AttemptSpec, Executor};
use super::policy::delta;
use super::scheduler::{Event, Scheduler};
use chrono::{DateTime, Utc};
use metrodati_catalog::RunStatus;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a simulated attempt does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Succeeds after this long.
    Succeed(Duration),
    /// Fails with this error after this long.
    Fail(Duration, String),
    /// Runs until cancelled; then stops at once.
    Hang,
    /// Ends `partially_succeeded` (some comuni failed) after this long.
    Partial(Duration),
}

#[derive(Default)]
struct State {
    scripts: BTreeMap<String, VecDeque<Behaviour>>,
    defaults: BTreeMap<String, Behaviour>,
    started: Vec<(DateTime<Utc>, AttemptSpec)>,
    running: BTreeMap<String, usize>,
    max_running: BTreeMap<String, usize>,
}

/// An [`Executor`] for tests. Each job follows its script (one behaviour per
/// attempt), then its default (`Succeed(0)` unless set). It records every
/// attempt started and the most attempts of one job ever running at once
/// (across every scheduler sharing it).
pub struct FakeExecutor {
    clock: Arc<dyn Clock>,
    state: Arc<Mutex<State>>,
}

impl FakeExecutor {
    pub fn new(clock: Arc<dyn Clock>) -> Arc<FakeExecutor> {
        Arc::new(FakeExecutor {
            clock,
            state: Arc::default(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next attempts of `job` behave like this, in order.
    pub fn script(&self, job: &str, behaviours: impl IntoIterator<Item = Behaviour>) {
        self.state()
            .scripts
            .entry(job.to_string())
            .or_default()
            .extend(behaviours);
    }

    /// Attempts of `job` beyond its script behave like this.
    pub fn set_default(&self, job: &str, b: Behaviour) {
        self.state().defaults.insert(job.to_string(), b);
    }

    /// Every attempt started so far, with its (simulated) start time.
    pub fn started(&self) -> Vec<(DateTime<Utc>, AttemptSpec)> {
        self.state().started.clone()
    }

    /// Start times of the attempts of `job`.
    pub fn starts_of(&self, job: &str) -> Vec<DateTime<Utc>> {
        self.started()
            .into_iter()
            .filter(|(_, s)| s.job == job)
            .map(|(t, _)| t)
            .collect()
    }

    /// The most attempts of `job` that ever ran at the same time.
    pub fn max_concurrent(&self, job: &str) -> usize {
        self.state().max_running.get(job).copied().unwrap_or(0)
    }

    /// Attempts of `job` running now.
    pub fn running(&self, job: &str) -> usize {
        self.state().running.get(job).copied().unwrap_or(0)
    }
}

struct FakeHandle {
    clock: Arc<dyn Clock>,
    state: Arc<Mutex<State>>,
    job: String,
    behaviour: Behaviour,
    started: DateTime<Utc>,
    cancel: CancelToken,
    done: bool,
}

impl FakeHandle {
    fn finish(&mut self, o: AttemptOutcome) -> Option<AttemptOutcome> {
        self.done = true;
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = st.running.get_mut(&self.job) {
            *n = n.saturating_sub(1);
        }
        Some(o)
    }
}

impl AttemptHandle for FakeHandle {
    fn poll(&mut self) -> Option<AttemptOutcome> {
        if self.done {
            return None;
        }
        if self.cancel.is_cancelled() {
            return self.finish(AttemptOutcome {
                status: RunStatus::Cancelled,
                error: Some("stopped on request".into()),
            });
        }
        let now = self.clock.now();
        match self.behaviour.clone() {
            Behaviour::Succeed(d) if now >= self.started + delta(d) => {
                self.finish(AttemptOutcome::succeeded())
            }
            Behaviour::Fail(d, msg) if now >= self.started + delta(d) => {
                self.finish(AttemptOutcome::failed(msg))
            }
            Behaviour::Partial(d) if now >= self.started + delta(d) => self.finish(AttemptOutcome {
                status: RunStatus::PartiallySucceeded,
                error: Some("1 comuni non elaborati".into()),
            }),
            _ => None,
        }
    }

    fn wake_at(&self) -> Option<DateTime<Utc>> {
        match &self.behaviour {
            Behaviour::Succeed(d) | Behaviour::Fail(d, _) | Behaviour::Partial(d) => {
                Some(self.started + delta(*d))
            }
            Behaviour::Hang => None,
        }
    }
}

impl Executor for FakeExecutor {
    fn start(&self, spec: &AttemptSpec, cancel: CancelToken) -> Box<dyn AttemptHandle> {
        let now = self.clock.now();
        let behaviour = {
            let mut st = self.state();
            st.started.push((now, spec.clone()));
            let n = st.running.entry(spec.job.clone()).or_default();
            *n += 1;
            let n = *n;
            let m = st.max_running.entry(spec.job.clone()).or_default();
            *m = (*m).max(n);
            let scripted = st.scripts.get_mut(&spec.job).and_then(|q| q.pop_front());
            scripted.unwrap_or_else(|| {
                st.defaults
                    .get(&spec.job)
                    .cloned()
                    .unwrap_or(Behaviour::Succeed(Duration::ZERO))
            })
        };
        Box::new(FakeHandle {
            clock: self.clock.clone(),
            state: self.state.clone(),
            job: spec.job.clone(),
            behaviour,
            started: now,
            cancel,
            done: false,
        })
    }
}

/// Ticks `sched` at every time it asks to be woken (and at `until`),
/// moving `clock` there, until `until`. Returns every event. Ticks are at
/// least `max_step` apart at most, so nothing is skipped even if a wake-up is
/// not predicted.
pub fn drive(
    sched: &mut Scheduler,
    clock: &SimClock,
    until: DateTime<Utc>,
    max_step: chrono::Duration,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut same_instant = 0;
    loop {
        let report = sched.tick().expect("tick");
        events.extend(report.events);
        let now = clock.now();
        // Something is due right now (an attempt that ended at once): tick
        // again at the same instant, a bounded number of times.
        if report.next_wake.is_some_and(|t| t <= now) && same_instant < 100 {
            same_instant += 1;
            continue;
        }
        same_instant = 0;
        if now >= until {
            return events;
        }
        let next = report
            .next_wake
            .filter(|t| *t > now)
            .unwrap_or(now + max_step)
            .min(now + max_step)
            .min(until);
        clock.set(next);
    }
}
