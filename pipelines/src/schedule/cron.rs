//! Fire times: a 5-field cron pattern matched on the wall clock of an IANA
//! time zone, converted to UTC by rules of our own.
//!
//! `croner` is used only to parse the pattern and to walk **naive** wall-clock
//! times (`NaiveDateTime`, which has no time zone and so no DST). Turning a
//! wall-clock time into an instant is done here, explicitly, with `chrono-tz`:
//!
//! * **Gap** (spring forward; in Europe/Rome 02:00–02:59 does not exist on the
//!   last Sunday of March): a wall-clock time inside the gap fires once, at the
//!   first valid instant after the gap (03:00 local). Several pattern times
//!   inside one gap (e.g. `*/15 2 * * *`) collapse into that single fire.
//! * **Fold** (fall back; 02:00–02:59 happens twice on the last Sunday of
//!   October): a wall-clock time that occurs twice fires once, at its first
//!   occurrence (CEST, UTC+2). The second pass through the same wall-clock
//!   times fires nothing.
//!
//! Both rules are one definition: a pattern time `n` fires at **the first
//! instant at which the zone's wall clock reads `n` or later**. That map is
//! non-decreasing in `n`, which is what makes [`next_fire`] a simple loop.
//!
//! Consequences for an hourly job (`0 * * * *`) in Europe/Rome: 23 fires on
//! the spring-forward day (02:00 and 03:00 local are the same instant) and 24,
//! not 25, on the fall-back day (02:00 local fires at its first occurrence,
//! 00:00 UTC; the next fire is 03:00 CET, 02:00 UTC). A job that must run
//! every elapsed hour should say `timezone = "UTC"`.

use chrono::{DateTime, Duration as TimeDelta, LocalResult, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;
use std::fmt;

/// At most this many fire times are returned by [`fires_between`].
pub const MAX_FIRES: usize = 1_000_000;

/// A job's schedule: a parsed 5-field cron pattern and its time zone.
#[derive(Clone)]
pub struct Schedule {
    expression: String,
    cron: Cron,
    tz: Tz,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?} in {})", self.expression, self.tz.name())
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression && self.tz == other.tz
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.expression, self.tz.name())
    }
}

/// Parses a 5-field cron pattern (minute hour day-of-month month
/// day-of-week; POSIX/Vixie semantics: day-of-month and day-of-week are ORed
/// when both are restricted, 0 and 7 are Sunday, names like `MON-FRI` are
/// accepted). A pattern that can never fire (e.g. `0 0 30 2 *`) is rejected.
pub fn parse_cron(expression: &str) -> Result<Cron, String> {
    let fields = expression.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "cron expression `{expression}` must have 5 fields (minute hour day month weekday), found {fields}"
        ));
    }
    let cron = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expression)
        .map_err(|e| format!("bad cron expression `{expression}`: {e}"))?;
    // A pattern that matches no date at all (30 February) would make every
    // search run to croner's limit; refuse it up front. Eight years cover
    // every combination of leap year and weekday.
    let probe =
        NaiveDateTime::parse_from_str("2024-01-01 00:00:00", "%Y-%m-%d %H:%M:%S").expect("valid literal");
    match cron.find_next_occurrence(&probe, true) {
        Ok(t) if t < probe + TimeDelta::days(366 * 8) => Ok(cron),
        _ => Err(format!("cron expression `{expression}` never fires")),
    }
}

/// Parses an IANA time zone name (`Europe/Rome`, `UTC`).
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone `{name}`: not an IANA time zone name (e.g. Europe/Rome, UTC)")
    })
}

impl Schedule {
    /// A schedule from a cron pattern and an IANA zone name.
    pub fn parse(expression: &str, timezone: &str) -> Result<Schedule, String> {
        let tz = parse_timezone(timezone)?;
        Schedule::new(expression, tz)
    }

    /// A schedule from a cron pattern and a zone.
    pub fn new(expression: &str, tz: Tz) -> Result<Schedule, String> {
        Ok(Schedule {
            expression: expression.split_whitespace().collect::<Vec<_>>().join(" "),
            cron: parse_cron(expression)?,
            tz,
        })
    }

    /// The cron pattern, whitespace normalised.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The zone the pattern is read in.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The first fire time strictly after `after` (see [`next_fire`]).
    pub fn next_fire(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        next_fire(&self.cron, self.tz, after)
    }

    /// Fire times `t` with `from < t <= to`, oldest first (see [`fires_between`]).
    pub fn fires_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        fires_between(&self.cron, self.tz, from, to)
    }

    /// The latest fire time `<= at`, if there is one within `lookback`.
    pub fn last_fire_at_or_before(&self, at: DateTime<Utc>, lookback: TimeDelta) -> Option<DateTime<Utc>> {
        self.fires_between(at - lookback, at).pop()
    }
}

/// The first instant at which `tz`'s wall clock reads `local` or later: the
/// instant itself for a normal time, the first occurrence for a time that
/// happens twice, the end of the gap for a time that does not exist.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => end_of_gap(tz, local),
    }
}

/// Smallest instant whose wall-clock time is `>= local`, for a `local` in a
/// gap. Offsets are within ±14 h, so the answer lies within ±18 h of `local`
/// read as UTC; no zone has a fold within a day of a gap, so "wall clock >=
/// local" is monotonic there and a bisection on seconds finds the edge.
fn end_of_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let wall = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
    let mut lo = local.and_utc() - TimeDelta::hours(18); // wall(lo) < local
    let mut hi = local.and_utc() + TimeDelta::hours(18); // wall(hi) >= local
    while (hi - lo).num_seconds() > 1 {
        let mid = lo + TimeDelta::seconds((hi - lo).num_seconds() / 2);
        if wall(mid) >= local {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// The first fire time of `cron` in zone `tz` strictly after `after`, or
/// `None` if the pattern never fires again (croner's search limit).
///
/// A pattern time `n` fires at [`resolve_local`]`(tz, n)`, which never
/// decreases as `n` grows; and a pattern time that fires after `after` must
/// be later than the wall-clock time at `after` (otherwise the wall clock
/// already read `n` by `after`). So the search walks pattern times from the
/// wall clock at `after` and returns the first that resolves past `after`:
/// at most one fold's worth of pattern times is skipped.
pub fn next_fire(cron: &Cron, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let wall = after.with_timezone(&tz).naive_local();
    let mut cursor = wall.with_nanosecond(0).unwrap_or(wall);
    loop {
        let n = cron.find_next_occurrence(&cursor, false).ok()?;
        let fire = resolve_local(tz, n);
        if fire > after {
            return Some(fire);
        }
        cursor = n;
    }
}

/// Every fire time `t` of `cron` in zone `tz` with `from < t <= to`, oldest
/// first, each instant once (at most [`MAX_FIRES`]).
pub fn fires_between(cron: &Cron, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut at = from;
    while out.len() < MAX_FIRES {
        match next_fire(cron, tz, at) {
            Some(t) if t <= to => {
                out.push(t);
                at = t;
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(parse_cron("* *").unwrap_err().contains("5 fields"));
        assert!(parse_cron("0 0 * * * *").unwrap_err().contains("5 fields"));
        assert!(parse_cron("61 2 * * *").unwrap_err().contains("bad cron"));
        assert!(parse_cron("0 25 * * *").is_err());
        assert!(parse_cron("0 0 30 2 *").unwrap_err().contains("never fires"));
        assert!(parse_cron("0 6 * * MON-FRI").is_ok());
        assert!(parse_timezone("Europe/Roma").is_err());
        assert!(parse_timezone("UTC").is_ok());
    }

    #[test]
    fn gap_resolves_to_its_end() {
        let rome = parse_timezone("Europe/Rome").unwrap();
        let n = NaiveDateTime::parse_from_str("2026-03-29 02:30", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(resolve_local(rome, n), utc("2026-03-29T01:00:00Z"));
        let n = NaiveDateTime::parse_from_str("2026-10-25 02:30", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(resolve_local(rome, n), utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn next_fire_from_the_second_half_of_a_fold_skips_the_fold() {
        let s = Schedule::parse("*/15 * * * *", "Europe/Rome").unwrap();
        // 01:30 UTC is 02:30 CET, the second 02:30 of 2026-10-25.
        assert_eq!(
            s.next_fire(utc("2026-10-25T01:30:00Z")),
            Some(utc("2026-10-25T02:00:00Z"))
        );
        // 00:59 UTC is 02:59 CEST (first half): 02:00 CET is not a new wall time.
        assert_eq!(
            s.next_fire(utc("2026-10-25T00:59:00Z")),
            Some(utc("2026-10-25T02:00:00Z"))
        );
    }
}
