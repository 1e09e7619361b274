//! Change tracking of the SIUSS submissions (migration 4): which record each
//! flow carries, the ledger of what INPS has (or is about to have), the
//! violations found by the latest run, and the SINBA secret's fingerprint.
//!
//! The siuss pipeline reads the ledger ([`Catalog::siuss_records`]), compares
//! it with the store, and in one [`Catalog::transaction`] per comune stores
//! the new flows ([`Catalog::insert_siuss_flow`] +
//! [`Catalog::insert_siuss_flow_meta`]), updates the ledger
//! ([`Catalog::upsert_siuss_record`]) and replaces the month's violations
//! ([`Catalog::replace_siuss_issues`]). The steward report reads
//! [`Catalog::siuss_report_flows`] and [`Catalog::siuss_issues`].

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params, OptionalExtension, Row};

use crate::catalog::format_ts;
use crate::error::{CatalogError, Context, ParseError};
use crate::siuss::{CodiceEsito, FlowStatus, TipoFlusso};
use crate::{Catalog, RunId};

type Result<T> = std::result::Result<T, CatalogError>;

crate::text_enum::text_enum!(
    /// How a comune hands its flows to INPS.
    Canale, "SIUSS channel" {
        /// INPS pulls them through the WaaS e-service (`metrodati serve`).
        Waas => "waas",
        /// The steward uploads the bulk file on the INPS web application.
        Upload => "upload",
    }
);

crate::text_enum::text_enum!(
    /// What a flow does to its record.
    Operazione, "SIUSS operation" {
        /// `TipoOperazione="I"`: insertion.
        Inserimento => "I",
        /// `TipoOperazione="C"`: cancellation of a previous insertion.
        Cancellazione => "C",
        /// A SINBA case snapshot (SINBA has no TipoOperazione).
        Snapshot => "S",
    }
);

crate::text_enum::text_enum!(
    /// Why a flow was built.
    Motivo, "SIUSS reason" {
        /// A record never sent before.
        Nuova => "nuova",
        /// A record whose content changed (cancellation and insertion, or a
        /// replacement of a flow INPS had not taken yet).
        Rettifica => "rettifica",
        /// The same content again after an `ERRORE_GENERICO` esito.
        Reinvio => "reinvio",
        /// The cancellation of a record withdrawn from the Cartella Sociale.
        Ritiro => "ritiro",
    }
);

crate::text_enum::text_enum!(
    /// Whether a ledger record is live at INPS.
    RecordState, "SIUSS record state" {
        /// Inserted (or on its way).
        Active => "active",
        /// Withdrawn: cancelled, or never acquired.
        Withdrawn => "withdrawn",
    }
);

/// What the siuss pipeline records with each flow it builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowMeta {
    pub id_flusso: String,
    pub run: Option<RunId>,
    pub canale: Canale,
    /// `YYYY-MM`: the month of the run that built the flow.
    pub periodo: String,
    pub record_key: String,
    /// The record's identifier in the Cartella Sociale.
    pub identifier: String,
    pub codice_prestazione: String,
    pub operazione: Operazione,
    pub motivo: Motivo,
}

/// A flow as the ledger sees it: id, status, latest esito code, replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowState {
    pub id_flusso: String,
    pub status: FlowStatus,
    pub codice_esito: Option<CodiceEsito>,
    pub superseded_by: Option<String>,
}

/// One ledger row, with the state of its flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRecord {
    pub codice_ente: String,
    pub tipo: TipoFlusso,
    pub record_key: String,
    /// The record's identifier in the Cartella Sociale.
    pub identifier: String,
    pub state: RecordState,
    pub content_hash: String,
    pub insert_flow: FlowState,
    pub cancel_flow: Option<FlowState>,
}

/// A ledger row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerUpdate {
    pub codice_ente: String,
    pub tipo: TipoFlusso,
    pub record_key: String,
    pub identifier: String,
    pub state: RecordState,
    pub content_hash: String,
    pub insert_flow: String,
    pub cancel_flow: Option<String>,
}

/// A violation that kept a record from being sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiussIssue {
    pub tipo: TipoFlusso,
    pub record_key: String,
    pub identifier: String,
    pub codice_prestazione: Option<String>,
    /// Only for PS/PSA/SINA records; the catalog refuses it on SINBA ones.
    pub codice_fiscale: Option<String>,
    pub field: Option<String>,
    pub rule: String,
    pub message: String,
}

/// A flow of the steward report: the flow, its metadata and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFlow {
    pub id_flusso: String,
    pub tipo: TipoFlusso,
    pub ts_flusso: i64,
    pub created_at: String,
    pub status: FlowStatus,
    pub codice_esito: Option<CodiceEsito>,
    pub descrizione_esito: Option<String>,
    pub id_acquisizione_siuss: Option<String>,
    pub ts_acquisizione: Option<String>,
    pub superseded_by: Option<String>,
    pub meta: FlowMeta,
    /// The XML of the flow (the report reads the codice fiscale of PS flows
    /// from it).
    pub flusso: Vec<u8>,
}

fn invalid(op: &'static str, message: impl Into<String>) -> CatalogError {
    CatalogError::InvalidInput {
        op,
        message: message.into(),
    }
}

fn is_periodo(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(
            &s[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        )
}

fn flow_state(row: &Row<'_>, at: usize) -> rusqlite::Result<Option<FlowState>> {
    let id: Option<String> = row.get(at)?;
    Ok(match id {
        None => None,
        Some(id_flusso) => Some(FlowState {
            id_flusso,
            status: row.get(at + 1)?,
            codice_esito: row.get(at + 2)?,
            superseded_by: row.get(at + 3)?,
        }),
    })
}

impl Catalog {
    /// Records what a flow built by the siuss pipeline carries. The flow
    /// must be stored first.
    pub fn insert_siuss_flow_meta(&self, m: &FlowMeta) -> Result<()> {
        const OP: &str = "insert_siuss_flow_meta";
        if !is_periodo(&m.periodo) {
            return Err(invalid(OP, format!("periodo {:?} is not YYYY-MM", m.periodo)));
        }
        if let Some(run) = m.run {
            self.ensure_run(OP, run)?;
        }
        self.conn
            .prepare_cached(
                "INSERT INTO siuss_flow_meta
                   (id_flusso, run_id, canale, periodo, record_key, identifier, codice_prestazione,
                    operazione, motivo)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    m.id_flusso,
                    m.run,
                    m.canale,
                    m.periodo,
                    m.record_key,
                    m.identifier,
                    m.codice_prestazione,
                    m.operazione,
                    m.motivo
                ])
            })
            .ctx(OP)?;
        Ok(())
    }

    /// The ledger of `ente` for one flow type, by record key.
    pub fn siuss_records(&self, ente: &str, tipo: TipoFlusso) -> Result<Vec<LedgerRecord>> {
        const OP: &str = "siuss_records";
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT r.codice_ente, r.tipo, r.record_key, r.state, r.content_hash,
                        i.id_flusso, i.status, i.codice_esito, i.superseded_by,
                        c.id_flusso, c.status, c.codice_esito, c.superseded_by, r.identifier
                 FROM siuss_records r
                 JOIN siuss_flows i ON i.id_flusso = r.insert_flow
                 LEFT JOIN siuss_flows c ON c.id_flusso = r.cancel_flow
                 WHERE r.codice_ente = ?1 AND r.tipo = ?2
                 ORDER BY r.record_key",
            )
            .ctx(OP)?;
        let rows = st
            .query_map(params![ente, tipo], |row| {
                Ok(LedgerRecord {
                    codice_ente: row.get(0)?,
                    tipo: row.get(1)?,
                    record_key: row.get(2)?,
                    identifier: row.get(13)?,
                    state: row.get(3)?,
                    content_hash: row.get(4)?,
                    insert_flow: flow_state(row, 5)?.ok_or(rusqlite::Error::InvalidQuery)?,
                    cancel_flow: flow_state(row, 9)?,
                })
            })
            .ctx(OP)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(OP)?;
        Ok(rows)
    }

    /// Writes a ledger row (insert or replace).
    pub fn upsert_siuss_record(&self, r: &LedgerUpdate) -> Result<()> {
        const OP: &str = "upsert_siuss_record";
        self.conn
            .prepare_cached(
                "INSERT INTO siuss_records
                   (codice_ente, tipo, record_key, state, content_hash, insert_flow, cancel_flow, updated_at,
                    identifier)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (codice_ente, tipo, record_key) DO UPDATE SET
                   identifier = excluded.identifier,
                   state = excluded.state, content_hash = excluded.content_hash,
                   insert_flow = excluded.insert_flow, cancel_flow = excluded.cancel_flow,
                   updated_at = excluded.updated_at",
            )
            .and_then(|mut st| {
                st.execute(params![
                    r.codice_ente,
                    r.tipo,
                    r.record_key,
                    r.state,
                    r.content_hash,
                    r.insert_flow,
                    r.cancel_flow,
                    format_ts(chrono::Utc::now()),
                    r.identifier
                ])
            })
            .ctx(OP)?;
        Ok(())
    }

    /// The next free daily progressive of the flow names
    /// `{ente}.{token}.{yyyymmdd}.NNNNNNN` (1 on a new day).
    pub fn next_siuss_progressivo(&self, ente: &str, token: &str, yyyymmdd: &str) -> Result<u32> {
        self.next_progressivo(
            "next_siuss_progressivo",
            "SELECT id_flusso FROM siuss_flows WHERE id_flusso >= ?1 AND id_flusso < ?1 || ':'",
            &format!("{ente}.{token}.{yyyymmdd}."),
        )
    }

    /// 1 + the largest progressive of the names that `sql` returns for the
    /// prefix: a range on the unique index, since progressives are digits
    /// (sorted before `:`).
    fn next_progressivo(&self, op: &'static str, sql: &str, prefix: &str) -> Result<u32> {
        let mut st = self.conn.prepare_cached(sql).ctx(op)?;
        let names = st
            .query_map([prefix], |r| r.get::<_, String>(0))
            .ctx(op)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(op)?;
        let max = names
            .iter()
            .filter_map(|n| n.get(prefix.len()..)?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        max.checked_add(1)
            .ok_or_else(|| invalid(op, "daily progressive exhausted"))
    }

    /// Replaces the violations recorded for `ente` and `periodo` by those of
    /// `run`, keeping the rows whose rule is in `keep` (notices raised once,
    /// when something happened, that a rerun of the month must not erase).
    pub fn replace_siuss_issues(
        &self,
        ente: &str,
        periodo: &str,
        run: Option<RunId>,
        issues: &[SiussIssue],
        keep: &[&str],
    ) -> Result<()> {
        const OP: &str = "replace_siuss_issues";
        if !is_periodo(periodo) {
            return Err(invalid(OP, format!("periodo {periodo:?} is not YYYY-MM")));
        }
        self.atomically(OP, || {
            let keep = serde_json::to_string(keep).map_err(|e| invalid(OP, e.to_string()))?;
            self.conn
                .execute(
                    "DELETE FROM siuss_issues WHERE codice_ente = ?1 AND periodo = ?2
                       AND rule NOT IN (SELECT value FROM json_each(?3))",
                    [ente, periodo, keep.as_str()],
                )
                .ctx(OP)?;
            let mut st = self
                .conn
                .prepare_cached(
                    "INSERT INTO siuss_issues
                       (codice_ente, periodo, run_id, tipo, record_key, identifier, codice_prestazione,
                        codice_fiscale, field, rule, message)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .ctx(OP)?;
            for i in issues {
                st.execute(params![
                    ente,
                    periodo,
                    run,
                    i.tipo,
                    i.record_key,
                    i.identifier,
                    i.codice_prestazione,
                    i.codice_fiscale,
                    i.field,
                    i.rule,
                    i.message
                ])
                .ctx(OP)?;
            }
            Ok(())
        })
    }

    /// The violations recorded for `ente` and `periodo`, in the order found.
    pub fn siuss_issues(&self, ente: &str, periodo: &str) -> Result<Vec<SiussIssue>> {
        const OP: &str = "siuss_issues";
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT tipo, record_key, identifier, codice_prestazione, codice_fiscale, field, rule, message
                 FROM siuss_issues WHERE codice_ente = ?1 AND periodo = ?2 ORDER BY id",
            )
            .ctx(OP)?;
        let rows = st
            .query_map([ente, periodo], |r| {
                Ok(SiussIssue {
                    tipo: r.get(0)?,
                    record_key: r.get(1)?,
                    identifier: r.get(2)?,
                    codice_prestazione: r.get(3)?,
                    codice_fiscale: r.get(4)?,
                    field: r.get(5)?,
                    rule: r.get(6)?,
                    message: r.get(7)?,
                })
            })
            .ctx(OP)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(OP)?;
        Ok(rows)
    }

    /// The flows of the steward report of `ente` for `periodo`: those built
    /// in that month, and those of earlier months still open (pending, sent
    /// or rejected and not replaced; not those of a bulk file handed over,
    /// nor rejected insertions of records withdrawn since), oldest first.
    pub fn siuss_report_flows(&self, ente: &str, periodo: &str) -> Result<Vec<ReportFlow>> {
        let mut out = Vec::new();
        self.for_each_siuss_report_flow(ente, periodo, |f| out.push(f))?;
        Ok(out)
    }

    /// [`Catalog::siuss_report_flows`] one flow at a time (a month of
    /// Milano's flows need not be in memory at once).
    pub fn for_each_siuss_report_flow(
        &self,
        ente: &str,
        periodo: &str,
        mut each: impl FnMut(ReportFlow),
    ) -> Result<()> {
        const OP: &str = "siuss_report_flows";
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT f.id_flusso, f.tipo, f.ts_flusso, f.created_at, f.status, f.codice_esito,
                        f.descrizione_esito, f.id_acquisizione_siuss, f.ts_acquisizione, f.superseded_by,
                        m.run_id, m.canale, m.periodo, m.record_key, m.identifier, m.codice_prestazione,
                        m.operazione, m.motivo, f.flusso
                 FROM siuss_flows f JOIN siuss_flow_meta m ON m.id_flusso = f.id_flusso
                 WHERE f.codice_ente = ?1
                   AND (m.periodo = ?2
                        OR (m.periodo < ?2 AND f.superseded_by IS NULL
                            AND f.status IN ('pending', 'sent', 'rejected')
                            -- a bulk file of an earlier month was handed over: closed
                            AND NOT (m.canale = 'upload' AND f.status = 'sent')
                            -- a rejected insertion of a record withdrawn since is closed
                            AND NOT (f.status = 'rejected' AND m.operazione <> 'C' AND EXISTS (
                                SELECT 1 FROM siuss_records r
                                WHERE r.codice_ente = f.codice_ente AND r.tipo = f.tipo
                                  AND r.record_key = m.record_key AND r.state = 'withdrawn'))))
                 ORDER BY f.ts_flusso",
            )
            .ctx(OP)?;
        let rows = st
            .query_map([ente, periodo], |r| {
                let id_flusso: String = r.get(0)?;
                Ok(ReportFlow {
                    tipo: r.get(1)?,
                    ts_flusso: r.get(2)?,
                    created_at: r.get(3)?,
                    status: r.get(4)?,
                    codice_esito: r.get(5)?,
                    descrizione_esito: r.get(6)?,
                    id_acquisizione_siuss: r.get(7)?,
                    ts_acquisizione: r.get(8)?,
                    superseded_by: r.get(9)?,
                    meta: FlowMeta {
                        id_flusso: id_flusso.clone(),
                        run: r.get(10)?,
                        canale: r.get(11)?,
                        periodo: r.get(12)?,
                        record_key: r.get(13)?,
                        identifier: r.get(14)?,
                        codice_prestazione: r.get(15)?,
                        operazione: r.get(16)?,
                        motivo: r.get(17)?,
                    },
                    flusso: r.get(18)?,
                    id_flusso,
                })
            })
            .ctx(OP)?;
        for f in rows {
            each(f.ctx(OP)?);
        }
        Ok(())
    }

    /// Records a bulk file written for an upload comune.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_siuss_bulk_file(
        &self,
        nome: &str,
        ente: &str,
        tipo: TipoFlusso,
        periodo: &str,
        path: &str,
        run: Option<RunId>,
        flows: u64,
    ) -> Result<()> {
        const OP: &str = "insert_siuss_bulk_file";
        self.conn
            .execute(
                "INSERT INTO siuss_bulk_files (nome, codice_ente, tipo, periodo, path, run_id, flows, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    nome,
                    ente,
                    tipo,
                    periodo,
                    path,
                    run,
                    flows as i64,
                    format_ts(chrono::Utc::now())
                ],
            )
            .ctx(OP)?;
        Ok(())
    }

    /// Whether a bulk file of this name was recorded.
    pub fn siuss_bulk_file_known(&self, nome: &str) -> Result<bool> {
        self.conn
            .prepare_cached("SELECT 1 FROM siuss_bulk_files WHERE nome = ?1")
            .and_then(|mut st| st.exists([nome]))
            .ctx("siuss_bulk_file_known")
    }

    /// The next free daily progressive of the bulk files
    /// `{ente}.{token}.{yyyymmdd}.NNNNNNN` (1 on a new day).
    pub fn next_siuss_bulk_progressivo(&self, ente: &str, token: &str, yyyymmdd: &str) -> Result<u32> {
        self.next_progressivo(
            "next_siuss_bulk_progressivo",
            "SELECT nome FROM siuss_bulk_files WHERE nome >= ?1 AND nome < ?1 || ':'",
            &format!("{ente}.{token}.{yyyymmdd}."),
        )
    }

    /// How many flows a run built, by operation and reason.
    pub fn siuss_run_counts(&self, run: RunId) -> Result<Vec<(Operazione, Motivo, u64)>> {
        const OP: &str = "siuss_run_counts";
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT operazione, motivo, COUNT(*) FROM siuss_flow_meta WHERE run_id = ?1
                 GROUP BY operazione, motivo ORDER BY operazione, motivo",
            )
            .ctx(OP)?;
        let rows = st
            .query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))
            .ctx(OP)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(OP)?;
        Ok(rows)
    }

    /// Whether a key's fingerprint was ever stored.
    pub fn siuss_key_known(&self, name: &str) -> Result<bool> {
        self.conn
            .prepare_cached("SELECT 1 FROM siuss_keys WHERE name = ?1")
            .and_then(|mut st| st.exists([name]))
            .ctx("siuss_key_known")
    }

    /// Checks a key's fingerprint: stores it the first time, then returns
    /// `false` if another fingerprint is presented under the same name.
    pub fn check_siuss_key(&self, name: &str, fingerprint: &str) -> Result<bool> {
        const OP: &str = "check_siuss_key";
        self.atomically(OP, || {
            let known: Option<String> = self
                .conn
                .query_row(
                    "SELECT fingerprint FROM siuss_keys WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()
                .ctx(OP)?;
            match known {
                Some(k) => Ok(k == fingerprint),
                None => {
                    self.conn
                        .execute(
                            "INSERT INTO siuss_keys (name, fingerprint, created_at) VALUES (?1, ?2, ?3)",
                            params![name, fingerprint, format_ts(chrono::Utc::now())],
                        )
                        .ctx(OP)?;
                    Ok(true)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siuss::{NewEsito, NewSiussFlow};
    use chrono::Utc;

    fn flow(c: &Catalog, id: &str) {
        c.insert_siuss_flow(&NewSiussFlow {
            codice_ente: "F205".into(),
            denominazione_ente: "Comune di Milano".into(),
            id_flusso: id.into(),
            tipo: TipoFlusso::PsPsaSina,
            ts_flusso: 1,
            flusso: format!("<x id='{id}'/>").into_bytes(),
            replaces: None,
        })
        .unwrap();
    }

    fn meta(id: &str, canale: Canale, periodo: &str) -> FlowMeta {
        FlowMeta {
            id_flusso: id.into(),
            run: None,
            canale,
            periodo: periodo.into(),
            record_key: format!("P-{id}@2025"),
            identifier: format!("P-{id}"),
            codice_prestazione: "A1.04".into(),
            operazione: Operazione::Inserimento,
            motivo: Motivo::Nuova,
        }
    }

    #[test]
    fn upload_flows_are_never_served() {
        let c = Catalog::open_in_memory().unwrap();
        flow(&c, "F205.PS.20251231.0000001");
        flow(&c, "F205.PS.20251231.0000002");
        c.insert_siuss_flow_meta(&meta("F205.PS.20251231.0000001", Canale::Waas, "2025-12"))
            .unwrap();
        c.insert_siuss_flow_meta(&meta("F205.PS.20251231.0000002", Canale::Upload, "2025-12"))
            .unwrap();
        let served: Vec<String> = c
            .siuss_flows_since("F205", 0, 10)
            .unwrap()
            .into_iter()
            .map(|f| f.id_flusso)
            .collect();
        assert_eq!(served, ["F205.PS.20251231.0000001"]);
        assert!(c
            .insert_siuss_flow_meta(&meta("F205.PS.20251231.0000001", Canale::Waas, "2025-13"))
            .is_err());
    }

    #[test]
    fn progressivo_is_daily_per_ente_and_token() {
        let c = Catalog::open_in_memory().unwrap();
        assert_eq!(c.next_siuss_progressivo("F205", "PS", "20251231").unwrap(), 1);
        flow(&c, "F205.PS.20251231.0000001");
        flow(&c, "F205.PS.20251231.0000007");
        flow(&c, "F205.SINBA.20251231.0000003");
        assert_eq!(c.next_siuss_progressivo("F205", "PS", "20251231").unwrap(), 8);
        assert_eq!(c.next_siuss_progressivo("F205", "SINBA", "20251231").unwrap(), 4);
        assert_eq!(c.next_siuss_progressivo("F205", "PS", "20260101").unwrap(), 1);
        assert_eq!(c.next_siuss_progressivo("A010", "PS", "20251231").unwrap(), 1);
    }

    #[test]
    fn ledger_round_trip_with_flow_states() {
        let c = Catalog::open_in_memory().unwrap();
        flow(&c, "F205.PS.20251231.0000001");
        flow(&c, "F205.PS.20251231.0000002");
        let mut u = LedgerUpdate {
            codice_ente: "F205".into(),
            tipo: TipoFlusso::PsPsaSina,
            record_key: "P-1@2025".into(),
            identifier: "P-1".into(),
            state: RecordState::Active,
            content_hash: "h1".into(),
            insert_flow: "F205.PS.20251231.0000001".into(),
            cancel_flow: None,
        };
        c.upsert_siuss_record(&u).unwrap();
        c.record_siuss_esito(
            "F205",
            &NewEsito {
                id_flusso: "F205.PS.20251231.0000001".into(),
                tipo: "PS_PSA_SINA".into(),
                ts_flusso: "2025-12-31T10:00:00.000Z".into(),
                ts_acquisizione: Utc::now(),
                codice: CodiceEsito::ErroreGenerico,
                descrizione: Some("timeout".into()),
                id_acquisizione_siuss: None,
            },
            Utc::now(),
        )
        .unwrap();
        let r = c.siuss_records("F205", TipoFlusso::PsPsaSina).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].insert_flow.status, FlowStatus::Rejected);
        assert_eq!(r[0].insert_flow.codice_esito, Some(CodiceEsito::ErroreGenerico));
        assert!(r[0].cancel_flow.is_none());
        u.state = RecordState::Withdrawn;
        u.cancel_flow = Some("F205.PS.20251231.0000002".into());
        c.upsert_siuss_record(&u).unwrap();
        let r = c.siuss_records("F205", TipoFlusso::PsPsaSina).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].state, RecordState::Withdrawn);
        assert_eq!(r[0].cancel_flow.as_ref().unwrap().status, FlowStatus::Pending);
        assert!(c.siuss_records("F205", TipoFlusso::Sinba).unwrap().is_empty());
    }

    #[test]
    fn issues_are_replaced_per_month_and_sinba_never_has_a_cf() {
        let c = Catalog::open_in_memory().unwrap();
        let issue = |tipo, cf: Option<&str>| SiussIssue {
            tipo,
            record_key: "P-1@2025".into(),
            identifier: "P-1".into(),
            codice_prestazione: Some("A1.04".into()),
            codice_fiscale: cf.map(str::to_string),
            field: Some("ImportoPrestazione".into()),
            rule: "benefit.one_off.amount.missing".into(),
            message: "Importo mancante".into(),
        };
        c.replace_siuss_issues(
            "F205",
            "2025-11",
            None,
            &[issue(TipoFlusso::PsPsaSina, Some("X"))],
            &[],
        )
        .unwrap();
        c.replace_siuss_issues(
            "F205",
            "2025-12",
            None,
            &[issue(TipoFlusso::PsPsaSina, None)],
            &[],
        )
        .unwrap();
        c.replace_siuss_issues("F205", "2025-12", None, &[], &[]).unwrap();
        assert_eq!(c.siuss_issues("F205", "2025-11").unwrap().len(), 1);
        assert!(c.siuss_issues("F205", "2025-12").unwrap().is_empty());
        // Kept rules survive a rerun of the month.
        c.replace_siuss_issues("F205", "2025-11", None, &[], &["benefit.one_off.amount.missing"])
            .unwrap();
        assert_eq!(c.siuss_issues("F205", "2025-11").unwrap().len(), 1);
        assert!(c
            .replace_siuss_issues(
                "F205",
                "2025-12",
                None,
                &[issue(TipoFlusso::Sinba, Some("X"))],
                &[]
            )
            .is_err());
    }

    #[test]
    fn report_lists_the_month_and_what_is_still_open() {
        let c = Catalog::open_in_memory().unwrap();
        for (id, periodo) in [
            ("F205.PS.20251031.0000001", "2025-10"),
            ("F205.PS.20251031.0000002", "2025-10"),
            ("F205.PS.20251130.0000001", "2025-11"),
        ] {
            flow(&c, id);
            c.insert_siuss_flow_meta(&meta(id, Canale::Waas, periodo))
                .unwrap();
        }
        c.record_siuss_esito(
            "F205",
            &NewEsito {
                id_flusso: "F205.PS.20251031.0000001".into(),
                tipo: "PS_PSA_SINA".into(),
                ts_flusso: "2025-10-31T10:00:00.000Z".into(),
                ts_acquisizione: Utc::now(),
                codice: CodiceEsito::Ok,
                descrizione: None,
                id_acquisizione_siuss: Some("SIUSS-1".into()),
            },
            Utc::now(),
        )
        .unwrap();
        let ids: Vec<String> = c
            .siuss_report_flows("F205", "2025-11")
            .unwrap()
            .into_iter()
            .map(|f| f.id_flusso)
            .collect();
        // The accepted October flow is closed; the pending one is still open.
        assert_eq!(ids, ["F205.PS.20251031.0000002", "F205.PS.20251130.0000001"]);
        // An October flow of a bulk file handed over is closed too.
        flow(&c, "F205.PS.20251031.0000003");
        c.insert_siuss_flow_meta(&meta("F205.PS.20251031.0000003", Canale::Upload, "2025-10"))
            .unwrap();
        c.mark_siuss_flows_sent("F205", &["F205.PS.20251031.0000003"], Utc::now())
            .unwrap();
        let n = c.siuss_report_flows("F205", "2025-11").unwrap().len();
        assert_eq!(n, 2);
        assert_eq!(c.siuss_report_flows("F205", "2025-10").unwrap().len(), 3);
    }

    #[test]
    fn a_changed_key_is_refused() {
        let c = Catalog::open_in_memory().unwrap();
        assert!(c.check_siuss_key("sinba", "fp1").unwrap());
        assert!(c.check_siuss_key("sinba", "fp1").unwrap());
        assert!(!c.check_siuss_key("sinba", "fp2").unwrap());
    }
}
