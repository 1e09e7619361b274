//! `metrodati serve`: the HTTP server (today the WaaS e-service through
//! which INPS acquires the SIUSS flows; see `server/`).

use anyhow::Context as _;
use metrodati_pipelines::config::Settings;
use metrodati_server::ServeConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Server configuration: services, comuni, trusted voucher keys (default: serve.toml next to
    /// metrodati.toml, or in the working directory).
    #[arg(long, value_name = "FILE", env = "METRODATI_SERVE_CONFIG")]
    serve_config: Option<PathBuf>,
    /// Listen on this address instead of the one in serve.toml (e.g. 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    bind: Option<SocketAddr>,
}

pub fn run(settings: &Settings, args: Args) -> anyhow::Result<ExitCode> {
    let path = args
        .serve_config
        .unwrap_or_else(|| settings.root.join("serve.toml"));
    if !path.is_file() {
        anyhow::bail!(
            "{} not found: `metrodati serve` needs its configuration (the [[waas.comuni]] it serves and \
             the keys vouchers are signed with); see \"Server\" in the README, or pass --serve-config",
            path.display()
        );
    }
    let config = match ServeConfig::load(&path) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(2));
        }
    };
    metrodati_server::run(&config, &settings.catalog_path, args.bind)
        .with_context(|| format!("metrodati serve ({})", path.display()))?;
    Ok(ExitCode::SUCCESS)
}
