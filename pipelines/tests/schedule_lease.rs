//! Two schedulers on one catalog file, each on its own thread and its own
//! SQLite connection, ticking at the same simulated instants: every fire
//! runs exactly once and a job never runs twice at the same time.

mod schedule_common;

use metrodati_catalog::RunStatus;
use metrodati_pipelines::schedule::testing::Behaviour;
use metrodati_pipelines::schedule::{Clock, Event, JobPlan, Schedule, SchedulerOptions};
use schedule_common::*;
use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

#[test]
fn two_schedulers_competing_run_each_fire_once_and_never_concurrently() {
    let h = Harness::new("2026-01-05T00:00:00Z");
    let jobs: Vec<JobPlan> = vec![
        job("a", "*/5 * * * *"),
        job("b", "*/5 * * * *"),
        job("c", "*/15 * * * *"),
    ];
    // Runs take 3 minutes; c sometimes fails once and is retried.
    for j in ["a", "b"] {
        h.exec.set_default(j, Behaviour::Succeed(std_mins(3)));
    }
    h.exec.set_default("c", Behaviour::Succeed(std_mins(7)));
    h.exec.script("c", [Behaviour::Fail(std_mins(1), "boom".into())]);
    let jobs: Vec<JobPlan> = jobs
        .into_iter()
        .map(|mut j| {
            j.retries.max = 1;
            j.retries.initial = std_mins(2);
            j
        })
        .collect();

    let steps = 6 * 60; // six hours, one tick a minute
    let barrier = Arc::new(Barrier::new(3));
    let mut threads = vec![];
    for owner in ["north", "south"] {
        // Ticks are a minute apart here: the lease must outlive a tick
        // comfortably (the daemon ticks at least every second).
        let mut opts = SchedulerOptions::new(owner);
        opts.lease_ttl = std_mins(5);
        let mut s = h.scheduler_with(jobs.clone(), opts);
        let barrier = barrier.clone();
        threads.push(std::thread::spawn(move || {
            let mut started = 0;
            for _ in 0..steps {
                barrier.wait(); // clock set
                let r = s.tick().expect("tick");
                started += r
                    .events
                    .iter()
                    .filter(|e| matches!(e, Event::Started { .. }))
                    .count();
                barrier.wait(); // both ticked
            }
            started
        }));
    }
    for _ in 0..steps {
        barrier.wait();
        barrier.wait();
        h.clock.advance(mins(1));
    }
    let started: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(started.iter().sum::<usize>() > 0);

    let end = h.clock.now() - mins(1);
    for (name, expr) in [("a", "*/5 * * * *"), ("b", "*/5 * * * *"), ("c", "*/15 * * * *")] {
        assert_eq!(h.exec.max_concurrent(name), 1, "{name} ran twice at once");
        let runs = h.runs(name);
        // One success per fire, every fire (all finished by the end but the last few).
        let ok: Vec<String> = runs
            .iter()
            .filter(|r| r.status == RunStatus::Succeeded)
            .map(|r| r.period.clone().unwrap())
            .collect();
        let unique: BTreeSet<&String> = ok.iter().collect();
        assert_eq!(unique.len(), ok.len(), "{name}: a fire succeeded twice");
        let fires = Schedule::parse(expr, "Europe/Rome")
            .unwrap()
            .fires_between(utc("2026-01-04T23:59:00Z"), end - mins(30));
        for f in fires {
            let p = f.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            assert!(unique.contains(&p), "{name}: fire {p} did not run");
        }
        // Attempts of one fire never overlap and count up.
        let mut by_period: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
        for r in &runs {
            by_period
                .entry(r.period.clone().unwrap())
                .or_default()
                .push(r.attempt);
        }
        for (p, attempts) in by_period {
            let want: Vec<u32> = (1..=attempts.len() as u32).collect();
            assert_eq!(attempts, want, "{name} {p}");
        }
    }
    // c's first fire failed once and was retried (by whichever scheduler).
    let c = h.runs("c");
    assert_eq!(c[0].status, RunStatus::Failed);
    assert_eq!((c[1].period.clone(), c[1].attempt), (c[0].period.clone(), 2));
}

#[test]
fn a_second_scheduler_waits_for_the_lease_and_does_not_duplicate_a_running_job() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let j = job("nightly", "30 2 * * *");
    h.exec.set_default("nightly", Behaviour::Succeed(std_mins(90)));
    let mut a = h.scheduler(vec![j.clone()], "a");
    let mut b = h.scheduler(vec![j], "b");
    // Tick both every minute for four hours; `a` ticks first each time.
    for _ in 0..240 {
        a.tick().unwrap();
        b.tick().unwrap();
        h.clock.advance(mins(1));
    }
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![row("01-05T01:30", 1, "scheduled", "succeeded")]
    );
    assert_eq!(h.exec.max_concurrent("nightly"), 1);
    assert!(b.active_jobs().is_empty());
    assert!(h.catalog().lease("nightly").unwrap().is_none());
}

#[test]
fn a_stalled_scheduler_loses_its_lease_and_stops_its_attempt_when_it_wakes_up() {
    let h = Harness::new("2026-01-05T01:29:00Z");
    let j = job("nightly", "30 2 * * *");
    h.exec.set_default("nightly", Behaviour::Succeed(std_mins(30)));
    let mut a = h.scheduler(vec![j.clone()], "a");
    let mut b = h.scheduler(vec![j], "b");
    h.set("2026-01-05T01:30:00Z");
    a.tick().unwrap();
    b.tick().unwrap();
    assert_eq!(a.active_jobs(), vec!["nightly".to_string()]);
    assert!(b.active_jobs().is_empty());

    // `a` stalls for five minutes (no ticks, no renewals): `b` takes over.
    h.set("2026-01-05T01:35:00Z");
    let events = b.tick().unwrap().events;
    assert!(events.iter().any(|e| matches!(e, Event::Interrupted { .. })));
    assert_eq!(b.active_jobs(), vec!["nightly".to_string()]);

    // `a` wakes up: its renewal fails, it stops its attempt at once and
    // leaves the fire to `b`.
    h.set("2026-01-05T01:35:01Z");
    a.tick().unwrap();
    assert!(a.active_jobs().is_empty());
    assert_eq!(h.exec.running("nightly"), 1);
    // Both tick every 10 s from now on (well within the 60 s lease).
    for _ in 0..240 {
        h.clock.advance(chrono::Duration::seconds(10));
        a.tick().unwrap();
        b.tick().unwrap();
    }
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![
            row("01-05T01:30", 1, "scheduled", "failed"),
            row("01-05T01:30", 2, "scheduled", "succeeded"),
        ]
    );
    assert!(runs[0].error.as_deref().unwrap().starts_with("interrupted"));
    assert_eq!(utc(&runs[1].started_at), utc("2026-01-05T01:35:00Z"));
    assert!(h.catalog().queued_fires(None).unwrap().is_empty());
}

#[test]
fn schedulers_can_split_the_jobs_and_dependents_cross_over() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let jobs = vec![
        job("x", "30 2 * * *"),
        job("y", "45 2 * * *"),
        dependent("z", &["x"]),
    ];
    h.exec.set_default("x", Behaviour::Succeed(std_mins(5)));
    let mut o1 = SchedulerOptions::new("one");
    o1.only_jobs = Some(vec!["x".into()]);
    let mut o2 = SchedulerOptions::new("two");
    o2.only_jobs = Some(vec!["y".into(), "z".into()]);
    let mut one = h.scheduler_with(jobs.clone(), o1);
    let mut two = h.scheduler_with(jobs, o2);
    for _ in 0..(3 * 60 * 6) {
        one.tick().unwrap();
        two.tick().unwrap();
        h.clock.advance(chrono::Duration::seconds(10));
    }
    for (j, period, start) in [
        ("x", "01-05T01:30", "01:30"),
        ("y", "01-05T01:45", "01:45"),
        ("z", "01-05T01:30", "01:35"),
    ] {
        let runs = h.runs(j);
        assert_eq!(summary(&runs).len(), 1, "{j}");
        assert_eq!(summary(&runs)[0].0, period, "{j}");
        assert_eq!(utc(&runs[0].started_at).format("%H:%M").to_string(), start, "{j}");
    }
    // Each scheduler moved only its own jobs' cursors.
    let cat = h.catalog();
    assert!(cat.schedule_cursor("x").unwrap().is_some());
    assert!(cat.schedule_cursor("y").unwrap().is_some());
    let started_by: Vec<(String, String)> = h
        .exec
        .started()
        .iter()
        .map(|(_, s)| (s.job.clone(), s.trigger.to_string()))
        .collect();
    assert_eq!(
        started_by,
        vec![
            ("x".to_string(), "scheduled".to_string()),
            ("z".to_string(), "dependency".to_string()),
            ("y".to_string(), "scheduled".to_string()),
        ]
    );
}
