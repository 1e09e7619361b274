//! `metrodati run`: run jobs now.

use super::{open_catalog, table};
use crate::progress::Reporter;
use anyhow::Context as _;
use metrodati_catalog::{RunStatus, Trigger};
use metrodati_pipelines::anagrafe::ComuneStatus;
use metrodati_pipelines::config::{JobsFile, Settings};
use metrodati_pipelines::runner::{self, RunRequest};
use std::process::ExitCode;

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
    let workers = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .min(4)
    });
    let mut catalog = open_catalog(settings)?;
    let mut worst = ExitCode::SUCCESS;
    for name in names {
        let job = jobs
            .job(&name)
            .with_context(|| format!("no job `{name}` in {}", settings.jobs_file.display()))?;
        let mut comuni = jobs.comuni_of(job);
        if let Some(only) = &args.comuni {
            comuni.retain(|c| only.contains(c));
        }
        let req = RunRequest {
            job: name.clone(),
            pipeline: job.pipeline.get_ref().clone(),
            comuni,
            trigger: Trigger::Manual,
            force: args.force,
            workers,
            batch_rows: args.batch_rows.max(1),
        };
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
        println!(
            "run {} job {} — {}: read {r} = written {w} + quarantined {q}; {} comuni, {unchanged} unchanged ({:.1}s)",
            report.run,
            name,
            report.status,
            report.comuni.len(),
            started.elapsed().as_secs_f64()
        );
        println!(
            "store: {}  quarantine: {}  catalog: {}",
            settings.store_dir.display(),
            settings
                .quarantine_dir
                .join(format!("run-{}", report.run))
                .display(),
            settings.catalog_path.display()
        );
        if report.status != RunStatus::Succeeded {
            worst = ExitCode::from(1);
        }
    }
    Ok(worst)
}
