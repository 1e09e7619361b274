//! `metrodati schedule`: the scheduler daemon.

use super::open_catalog;
use anyhow::Context as _;
use chrono::Utc;
use metrodati_catalog::RunStatus;
use metrodati_pipelines::config::{JobsFile, Settings};
use metrodati_pipelines::schedule::{
    format_duration, parse_duration, run_daemon, DaemonOptions, Event, JobPlan, PipelineExecutor, Scheduler,
    SchedulerOptions, SystemClock,
};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s)
}

/// Like [`duration`], but zero is allowed ("cancel at once").
fn grace(s: &str) -> Result<Duration, String> {
    match s.trim() {
        "0" | "0s" => Ok(Duration::ZERO),
        _ => parse_duration(s),
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Process what is due now (with its retries and dependents) and exit, instead of running as a
    /// daemon: for cron or a Kubernetes CronJob. Exit code 1 if a fire failed.
    #[arg(long)]
    once: bool,
    /// Print the next N fire times of every scheduled job (UTC and local time) and exit.
    #[arg(long, value_name = "N")]
    next: Option<usize>,
    /// Only these jobs (comma separated; default: every enabled job of jobs.toml).
    #[arg(long, value_delimiter = ',')]
    jobs: Option<Vec<String>>,
    /// On SIGTERM/SIGINT, how long a running job may go on before it is cancelled (a second signal
    /// exits at once).
    #[arg(long, default_value = "5m", value_parser = grace)]
    grace: Duration,
    /// A fire picked up later than this after its time counts as missed, and goes through the job's
    /// catch-up policy.
    #[arg(long, default_value = "1m", value_parser = duration)]
    late_after: Duration,
    /// Lease duration: a scheduler that stops renewing (crashed) loses its jobs after this long.
    #[arg(long, default_value = "60s", value_parser = duration)]
    lease_ttl: Duration,
    /// This scheduler's id in the job leases (default host:pid:nonce).
    #[arg(long)]
    owner: Option<String>,
    /// Comuni processed at once within a run (default: the number of cores, at most 4).
    #[arg(long)]
    workers: Option<usize>,
    /// Rows per store batch (bounds memory).
    #[arg(long, default_value_t = 50_000)]
    batch_rows: usize,
}

pub fn run(settings: &Settings, args: Args) -> anyhow::Result<ExitCode> {
    let jobs_file = JobsFile::load(&settings.jobs_file).map_err(|errs| {
        anyhow::anyhow!(
            "{}",
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
        )
    })?;
    let plans = JobPlan::from_jobs_file(&jobs_file);
    if let Some(only) = &args.jobs {
        for j in only {
            anyhow::ensure!(
                plans.iter().any(|p| &p.name == j),
                "no job `{j}` in {}",
                settings.jobs_file.display()
            );
        }
    }
    // The jobs this scheduler runs.
    let here = |p: &&JobPlan| p.enabled && args.jobs.as_ref().is_none_or(|o| o.contains(&p.name));

    if let Some(n) = args.next {
        let now = Utc::now();
        for p in plans.iter().filter(here) {
            let Some(s) = &p.schedule else {
                println!("{}: no schedule{}", p.name, deps(p));
                continue;
            };
            println!("{}: {s}", p.name);
            let mut t = now;
            for _ in 0..n {
                let Some(f) = s.next_fire(t) else { break };
                println!(
                    "  {}  ({})",
                    f.format("%Y-%m-%dT%H:%M:%SZ"),
                    f.with_timezone(&s.timezone()).format("%a %Y-%m-%d %H:%M %Z")
                );
                t = f;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    let workers = args.workers.unwrap_or_else(super::run::default_workers);
    let catalog = open_catalog(settings)?;
    let mut opts = SchedulerOptions::new(args.owner.clone().unwrap_or_else(SchedulerOptions::default_owner));
    opts.lease_ttl = args.lease_ttl;
    opts.on_time_grace = args.late_after;
    opts.only_jobs = args.jobs.clone();
    let clock = Arc::new(SystemClock);
    let executor = Arc::new(PipelineExecutor {
        settings: settings.clone(),
        workers,
        batch_rows: args.batch_rows.max(1),
    });
    let enabled: Vec<String> = plans.iter().filter(here).map(|p| p.name.clone()).collect();
    tracing::info!(
        owner = %opts.owner,
        catalog = %settings.catalog_path.display(),
        "scheduler {} with job(s) {}",
        if args.once { "running once" } else { "started" },
        enabled.join(", ")
    );
    for p in plans.iter().filter(here) {
        match &p.schedule {
            Some(s) => {
                tracing::info!(job = %p.name, "{s}; next fire {}", s.next_fire(Utc::now()).map_or("never".into(), |t| t.to_rfc3339()))
            }
            None => tracing::info!(job = %p.name, "no schedule{}", deps(p)),
        }
    }
    let mut sched = Scheduler::new(plans, catalog, clock.clone(), executor, opts);

    // First SIGTERM/SIGINT: stop gracefully; a second one exits at once.
    let shutdown = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&shutdown))
            .context("installing the signal handler")?;
        signal_hook::flag::register(sig, Arc::clone(&shutdown)).context("installing the signal handler")?;
    }
    let daemon = DaemonOptions {
        grace: args.grace,
        once: args.once,
        ..DaemonOptions::default()
    };
    // Sleep in short slices so that a signal is acted on at once.
    let mut sleep = |d: Duration| {
        let end = std::time::Instant::now() + d;
        while !shutdown.load(std::sync::atomic::Ordering::SeqCst) {
            let left = end.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    };
    let summary = run_daemon(&mut sched, clock.as_ref(), &shutdown, &daemon, &mut sleep)?;

    for e in &summary.events {
        if let Event::Finished {
            job,
            run,
            status,
            error,
            retry_at: None,
            ..
        } = e
        {
            if summary.shutdown || args.once {
                println!(
                    "run {run} job {job}: {status}{}",
                    error.as_deref().map(|e| format!(" — {e}")).unwrap_or_default()
                );
            }
        }
    }
    if summary.shutdown {
        let cancelled = summary
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::Finished {
                        status: RunStatus::Cancelled,
                        ..
                    }
                )
            })
            .count();
        tracing::info!(
            "scheduler stopped ({} run(s) cancelled within the {} grace period{})",
            cancelled,
            format_duration(args.grace),
            if summary.abandoned.is_empty() {
                String::new()
            } else {
                format!("; still running: {}", summary.abandoned.join(", "))
            }
        );
    }
    Ok(if args.once && summary.failures() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn deps(p: &JobPlan) -> String {
    if p.depends_on.is_empty() {
        " (runs only by hand)".into()
    } else {
        format!(" (runs after {} succeed)", p.depends_on.join(", "))
    }
}
