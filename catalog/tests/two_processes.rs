//! Two OS processes writing the same catalog file at the same time.
//!
//! The test re-executes its own test binary as the second process: the child
//! runs `child_writer` (ignored in normal runs), told by environment
//! variables where the catalog is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use metrodati_catalog::*;

const ENV_DB: &str = "METRODATI_CATALOG_CHILD_DB";
const ENV_READY: &str = "METRODATI_CATALOG_CHILD_READY";
const ENV_GO: &str = "METRODATI_CATALOG_CHILD_GO";
const N: u64 = 100;

fn wait_for(file: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !file.exists() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn write_runs(cat: &mut Catalog, job: &str, comune: &str) {
    for i in 1..=N {
        cat.transaction(|c| {
            let run = c.start_run(job, "p", Trigger::Scheduled, "{}")?;
            c.record_source(
                run,
                &SourceAccounting {
                    comune: comune.into(),
                    source: job.into(),
                    status: SourceStatus::Processed,
                    rows_read: i,
                    rows_written: i - 1,
                    rows_quarantined: 1,
                    repairs: BTreeMap::from([("trim".to_string(), i)]),
                    fingerprint: Some(format!("fp{i}")),
                    error: None,
                    quarantine_path: None,
                },
            )?;
            let v = c.add_version(&NewVersion {
                dataset: "popolazione".into(),
                partition: Some(comune.into()),
                run,
                path: format!("out/{comune}/{i}.parquet"),
                rows: i - 1,
                content_hash: format!("h{i}"),
                schema_version: "1".into(),
            })?;
            c.add_lineage(run, &format!("file:///{comune}.csv"), &format!("fp{i}"), v)?;
            c.set_fingerprint(&format!("{job}/{comune}"), &format!("fp{i}"), run)?;
            c.finish_run(run, RunStatus::Succeeded, None)
        })
        .expect("write from this process");
        // Leave the write lock free for a moment so the writers interleave.
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The second process. Does nothing unless started by `two_processes_write_one_file`.
#[test]
#[ignore = "helper: run as a child process by two_processes_write_one_file"]
fn child_writer() {
    let Some(db) = std::env::var_os(ENV_DB) else {
        return;
    };
    let mut cat = Catalog::open(Path::new(&db)).expect("child opens catalog");
    std::fs::write(std::env::var_os(ENV_READY).unwrap(), b"ready").unwrap();
    wait_for(Path::new(&std::env::var_os(ENV_GO).unwrap()), "the parent's go");
    write_runs(&mut cat, "child", "015002");
}

#[test]
fn two_processes_write_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("catalog/shared.db");
    let ready = dir.path().join("child.ready");
    let go = dir.path().join("parent.go");

    let mut cat = Catalog::open(&db).unwrap();
    cat.register_dataset(&DatasetInfo {
        name: "popolazione".into(),
        title: "Popolazione".into(),
        description: "Residenti per comune".into(),
        schema_version: "1".into(),
        personal_data: false,
    })
    .unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--ignored", "--test-threads", "1"])
        .env(ENV_DB, &db)
        .env(ENV_READY, &ready)
        .env(ENV_GO, &go)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child process");

    // Both start writing together once the child has its connection open.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "child exited before opening the catalog: {status}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(Instant::now() < deadline, "child never opened the catalog");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::fs::write(&go, b"go").unwrap();
    write_runs(&mut cat, "parent", "015146");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "child process failed: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Both processes' writes are there, complete and consistent.
    for job in ["parent", "child"] {
        let runs = cat
            .runs(&RunFilter {
                job: Some(job.into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(runs.len() as u64, N, "runs of {job}");
        assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
        let read: i64 = runs.iter().map(|r| r.rows_read).sum();
        assert_eq!(read as u64, N * (N + 1) / 2);
    }
    for comune in ["015146", "015002"] {
        let versions = cat.versions("popolazione", Some(comune)).unwrap();
        let numbers: Vec<u32> = versions.iter().map(|v| v.version).collect();
        assert_eq!(numbers, (1..=N as u32).rev().collect::<Vec<_>>());
        assert_eq!(
            cat.outputs_of_input(&format!("file:///{comune}.csv"))
                .unwrap()
                .len() as u64,
            N
        );
    }
    assert_eq!(
        cat.fingerprint("child/015002").unwrap().as_deref(),
        Some(format!("fp{N}").as_str())
    );
    let summary = cat.datasets().unwrap();
    assert_eq!(summary[0].partitions, 2);
    assert_eq!(summary[0].total_rows, 2 * (N - 1));
}
