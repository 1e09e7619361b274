//! What the WaaS e-service reads and writes in the catalog.

use chrono::Utc;
use metrodati_catalog::{Catalog, CatalogError, EsitoOutcome, NewEsito, SiussFlow};

use super::api::base64_len;
use crate::db::{CatalogHandle, DbError};

/// A `GET /flussi` response carries at most this much base64 (it always
/// carries at least one flow when there is one). Flows are one beneficiary
/// and one prestazione, a few KB each; the cap only matters for pathological
/// flows, and cutting a page short is safe: INPS continues from the last
/// `ts_flusso` it received.
pub const MAX_PAGE_BASE64_BYTES: usize = 32 * 1024 * 1024;

/// The flows of one page, trimmed to [`MAX_PAGE_BASE64_BYTES`].
pub fn trim_to_budget(mut flows: Vec<SiussFlow>, budget: usize) -> Vec<SiussFlow> {
    let mut used = 0usize;
    let mut keep = 0usize;
    for f in &flows {
        let size = base64_len(f.flusso.len());
        if keep > 0 && used + size > budget {
            break;
        }
        used += size;
        keep += 1;
    }
    flows.truncate(keep);
    flows
}

/// The catalog seen by the WaaS handlers.
#[derive(Debug, Clone)]
pub struct WaasStore {
    catalog: CatalogHandle,
}

impl WaasStore {
    pub fn new(catalog: CatalogHandle) -> WaasStore {
        WaasStore { catalog }
    }

    /// The next page of `ente`'s flows after `since`, marked as sent in the
    /// same transaction.
    pub async fn next_page(&self, ente: &str, since: i64, limit: usize) -> Result<Vec<SiussFlow>, DbError> {
        let ente = ente.to_string();
        self.catalog
            .call(move |cat| {
                cat.transaction(|c| {
                    let flows =
                        trim_to_budget(c.siuss_flows_since(&ente, since, limit)?, MAX_PAGE_BASE64_BYTES);
                    let ids: Vec<&str> = flows.iter().map(|f| f.id_flusso.as_str()).collect();
                    c.mark_siuss_flows_sent(&ente, &ids, Utc::now())?;
                    Ok(flows)
                })
            })
            .await
    }

    /// Records a batch of esiti for `ente`, all or nothing.
    pub async fn record_esiti(&self, ente: &str, esiti: Vec<NewEsito>) -> Result<Vec<EsitoOutcome>, DbError> {
        let ente = ente.to_string();
        self.catalog
            .call(move |cat| {
                let now = Utc::now();
                cat.transaction(|c| {
                    esiti
                        .iter()
                        .map(|e| c.record_siuss_esito(&ente, e, now))
                        .collect()
                })
            })
            .await
    }

    /// Whether the catalog answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.catalog.call(|cat| cat.schema_version().map(|_| ())).await
    }
}

/// The rejected flows not yet replaced by a fixed one (of one comune, or of
/// all): the "rejected, to fix and resubmit" part of the steward report.
/// Each flow carries its latest esito (code and description).
pub fn rejected_flows(catalog: &Catalog, codice_ente: Option<&str>) -> Result<Vec<SiussFlow>, CatalogError> {
    catalog.rejected_siuss_flows(codice_ente)
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrodati_catalog::{FlowStatus, TipoFlusso};

    fn flow(id: &str, bytes: usize) -> SiussFlow {
        SiussFlow {
            id: 0,
            codice_ente: "F205".into(),
            denominazione_ente: "Comune di Milano".into(),
            id_flusso: id.into(),
            tipo: TipoFlusso::Sinba,
            ts_flusso: 0,
            flusso: vec![b'x'; bytes],
            status: FlowStatus::Pending,
            created_at: String::new(),
            first_sent_at: None,
            last_sent_at: None,
            times_sent: 0,
            esito: None,
            superseded_by: None,
        }
    }

    #[test]
    fn pages_are_cut_to_the_budget_but_never_empty() {
        let ids = |v: Vec<SiussFlow>| v.into_iter().map(|f| f.id_flusso).collect::<Vec<_>>();
        let flows = vec![flow("a", 30), flow("b", 30), flow("c", 30)];
        assert_eq!(ids(trim_to_budget(flows.clone(), 80)), ["a", "b"]);
        assert_eq!(ids(trim_to_budget(flows.clone(), 1000)), ["a", "b", "c"]);
        assert_eq!(ids(trim_to_budget(flows, 10)), ["a"]);
        assert!(trim_to_budget(Vec::new(), 10).is_empty());
    }
}
