//! Shared harness of the end-to-end tests: a data folder with its own
//! settings, and helpers to run the binary and read what it wrote.
#![allow(dead_code)]

use metrodati_catalog::Catalog;
use metrodati_pipelines::store::{partition_file, read_partition};
use polars::prelude::DataFrame;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shared() -> PathBuf {
    std::env::var_os("METRODATI_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
}

/// A data folder with its own settings file pointing at the repository's
/// source definitions and jobs, and at the ANPR archive in shared/.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env::with_settings("")
    }

    /// With more settings appended to metrodati.toml (e.g. a `[siuss]` section).
    pub fn with_settings(extra: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let archive = shared().join("refdata/ANPR_archivio_comuni.csv");
        assert!(archive.exists(), "ANPR archive missing at {}", archive.display());
        let settings = format!(
            "data_dir = \"data\"\nsources_dir = \"{}\"\njobs_file = \"{}\"\nanpr_archive = \"{}\"\n",
            root().join("comuni").display(),
            root().join("jobs.toml").display(),
            archive.display()
        );
        std::fs::write(dir.path().join("metrodati.toml"), format!("{settings}{extra}")).unwrap();
        Env { dir }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn store(&self) -> PathBuf {
        self.data().join("store")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_metrodati"));
        c.arg("--config")
            .arg(self.dir.path().join("metrodati.toml"))
            .args(args);
        c.env_remove("METRODATI_DATA_DIR")
            .env_remove("METRODATI_ANPR_ARCHIVE")
            .env_remove("METRODATI_SINBA_SECRET")
            .env_remove("METRODATI_SERVE_CONFIG");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().unwrap();
        let text = format!(
            "metrodati {args:?}\nstatus {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.code().is_some(), "{text}");
        eprintln!("{text}");
        out
    }

    /// Runs the binary and asserts that it succeeded; its standard output.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "metrodati {args:?} failed");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Checks a comune's partition of `table` against the published Table
    /// Schema (`docs/schema/<table>.schema.json`) with frictionless; returns
    /// its rows.
    pub fn assert_conforms(&self, table: &str, istat: &str) -> usize {
        let df = self.partition(table, istat);
        let csv = self.dir.path().join(format!("{table}-{istat}.csv"));
        frame_to_csv(&df, &csv);
        let schema = root().join(format!("docs/schema/{table}.schema.json"));
        let out = Command::new("python3")
            .args(["-m", "frictionless", "validate", "--trusted", "--schema"])
            .arg(&schema)
            .arg(&csv)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{table} {istat} does not conform to {}:\n{}{}",
            schema.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        df.height()
    }

    pub fn catalog(&self) -> Catalog {
        Catalog::open(&self.data().join("catalog.sqlite")).unwrap()
    }

    pub fn partition(&self, table: &str, istat: &str) -> DataFrame {
        read_partition(&partition_file(&self.store(), table, istat)).unwrap()
    }
}

/// Writes a frame as CSV (header, ISO dates, empty for null).
pub fn frame_to_csv(df: &DataFrame, path: &Path) {
    use polars::prelude::DataType;
    let cols: Vec<_> = df
        .columns()
        .iter()
        .map(|c| c.cast(&DataType::String).unwrap())
        .collect();
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(df.get_column_names().iter().map(|n| n.as_str()))
        .unwrap();
    for i in 0..df.height() {
        let row: Vec<String> = cols
            .iter()
            .map(|c| c.str().unwrap().get(i).unwrap_or("").to_string())
            .collect();
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}
