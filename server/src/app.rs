//! Composition of the services into one server: path ownership, access
//! log, fallback, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::config::{paths_overlap, ServeConfig};
use crate::db::CatalogHandle;
use crate::problem;
use crate::services::{self, AccessTags, Context};

/// Liveness probe of the process (no data, no authentication).
pub const HEALTH_PATH: &str = "/healthz";

/// Why the server could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("serve.toml configures no service (add a [waas] section with its [[waas.comuni]])")]
    NoServices,
    #[error("service {a} ({pa}) and service {b} ({pb}) claim overlapping paths")]
    Overlap {
        a: &'static str,
        pa: String,
        b: &'static str,
        pb: String,
    },
    #[error("opening the catalog {path}: {source}")]
    Catalog {
        path: String,
        #[source]
        source: metrodati_catalog::CatalogError,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The whole HTTP application: every configured service, the access log and
/// the problem+json fallback.
pub fn router(config: &ServeConfig, ctx: &Context) -> Result<Router, ServeError> {
    let services = services::from_config(config, ctx);
    if services.is_empty() {
        return Err(ServeError::NoServices);
    }
    let mut owned: Vec<(&'static str, String)> = vec![("health", HEALTH_PATH.to_string())];
    for s in &services {
        for p in s.prefixes() {
            if let Some((other, op)) = owned
                .iter()
                .find(|(o, op)| *o != s.name() && paths_overlap(op, &p))
            {
                return Err(ServeError::Overlap {
                    a: other,
                    pa: op.clone(),
                    b: s.name(),
                    pb: p,
                });
            }
            owned.push((s.name(), p));
        }
    }
    let mut app = Router::new().route(HEALTH_PATH, get(health));
    for s in &services {
        app = app.merge(s.router());
    }
    Ok(with_access_log(app.fallback(problem::not_found)))
}

async fn health() -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok\n")
}

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// One `metrodati::access` event per request, in the request's span:
/// `request{id method path}` and `status latency_ms service comune subject
/// auth_error`. The query string and the headers (the voucher) are never
/// logged.
pub fn with_access_log(app: Router) -> Router {
    app.layer(
        TraceLayer::new_for_http()
            .make_span_with(|req: &Request<Body>| {
                let id = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed);
                tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
            })
            .on_request(())
            .on_response(|res: &Response<Body>, latency: Duration, _span: &Span| {
                let tags = res.extensions().get::<AccessTags>();
                let tag = |f: fn(&AccessTags) -> Option<&str>| tags.and_then(f).unwrap_or("-");
                tracing::info!(
                    target: "metrodati::access",
                    status = res.status().as_u16(),
                    latency_ms = latency.as_micros() as f64 / 1000.0,
                    service = tags.map_or("-", |t| t.service),
                    comune = tag(|t| t.tenant.as_deref()),
                    subject = tag(|t| t.subject.as_deref()),
                    auth_error = tag(|t| t.auth_error),
                    "access"
                );
            })
            .on_body_chunk(())
            .on_eos(())
            .on_failure(()),
    )
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received: stopping"),
        _ = term => tracing::info!("SIGTERM received: stopping"),
    }
}

/// Serves `app` on `listener` until `shutdown` resolves; then stops
/// accepting connections, closes idle ones and lets in-flight requests
/// finish for up to `grace` before returning.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping_tx.send(());
    });
    let server = std::future::IntoFuture::into_future(server);
    tokio::pin!(server);
    tokio::select! {
        r = &mut server => r,
        _ = async {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            tracing::warn!(grace_s = grace.as_secs(), "shutdown grace period over: closing the connections still open");
            Ok(())
        }
    }
}

/// `metrodati serve`: opens the catalog, builds the services of `config`,
/// listens on `bind` (or the configured address) and serves until SIGTERM
/// or SIGINT. Blocks; runs its own tokio runtime.
pub fn run(config: &ServeConfig, catalog_path: &Path, bind: Option<SocketAddr>) -> Result<(), ServeError> {
    let catalog = CatalogHandle::open(catalog_path).map_err(|source| ServeError::Catalog {
        path: catalog_path.display().to_string(),
        source,
    })?;
    let app = router(config, &Context { catalog })?;
    let addr = bind.unwrap_or(config.server.bind);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)))
        .thread_name("metrodati-serve")
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        tracing::info!(
            addr = %listener.local_addr()?,
            config = %config.path.display(),
            catalog = %catalog_path.display(),
            "metrodati serve: listening"
        );
        serve(listener, app, shutdown_signal(), config.server.shutdown_grace).await?;
        tracing::info!("metrodati serve: stopped");
        Ok(())
    })
}
