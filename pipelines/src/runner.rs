//! Running a job: select comuni, process them (in parallel, bounded), and
//! record everything in the catalog.

use crate::config::{ConfigError, Settings, SourceDefinition};
use crate::pipeline::{ComuneOutcome, ComuneStatus, Options, SourceOutcome};
use crate::progress::Progress;
use crate::schedule::CancelToken;
use metrodati_catalog::{
    Catalog, DatasetInfo, NewRun, NewVersion, QualityResult, RunId, RunStatus, SourceAccounting,
    SourceStatus, Trigger,
};
use metrodati_interop::anpr::ComuniArchive;
use metrodati_interop::schema::{self, SCHEMA_VERSION};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};

/// Errors that stop a run before it processes anything.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("catalog: {0}")]
    Catalog(#[from] metrodati_catalog::CatalogError),
    #[error("{0}")]
    Config(String),
    #[error("cannot load the ANPR archive {path}: {message}")]
    Archive { path: PathBuf, message: String },
    #[error("unknown pipeline `{0}`")]
    UnknownPipeline(String),
}

/// A pipeline the runner can run: the tables it maintains and how it runs.
#[derive(Clone, Copy)]
pub struct Pipeline {
    /// Name in jobs.toml and the catalog (fingerprint keys are `<name>/<istat>`).
    pub name: &'static str,
    /// Store tables (datasets `interop.<table>`) it writes.
    pub tables: &'static [&'static str],
    /// Whether it checks birthplaces against the ANPR archive (loaded only then).
    pub uses_archive: bool,
    pub runs: Runs,
}

/// How a pipeline runs.
#[derive(Clone, Copy)]
pub enum Runs {
    /// From each comune's exports to the store: it processes one comune, the
    /// runner does the rest (selection of comuni, parallel workers,
    /// fingerprints, catalog accounting, quarantine summary, cancellation).
    PerComune(fn(&SourceDefinition, &Options<'_>) -> ComuneOutcome),
    /// Its own loop over the comuni, under the run the runner records for it
    /// (which it finishes; on an error the runner finishes it as failed).
    Own(fn(&Settings, &mut Catalog, &RunRequest, RunId) -> Result<RunReport, RunError>),
}

/// Every pipeline, by name.
pub const PIPELINES: &[Pipeline] = &[
    Pipeline {
        name: crate::anagrafe::PIPELINE,
        tables: &crate::anagrafe::TABLES,
        uses_archive: true,
        runs: Runs::PerComune(crate::anagrafe::process_comune),
    },
    Pipeline {
        name: crate::sociale::PIPELINE,
        tables: &crate::sociale::TABLES,
        uses_archive: false,
        runs: Runs::PerComune(crate::sociale::process_comune),
    },
    Pipeline {
        name: crate::siuss::PIPELINE,
        tables: &[],
        uses_archive: false,
        runs: Runs::Own(crate::siuss::run),
    },
    Pipeline {
        name: crate::siuss::REPORT_PIPELINE,
        tables: &[],
        uses_archive: false,
        runs: Runs::Own(crate::siuss::run_reports),
    },
];

/// The pipeline with this name.
pub fn pipeline(name: &str) -> Option<&'static Pipeline> {
    PIPELINES.iter().find(|p| p.name == name)
}

/// Default for [`RunRequest::max_rejected_share`]: a comune with more than
/// half of its rows rejected almost certainly has a wrong mapping.
pub const DEFAULT_MAX_REJECTED_SHARE: f64 = 0.5;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub job: String,
    pub pipeline: String,
    /// ISTAT codes, sorted.
    pub comuni: Vec<String>,
    pub trigger: Trigger,
    /// Reprocess unchanged inputs.
    pub force: bool,
    /// Worker threads (comuni processed at once).
    pub workers: usize,
    /// Rows per store batch.
    pub batch_rows: usize,
    /// Above this share of quarantined rows a comune's partitions are not
    /// replaced (see [`DEFAULT_MAX_REJECTED_SHARE`]).
    pub max_rejected_share: f64,
    /// See [`crate::pipeline::Options::in_memory_limit`].
    pub in_memory_limit: usize,
    /// The job's `params` from jobs.toml (a JSON object), recorded with the run.
    pub params: serde_json::Value,
    /// The fire time this run is for (scheduled, catch-up, dependency and
    /// backfill runs); `None` for a manual run. Recorded as the run's period.
    pub period: Option<chrono::DateTime<chrono::Utc>>,
    /// A run already recorded by the scheduler (status `running`) to use
    /// instead of starting a new one.
    pub run: Option<RunId>,
    /// Cooperative cancellation, checked before each comune is started: the
    /// comuni in progress finish and are recorded, the others are recorded
    /// as not processed and the run ends `failed` (timeout) or `cancelled`
    /// (shutdown). See [`crate::schedule::cancel`].
    pub cancel: Option<CancelToken>,
}

impl RunRequest {
    /// The parameters recorded with the run.
    pub fn params_json(&self) -> String {
        serde_json::json!({
            "comuni": self.comuni,
            "force": self.force,
            "params": self.params,
            "period": self.period.map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        })
        .to_string()
    }

    pub(crate) fn cancelled(&self) -> Option<crate::schedule::CancelReason> {
        self.cancel.as_ref().and_then(|c| c.reason())
    }
}

/// Counts rows read by the workers, for the progress display.
#[derive(Default)]
struct RowCounter(AtomicU64);

impl Progress for RowCounter {
    fn start(&self, _: &str, _: u64) {}
    fn inc(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    fn message(&self, _: &str) {}
    fn finish(&self) {}
}

/// Per-comune line of a run report.
#[derive(Debug, Clone)]
pub struct ComuneReport {
    pub istat: String,
    pub denominazione: String,
    pub status: ComuneStatus,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_quarantined: u64,
    pub repairs: u64,
    pub quarantine_files: Vec<PathBuf>,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run: RunId,
    pub status: RunStatus,
    pub comuni: Vec<ComuneReport>,
    /// Source definitions that could not be used.
    pub config_errors: Vec<ConfigError>,
}

impl RunReport {
    /// (read, written, quarantined) over the comuni that were not failed:
    /// for them read = written + quarantined.
    pub fn totals(&self) -> (u64, u64, u64) {
        self.comuni
            .iter()
            .filter(|c| !matches!(c.status, ComuneStatus::Failed(_)))
            .fold((0, 0, 0), |(r, w, q), c| {
                (r + c.rows_read, w + c.rows_written, q + c.rows_quarantined)
            })
    }
}

/// Datasets a pipeline maintains.
fn register_datasets(catalog: &Catalog, pipeline: &Pipeline) -> Result<(), RunError> {
    for name in pipeline.tables {
        let e = schema::entity(name).ok_or_else(|| RunError::Config(format!("entity {name} missing")))?;
        catalog.register_dataset(&DatasetInfo {
            name: format!("interop.{name}"),
            title: e.title.to_string(),
            description: e.description.to_string(),
            schema_version: SCHEMA_VERSION.to_string(),
            personal_data: e.personal(),
        })?;
    }
    Ok(())
}

/// Runs the request's pipeline for the requested comuni.
pub fn run(
    settings: &Settings,
    catalog: &mut Catalog,
    req: &RunRequest,
    progress: &dyn Progress,
) -> Result<RunReport, RunError> {
    let pipeline = pipeline(&req.pipeline).ok_or_else(|| RunError::UnknownPipeline(req.pipeline.clone()))?;
    let process = match pipeline.runs {
        Runs::PerComune(process) => process,
        Runs::Own(own) => {
            let run = start_run(catalog, req)?;
            return own(settings, catalog, req, run).inspect_err(|e| {
                let _ = catalog.finish_run(run, RunStatus::Failed, Some(&e.to_string()));
            });
        }
    };
    let (defs, config_errors) = SourceDefinition::load_dir(&settings.sources_dir);
    let archive = match settings.anpr_archive_present().filter(|_| pipeline.uses_archive) {
        Some(p) => Some(ComuniArchive::load(p).map_err(|e| RunError::Archive {
            path: p.to_path_buf(),
            message: e.to_string(),
        })?),
        None => {
            if let Some(p) = settings.anpr_archive.as_ref().filter(|_| pipeline.uses_archive) {
                tracing::warn!(path = %p.display(), "ANPR archive not found: birthplace codes are checked for format only");
            }
            None
        }
    };
    let archive_id = settings
        .anpr_archive_present()
        .filter(|_| pipeline.uses_archive)
        .and_then(|p| crate::store::file_sha256(p).ok());

    register_datasets(catalog, pipeline)?;
    let run = start_run(catalog, req)?;
    // From here on the run is recorded: any error finishes it as failed.
    match execute(
        pipeline,
        process,
        settings,
        catalog,
        req,
        progress,
        run,
        defs,
        config_errors,
        archive,
        archive_id,
    ) {
        Ok(report) => Ok(report),
        Err(e) => {
            let _ = catalog.finish_run(run, RunStatus::Failed, Some(&e.to_string()));
            Err(e)
        }
    }
}

/// The run of the request: the scheduler's, or a new one.
fn start_run(catalog: &Catalog, req: &RunRequest) -> Result<RunId, RunError> {
    Ok(match req.run {
        Some(run) => run,
        None => catalog.start_run_with(&NewRun {
            job: req.job.clone(),
            pipeline: req.pipeline.clone(),
            trigger: req.trigger,
            attempt: 1,
            period: req.period,
            params_json: req.params_json(),
            started_at: None,
        })?,
    })
}

#[allow(clippy::too_many_arguments)]
fn execute(
    pipeline: &Pipeline,
    process: fn(&SourceDefinition, &Options<'_>) -> ComuneOutcome,
    settings: &Settings,
    catalog: &mut Catalog,
    req: &RunRequest,
    progress: &dyn Progress,
    run: RunId,
    defs: Vec<SourceDefinition>,
    config_errors: Vec<ConfigError>,
    archive: Option<ComuniArchive>,
    archive_id: Option<String>,
) -> Result<RunReport, RunError> {
    // Temporary files left by a killed process (personal data: remove them).
    let _ = metrodati_connectors::atomic::remove_stale_temps(&settings.store_dir);
    let _ = metrodati_connectors::atomic::remove_stale_temps(&settings.quarantine_dir);

    let quarantine_dir = settings.quarantine_dir.join(format!("run-{run}"));
    let mut by_istat: HashMap<&str, &SourceDefinition> = defs.iter().map(|d| (d.istat(), d)).collect();
    let mut queue = VecDeque::new();
    let mut missing = Vec::new();
    for c in &req.comuni {
        match by_istat.remove(c.as_str()) {
            Some(d) => {
                let key = format!("{}/{c}", pipeline.name);
                queue.push_back((d, catalog.fingerprint(&key)?));
            }
            None => missing.push(c.clone()),
        }
    }
    let today = chrono::Local::now().date_naive();
    // Largest comuni first (by resident population), so that Milano does not
    // start last and leave the other workers idle at the end of the run.
    let population = |d: &SourceDefinition| {
        metrodati_interop::refdata::comune_by_istat(d.istat()).map_or(0, |c| c.popolazione)
    };
    queue
        .make_contiguous()
        .sort_by_key(|(d, _)| std::cmp::Reverse(population(d)));
    let total_rows_hint = queue.len() as u64;
    progress.start("comuni", total_rows_hint);

    let queue = Mutex::new(queue);
    let rows = &RowCounter::default();
    let (tx, rx) = mpsc::channel::<ComuneOutcome>();
    let mut reports = Vec::new();
    let mut catalog_error = None;
    std::thread::scope(|s| {
        for _ in 0..req.workers.max(1) {
            let tx = tx.clone();
            let queue = &queue;
            let archive = archive.as_ref();
            let archive_id = archive_id.as_deref();
            let quarantine_dir = &quarantine_dir;
            s.spawn(move || loop {
                if req.cancelled().is_some() {
                    break;
                }
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some((def, previous)) = next else { break };
                let opts = Options {
                    data_dir: &settings.data_dir,
                    store: &settings.store_dir,
                    quarantine_dir,
                    archive,
                    archive_id,
                    today,
                    previous_fingerprint: previous.as_deref(),
                    force: req.force,
                    batch_rows: req.batch_rows,
                    max_rejected_share: req.max_rejected_share,
                    in_memory_limit: req.in_memory_limit,
                    progress: rows,
                };
                // A bug must not take the whole run down: the comune fails, the others go on.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| process(def, &opts)))
                    .unwrap_or_else(|panic| {
                        let what = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        ComuneOutcome::internal_error(def.istat(), &what)
                    });
                if tx.send(outcome).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        loop {
            let outcome = match rx.recv_timeout(std::time::Duration::from_millis(250)) {
                Ok(o) => o,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    progress.message(&format!("{} righe lette", rows.0.load(Ordering::Relaxed)));
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            progress.inc(1);
            progress.message(&format!(
                "{} {} — {} righe lette",
                outcome.istat,
                status_word(&outcome.status),
                rows.0.load(Ordering::Relaxed)
            ));
            match record(catalog, run, pipeline, &outcome) {
                Ok(r) => reports.push(r),
                Err(e) => catalog_error = Some(e),
            }
        }
    });
    progress.finish();
    if let Some(e) = catalog_error {
        catalog.finish_run(run, RunStatus::Failed, Some(&e.to_string()))?;
        return Err(e.into());
    }
    // Comuni left in the queue by a cancellation: recorded as not processed.
    let cancel_reason = req.cancelled();
    let not_started: Vec<String> = queue
        .into_inner()
        .map(|q| q.into_iter().map(|(d, _)| d.istat().to_string()).collect())
        .unwrap_or_default();
    let n_not_started = not_started.len();
    let stop_reason = format!(
        "non elaborato: {}",
        cancel_reason.map_or("cancelled", |r| r.message())
    );
    let missing = missing
        .into_iter()
        .map(|c| (c, "nessuna definizione di sorgente valida in comuni/".to_string()))
        .chain(not_started.into_iter().map(|c| (c, stop_reason.clone())));
    for (c, reason) in missing {
        catalog.record_source(
            run,
            &SourceAccounting {
                comune: c.clone(),
                source: "-".into(),
                status: SourceStatus::Failed,
                rows_read: 0,
                rows_written: 0,
                rows_quarantined: 0,
                repairs: BTreeMap::new(),
                fingerprint: None,
                error: Some(reason.clone()),
                quarantine_path: None,
            },
        )?;
        reports.push(ComuneReport {
            denominazione: name_of(&c),
            istat: c,
            status: ComuneStatus::Failed(reason),
            rows_read: 0,
            rows_written: 0,
            rows_quarantined: 0,
            repairs: 0,
            quarantine_files: vec![],
        });
    }
    reports.sort_by(|a, b| a.istat.cmp(&b.istat));
    let failed = reports
        .iter()
        .filter(|r| matches!(r.status, ComuneStatus::Failed(_)))
        .count();
    let status = if failed == 0 {
        RunStatus::Succeeded
    } else if failed == reports.len() {
        RunStatus::Failed
    } else {
        RunStatus::PartiallySucceeded
    };
    if let Err(e) = write_summary(&quarantine_dir.join("riepilogo.csv"), &reports) {
        tracing::warn!(error = %e, "cannot write the run summary");
    }
    let error = (failed > 0).then(|| format!("{failed} comuni non elaborati"));
    let (status, error) = match cancel_reason {
        Some(reason) if n_not_started > 0 => (
            if reason == crate::schedule::CancelReason::Shutdown {
                RunStatus::Cancelled
            } else {
                RunStatus::Failed
            },
            Some(format!(
                "{} ({n_not_started} comuni non elaborati)",
                reason.message()
            )),
        ),
        _ => (status, error),
    };
    catalog.finish_run(run, status, error.as_deref())?;
    Ok(RunReport {
        run,
        status,
        comuni: reports,
        config_errors,
    })
}

/// The run summary for data stewards: one line per comune, `;`-separated
/// UTF-8 with a BOM so that Excel opens it with the right characters.
fn write_summary(path: &std::path::Path, reports: &[ComuneReport]) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    w.write_record([
        "codice_istat",
        "comune",
        "esito",
        "righe_lette",
        "righe_scritte",
        "righe_in_quarantena",
        "correzioni",
        "file_quarantena",
        "errore",
    ])?;
    for r in reports {
        let (esito, errore) = match &r.status {
            ComuneStatus::Processed => ("elaborato", String::new()),
            ComuneStatus::Unchanged => ("invariato", String::new()),
            ComuneStatus::Failed(e) => ("errore", e.clone()),
        };
        let xlsx: Vec<String> = r
            .quarantine_files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
            .map(|p| p.display().to_string())
            .collect();
        w.write_record([
            r.istat.as_str(),
            r.denominazione.as_str(),
            esito,
            &r.rows_read.to_string(),
            &r.rows_written.to_string(),
            &r.rows_quarantined.to_string(),
            &r.repairs.to_string(),
            &xlsx.join(" "),
            &errore,
        ])?;
    }
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(w.into_inner()?);
    metrodati_connectors::atomic::write_atomic_bytes(path, false, &bytes)?;
    Ok(())
}

fn status_word(s: &ComuneStatus) -> &'static str {
    match s {
        ComuneStatus::Processed => "elaborato",
        ComuneStatus::Unchanged => "invariato",
        ComuneStatus::Failed(_) => "ERRORE",
    }
}

fn name_of(istat: &str) -> String {
    metrodati_interop::refdata::comune_by_istat(istat)
        .map(|c| c.denominazione.to_string())
        .unwrap_or_default()
}

/// Records one comune's outcome in the catalog, in one transaction.
fn record(
    catalog: &mut Catalog,
    run: RunId,
    pipeline: &Pipeline,
    o: &ComuneOutcome,
) -> Result<ComuneReport, metrodati_catalog::CatalogError> {
    catalog.transaction(|cat| {
        let (status, error) = match &o.status {
            ComuneStatus::Processed => (SourceStatus::Processed, None),
            ComuneStatus::Unchanged => (SourceStatus::Unchanged, None),
            ComuneStatus::Failed(e) => (SourceStatus::Failed, Some(e.clone())),
        };
        for s in &o.sources {
            // A failed comune replaced nothing: its accepted rows were not written.
            let (rows_read, rows_written, rows_quarantined) = match o.status {
                ComuneStatus::Unchanged => (0, 0, 0),
                ComuneStatus::Failed(_) => (s.rows_read, 0, s.rows_quarantined),
                ComuneStatus::Processed => (s.rows_read, s.rows_written, s.rows_quarantined),
            };
            cat.record_source(
                run,
                &SourceAccounting {
                    comune: o.istat.clone(),
                    source: s.name.clone(),
                    status,
                    rows_read,
                    rows_written,
                    rows_quarantined,
                    repairs: s.repairs.clone(),
                    fingerprint: o.fingerprint.clone(),
                    error: s.error.clone().or_else(|| error.clone()),
                    quarantine_path: s
                        .quarantine_files
                        .iter()
                        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
                        .map(|p| p.display().to_string()),
                },
            )?;
            let mut q: Vec<QualityResult> = s
                .quality
                .iter()
                .map(|((rule, severity), n)| QualityResult {
                    rule: rule.clone(),
                    severity: severity.clone(),
                    count: *n,
                })
                .collect();
            q.extend(s.repairs.iter().map(|(k, n)| QualityResult {
                rule: k.clone(),
                severity: "repair".into(),
                count: *n,
            }));
            if !q.is_empty() && o.status != ComuneStatus::Unchanged {
                cat.record_quality(run, &o.istat, &s.name, &q)?;
            }
        }
        if o.status == ComuneStatus::Processed {
            for (table, part) in &o.partitions {
                let v = cat.add_version(&NewVersion {
                    dataset: format!("interop.{table}"),
                    partition: Some(format!("comune={}", o.istat)),
                    run,
                    path: part.path.display().to_string(),
                    rows: part.rows,
                    content_hash: part.sha256.clone(),
                    schema_version: SCHEMA_VERSION.to_string(),
                })?;
                for s in &o.sources {
                    for (url, fp) in &s.inputs {
                        cat.add_lineage(run, url, fp, v)?;
                    }
                }
            }
            if let Some(fp) = &o.fingerprint {
                cat.set_fingerprint(&format!("{}/{}", pipeline.name, o.istat), fp, run)?;
            }
        }
        let sum = |f: fn(&SourceOutcome) -> u64| -> u64 {
            if o.status == ComuneStatus::Unchanged {
                0
            } else {
                o.sources.iter().map(f).sum()
            }
        };
        let written = if o.status == ComuneStatus::Processed {
            sum(|s| s.rows_written)
        } else {
            0
        };
        Ok(ComuneReport {
            istat: o.istat.clone(),
            denominazione: name_of(&o.istat),
            status: o.status.clone(),
            rows_read: sum(|s| s.rows_read),
            rows_written: written,
            rows_quarantined: sum(|s| s.rows_quarantined),
            repairs: sum(|s| s.repairs.values().sum()),
            quarantine_files: o
                .sources
                .iter()
                .flat_map(|s| s.quarantine_files.clone())
                .collect(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configurable_pipeline_can_run() {
        // jobs.toml accepts exactly the names of PIPELINES (one list).
        for p in PIPELINES {
            let same_name = PIPELINES.iter().filter(|q| q.name == p.name).count();
            assert_eq!(same_name, 1, "{}: name used twice", p.name);
            assert!(crate::config::jobs::pipelines().any(|n| n == p.name));
            for t in p.tables {
                assert!(schema::entity(t).is_some(), "{}: table {t}", p.name);
            }
            // Per-comune pipelines write store tables; the others read the store.
            assert_eq!(
                matches!(p.runs, Runs::PerComune(_)),
                !p.tables.is_empty(),
                "{}",
                p.name
            );
        }
    }
}
