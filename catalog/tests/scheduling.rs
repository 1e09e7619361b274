//! Migration 2: runs with attempt and period, job leases, the fire cursor
//! and the queue of fires.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrodati_catalog::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn new_run(job: &str, attempt: u32, period: Option<&str>, at: &str) -> NewRun {
    NewRun {
        job: job.into(),
        pipeline: "anagrafe".into(),
        trigger: Trigger::Scheduled,
        attempt,
        period: period.map(utc),
        params_json: "{\"comuni\":[]}".into(),
        started_at: Some(utc(at)),
    }
}

#[test]
fn schema_version_two_has_the_scheduler_tables() {
    let cat = Catalog::open_in_memory().unwrap();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!((MIGRATIONS[1].version, MIGRATIONS[1].name), (2, "scheduler"));
    // Migration 1 databases gain the new column and tables on open.
    assert!(cat.lease("any").unwrap().is_none());
    assert!(cat.queued_fires(None).unwrap().is_empty());
    assert_eq!(cat.schedule_cursor("any").unwrap(), None);
}

#[test]
fn runs_record_attempt_period_and_simulated_times() {
    let cat = Catalog::open_in_memory().unwrap();
    let r1 = cat
        .start_run_with(&new_run(
            "j",
            1,
            Some("2026-03-29T01:00:00Z"),
            "2026-03-29T01:00:00Z",
        ))
        .unwrap();
    cat.finish_run_at(r1, RunStatus::Failed, Some("boom"), utc("2026-03-29T01:02:30Z"))
        .unwrap();
    let r2 = cat
        .start_run_with(&new_run(
            "j",
            2,
            Some("2026-03-29T01:00:00Z"),
            "2026-03-29T01:12:30Z",
        ))
        .unwrap();
    assert!(cat
        .finish_run_if_running(r2, RunStatus::Succeeded, None, utc("2026-03-29T01:13:00Z"))
        .unwrap());
    assert!(!cat
        .finish_run_if_running(r2, RunStatus::Failed, None, utc("2026-03-29T01:14:00Z"))
        .unwrap());
    let runs = cat.runs_for_period("j", utc("2026-03-29T01:00:00Z")).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].attempt, runs[0].status), (1, RunStatus::Failed));
    assert_eq!(runs[0].duration_ms, Some(150_000));
    assert_eq!(runs[0].started_at, "2026-03-29T01:00:00.000Z");
    assert_eq!(runs[0].period.as_deref(), Some("2026-03-29T01:00:00.000Z"));
    assert_eq!((runs[1].attempt, runs[1].status), (2, RunStatus::Succeeded));
    // Manual runs have no period.
    let m = cat.start_run("j", "anagrafe", Trigger::Manual, "{}").unwrap();
    assert_eq!(cat.run(m).unwrap().unwrap().period, None);
    // A skipped run is closed at once with its reason.
    let s = cat
        .record_skipped_run(
            &new_run("k", 1, Some("2026-03-29T01:00:00Z"), "2026-03-29T01:05:00Z"),
            "dependency `j` failed",
        )
        .unwrap();
    let s = cat.run(s).unwrap().unwrap();
    assert_eq!(s.status, RunStatus::Skipped);
    assert_eq!(s.duration_ms, Some(0));
    assert_eq!(s.error.as_deref(), Some("dependency `j` failed"));
    // Attempt 0 is refused.
    assert!(cat
        .start_run_with(&new_run("j", 0, None, "2026-03-29T01:00:00Z"))
        .is_err());
}

#[test]
fn leases_are_exclusive_renewable_releasable_and_taken_over_after_expiry() {
    let cat = Catalog::open_in_memory().unwrap();
    let ttl = Duration::from_secs(60);
    let t0 = utc("2026-01-01T00:00:00Z");
    assert!(cat.try_acquire_lease("j", "a", t0, ttl).unwrap());
    assert!(!cat
        .try_acquire_lease("j", "b", t0 + chrono::Duration::seconds(30), ttl)
        .unwrap());
    // Re-acquiring one's own lease extends it and keeps acquired_at.
    assert!(cat
        .try_acquire_lease("j", "a", t0 + chrono::Duration::seconds(10), ttl)
        .unwrap());
    assert!(cat
        .renew_lease("j", "a", t0 + chrono::Duration::seconds(50), ttl)
        .unwrap());
    let l = cat.lease("j").unwrap().unwrap();
    assert_eq!(l.owner, "a");
    assert_eq!(l.acquired_at, t0);
    assert_eq!(l.expires_at, utc("2026-01-01T00:01:50Z"));
    assert!(!cat.renew_lease("j", "b", t0, ttl).unwrap());
    // Still valid at 01:49; expired at 01:50.
    assert!(!cat
        .try_acquire_lease("j", "b", utc("2026-01-01T00:01:49Z"), ttl)
        .unwrap());
    assert!(cat
        .try_acquire_lease("j", "b", utc("2026-01-01T00:01:50Z"), ttl)
        .unwrap());
    // The old owner can no longer renew or release it.
    assert!(!cat
        .renew_lease("j", "a", utc("2026-01-01T00:01:51Z"), ttl)
        .unwrap());
    assert!(!cat.release_lease("j", "a").unwrap());
    assert!(cat.release_lease("j", "b").unwrap());
    assert!(cat.lease("j").unwrap().is_none());
    // Leases are per job.
    assert!(cat.try_acquire_lease("j", "a", t0, ttl).unwrap());
    assert!(cat.try_acquire_lease("k", "b", t0, ttl).unwrap());
}

#[test]
fn of_many_connections_racing_for_a_lease_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    drop(Catalog::open(&path).unwrap());
    for round in 0..5 {
        let n = 8;
        let barrier = Arc::new(Barrier::new(n));
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let cat = Catalog::open(&path).unwrap();
                    barrier.wait();
                    cat.try_acquire_lease(
                        &format!("job{round}"),
                        &format!("owner{i}"),
                        Utc::now(),
                        Duration::from_secs(60),
                    )
                    .unwrap()
                })
            })
            .collect();
        let winners = handles
            .into_iter()
            .filter(|_| true)
            .map(|h| h.join().unwrap())
            .filter(|w| *w)
            .count();
        assert_eq!(winners, 1, "round {round}");
    }
}

#[test]
fn cursor_and_queue_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let now = utc("2026-01-05T12:00:00Z");
    {
        let cat = Catalog::open(&path).unwrap();
        assert_eq!(cat.schedule_cursor("j").unwrap(), None);
        cat.set_schedule_cursor("j", utc("2026-01-05T01:30:00Z"), now)
            .unwrap();
        let a = cat
            .enqueue_fire("j", utc("2026-01-05T01:30:00Z"), Trigger::CatchUp, now, now)
            .unwrap();
        assert!(a.is_some());
        // The same fire twice: ignored.
        assert_eq!(
            cat.enqueue_fire("j", utc("2026-01-05T01:30:00Z"), Trigger::Scheduled, now, now)
                .unwrap(),
            None
        );
        cat.enqueue_fire("j", utc("2026-01-04T01:30:00Z"), Trigger::CatchUp, now, now)
            .unwrap();
    }
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(
        cat.schedule_cursor("j").unwrap(),
        Some(utc("2026-01-05T01:30:00Z"))
    );
    let q = cat.queued_fires(Some("j")).unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].period, utc("2026-01-04T01:30:00Z"), "ordered by period");
    assert_eq!(
        (q[1].trigger, q[1].attempt, q[1].run),
        (Trigger::CatchUp, 1, None)
    );

    // Updates are conditional on the run the caller expects.
    let run = cat
        .start_run_with(&new_run(
            "j",
            1,
            Some("2026-01-04T01:30:00Z"),
            "2026-01-05T12:00:00Z",
        ))
        .unwrap();
    let mut f = q[0].clone();
    f.run = Some(run);
    assert!(cat.update_fire(&f, None).unwrap());
    f.run = None;
    f.attempt = 2;
    assert!(!cat.update_fire(&f, None).unwrap(), "stale: it has a run now");
    assert!(cat.update_fire(&f, Some(run)).unwrap());
    assert!(!cat.remove_fire(f.id, Some(run)).unwrap());
    assert!(cat.remove_fire(f.id, None).unwrap());
    assert_eq!(cat.queued_fires(None).unwrap().len(), 1);
}

#[test]
fn a_version_1_database_is_migrated_keeping_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        // Build a version-1 catalog by hand with the first migration only.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0].sql).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'initial', '2026-01-01T00:00:00.000Z')",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO runs (job, pipeline, triggered_by, status, started_at, ended_at, duration_ms)
             VALUES ('anagrafe', 'anagrafe', 'manual', 'succeeded', '2026-01-01T00:00:00.000Z',
                     '2026-01-01T00:01:00.000Z', 60000)",
            [],
        )
        .unwrap();
    }
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    let runs = cat.runs(&RunFilter::default()).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].attempt, runs[0].period.clone()), (1, None));
}
