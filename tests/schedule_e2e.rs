//! End-to-end tests of scheduling through the `metrodati` binary: `check`
//! reporting every error, `schedule --once` (also two processes competing
//! for one catalog), `run --backfill` across a DST change, and a daemon
//! stopped with SIGTERM in the middle of a run.

use chrono::{DateTime, Utc};
use metrodati_catalog::{Catalog, RunFilter, RunRecord, RunStatus, Trigger};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A data folder with its own settings and jobs file.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(jobs: &str) -> Env {
        Env::with_sources(jobs, &root().join("comuni"))
    }

    fn with_sources(jobs: &str, sources: &Path) -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("jobs.toml"), jobs).unwrap();
        let settings = format!(
            "data_dir = \"data\"\nsources_dir = \"{}\"\njobs_file = \"jobs.toml\"\n",
            sources.display()
        );
        std::fs::write(dir.path().join("metrodati.toml"), settings).unwrap();
        Env { dir }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_metrodati"));
        c.arg("--config")
            .arg(self.dir.path().join("metrodati.toml"))
            .args(args)
            .env_remove("METRODATI_DATA_DIR")
            .env_remove("METRODATI_ANPR_ARCHIVE")
            .env_remove("METRODATI_LOG");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().unwrap();
        eprintln!(
            "metrodati {args:?}\nstatus {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn catalog(&self) -> Catalog {
        Catalog::open(&self.dir.path().join("data/catalog.sqlite")).unwrap()
    }

    fn runs(&self) -> Vec<RunRecord> {
        let mut v = self.catalog().runs(&RunFilter::default()).unwrap();
        v.sort_by_key(|r| r.id);
        v
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The first `n` comuni other than Milano (small, quick to process).
fn small_comuni(n: usize) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("comuni"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "toml").then(|| p.file_stem().unwrap().to_string_lossy().to_string())
        })
        .filter(|c| c != "015146")
        .collect();
    v.sort();
    v.truncate(n);
    v
}

fn job_toml(name: &str, schedule: &str, comuni: &[String]) -> String {
    let list: Vec<String> = comuni.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "[jobs.{name}]\npipeline = \"anagrafe\"\ncomuni = [{}]\nschedule = \"{schedule}\"\nparams = {{ note = \"e2e\" }}\n",
        list.join(", ")
    )
}

#[test]
fn check_reports_every_scheduling_error_and_source_errors_at_once() {
    // A source folder with one good definition and one mapping to an
    // unknown schema field.
    let sources = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(root().join("comuni/015002.toml")).unwrap();
    std::fs::write(sources.path().join("015002.toml"), &good).unwrap();
    let bad = std::fs::read_to_string(root().join("comuni/015005.toml"))
        .unwrap()
        .replacen(
            "[anagrafe.columns]\n",
            "[anagrafe.columns]\nshoe_size = \"NUMERO SCARPE\"\n",
            1,
        );
    assert!(bad.contains("shoe_size"));
    std::fs::write(sources.path().join("015005.toml"), &bad).unwrap();

    let jobs = r#"[jobs.a]
pipeline = "anagraf"
comuni = ["015002", "099999"]
schedule = "30 25 * * *"
timezone = "Europe/Milano"
timeout = "un'ora"

[jobs.b]
pipeline = "anagrafe"
comuni = ["015002"]
depends_on = ["c", "nobody"]

[jobs.c]
pipeline = "anagrafe"
comuni = ["015002"]
depends_on = ["b"]
"#;
    let env = Env::with_sources(jobs, sources.path());
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "jobs.toml:2: key `jobs.a.pipeline`: unknown pipeline `anagraf`",
        "jobs.toml:3: key `jobs.a.comuni`: unknown comune `099999`",
        "jobs.toml:4: key `jobs.a.schedule`: bad cron expression `30 25 * * *`",
        "jobs.toml:5: key `jobs.a.timezone`: unknown time zone `Europe/Milano`",
        "jobs.toml:6: key `jobs.a.timeout`: bad duration `un'ora`",
        "jobs.toml:11: key `jobs.b.depends_on`: cycle in depends_on: b → c → b",
        "jobs.toml:11: key `jobs.b.depends_on`: unknown job `nobody` in depends_on",
        "015005.toml",
        "shoe_size",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // And the repository's own files are clean.
    let repo = Env::new(&std::fs::read_to_string(root().join("jobs.toml")).unwrap());
    let out = repo.run(&["check"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("anagrafe: `30 2 * * *` Europe/Rome, next"));
}

#[test]
fn schedule_once_runs_the_due_fire_once_even_with_two_processes_competing() {
    let comuni = small_comuni(2);
    let env = Env::new(&job_toml("minutely", "* * * * *", &comuni));
    assert!(env
        .run(&["sample", "--scale", "0.002", "--comuni", &comuni.join(",")])
        .status
        .success());

    // Two schedulers started together on one catalog.
    let spawn = || {
        env.cmd(&["schedule", "--once", "--workers", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        eprintln!("{}", String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let runs = env.runs();
    assert!(!runs.is_empty() && runs.len() <= 2, "{runs:#?}");
    let mut by_period: BTreeMap<String, usize> = BTreeMap::new();
    for r in &runs {
        assert_eq!(r.job, "minutely");
        assert_eq!(r.trigger, Trigger::Scheduled);
        assert_eq!(r.attempt, 1);
        assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
        let p = utc(r.period.as_deref().unwrap());
        assert_eq!(p.timestamp() % 60, 0, "a whole minute");
        assert!(utc(&r.started_at) >= p);
        assert!(r.params_json.contains("\"note\":\"e2e\""), "{}", r.params_json);
        *by_period.entry(r.period.clone().unwrap()).or_default() += 1;
    }
    assert!(
        by_period.values().all(|n| *n == 1),
        "a fire ran twice: {by_period:?}"
    );
    // Never two runs of the job at the same time.
    for w in runs.windows(2) {
        assert!(w[1].started_at >= *w[0].ended_at.as_ref().unwrap(), "{runs:#?}");
    }
    assert!(env.catalog().lease("minutely").unwrap().is_none());

    // Again: the fire already handled is not repeated.
    let before: Vec<String> = runs.iter().filter_map(|r| r.period.clone()).collect();
    assert!(env.run(&["schedule", "--once"]).status.success());
    let after: Vec<String> = env.runs().iter().filter_map(|r| r.period.clone()).collect();
    assert_eq!(&after[..before.len()], &before[..]);
    let unique: std::collections::BTreeSet<&String> = after.iter().collect();
    assert_eq!(unique.len(), after.len());

    // `runs` shows attempt and period.
    let out = env.run(&["runs"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().next().unwrap().contains("attempt  period"),
        "{stdout}"
    );
    assert!(stdout.contains("scheduled  1"), "{stdout}");
}

#[test]
fn backfill_runs_once_per_period_across_the_spring_dst_change() {
    let comuni = small_comuni(1);
    let env = Env::new(&job_toml("nightly", "30 2 * * *", &comuni));
    assert!(env
        .run(&["sample", "--scale", "0.002", "--comuni", &comuni.join(",")])
        .status
        .success());
    let out = env.run(&["run", "nightly", "--backfill", "2026-03-28..2026-03-30"]);
    assert!(out.status.success());
    let runs = env.runs();
    let periods: Vec<&str> = runs.iter().map(|r| r.period.as_deref().unwrap()).collect();
    assert_eq!(
        periods,
        vec![
            "2026-03-28T01:30:00.000Z", // 02:30 CET
            "2026-03-29T01:00:00.000Z", // 02:30 does not exist: 03:00 CEST
            "2026-03-30T00:30:00.000Z", // 02:30 CEST
        ]
    );
    for r in &runs {
        assert_eq!(r.trigger, Trigger::Backfill);
        assert_eq!(r.attempt, 1);
        assert!(r.status.is_terminal());
        assert!(
            r.params_json.contains(&r.period.as_deref().unwrap()[..19]),
            "{}",
            r.params_json
        );
    }
    // The first run did the work, the others found the inputs unchanged.
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert!(
        env.catalog().lease("nightly").unwrap().is_none(),
        "lease released"
    );

    let bad = env.run(&["run", "nightly", "--backfill", "2026-03-30..2026-03-28"]);
    assert!(!bad.status.success());
    let manual = Env::new(&format!(
        "[jobs.manual]\npipeline = \"anagrafe\"\ncomuni = [\"{}\"]\n",
        comuni[0]
    ));
    let out = manual.run(&["run", "manual", "--backfill", "2026-03-28..2026-03-30"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no schedule"));
}

#[test]
fn sigterm_stops_the_daemon_and_records_whether_the_run_finished_or_was_cancelled() {
    let comuni = small_comuni(24);
    let env = Env::new(&job_toml("minutely", "* * * * *", &comuni));
    assert!(env
        .run(&["sample", "--scale", "0.002", "--comuni", &comuni.join(",")])
        .status
        .success());
    let child = env
        .cmd(&["schedule", "--workers", "1", "--grace", "0s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the run to start, then SIGTERM.
    let deadline = Instant::now() + Duration::from_secs(120);
    let cat_path = env.dir.path().join("data/catalog.sqlite");
    loop {
        assert!(Instant::now() < deadline, "the scheduled run never started");
        if cat_path.exists() {
            let running = Catalog::open(&cat_path)
                .and_then(|c| c.runs(&RunFilter::default()))
                .map(|r| r.iter().any(|r| r.status == RunStatus::Running))
                .unwrap_or(false);
            if running {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(out.status.success(), "clean exit on SIGTERM");
    assert!(stderr.contains("shutdown requested"), "{stderr}");

    let runs = env.runs();
    let r = &runs[0];
    assert!(runs.iter().all(|r| r.status != RunStatus::Running), "{runs:#?}");
    let sources = env.catalog().sources(r.id).unwrap();
    assert_eq!(
        sources
            .iter()
            .map(|s| &s.comune)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        comuni.len()
    );
    let not_processed = sources
        .iter()
        .filter(|s| s.error.as_deref().is_some_and(|e| e.starts_with("non elaborato")))
        .count();
    match r.status {
        RunStatus::Cancelled => {
            assert!(r.error.as_deref().unwrap().contains("shutting down"), "{r:#?}");
            assert!(not_processed > 0);
            // The fire stays queued for the next start.
            let q = env.catalog().queued_fires(Some("minutely")).unwrap();
            assert_eq!(q.len(), 1);
            assert_eq!(q[0].attempt, 2);
        }
        RunStatus::Succeeded => assert_eq!(not_processed, 0),
        other => panic!("unexpected status {other}: {r:#?}"),
    }
    assert!(
        stdout.contains(&format!("run {} job minutely: {}", r.id, r.status)),
        "{stdout}"
    );
    assert!(
        env.catalog().lease("minutely").unwrap().is_none(),
        "lease released"
    );
}
