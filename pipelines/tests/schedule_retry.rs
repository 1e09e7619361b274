//! Retries with exponential backoff, timeouts, dependencies and the
//! concurrency policies, on a simulated clock.
//!
//! Jobs fire at 02:30 Europe/Rome = 01:30 UTC (January).

mod schedule_common;

use metrodati_catalog::RunStatus;
use metrodati_pipelines::schedule::testing::{drive, Behaviour};
use metrodati_pipelines::schedule::{CatchUpPolicy, Concurrency, Event, RetryPolicy};
use schedule_common::*;

fn fail(min: u64) -> Behaviour {
    Behaviour::Fail(std_mins(min), "export not found".into())
}

fn hhmm(ts: &str) -> String {
    utc(ts).format("%H:%M").to_string()
}

#[test]
fn failed_attempts_are_retried_with_exponential_backoff_up_to_the_cap() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let mut j = job("nightly", "30 2 * * *");
    j.retries = RetryPolicy {
        max: 3,
        initial: std_mins(10),
        multiplier: 2.0,
        cap: std_mins(15),
    };
    h.exec.script(
        "nightly",
        [fail(1), fail(1), fail(1), Behaviour::Succeed(std_mins(1))],
    );
    let mut s = h.scheduler(vec![j], "s");
    let events = drive(&mut s, &h.clock, utc("2026-01-05T04:00:00Z"), mins(60));
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![
            row("01-05T01:30", 1, "scheduled", "failed"),
            row("01-05T01:30", 2, "scheduled", "failed"),
            row("01-05T01:30", 3, "scheduled", "failed"),
            row("01-05T01:30", 4, "scheduled", "succeeded"),
        ]
    );
    // Attempt n+1 starts initial * 2^(n-1) after attempt n failed, at most 15 min:
    // 01:31 + 10 = 01:41; 01:42 + 20→15 = 01:57; 01:58 + 40→15 = 02:13.
    let starts: Vec<String> = runs.iter().map(|r| hhmm(&r.started_at)).collect();
    assert_eq!(starts, vec!["01:30", "01:41", "01:57", "02:13"]);
    for r in &runs {
        assert_eq!(r.duration_ms, Some(60_000));
    }
    assert_eq!(runs[0].error.as_deref(), Some("export not found"));
    let retry_ats: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Finished {
                retry_at: Some(t), ..
            } => Some(t.format("%H:%M").to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(retry_ats, vec!["01:41", "01:57", "02:13"]);
}

#[test]
fn retries_stop_at_max_and_the_fire_is_recorded_failed() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let mut j = job("nightly", "30 2 * * *");
    j.retries = RetryPolicy {
        max: 2,
        initial: std_mins(5),
        multiplier: 3.0,
        cap: std_mins(60),
    };
    h.exec.set_default("nightly", fail(2));
    let mut s = h.scheduler(vec![j], "s");
    drive(&mut s, &h.clock, utc("2026-01-05T06:00:00Z"), mins(60));
    let runs = h.runs("nightly");
    let starts: Vec<String> = runs.iter().map(|r| hhmm(&r.started_at)).collect();
    // 01:30 fails 01:32, +5 → 01:37 fails 01:39, +15 → 01:54 fails: no more.
    assert_eq!(starts, vec!["01:30", "01:37", "01:54"]);
    assert!(runs.iter().all(|r| r.status == RunStatus::Failed));
    assert!(h.catalog().queued_fires(None).unwrap().is_empty());
}

#[test]
fn an_attempt_exceeding_its_timeout_is_cancelled_and_recorded_failed_with_reason_timeout() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let mut j = job("nightly", "30 2 * * *");
    j.timeout = Some(std_mins(30));
    j.retries = RetryPolicy {
        max: 1,
        initial: std_mins(10),
        multiplier: 2.0,
        cap: std_mins(60),
    };
    h.exec
        .script("nightly", [Behaviour::Hang, Behaviour::Succeed(std_mins(20))]);
    let mut s = h.scheduler(vec![j], "s");
    drive(&mut s, &h.clock, utc("2026-01-05T04:00:00Z"), mins(60));
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![
            row("01-05T01:30", 1, "scheduled", "failed"),
            row("01-05T01:30", 2, "scheduled", "succeeded"),
        ]
    );
    assert!(
        runs[0].error.as_deref().unwrap().starts_with("timeout"),
        "{:?}",
        runs[0].error
    );
    assert_eq!(runs[0].duration_ms, Some(30 * 60_000), "stopped at the timeout");
    assert_eq!(hhmm(&runs[1].started_at), "02:10"); // 02:00 + 10 min backoff
    assert_eq!(h.exec.running("nightly"), 0);
}

#[test]
fn a_failed_dependency_skips_its_dependents_with_the_reason_recorded() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let jobs = vec![
        job("extract", "30 2 * * *"),
        dependent("load", &["extract"]),
        dependent("report", &["load"]),
    ];
    h.exec
        .script("extract", [fail(5), Behaviour::Succeed(std_mins(5))]);
    h.exec.set_default("load", Behaviour::Succeed(std_mins(10)));
    let mut s = h.scheduler(jobs, "s");
    drive(&mut s, &h.clock, utc("2026-01-06T12:00:00Z"), mins(60));

    assert_eq!(
        summary(&h.runs("extract")),
        vec![
            row("01-05T01:30", 1, "scheduled", "failed"),
            row("01-06T01:30", 1, "scheduled", "succeeded"),
        ]
    );
    let load = h.runs("load");
    assert_eq!(
        summary(&load),
        vec![
            row("01-05T01:30", 1, "dependency", "skipped"),
            row("01-06T01:30", 1, "dependency", "succeeded"),
        ]
    );
    let reason = load[0].error.as_deref().unwrap();
    assert!(
        reason.contains("dependency `extract`") && reason.contains("failed"),
        "{reason}"
    );
    let report = h.runs("report");
    assert_eq!(
        summary(&report),
        vec![
            row("01-05T01:30", 1, "dependency", "skipped"),
            row("01-06T01:30", 1, "dependency", "succeeded"),
        ]
    );
    assert!(report[0].error.as_deref().unwrap().contains("dependency `load`"));
    // Day 2: load starts when extract ends (01:35), report when load ends (01:45).
    assert_eq!(hhmm(&load[1].started_at), "01:35");
    assert_eq!(hhmm(&report[1].started_at), "01:45");
}

#[test]
fn a_partial_dependency_skips_its_dependents_unless_they_run_after_partial() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let mut extract = job("extract", "30 2 * * *");
    extract.retries.max = 0;
    let strict = dependent("strict", &["extract"]);
    let mut lenient = dependent("lenient", &["extract"]);
    lenient.run_after_partial = true;
    h.exec.script("extract", [Behaviour::Partial(std_mins(5))]);
    let mut s = h.scheduler(vec![extract, strict, lenient], "s");
    drive(&mut s, &h.clock, utc("2026-01-05T03:00:00Z"), mins(60));
    assert_eq!(
        summary(&h.runs("extract")),
        vec![row("01-05T01:30", 1, "scheduled", "partially_succeeded")]
    );
    assert_eq!(
        summary(&h.runs("strict")),
        vec![row("01-05T01:30", 1, "dependency", "skipped")]
    );
    assert_eq!(
        summary(&h.runs("lenient")),
        vec![row("01-05T01:30", 1, "dependency", "succeeded")]
    );
}

#[test]
fn a_job_with_two_dependencies_runs_after_both_succeed_for_the_same_fire() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let jobs = vec![
        job("a", "30 2 * * *"),
        job("b", "30 2 * * *"),
        dependent("c", &["a", "b"]),
    ];
    h.exec.set_default("a", Behaviour::Succeed(std_mins(5)));
    h.exec.set_default("b", Behaviour::Succeed(std_mins(20)));
    let mut s = h.scheduler(jobs, "s");
    drive(&mut s, &h.clock, utc("2026-01-05T03:00:00Z"), mins(60));
    let c = h.runs("c");
    assert_eq!(
        summary(&c),
        vec![row("01-05T01:30", 1, "dependency", "succeeded")]
    );
    assert_eq!(hhmm(&c[0].started_at), "01:50");
}

#[test]
fn a_dependency_retried_successfully_still_triggers_its_dependent() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let mut a = job("a", "30 2 * * *");
    a.retries.max = 1;
    a.retries.initial = std_mins(5);
    h.exec.script("a", [fail(1)]);
    let mut s = h.scheduler(vec![a, dependent("b", &["a"])], "s");
    drive(&mut s, &h.clock, utc("2026-01-05T03:00:00Z"), mins(60));
    let b = h.runs("b");
    assert_eq!(
        summary(&b),
        vec![row("01-05T01:30", 1, "dependency", "succeeded")]
    );
    assert_eq!(hhmm(&b[0].started_at), "01:36"); // after attempt 2 of a (01:36)
}

#[test]
fn concurrency_queue_runs_triggers_one_after_the_other() {
    let h = Harness::new("2026-01-05T00:00:00Z");
    let mut j = job("often", "*/10 * * * *");
    j.catch_up.policy = CatchUpPolicy::Skip;
    h.exec.set_default("often", Behaviour::Succeed(std_mins(25)));
    let mut s = h.scheduler(vec![j], "s");
    drive(&mut s, &h.clock, utc("2026-01-05T00:55:00Z"), mins(60));
    let runs = h.runs("often");
    let got: Vec<(String, String)> = runs
        .iter()
        .map(|r| (hhmm(r.period.as_deref().unwrap()), hhmm(&r.started_at)))
        .collect();
    // The first fire (00:00) is on time; each run takes 25 minutes.
    let want: Vec<(String, String)> = [("00:00", "00:00"), ("00:10", "00:25"), ("00:20", "00:50")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(h.exec.max_concurrent("often"), 1);
    // 00:20 is running, 00:30 to 00:50 wait behind it.
    let queued: Vec<String> = h
        .catalog()
        .queued_fires(Some("often"))
        .unwrap()
        .iter()
        .map(|f| f.period.format("%H:%M").to_string())
        .collect();
    assert_eq!(queued, vec!["00:20", "00:30", "00:40", "00:50"]);
}

#[test]
fn concurrency_drop_records_triggers_arriving_while_busy_as_skipped() {
    let h = Harness::new("2026-01-05T00:00:00Z");
    let mut j = job("often", "*/10 * * * *");
    j.catch_up.policy = CatchUpPolicy::Skip;
    j.concurrency = Concurrency::Drop;
    h.exec.set_default("often", Behaviour::Succeed(std_mins(25)));
    let mut s = h.scheduler(vec![j], "s");
    drive(&mut s, &h.clock, utc("2026-01-05T00:55:00Z"), mins(60));
    let runs = h.runs("often");
    let got: Vec<(String, String)> = runs
        .iter()
        .map(|r| (hhmm(r.period.as_deref().unwrap()), r.status.to_string()))
        .collect();
    // 00:00 runs until 00:25, 00:30 until 00:55: the others arrive while busy.
    let want: Vec<(String, String)> = [
        ("00:00", "succeeded"),
        ("00:10", "skipped"),
        ("00:20", "skipped"),
        ("00:30", "succeeded"),
        ("00:40", "skipped"),
        ("00:50", "skipped"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    assert!(runs[1].error.as_deref().unwrap().starts_with("dropped"));
    assert_eq!(h.exec.max_concurrent("often"), 1);
}
