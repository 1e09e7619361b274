//! Scheduling (issue #3): when jobs fire, and the daemon that fires them.
//!
//! * [`cron`]: fire times of a 5-field cron pattern in an IANA zone, with
//!   explicit DST rules — a wall-clock time inside a spring-forward gap fires
//!   once at the end of the gap (02:30 → 03:00 in Europe/Rome); a wall-clock
//!   time that occurs twice at fall-back fires once, at its first
//!   occurrence. `croner` parses the pattern and walks naive wall-clock
//!   times; `chrono-tz` turns them into UTC instants by those rules.
//!   tokio-cron-scheduler is not used: its time-zone jobs keep a fixed UTC
//!   offset across DST (#87), run an hour off after a transition (#107) and
//!   repeated jobs can stop firing (#113).
//! * [`policy`]: retries with exponential backoff, catch-up of missed fires
//!   (`skip` / `once` / `all` with a window and a cap), concurrency
//!   (`queue` / `drop`), human durations.
//! * [`scheduler`]: the deterministic state machine, over an injected
//!   [`Clock`] and [`Executor`], with its state (fire cursor per job, queue of
//!   fires, job leases, runs with attempt and period) in the catalog.
//! * [`daemon`]: the loop around it, with graceful shutdown.
//! * [`cancel`]: cooperative cancellation of a running attempt (timeout,
//!   shutdown), and why it is cooperative.
//! * [`testing`]: a fake executor and a driver for tests on a simulated clock.

pub mod cancel;
pub mod clock;
pub mod cron;
pub mod daemon;
pub mod executor;
pub mod lease;
pub mod policy;
pub mod scheduler;
pub mod testing;

pub use cancel::{CancelReason, CancelToken};
pub use clock::{Clock, SimClock, SystemClock};
pub use cron::{fires_between, next_fire, parse_cron, parse_timezone, resolve_local, Schedule};
pub use daemon::{run_daemon, DaemonOptions, DaemonSummary};
pub use executor::{AttemptHandle, AttemptOutcome, AttemptSpec, Executor, PipelineExecutor};
pub use lease::LeaseGuard;
pub use policy::{format_duration, parse_duration, CatchUp, CatchUpPolicy, Concurrency, RetryPolicy};
pub use scheduler::{Event, JobPlan, Scheduler, SchedulerOptions, TickReport};
