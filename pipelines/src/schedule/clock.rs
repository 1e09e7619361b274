//! Time as the scheduler sees it: injected, so tests drive a simulated clock
//! instead of sleeping.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// The scheduler's source of "now".
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told: tests set or advance it, then call
/// [`Scheduler::tick`](super::Scheduler::tick).
#[derive(Debug)]
pub struct SimClock(Mutex<DateTime<Utc>>);

impl SimClock {
    pub fn new(start: DateTime<Utc>) -> SimClock {
        SimClock(Mutex::new(start))
    }

    /// Moves the clock to `t` (never backwards: a scheduler must not see time
    /// go back, so an earlier `t` is ignored).
    pub fn set(&self, t: DateTime<Utc>) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if t > *now {
            *now = t;
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += d;
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
