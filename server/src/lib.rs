//! # metrodati-server
//!
//! `metrodati serve`: the one HTTP server of metrodati. Today it hosts the
//! **WaaS e-service** through which INPS acquires the SIUSS flows of every
//! comune that joined WaaS ([`services::waas`]); later it will also host the
//! public open-data portal, the Fascicolo del Cittadino API and the
//! stewards' console.
//!
//! | module | what |
//! |---|---|
//! | [`config`] | `serve.toml`, checked with file/line/key errors |
//! | [`services`] | the [`services::Service`] trait: each service owns its paths and its authentication |
//! | [`app`] | composition, access log, graceful shutdown, [`app::run`] |
//! | [`problem`] | `application/problem+json` errors |
//! | [`db`] | the catalog shared by the services |
//!
//! ```no_run
//! # use std::path::Path;
//! let config = metrodati_server::config::ServeConfig::load(Path::new("serve.toml"))?;
//! metrodati_server::app::run(&config, Path::new("data/catalog.sqlite"), None)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod app;
pub mod config;
pub mod db;
pub mod problem;
pub mod services;

pub use app::{router, run, serve, shutdown_signal, ServeError};
pub use config::{ConfigError, ConfigErrors, ServeConfig};
pub use db::CatalogHandle;
pub use services::waas::rejected_flows;
