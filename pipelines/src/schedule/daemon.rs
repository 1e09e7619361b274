//! The daemon loop around a [`Scheduler`]: tick, sleep until the next thing
//! is due (at most `poll`), and on a shutdown request stop claiming fires,
//! give running attempts `grace` to finish, then cancel them cooperatively
//! and record them as cancelled (the fire stays queued for the next start).
//!
//! The loop takes the clock and the sleep function as arguments, so tests
//! run it on a simulated clock without sleeping.

use super::cancel::CancelReason;
use super::clock::Clock;
use super::policy::delta;
use super::scheduler::{Event, Scheduler};
use metrodati_catalog::{CatalogError, RunStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Consecutive failed ticks (catalog errors) before the loop gives up.
pub const MAX_TICK_ERRORS: u32 = 30;

/// How the loop runs and stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaemonOptions {
    /// After a shutdown request, how long running attempts may go on before
    /// they are cancelled.
    pub grace: Duration,
    /// After cancelling, how long to wait for attempts to stop before exiting
    /// anyway (their runs are then closed as "interrupted" by the next
    /// scheduler that takes the job's lease).
    pub hard_stop: Duration,
    /// Longest sleep between ticks (executors are polled this often).
    pub poll: Duration,
    /// Process what is due now (including retries and dependents) and exit.
    pub once: bool,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        DaemonOptions {
            grace: Duration::from_secs(60),
            hard_stop: Duration::from_secs(60),
            poll: Duration::from_millis(250),
            once: false,
        }
    }
}

/// What the loop did.
#[derive(Debug, Clone, Default)]
pub struct DaemonSummary {
    /// Every event of every tick, in order.
    pub events: Vec<Event>,
    /// A shutdown was requested.
    pub shutdown: bool,
    /// Attempts still running when the loop gave up waiting.
    pub abandoned: Vec<String>,
}

impl DaemonSummary {
    /// Final outcomes (no retry following) that were not successes.
    pub fn failures(&self) -> usize {
        self.events
            .iter()
            .filter(|e| {
                matches!(e, Event::Finished { status, retry_at: None, .. }
                    if *status != RunStatus::Succeeded && *status != RunStatus::Cancelled)
            })
            .count()
    }
}

/// Runs `sched` until `shutdown` is set and its attempts have stopped (or,
/// with `once`, until no work is left).
pub fn run_daemon(
    sched: &mut Scheduler,
    clock: &dyn Clock,
    shutdown: &AtomicBool,
    opts: &DaemonOptions,
    sleep: &mut dyn FnMut(Duration),
) -> Result<DaemonSummary, CatalogError> {
    let mut summary = DaemonSummary::default();
    let mut stop_at = None;
    let mut cancelled = false;
    let mut tick_errors = 0;
    loop {
        if stop_at.is_none() && shutdown.load(Ordering::SeqCst) {
            sched.begin_shutdown();
            stop_at = Some(clock.now());
            summary.shutdown = true;
            let active = sched.active_jobs();
            if active.is_empty() {
                tracing::info!("shutdown requested; no job running");
            } else {
                tracing::info!(
                    "shutdown requested; waiting up to {}s for {} to finish",
                    opts.grace.as_secs(),
                    active.join(", ")
                );
            }
        }
        let report = match sched.tick() {
            Ok(r) => {
                tick_errors = 0;
                r
            }
            Err(e) => {
                // A busy or briefly unavailable catalog: try again, and give
                // up (exit with the error; systemd restarts the daemon) only
                // if it lasts.
                tick_errors += 1;
                tracing::error!("scheduler step failed ({tick_errors} in a row): {e}");
                if tick_errors >= MAX_TICK_ERRORS {
                    return Err(e);
                }
                sleep(Duration::from_secs(1));
                continue;
            }
        };
        summary.events.extend(report.events);
        let now = clock.now();
        if let Some(t0) = stop_at {
            let active = sched.active_jobs();
            if active.is_empty() {
                break;
            }
            if !cancelled && now >= t0 + delta(opts.grace) {
                sched.cancel_all(CancelReason::Shutdown);
                cancelled = true;
                continue;
            }
            if now >= t0 + delta(opts.grace) + delta(opts.hard_stop) {
                tracing::error!("{} did not stop in time; exiting anyway", active.join(", "));
                summary.abandoned = active;
                break;
            }
        } else if opts.once && !sched.has_pending_work()? {
            break;
        }
        let mut wake = report.next_wake.unwrap_or(now + delta(opts.poll));
        if let Some(t0) = stop_at {
            let deadline = if cancelled {
                t0 + delta(opts.grace) + delta(opts.hard_stop)
            } else {
                t0 + delta(opts.grace)
            };
            wake = wake.min(deadline);
        }
        let d = (wake - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(opts.poll)
            .max(Duration::from_millis(10));
        sleep(d);
    }
    Ok(summary)
}
