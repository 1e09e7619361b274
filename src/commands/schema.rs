//! `metrodati schema export`: Table Schema JSON and Markdown from the one
//! definition of the schema.

use anyhow::Context as _;
use metrodati_interop::schema;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Output folder.
    #[arg(long, default_value = "docs/schema")]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    for e in schema::entities() {
        let json = serde_json::to_string_pretty(&schema::table_schema(e))? + "\n";
        let j = args.out.join(format!("{}.schema.json", e.name));
        std::fs::write(&j, json).with_context(|| format!("writing {}", j.display()))?;
        let m = args.out.join(format!("{}.md", e.name));
        std::fs::write(&m, schema::markdown(e)).with_context(|| format!("writing {}", m.display()))?;
        println!("{}\n{}", j.display(), m.display());
    }
    Ok(ExitCode::SUCCESS)
}
