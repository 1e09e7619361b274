//! One module per subcommand.

pub mod check;
pub mod datasets;
pub mod run;
pub mod runs;
pub mod sample;
pub mod schedule;
pub mod schema;
pub mod serve;
pub mod siuss;

use anyhow::Context as _;
use metrodati_catalog::Catalog;
use metrodati_pipelines::config::Settings;

/// Opens the catalog named by the settings.
pub fn open_catalog(settings: &Settings) -> anyhow::Result<Catalog> {
    Catalog::open(&settings.catalog_path)
        .with_context(|| format!("opening the catalog {}", settings.catalog_path.display()))
}

/// Renders rows as an aligned text table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}
