//! Cooperative cancellation of a running attempt.
//!
//! Design: the scheduler hands each attempt a [`CancelToken`] (an
//! `Arc<AtomicU8>`); the runner checks it before taking the next comune from
//! its queue, finishes the comuni already in progress, records them, and closes
//! the run as `failed` ("timeout") or `cancelled` (shutdown).
//!
//! Why not a child process that is killed? Killing gives a hard deadline but
//! leaves the run half-recorded (a `running` row, quarantine files without
//! their summary) and throws away the comuni in flight; the store would stay
//! consistent (atomic partitions) but the catalog would not say what
//! happened. A comune is the unit of work that is recorded atomically, so
//! stopping between comuni keeps the catalog exact; the price is that a
//! cancel takes effect after the comuni in flight (at most `workers` of them)
//! finish. The daemon's shutdown grace period and systemd's `TimeoutStopSec`
//! bound that wait, and a run left `running` by a hard kill is closed as
//! "interrupted" by the next scheduler that takes the job's lease.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// Why an attempt was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// The attempt ran longer than the job's `timeout`: recorded as failed.
    Timeout,
    /// The scheduler is shutting down (SIGTERM/SIGINT): recorded as cancelled,
    /// and the fire stays queued for the next start.
    Shutdown,
    /// Another scheduler took over the job's lease (this one stalled).
    LeaseLost,
}

impl CancelReason {
    fn code(self) -> u8 {
        match self {
            CancelReason::Timeout => 1,
            CancelReason::Shutdown => 2,
            CancelReason::LeaseLost => 3,
        }
    }

    fn from_code(c: u8) -> Option<CancelReason> {
        match c {
            1 => Some(CancelReason::Timeout),
            2 => Some(CancelReason::Shutdown),
            3 => Some(CancelReason::LeaseLost),
            _ => None,
        }
    }

    /// The text recorded as the run's error.
    pub fn message(self) -> &'static str {
        match self {
            CancelReason::Timeout => "timeout",
            CancelReason::Shutdown => "the scheduler is shutting down (SIGTERM/SIGINT)",
            CancelReason::LeaseLost => "another scheduler took over the job's lease",
        }
    }
}

/// A shared, cloneable cancellation flag with a reason. The first reason set
/// wins.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicU8>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks the attempt to stop; returns false if it was already asked.
    pub fn cancel(&self, reason: CancelReason) -> bool {
        self.0
            .compare_exchange(0, reason.code(), Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) != 0
    }

    pub fn reason(&self) -> Option<CancelReason> {
        CancelReason::from_code(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_reason_wins_and_is_shared() {
        let t = CancelToken::new();
        let u = t.clone();
        assert!(!u.is_cancelled());
        assert!(t.cancel(CancelReason::Timeout));
        assert!(!t.cancel(CancelReason::Shutdown));
        assert_eq!(u.reason(), Some(CancelReason::Timeout));
    }
}
