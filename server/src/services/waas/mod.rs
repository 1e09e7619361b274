//! The WaaS e-service for INPS SIUSS ("Alimentazione WAAS-SIUSS", pull
//! model): INPS polls each comune's `GET /flussi`, acquires the flows and
//! notifies the outcomes on `POST /esiti` (`api-comuni.yaml` v2.0.1).
//!
//! The platform hosts one e-service per comune that joined WaaS, each at its
//! own base path (default `/waas/<belfiore>/v1`) with its own PDND audience:
//! a request reaches a comune's handlers only with a voucher issued for that
//! comune's e-service ([`auth`]), and the handlers only ever read and write
//! that comune's flows ([`store`]).
//!
//! | module | what |
//! |---|---|
//! | [`auth`] | PDND voucher check, the service's own authentication layer |
//! | [`api`] | wire format: query parameters, `Entries`, `ElencoEsiti` |
//! | [`handlers`] | `GET /flussi`, `POST /esiti`, `GET /status` |
//! | [`store`] | the catalog calls; [`rejected_flows`] for the steward report |
//! | [`ratelimit`] | the optional per-comune 429 limit |

pub mod api;
pub mod auth;
pub mod handlers;
pub mod ratelimit;
pub mod store;

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

pub use store::rejected_flows;

use crate::config::{WaasComune, WaasConfig};
use crate::db::CatalogHandle;
use crate::problem;
use crate::services::Service;
use auth::{require_voucher, ComuneAuth, VoucherVerifier};
use handlers::ComuneState;
use ratelimit::{limit_requests, FixedWindow};
use store::WaasStore;

/// Name in the access log.
pub const SERVICE_NAME: &str = "waas";

/// The WaaS e-services of every configured comune.
#[derive(Debug, Clone)]
pub struct WaasService {
    config: WaasConfig,
    catalog: CatalogHandle,
}

impl WaasService {
    pub fn new(config: WaasConfig, catalog: CatalogHandle) -> WaasService {
        WaasService { config, catalog }
    }

    /// One comune's API, relative to its base path, behind its voucher check.
    fn comune_router(&self, c: &WaasComune) -> Router {
        let state = Arc::new(ComuneState {
            belfiore: c.belfiore.clone(),
            denominazione: c.denominazione.clone(),
            store: WaasStore::new(self.catalog.clone()),
        });
        let mut router = Router::new()
            .route("/flussi", get(handlers::flussi))
            .route("/esiti", post(handlers::esiti))
            .route("/status", get(handlers::status))
            .fallback(problem::not_found)
            .method_not_allowed_fallback(problem::method_not_allowed)
            .with_state(state);
        if let Some(limit) = c.rate_limit {
            router = router.layer(from_fn_with_state(
                Arc::new(FixedWindow::new(limit)),
                limit_requests,
            ));
        }
        // Outermost: nothing of the comune's API, not even its 404s, answers
        // without a valid voucher for this comune.
        let auth = Arc::new(ComuneAuth {
            belfiore: c.belfiore.clone(),
            realm: format!("waas-{}", c.belfiore),
            verifier: VoucherVerifier::new(c.auth.clone()),
        });
        router.layer(from_fn_with_state(auth, require_voucher))
    }
}

impl Service for WaasService {
    fn name(&self) -> &'static str {
        SERVICE_NAME
    }

    fn prefixes(&self) -> Vec<String> {
        self.config.comuni.iter().map(|c| c.base_path.clone()).collect()
    }

    fn router(&self) -> Router {
        let mut router = Router::new();
        for c in &self.config.comuni {
            tracing::info!(
                comune = %c.belfiore,
                denominazione = %c.denominazione,
                base_path = %c.base_path,
                audience = %c.auth.audience,
                "waas: e-service configured"
            );
            router = router.nest(&c.base_path, self.comune_router(c));
        }
        router
    }
}
