//! Downtime and restarts on a simulated clock: each catch-up policy, a
//! restart that must neither lose nor repeat a fire, a restart in the middle
//! of a run, and a graceful shutdown.
//!
//! The job fires daily at 02:30 Europe/Rome (01:30 UTC in January).

mod schedule_common;

use metrodati_catalog::RunStatus;
use metrodati_pipelines::schedule::testing::{drive, Behaviour};
use metrodati_pipelines::schedule::{
    run_daemon, CatchUp, CatchUpPolicy, Clock, DaemonOptions, Event, JobPlan, SchedulerOptions,
};
use schedule_common::*;
use std::sync::atomic::{AtomicBool, Ordering};

fn nightly(policy: CatchUpPolicy, window_hours: Option<u64>, max_runs: u32) -> JobPlan {
    let mut j = job("nightly", "30 2 * * *");
    j.catch_up = CatchUp {
        policy,
        window: window_hours.map(|h| std::time::Duration::from_secs(h * 3600)),
        max_runs,
    };
    j
}

/// Runs on Jan 5 (fires 01:30Z), "goes down" at 12:00, comes back on Jan 9
/// at 12:00 (missed: Jan 6, 7, 8, 9) and runs until Jan 10 at 12:00.
fn downtime(plan: JobPlan) -> (Harness, Vec<Event>) {
    let h = Harness::new("2026-01-05T00:00:00Z");
    {
        let mut a = h.scheduler(vec![plan.clone()], "a");
        drive(&mut a, &h.clock, utc("2026-01-05T12:00:00Z"), mins(60));
    } // down
    h.set("2026-01-09T12:00:00Z");
    let mut b = h.scheduler(vec![plan], "b");
    let events = drive(&mut b, &h.clock, utc("2026-01-10T12:00:00Z"), mins(60));
    (h, events)
}

#[test]
fn catch_up_skip_runs_none_of_the_missed_fires() {
    let (h, events) = downtime(nightly(CatchUpPolicy::Skip, None, 10));
    assert_eq!(
        summary(&h.runs("nightly")),
        vec![
            row("01-05T01:30", 1, "scheduled", "succeeded"),
            row("01-10T01:30", 1, "scheduled", "succeeded"),
        ]
    );
    assert!(events.contains(&Event::Missed {
        job: "nightly".into(),
        missed: 4,
        queued: 0
    }));
}

#[test]
fn catch_up_once_runs_the_latest_missed_fire_within_the_window() {
    let (h, _) = downtime(nightly(CatchUpPolicy::Once, Some(24), 10));
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![
            row("01-05T01:30", 1, "scheduled", "succeeded"),
            row("01-09T01:30", 1, "catch-up", "succeeded"),
            row("01-10T01:30", 1, "scheduled", "succeeded"),
        ]
    );
    // Run as soon as the scheduler was back.
    assert_eq!(utc(&runs[1].started_at), utc("2026-01-09T12:00:00Z"));

    // The latest missed fire (10.5 h old) is outside a 6 h window: none.
    let (h, _) = downtime(nightly(CatchUpPolicy::Once, Some(6), 10));
    assert_eq!(
        summary(&h.runs("nightly")),
        vec![
            row("01-05T01:30", 1, "scheduled", "succeeded"),
            row("01-10T01:30", 1, "scheduled", "succeeded"),
        ]
    );
}

#[test]
fn catch_up_all_runs_every_missed_fire_in_the_window_oldest_first_capped() {
    // Window 3 days back from Jan 9 12:00: the fires of Jan 7, 8 and 9.
    let (h, events) = downtime(nightly(CatchUpPolicy::All, Some(72), 10));
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![
            row("01-05T01:30", 1, "scheduled", "succeeded"),
            row("01-07T01:30", 1, "catch-up", "succeeded"),
            row("01-08T01:30", 1, "catch-up", "succeeded"),
            row("01-09T01:30", 1, "catch-up", "succeeded"),
            row("01-10T01:30", 1, "scheduled", "succeeded"),
        ]
    );
    // Only fires within the window are considered (and counted as missed).
    assert!(events.contains(&Event::Missed {
        job: "nightly".into(),
        missed: 3,
        queued: 3
    }));

    // No window, at most 2: the two most recent, oldest first.
    let (h, _) = downtime(nightly(CatchUpPolicy::All, None, 2));
    assert_eq!(
        summary(&h.runs("nightly"))[1..3].to_vec(),
        vec![
            row("01-08T01:30", 1, "catch-up", "succeeded"),
            row("01-09T01:30", 1, "catch-up", "succeeded"),
        ]
    );
    assert_eq!(h.runs("nightly").len(), 4);
}

#[test]
fn catch_up_runs_one_at_a_time_in_period_order() {
    let h = Harness::new("2026-01-05T00:00:00Z");
    let plan = nightly(CatchUpPolicy::All, None, 10);
    h.exec.set_default("nightly", Behaviour::Succeed(std_mins(30)));
    {
        let mut a = h.scheduler(vec![plan.clone()], "a");
        a.tick().unwrap(); // first sight: cursor set
    }
    h.set("2026-01-08T12:00:00Z");
    let mut b = h.scheduler(vec![plan], "b");
    drive(&mut b, &h.clock, utc("2026-01-08T15:00:00Z"), mins(60));
    let starts: Vec<String> = h
        .exec
        .starts_of("nightly")
        .iter()
        .map(|t| t.format("%H:%M").to_string())
        .collect();
    // Missed: Jan 5 (after the cursor set at 00:00), 6, 7 and 8.
    assert_eq!(starts, vec!["12:00", "12:30", "13:00", "13:30"]);
    assert_eq!(h.exec.max_concurrent("nightly"), 1);
}

#[test]
fn restarts_neither_lose_nor_repeat_a_fire() {
    let h = Harness::new("2026-01-05T00:00:00Z");
    let plan = nightly(CatchUpPolicy::All, None, 10);
    // Up until 01:00, down, up again at 01:20 (before the fire), restarted
    // again at 02:00 and at 03:00 (after it), then on until the next day.
    let mut restarts = vec![
        "2026-01-05T01:00:00Z",
        "2026-01-05T01:20:00Z",
        "2026-01-05T02:00:00Z",
    ];
    restarts.push("2026-01-05T03:00:00Z");
    let mut owner = 0;
    for until in restarts {
        owner += 1;
        let mut s = h.scheduler(vec![plan.clone()], &format!("s{owner}"));
        drive(&mut s, &h.clock, utc(until), mins(10));
    }
    let mut s = h.scheduler(vec![plan], "last");
    drive(&mut s, &h.clock, utc("2026-01-06T12:00:00Z"), mins(10));
    assert_eq!(
        summary(&h.runs("nightly")),
        vec![
            row("01-05T01:30", 1, "scheduled", "succeeded"),
            row("01-06T01:30", 1, "scheduled", "succeeded"),
        ]
    );
}

#[test]
fn restart_mid_run_closes_the_interrupted_attempt_and_reruns_the_same_fire() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let plan = nightly(CatchUpPolicy::Skip, None, 10);
    h.exec.script("nightly", [Behaviour::Succeed(std_mins(120))]);
    {
        let mut a = h.scheduler(vec![plan.clone()], "a");
        drive(&mut a, &h.clock, utc("2026-01-05T02:00:00Z"), mins(5));
        assert_eq!(a.active_jobs(), vec!["nightly".to_string()]);
        // Crash: no release, the attempt's run stays `running` in the catalog.
    }
    assert_eq!(h.runs("nightly")[0].status, RunStatus::Running);
    let lease = h.catalog().lease("nightly").unwrap().unwrap();
    assert_eq!(lease.owner, "a");

    // Restarted at once: the old lease has not expired yet, nothing starts.
    let mut b = h.scheduler(vec![plan], "b");
    b.tick().unwrap();
    assert!(b.active_jobs().is_empty());
    // Once it expires the new scheduler takes the job over.
    let events = drive(&mut b, &h.clock, utc("2026-01-06T12:00:00Z"), mins(1));
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Interrupted { job, .. } if job == "nightly")));
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![
            row("01-05T01:30", 1, "scheduled", "failed"),
            row("01-05T01:30", 2, "scheduled", "succeeded"),
            row("01-06T01:30", 1, "scheduled", "succeeded"),
        ]
    );
    assert!(runs[0].error.as_deref().unwrap().starts_with("interrupted"));
    // Taken over within a minute of the lease's expiry.
    let taken = utc(&runs[1].started_at);
    assert!(
        taken >= lease.expires_at && taken <= lease.expires_at + mins(1),
        "{taken}"
    );
    assert!(h.catalog().queued_fires(None).unwrap().is_empty());
}

#[test]
fn a_fire_interrupted_too_often_is_given_up_not_looped() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    let plan = nightly(CatchUpPolicy::Skip, None, 10);
    h.exec.set_default("nightly", Behaviour::Hang);
    let max = SchedulerOptions::new("x").max_interruptions;
    let mut t = utc("2026-01-05T01:31:00Z");
    for i in 0..=max + 1 {
        let mut s = h.scheduler(vec![plan.clone()], &format!("crash{i}"));
        drive(&mut s, &h.clock, t, mins(1));
        t += mins(5); // each "crashes" with the attempt hanging
    }
    let runs = h.runs("nightly");
    assert_eq!(runs.len() as u32, max + 1);
    assert!(runs.iter().all(|r| r.status == RunStatus::Failed));
    assert!(h.catalog().queued_fires(None).unwrap().is_empty());
}

fn daemon_until_stopped(h: &Harness, plan: JobPlan, stop_at: &str, grace_min: u64) -> Vec<Event> {
    let mut s = h.scheduler(vec![plan], "daemon");
    let flag = AtomicBool::new(false);
    let stop_at = utc(stop_at);
    let clock = h.clock.clone();
    let opts = DaemonOptions {
        grace: std_mins(grace_min),
        hard_stop: std_mins(10),
        poll: std_mins(24 * 60),
        once: false,
    };
    let summary = run_daemon(&mut s, h.clock.as_ref(), &flag, &opts, &mut |d| {
        clock.advance(chrono::Duration::from_std(d).unwrap());
        if clock.now() >= stop_at {
            flag.store(true, Ordering::SeqCst);
        }
    })
    .unwrap();
    assert!(summary.shutdown);
    assert!(summary.abandoned.is_empty());
    summary.events
}

#[test]
fn shutdown_lets_a_job_finish_within_the_grace_period() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    h.exec.script("nightly", [Behaviour::Succeed(std_mins(20))]);
    daemon_until_stopped(
        &h,
        nightly(CatchUpPolicy::Skip, None, 10),
        "2026-01-05T01:40:00Z",
        30,
    );
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![row("01-05T01:30", 1, "scheduled", "succeeded")]
    );
    assert_eq!(
        utc(runs[0].ended_at.as_deref().unwrap()),
        utc("2026-01-05T01:50:00Z")
    );
    assert!(h.catalog().lease("nightly").unwrap().is_none(), "lease released");
}

#[test]
fn shutdown_cancels_a_job_still_running_after_the_grace_period_and_keeps_the_fire() {
    let h = Harness::new("2026-01-05T01:00:00Z");
    h.exec.script("nightly", [Behaviour::Hang]);
    let plan = nightly(CatchUpPolicy::Skip, None, 10);
    daemon_until_stopped(&h, plan.clone(), "2026-01-05T01:40:00Z", 5);
    let runs = h.runs("nightly");
    assert_eq!(
        summary(&runs),
        vec![row("01-05T01:30", 1, "scheduled", "cancelled")]
    );
    // Stopped at the end of the grace period (01:40 + 5 min).
    assert_eq!(
        utc(runs[0].ended_at.as_deref().unwrap()),
        utc("2026-01-05T01:45:00Z")
    );
    assert!(runs[0].error.as_deref().unwrap().contains("shutting down"));
    assert!(h.catalog().lease("nightly").unwrap().is_none(), "lease released");
    // The fire is still queued: the next start runs it (attempt 2).
    let queued = h.catalog().queued_fires(Some("nightly")).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].attempt, 2);
    h.set("2026-01-05T02:00:00Z");
    let mut s = h.scheduler(vec![plan], "next");
    drive(&mut s, &h.clock, utc("2026-01-05T03:00:00Z"), mins(10));
    assert_eq!(
        summary(&h.runs("nightly")),
        vec![
            row("01-05T01:30", 1, "scheduled", "cancelled"),
            row("01-05T01:30", 2, "scheduled", "succeeded"),
        ]
    );
}
