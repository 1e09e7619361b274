//! `metrodati run`: run jobs now.

use super::{open_catalog, table};
use crate::progress::Reporter;
use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use metrodati_catalog::{RunStatus, Trigger};
use metrodati_pipelines::anagrafe::ComuneStatus;
use metrodati_pipelines::config::{JobsFile, Settings};
use metrodati_pipelines::runner::{self, RunRequest};
use metrodati_pipelines::schedule::executor::toml_to_json;
use metrodati_pipelines::schedule::{resolve_local, LeaseGuard, SchedulerOptions};
use std::process::ExitCode;
use std::time::Duration;

/// At most this many runs per job and `--backfill`.
const MAX_BACKFILL_RUNS: usize = 1000;

#[derive(clap::Args)]
pub struct Args {
    /// Jobs of jobs.toml to run.
    #[arg(required_unless_present = "all")]
    jobs: Vec<String>,
    /// Run every enabled job.
    #[arg(long, conflicts_with = "jobs")]
    all: bool,
    /// Only these comuni (ISTAT codes, comma separated), within each job's selection.
    #[arg(long, value_delimiter = ',')]
    comuni: Option<Vec<String>>,
    /// Reprocess comuni whose inputs are unchanged since the last successful run.
    #[arg(long)]
    force: bool,
    /// Comuni processed at once (default: the number of cores, at most 4).
    #[arg(long)]
    workers: Option<usize>,
    /// Rows per store batch (bounds memory).
    #[arg(long, default_value_t = 50_000)]
    batch_rows: usize,
    /// Do not replace a comune's data when more than this share of its rows is rejected (0–1):
    /// a wrong mapping must not wipe the store.
    #[arg(long, default_value_t = metrodati_pipelines::runner::DEFAULT_MAX_REJECTED_SHARE)]
    max_rejected_share: f64,
    /// Per-comune entries (duplicate check, families) kept in memory before spilling to a private
    /// temporary file; bounds peak memory whatever the size of a comune.
    #[arg(long, default_value_t = metrodati_pipelines::anagrafe::DEFAULT_IN_MEMORY_LIMIT)]
    in_memory_limit: usize,
    /// Run each job once per fire time of its schedule between two dates, both included, read in
    /// the job's time zone (e.g. 2026-03-01..2026-03-31); each run has trigger `backfill` and records
    /// its period. Takes the job's lease, so it never overlaps the scheduler's run of the job.
    #[arg(long, value_name = "FROM..TO", conflicts_with = "all")]
    backfill: Option<String>,
    /// (siuss) The month to submit to INPS, YYYY-MM (default: the month before the fire time, or
    /// before today for a manual run).
    #[arg(long, value_name = "YYYY-MM")]
    mese: Option<String>,
    /// (siuss) Confirm that more than half of a comune's benefits sent to INPS were withdrawn and
    /// must be cancelled (otherwise such a comune is refused: its export is probably incomplete).
    #[arg(long)]
    allow_mass_cancel: bool,
}

/// Comuni processed at once by default: the number of cores, at most 4.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4)
}

/// Parses `FROM..TO` (dates, both included).
pub fn parse_backfill(s: &str) -> anyhow::Result<(NaiveDate, NaiveDate)> {
    let (a, b) = s
        .split_once("..")
        .with_context(|| format!("--backfill {s:?}: expected FROM..TO, e.g. 2026-03-01..2026-03-31"))?;
    let date = |x: &str| {
        NaiveDate::parse_from_str(x.trim(), "%Y-%m-%d")
            .with_context(|| format!("--backfill {s:?}: {x:?} is not a date YYYY-MM-DD"))
    };
    let (from, to) = (date(a)?, date(b)?);
    anyhow::ensure!(from <= to, "--backfill {s:?}: {from} is after {to}");
    Ok((from, to))
}

pub fn run(settings: &Settings, args: Args) -> anyhow::Result<ExitCode> {
    let jobs = JobsFile::load(&settings.jobs_file).map_err(|errs| {
        anyhow::anyhow!(
            "{}",
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
        )
    })?;
    let names: Vec<String> = if args.all {
        jobs.names()
            .filter(|n| jobs.job(n).is_some_and(|j| j.enabled))
            .map(str::to_string)
            .collect()
    } else {
        args.jobs.clone()
    };
    let workers = args.workers.unwrap_or_else(default_workers);
    let backfill = args.backfill.as_deref().map(parse_backfill).transpose()?;
    let mut catalog = open_catalog(settings)?;
    let mut worst = ExitCode::SUCCESS;
    for name in names {
        let job = jobs
            .job(&name)
            .with_context(|| format!("no job `{name}` in {}", settings.jobs_file.display()))?;
        let mut comuni = jobs.comuni_of(job);
        if let Some(only) = &args.comuni {
            let outside: Vec<&String> = only.iter().filter(|c| !comuni.contains(c)).collect();
            anyhow::ensure!(
                outside.is_empty(),
                "--comuni: {} not covered by job `{name}` (ISTAT codes of its comuni, e.g. 015146)",
                outside.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            );
            comuni.retain(|c| only.contains(c));
        }
        anyhow::ensure!(!comuni.is_empty(), "job `{name}` covers no comune");
        let mut req = RunRequest {
            job: name.clone(),
            pipeline: job.pipeline.get_ref().clone(),
            comuni,
            trigger: Trigger::Manual,
            force: args.force,
            workers,
            batch_rows: args.batch_rows.max(1),
            max_rejected_share: args.max_rejected_share,
            in_memory_limit: args.in_memory_limit,
            params: {
                let mut p = toml_to_json(&job.params);
                if let Some(obj) = p.as_object_mut() {
                    if let Some(m) = &args.mese {
                        m.parse::<metrodati_pipelines::siuss::Periodo>()
                            .map_err(|e| anyhow::anyhow!("--mese: {e}"))?;
                        obj.insert("mese".into(), m.clone().into());
                    }
                    if args.allow_mass_cancel {
                        obj.insert("allow_mass_cancel".into(), true.into());
                    }
                }
                p
            },
            period: None,
            run: None,
            cancel: None,
        };
        // One run per fire time of the range, under the job's lease.
        let (periods, _lease) = match backfill {
            None => (vec![None], None),
            Some((from, to)) => {
                let schedule = jobs.fire_schedule(&name).with_context(|| {
                    format!("job `{name}` has no schedule: --backfill runs a periodic job once per fire time")
                })?;
                let tz = schedule.timezone();
                let start = resolve_local(tz, from.and_hms_opt(0, 0, 0).expect("midnight"));
                let end = resolve_local(
                    tz,
                    (to + chrono::Days::new(1))
                        .and_hms_opt(0, 0, 0)
                        .expect("midnight"),
                );
                let ms = chrono::Duration::milliseconds(1);
                let fires: Vec<DateTime<Utc>> = schedule.fires_between(start - ms, end - ms);
                anyhow::ensure!(
                    fires.len() <= MAX_BACKFILL_RUNS,
                    "job `{name}` fires {} times between {from} and {to}: at most {MAX_BACKFILL_RUNS} runs per backfill",
                    fires.len()
                );
                if fires.is_empty() {
                    eprintln!("job {name}: {schedule} has no fire time between {from} and {to}");
                    continue;
                }
                let owner = format!("backfill:{}", SchedulerOptions::default_owner());
                let lease = match LeaseGuard::acquire(
                    &settings.catalog_path,
                    &name,
                    &owner,
                    Duration::from_secs(60),
                )? {
                    Ok(l) => l,
                    Err(holder) => anyhow::bail!(
                        "job `{name}` is being run by {} (lease until {}); try again later",
                        holder.as_ref().map_or("another process", |l| l.owner.as_str()),
                        holder
                            .as_ref()
                            .map(|l| l.expires_at.to_rfc3339())
                            .unwrap_or_default()
                    ),
                };
                println!(
                    "job {name}: backfilling {} period(s) of {schedule} from {from} to {to}",
                    fires.len()
                );
                req.trigger = Trigger::Backfill;
                (fires.into_iter().map(Some).collect(), Some(lease))
            }
        };
        for period in periods {
            req.period = period;
            if let Some(p) = period {
                println!(
                    "period {} ({})",
                    p.format("%Y-%m-%dT%H:%M:%SZ"),
                    jobs.fire_schedule(&name)
                        .map(|s| p
                            .with_timezone(&s.timezone())
                            .format("%Y-%m-%d %H:%M %Z")
                            .to_string())
                        .unwrap_or_default()
                );
            }
            let started = std::time::Instant::now();
            let report = runner::run(settings, &mut catalog, &req, &Reporter::new())?;
            for e in &report.config_errors {
                eprintln!("warning: {e}");
            }
            let rows: Vec<Vec<String>> = report
                .comuni
                .iter()
                .map(|c| {
                    vec![
                        c.istat.clone(),
                        c.denominazione.clone(),
                        match &c.status {
                            ComuneStatus::Processed => "ok".into(),
                            ComuneStatus::Unchanged => "unchanged".into(),
                            ComuneStatus::Failed(e) => format!("FAILED: {e}"),
                        },
                        c.rows_read.to_string(),
                        c.rows_written.to_string(),
                        c.rows_quarantined.to_string(),
                        c.repairs.to_string(),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(
                    &[
                        "comune",
                        "nome",
                        "status",
                        "read",
                        "written",
                        "quarantined",
                        "repairs"
                    ],
                    &rows
                )
            );
            let (r, w, q) = report.totals();
            let unchanged = report
                .comuni
                .iter()
                .filter(|c| c.status == ComuneStatus::Unchanged)
                .count();
            let failed = report
                .comuni
                .iter()
                .filter(|c| matches!(c.status, ComuneStatus::Failed(_)))
                .count();
            if failed > 0 {
                println!("{failed} comuni FAILED: their data was not replaced (see the status column)");
            }
            println!(
            "run {} job {} — {}: read {r} = written {w} + quarantined {q}; {} comuni, {unchanged} unchanged ({:.1}s)",
            report.run,
            name,
            report.status,
            report.comuni.len(),
            started.elapsed().as_secs_f64()
        );
            if req.pipeline == metrodati_pipelines::siuss::REPORT_PIPELINE {
                println!(
                    "SIUSS steward reports written again: {}",
                    settings.siuss_output_dir().display()
                );
            } else if req.pipeline == metrodati_pipelines::siuss::PIPELINE {
                let counts = catalog.siuss_run_counts(report.run)?;
                let total: u64 = counts.iter().map(|c| c.2).sum();
                let parts: Vec<String> = counts
                    .iter()
                    .map(|(op, motivo, n)| format!("{n} {op} ({motivo})"))
                    .collect();
                println!(
                    "SIUSS: records read = in step with INPS + held back (see the reports); {total} flows built{}",
                    if parts.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", parts.join(", "))
                    }
                );
                println!(
                    "SIUSS flows: catalog {} (served by `metrodati serve`); reports and bulk files: {}",
                    settings.catalog_path.display(),
                    settings.siuss_output_dir().display()
                );
            } else {
                println!(
                    "store: {}  quarantine: {}  catalog: {}",
                    settings.store_dir.display(),
                    settings
                        .quarantine_dir
                        .join(format!("run-{}", report.run))
                        .display(),
                    settings.catalog_path.display()
                );
            }
            if report.status != RunStatus::Succeeded {
                worst = ExitCode::from(1);
            }
        }
    }
    Ok(worst)
}
