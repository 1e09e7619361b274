//! End-to-end tests of the `metrodati` binary on a small generated sample:
//! sample → run → catalog, store and quarantine; reruns; atomic partitions.

use metrodati_catalog::{Catalog, RunFilter, SourceStatus};
use metrodati_pipelines::config::SourceDefinition;
use metrodati_pipelines::store::{file_sha256, partition_file, read_partition};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

/// Milano plus the first comune of every other format, so that every reader
/// is exercised end to end.
fn comuni_of_every_format() -> Vec<String> {
    let (defs, errors) = SourceDefinition::load_dir(&root().join("comuni"));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(defs.len(), 133);
    let mut picked = vec!["015146".to_string()];
    let mut formats = BTreeSet::new();
    for d in &defs {
        let f: Vec<String> = d
            .anagrafe
            .iter()
            .map(|s| format!("{}/{:?}", s.read.format, s.read.encoding))
            .collect();
        for k in f {
            if formats.insert(k) && !picked.contains(&d.istat().to_string()) {
                picked.push(d.istat().to_string());
            }
        }
    }
    picked.sort();
    picked
}

#[test]
fn sample_run_accounts_for_every_row_and_reruns_do_no_work() {
    let env = Env::new();
    let comuni = comuni_of_every_format();
    let list = comuni.join(",");
    env.run_ok(&["sample", "--scale", "0.002", "--comuni", &list]);
    let out = env.run(&["run", "anagrafe", "--comuni", &list]);
    assert!(out.status.success(), "the sample must not fail any comune");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("= written"), "accounting printed: {stdout}");

    let cat = env.catalog();
    let runs = cat.runs(&RunFilter::default()).unwrap();
    assert_eq!(runs.len(), 1);
    let run = runs[0].id;
    let sources = cat.sources(run).unwrap();
    let seen: BTreeSet<&str> = sources.iter().map(|s| s.comune.as_str()).collect();
    assert_eq!(seen.len(), comuni.len());
    let mut quarantined = 0;
    for s in &sources {
        assert_eq!(s.status, SourceStatus::Processed, "{s:?}");
        assert!(s.rows_read > 0, "{s:?}");
        assert_eq!(s.rows_read, s.rows_written + s.rows_quarantined, "{s:?}");
        quarantined += s.rows_quarantined;
    }
    assert!(quarantined > 0, "the sample's defects must be caught");
    // Store: every partition readable, persona rows = rows written.
    for c in &comuni {
        let written: u64 = sources
            .iter()
            .filter(|s| &s.comune == c)
            .map(|s| s.rows_written)
            .sum();
        let persona = read_partition(&partition_file(&env.store(), "persona", c)).unwrap();
        assert_eq!(persona.height() as u64, written, "comune {c}");
        let residenza = read_partition(&partition_file(&env.store(), "residenza", c)).unwrap();
        assert_eq!(residenza.height(), persona.height());
        let famiglia = read_partition(&partition_file(&env.store(), "famiglia", c)).unwrap();
        assert!(famiglia.height() > 0 && famiglia.height() <= persona.height());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(partition_file(&env.store(), "persona", c))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "personal data must be private");
        }
    }
    // Quarantine files exist, are private, and name rule codes.
    let q = cat.quality(run).unwrap();
    let rules: BTreeSet<String> = q.iter().map(|(_, _, r)| r.rule.clone()).collect();
    for expected in ["cf_check_char", "duplicate_row"] {
        assert!(rules.contains(expected), "rule {expected} not found in {rules:?}");
    }
    let xlsx: Vec<&String> = sources
        .iter()
        .filter_map(|s| s.quarantine_path.as_ref())
        .collect();
    assert!(!xlsx.is_empty());
    for p in xlsx {
        assert!(Path::new(p).exists(), "{p}");
    }
    // Datasets and lineage.
    let ds = cat.datasets().unwrap();
    let persona = ds.iter().find(|d| d.name == "interop.persona").unwrap();
    assert_eq!(persona.partitions as usize, comuni.len());
    let v = cat.versions("interop.persona", Some("comune=015146")).unwrap();
    assert_eq!(v.len(), 1);
    assert!(!cat.lineage_of(v[0].id).unwrap().is_empty());

    // A rerun with unchanged inputs does no work.
    let before: Vec<(PathBuf, std::time::SystemTime)> = comuni
        .iter()
        .map(|c| {
            let p = partition_file(&env.store(), "persona", c);
            let m = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p, m)
        })
        .collect();
    let out = env.run(&["run", "anagrafe", "--comuni", &list]);
    assert!(out.status.success());
    let cat = env.catalog();
    let runs = cat.runs(&RunFilter::default()).unwrap();
    let second = cat.sources(runs[0].id).unwrap();
    assert!(
        second.iter().all(|s| s.status == SourceStatus::Unchanged),
        "{second:?}"
    );
    for (p, m) in before {
        assert_eq!(
            std::fs::metadata(&p).unwrap().modified().unwrap(),
            m,
            "{} rewritten",
            p.display()
        );
    }
    assert_eq!(
        cat.versions("interop.persona", Some("comune=015146"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn changed_inputs_give_the_same_outputs_as_a_fresh_run() {
    let comune = "015146";
    let a = Env::new();
    a.run_ok(&["sample", "--scale", "0.001", "--comuni", comune]);
    a.run_ok(&["run", "anagrafe", "--comuni", comune]);
    // New inputs (another seed), processed incrementally...
    a.run_ok(&["sample", "--scale", "0.001", "--seed", "7", "--comuni", comune]);
    a.run_ok(&["run", "anagrafe", "--comuni", comune]);
    // ...and from scratch.
    let b = Env::new();
    b.run_ok(&["sample", "--scale", "0.001", "--seed", "7", "--comuni", comune]);
    b.run_ok(&["run", "anagrafe", "--comuni", comune]);
    for table in ["persona", "famiglia", "residenza"] {
        let fa = file_sha256(&partition_file(&a.store(), table, comune)).unwrap();
        let fb = file_sha256(&partition_file(&b.store(), table, comune)).unwrap();
        assert_eq!(fa, fb, "{table} differs between incremental and fresh run");
    }
    assert_eq!(
        a.catalog()
            .versions("interop.persona", Some("comune=015146"))
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn killing_a_run_never_exposes_a_partial_partition() {
    let comune = "015146";
    let env = Env::new();
    env.run_ok(&["sample", "--scale", "0.01", "--comuni", comune]);
    let started = std::time::Instant::now();
    env.run_ok(&["run", "anagrafe", "--comuni", comune, "--batch-rows", "500"]);
    let full_run = started.elapsed();
    let file = partition_file(&env.store(), "persona", comune);
    let tables = ["persona", "famiglia", "residenza"];
    let hashes = || -> Vec<String> {
        tables
            .iter()
            .map(|t| file_sha256(&partition_file(&env.store(), t, comune)).unwrap())
            .collect()
    };
    let old = hashes();
    // New inputs; kill the run at increasing delays, checking the partition each time.
    env.run_ok(&["sample", "--scale", "0.01", "--seed", "99", "--comuni", comune]);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut reads = 0u64;
    let mut observed = Vec::new();
    std::thread::scope(|s| {
        // A reader that keeps opening the partition while runs are killed.
        let reader = s.spawn(|| {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let df = read_partition(&file).expect("partition always readable");
                assert!(df.height() > 0);
                n += 1;
                // Leave the CPU to the run being killed.
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            n
        });
        for i in 0..8u64 {
            let mut child = env
                .cmd(&[
                    "run",
                    "anagrafe",
                    "--comuni",
                    comune,
                    "--force",
                    "--batch-rows",
                    "500",
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(env.dir.path().join(format!("kill-{i}.log"))).unwrap())
                .spawn()
                .unwrap();
            // From early in the run to after its end.
            std::thread::sleep(full_run.mul_f64(0.1 + 0.25 * i as f64));
            if let Ok(Some(status)) = child.try_wait() {
                eprintln!("run {i} ended by itself: {status}");
            }
            let _ = child.kill();
            let _ = child.wait();
            for t in tables {
                let df =
                    read_partition(&partition_file(&env.store(), t, comune)).expect("readable after kill");
                assert!(df.height() > 0);
            }
            observed.push(hashes());
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        reads = reader.join().unwrap();
    });
    assert!(reads > 0);
    // A complete run afterwards succeeds and removes leftover temporary files.
    env.run_ok(&[
        "run",
        "anagrafe",
        "--comuni",
        comune,
        "--force",
        "--batch-rows",
        "500",
    ]);
    let new = hashes();
    for i in 0..tables.len() {
        assert_ne!(new[i], old[i], "new inputs give a new {} partition", tables[i]);
    }
    let label = |h: &Vec<String>| {
        if h == &old {
            "old"
        } else if h == &new {
            "new"
        } else {
            "mixed"
        }
    };
    eprintln!(
        "after each kill: {:?}",
        observed.iter().map(label).collect::<Vec<_>>()
    );
    // At least the first kill interrupted a run before its commit, or the test proves nothing.
    assert_eq!(
        observed[0], old,
        "the first kill came after the run had finished; lengthen the input"
    );
    // Every state seen after a kill is the complete old or new file of each table
    // (outputs are deterministic, so "new" is what the final run wrote).
    for h in &observed {
        for i in 0..tables.len() {
            assert!(
                h[i] == old[i] || h[i] == new[i],
                "a partial {} partition was visible",
                tables[i]
            );
        }
    }
    let dir = file.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn check_reports_errors_with_file_line_and_key() {
    let env = Env::new();
    let sources = env.dir.path().join("comuni");
    std::fs::create_dir_all(&sources).unwrap();
    let good = std::fs::read_to_string(root().join("comuni/015002.toml")).unwrap();
    std::fs::write(
        sources.join("015002.toml"),
        good.replacen("tax_code", "codice_fiscale", 1),
    )
    .unwrap();
    let jobs = env.dir.path().join("jobs.toml");
    std::fs::write(&jobs, "[jobs.x]\npipeline = \"nope\"\ncomuni = [\"015002\"]\n").unwrap();
    std::fs::write(
        env.dir.path().join("metrodati.toml"),
        "sources_dir = \"comuni\"\njobs_file = \"jobs.toml\"\n",
    )
    .unwrap();
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("jobs.toml:2: key `jobs.x.pipeline`"), "{err}");
    assert!(
        err.contains("015002.toml:") && err.contains("codice_fiscale"),
        "{err}"
    );
    // The repository's own configuration is valid.
    let out = Command::new(env!("CARGO_BIN_EXE_metrodati"))
        .current_dir(root())
        .arg("check")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_store_conforms_to_the_published_table_schemas() {
    // An independent validator (frictionless) checks every table of two
    // comuni, exported as CSV, against docs/schema/<table>.schema.json.
    if std::process::Command::new("python3")
        .args(["-c", "import frictionless"])
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        panic!("frictionless is not installed: run `pip install frictionless` (scripts/test.sh does)");
    }
    let env = Env::new();
    let list = "015146,015002";
    env.run_ok(&["sample", "--scale", "0.002", "--comuni", list]);
    env.run_ok(&["run", "anagrafe", "--comuni", list]);
    for table in ["persona", "famiglia", "residenza"] {
        for c in list.split(',') {
            env.assert_conforms(table, c);
        }
    }
}

#[test]
fn a_bad_export_never_replaces_good_data() {
    // 015005 (Albairate) exports a Windows-1252 CSV.
    let comune = "015005";
    let env = Env::new();
    env.run_ok(&["sample", "--scale", "0.05", "--comuni", comune]);
    env.run_ok(&["run", "anagrafe", "--comuni", comune]);
    let tables = ["persona", "famiglia", "residenza"];
    let hashes = || -> Vec<String> {
        tables
            .iter()
            .map(|t| file_sha256(&partition_file(&env.store(), t, comune)).unwrap())
            .collect()
    };
    let before = hashes();
    let export_dir = env.data().join("sample/anagrafe").join(comune);
    let files: Vec<PathBuf> = std::fs::read_dir(&export_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    assert!(!files.is_empty(), "015005 is expected to export CSV");

    // 1. An export with only its header: the comune fails, its data stays.
    let original: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    for (f, bytes) in files.iter().zip(&original) {
        let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        std::fs::write(f, &bytes[..header_end]).unwrap();
    }
    let out = env.run(&["run", "anagrafe", "--comuni", comune]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nessuna riga di dati"));
    assert_eq!(hashes(), before, "a header-only export replaced the data");
    for (f, bytes) in files.iter().zip(&original) {
        std::fs::write(f, bytes).unwrap();
    }

    // 2. A wrong mapping that rejects most rows: the comune fails, its data stays.
    let sources = env.dir.path().join("comuni");
    std::fs::create_dir_all(&sources).unwrap();
    let def = std::fs::read_to_string(root().join("comuni").join(format!("{comune}.toml"))).unwrap();
    let place = def
        .lines()
        .find(|l| l.trim_start().starts_with("birth_place_code"))
        .unwrap();
    let name = def
        .lines()
        .find(|l| l.trim_start().starts_with("family_name"))
        .unwrap();
    let column = name.split_once('=').unwrap().1.trim();
    std::fs::write(
        sources.join(format!("{comune}.toml")),
        def.replace(place, &format!("birth_place_code = {column}")),
    )
    .unwrap();
    let settings_path = env.dir.path().join("metrodati.toml");
    let settings = std::fs::read_to_string(&settings_path).unwrap();
    let sources_line = settings.lines().find(|l| l.starts_with("sources_dir")).unwrap();
    std::fs::write(
        &settings_path,
        settings.replace(sources_line, "sources_dir = \"comuni\""),
    )
    .unwrap();
    let out = env.run(&["run", "anagrafe", "--comuni", comune]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("troppe righe scartate"));
    assert_eq!(hashes(), before, "a wrong mapping replaced the data");
    // The failed comune's accepted rows are not reported as written.
    let cat = env.catalog();
    let last = &cat.runs(&RunFilter::default()).unwrap()[0];
    assert_eq!(last.rows_written, 0);
    assert!(last.rows_quarantined > 0);
}

#[test]
fn spilling_per_comune_state_to_disk_gives_the_same_outputs() {
    // Memory is bounded whatever the size of a comune: past --in-memory-limit the duplicate check
    // and the family aggregates move to a private temporary file. The outputs must not change.
    let comune = "015146";
    let a = Env::new();
    let b = Env::new();
    for env in [&a, &b] {
        env.run_ok(&["sample", "--scale", "0.002", "--comuni", comune]);
    }
    a.run_ok(&["run", "anagrafe", "--comuni", comune]);
    b.run_ok(&["run", "anagrafe", "--comuni", comune, "--in-memory-limit", "50"]);
    for table in ["persona", "famiglia", "residenza"] {
        assert_eq!(
            file_sha256(&partition_file(&a.store(), table, comune)).unwrap(),
            file_sha256(&partition_file(&b.store(), table, comune)).unwrap(),
            "{table} differs when the state is spilled"
        );
    }
    let (ca, cb) = (a.catalog(), b.catalog());
    let (ra, rb) = (
        &ca.runs(&RunFilter::default()).unwrap()[0],
        &cb.runs(&RunFilter::default()).unwrap()[0],
    );
    assert_eq!(
        (ra.rows_read, ra.rows_written, ra.rows_quarantined),
        (rb.rows_read, rb.rows_written, rb.rows_quarantined)
    );
    let quality = |c: &Catalog, run| {
        let mut q: Vec<(String, u64)> = c
            .quality(run)
            .unwrap()
            .into_iter()
            .map(|(_, _, r)| (r.rule, r.count))
            .collect();
        q.sort();
        q
    };
    assert_eq!(
        quality(&ca, ra.id),
        quality(&cb, rb.id),
        "duplicate and family findings differ"
    );
}
