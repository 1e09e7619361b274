//! What every pipeline shares: options and outcomes of a comune, resolving
//! and fingerprinting its sources, streaming each file through the mapping
//! and the pipeline's validation into the store and the quarantine, and
//! the checks before a comune's partitions are replaced.
//!
//! A pipeline ([`crate::anagrafe`], [`crate::sociale`]) provides the row
//! handling (validate, detect duplicates, batch) and which tables it writes;
//! everything about files, quarantine, repairs, accounting and the
//! rejected-share guard is here, once.

use crate::config::Source;
use crate::mapping::{BoundMapping, Targets};
use crate::progress::Progress;
use crate::quarantine::{Quarantine, QuarantineEntry, RejectedRow, RepairEntry, RepairLog};
use crate::store::{CommittedPartition, PreparedPartition};
use metrodati_connectors::format::open_reader;
use metrodati_connectors::location::{resolve, SourceObject};
use metrodati_connectors::row::RowItem;
use metrodati_interop::anpr::ComuniArchive;
use metrodati_interop::validate::{Issue, Repair};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What processing a comune needs besides its definition.
pub struct Options<'a> {
    /// Folder relative source URLs are resolved against.
    pub data_dir: &'a Path,
    pub store: &'a Path,
    /// Quarantine folder of this run (`<quarantine>/run-<id>`).
    pub quarantine_dir: &'a Path,
    pub archive: Option<&'a ComuniArchive>,
    /// Identity of the archive (part of the fingerprint).
    pub archive_id: Option<&'a str>,
    pub today: chrono::NaiveDate,
    /// Fingerprint of the last successful processing, from the catalog.
    pub previous_fingerprint: Option<&'a str>,
    /// Process even if the inputs are unchanged.
    pub force: bool,
    /// Rows per store batch (bounds memory).
    pub batch_rows: usize,
    /// Above this share of quarantined rows the comune's partitions are not
    /// replaced (a wrong mapping must not wipe the store).
    pub max_rejected_share: f64,
    /// Per-comune state entries (duplicates, families) kept in memory before
    /// spilling to a private temporary file: bounds peak memory whatever the
    /// size of a comune.
    pub in_memory_limit: usize,
    pub progress: &'a dyn Progress,
}

/// How a comune went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComuneStatus {
    /// New partitions written.
    Processed,
    /// Inputs unchanged since the last successful run: nothing done.
    Unchanged,
    /// Nothing replaced; the reason.
    Failed(String),
}

/// Accounting and results of one source of a comune.
#[derive(Debug, Clone, Default)]
pub struct SourceOutcome {
    pub name: String,
    /// (URL, sha256) of every input file (and of the store partitions the
    /// pipeline read, e.g. `persona` for the sociale link check).
    pub inputs: Vec<(String, String)>,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_quarantined: u64,
    pub repairs: BTreeMap<String, u64>,
    /// (rule, severity) → occurrences.
    pub quality: BTreeMap<(String, String), u64>,
    pub quarantine_files: Vec<PathBuf>,
    pub error: Option<String>,
}

/// The result of processing a comune.
#[derive(Debug, Clone)]
pub struct ComuneOutcome {
    pub istat: String,
    pub status: ComuneStatus,
    pub fingerprint: Option<String>,
    pub sources: Vec<SourceOutcome>,
    /// Committed partitions, by table.
    pub partitions: Vec<(&'static str, CommittedPartition)>,
}

impl ComuneOutcome {
    /// A comune whose processing hit an internal error (a bug, not the data).
    pub fn internal_error(istat: &str, what: &str) -> ComuneOutcome {
        ComuneOutcome::failed(
            istat,
            format!("errore interno durante l'elaborazione: {what}"),
            vec![],
        )
    }

    /// A comune that replaced nothing, with the reason.
    pub fn failed(istat: &str, reason: String, sources: Vec<SourceOutcome>) -> ComuneOutcome {
        ComuneOutcome {
            istat: istat.into(),
            status: ComuneStatus::Failed(reason),
            fingerprint: None,
            sources,
            partitions: vec![],
        }
    }

    /// A comune whose inputs are unchanged.
    pub fn unchanged(istat: &str, fingerprint: String, sources: Vec<SourceOutcome>) -> ComuneOutcome {
        ComuneOutcome {
            istat: istat.into(),
            status: ComuneStatus::Unchanged,
            fingerprint: Some(fingerprint),
            sources,
            partitions: vec![],
        }
    }

    /// The outcome of a processing attempt: processed with its partitions,
    /// or failed with the first source error (or the processing error).
    pub fn finished(
        istat: &str,
        fingerprint: String,
        sources: Vec<SourceOutcome>,
        result: Result<Vec<(&'static str, CommittedPartition)>, String>,
    ) -> ComuneOutcome {
        match result {
            Ok(partitions) => {
                if let Some(err) = sources.iter().find_map(|s| s.error.clone()) {
                    return ComuneOutcome::failed(istat, err, sources);
                }
                ComuneOutcome {
                    istat: istat.into(),
                    status: ComuneStatus::Processed,
                    fingerprint: Some(fingerprint),
                    sources,
                    partitions,
                }
            }
            Err(e) => ComuneOutcome::failed(istat, e, sources),
        }
    }
}

/// A source with its files and their hashes.
pub(crate) struct Resolved<'d, S> {
    pub spec: &'d S,
    pub objects: Vec<(SourceObject, String)>,
}

/// Resolves every source's URL and hashes its files into `fp`. A source
/// whose URL matches nothing (or cannot be listed or read) gets an error.
pub(crate) fn resolve_sources<'d, S: Source>(
    specs: &'d [S],
    data_dir: &Path,
    fp: &mut Sha256,
) -> (Vec<Resolved<'d, S>>, Vec<SourceOutcome>) {
    let mut resolved = Vec::with_capacity(specs.len());
    let mut sources = Vec::with_capacity(specs.len());
    for spec in specs {
        let mut so = SourceOutcome {
            name: spec.name().to_string(),
            ..Default::default()
        };
        let objects = match resolve(spec.url(), data_dir) {
            Ok(o) if o.is_empty() => {
                so.error = Some(format!("nessun file corrisponde a «{}»", spec.url()));
                Vec::new()
            }
            Ok(o) => o,
            Err(e) => {
                so.error = Some(e.to_string());
                Vec::new()
            }
        };
        let mut with_fp = Vec::new();
        for o in objects {
            match o.fingerprint() {
                Ok(h) => {
                    fp.update(format!("{}\t{h}\n", o.url()));
                    so.inputs.push((o.url().to_string(), h.clone()));
                    with_fp.push((o, h));
                }
                Err(e) => so.error = Some(e.to_string()),
            }
        }
        resolved.push(Resolved {
            spec,
            objects: with_fp,
        });
        sources.push(so);
    }
    (resolved, sources)
}

/// Whether every table's partition of the comune exists (an unchanged
/// fingerprint skips work only then).
pub(crate) fn partitions_exist(store: &Path, tables: &[&str], istat: &str) -> bool {
    tables
        .iter()
        .all(|t| crate::store::partition_file(store, t, istat).exists())
}

/// Where a row is, for the pipeline's own messages (duplicates).
#[derive(Clone, Copy)]
pub(crate) struct RowAt<'a> {
    pub file: &'a Arc<str>,
    pub line: u64,
}

/// What a pipeline decided about one mapped row.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    /// Errors (the row is rejected) and warnings (kept), from validation
    /// and from the pipeline (duplicates, links).
    pub issues: Vec<Issue>,
    pub repairs: Vec<Repair>,
    /// Written to the store (otherwise quarantined as read).
    pub accepted: bool,
}

/// Streams every file of a source through `handle`, recording rejected
/// rows, problems and repairs in the source's quarantine, and counting rows
/// in `so`. Returns the source's quarantine, to be finished once the whole
/// comune is known to be good.
pub(crate) fn run_source<S: Source, T: Targets>(
    r: &Resolved<'_, S>,
    so: &mut SourceOutcome,
    quarantine_dir: &Path,
    istat: &str,
    progress: &dyn Progress,
    mut handle: impl FnMut(&T::Input, RowAt<'_>) -> Result<Verdict, String>,
) -> Quarantine {
    let dir = quarantine_dir.join(istat);
    let mut q = Quarantine::new(&dir, &so.name);
    let mut repairs = RepairLog::new(dir.join(format!("{}.repairs.parquet", so.name)));
    for (object, _) in &r.objects {
        if let Err(e) = stream_file::<S, T>(r.spec, object, so, &mut q, &mut repairs, progress, &mut handle) {
            // Connector errors already name the file; the others are given it here.
            so.error = Some(e);
            break;
        }
    }
    match repairs.finish() {
        Ok(Some(path)) => so.quarantine_files.push(path),
        Ok(None) => {}
        Err(e) => so.error = Some(e.to_string()),
    }
    for (k, n) in q.quality() {
        *so.quality.entry(k.clone()).or_default() += n;
    }
    so.rows_quarantined = q.rejected_rows();
    q
}

#[allow(clippy::too_many_arguments)]
fn stream_file<S: Source, T: Targets>(
    spec: &S,
    object: &SourceObject,
    so: &mut SourceOutcome,
    q: &mut Quarantine,
    repairs: &mut RepairLog,
    progress: &dyn Progress,
    handle: &mut impl FnMut(&T::Input, RowAt<'_>) -> Result<Verdict, String>,
) -> Result<(), String> {
    let expected = BoundMapping::<T>::expected_columns(spec);
    let mut reader = open_reader(spec.read(), object, &expected).map_err(|e| e.to_string())?;
    let header = Arc::new(reader.header().to_vec());
    let sheet = reader.sheet().map(str::to_string);
    let mapping = BoundMapping::<T>::bind(spec, &header).map_err(|m| {
        // The header is not echoed: without one, it would be a row of personal data.
        format!(
            "{}: colonne mancanti nell'intestazione: {} (l'intestazione letta ha {} colonne: verificare \
             header_row, il separatore e i nomi delle colonne nella definizione)",
            object.url(),
            m.0.join(", "),
            header.len()
        )
    })?;
    let file: Arc<str> = Arc::from(object.url());
    let mut since_tick = 0u64;
    for item in reader.by_ref() {
        let item = item.map_err(|e| e.to_string())?;
        so.rows_read += 1;
        since_tick += 1;
        if since_tick == 1024 {
            progress.inc(since_tick);
            since_tick = 0;
        }
        match item {
            RowItem::Rejected(rej) => {
                q.add_entry(QuarantineEntry {
                    file: file.to_string(),
                    sheet: sheet.clone(),
                    row: rej.line,
                    column: rej.column.clone(),
                    field: None,
                    value: Some(rej.value.clone()),
                    rule: rej.code.to_string(),
                    severity: "error".into(),
                    message_it: rej.message_it.clone(),
                })
                .map_err(|e| e.to_string())?;
                q.add_row(RejectedRow {
                    file: file.to_string(),
                    sheet: sheet.clone(),
                    row: rej.line,
                    header: Arc::new(vec!["(riga originale)".to_string()]),
                    values: vec![Some(rej.value)],
                })
                .map_err(|e| e.to_string())?;
            }
            RowItem::Row(row) => {
                let input = mapping.input(&row.values);
                let verdict = handle(
                    &input,
                    RowAt {
                        file: &file,
                        line: row.line,
                    },
                )?;
                for rep in &verdict.repairs {
                    *so.repairs.entry(rep.kind.to_string()).or_default() += 1;
                    repairs
                        .push(RepairEntry {
                            file: file.clone(),
                            sheet: sheet.clone(),
                            row: row.line,
                            column: mapping.column_of(rep.field).map(str::to_string),
                            field: rep.field,
                            kind: rep.kind,
                            original: T::from_name(rep.field).and_then(|t| input.as_ref()[t.index()].clone()),
                        })
                        .map_err(|e| e.to_string())?;
                }
                for i in &verdict.issues {
                    q.add_entry(QuarantineEntry {
                        file: file.to_string(),
                        sheet: sheet.clone(),
                        row: row.line,
                        column: mapping.column_of(i.field).map(str::to_string),
                        field: Some(i.field.to_string()).filter(|f| !f.is_empty()),
                        value: i.value.clone(),
                        rule: i.code.to_string(),
                        severity: i.severity.as_str().to_string(),
                        message_it: i.message_it.clone(),
                    })
                    .map_err(|e| e.to_string())?;
                }
                if verdict.accepted {
                    so.rows_written += 1;
                } else {
                    q.add_row(RejectedRow {
                        file: file.to_string(),
                        sheet: sheet.clone(),
                        row: row.line,
                        header: header.clone(),
                        values: row.values,
                    })
                    .map_err(|e| e.to_string())?;
                }
            }
        }
    }
    progress.inc(since_tick);
    Ok(())
}

/// What an export with a header and no data rows means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmptySource {
    /// An error: a registry export is never empty (anagrafe).
    Fails,
    /// Possible (no SINBA case this month): a `source_empty` warning; the
    /// comune fails only when all its sources are empty (sociale).
    Warns,
}

/// The checks before a commit — empty sources, the share of rejected rows
/// (a wrong mapping must not wipe the store) — then the quarantine files
/// are written. Returns whether the comune may replace its partitions.
pub(crate) fn finish_sources(
    sources: &mut [SourceOutcome],
    quarantines: Vec<Quarantine>,
    max_rejected_share: f64,
    empty: EmptySource,
) -> bool {
    let all_empty = sources.iter().all(|s| s.rows_read == 0);
    for so in sources.iter_mut() {
        if so.error.is_none() && so.rows_read == 0 {
            if empty == EmptySource::Fails || all_empty {
                so.error = Some("nessuna riga di dati nei file della sorgente (solo intestazione?)".into());
            } else {
                *so.quality
                    .entry(("source_empty".into(), "warning".into()))
                    .or_default() += 1;
            }
        }
    }
    let read: u64 = sources.iter().map(|s| s.rows_read).sum();
    let rejected: u64 = sources.iter().map(|s| s.rows_quarantined).sum();
    if read > 0 && rejected as f64 / read as f64 > max_rejected_share {
        if let Some(first) = sources.iter_mut().find(|s| s.error.is_none()) {
            first.error = Some(format!(
                "troppe righe scartate: {rejected} su {read} ({:.0}%, soglia {:.0}%): partizioni non sostituite; \
                 controllare la mappatura delle colonne e il file di quarantena \
                 (per accettare: --max-rejected-share)",
                100.0 * rejected as f64 / read as f64,
                100.0 * max_rejected_share
            ));
        }
    }
    for (so, q) in sources.iter_mut().zip(quarantines) {
        match q.finish() {
            Ok(files) => so.quarantine_files.extend(files),
            Err(e) => so.error = Some(e.to_string()),
        }
    }
    sources.iter().all(|s| s.error.is_none())
}

/// Makes prepared partitions visible back to back (each an atomic rename).
pub(crate) fn publish(
    prepared: Vec<(&'static str, PreparedPartition)>,
) -> Result<Vec<(&'static str, CommittedPartition)>, String> {
    let mut out = Vec::with_capacity(prepared.len());
    for (table, p) in prepared {
        out.push((table, p.publish().map_err(|e| e.to_string())?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, read: u64, quarantined: u64) -> SourceOutcome {
        SourceOutcome {
            name: name.into(),
            rows_read: read,
            rows_written: read - quarantined,
            rows_quarantined: quarantined,
            ..Default::default()
        }
    }

    fn quarantines(dir: &Path, n: usize) -> Vec<Quarantine> {
        (0..n).map(|i| Quarantine::new(dir, &format!("q{i}"))).collect()
    }

    #[test]
    fn empty_sources_fail_or_warn() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = vec![source("a", 10, 1), source("b", 0, 0)];
        assert!(!finish_sources(
            &mut s,
            quarantines(dir.path(), 2),
            0.5,
            EmptySource::Fails
        ));
        assert!(s[1].error.as_deref().unwrap().contains("nessuna riga"));

        let mut s = vec![source("a", 10, 1), source("b", 0, 0)];
        assert!(finish_sources(
            &mut s,
            quarantines(dir.path(), 2),
            0.5,
            EmptySource::Warns
        ));
        assert_eq!(
            s[1].quality
                .get(&("source_empty".to_string(), "warning".to_string())),
            Some(&1)
        );
        // Every source empty: a broken export, even where empty ones are fine.
        let mut s = vec![source("a", 0, 0), source("b", 0, 0)];
        assert!(!finish_sources(
            &mut s,
            quarantines(dir.path(), 2),
            0.5,
            EmptySource::Warns
        ));
    }

    #[test]
    fn too_many_rejected_rows_keep_the_old_partitions() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = vec![source("a", 10, 4), source("b", 10, 7)];
        assert!(!finish_sources(
            &mut s,
            quarantines(dir.path(), 2),
            0.5,
            EmptySource::Warns
        ));
        assert!(s[0]
            .error
            .as_deref()
            .unwrap()
            .contains("troppe righe scartate: 11 su 20"));
        let mut s = vec![source("a", 10, 4), source("b", 10, 7)];
        assert!(finish_sources(
            &mut s,
            quarantines(dir.path(), 2),
            0.6,
            EmptySource::Warns
        ));
    }
}
