//! The services `metrodati serve` hosts, one module each.
//!
//! A service owns some path prefixes and brings its own authentication:
//! WaaS checks PDND vouchers per comune; the open-data portal will be
//! public; the Fascicolo del Cittadino and the stewards' console will have
//! their own login. [`crate::app`] only composes them: it checks that no two
//! services claim the same paths, adds the access log, the fallback and
//! graceful shutdown, and never looks inside a service.
//!
//! To add a service: a module here with a type implementing [`Service`], a
//! section in `serve.toml` ([`crate::config`]), and one line in
//! [`from_config`].

pub mod waas;

use axum::Router;

use crate::config::ServeConfig;
use crate::db::CatalogHandle;

/// One service of the server.
pub trait Service: Send + Sync {
    /// Short stable name, used in access logs (`service=waas`).
    fn name(&self) -> &'static str;

    /// The path prefixes the service answers under (e.g. one per comune);
    /// the app refuses to start if two services overlap.
    fn prefixes(&self) -> Vec<String>;

    /// The service's routes with its own authentication already applied:
    /// nothing reaches a handler of the service without passing it. Paths
    /// are absolute (they include the prefixes); the router must not set a
    /// top-level fallback (the app owns it), but may set fallbacks inside
    /// its prefixes.
    fn router(&self) -> Router;
}

/// What the access log says about a request beyond method, path, status and
/// latency. Services put it in the **response** extensions (typically from
/// their authentication layer, so refused requests are tagged too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessTags {
    /// The service that answered.
    pub service: &'static str,
    /// The tenant, e.g. the comune's codice Belfiore.
    pub tenant: Option<String>,
    /// Who called: the authenticated subject (e.g. the voucher's `sub`),
    /// never a credential.
    pub subject: Option<String>,
    /// Why authentication failed, as a short code (e.g. `expired`).
    pub auth_error: Option<&'static str>,
}

/// Shared resources a service may use.
#[derive(Debug, Clone)]
pub struct Context {
    pub catalog: CatalogHandle,
}

/// The services configured in `serve.toml`.
pub fn from_config(config: &ServeConfig, ctx: &Context) -> Vec<Box<dyn Service>> {
    let mut out: Vec<Box<dyn Service>> = Vec::new();
    if let Some(w) = &config.waas {
        out.push(Box::new(waas::WaasService::new(w.clone(), ctx.catalog.clone())));
    }
    out
}
