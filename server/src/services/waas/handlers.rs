//! The three resources of `api-comuni.yaml`, for one comune.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use metrodati_catalog::EsitoOutcome;
use serde_json::json;

use super::api::{parse_esiti, parse_flussi_query, Entries, Flusso};
use super::auth::Voucher;
use super::store::WaasStore;
use crate::db::DbError;
use crate::problem::{Problem, PROBLEM_JSON};

/// Largest `POST /esiti` body (100 esiti are a few tens of KB).
pub const MAX_ESITI_BODY: usize = 1024 * 1024;

/// What the handlers of one comune share.
#[derive(Debug)]
pub struct ComuneState {
    pub belfiore: String,
    pub denominazione: String,
    pub store: WaasStore,
}

fn db_problem(belfiore: &str, what: &str, e: &DbError) -> Problem {
    tracing::error!(comune = belfiore, error = %e, "waas: {what} failed");
    Problem::internal()
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(b) => (status, [(header::CONTENT_TYPE, "application/json")], b).into_response(),
        Err(_) => Problem::internal().into_response(),
    }
}

/// `GET /flussi?since=<ms>&limit=<0..100>`: the comune's flows after
/// `since`, oldest first; they become `sent`.
pub async fn flussi(
    State(st): State<Arc<ComuneState>>,
    Extension(voucher): Extension<Voucher>,
    uri: Uri,
) -> Result<Response, Problem> {
    let q = parse_flussi_query(uri.query()).map_err(Problem::bad_request)?;
    let flows = st
        .store
        .next_page(&st.belfiore, q.since, q.limit)
        .await
        .map_err(|e| db_problem(&st.belfiore, "GET /flussi", &e))?;
    if !flows.is_empty() {
        tracing::info!(
            comune = %st.belfiore,
            subject = %voucher.subject,
            since = q.since,
            limit = q.limit,
            flows = flows.len(),
            last_ts = flows.last().map(|f| f.ts_flusso),
            "waas: flows handed to INPS"
        );
    }
    let body = Entries {
        elenco_flussi: flows.iter().map(Flusso::from).collect(),
    };
    Ok(json_response(StatusCode::OK, &body))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// `POST /esiti`: record INPS's esiti for the comune's flows; 204.
///
/// All the esiti of a request are stored in one transaction, or none (and
/// INPS retries). An esito whose `id_flusso` is not a flow of this comune
/// is kept for the steward report and does not fail the request: refusing
/// it would make INPS resend the whole notification forever, holding back
/// the valid esiti with it.
pub async fn esiti(
    State(st): State<Arc<ComuneState>>,
    Extension(voucher): Extension<Voucher>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    if !is_json(&headers) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The body must be application/json (an ElencoEsiti).",
        ));
    }
    let bytes = to_bytes(body, MAX_ESITI_BODY).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The body could not be read or is larger than {MAX_ESITI_BODY} bytes."),
        )
    })?;
    let esiti = parse_esiti(&bytes).map_err(Problem::bad_request)?;
    let count = esiti.len();
    let ids: Vec<String> = esiti.iter().map(|e| e.id_flusso.clone()).collect();
    let outcomes = st
        .store
        .record_esiti(&st.belfiore, esiti)
        .await
        .map_err(|e| db_problem(&st.belfiore, "POST /esiti", &e))?;
    let n = |f: fn(&EsitoOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let unknown: Vec<&str> = ids
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o == EsitoOutcome::UnknownFlow)
        .map(|(id, _)| id.as_str())
        .collect();
    tracing::info!(
        comune = %st.belfiore,
        subject = %voucher.subject,
        esiti = count,
        applied = n(|o| matches!(o, EsitoOutcome::Applied(_))),
        duplicate = n(|o| *o == EsitoOutcome::Duplicate),
        stale = n(|o| *o == EsitoOutcome::Stale),
        unknown = unknown.len(),
        "waas: esiti recorded"
    );
    if !unknown.is_empty() {
        tracing::warn!(
            comune = %st.belfiore,
            id_flusso = ?unknown.iter().take(10).collect::<Vec<_>>(),
            "waas: esiti for flows this comune does not have (kept for the steward report)"
        );
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /status`: `application/problem+json`, 200 when the catalog answers,
/// 503 otherwise.
pub async fn status(State(st): State<Arc<ComuneState>>) -> Response {
    match st.store.ping().await {
        Ok(()) => {
            let body = json!({
                "status": 200,
                "title": "OK",
                "detail": format!("WaaS SIUSS e-service of {} ({}) is up.", st.denominazione, st.belfiore),
            });
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, PROBLEM_JSON)],
                body.to_string(),
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(comune = %st.belfiore, error = %e, "waas: status check failed");
            Problem::unavailable("The flow store is not reachable.", 30).into_response()
        }
    }
}
