//! `metrodati`: batch ETL and open data for the 133 comuni of the Città
//! Metropolitana di Milano.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod commands;
mod progress;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "metrodati",
    version,
    about = "Batch ETL and open data for the 133 comuni of the Città Metropolitana di Milano",
    long_about = "Extracts each comune's exports, normalises them into the interoperability schema, \
                  validates them and stores them as Parquet, recording runs, row accounting, datasets \
                  and lineage in the catalog. Everything lives under the data folder (./data by default)."
)]
struct Cli {
    /// Settings file (default: ./metrodati.toml if it exists).
    #[arg(long, global = true, env = "METRODATI_CONFIG")]
    config: Option<PathBuf>,
    /// Data folder: sample exports, store, catalog, quarantine (default ./data).
    #[arg(long, global = true, env = "METRODATI_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write realistic synthetic exports of the comuni into <data>/sample, following their source
    /// definitions in comuni/ (formats, encodings, column layouts and typical defects).
    Sample(commands::sample::Args),
    /// Run jobs of jobs.toml now (manual trigger): extract, normalise, validate and store.
    Run(commands::run::Args),
    /// Validate jobs.toml and every source definition; report all errors with file, line and key.
    Check,
    /// Run the scheduler: fire the jobs of jobs.toml at their times (DST-correct), with retries,
    /// timeouts, dependencies and catch-up, until SIGTERM/SIGINT (or with --once, until done).
    Schedule(commands::schedule::Args),
    /// List runs recorded in the catalog, or one run's per-source accounting with --id.
    Runs(commands::runs::Args),
    /// List datasets and their versions recorded in the catalog.
    Datasets(commands::datasets::Args),
    /// Export the interoperability schema (Table Schema JSON and Markdown) from its one definition.
    Schema(commands::schema::Args),
    /// Run the HTTP server configured in serve.toml (the WaaS e-service for INPS SIUSS, one base path
    /// per comune, PDND vouchers checked) until SIGTERM/SIGINT.
    Serve(commands::serve::Args),
    /// INPS SIUSS submissions: write again a month's steward reports (sent, accepted, rejected with
    /// reasons, pending) with the esiti received since the run.
    Siuss(commands::siuss::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The daemon logs what it does by default.
    let verbose = match cli.command {
        Command::Schedule(_) | Command::Serve(_) => cli.verbose.max(1),
        _ => cli.verbose,
    };
    progress::init_logging(verbose);
    let settings =
        match metrodati_pipelines::config::Settings::load(cli.config.as_deref(), cli.data_dir.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
    let result = match cli.command {
        Command::Sample(a) => commands::sample::run(&settings, a),
        Command::Run(a) => commands::run::run(&settings, a),
        Command::Check => commands::check::run(&settings),
        Command::Schedule(a) => commands::schedule::run(&settings, a),
        Command::Runs(a) => commands::runs::run(&settings, a),
        Command::Datasets(a) => commands::datasets::run(&settings, a),
        Command::Schema(a) => commands::schema::run(a),
        Command::Serve(a) => commands::serve::run(&settings, a),
        Command::Siuss(a) => commands::siuss::run(&settings, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
