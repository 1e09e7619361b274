//! Fire times across the Europe/Rome DST transitions of 2026 and 2027, as
//! pure functions and through the scheduler on a simulated clock.
//!
//! Rules (see `metrodati_pipelines::schedule::cron`): a wall-clock time in the
//! spring-forward gap fires once at the end of the gap (03:00 local); a
//! wall-clock time that occurs twice at fall-back fires once, at its first
//! occurrence (CEST).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Rome;
use metrodati_catalog::{Catalog, RunFilter, RunStatus, Trigger};
use metrodati_pipelines::schedule::testing::{drive, FakeExecutor};
use metrodati_pipelines::schedule::{
    fires_between, next_fire, parse_cron, resolve_local, CatchUpPolicy, JobPlan, Schedule, Scheduler,
    SchedulerOptions, SimClock,
};
use std::sync::Arc;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The UTC bounds of a local calendar day in Rome: (start, end].
fn local_day(day: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    let start = resolve_local(Rome, d.and_hms_opt(0, 0, 0).unwrap());
    let end = resolve_local(Rome, d.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap());
    // fires_between is (from, to]: take [start, end).
    (start - Duration::seconds(1), end - Duration::seconds(1))
}

fn fmt(v: &[DateTime<Utc>]) -> Vec<String> {
    v.iter()
        .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

const DST_DAYS: [(&str, &str); 4] = [
    // (day, UTC instant of the 02:30 fire)
    ("2026-03-29", "2026-03-29T01:00:00Z"), // 02:30 does not exist: 03:00 CEST
    ("2026-10-25", "2026-10-25T00:30:00Z"), // 02:30 twice: the first, CEST
    ("2027-03-28", "2027-03-28T01:00:00Z"),
    ("2027-10-31", "2027-10-31T00:30:00Z"),
];

#[test]
fn daily_0230_fires_exactly_once_on_each_dst_day_at_the_right_instant() {
    let s = Schedule::parse("30 2 * * *", "Europe/Rome").unwrap();
    for (day, expected) in DST_DAYS {
        let (from, to) = local_day(day);
        let fires = s.fires_between(from, to);
        assert_eq!(fmt(&fires), fmt(&[utc(expected)]), "{day}");
        // The day before and after: plain 02:30 local.
        let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        for other in [d.pred_opt().unwrap(), d.succ_opt().unwrap()] {
            let (from, to) = local_day(&other.to_string());
            let fires = s.fires_between(from, to);
            assert_eq!(fires.len(), 1, "{other}");
            let local = fires[0].with_timezone(&Rome);
            assert_eq!(local.format("%H:%M").to_string(), "02:30", "{other}");
        }
    }
}

#[test]
fn the_spring_forward_fire_is_at_0300_local_and_the_fall_back_fire_in_cest() {
    let s = Schedule::parse("30 2 * * *", "Europe/Rome").unwrap();
    let spring = s.next_fire(utc("2026-03-28T12:00:00Z")).unwrap();
    assert_eq!(
        spring.with_timezone(&Rome).format("%H:%M %Z").to_string(),
        "03:00 CEST"
    );
    let fall = s.next_fire(utc("2026-10-24T12:00:00Z")).unwrap();
    assert_eq!(
        fall.with_timezone(&Rome).format("%H:%M %Z").to_string(),
        "02:30 CEST"
    );
    // Asked from just after the first 02:30 (inside the repeated hour), the
    // next fire is the next day's, not the second 02:30.
    assert_eq!(
        s.next_fire(utc("2026-10-25T00:31:00Z")),
        Some(utc("2026-10-26T01:30:00Z"))
    );
    assert_eq!(
        s.next_fire(utc("2026-10-25T01:30:00Z")),
        Some(utc("2026-10-26T01:30:00Z"))
    );
}

#[test]
fn hourly_job_has_no_duplicate_and_no_missing_hour_beyond_the_rules() {
    let s = Schedule::parse("0 * * * *", "Europe/Rome").unwrap();
    for (day, _) in DST_DAYS {
        let (from, to) = local_day(day);
        let fires = s.fires_between(from, to);
        let spring = day.ends_with("-03-29") || day.ends_with("-03-28");
        // Spring: 23 local hours, 02:00 and 03:00 are one instant (03:00 CEST).
        // Fall: 02:00 happens twice and fires once (its first occurrence): 24.
        assert_eq!(
            fires.len(),
            if spring { 23 } else { 24 },
            "{day}: {:?}",
            fmt(&fires)
        );
        let mut sorted = fires.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), fires.len(), "{day}: duplicate instant");
        // Every local hour of the day, except 02 on the spring day, is hit.
        let hours: Vec<String> = fires
            .iter()
            .map(|t| t.with_timezone(&Rome).format("%H").to_string())
            .collect();
        let expected: Vec<String> = (0..24)
            .filter(|h| !(spring && *h == 2))
            .map(|h| format!("{h:02}"))
            .collect();
        assert_eq!(hours, expected, "{day}");
        // Gaps between consecutive fires: one hour, except after the
        // fold's first 02:00 (two hours: its second occurrence is skipped).
        for w in fires.windows(2) {
            let gap = w[1] - w[0];
            let fold_gap = !spring && w[0].with_timezone(&Rome).format("%H").to_string() == "02";
            assert_eq!(
                gap,
                Duration::hours(if fold_gap { 2 } else { 1 }),
                "{day} after {}",
                w[0]
            );
        }
    }
    // The exact instants of the 2026 fall-back day around the fold.
    let (from, to) = local_day("2026-10-25");
    let fires = s.fires_between(from, to);
    assert_eq!(
        fmt(&fires[..5]),
        vec![
            "2026-10-24T22:00Z", // 00:00 CEST
            "2026-10-24T23:00Z", // 01:00 CEST
            "2026-10-25T00:00Z", // 02:00 CEST (first 02:00)
            "2026-10-25T02:00Z", // 03:00 CET (the second 02:00, 01:00Z, does not fire)
            "2026-10-25T03:00Z",
        ]
    );
}

#[test]
fn every_quarter_hour_inside_the_gap_collapses_into_one_fire() {
    let s = Schedule::parse("*/15 2 * * *", "Europe/Rome").unwrap();
    let (from, to) = local_day("2026-03-29");
    assert_eq!(fmt(&s.fires_between(from, to)), vec!["2026-03-29T01:00Z"]);
    let (from, to) = local_day("2026-10-25");
    assert_eq!(
        fmt(&s.fires_between(from, to)),
        vec![
            "2026-10-25T00:00Z",
            "2026-10-25T00:15Z",
            "2026-10-25T00:30Z",
            "2026-10-25T00:45Z"
        ]
    );
}

#[test]
fn a_year_of_daily_fires_is_one_per_day() {
    let s = Schedule::parse("30 2 * * *", "Europe/Rome").unwrap();
    let fires = s.fires_between(utc("2025-12-31T23:00:00Z"), utc("2027-12-31T22:59:59Z"));
    assert_eq!(fires.len(), 365 + 365);
    let days: std::collections::BTreeSet<String> = fires
        .iter()
        .map(|t| t.with_timezone(&Rome).format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(days.len(), 730);
    // Business days and weekly schedules keep their local time across DST.
    let weekly = Schedule::parse("0 5 * * 1", "Europe/Rome").unwrap();
    for t in weekly.fires_between(utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z")) {
        assert_eq!(t.with_timezone(&Rome).format("%a %H:%M").to_string(), "Mon 05:00");
    }
}

/// croner's own zoned search (not used by metrodati), on the same days: it
/// agrees for the fixed-time job but fires an hourly job twice in the
/// repeated hour, which is why fire times go through our own loop. If a
/// croner upgrade changes this, this test says so.
#[test]
fn croner_zoned_search_differs_from_our_rule_only_in_the_repeated_hour() {
    let daily = parse_cron("30 2 * * *").unwrap();
    let hourly = parse_cron("0 * * * *").unwrap();
    for (day, expected) in DST_DAYS {
        let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let start = Rome.from_utc_datetime(&d.pred_opt().unwrap().and_hms_opt(12, 0, 0).unwrap());
        let theirs = daily
            .find_next_occurrence(&start, false)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(theirs, utc(expected), "croner, daily, {day}");
        assert_eq!(
            next_fire(&daily, Rome, start.with_timezone(&Utc)),
            Some(utc(expected))
        );
    }
    // Hourly through the 2026 fall-back fold.
    let start = utc("2026-10-24T23:30:00Z");
    let mut t = start.with_timezone(&Rome);
    let mut theirs = vec![];
    for _ in 0..3 {
        t = hourly.find_next_occurrence(&t, false).unwrap();
        theirs.push(t.with_timezone(&Utc));
    }
    assert_eq!(
        fmt(&theirs),
        vec!["2026-10-25T00:00Z", "2026-10-25T01:00Z", "2026-10-25T02:00Z"],
        "croner fires 02:00 local at both occurrences"
    );
    let ours = fires_between(&hourly, Rome, start, utc("2026-10-25T02:00:00Z"));
    assert_eq!(fmt(&ours), vec!["2026-10-25T00:00Z", "2026-10-25T02:00Z"]);
}

// ----------------------------------------------------------------------
// through the scheduler, on a simulated clock
// ----------------------------------------------------------------------

fn scheduler_over(days: &[&str], expr: &str, step: Duration) -> (Catalog, Vec<DateTime<Utc>>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    let (first_from, _) = local_day(days[0]);
    let clock = Arc::new(SimClock::new(first_from - Duration::hours(1)));
    let exec = FakeExecutor::new(clock.clone());
    let mut job = JobPlan::new("nightly", Some(Schedule::parse(expr, "Europe/Rome").unwrap()));
    // The clock jumps months between the days: no catch-up of those.
    job.catch_up.policy = CatchUpPolicy::Skip;
    let mut sched = Scheduler::new(
        vec![job],
        Catalog::open(&path).unwrap(),
        clock.clone(),
        exec.clone(),
        SchedulerOptions::new("test"),
    );
    let mut starts = vec![];
    for day in days {
        let (from, to) = local_day(day);
        clock.set(from - Duration::minutes(30));
        sched.tick().unwrap();
        drive(&mut sched, &clock, to + Duration::minutes(1), step);
        starts.extend(
            exec.starts_of("nightly")
                .into_iter()
                .filter(|t| *t > from && *t <= to),
        );
    }
    drop(sched);
    let cat = Catalog::open(&path).unwrap();
    std::mem::forget(dir); // keep the file while `cat` is open
    (cat, starts)
}

#[test]
fn scheduler_runs_the_0230_job_once_per_dst_day_at_the_right_instant() {
    let days: Vec<&str> = DST_DAYS.iter().map(|(d, _)| *d).collect();
    // Driven from wake-up to wake-up, and also ticking every minute (a busy
    // daemon): the same runs either way.
    for step in [Duration::hours(6), Duration::minutes(1)] {
        let (cat, starts) = scheduler_over(&days, "30 2 * * *", step);
        let expected: Vec<DateTime<Utc>> = DST_DAYS.iter().map(|(_, t)| utc(t)).collect();
        assert_eq!(fmt(&starts), fmt(&expected), "step {step}");
        let mut runs = cat.runs(&RunFilter::default()).unwrap();
        runs.reverse();
        assert_eq!(runs.len(), 4);
        for (r, t) in runs.iter().zip(&expected) {
            assert_eq!(r.trigger, Trigger::Scheduled);
            assert_eq!(r.status, RunStatus::Succeeded);
            assert_eq!(r.attempt, 1);
            assert_eq!(r.period.as_deref().map(utc), Some(*t));
            assert_eq!(utc(&r.started_at), *t, "started at the fire time");
        }
    }
}

#[test]
fn scheduler_runs_the_hourly_job_once_per_fire_on_dst_days() {
    let days = ["2026-03-29", "2026-10-25"];
    let (cat, starts) = scheduler_over(&days, "0 * * * *", Duration::minutes(7));
    let expected: Vec<DateTime<Utc>> = days
        .iter()
        .flat_map(|d| {
            let (from, to) = local_day(d);
            Schedule::parse("0 * * * *", "Europe/Rome")
                .unwrap()
                .fires_between(from, to)
        })
        .collect();
    assert_eq!(expected.len(), 23 + 24);
    assert_eq!(fmt(&starts), fmt(&expected));
    let periods: Vec<String> = cat
        .runs(&RunFilter::default())
        .unwrap()
        .into_iter()
        .filter_map(|r| r.period)
        .collect();
    let unique: std::collections::BTreeSet<&String> = periods.iter().collect();
    assert_eq!(unique.len(), periods.len(), "a fire ran twice");
}
