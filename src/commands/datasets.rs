//! `metrodati datasets`: datasets and versions from the catalog.

use super::{open_catalog, table};
use metrodati_pipelines::config::Settings;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Show the versions of this dataset (e.g. interop.persona).
    #[arg(long)]
    versions: Option<String>,
    /// With --versions: only this partition (e.g. comune=015146).
    #[arg(long, requires = "versions")]
    partition: Option<String>,
    /// With --versions: show the inputs each version was made from.
    #[arg(long, requires = "versions")]
    lineage: bool,
}

pub fn run(settings: &Settings, args: Args) -> anyhow::Result<ExitCode> {
    let catalog = open_catalog(settings)?;
    if let Some(ds) = args.versions {
        for v in catalog.versions(&ds, args.partition.as_deref())? {
            println!(
                "{} {} v{} run {} rows {} sha256 {} {}",
                v.dataset,
                v.partition.as_deref().unwrap_or("-"),
                v.version,
                v.run,
                v.rows,
                &v.content_hash[..v.content_hash.len().min(12)],
                v.path
            );
            if args.lineage {
                for e in catalog.lineage_of(v.id)? {
                    println!(
                        "    <- {} ({})",
                        e.input_url,
                        &e.input_fingerprint[..e.input_fingerprint.len().min(12)]
                    );
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = catalog
        .datasets()?
        .into_iter()
        .map(|d| {
            vec![
                d.name,
                d.title,
                d.schema_version,
                if d.personal_data {
                    "yes".into()
                } else {
                    "no".into()
                },
                d.partitions.to_string(),
                d.total_rows.to_string(),
                d.last_updated.unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "dataset",
                "title",
                "schema",
                "personal",
                "partitions",
                "rows",
                "updated"
            ],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}
