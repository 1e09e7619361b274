//! `metrodati siuss`: the INPS SIUSS submissions of the comuni.

use super::{open_catalog, table};
use anyhow::Context as _;
use metrodati_pipelines::config::Settings;
use metrodati_pipelines::siuss::{report, Periodo};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Write again the steward reports (XLSX and CSV) of a month from the catalog, with the esiti
    /// INPS sent since the run, and print a summary per comune.
    Report(ReportArgs),
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The month, YYYY-MM (default: the month before today).
    #[arg(long, value_name = "YYYY-MM")]
    mese: Option<String>,
    /// Only these comuni (ISTAT codes, comma separated); default: every comune with flows or
    /// rejected records in that month.
    #[arg(long, value_delimiter = ',')]
    comuni: Option<Vec<String>>,
}

pub fn run(settings: &Settings, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Report(a) => report_cmd(settings, a),
    }
}

fn report_cmd(settings: &Settings, a: ReportArgs) -> anyhow::Result<ExitCode> {
    let periodo: Periodo = match &a.mese {
        Some(m) => m.parse().map_err(|e| anyhow::anyhow!("--mese: {e}"))?,
        None => Periodo::of(chrono::Local::now().date_naive()).previous(),
    };
    let catalog = open_catalog(settings)?;
    let comuni: Vec<&metrodati_interop::refdata::ComuneCm> = match &a.comuni {
        Some(list) => list
            .iter()
            .map(|c| {
                metrodati_interop::refdata::comune_by_istat(c)
                    .with_context(|| format!("--comuni: {c} is not an ISTAT code of the Città Metropolitana"))
            })
            .collect::<anyhow::Result<_>>()?,
        None => metrodati_interop::refdata::comuni_cm().iter().collect(),
    };
    let out = settings.siuss_output_dir();
    let mut lines = Vec::new();
    for c in comuni {
        let rows = report::rows(&catalog, &c.codice_catastale, periodo)?;
        if rows.is_empty() && a.comuni.is_none() {
            continue;
        }
        let (x, _) = report::write(
            &catalog,
            &out,
            &c.codice_istat,
            &c.codice_catastale,
            &c.denominazione,
            periodo,
        )?;
        let s = report::summary(&rows);
        let n = |i: usize| (s[i].1 + s[i].2).to_string();
        lines.push(vec![
            c.codice_istat.clone(),
            c.denominazione.clone(),
            n(0),
            n(1),
            n(2),
            n(4),
            x.display().to_string(),
        ]);
    }
    if lines.is_empty() {
        println!("no SIUSS submission recorded for {periodo}");
    } else {
        println!(
            "{}",
            table(
                &[
                    "comune",
                    "nome",
                    "accettati",
                    "scartati",
                    "in attesa",
                    "non inviati",
                    "report"
                ],
                &lines
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}
