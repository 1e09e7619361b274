//! SIUSS flows offered to INPS through the WaaS e-service, and the esiti
//! INPS sends back (migration 3).
//!
//! A flow is opaque here: ente (codice Belfiore and name), `id_flusso`,
//! `tipo`, `ts_flusso` (Unix ms) and the XML bytes. Whoever builds the flows
//! stores them with [`Catalog::insert_siuss_flow`]; `metrodati serve` hands
//! them to INPS ([`Catalog::siuss_flows_since`], then
//! [`Catalog::mark_siuss_flows_sent`]) and records the esiti
//! ([`Catalog::record_siuss_esito`]); the steward report lists what was
//! rejected ([`Catalog::rejected_siuss_flows`]) and what is still pending
//! ([`Catalog::siuss_flows_by_status`]).
//!
//! ## The `since` cursor
//!
//! INPS asks for the flows "updated after" the `ts_flusso` of the last flow
//! it acquired. So `ts_flusso` is unique and strictly increasing per ente:
//! [`Catalog::insert_siuss_flow`] stores `max(requested, latest + 1)` and
//! returns it. Two flows never share a timestamp, so a page that ends
//! between them never hides the second one, and a flow stored after INPS
//! moved its cursor is still after the cursor.
//!
//! ## Status
//!
//! `pending` → (served by GET /flussi) → `sent` → (esito) → `accepted` or
//! `rejected`. Only `pending` and `sent` flows are served, so an accepted
//! flow is never offered again even if INPS rewinds its cursor. A rejected
//! flow is fixed by storing a new flow that `replaces` it (its
//! `superseded_by` then names the new one); [`Catalog::rejected_siuss_flows`]
//! lists the rejected flows not yet replaced.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params, OptionalExtension, Row};

use crate::catalog::format_ts;
use crate::error::{CatalogError, Context, ParseError};
use crate::Catalog;

type Result<T> = std::result::Result<T, CatalogError>;

/// Largest XML a flow may carry: its base64 form must fit the 10,000,000
/// characters `api-comuni.yaml` allows for `flusso`.
pub const MAX_FLUSSO_BYTES: usize = 7_500_000;

crate::text_enum::text_enum!(
    /// The two SIUSS flow formats.
    TipoFlusso, "SIUSS flow type" {
        /// `PS_PSA_SINA201812.xsd`: prestazioni sociali (agevolate), SINA.
        PsPsaSina => "PS_PSA_SINA",
        /// `SINBA.xsd`: minori e famiglie.
        Sinba => "SINBA",
    }
);

crate::text_enum::text_enum!(
    /// Where a flow is in its exchange with INPS.
    FlowStatus, "SIUSS flow status" {
        /// Stored, not yet handed to INPS.
        Pending => "pending",
        /// Returned by `GET /flussi`, no esito yet.
        Sent => "sent",
        /// Esito `OK`.
        Accepted => "accepted",
        /// Esito with an error code: fix and resubmit.
        Rejected => "rejected",
    }
);

crate::text_enum::text_enum!(
    /// `codice_esito` of an esito (api-comuni.yaml `EsitoFlusso`).
    CodiceEsito, "codice_esito" {
        /// Acquired by SIUSS (`id_acquisizione_siuss` is the receipt).
        Ok => "OK",
        /// Data inconsistent with what SIUSS holds.
        DatiNonTrovati => "DATI_NON_TROVATI",
        /// The flow does not conform to the SIUSS specification.
        RichiestaInvalida => "RICHIESTA_INVALIDA",
        /// Any other error.
        ErroreGenerico => "ERRORE_GENERICO",
    }
);

impl CodiceEsito {
    /// The flow status an esito with this code leads to.
    pub fn status(self) -> FlowStatus {
        match self {
            CodiceEsito::Ok => FlowStatus::Accepted,
            _ => FlowStatus::Rejected,
        }
    }
}

/// A flow to store with [`Catalog::insert_siuss_flow`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSiussFlow {
    /// Codice Belfiore of the ente (`^[A-Z][0-9]{3}$`, e.g. `F205`).
    pub codice_ente: String,
    /// Name of the ente (1–256 characters).
    pub denominazione_ente: String,
    /// `EEEEE.TIPO.AAAAMMGG.NNNNNNN` (1–64 characters), unique.
    pub id_flusso: String,
    pub tipo: TipoFlusso,
    /// Requested `ts_flusso` (Unix ms); the stored one may be later (see the
    /// [module docs](self)).
    pub ts_flusso: i64,
    /// The XML document (at most [`MAX_FLUSSO_BYTES`]).
    pub flusso: Vec<u8>,
    /// The rejected (or still pending) flow of the same ente this one fixes.
    pub replaces: Option<String>,
}

/// What [`Catalog::insert_siuss_flow`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertedFlow {
    /// Stored with this `ts_flusso`.
    Inserted { ts_flusso: i64 },
    /// The same flow (id, ente, type and bytes) was already stored: nothing
    /// changed. Storing a flow twice is harmless; it is never served twice.
    AlreadyStored { ts_flusso: i64 },
}

impl InsertedFlow {
    /// The `ts_flusso` of the stored flow.
    pub fn ts_flusso(self) -> i64 {
        match self {
            InsertedFlow::Inserted { ts_flusso } | InsertedFlow::AlreadyStored { ts_flusso } => ts_flusso,
        }
    }
}

/// The latest esito of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEsito {
    pub codice: CodiceEsito,
    pub descrizione: Option<String>,
    pub id_acquisizione_siuss: Option<String>,
    /// RFC 3339 UTC (ms, `Z`).
    pub ts_acquisizione: String,
    /// When the server received it (RFC 3339 UTC).
    pub received_at: String,
}

/// A stored flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiussFlow {
    pub id: i64,
    pub codice_ente: String,
    pub denominazione_ente: String,
    pub id_flusso: String,
    pub tipo: TipoFlusso,
    /// Unix ms, unique per ente.
    pub ts_flusso: i64,
    /// The XML bytes.
    pub flusso: Vec<u8>,
    pub status: FlowStatus,
    pub created_at: String,
    pub first_sent_at: Option<String>,
    pub last_sent_at: Option<String>,
    /// How many `GET /flussi` responses carried it.
    pub times_sent: u32,
    pub esito: Option<FlowEsito>,
    pub superseded_by: Option<String>,
}

/// An esito to record with [`Catalog::record_siuss_esito`], as INPS sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEsito {
    pub id_flusso: String,
    /// As received (`PS_PSA_SINA` or `SINBA`; the API does not restrict it).
    pub tipo: String,
    /// As received (RFC 3339).
    pub ts_flusso: String,
    pub ts_acquisizione: DateTime<Utc>,
    pub codice: CodiceEsito,
    pub descrizione: Option<String>,
    pub id_acquisizione_siuss: Option<String>,
}

/// What [`Catalog::record_siuss_esito`] did with an esito.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EsitoOutcome {
    /// Recorded, and the flow's status and latest esito updated.
    Applied(FlowStatus),
    /// Recorded in the history; the flow already has a later esito.
    Stale,
    /// The same esito was already recorded (INPS retried): nothing changed.
    Duplicate,
    /// Recorded, but no flow of this ente has that `id_flusso`.
    UnknownFlow,
}

/// A recorded esito (`siuss_esiti`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsitoRecord {
    pub id: i64,
    pub codice_ente: String,
    pub id_flusso: String,
    /// `false`: no flow of the ente had that id when it arrived.
    pub matched: bool,
    pub tipo: String,
    pub ts_flusso: String,
    pub ts_acquisizione: String,
    pub codice: CodiceEsito,
    pub descrizione: Option<String>,
    pub id_acquisizione_siuss: Option<String>,
    pub received_at: String,
}

fn invalid(op: &'static str, message: impl Into<String>) -> CatalogError {
    CatalogError::InvalidInput {
        op,
        message: message.into(),
    }
}

/// `^[A-Z][0-9]{3}$`, the WaaS `codice_ente` pattern.
pub fn is_belfiore(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

fn check_new_flow(op: &'static str, f: &NewSiussFlow) -> Result<()> {
    if !is_belfiore(&f.codice_ente) {
        return Err(invalid(
            op,
            format!(
                "codice_ente {:?} is not a codice Belfiore (^[A-Z][0-9]{{3}}$)",
                f.codice_ente
            ),
        ));
    }
    let name_len = f.denominazione_ente.chars().count();
    if name_len == 0 || name_len > 256 {
        return Err(invalid(op, "denominazione_ente must have 1 to 256 characters"));
    }
    if f.id_flusso.is_empty() || f.id_flusso.chars().count() > 64 {
        return Err(invalid(op, "id_flusso must have 1 to 64 characters"));
    }
    if f.ts_flusso < 0 {
        return Err(invalid(op, "ts_flusso must not be negative"));
    }
    if f.flusso.is_empty() || f.flusso.len() > MAX_FLUSSO_BYTES {
        return Err(invalid(
            op,
            format!(
                "flusso must have 1 to {MAX_FLUSSO_BYTES} bytes (got {})",
                f.flusso.len()
            ),
        ));
    }
    if f.replaces.as_deref() == Some(f.id_flusso.as_str()) {
        return Err(invalid(op, "a flow cannot replace itself"));
    }
    Ok(())
}

const FLOW_COLUMNS: &str =
    "id, codice_ente, denominazione_ente, id_flusso, tipo, ts_flusso, flusso, status, \
     created_at, first_sent_at, last_sent_at, times_sent, codice_esito, descrizione_esito, \
     id_acquisizione_siuss, ts_acquisizione, esito_received_at, superseded_by";

fn flow_from_row(row: &Row<'_>) -> rusqlite::Result<SiussFlow> {
    let codice: Option<CodiceEsito> = row.get(12)?;
    let esito = match codice {
        Some(codice) => Some(FlowEsito {
            codice,
            descrizione: row.get(13)?,
            id_acquisizione_siuss: row.get(14)?,
            ts_acquisizione: row.get::<_, Option<String>>(15)?.unwrap_or_default(),
            received_at: row.get::<_, Option<String>>(16)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(SiussFlow {
        id: row.get(0)?,
        codice_ente: row.get(1)?,
        denominazione_ente: row.get(2)?,
        id_flusso: row.get(3)?,
        tipo: row.get(4)?,
        ts_flusso: row.get(5)?,
        flusso: row.get(6)?,
        status: row.get(7)?,
        created_at: row.get(8)?,
        first_sent_at: row.get(9)?,
        last_sent_at: row.get(10)?,
        times_sent: row.get(11)?,
        esito,
        superseded_by: row.get(17)?,
    })
}

const ESITO_COLUMNS: &str =
    "id, codice_ente, id_flusso, flow_id IS NOT NULL, tipo, ts_flusso, ts_acquisizione, \
     codice_esito, descrizione_esito, id_acquisizione_siuss, received_at";

fn esito_from_row(row: &Row<'_>) -> rusqlite::Result<EsitoRecord> {
    Ok(EsitoRecord {
        id: row.get(0)?,
        codice_ente: row.get(1)?,
        id_flusso: row.get(2)?,
        matched: row.get(3)?,
        tipo: row.get(4)?,
        ts_flusso: row.get(5)?,
        ts_acquisizione: row.get(6)?,
        codice: row.get(7)?,
        descrizione: row.get(8)?,
        id_acquisizione_siuss: row.get(9)?,
        received_at: row.get(10)?,
    })
}

impl Catalog {
    /// Stores a flow with status `pending` and returns its `ts_flusso`:
    /// `max(f.ts_flusso, latest ts_flusso of the ente + 1)`, so the cursor
    /// INPS keeps never skips it (see the [module docs](crate::siuss)).
    ///
    /// Idempotent: storing the same flow again (same id, ente, type and
    /// bytes) changes nothing and returns [`InsertedFlow::AlreadyStored`];
    /// the same `id_flusso` with other content is refused.
    ///
    /// With `replaces`, the named flow of the same ente (status `rejected`
    /// or `pending`, not already replaced) gets `superseded_by` set and is
    /// no longer served; a flow that is `sent` (awaiting its esito) or
    /// `accepted` cannot be replaced: an accepted prestazione is corrected by
    /// a cancellation flow (TipoOperazione `C`) and a new insertion.
    pub fn insert_siuss_flow(&self, f: &NewSiussFlow) -> Result<InsertedFlow> {
        const OP: &str = "insert_siuss_flow";
        check_new_flow(OP, f)?;
        self.atomically(OP, || {
            let existing: Option<(String, TipoFlusso, Vec<u8>, i64)> = self
                .conn
                .query_row(
                    "SELECT codice_ente, tipo, flusso, ts_flusso FROM siuss_flows WHERE id_flusso = ?1",
                    [&f.id_flusso],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .ctx(OP)?;
            if let Some((ente, tipo, bytes, ts)) = existing {
                if ente == f.codice_ente && tipo == f.tipo && bytes == f.flusso {
                    return Ok(InsertedFlow::AlreadyStored { ts_flusso: ts });
                }
                return Err(invalid(
                    OP,
                    format!(
                        "id_flusso {:?} is already stored with other content; a new flow needs a new id",
                        f.id_flusso
                    ),
                ));
            }
            if let Some(old) = &f.replaces {
                let found: Option<(String, FlowStatus, Option<String>)> = self
                    .conn
                    .query_row(
                        "SELECT codice_ente, status, superseded_by FROM siuss_flows WHERE id_flusso = ?1",
                        [old],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .ctx(OP)?;
                match found {
                    None => return Err(invalid(OP, format!("flow {old:?} to replace does not exist"))),
                    Some((ente, _, _)) if ente != f.codice_ente => {
                        return Err(invalid(
                            OP,
                            format!("flow {old:?} belongs to another ente ({ente})"),
                        ))
                    }
                    Some((_, _, Some(by))) => {
                        return Err(invalid(
                            OP,
                            format!("flow {old:?} was already replaced by {by:?}"),
                        ))
                    }
                    Some((_, status, None))
                        if !matches!(status, FlowStatus::Rejected | FlowStatus::Pending) =>
                    {
                        return Err(invalid(
                            OP,
                            format!(
                                "flow {old:?} is {status}: only rejected or pending flows can be replaced"
                            ),
                        ))
                    }
                    Some(_) => {}
                }
            }
            let latest: Option<i64> = self
                .conn
                .query_row(
                    "SELECT MAX(ts_flusso) FROM siuss_flows WHERE codice_ente = ?1",
                    [&f.codice_ente],
                    |r| r.get(0),
                )
                .ctx(OP)?;
            let ts = match latest {
                Some(l) => f.ts_flusso.max(
                    l.checked_add(1)
                        .ok_or_else(|| invalid(OP, "ts_flusso would overflow"))?,
                ),
                None => f.ts_flusso,
            };
            self.conn
                .prepare_cached(
                    "INSERT INTO siuss_flows
                       (codice_ente, denominazione_ente, id_flusso, tipo, ts_flusso, flusso, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        f.codice_ente,
                        f.denominazione_ente,
                        f.id_flusso,
                        f.tipo,
                        ts,
                        f.flusso,
                        format_ts(Utc::now())
                    ])
                })
                .ctx(OP)?;
            if let Some(old) = &f.replaces {
                self.conn
                    .execute(
                        "UPDATE siuss_flows SET superseded_by = ?1 WHERE id_flusso = ?2",
                        [&f.id_flusso, old],
                    )
                    .ctx(OP)?;
            }
            Ok(InsertedFlow::Inserted { ts_flusso: ts })
        })
    }

    /// The flows of `ente` that INPS may acquire after its cursor `since`
    /// (Unix ms): status `pending` or `sent`, not replaced, not meant for
    /// the web-application upload (`siuss_flow_meta.canale = 'upload'`),
    /// `ts_flusso > since`, oldest first, at most `limit`.
    pub fn siuss_flows_since(&self, ente: &str, since: i64, limit: usize) -> Result<Vec<SiussFlow>> {
        const OP: &str = "siuss_flows_since";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {FLOW_COLUMNS} FROM siuss_flows
             WHERE codice_ente = ?1 AND ts_flusso > ?2 AND status IN ('pending', 'sent')
               AND superseded_by IS NULL
               AND NOT EXISTS (SELECT 1 FROM siuss_flow_meta m
                               WHERE m.id_flusso = siuss_flows.id_flusso AND m.canale = 'upload')
             ORDER BY ts_flusso LIMIT ?3"
        );
        let mut st = self.conn.prepare_cached(&sql).ctx(OP)?;
        let rows = st
            .query_map(params![ente, since, limit], flow_from_row)
            .ctx(OP)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(OP)?;
        Ok(rows)
    }

    /// Records that a `GET /flussi` response carried these flows of `ente`
    /// at `at`: `pending` becomes `sent`, the send times and count are
    /// updated (a flow that already has an esito keeps its status). Returns
    /// how many flows were updated; ids of other entes are ignored.
    pub fn mark_siuss_flows_sent(&self, ente: &str, ids: &[&str], at: DateTime<Utc>) -> Result<usize> {
        const OP: &str = "mark_siuss_flows_sent";
        let at = format_ts(at);
        self.atomically(OP, || {
            let mut st = self
                .conn
                .prepare_cached(
                    "UPDATE siuss_flows
                     SET status = CASE WHEN status = 'pending' THEN 'sent' ELSE status END,
                         first_sent_at = COALESCE(first_sent_at, ?1),
                         last_sent_at = ?1,
                         times_sent = times_sent + 1
                     WHERE codice_ente = ?2 AND id_flusso = ?3",
                )
                .ctx(OP)?;
            let mut n = 0;
            for id in ids {
                n += st.execute(params![at, ente, id]).ctx(OP)?;
            }
            Ok(n)
        })
    }

    /// Records an esito INPS sent for a flow of `ente`, received at
    /// `received_at`.
    ///
    /// Every esito is kept in `siuss_esiti` (once: a retried notification is
    /// [`EsitoOutcome::Duplicate`]), also when `id_flusso` names no flow of
    /// `ente` ([`EsitoOutcome::UnknownFlow`]; an esito can never touch
    /// another ente's flow). The flow takes the status of its latest esito
    /// by `ts_acquisizione`: `OK` → `accepted` (with `id_acquisizione_siuss`),
    /// an error code → `rejected`; an esito older than the one the flow has
    /// is [`EsitoOutcome::Stale`].
    pub fn record_siuss_esito(
        &self,
        ente: &str,
        e: &NewEsito,
        received_at: DateTime<Utc>,
    ) -> Result<EsitoOutcome> {
        const OP: &str = "record_siuss_esito";
        let ts_acq = format_ts(e.ts_acquisizione);
        let received = format_ts(received_at);
        self.atomically(OP, || {
            let flow: Option<(i64, Option<String>)> = self
                .conn
                .query_row(
                    "SELECT id, ts_acquisizione FROM siuss_flows WHERE codice_ente = ?1 AND id_flusso = ?2",
                    [ente, e.id_flusso.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .ctx(OP)?;
            let inserted = self
                .conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO siuss_esiti
                       (codice_ente, id_flusso, flow_id, tipo, ts_flusso, ts_acquisizione, codice_esito,
                        descrizione_esito, id_acquisizione_siuss, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        ente,
                        e.id_flusso,
                        flow.as_ref().map(|f| f.0),
                        e.tipo,
                        e.ts_flusso,
                        ts_acq,
                        e.codice,
                        e.descrizione,
                        e.id_acquisizione_siuss,
                        received
                    ])
                })
                .ctx(OP)?;
            if inserted == 0 {
                return Ok(EsitoOutcome::Duplicate);
            }
            let Some((flow_id, current)) = flow else {
                return Ok(EsitoOutcome::UnknownFlow);
            };
            if current.is_some_and(|c| c > ts_acq) {
                return Ok(EsitoOutcome::Stale);
            }
            let status = e.codice.status();
            self.conn
                .prepare_cached(
                    "UPDATE siuss_flows
                     SET status = ?1, codice_esito = ?2, descrizione_esito = ?3, id_acquisizione_siuss = ?4,
                         ts_acquisizione = ?5, esito_received_at = ?6
                     WHERE id = ?7",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        status,
                        e.codice,
                        e.descrizione,
                        e.id_acquisizione_siuss,
                        ts_acq,
                        received,
                        flow_id
                    ])
                })
                .ctx(OP)?;
            Ok(EsitoOutcome::Applied(status))
        })
    }

    /// The flows with `status` (of one ente, or of all), by ente and
    /// `ts_flusso`; replaced flows included.
    pub fn siuss_flows_by_status(&self, ente: Option<&str>, status: FlowStatus) -> Result<Vec<SiussFlow>> {
        self.query_flows(
            "siuss_flows_by_status",
            "status = ?1 AND (?2 IS NULL OR codice_ente = ?2)",
            params![status, ente],
        )
    }

    /// The rejected flows (of one ente, or of all) not yet replaced by a
    /// fixed flow: what the steward report lists as "to fix and resubmit".
    pub fn rejected_siuss_flows(&self, ente: Option<&str>) -> Result<Vec<SiussFlow>> {
        self.query_flows(
            "rejected_siuss_flows",
            "status = 'rejected' AND superseded_by IS NULL AND (?1 IS NULL OR codice_ente = ?1)",
            params![ente],
        )
    }

    /// One flow by its `id_flusso`.
    pub fn siuss_flow(&self, id_flusso: &str) -> Result<Option<SiussFlow>> {
        Ok(self
            .query_flows("siuss_flow", "id_flusso = ?1", params![id_flusso])?
            .pop())
    }

    /// The esiti recorded for `ente` (all, or those of one `id_flusso`), in
    /// order of arrival.
    pub fn siuss_esiti(&self, ente: &str, id_flusso: Option<&str>) -> Result<Vec<EsitoRecord>> {
        self.query_esiti(
            "siuss_esiti",
            "codice_ente = ?1 AND (?2 IS NULL OR id_flusso = ?2)",
            params![ente, id_flusso],
        )
    }

    /// The esiti of `ente` (or of all) whose `id_flusso` matched no flow of
    /// that ente.
    pub fn unmatched_siuss_esiti(&self, ente: Option<&str>) -> Result<Vec<EsitoRecord>> {
        self.query_esiti(
            "unmatched_siuss_esiti",
            "flow_id IS NULL AND (?1 IS NULL OR codice_ente = ?1)",
            params![ente],
        )
    }

    fn query_flows(&self, op: &'static str, filter: &str, p: &[&dyn ToSql]) -> Result<Vec<SiussFlow>> {
        let sql =
            format!("SELECT {FLOW_COLUMNS} FROM siuss_flows WHERE {filter} ORDER BY codice_ente, ts_flusso");
        let mut st = self.conn.prepare_cached(&sql).ctx(op)?;
        let rows = st
            .query_map(p, flow_from_row)
            .ctx(op)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(op)?;
        Ok(rows)
    }

    fn query_esiti(&self, op: &'static str, filter: &str, p: &[&dyn ToSql]) -> Result<Vec<EsitoRecord>> {
        let sql = format!("SELECT {ESITO_COLUMNS} FROM siuss_esiti WHERE {filter} ORDER BY id");
        let mut st = self.conn.prepare_cached(&sql).ctx(op)?;
        let rows = st
            .query_map(p, esito_from_row)
            .ctx(op)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(op)?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MIGRATIONS, SCHEMA_VERSION};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn flow(ente: &str, id: &str, ts: i64) -> NewSiussFlow {
        NewSiussFlow {
            codice_ente: ente.into(),
            denominazione_ente: format!("Comune {ente}"),
            id_flusso: id.into(),
            tipo: TipoFlusso::PsPsaSina,
            ts_flusso: ts,
            flusso: format!("<Flusso id=\"{id}\"/>").into_bytes(),
            replaces: None,
        }
    }

    fn esito(id: &str, codice: CodiceEsito, acq: &str) -> NewEsito {
        NewEsito {
            id_flusso: id.into(),
            tipo: "PS_PSA_SINA".into(),
            ts_flusso: "2026-03-01T10:00:00.000Z".into(),
            ts_acquisizione: utc(acq),
            codice,
            descrizione: (codice != CodiceEsito::Ok).then(|| "struttura non conforme".to_string()),
            id_acquisizione_siuss: (codice == CodiceEsito::Ok).then(|| "22738".to_string()),
        }
    }

    fn ids(flows: &[SiussFlow]) -> Vec<&str> {
        flows.iter().map(|f| f.id_flusso.as_str()).collect()
    }

    #[test]
    fn migration_three_creates_the_siuss_tables() {
        let cat = Catalog::open_in_memory().unwrap();
        assert_eq!((MIGRATIONS[2].version, MIGRATIONS[2].name), (3, "siuss_waas"));
        assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(cat.siuss_flows_since("F205", 0, 10).unwrap().is_empty());
        assert!(cat.unmatched_siuss_esiti(None).unwrap().is_empty());
    }

    #[test]
    fn enums_round_trip_their_wire_text() {
        for t in TipoFlusso::ALL {
            assert_eq!(t.as_str().parse::<TipoFlusso>().unwrap(), *t);
        }
        for s in FlowStatus::ALL {
            assert_eq!(s.as_str().parse::<FlowStatus>().unwrap(), *s);
        }
        for c in CodiceEsito::ALL {
            assert_eq!(c.as_str().parse::<CodiceEsito>().unwrap(), *c);
        }
        assert!(
            "ok".parse::<CodiceEsito>().is_err(),
            "wire codes are case sensitive"
        );
        assert_eq!(CodiceEsito::Ok.status(), FlowStatus::Accepted);
        assert_eq!(CodiceEsito::ErroreGenerico.status(), FlowStatus::Rejected);
    }

    #[test]
    fn insert_validates_and_is_idempotent() {
        let cat = Catalog::open_in_memory().unwrap();
        let f = flow("F205", "F205.PS.20260301.0000001", 1_000);
        assert_eq!(
            cat.insert_siuss_flow(&f).unwrap(),
            InsertedFlow::Inserted { ts_flusso: 1_000 }
        );
        assert_eq!(
            cat.insert_siuss_flow(&f).unwrap(),
            InsertedFlow::AlreadyStored { ts_flusso: 1_000 }
        );
        let mut other = f.clone();
        other.flusso = b"<Flusso/>".to_vec();
        assert!(matches!(
            cat.insert_siuss_flow(&other),
            Err(CatalogError::InvalidInput { .. })
        ));
        for bad in [
            NewSiussFlow {
                codice_ente: "f205".into(),
                ..f.clone()
            },
            NewSiussFlow {
                codice_ente: "F20".into(),
                ..f.clone()
            },
            NewSiussFlow {
                id_flusso: "x".repeat(65),
                ..f.clone()
            },
            NewSiussFlow {
                denominazione_ente: String::new(),
                ..f.clone()
            },
            NewSiussFlow {
                flusso: Vec::new(),
                ..f.clone()
            },
            NewSiussFlow {
                ts_flusso: -1,
                ..f.clone()
            },
            NewSiussFlow {
                flusso: vec![b' '; MAX_FLUSSO_BYTES + 1],
                id_flusso: "other".into(),
                ..f.clone()
            },
        ] {
            assert!(
                matches!(
                    cat.insert_siuss_flow(&bad),
                    Err(CatalogError::InvalidInput { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(is_belfiore("F205") && !is_belfiore("F2O5") && !is_belfiore("ÀÀÀÀ"));
    }

    #[test]
    fn ts_flusso_is_unique_and_increasing_per_ente() {
        let cat = Catalog::open_in_memory().unwrap();
        let ts = |f| cat.insert_siuss_flow(&f).unwrap().ts_flusso();
        assert_eq!(ts(flow("F205", "a", 5_000)), 5_000);
        // Same and earlier requested times move after the latest one.
        assert_eq!(ts(flow("F205", "b", 5_000)), 5_001);
        assert_eq!(ts(flow("F205", "c", 10)), 5_002);
        assert_eq!(ts(flow("F205", "d", 9_000)), 9_000);
        // Another ente has its own sequence.
        assert_eq!(ts(flow("A010", "e", 10)), 10);
        let all = cat.siuss_flows_since("F205", 0, 100).unwrap();
        assert_eq!(ids(&all), ["a", "b", "c", "d"]);
        // A page ending between two flows never hides the next one.
        let page = cat.siuss_flows_since("F205", 0, 2).unwrap();
        assert_eq!(ids(&page), ["a", "b"]);
        let next = cat.siuss_flows_since("F205", page[1].ts_flusso, 2).unwrap();
        assert_eq!(ids(&next), ["c", "d"]);
        assert_eq!(ids(&cat.siuss_flows_since("A010", 0, 100).unwrap()), ["e"]);
        assert!(cat.siuss_flows_since("F205", 9_000, 100).unwrap().is_empty());
        assert!(cat.siuss_flows_since("F205", 0, 0).unwrap().is_empty());
    }

    #[test]
    fn sent_accepted_and_rejected_lifecycle() {
        let cat = Catalog::open_in_memory().unwrap();
        for (i, id) in ["p1", "p2", "p3"].iter().enumerate() {
            cat.insert_siuss_flow(&flow("F205", id, 100 + i as i64)).unwrap();
        }
        cat.insert_siuss_flow(&flow("A010", "other", 1)).unwrap();
        let at = utc("2026-03-05T08:00:00Z");
        // Ids of another ente are not touched.
        assert_eq!(
            cat.mark_siuss_flows_sent("F205", &["p1", "p2", "other"], at)
                .unwrap(),
            2
        );
        assert_eq!(
            cat.siuss_flow("other").unwrap().unwrap().status,
            FlowStatus::Pending
        );
        let p1 = cat.siuss_flow("p1").unwrap().unwrap();
        assert_eq!((p1.status, p1.times_sent), (FlowStatus::Sent, 1));
        assert_eq!(p1.first_sent_at.as_deref(), Some("2026-03-05T08:00:00.000Z"));
        // Sent flows are served again until an esito arrives (INPS may rewind).
        assert_eq!(
            ids(&cat.siuss_flows_since("F205", 0, 10).unwrap()),
            ["p1", "p2", "p3"]
        );

        let ok = esito("p1", CodiceEsito::Ok, "2026-03-05T09:00:00Z");
        assert_eq!(
            cat.record_siuss_esito("F205", &ok, at).unwrap(),
            EsitoOutcome::Applied(FlowStatus::Accepted)
        );
        assert_eq!(
            cat.record_siuss_esito("F205", &ok, at).unwrap(),
            EsitoOutcome::Duplicate
        );
        let bad = esito("p2", CodiceEsito::RichiestaInvalida, "2026-03-05T09:00:00Z");
        assert_eq!(
            cat.record_siuss_esito("F205", &bad, at).unwrap(),
            EsitoOutcome::Applied(FlowStatus::Rejected)
        );
        // An esito for another ente's flow never reaches it.
        let foreign = esito("other", CodiceEsito::Ok, "2026-03-05T09:00:00Z");
        assert_eq!(
            cat.record_siuss_esito("F205", &foreign, at).unwrap(),
            EsitoOutcome::UnknownFlow
        );
        assert_eq!(
            cat.siuss_flow("other").unwrap().unwrap().status,
            FlowStatus::Pending
        );
        assert_eq!(cat.unmatched_siuss_esiti(Some("F205")).unwrap().len(), 1);

        let p1 = cat.siuss_flow("p1").unwrap().unwrap();
        let e = p1.esito.unwrap();
        assert_eq!((p1.status, e.codice), (FlowStatus::Accepted, CodiceEsito::Ok));
        assert_eq!(e.id_acquisizione_siuss.as_deref(), Some("22738"));
        assert_eq!(e.ts_acquisizione, "2026-03-05T09:00:00.000Z");
        // Accepted and rejected flows are no longer served.
        assert_eq!(ids(&cat.siuss_flows_since("F205", 0, 10).unwrap()), ["p3"]);
        assert_eq!(ids(&cat.rejected_siuss_flows(Some("F205")).unwrap()), ["p2"]);
        assert_eq!(
            ids(&cat.siuss_flows_by_status(None, FlowStatus::Pending).unwrap()),
            ["other", "p3"]
        );
        // An older esito arriving late is kept in the history only.
        let older = esito("p1", CodiceEsito::ErroreGenerico, "2026-03-05T08:30:00Z");
        assert_eq!(
            cat.record_siuss_esito("F205", &older, at).unwrap(),
            EsitoOutcome::Stale
        );
        assert_eq!(
            cat.siuss_flow("p1").unwrap().unwrap().status,
            FlowStatus::Accepted
        );
        assert_eq!(cat.siuss_esiti("F205", Some("p1")).unwrap().len(), 2);
        // A later one wins.
        let later = esito("p2", CodiceEsito::Ok, "2026-03-06T09:00:00Z");
        assert_eq!(
            cat.record_siuss_esito("F205", &later, at).unwrap(),
            EsitoOutcome::Applied(FlowStatus::Accepted)
        );
        assert!(cat.rejected_siuss_flows(None).unwrap().is_empty());
    }

    #[test]
    fn a_fixed_flow_replaces_the_rejected_one() {
        let cat = Catalog::open_in_memory().unwrap();
        cat.insert_siuss_flow(&flow("F205", "r1", 100)).unwrap();
        cat.insert_siuss_flow(&flow("F205", "s1", 200)).unwrap();
        cat.insert_siuss_flow(&flow("A010", "x1", 200)).unwrap();
        let at = utc("2026-03-05T08:00:00Z");
        cat.mark_siuss_flows_sent("F205", &["r1", "s1"], at).unwrap();
        cat.record_siuss_esito(
            "F205",
            &esito("r1", CodiceEsito::DatiNonTrovati, "2026-03-05T09:00:00Z"),
            at,
        )
        .unwrap();
        let fix = |id: &str, old: &str| NewSiussFlow {
            replaces: Some(old.into()),
            ..flow("F205", id, 0)
        };
        // Not a flow, another ente's, one awaiting its esito, itself.
        for (id, old) in [("f1", "nope"), ("f1", "x1"), ("f1", "s1"), ("r1", "r1")] {
            assert!(
                matches!(
                    cat.insert_siuss_flow(&fix(id, old)),
                    Err(CatalogError::InvalidInput { .. })
                ),
                "{id} replacing {old}"
            );
        }
        assert_eq!(
            cat.insert_siuss_flow(&fix("r1-fixed", "r1")).unwrap(),
            InsertedFlow::Inserted { ts_flusso: 201 }
        );
        let r1 = cat.siuss_flow("r1").unwrap().unwrap();
        assert_eq!(r1.superseded_by.as_deref(), Some("r1-fixed"));
        assert!(cat.rejected_siuss_flows(Some("F205")).unwrap().is_empty());
        assert_eq!(
            ids(&cat
                .siuss_flows_by_status(Some("F205"), FlowStatus::Rejected)
                .unwrap()),
            ["r1"]
        );
        assert!(matches!(
            cat.insert_siuss_flow(&fix("again", "r1")),
            Err(CatalogError::InvalidInput { .. })
        ));
        // A pending flow replaced before it was sent is no longer served.
        cat.insert_siuss_flow(&fix("r1-fixed-2", "r1-fixed")).unwrap();
        assert_eq!(
            ids(&cat.siuss_flows_since("F205", 0, 10).unwrap()),
            ["s1", "r1-fixed-2"]
        );
    }

    #[test]
    fn the_schema_refuses_inconsistent_rows() {
        let cat = Catalog::open_in_memory().unwrap();
        cat.insert_siuss_flow(&flow("F205", "a", 1)).unwrap();
        let c = cat.conn();
        assert!(c
            .execute(
                "UPDATE siuss_flows SET status = 'accepted' WHERE id_flusso = 'a'",
                []
            )
            .is_err());
        assert!(c
            .execute("UPDATE siuss_flows SET tipo = 'PS' WHERE id_flusso = 'a'", [])
            .is_err());
        assert!(c
            .execute(
                "INSERT INTO siuss_flows (codice_ente, denominazione_ente, id_flusso, tipo, ts_flusso, \
                 flusso, created_at) VALUES ('F205', 'x', 'b', 'SINBA', 1, x'00', 'now')",
                []
            )
            .is_err());
    }
}
