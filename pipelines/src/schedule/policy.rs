//! Per-job policies: retries with exponential backoff, catch-up of fires
//! missed while no scheduler was running, concurrency; human durations.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Parses a human duration: `30s`, `10m`, `2h`, `7d`, `1h 30m`, `1h30m`.
/// Zero is refused: every duration in `jobs.toml` is a positive interval.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("bad duration `{s}`: {e} (write e.g. \"30s\", \"10m\", \"2h\", \"7d\")"))?;
    if d.is_zero() {
        return Err(format!("bad duration `{s}`: must be greater than zero"));
    }
    Ok(d)
}

/// Renders a duration the way `jobs.toml` writes it (`1h 30m`).
pub fn format_duration(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

/// `chrono` delta of a std duration (saturating at about 292 billion years).
pub fn delta(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Retries of a failed attempt: after attempt `n` fails, attempt `n + 1`
/// starts `initial * multiplier^(n-1)` later, at most `cap`; there are at
/// most `max` retries (so `1 + max` attempts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub max: u32,
    pub initial: Duration,
    pub multiplier: f64,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// No retries; if `max` is raised: 1 minute, doubling, at most 1 hour.
    fn default() -> Self {
        RetryPolicy {
            max: 0,
            initial: Duration::from_secs(60),
            multiplier: 2.0,
            cap: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before retrying after failed attempt `failed_attempt` (1-based).
    pub fn backoff(&self, failed_attempt: u32) -> Duration {
        let exp = failed_attempt.saturating_sub(1).min(1000) as i32;
        let secs = self.initial.as_secs_f64() * self.multiplier.powi(exp);
        if !secs.is_finite() || secs >= self.cap.as_secs_f64() {
            self.cap
        } else {
            Duration::from_secs_f64(secs.max(0.0))
        }
    }
}

/// What to do with fires missed while no scheduler was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUpPolicy {
    /// Run none of them.
    Skip,
    /// Run the latest one within the window.
    Once,
    /// Run every one within the window, at most `max_runs`, oldest first.
    All,
}

impl CatchUpPolicy {
    pub const NAMES: &'static str = "\"skip\", \"once\", \"all\"";

    pub fn parse(s: &str) -> Option<CatchUpPolicy> {
        match s {
            "skip" => Some(CatchUpPolicy::Skip),
            "once" => Some(CatchUpPolicy::Once),
            "all" => Some(CatchUpPolicy::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CatchUpPolicy::Skip => "skip",
            CatchUpPolicy::Once => "once",
            CatchUpPolicy::All => "all",
        }
    }
}

/// Catch-up of missed fires: `policy`, considering only fires at most
/// `window` old (`None`: any age), and for `all` at most `max_runs` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchUp {
    pub policy: CatchUpPolicy,
    pub window: Option<Duration>,
    pub max_runs: u32,
}

impl Default for CatchUp {
    /// `once` within a day: a nightly job missed during a restart runs when
    /// the scheduler is back, a week of downtime does not cause a flood.
    fn default() -> Self {
        CatchUp {
            policy: CatchUpPolicy::Once,
            window: Some(Duration::from_secs(24 * 3600)),
            max_runs: 10,
        }
    }
}

impl CatchUp {
    /// The missed fires (oldest first) to run at `now`, oldest first:
    /// `skip` none; `once` the latest within the window; `all` every one within
    /// the window, keeping the most recent `max_runs` if there are more, run
    /// oldest first.
    pub fn select(&self, missed: &[DateTime<Utc>], now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let in_window: Vec<DateTime<Utc>> = missed
            .iter()
            .copied()
            .filter(|t| self.window.is_none_or(|w| *t >= now - delta(w)))
            .collect();
        match self.policy {
            CatchUpPolicy::Skip => vec![],
            CatchUpPolicy::Once => in_window.last().copied().into_iter().collect(),
            CatchUpPolicy::All => {
                let keep = (self.max_runs as usize).min(in_window.len());
                in_window[in_window.len() - keep..].to_vec()
            }
        }
    }
}

/// What happens to a trigger that arrives while the job is busy (running,
/// waiting to retry, or with fires already queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Concurrency {
    /// Run it after the ones before it.
    #[default]
    Queue,
    /// Record it as skipped and do not run it.
    Drop,
}

impl Concurrency {
    pub const NAMES: &'static str = "\"queue\", \"drop\"";

    pub fn parse(s: &str) -> Option<Concurrency> {
        match s {
            "queue" => Some(Concurrency::Queue),
            "drop" => Some(Concurrency::Drop),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Concurrency::Queue => "queue",
            Concurrency::Drop => "drop",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("ten minutes").is_err());
        assert!(parse_duration("0s").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h 30m");
    }

    #[test]
    fn backoff_is_exponential_and_capped() {
        let p = RetryPolicy {
            max: 5,
            initial: Duration::from_secs(60),
            multiplier: 3.0,
            cap: Duration::from_secs(600),
        };
        assert_eq!(p.backoff(1), Duration::from_secs(60));
        assert_eq!(p.backoff(2), Duration::from_secs(180));
        assert_eq!(p.backoff(3), Duration::from_secs(540));
        assert_eq!(p.backoff(4), Duration::from_secs(600));
        assert_eq!(p.backoff(40), Duration::from_secs(600));
    }

    #[test]
    fn catch_up_selection() {
        let now: DateTime<Utc> = "2026-01-10T12:00:00Z".parse().unwrap();
        let missed: Vec<DateTime<Utc>> = (1..=9)
            .map(|d| format!("2026-01-0{d}T02:00:00Z").parse().unwrap())
            .collect();
        let c = |policy, window: Option<u64>, max_runs| CatchUp {
            policy,
            window: window.map(|h| Duration::from_secs(h * 3600)),
            max_runs,
        };
        assert!(c(CatchUpPolicy::Skip, None, 10).select(&missed, now).is_empty());
        assert_eq!(
            c(CatchUpPolicy::Once, None, 10).select(&missed, now),
            vec![missed[8]]
        );
        // Window of 3 days: fires from 2026-01-07T12:00.
        assert_eq!(
            c(CatchUpPolicy::All, Some(72), 10).select(&missed, now),
            missed[7..].to_vec()
        );
        assert_eq!(
            c(CatchUpPolicy::All, None, 4).select(&missed, now),
            missed[5..].to_vec()
        );
        // Nothing within the window: once runs nothing.
        assert!(c(CatchUpPolicy::Once, Some(1), 10)
            .select(&missed, now)
            .is_empty());
    }
}
