//! Unit tests (they may reach the raw connection to set up or inspect rows).

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::schema::{migrate_with, Migration};
use crate::*;

fn mem() -> Catalog {
    Catalog::open_in_memory().expect("open in-memory catalog")
}

fn processed(comune: &str, source: &str, read: u64, written: u64, quarantined: u64) -> SourceAccounting {
    SourceAccounting {
        comune: comune.into(),
        source: source.into(),
        status: SourceStatus::Processed,
        rows_read: read,
        rows_written: written,
        rows_quarantined: quarantined,
        repairs: BTreeMap::new(),
        fingerprint: Some(format!("fp-{comune}-{source}")),
        error: None,
        quarantine_path: None,
    }
}

fn dataset(name: &str) -> DatasetInfo {
    DatasetInfo {
        name: name.into(),
        title: format!("Title of {name}"),
        description: format!("Description of {name}"),
        schema_version: "1.0".into(),
        personal_data: false,
    }
}

fn version(ds: &str, partition: Option<&str>, run: RunId, rows: u64) -> NewVersion {
    NewVersion {
        dataset: ds.into(),
        partition: partition.map(str::to_string),
        run,
        path: format!("out/{ds}/{}/{rows}.parquet", partition.unwrap_or("all")),
        rows,
        content_hash: format!("sha256:{rows:08x}"),
        schema_version: "1.0".into(),
    }
}

fn set_started_at(cat: &Catalog, run: RunId, ts: &str) {
    let n = cat
        .conn()
        .execute(
            "UPDATE runs SET started_at = ?2 WHERE id = ?1",
            rusqlite::params![run, ts],
        )
        .unwrap();
    assert_eq!(n, 1);
}

fn count(cat: &Catalog, sql: &str) -> i64 {
    cat.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn ids(runs: &[RunRecord]) -> Vec<RunId> {
    runs.iter().map(|r| r.id).collect()
}

fn is_utc_rfc3339(ts: &str) -> bool {
    ts.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(ts).is_ok()
}

// ----------------------------------------------------------------------
// schema and migrations
// ----------------------------------------------------------------------

#[test]
fn migrations_are_ordered_and_contiguous() {
    assert!(!MIGRATIONS.is_empty());
    for (i, m) in MIGRATIONS.iter().enumerate() {
        assert_eq!(m.version, i as i64 + 1, "migration {} out of order", m.name);
        assert!(!m.name.is_empty());
    }
    assert_eq!(SCHEMA_VERSION, MIGRATIONS.len() as i64);
}

#[test]
fn user_version_is_set_and_migrations_recorded() {
    let cat = mem();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    let uv: i64 = cat
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(uv, SCHEMA_VERSION);
    let rows: Vec<(i64, String, String)> = cat
        .conn()
        .prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), MIGRATIONS.len());
    for ((v, name, at), m) in rows.iter().zip(MIGRATIONS) {
        assert_eq!(*v, m.version);
        assert_eq!(name, m.name);
        assert!(is_utc_rfc3339(at), "{at}");
    }
}

#[test]
fn migrations_idempotent_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let run = {
        let cat = Catalog::open(&path).unwrap();
        cat.start_run("anagrafe", "anagrafe-v1", Trigger::Manual, "{}")
            .unwrap()
    };
    for _ in 0..3 {
        let cat = Catalog::open(&path).unwrap();
        assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(
            count(&cat, "SELECT COUNT(*) FROM schema_migrations"),
            MIGRATIONS.len() as i64
        );
        assert_eq!(count(&cat, "SELECT COUNT(*) FROM runs"), 1);
        assert_eq!(cat.run(run).unwrap().unwrap().job, "anagrafe");
    }
}

#[test]
fn migration_runner_applies_only_pending_steps_and_rolls_back_failures() {
    const M1: Migration = Migration {
        version: 1,
        name: "one",
        sql: "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
              CREATE TABLE a (x INTEGER);",
    };
    const M2: Migration = Migration {
        version: 2,
        name: "two",
        sql: "ALTER TABLE a ADD COLUMN y INTEGER; INSERT INTO a (x, y) VALUES (1, 2);",
    };
    const M3_BROKEN: Migration = Migration {
        version: 3,
        name: "broken",
        sql: "CREATE TABLE b (z INTEGER); INSERT INTO no_such_table VALUES (1);",
    };
    let mut conn = Connection::open_in_memory().unwrap();
    migrate_with(&mut conn, &[M1], "2025-01-01T00:00:00.000Z").unwrap();
    let uv = |c: &Connection| -> i64 { c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap() };
    assert_eq!(uv(&conn), 1);

    // M1 is not re-run (it would fail: tables exist); M2 runs once.
    migrate_with(&mut conn, &[M1, M2], "2025-01-02T00:00:00.000Z").unwrap();
    migrate_with(&mut conn, &[M1, M2], "2025-01-03T00:00:00.000Z").unwrap();
    assert_eq!(uv(&conn), 2);
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM a", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    let recorded: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(recorded, 2);

    // A failing migration leaves no trace.
    let err = migrate_with(&mut conn, &[M1, M2, M3_BROKEN], "2025-01-04T00:00:00.000Z").unwrap_err();
    assert!(matches!(err, CatalogError::Sqlite { .. }), "{err}");
    assert_eq!(uv(&conn), 2);
    let b_exists: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'b'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(b_exists, 0);

    // Older migration list than the database: refused.
    let err = migrate_with(&mut conn, &[M1], "2025-01-05T00:00:00.000Z").unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::SchemaTooNew {
                found: 2,
                supported: 1
            }
        ),
        "{err}"
    );
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    {
        let cat = Catalog::open(&path).unwrap();
        cat.conn()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    match Catalog::open(&path) {
        Err(CatalogError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, SCHEMA_VERSION + 1);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn file_catalog_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    let journal: String = cat
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal.to_lowercase(), "wal");
    let fk: i64 = cat
        .conn()
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = cat
        .conn()
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert_eq!(busy, 5000);
}

#[test]
fn catalog_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Catalog>();
    assert_send::<CatalogError>();
}

// ----------------------------------------------------------------------
// enumerations
// ----------------------------------------------------------------------

#[test]
fn enum_text_forms_round_trip() {
    let expected_triggers = ["manual", "scheduled", "catch-up", "backfill", "dependency"];
    assert_eq!(Trigger::ALL.len(), expected_triggers.len());
    for (t, s) in Trigger::ALL.iter().zip(expected_triggers) {
        assert_eq!(t.to_string(), s);
        assert_eq!(s.parse::<Trigger>().unwrap(), *t);
        assert_eq!(s.to_uppercase().parse::<Trigger>().unwrap(), *t);
        assert_eq!(serde_json::to_string(t).unwrap(), format!("\"{s}\""));
    }
    let expected_status = [
        "running",
        "succeeded",
        "failed",
        "partially_succeeded",
        "skipped",
        "cancelled",
    ];
    assert_eq!(RunStatus::ALL.len(), expected_status.len());
    for (st, s) in RunStatus::ALL.iter().zip(expected_status) {
        assert_eq!(st.to_string(), s);
        assert_eq!(s.parse::<RunStatus>().unwrap(), *st);
        assert_eq!(serde_json::to_string(st).unwrap(), format!("\"{s}\""));
    }
    for (st, s) in SourceStatus::ALL.iter().zip(["processed", "unchanged", "failed"]) {
        assert_eq!(st.to_string(), s);
        assert_eq!(s.parse::<SourceStatus>().unwrap(), *st);
    }
    let err = "catchup".parse::<Trigger>().unwrap_err();
    assert_eq!(err.value, "catchup");
    assert!(err.to_string().contains("catch-up"), "{err}");
    assert!("partially-succeeded".parse::<RunStatus>().is_err());
}

#[test]
fn enums_are_stored_as_documented_text() {
    let cat = mem();
    let run = cat.start_run("j", "p", Trigger::CatchUp, "{}").unwrap();
    cat.finish_run(run, RunStatus::PartiallySucceeded, Some("2 comuni failed"))
        .unwrap();
    let (t, s): (String, String) = cat
        .conn()
        .query_row(
            "SELECT triggered_by, status FROM runs WHERE id = ?1",
            [run],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(t, "catch-up");
    assert_eq!(s, "partially_succeeded");
    // and the DB refuses anything else
    assert!(cat
        .conn()
        .execute("UPDATE runs SET status = 'done' WHERE id = ?1", [run])
        .is_err());
    assert!(cat
        .conn()
        .execute("UPDATE runs SET triggered_by = 'catch_up' WHERE id = ?1", [run])
        .is_err());
}

// ----------------------------------------------------------------------
// runs
// ----------------------------------------------------------------------

#[test]
fn run_lifecycle() {
    let cat = mem();
    let run = cat
        .start_run(
            "anagrafe",
            "anagrafe-v1",
            Trigger::Manual,
            r#"{"comuni":["015146"]}"#,
        )
        .unwrap();
    let r = cat.run(run).unwrap().expect("run exists");
    assert_eq!(r.id, run);
    assert_eq!(r.job, "anagrafe");
    assert_eq!(r.pipeline, "anagrafe-v1");
    assert_eq!(r.trigger, Trigger::Manual);
    assert_eq!(r.attempt, 1);
    assert_eq!(r.status, RunStatus::Running);
    assert!(is_utc_rfc3339(&r.started_at), "{}", r.started_at);
    assert_eq!(r.ended_at, None);
    assert_eq!(r.duration_ms, None);
    assert_eq!(r.error, None);
    assert_eq!(r.params_json, r#"{"comuni":["015146"]}"#);
    assert_eq!((r.rows_read, r.rows_written, r.rows_quarantined), (0, 0, 0));

    cat.finish_run(run, RunStatus::Failed, Some("source unreachable"))
        .unwrap();
    let r = cat.run(run).unwrap().unwrap();
    assert_eq!(r.status, RunStatus::Failed);
    assert_eq!(r.error.as_deref(), Some("source unreachable"));
    let ended = r.ended_at.expect("ended_at set");
    assert!(is_utc_rfc3339(&ended), "{ended}");
    assert!(ended >= r.started_at);
    assert!(r.duration_ms.unwrap() >= 0);

    // cannot finish twice, nor finish as running, nor finish a ghost
    assert!(matches!(
        cat.finish_run(run, RunStatus::Succeeded, None),
        Err(CatalogError::RunNotRunning {
            status: RunStatus::Failed,
            ..
        })
    ));
    let other = cat.start_run("anagrafe", "p", Trigger::Manual, "{}").unwrap();
    assert!(matches!(
        cat.finish_run(other, RunStatus::Running, None),
        Err(CatalogError::InvalidInput { .. })
    ));
    assert!(matches!(
        cat.finish_run(RunId(999), RunStatus::Succeeded, None),
        Err(CatalogError::RunNotFound(RunId(999)))
    ));
    assert_eq!(cat.run(RunId(999)).unwrap(), None);
    assert_ne!(run, other);
}

#[test]
fn duration_is_computed_from_started_at() {
    let cat = mem();
    let run = cat.start_run("j", "p", Trigger::Manual, "{}").unwrap();
    let started = chrono::Utc::now() - chrono::Duration::seconds(90);
    set_started_at(
        &cat,
        run,
        &started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    );
    cat.finish_run(run, RunStatus::Succeeded, None).unwrap();
    let d = cat.run(run).unwrap().unwrap().duration_ms.unwrap();
    assert!((90_000..100_000).contains(&d), "duration {d}");
}

#[test]
fn start_run_validates_params_json() {
    let cat = mem();
    assert!(matches!(
        cat.start_run("j", "p", Trigger::Manual, "{not json"),
        Err(CatalogError::InvalidInput { op: "start_run", .. })
    ));
    assert!(matches!(
        cat.start_run("", "p", Trigger::Manual, "{}"),
        Err(CatalogError::InvalidInput { .. })
    ));
    let run = cat.start_run("j", "p", Trigger::Manual, "").unwrap();
    assert_eq!(cat.run(run).unwrap().unwrap().params_json, "{}");
    assert_eq!(count(&cat, "SELECT COUNT(*) FROM runs"), 1);
}

#[test]
fn runs_filters_and_order() {
    let cat = mem();
    // (job, trigger, started_at, final status)
    let specs = [
        (
            "anagrafe",
            Trigger::Scheduled,
            "2025-03-01T02:00:00.000Z",
            Some(RunStatus::Succeeded),
        ),
        (
            "tributi",
            Trigger::Scheduled,
            "2025-03-02T02:00:00.000Z",
            Some(RunStatus::Failed),
        ),
        (
            "anagrafe",
            Trigger::CatchUp,
            "2025-03-03T02:00:00.000Z",
            Some(RunStatus::Failed),
        ),
        ("anagrafe", Trigger::Manual, "2025-03-04T09:30:00.000Z", None),
        (
            "tributi",
            Trigger::Backfill,
            "2025-03-05T02:00:00.000Z",
            Some(RunStatus::Succeeded),
        ),
    ];
    let mut r = Vec::new();
    for (job, trig, at, status) in specs {
        let id = cat.start_run(job, "p", trig, "{}").unwrap();
        if let Some(s) = status {
            cat.finish_run(id, s, None).unwrap();
        }
        set_started_at(&cat, id, at);
        r.push(id);
    }

    let all = cat.runs(&RunFilter::default()).unwrap();
    assert_eq!(ids(&all), vec![r[4], r[3], r[2], r[1], r[0]], "newest first");

    let f = RunFilter {
        job: Some("anagrafe".into()),
        ..Default::default()
    };
    assert_eq!(ids(&cat.runs(&f).unwrap()), vec![r[3], r[2], r[0]]);

    let f = RunFilter {
        status: Some(RunStatus::Failed),
        ..Default::default()
    };
    assert_eq!(ids(&cat.runs(&f).unwrap()), vec![r[2], r[1]]);

    let f = RunFilter {
        status: Some(RunStatus::Running),
        ..Default::default()
    };
    assert_eq!(ids(&cat.runs(&f).unwrap()), vec![r[3]]);

    let f = RunFilter {
        trigger: Some(Trigger::Scheduled),
        ..Default::default()
    };
    assert_eq!(ids(&cat.runs(&f).unwrap()), vec![r[1], r[0]]);

    let f = RunFilter {
        since: Some("2025-03-03T02:00:00Z".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(&cat.runs(&f).unwrap()),
        vec![r[4], r[3], r[2]],
        "since is inclusive"
    );

    // offsets are normalised to UTC: 10:00+01:00 is 09:00Z
    let f = RunFilter {
        since: Some("2025-03-04T10:00:00+01:00".into()),
        ..Default::default()
    };
    assert_eq!(ids(&cat.runs(&f).unwrap()), vec![r[4], r[3]]);
    let f = RunFilter {
        since: Some("2025-03-04T10:31:00+01:00".into()),
        ..Default::default()
    };
    assert_eq!(ids(&cat.runs(&f).unwrap()), vec![r[4]]);

    // a bare date is midnight UTC
    let f = RunFilter {
        since: Some("2025-03-02".into()),
        ..Default::default()
    };
    assert_eq!(cat.runs(&f).unwrap().len(), 4);

    let f = RunFilter {
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(ids(&cat.runs(&f).unwrap()), vec![r[4], r[3]]);
    let f = RunFilter {
        limit: Some(0),
        ..Default::default()
    };
    assert!(cat.runs(&f).unwrap().is_empty());

    let f = RunFilter {
        job: Some("anagrafe".into()),
        status: Some(RunStatus::Failed),
        trigger: Some(Trigger::CatchUp),
        since: Some("2025-03-01".into()),
        limit: Some(10),
    };
    assert_eq!(ids(&cat.runs(&f).unwrap()), vec![r[2]]);

    let f = RunFilter {
        job: Some("nessuno".into()),
        ..Default::default()
    };
    assert!(cat.runs(&f).unwrap().is_empty());

    let f = RunFilter {
        since: Some("yesterday".into()),
        ..Default::default()
    };
    assert!(matches!(cat.runs(&f), Err(CatalogError::InvalidInput { .. })));
}

// ----------------------------------------------------------------------
// per-source accounting
// ----------------------------------------------------------------------

#[test]
fn accounting_invariant_is_enforced() {
    let cat = mem();
    let run = cat.start_run("anagrafe", "p", Trigger::Manual, "{}").unwrap();

    // 10 read, 7 + 2 accounted for: one row lost
    let err = cat
        .record_source(run, &processed("015146", "anagrafe", 10, 7, 2))
        .unwrap_err();
    match &err {
        CatalogError::Accounting {
            run: r,
            comune,
            source_name,
            detail,
        } => {
            assert_eq!(*r, run);
            assert_eq!(comune, "015146");
            assert_eq!(source_name, "anagrafe");
            assert!(
                detail.contains("rows_read = rows_written + rows_quarantined"),
                "{detail}"
            );
        }
        other => panic!("expected Accounting error, got {other:?}"),
    }
    assert!(err.to_string().contains("015146"), "{err}");
    // too many rows out
    assert!(matches!(
        cat.record_source(run, &processed("015146", "anagrafe", 10, 9, 2)),
        Err(CatalogError::Accounting { .. })
    ));
    // overflow of written + quarantined is an accounting error, not a panic
    assert!(matches!(
        cat.record_source(run, &processed("015146", "anagrafe", 10, u64::MAX, 2)),
        Err(CatalogError::Accounting { .. })
    ));
    assert!(cat.sources(run).unwrap().is_empty(), "nothing stored");

    // a failed source may stop half way, but cannot invent rows
    let mut failed = processed("015146", "tributi", 10, 0, 3);
    failed.status = SourceStatus::Failed;
    failed.error = Some("parse error at line 4".into());
    cat.record_source(run, &failed).unwrap();
    failed.rows_written = 8;
    assert!(matches!(
        cat.record_source(run, &failed),
        Err(CatalogError::Accounting { .. })
    ));

    cat.record_source(run, &processed("015146", "anagrafe", 10, 8, 2))
        .unwrap();
    assert_eq!(cat.sources(run).unwrap().len(), 2);

    // the database enforces it too, whoever writes
    let direct = cat.conn().execute(
        "INSERT INTO source_accounting (run_id, comune, source, status, rows_read, rows_written,
            rows_quarantined, recorded_at)
         VALUES (?1, '015999', 'anagrafe', 'processed', 10, 7, 2, '2025-01-01T00:00:00.000Z')",
        [run],
    );
    let msg = direct.unwrap_err().to_string();
    assert!(msg.contains("rows_accounted"), "{msg}");

    // unknown run
    assert!(matches!(
        cat.record_source(RunId(42), &processed("015146", "anagrafe", 1, 1, 0)),
        Err(CatalogError::RunNotFound(RunId(42)))
    ));
}

#[test]
fn repairs_and_fields_round_trip_and_totals_aggregate() {
    let cat = mem();
    let run = cat.start_run("anagrafe", "p", Trigger::Scheduled, "{}").unwrap();
    let mut a = processed("015146", "anagrafe", 1000, 990, 10);
    a.repairs.insert("date.iso_from_dmy".into(), 120);
    a.repairs.insert("cf.uppercase".into(), 7);
    a.repairs.insert("zero".into(), 0);
    a.quarantine_path = Some("quarantine/1/015146/anagrafe.csv".into());
    let mut b = processed("015002", "anagrafe", 50, 50, 0);
    b.fingerprint = None;
    let mut c = processed("015146", "tributi", 0, 0, 0);
    c.status = SourceStatus::Unchanged;
    for acc in [&a, &b, &c] {
        cat.record_source(run, acc).unwrap();
    }
    let got = cat.sources(run).unwrap();
    // ordered by comune, then source
    assert_eq!(got, vec![b.clone(), a.clone(), c.clone()]);
    assert_eq!(got[1].repairs.get("date.iso_from_dmy"), Some(&120));
    assert_eq!(got[1].repairs.len(), 3);

    let r = cat.run(run).unwrap().unwrap();
    assert_eq!(
        (r.rows_read, r.rows_written, r.rows_quarantined),
        (1050, 1040, 10)
    );
    let listed = cat.runs(&RunFilter::default()).unwrap();
    assert_eq!(listed[0].rows_read, 1050);

    // recording again replaces, repairs included
    let mut a2 = processed("015146", "anagrafe", 1000, 1000, 0);
    a2.repairs.insert("cf.uppercase".into(), 9);
    cat.record_source(run, &a2).unwrap();
    let got = cat.sources(run).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1], a2);
    assert_eq!(count(&cat, "SELECT COUNT(*) FROM source_repairs"), 1);
    let r = cat.run(run).unwrap().unwrap();
    assert_eq!((r.rows_read, r.rows_written, r.rows_quarantined), (1050, 1050, 0));

    // other runs are separate
    let run2 = cat.start_run("anagrafe", "p", Trigger::Scheduled, "{}").unwrap();
    assert!(cat.sources(run2).unwrap().is_empty());
    assert_eq!(cat.run(run2).unwrap().unwrap().rows_read, 0);
}

// ----------------------------------------------------------------------
// quality
// ----------------------------------------------------------------------

#[test]
fn quality_results_round_trip() {
    let cat = mem();
    let run = cat.start_run("anagrafe", "p", Trigger::Manual, "{}").unwrap();
    let q = |rule: &str, severity: &str, count: u64| QualityResult {
        rule: rule.into(),
        severity: severity.into(),
        count,
    };
    cat.record_quality(
        run,
        "015146",
        "anagrafe",
        &[q("cf.invalid", "error", 3), q("cap.missing", "warning", 12)],
    )
    .unwrap();
    cat.record_quality(run, "015002", "anagrafe", &[q("date.repaired", "repair", 5)])
        .unwrap();
    let got = cat.quality(run).unwrap();
    assert_eq!(
        got,
        vec![
            (
                "015002".into(),
                "anagrafe".into(),
                q("date.repaired", "repair", 5)
            ),
            (
                "015146".into(),
                "anagrafe".into(),
                q("cap.missing", "warning", 12)
            ),
            ("015146".into(), "anagrafe".into(), q("cf.invalid", "error", 3)),
        ]
    );

    // re-recording a rule replaces its count
    cat.record_quality(run, "015146", "anagrafe", &[q("cf.invalid", "error", 4)])
        .unwrap();
    let got = cat.quality(run).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].2.count, 4);

    // bad severity, duplicate rule: rejected, nothing written
    assert!(matches!(
        cat.record_quality(run, "015146", "anagrafe", &[q("x", "fatal", 1)]),
        Err(CatalogError::InvalidInput { .. })
    ));
    assert!(matches!(
        cat.record_quality(
            run,
            "015146",
            "anagrafe",
            &[q("y", "error", 1), q("y", "error", 2)]
        ),
        Err(CatalogError::InvalidInput { .. })
    ));
    assert_eq!(cat.quality(run).unwrap().len(), 3);
    assert!(matches!(
        cat.record_quality(RunId(77), "015146", "anagrafe", &[q("y", "error", 1)]),
        Err(CatalogError::RunNotFound(_))
    ));
    assert!(cat
        .conn()
        .execute(
            "INSERT INTO quality_results VALUES (?1, 'c', 's', 'r', 'fatal', 1)",
            [run]
        )
        .is_err());
}

// ----------------------------------------------------------------------
// fingerprints
// ----------------------------------------------------------------------

#[test]
fn fingerprints_set_get_clear() {
    let cat = mem();
    let run1 = cat.start_run("anagrafe", "p", Trigger::Manual, "{}").unwrap();
    let run2 = cat.start_run("anagrafe", "p", Trigger::Manual, "{}").unwrap();
    let key = "anagrafe/015146";
    assert_eq!(cat.fingerprint(key).unwrap(), None);
    cat.set_fingerprint(key, "sha256:aaa", run1).unwrap();
    assert_eq!(cat.fingerprint(key).unwrap().as_deref(), Some("sha256:aaa"));
    cat.set_fingerprint(key, "sha256:bbb", run2).unwrap();
    assert_eq!(cat.fingerprint(key).unwrap().as_deref(), Some("sha256:bbb"));
    let by: RunId = cat
        .conn()
        .query_row("SELECT run_id FROM fingerprints WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(by, run2);
    // other keys untouched
    cat.set_fingerprint("anagrafe/015002", "sha256:ccc", run1)
        .unwrap();
    cat.clear_fingerprint(key).unwrap();
    assert_eq!(cat.fingerprint(key).unwrap(), None);
    assert_eq!(
        cat.fingerprint("anagrafe/015002").unwrap().as_deref(),
        Some("sha256:ccc")
    );
    cat.clear_fingerprint(key).unwrap(); // absent: fine
    assert!(matches!(
        cat.set_fingerprint(key, "sha256:x", RunId(99)),
        Err(CatalogError::RunNotFound(_))
    ));
    assert_eq!(cat.fingerprint(key).unwrap(), None);
}

// ----------------------------------------------------------------------
// datasets and versions
// ----------------------------------------------------------------------

#[test]
fn versions_increment_per_dataset_and_partition() {
    let cat = mem();
    let run = cat.start_run("anagrafe", "p", Trigger::Manual, "{}").unwrap();
    cat.register_dataset(&dataset("popolazione")).unwrap();
    cat.register_dataset(&dataset("tributi")).unwrap();

    let mut numbers = Vec::new();
    for (ds, part) in [
        ("popolazione", Some("015146")),
        ("popolazione", Some("015146")),
        ("popolazione", Some("015002")),
        ("popolazione", None),
        ("popolazione", Some("015146")),
        ("tributi", Some("015146")),
        ("popolazione", None),
        ("popolazione", Some("015002")),
    ] {
        let id = cat.add_version(&version(ds, part, run, 10)).unwrap();
        numbers.push(cat.version(id).unwrap().unwrap().version);
    }
    assert_eq!(numbers, vec![1, 2, 1, 1, 3, 1, 2, 2]);

    let milan = cat.versions("popolazione", Some("015146")).unwrap();
    assert_eq!(milan.iter().map(|v| v.version).collect::<Vec<_>>(), vec![3, 2, 1]);
    assert!(milan.iter().all(|v| v.partition.as_deref() == Some("015146")));
    let all = cat.versions("popolazione", None).unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].partition, None, "unpartitioned first");
    assert_eq!(all[0].version, 2);
    assert_eq!(cat.versions("tributi", None).unwrap().len(), 1);
    assert!(cat.versions("nessuno", None).unwrap().is_empty());

    let v = &milan[0];
    assert_eq!(v.dataset, "popolazione");
    assert_eq!(v.run, run);
    assert_eq!(v.rows, 10);
    assert_eq!(v.schema_version, "1.0");
    assert!(v.path.ends_with(".parquet"));
    assert!(is_utc_rfc3339(&v.created_at));

    // errors
    assert!(matches!(
        cat.add_version(&version("nessuno", None, run, 1)),
        Err(CatalogError::UnknownDataset(name)) if name == "nessuno"
    ));
    assert!(matches!(
        cat.add_version(&version("popolazione", Some(""), run, 1)),
        Err(CatalogError::InvalidInput { .. })
    ));
    assert!(matches!(
        cat.add_version(&version("popolazione", None, RunId(1234), 1)),
        Err(CatalogError::RunNotFound(_))
    ));

    // unique (dataset, partition, version) in the DB, NULL partition included
    for part in [Some("015146"), None] {
        let dup = cat.conn().execute(
            "INSERT INTO dataset_versions (dataset, partition_key, version, run_id, path, row_count,
                content_hash, schema_version, created_at)
             VALUES ('popolazione', ?1, 1, ?2, 'x', 1, 'h', '1.0', '2025-01-01T00:00:00.000Z')",
            rusqlite::params![part, run],
        );
        assert!(dup.is_err(), "duplicate version accepted for partition {part:?}");
    }
}

#[test]
fn datasets_summary_uses_latest_version_per_partition() {
    let cat = mem();
    let run1 = cat.start_run("anagrafe", "p", Trigger::Scheduled, "{}").unwrap();
    let run2 = cat.start_run("anagrafe", "p", Trigger::Scheduled, "{}").unwrap();
    cat.register_dataset(&dataset("popolazione")).unwrap();
    cat.register_dataset(&dataset("vuoto")).unwrap();
    let mut personal = dataset("anagrafe_individui");
    personal.personal_data = true;
    cat.register_dataset(&personal).unwrap();

    cat.add_version(&version("popolazione", Some("015146"), run1, 100))
        .unwrap();
    cat.add_version(&version("popolazione", Some("015146"), run2, 130))
        .unwrap();
    cat.add_version(&version("popolazione", Some("015002"), run1, 40))
        .unwrap();
    let last = cat
        .add_version(&version("popolazione", Some("015002"), run2, 45))
        .unwrap();
    cat.add_version(&version("anagrafe_individui", None, run1, 7))
        .unwrap();
    cat.add_version(&version("anagrafe_individui", None, run1, 9))
        .unwrap();

    let s = cat.datasets().unwrap();
    let names: Vec<&str> = s.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["anagrafe_individui", "popolazione", "vuoto"]);

    let pop = &s[1];
    assert_eq!(pop.title, "Title of popolazione");
    assert_eq!(pop.schema_version, "1.0");
    assert_eq!(pop.partitions, 2);
    assert_eq!(
        pop.total_rows,
        130 + 45,
        "latest per partition, not the sum of all"
    );
    assert_eq!(pop.latest_run, Some(run2));
    let last_created = cat.version(last).unwrap().unwrap().created_at;
    assert_eq!(pop.last_updated.as_deref(), Some(last_created.as_str()));

    let ind = &s[0];
    assert!(ind.personal_data);
    assert_eq!(ind.partitions, 1);
    assert_eq!(ind.total_rows, 9);
    assert_eq!(ind.latest_run, Some(run1));

    let empty = &s[2];
    assert_eq!((empty.partitions, empty.total_rows), (0, 0));
    assert_eq!(empty.last_updated, None);
    assert_eq!(empty.latest_run, None);

    // register is an upsert
    let mut renamed = dataset("popolazione");
    renamed.title = "Popolazione residente".into();
    renamed.schema_version = "2.0".into();
    cat.register_dataset(&renamed).unwrap();
    let s = cat.datasets().unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[1].title, "Popolazione residente");
    assert_eq!(s[1].schema_version, "2.0");
    assert_eq!(s[1].total_rows, 175, "versions survive the upsert");
}

// ----------------------------------------------------------------------
// lineage
// ----------------------------------------------------------------------

#[test]
fn lineage_both_directions() {
    let cat = mem();
    cat.register_dataset(&dataset("popolazione")).unwrap();
    cat.register_dataset(&dataset("famiglie")).unwrap();
    let run1 = cat.start_run("anagrafe", "p", Trigger::Manual, "{}").unwrap();
    let run2 = cat.start_run("anagrafe", "p", Trigger::Manual, "{}").unwrap();
    let a_csv = "file:///data/015146/anagrafe.csv";
    let b_xlsx = "s3://comuni/015146/famiglie.xlsx";

    let pop1 = cat
        .add_version(&version("popolazione", Some("015146"), run1, 10))
        .unwrap();
    let fam1 = cat.add_version(&version("famiglie", None, run1, 3)).unwrap();
    let pop2 = cat
        .add_version(&version("popolazione", Some("015146"), run2, 11))
        .unwrap();

    cat.add_lineage(run1, a_csv, "sha256:a1", pop1).unwrap();
    cat.add_lineage(run1, b_xlsx, "sha256:b1", pop1).unwrap();
    cat.add_lineage(run1, a_csv, "sha256:a1", fam1).unwrap();
    cat.add_lineage(run2, a_csv, "sha256:a2", pop2).unwrap();
    cat.add_lineage(run2, a_csv, "sha256:a2", pop2).unwrap(); // duplicate: no-op

    let up = cat.lineage_of(pop1).unwrap();
    assert_eq!(
        up,
        vec![
            LineageEdge {
                input_url: a_csv.into(),
                input_fingerprint: "sha256:a1".into(),
                run: run1,
                output: pop1
            },
            LineageEdge {
                input_url: b_xlsx.into(),
                input_fingerprint: "sha256:b1".into(),
                run: run1,
                output: pop1
            },
        ]
    );
    assert_eq!(cat.lineage_of(pop2).unwrap().len(), 1);

    let down = cat.outputs_of_input(a_csv).unwrap();
    assert_eq!(
        down,
        vec![
            (pop2, "popolazione".to_string(), Some("015146".to_string())),
            (fam1, "famiglie".to_string(), None),
            (pop1, "popolazione".to_string(), Some("015146".to_string())),
        ]
    );
    assert_eq!(
        cat.outputs_of_input(b_xlsx).unwrap(),
        vec![(pop1, "popolazione".into(), Some("015146".into()))]
    );
    assert!(cat.outputs_of_input("file:///nowhere").unwrap().is_empty());

    // errors
    assert!(matches!(
        cat.add_lineage(run1, a_csv, "x", VersionId(999)),
        Err(CatalogError::VersionNotFound(VersionId(999)))
    ));
    assert!(matches!(
        cat.add_lineage(run2, a_csv, "x", pop1),
        Err(CatalogError::InvalidInput { .. })
    ));
    assert_eq!(count(&cat, "SELECT COUNT(*) FROM lineage"), 4);
}

// ----------------------------------------------------------------------
// transactions
// ----------------------------------------------------------------------

#[test]
fn transaction_commits_and_rolls_back() {
    let mut cat = mem();
    let run = cat
        .transaction(|c| {
            let run = c.start_run("anagrafe", "p", Trigger::Manual, "{}")?;
            c.record_source(run, &processed("015146", "anagrafe", 3, 3, 0))?;
            c.set_fingerprint("anagrafe/015146", "fp1", run)?;
            Ok(run)
        })
        .unwrap();
    assert_eq!(cat.sources(run).unwrap().len(), 1);
    assert_eq!(
        cat.fingerprint("anagrafe/015146").unwrap().as_deref(),
        Some("fp1")
    );

    // an error anywhere rolls back everything done in the closure
    let err = cat
        .transaction(|c| {
            let r = c.start_run("anagrafe", "p", Trigger::Manual, "{}")?;
            c.set_fingerprint("anagrafe/015146", "fp2", r)?;
            c.record_source(r, &processed("015146", "anagrafe", 3, 1, 0))?; // broken accounting
            Ok(r)
        })
        .unwrap_err();
    assert!(matches!(err, CatalogError::Accounting { .. }));
    assert_eq!(count(&cat, "SELECT COUNT(*) FROM runs"), 1);
    assert_eq!(
        cat.fingerprint("anagrafe/015146").unwrap().as_deref(),
        Some("fp1")
    );
    assert!(cat.conn().is_autocommit(), "no transaction left open");

    // a failed call inside the closure undoes only itself when handled
    cat.transaction(|c| {
        let r = c.start_run("tributi", "p", Trigger::Manual, "{}")?;
        c.record_source(r, &processed("015146", "tributi", 5, 5, 0))?;
        assert!(c.add_version(&version("nessuno", None, r, 1)).is_err());
        assert!(c
            .record_source(RunId(9999), &processed("015146", "tributi", 1, 1, 0))
            .is_err());
        c.record_source(r, &processed("015002", "tributi", 1, 1, 0))?;
        Ok(())
    })
    .unwrap();
    assert_eq!(count(&cat, "SELECT COUNT(*) FROM runs"), 2);
    assert_eq!(count(&cat, "SELECT COUNT(*) FROM source_accounting"), 3);

    // a panic rolls back too
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = cat.transaction(|c| {
            c.start_run("panico", "p", Trigger::Manual, "{}")?;
            panic!("boom");
            #[allow(unreachable_code)]
            Ok(())
        });
    }));
    assert!(outcome.is_err());
    assert!(cat.conn().is_autocommit());
    let f = RunFilter {
        job: Some("panico".into()),
        ..Default::default()
    };
    assert!(cat.runs(&f).unwrap().is_empty());
    // and the catalog is still usable
    cat.start_run("dopo", "p", Trigger::Manual, "{}").unwrap();
}

// ----------------------------------------------------------------------
// files and concurrency
// ----------------------------------------------------------------------

#[test]
fn file_catalog_persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dirs/catalog.sqlite");
    assert!(!path.parent().unwrap().exists());
    let (run, v) = {
        let cat = Catalog::open(&path).unwrap();
        assert_eq!(cat.path(), Some(path.as_path()));
        let run = cat
            .start_run("anagrafe", "p", Trigger::Scheduled, "{\"a\":1}")
            .unwrap();
        let mut acc = processed("015146", "anagrafe", 5, 4, 1);
        acc.repairs.insert("trim".into(), 2);
        cat.record_source(run, &acc).unwrap();
        cat.set_fingerprint("anagrafe/015146", "fp", run).unwrap();
        cat.register_dataset(&dataset("popolazione")).unwrap();
        let v = cat
            .add_version(&version("popolazione", Some("015146"), run, 4))
            .unwrap();
        cat.add_lineage(run, "file:///a.csv", "fp", v).unwrap();
        cat.finish_run(run, RunStatus::Succeeded, None).unwrap();
        (run, v)
    };
    assert!(path.exists());
    let cat = Catalog::open(&path).unwrap();
    let r = cat.run(run).unwrap().unwrap();
    assert_eq!(r.status, RunStatus::Succeeded);
    assert_eq!(r.params_json, "{\"a\":1}");
    assert_eq!((r.rows_read, r.rows_written, r.rows_quarantined), (5, 4, 1));
    assert_eq!(cat.sources(run).unwrap()[0].repairs.get("trim"), Some(&2));
    assert_eq!(cat.fingerprint("anagrafe/015146").unwrap().as_deref(), Some("fp"));
    assert_eq!(cat.datasets().unwrap()[0].total_rows, 4);
    assert_eq!(cat.lineage_of(v).unwrap().len(), 1);
    // numbering continues after reopen
    let v2 = cat
        .add_version(&version("popolazione", Some("015146"), run, 6))
        .unwrap();
    assert_eq!(cat.version(v2).unwrap().unwrap().version, 2);
}

#[test]
fn two_connections_on_one_file_write_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    // Open both before writing: both see the same, already migrated, file.
    let a = Catalog::open(&path).unwrap();
    let b = Catalog::open(&path).unwrap();
    a.register_dataset(&dataset("popolazione")).unwrap();

    const N: usize = 40;
    let work = |cat: Catalog, job: &'static str, part: &'static str| {
        std::thread::spawn(move || {
            let mut cat = cat;
            for i in 0..N {
                cat.transaction(|c| {
                    let run = c.start_run(job, "p", Trigger::Manual, "{}")?;
                    let n = i as u64 + 1;
                    c.record_source(run, &processed(part, job, n, n, 0))?;
                    c.add_version(&version("popolazione", Some(part), run, n))?;
                    c.set_fingerprint(&format!("{job}/{part}"), &format!("fp{i}"), run)?;
                    c.finish_run(run, RunStatus::Succeeded, None)
                })
                .unwrap();
                // Leave the write lock free for a moment so the writers interleave.
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            cat
        })
    };
    let ta = work(a, "job-a", "015146");
    let tb = work(b, "job-b", "015002");
    let a = ta.join().expect("writer a");
    let b = tb.join().expect("writer b");

    // each side sees everything both wrote
    for cat in [&a, &b] {
        assert_eq!(cat.runs(&RunFilter::default()).unwrap().len(), 2 * N);
        let s = cat.datasets().unwrap();
        assert_eq!(s[0].partitions, 2);
        assert_eq!(s[0].total_rows, 2 * N as u64);
        for part in ["015146", "015002"] {
            let vs = cat.versions("popolazione", Some(part)).unwrap();
            let nums: Vec<u32> = vs.iter().map(|v| v.version).collect();
            assert_eq!(nums, (1..=N as u32).rev().collect::<Vec<_>>());
        }
        assert_eq!(
            cat.fingerprint("job-a/015146").unwrap().as_deref(),
            Some(format!("fp{}", N - 1).as_str())
        );
    }
    drop(a);
    drop(b);
    // and it is all on disk
    let c = Catalog::open(&path).unwrap();
    assert_eq!(c.runs(&RunFilter::default()).unwrap().len(), 2 * N);
}

#[cfg(unix)]
#[test]
fn the_catalog_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/catalog.sqlite");
    let cat = Catalog::open(&path).unwrap();
    cat.start_run("anagrafe", "anagrafe-v1", Trigger::Manual, "{}")
        .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    let wal = dir.path().join("sub/catalog.sqlite-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600, "SQLite gives the WAL the database's mode");
    }
    drop(cat);
    // An older catalog created world-readable is narrowed when opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    Catalog::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
}
