//! `metrodati runs`: run history from the catalog.

use super::{open_catalog, table};
use metrodati_catalog::{RunFilter, RunId, RunStatus, Trigger};
use metrodati_pipelines::config::Settings;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Show one run's per-source accounting and quality results.
    #[arg(long)]
    id: Option<i64>,
    /// Only runs of this job.
    #[arg(long)]
    job: Option<String>,
    /// Only runs with this status (running, succeeded, failed, partially_succeeded, skipped, cancelled).
    #[arg(long)]
    status: Option<RunStatus>,
    /// Only runs with this trigger (manual, scheduled, catch-up, backfill, dependency).
    #[arg(long)]
    trigger: Option<Trigger>,
    /// Only runs started at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// At most this many runs.
    #[arg(long, default_value_t = 20)]
    limit: usize,
}

pub fn run(settings: &Settings, args: Args) -> anyhow::Result<ExitCode> {
    let catalog = open_catalog(settings)?;
    if let Some(id) = args.id {
        let run = RunId(id);
        let Some(r) = catalog.run(run)? else {
            anyhow::bail!("no run {id} in the catalog");
        };
        println!(
            "run {} job {} ({}, {}, attempt {}) {} — started {} ended {}",
            r.id,
            r.job,
            r.pipeline,
            r.trigger,
            r.attempt,
            r.status,
            r.started_at,
            r.ended_at.as_deref().unwrap_or("-")
        );
        if let Some(p) = &r.period {
            println!("period: {p}");
        }
        if let Some(e) = &r.error {
            println!("error: {e}");
        }
        let rows: Vec<Vec<String>> = catalog
            .sources(run)?
            .into_iter()
            .map(|s| {
                vec![
                    s.comune,
                    s.source,
                    s.status.to_string(),
                    s.rows_read.to_string(),
                    s.rows_written.to_string(),
                    s.rows_quarantined.to_string(),
                    s.repairs.values().sum::<u64>().to_string(),
                    s.error.or(s.quarantine_path).unwrap_or_default(),
                ]
            })
            .collect();
        println!(
            "{}",
            table(
                &[
                    "comune",
                    "source",
                    "status",
                    "read",
                    "written",
                    "quarantined",
                    "repairs",
                    "error / quarantine"
                ],
                &rows
            )
        );
        let mut totals = std::collections::BTreeMap::<(String, String), u64>::new();
        for (_, _, q) in catalog.quality(run)? {
            *totals.entry((q.severity, q.rule)).or_default() += q.count;
        }
        let rows: Vec<Vec<String>> = totals
            .into_iter()
            .map(|((sev, rule), n)| vec![sev, rule, n.to_string()])
            .collect();
        println!("{}", table(&["severity", "rule", "count"], &rows));
        return Ok(ExitCode::SUCCESS);
    }
    let filter = RunFilter {
        job: args.job,
        status: args.status,
        trigger: args.trigger,
        since: args.since,
        limit: Some(args.limit),
    };
    let rows: Vec<Vec<String>> = catalog
        .runs(&filter)?
        .into_iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.job,
                r.trigger.to_string(),
                r.attempt.to_string(),
                r.period.as_deref().map(short_ts).unwrap_or_else(|| "-".into()),
                r.status.to_string(),
                r.started_at,
                r.duration_ms
                    .map(|d| format!("{:.1}s", d as f64 / 1000.0))
                    .unwrap_or_default(),
                r.rows_read.to_string(),
                r.rows_written.to_string(),
                r.rows_quarantined.to_string(),
                r.error.unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "run",
                "job",
                "trigger",
                "attempt",
                "period",
                "status",
                "started",
                "duration",
                "read",
                "written",
                "quarantined",
                "error"
            ],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `2026-03-29T01:00:00.000Z` → `2026-03-29T01:00Z` (periods are whole minutes).
fn short_ts(ts: &str) -> String {
    match ts.strip_suffix(":00.000Z") {
        Some(head) => format!("{head}Z"),
        None => ts.to_string(),
    }
}
