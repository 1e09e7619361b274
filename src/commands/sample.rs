//! `metrodati sample`: synthetic exports for the demo and the tests.

use crate::progress::Reporter;
use anyhow::Context as _;
use metrodati_pipelines::config::{Settings, SourceDefinition};
use metrodati_pipelines::sample::{self, SampleOptions};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Population factor: 1 is full size (about 3.2 million residents); the default keeps the demo
    /// under a minute.
    #[arg(long, default_value_t = SampleOptions::default().scale)]
    scale: f64,
    /// Random seed: the same seed and scale give byte-identical files.
    #[arg(long, default_value_t = SampleOptions::default().seed)]
    seed: u64,
    /// Only these comuni (ISTAT codes, comma separated).
    #[arg(long, value_delimiter = ',')]
    comuni: Option<Vec<String>>,
    /// (Maintainers) rewrite the initial source definitions into the sources folder and exit.
    #[arg(long)]
    write_definitions: bool,
}

pub fn run(settings: &Settings, args: Args) -> anyhow::Result<ExitCode> {
    if args.write_definitions {
        let n = sample::write_definitions(&settings.sources_dir)
            .with_context(|| format!("writing definitions into {}", settings.sources_dir.display()))?;
        println!(
            "{n} source definitions written to {}",
            settings.sources_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !(args.scale > 0.0 && args.scale <= 10.0) {
        anyhow::bail!("--scale must be in (0, 10], got {}", args.scale);
    }
    let (defs, errors) = SourceDefinition::load_dir(&settings.sources_dir);
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        anyhow::bail!(
            "{} error(s) in the source definitions: run `metrodati check`",
            errors.len()
        );
    }
    let opts = SampleOptions {
        scale: args.scale,
        seed: args.seed,
        comuni: args.comuni,
    };
    let started = std::time::Instant::now();
    let summary = sample::generate(&defs, &settings.data_dir, &opts, &Reporter::new())?;
    println!(
        "sample: {} comuni, {} persons, {} rows in {} files under {} ({:.1}s)",
        summary.comuni,
        summary.persons,
        summary.rows,
        summary.files.len(),
        settings.data_dir.join("sample").display(),
        started.elapsed().as_secs_f64()
    );
    // The demo's SINBA pseudonym secret (never overwritten: pseudonyms must stay stable).
    let (secret, explicit) = settings.sinba_secret_path();
    if !explicit && metrodati_pipelines::siuss::ensure_secret_file(&secret)? {
        println!(
            "SINBA pseudonym secret for the demo created in {} (production: set [siuss] sinba_secret_file)",
            secret.display()
        );
    }
    if !summary.defects.is_empty() {
        let defects: Vec<String> = summary.defects.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("injected defects: {}", defects.join(", "));
    }
    if summary.sociale_rows > 0 {
        let mistakes: Vec<String> = summary
            .sociale_defects
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!(
            "cartelle sociali: {} rows; injected mistakes: {}",
            summary.sociale_rows,
            mistakes.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
