//! The sociale pipeline: prestazioni sociali, SINA assessments and SINBA
//! cases of a comune, from its Cartella Sociale exports (`[[sociale]]`
//! sources) to the interoperability schema.
//!
//! Per comune, like the anagrafe: resolve and fingerprint the exports
//! (unchanged inputs → no work), stream every row through mapping and
//! validation ([`metrodati_interop::validate::sociale`]), write valid rows
//! in batches and rejected rows to the quarantine, then replace the three
//! partitions atomically. Each source's `kind` says which table its rows
//! feed.
//!
//! **Link to `persona`.** Every row names its beneficiary by codice fiscale;
//! the pipeline reads the comune's current `persona` partition (written by
//! the anagrafe pipeline, which must have run first) and flags a row whose
//! beneficiary is not a resident with the warning `beneficiary_not_resident`
//! and `beneficiary_resident = false`: the row is kept (a benefit may
//! outlive a change of residence; the steward checks). The partition's hash
//! is part of the fingerprint, so a new anagrafe reprocesses the comune,
//! and of the lineage.
//!
//! Duplicates: the same identifier twice (`duplicate_row` when the rows are
//! equal, `duplicate_identifier` otherwise) and the same prestazione entered
//! twice under two identifiers (`duplicate_entry`) are rejected.

mod process;

pub use process::process_comune;

/// Pipeline name (in jobs.toml and the catalog).
pub const PIPELINE: &str = "sociale";

/// Version of the normalisation logic (part of every input fingerprint).
/// 2: the held rows of [`held_path`] (every comune is processed again, so
/// every comune gets the file).
pub const PIPELINE_VERSION: &str = "2";

/// Tables this pipeline writes.
pub const TABLES: [&str; 3] = ["prestazione_sociale", "valutazione_sina", "caso_sinba"];

/// The table the anagrafe writes and this pipeline links to.
pub const PERSONA: &str = "persona";

/// The rows of a comune rejected by its last successful run, as
/// `table,identifier` (CSV): records that are still in the Cartella Sociale
/// but not valid now. The siuss pipeline keeps what INPS has of them instead
/// of taking them for withdrawn.
pub fn held_path(store: &std::path::Path, istat: &str) -> std::path::PathBuf {
    store.join("held").join("sociale").join(format!("{istat}.csv"))
}

pub(crate) fn write_held(
    store: &std::path::Path,
    istat: &str,
    held: &std::collections::BTreeSet<(String, String)>,
) -> Result<(), String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["table", "identifier"])
        .map_err(|e| e.to_string())?;
    for (t, id) in held {
        w.write_record([t.as_str(), id.as_str()])
            .map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    metrodati_connectors::atomic::write_atomic_bytes(&held_path(store, istat), true, &bytes)
        .map_err(|e| e.to_string())
}

/// Every (table, identifier) of [`held_path`] (empty if there is no file).
pub(crate) fn read_held_all(
    store: &std::path::Path,
    istat: &str,
) -> Result<std::collections::BTreeSet<(String, String)>, String> {
    let path = held_path(store, istat);
    let mut out = std::collections::BTreeSet::new();
    if !path.exists() {
        return Ok(out);
    }
    let mut r = csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        if let (Some(t), Some(id)) = (rec.get(0), rec.get(1)) {
            out.insert((t.to_string(), id.to_string()));
        }
    }
    Ok(out)
}

/// The identifiers of [`held_path`] for one table; `None` if the comune has
/// no such file (processed by an older version: nothing is known).
pub fn read_held(
    store: &std::path::Path,
    istat: &str,
    table: &str,
) -> Result<Option<std::collections::HashSet<String>>, String> {
    if !held_path(store, istat).exists() {
        return Ok(None);
    }
    Ok(Some(
        read_held_all(store, istat)?
            .into_iter()
            .filter(|(t, _)| t == table)
            .map(|(_, id)| id)
            .collect(),
    ))
}
