//! End-to-end tests of the sociale pipeline through the `metrodati` binary:
//! sample → run anagrafe → run sociale on comuni of both Cartella Sociale
//! layouts (CSV with decimal comma, XLSX per area): row accounting per
//! source, the social workers' mistakes found in the quarantine, the
//! beneficiaries linked to `persona`, reruns that do no work, and the
//! tables checked by frictionless against their published Table Schemas.

use metrodati_catalog::{RunFilter, SourceStatus};
use metrodati_pipelines::config::SourceDefinition;
use metrodati_pipelines::sample::sociale::{DEFECTS, REPAIRED};
use metrodati_pipelines::store::{partition_file, read_partition};
use polars::prelude::DataFrame;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::process::Command;

mod common;
use common::*;

/// Milano (cartella A, CSV), Corsico (cartella B, XLSX), Abbiategrasso
/// (cartella A; its anagrafe is ODS).
const COMUNI: &str = "015002,015093,015146";
const TABLES: [&str; 3] = ["prestazione_sociale", "valutazione_sina", "caso_sinba"];

/// The mistakes `metrodati sample` reports having injected into the
/// Cartella Sociale exports ("injected mistakes: amount_missing 3, ...").
fn injected(stdout: &str) -> BTreeMap<String, u64> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("cartelle sociali:"))
        .unwrap_or_else(|| panic!("no cartelle sociali line in {stdout}"));
    let list = line.split("injected mistakes: ").nth(1).unwrap();
    list.split(", ")
        .map(|kv| {
            let (k, v) = kv.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

/// Every value of a string column.
fn strings(df: &DataFrame, column: &str) -> Vec<String> {
    df.column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect()
}

/// Rules (entries files) and repair kinds (repair logs) in a run's quarantine.
fn quarantine_contents(dir: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut rules = BTreeSet::new();
    let mut repairs = BTreeSet::new();
    for comune in std::fs::read_dir(dir).unwrap().flatten() {
        if !comune.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(comune.path()).unwrap().flatten() {
            let name = f.file_name().to_string_lossy().to_string();
            if name.ends_with(".repairs.parquet") {
                repairs.extend(strings(&read_partition(&f.path()).unwrap(), "kind"));
            } else if name.ends_with(".parquet") && !name.ends_with(".rows.parquet") {
                rules.extend(strings(&read_partition(&f.path()).unwrap(), "rule"));
            }
        }
    }
    (rules, repairs)
}

#[test]
fn sociale_sample_run_accounts_links_beneficiaries_and_reruns_do_no_work() {
    let env = Env::new();
    let out = env.run(&["sample", "--scale", "0.005", "--comuni", COMUNI]);
    assert!(out.status.success());
    let mistakes = injected(&String::from_utf8_lossy(&out.stdout));
    assert!(mistakes.values().sum::<u64>() > 0, "{mistakes:?}");
    env.run_ok(&["run", "anagrafe", "--comuni", COMUNI]);
    let out = env.run(&["run", "sociale", "--comuni", COMUNI]);
    assert!(out.status.success(), "the sample must not fail any comune");
    assert!(String::from_utf8_lossy(&out.stdout).contains("= written"));

    let cat = env.catalog();
    let runs = cat.runs(&RunFilter::default()).unwrap();
    assert_eq!(runs.len(), 2);
    let run = runs[0].id;
    assert_eq!(runs[0].pipeline, "sociale");
    let sources = cat.sources(run).unwrap();

    // Accounting: per source, read = written + quarantined; per table, the
    // rows written by its sources are the partition's rows.
    let (defs, errors) = SourceDefinition::load_dir(&root().join("comuni"));
    assert!(errors.is_empty(), "{errors:?}");
    let mut quarantined = 0;
    for c in COMUNI.split(',') {
        let def = defs.iter().find(|d| d.istat() == c).unwrap();
        let mut written: BTreeMap<&str, u64> = BTreeMap::new();
        for spec in &def.sociale {
            let s = sources
                .iter()
                .find(|s| s.comune == c && s.source == spec.name)
                .unwrap_or_else(|| panic!("{c}/{} not recorded", spec.name));
            assert_eq!(s.status, SourceStatus::Processed, "{s:?}");
            assert_eq!(s.rows_read, s.rows_written + s.rows_quarantined, "{s:?}");
            quarantined += s.rows_quarantined;
            *written.entry(spec.kind().unwrap().entity()).or_default() += s.rows_written;
        }
        for table in TABLES {
            let df = env.partition(table, c);
            assert_eq!(
                df.height() as u64,
                written.get(table).copied().unwrap_or(0),
                "{table} {c}"
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(partition_file(&env.store(), table, c))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "personal data must be private");
            }
        }
        assert!(env.partition("prestazione_sociale", c).height() > 0, "{c}");
    }
    assert!(quarantined > 0, "the social workers' mistakes must be caught");

    // Every injected mistake is found by its rule in the quarantine files.
    let (rules, repairs) = quarantine_contents(&env.data().join("quarantine").join(format!("run-{run}")));
    for (defect, expected) in DEFECTS {
        if mistakes.get(*defect).copied().unwrap_or(0) > 0 {
            assert!(
                expected.iter().any(|r| rules.contains(*r)),
                "`{defect}` injected {} times, none of {expected:?} in the quarantine: {rules:?}",
                mistakes[*defect]
            );
        }
    }
    for (defect, kinds) in REPAIRED {
        if mistakes.get(*defect).copied().unwrap_or(0) > 0 {
            assert!(
                kinds.iter().any(|k| repairs.contains(*k)),
                "{defect}: {repairs:?}"
            );
        }
    }

    // Beneficiaries are linked to persona: the flag says whether the
    // codice fiscale is a resident's, and only injected outsiders are not.
    let mut not_resident = 0u64;
    let mut resident = 0u64;
    for c in COMUNI.split(',') {
        let persona: HashSet<String> = strings(&env.partition("persona", c), "tax_code")
            .into_iter()
            .collect();
        for table in TABLES {
            let df = env.partition(table, c);
            let codes = strings(&df, "tax_code");
            let flags = df.column("beneficiary_resident").unwrap().bool().unwrap().clone();
            for (code, flag) in codes.iter().zip(flags.iter()) {
                let flag = flag.expect("never null");
                assert_eq!(flag, persona.contains(code), "{table} {c} {code}");
                if flag {
                    resident += 1;
                } else {
                    not_resident += 1;
                }
            }
        }
    }
    let warned: u64 = cat
        .quality(run)
        .unwrap()
        .iter()
        .filter(|(_, _, q)| q.rule == "beneficiary_not_resident")
        .map(|(_, _, q)| q.count)
        .sum();
    assert_eq!(not_resident, warned, "every non-resident is kept and warned");
    assert_eq!(
        not_resident, mistakes["not_resident"],
        "only the injected outsiders"
    );
    assert!(
        resident > 20 * not_resident.max(1),
        "{resident} residents, {not_resident} not"
    );

    // Lineage: the prestazioni derive from the exports and from persona.
    let v = cat
        .versions("interop.prestazione_sociale", Some("comune=015146"))
        .unwrap();
    assert_eq!(v.len(), 1);
    let lineage = cat.lineage_of(v[0].id).unwrap();
    assert!(
        lineage.iter().any(|l| l.input_url.contains("persona")),
        "{lineage:?}"
    );
    assert!(lineage.iter().any(|l| l.input_url.contains("CS_PRESTAZIONI_")));

    // A rerun with unchanged inputs does no work...
    let mtimes = || -> Vec<std::time::SystemTime> {
        COMUNI
            .split(',')
            .flat_map(|c| TABLES.iter().map(move |t| (c, *t)))
            .map(|(c, t)| {
                std::fs::metadata(partition_file(&env.store(), t, c))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect()
    };
    let before = mtimes();
    env.run_ok(&["run", "sociale", "--comuni", COMUNI]);
    let cat = env.catalog();
    let last = cat.runs(&RunFilter::default()).unwrap()[0].id;
    let second = cat.sources(last).unwrap();
    assert!(!second.is_empty());
    assert!(
        second.iter().all(|s| s.status == SourceStatus::Unchanged),
        "{second:?}"
    );
    assert_eq!(mtimes(), before, "partitions rewritten");
    // ...and so does one after an anagrafe that reproduced the same persona.
    env.run_ok(&["run", "anagrafe", "--comuni", COMUNI, "--force"]);
    env.run_ok(&["run", "sociale", "--comuni", COMUNI]);
    let cat = env.catalog();
    let last = cat.runs(&RunFilter::default()).unwrap()[0].id;
    assert!(cat
        .sources(last)
        .unwrap()
        .iter()
        .all(|s| s.status == SourceStatus::Unchanged));
    assert_eq!(mtimes(), before);
    assert_eq!(
        cat.versions("interop.prestazione_sociale", Some("comune=015146"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn sociale_needs_the_anagrafe_first() {
    let env = Env::new();
    let comune = "015093";
    env.run_ok(&["sample", "--scale", "0.002", "--comuni", comune]);
    let out = env.run(&["run", "sociale", "--comuni", comune]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("partizione persona assente"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for t in TABLES {
        assert!(!partition_file(&env.store(), t, comune).exists());
    }
}

#[test]
fn sociale_tables_conform_to_the_published_table_schemas() {
    // frictionless checks every sociale table of both layouts, exported as
    // CSV, against docs/schema/<table>.schema.json (types, patterns, enums,
    // required fields, primary key).
    if Command::new("python3")
        .args(["-c", "import frictionless"])
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        panic!("frictionless is not installed: run `pip install frictionless` (scripts/test.sh does)");
    }
    let env = Env::new();
    let list = "015146,015093";
    env.run_ok(&["sample", "--scale", "0.003", "--comuni", list]);
    env.run_ok(&["run", "anagrafe", "--comuni", list]);
    env.run_ok(&["run", "sociale", "--comuni", list]);
    for table in TABLES {
        let mut rows = 0;
        for c in list.split(',') {
            rows += env.assert_conforms(table, c);
        }
        assert!(rows > 0, "{table}: nothing checked");
    }
}
