//! The siuss pipeline: a month's social benefits of each comune, from the
//! store to the INPS SIUSS flows, with change tracking and the steward
//! report.
//!
//! Per comune ([`process_comune`]):
//!
//! 1. **Build** ([`build`]): the `prestazione_sociale`, `valutazione_sina`
//!    and `caso_sinba` partitions (written by the sociale pipeline) become
//!    PS/PSA/SINA records (prestazione × calendar year, with SINA) and SINBA
//!    records (case × codice prestazione, pseudonymous), each validated by
//!    the rules of `metrodati-siuss` or carrying its violations.
//! 2. **Plan** ([`plan`]): the records due by the end of the month are
//!    compared with the ledger of what was sent (catalog `siuss_records`):
//!    only new records (TipoOperazione I), cancellations of withdrawn ones
//!    (C), corrections (C of the old version + I of the new, or a
//!    replacement of a flow INPS has not taken yet) and resubmissions after
//!    an esito are built. Nothing is sent twice.
//! 3. **Store**: one message per record (one beneficiary, one prestazione;
//!    `{Belfiore}.PS|SINBA.{AAAAMMGG}.{progressivo}`), in one catalog
//!    transaction with the ledger and the month's violations. Comuni on
//!    WaaS are served by `metrodati serve`; for comuni that upload on the
//!    INPS web application ([`SiussSettings::upload`]) the month's bulk
//!    files are written too, and their messages are never served.
//! 4. **Report** ([`report`]): XLSX and CSV for the steward.
//!
//! Safety: a run that would cancel more than half of a comune's live
//! records (and more than [`MASS_CANCEL_MIN`]) is refused for that comune —
//! an export cut short must not withdraw benefits at INPS — unless the
//! operator confirms with `--allow-mass-cancel`. A changed SINBA secret is
//! refused (it would change every pseudonym).

pub mod build;
pub mod frame;
pub mod periodo;
pub mod plan;
pub mod report;

use crate::config::Settings;
use crate::runner::{ComuneReport, RunError, RunReport, RunRequest};
use build::{PsCandidate, SinbaCandidate};
use chrono::{NaiveDate, Utc};
use metrodati_catalog::{
    Canale, Catalog, CatalogError, FlowMeta, LedgerRecord, LedgerUpdate, Motivo, NewSiussFlow, Operazione,
    RecordState, RunId, RunStatus, SiussIssue, SourceAccounting, SourceStatus, TipoFlusso,
};
use metrodati_siuss::{self as siuss, Ente, NomeFlusso, SinbaSecret, TipoNome, TipoOperazione};
pub use periodo::Periodo;
use plan::{Action, Now};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Pipeline name (in jobs.toml and the catalog).
pub const PIPELINE: &str = "siuss";

/// The pipeline that writes the steward reports again with the esiti INPS
/// sent since (e.g. every morning, for the month last submitted).
pub const REPORT_PIPELINE: &str = "siuss_report";

pub use plan::{CANCEL_FAILED, WITHDRAWN_SINBA};

/// Rule of a comune whose list of rejected rows is missing (no
/// cancellation is sent until the sociale pipeline writes it).
pub const HELD_UNKNOWN: &str = "siuss.held.unknown";

/// Below this many cancellations a comune is never considered cut short.
pub const MASS_CANCEL_MIN: usize = 10;

const SECRET_CHANGED: &str = "the SINBA pseudonym secret differs from the one used for earlier submissions: \
     every IDBeneficiario would change and INPS could no longer link the cases. Restore the original secret";

/// Name of the SINBA secret in `siuss_keys`.
const SINBA_KEY: &str = "sinba_pseudonym_v1";

/// The `[siuss]` section of metrodati.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiussSettings {
    /// `CFOperatore` of the flows: the codice fiscale of whoever transmits
    /// (the Città Metropolitana for the comuni it serves).
    pub cf_operatore: Option<String>,
    /// Per comune (ISTAT code) `CFOperatore`, overriding `cf_operatore`.
    #[serde(default)]
    pub operatori: BTreeMap<String, String>,
    /// Comuni (ISTAT codes) that upload the bulk file on the INPS web
    /// application instead of joining WaaS.
    #[serde(default)]
    pub upload: Vec<String>,
    /// File with the base64 SINBA pseudonym secret (≥ 32 bytes), readable
    /// only by its owner (default `<data_dir>/secrets/sinba.key`, used only
    /// if it exists). `METRODATI_SINBA_SECRET` (base64) takes precedence.
    pub sinba_secret_file: Option<PathBuf>,
    /// Where flows and reports go (default `<data_dir>/siuss`).
    pub output_dir: Option<PathBuf>,
}

impl From<SiussError> for RunError {
    fn from(e: SiussError) -> RunError {
        match e {
            SiussError::Catalog(c) => RunError::Catalog(c),
            other => RunError::Config(other.to_string()),
        }
    }
}

/// Errors of the siuss pipeline.
#[derive(Debug, thiserror::Error)]
pub enum SiussError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Build(#[from] build::BuildError),
    #[error("flow: {0}")]
    Flow(#[from] siuss::FlowError),
    #[error("writing: {0}")]
    Write(#[from] metrodati_connectors::ConnectorError),
    #[error("report: {0}")]
    Report(String),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Refused(String),
}

/// Loads the SINBA secret: `METRODATI_SINBA_SECRET`, else the configured
/// file (which must exist), else the default file if it exists; `Ok(None)`
/// otherwise (SINBA cases are then reported, not sent).
pub fn load_secret(settings: &Settings) -> Result<Option<SinbaSecret>, SiussError> {
    if let Ok(text) = std::env::var("METRODATI_SINBA_SECRET") {
        return SinbaSecret::from_base64(&text)
            .map(Some)
            .map_err(|e| SiussError::Config(format!("METRODATI_SINBA_SECRET: {e}")));
    }
    let (path, explicit) = settings.sinba_secret_path();
    if !explicit && !path.exists() {
        return Ok(None);
    }
    let path = &path;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            if m.permissions().mode() & 0o077 != 0 {
                return Err(SiussError::Config(format!(
                    "{}: the SINBA secret must be readable by its owner only (chmod 600)",
                    path.display()
                )));
            }
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        SiussError::Config(format!(
            "{}: cannot read the SINBA secret ([siuss] sinba_secret_file): {e}",
            path.display()
        ))
    })?;
    SinbaSecret::from_base64(&text)
        .map(Some)
        .map_err(|e| SiussError::Config(format!("{}: {e}", path.display())))
}

/// Creates a new random secret file (owner-only) if none exists at `path`;
/// returns whether it created one. For the demo: production secrets are
/// provisioned by the operator.
pub fn ensure_secret_file(path: &Path) -> Result<bool, SiussError> {
    if path.exists() {
        return Ok(false);
    }
    use base64::Engine as _;
    let mut key = [0u8; 32];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut key)
        .map_err(|e| SiussError::Config(format!("no randomness for the SINBA secret: {e}")))?;
    let text = format!("{}\n", base64::engine::general_purpose::STANDARD.encode(key));
    metrodati_connectors::atomic::write_atomic_bytes(path, true, text.as_bytes())?;
    Ok(true)
}

/// The fingerprint of a secret (the pseudonym of a fixed codice fiscale):
/// equal fingerprints, equal pseudonyms.
fn secret_fingerprint(s: &SinbaSecret) -> String {
    s.id_beneficiario("RSSMRA80A01F205X")
        .map(|id| id.as_str().to_string())
        .unwrap_or_default()
}

/// What [`process_comune`] needs besides the comune.
pub struct Context<'a> {
    pub store: &'a Path,
    pub output_dir: &'a Path,
    pub periodo: Periodo,
    /// The send date of the flow names.
    pub today: NaiveDate,
    pub secret: Option<&'a SinbaSecret>,
    /// The secret's fingerprint, stored with the first SINBA flow.
    pub secret_fingerprint: Option<&'a str>,
    pub settings: &'a SiussSettings,
    pub allow_mass_cancel: bool,
    pub run: Option<RunId>,
}

/// What happened for one comune.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComuneSummary {
    pub istat: String,
    /// Records due this month (or earlier).
    pub records: u64,
    /// Of which held back by violations.
    pub held: u64,
    /// Flows built, by operation.
    pub inserted: u64,
    pub cancelled: u64,
    /// Items for the steward to handle by hand (e.g. a withdrawn SINBA case).
    pub notices: u64,
    /// Report and bulk files written.
    pub files: Vec<PathBuf>,
    /// The comune has no Cartella Sociale data in the store and never sent
    /// anything: nothing was done.
    pub skipped: bool,
}

fn content_hash<T: serde::Serialize>(v: &T) -> String {
    let json = serde_json::to_vec(v).expect("the SIUSS model serialises");
    hex::encode(Sha256::digest(json))
}

/// The flows one run stores for a comune, with what the ledger becomes.
struct Emitter<'a, 'c> {
    catalog: &'c Catalog,
    ente: &'a Ente,
    ctx: &'a Context<'a>,
    canale: Canale,
    day: String,
    now_ms: i64,
    stored: Vec<String>,
    /// The next daily progressive per name token (read once, then counted).
    next: HashMap<&'static str, u32>,
    /// For the bulk files of upload comuni.
    bulk_ps: Vec<siuss::ValidatedPrestazione>,
    bulk_sinba: Vec<siuss::ValidatedSinba>,
}

impl Emitter<'_, '_> {
    fn name(&mut self, tipo: TipoNome) -> Result<NomeFlusso, SiussError> {
        let n = match self.next.get(tipo.as_str()) {
            Some(n) => *n,
            None => self
                .catalog
                .next_siuss_progressivo(&self.ente.codice, tipo.as_str(), &self.day)?,
        };
        self.next.insert(tipo.as_str(), n + 1);
        Ok(NomeFlusso::new(&self.ente.codice, tipo, self.ctx.today, n)?)
    }

    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        flow: siuss::XmlFlow,
        tipo: TipoFlusso,
        replaces: Option<String>,
        key: &str,
        identifier: &str,
        codice: &str,
        operazione: Operazione,
        motivo: Motivo,
    ) -> Result<String, SiussError> {
        let id = flow.id_flusso();
        self.catalog.insert_siuss_flow(&NewSiussFlow {
            codice_ente: self.ente.codice.clone(),
            denominazione_ente: self
                .ente
                .denominazione
                .clone()
                .unwrap_or_else(|| self.ente.codice.clone()),
            id_flusso: id.clone(),
            tipo,
            ts_flusso: self.now_ms,
            flusso: flow.xml.into_bytes(),
            replaces,
        })?;
        self.catalog.insert_siuss_flow_meta(&FlowMeta {
            id_flusso: id.clone(),
            run: self.ctx.run,
            canale: self.canale,
            periodo: self.ctx.periodo.to_string(),
            record_key: key.to_string(),
            identifier: identifier.to_string(),
            codice_prestazione: codice.to_string(),
            operazione,
            motivo,
        })?;
        self.stored.push(id.clone());
        Ok(id)
    }

    fn insert_ps(
        &mut self,
        c: &PsCandidate,
        motivo: Motivo,
        replaces: Option<String>,
    ) -> Result<String, SiussError> {
        let v = c.result.as_ref().expect("only ready records are inserted");
        let nome = self.name(TipoNome::Ps)?;
        let flow = siuss::ps_message(self.ente, &nome, v)?;
        if self.canale == Canale::Upload {
            self.bulk_ps.push(v.clone());
        }
        self.store(
            flow,
            TipoFlusso::PsPsaSina,
            replaces,
            &c.record_key,
            &c.identifier,
            &c.codice_prestazione,
            Operazione::Inserimento,
            motivo,
        )
    }

    fn insert_sinba(
        &mut self,
        c: &SinbaCandidate,
        motivo: Motivo,
        replaces: Option<String>,
    ) -> Result<String, SiussError> {
        let v = c.result.as_ref().expect("only ready records are inserted");
        let nome = self.name(TipoNome::Sinba)?;
        let flow = siuss::sinba_message(self.ente, &nome, v)?;
        if self.canale == Canale::Upload {
            self.bulk_sinba.push(v.clone());
        }
        self.store(
            flow,
            TipoFlusso::Sinba,
            replaces,
            &c.record_key,
            &c.identifier,
            &c.codice_prestazione,
            Operazione::Snapshot,
            motivo,
        )
    }

    /// A cancellation (TipoOperazione C) of the prestazione in the flow
    /// `source`, read back from the stored XML.
    fn cancel_ps(
        &mut self,
        key: &str,
        identifier: &str,
        source: &str,
        motivo: Motivo,
        replaces: Option<String>,
    ) -> Result<String, SiussError> {
        let flow = self
            .catalog
            .siuss_flow(source)?
            .ok_or_else(|| SiussError::Refused(format!("flow {source} of record {key} is missing")))?;
        let parsed = siuss::parse_ps(&String::from_utf8_lossy(&flow.flusso))
            .map_err(|e| SiussError::Refused(format!("flow {source} cannot be read back: {e}")))?;
        let b = parsed
            .beneficiari
            .into_iter()
            .next()
            .ok_or_else(|| SiussError::Refused(format!("flow {source} has no beneficiary")))?;
        let mut p = b
            .prestazioni
            .into_iter()
            .next()
            .ok_or_else(|| SiussError::Refused(format!("flow {source} has no prestazione")))?;
        p.tipo_operazione = TipoOperazione::Cancellazione;
        let v = siuss::validate_prestazione(&b.beneficiario, &p).map_err(|v| {
            SiussError::Refused(format!(
                "the cancellation of {source} does not validate: {}",
                v.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; ")
            ))
        })?;
        let nome = self.name(TipoNome::Ps)?;
        let xml = siuss::ps_message(self.ente, &nome, &v)?;
        if self.canale == Canale::Upload {
            self.bulk_ps.push(v.clone());
        }
        let codice = v.prestazione().codice_prestazione.clone();
        self.store(
            xml,
            TipoFlusso::PsPsaSina,
            replaces,
            key,
            identifier,
            &codice,
            Operazione::Cancellazione,
            motivo,
        )
    }
}

/// The ledger after the actions: key → update.
type Ledger = BTreeMap<String, LedgerUpdate>;

fn ledger_map(ente: &str, tipo: TipoFlusso, records: &[LedgerRecord]) -> Ledger {
    records
        .iter()
        .map(|r| {
            (
                r.record_key.clone(),
                LedgerUpdate {
                    codice_ente: ente.to_string(),
                    tipo,
                    record_key: r.record_key.clone(),
                    identifier: r.identifier.clone(),
                    state: r.state,
                    content_hash: r.content_hash.clone(),
                    insert_flow: r.insert_flow.id_flusso.clone(),
                    cancel_flow: r.cancel_flow.as_ref().map(|c| c.id_flusso.clone()),
                },
            )
        })
        .collect()
}

fn refuse_mass_cancel(actions: &[Action], ledger: &[LedgerRecord], what: &str) -> Option<String> {
    let withdrawals = actions
        .iter()
        .filter(|a| {
            matches!(
                a,
                Action::Cancel {
                    motivo: Motivo::Ritiro,
                    ..
                } | Action::Notice { withdrawn: true, .. }
            )
        })
        .count();
    let live = ledger.iter().filter(|r| r.state == RecordState::Active).count();
    (withdrawals > MASS_CANCEL_MIN && withdrawals * 2 > live).then(|| {
        format!(
            "{what}: {withdrawals} record su {live} inviati risultano ritirati dalla cartella sociale; \
             probabilmente l'export è incompleto. Nessun invio fatto: controllare l'export, oppure \
             confermare le cancellazioni con --allow-mass-cancel"
        )
    })
}

/// A record as the tally sees it: its content hash when valid.
struct View<'a> {
    key: &'a str,
    identifier: &'a str,
    codice: &'a str,
    /// Only for PS records: SINBA ones never carry it.
    codice_fiscale: Option<&'a str>,
    due: bool,
    result: Result<String, &'a Vec<build::Problem>>,
}

/// What each record is now (ready with its hash, or held), counting the
/// due records and recording the violations of the held ones.
fn tally<'a>(
    tipo: TipoFlusso,
    views: impl Iterator<Item = View<'a>>,
    summary: &mut ComuneSummary,
    issues: &mut Vec<SiussIssue>,
) -> BTreeMap<String, Now> {
    let mut now = BTreeMap::new();
    for v in views {
        let state = match (&v.result, v.due) {
            (Ok(hash), true) => Now::Ready(hash.clone()),
            _ => Now::Held,
        };
        if v.due {
            summary.records += 1;
            if let Err(problems) = &v.result {
                summary.held += 1;
                issues.extend(problems.iter().map(|p| SiussIssue {
                    tipo,
                    record_key: v.key.to_string(),
                    identifier: v.identifier.to_string(),
                    codice_prestazione: Some(v.codice.to_string()).filter(|s| !s.is_empty()),
                    codice_fiscale: v.codice_fiscale.map(str::to_string).filter(|s| !s.is_empty()),
                    field: p.field.clone(),
                    rule: p.rule.clone(),
                    message: p.message.clone(),
                }));
            }
        }
        now.insert(v.key.to_string(), state);
    }
    now
}

/// Processes one comune: builds, plans and stores its flows, and writes its
/// report. Everything it writes to the catalog is one transaction.
pub fn process_comune(
    catalog: &mut Catalog,
    ctx: &Context<'_>,
    istat: &str,
) -> Result<ComuneSummary, SiussError> {
    let cf_operatore = ctx
        .settings
        .operatori
        .get(istat)
        .or(ctx.settings.cf_operatore.as_ref())
        .ok_or_else(|| {
            SiussError::Config(
                "[siuss] cf_operatore is not set in metrodati.toml: the flows need the CFOperatore".into(),
            )
        })?;
    let ente = Ente::comune_cm_milano(istat, cf_operatore)
        .ok_or_else(|| SiussError::Config(format!("{istat} is not a comune of the Città Metropolitana")))?;
    let canale = if ctx.settings.upload.iter().any(|c| c == istat) {
        Canale::Upload
    } else {
        Canale::Waas
    };
    if !crate::store::partition_file(ctx.store, build::PRESTAZIONE, istat).exists()
        && catalog
            .siuss_records(&ente.codice, TipoFlusso::PsPsaSina)?
            .is_empty()
        && catalog.siuss_records(&ente.codice, TipoFlusso::Sinba)?.is_empty()
    {
        // Not on the Cartella Sociale yet, and nothing ever sent: nothing to do.
        return Ok(ComuneSummary {
            istat: istat.to_string(),
            skipped: true,
            ..Default::default()
        });
    }
    recover_bulk_files(catalog, &ctx.output_dir.join(istat))?;
    let built = build::build_comune(ctx.store, istat, ctx.periodo, ctx.today, ctx.secret)?;
    let mut summary = ComuneSummary {
        istat: istat.to_string(),
        ..Default::default()
    };

    // What is ready now, and the violations of what is due.
    let mut issues = Vec::new();
    if !built.held_known {
        tracing::warn!(
            comune = istat,
            "no list of the rows the sociale pipeline rejected: no cancellation"
        );
        issues.push(SiussIssue {
            tipo: TipoFlusso::PsPsaSina,
            record_key: "*".into(),
            identifier: String::new(),
            codice_prestazione: None,
            codice_fiscale: None,
            field: None,
            rule: HELD_UNKNOWN.into(),
            message: "la pipeline sociale di questo comune non ha ancora registrato le righe scartate \
                      (store/held): nessuna cancellazione è stata inviata; eseguire di nuovo il job sociale"
                .into(),
        });
    }
    let ps_views = built.ps.iter().map(|c| View {
        key: &c.record_key,
        identifier: &c.identifier,
        codice: &c.codice_prestazione,
        codice_fiscale: Some(c.codice_fiscale.as_str()),
        due: c.due,
        result: c.result.as_ref().map(content_hash),
    });
    let ps_now = tally(TipoFlusso::PsPsaSina, ps_views, &mut summary, &mut issues);
    let sinba_views = built.sinba.iter().map(|c| View {
        key: &c.record_key,
        identifier: &c.identifier,
        codice: &c.codice_prestazione,
        codice_fiscale: None,
        due: c.due,
        result: c.result.as_ref().map(content_hash),
    });
    let sinba_now = tally(TipoFlusso::Sinba, sinba_views, &mut summary, &mut issues);
    let ps_by_key: HashMap<&str, &PsCandidate> =
        built.ps.iter().map(|c| (c.record_key.as_str(), c)).collect();
    let sinba_by_key: HashMap<&str, &SinbaCandidate> =
        built.sinba.iter().map(|c| (c.record_key.as_str(), c)).collect();

    let now_ms = Utc::now().timestamp_millis();
    let day = ctx.today.format("%Y%m%d").to_string();
    let periodo = ctx.periodo.to_string();
    let comune_dir = ctx.output_dir.join(istat);
    let month_dir = comune_dir.join(&periodo);
    // Identifiers with an invalid record: what INPS has of them stays as it
    // is, under every key (a record that no longer validates is not withdrawn).
    // The same for the rows the sociale pipeline rejected.
    let unsettled_ps: HashSet<&str> = built
        .ps
        .iter()
        .filter(|c| c.result.is_err())
        .map(|c| c.identifier.as_str())
        .chain(built.held_ps.iter().map(String::as_str))
        .collect();
    let unsettled_sinba: HashSet<&str> = built
        .sinba
        .iter()
        .filter(|c| c.result.is_err())
        .map(|c| c.identifier.as_str())
        .chain(built.held_sinba.iter().map(String::as_str))
        .collect();
    // Planned inside the write transaction: a flow INPS takes meanwhile
    // (pending → sent) cannot make the plan stale.
    let mut failure: Option<SiussError> = None;
    let mut written: Vec<PathBuf> = Vec::new();
    let outcome = catalog.transaction(|cat| {
        let ps_ledger = cat.siuss_records(&ente.codice, TipoFlusso::PsPsaSina)?;
        let sinba_ledger = cat.siuss_records(&ente.codice, TipoFlusso::Sinba)?;
        let all = !built.held_known;
        let ps_now = hold_unsettled(&ps_now, &ps_ledger, &unsettled_ps, all);
        let sinba_now = hold_unsettled(&sinba_now, &sinba_ledger, &unsettled_sinba, all);
        let ps_actions = plan::plan(&ps_now, &ps_ledger, true);
        let sinba_actions = plan::plan(&sinba_now, &sinba_ledger, false);
        if !ctx.allow_mass_cancel {
            for (actions, ledger, what) in [
                (&ps_actions, &ps_ledger, "PS/PSA/SINA"),
                (&sinba_actions, &sinba_ledger, "SINBA"),
            ] {
                if let Some(e) = refuse_mass_cancel(actions, ledger, what) {
                    failure = Some(SiussError::Refused(e));
                    return Err(CatalogError::InvalidInput {
                        op: "siuss",
                        message: "refused".into(),
                    });
                }
            }
        }
        let mut em = Emitter {
            catalog: cat,
            ente: &ente,
            ctx,
            canale,
            day: day.clone(),
            now_ms,
            stored: Vec::new(),
            next: HashMap::new(),
            bulk_ps: Vec::new(),
            bulk_sinba: Vec::new(),
        };
        let mut applied = Applied {
            ps: ledger_map(&ente.codice, TipoFlusso::PsPsaSina, &ps_ledger),
            sinba: ledger_map(&ente.codice, TipoFlusso::Sinba, &sinba_ledger),
            notices: Vec::new(),
            inserted: 0,
            cancelled: 0,
        };
        let steps = (|| -> Result<Vec<BulkFile>, SiussError> {
            let insert_ps = |e: &mut Emitter<'_, '_>, key: &str, m: Motivo, r: Option<String>| {
                let c = ps_by_key[key];
                Ok((e.insert_ps(c, m, r)?, c.identifier.clone()))
            };
            let insert_sinba = |e: &mut Emitter<'_, '_>, key: &str, m: Motivo, r: Option<String>| {
                let c = sinba_by_key[key];
                Ok((e.insert_sinba(c, m, r)?, c.identifier.clone()))
            };
            for a in &ps_actions {
                applied.action(&mut em, TipoFlusso::PsPsaSina, a, &ps_now, &insert_ps)?;
            }
            for a in &sinba_actions {
                applied.action(&mut em, TipoFlusso::Sinba, a, &sinba_now, &insert_sinba)?;
            }
            bulk_files(
                em.catalog,
                &month_dir,
                &ente,
                ctx.today,
                &em.bulk_ps,
                &em.bulk_sinba,
            )
        })();
        let bulk = steps.map_err(|e| match e {
            SiussError::Catalog(c) => c,
            other => {
                let message = other.to_string();
                failure = Some(other);
                CatalogError::InvalidInput { op: "siuss", message }
            }
        })?;
        // The first SINBA flows fix the secret their pseudonyms come from.
        if !em.bulk_sinba.is_empty() || sinba_actions.iter().any(|a| matches!(a, Action::Insert { .. })) {
            if let Some(fp) = ctx.secret_fingerprint {
                if !cat.check_siuss_key(SINBA_KEY, fp)? {
                    failure = Some(SiussError::Refused(SECRET_CHANGED.into()));
                    return Err(CatalogError::InvalidInput {
                        op: "siuss",
                        message: SECRET_CHANGED.into(),
                    });
                }
            }
        }
        // Only the records an action touched are written.
        for a in &ps_actions {
            if let Some(l) = applied.ps.get(a.key()) {
                cat.upsert_siuss_record(l)?;
            }
        }
        for a in &sinba_actions {
            if let Some(l) = applied.sinba.get(a.key()) {
                cat.upsert_siuss_record(l)?;
            }
        }
        summary.inserted = applied.inserted;
        summary.cancelled = applied.cancelled;
        summary.notices = applied.notices.len() as u64;
        let mut all = issues.clone();
        all.extend(applied.notices);
        // A SINBA withdrawal is noticed once, when it happens: a rerun keeps it.
        cat.replace_siuss_issues(&ente.codice, &periodo, ctx.run, &all, &[plan::WITHDRAWN_SINBA])?;
        if canale == Canale::Upload && !em.stored.is_empty() {
            let ids: Vec<&str> = em.stored.iter().map(String::as_str).collect();
            cat.mark_siuss_flows_sent(&ente.codice, &ids, Utc::now())?;
        }
        // The bulk files are written (as `.pending`) and recorded before the
        // commit, and take their names after it: flows recorded as handed
        // over always have their file, and a file never outlives a rollback
        // (see recover_bulk_files for a crash in between).
        for f in &bulk {
            cat.insert_siuss_bulk_file(
                &f.nome.to_string(),
                &ente.codice,
                f.tipo,
                &periodo,
                &f.path.display().to_string(),
                ctx.run,
                f.flows,
            )?;
            if let Err(e) =
                metrodati_connectors::atomic::write_atomic_bytes(&f.pending(), true, f.xml.as_bytes())
            {
                let message = e.to_string();
                failure = Some(SiussError::Write(e));
                return Err(CatalogError::InvalidInput { op: "siuss", message });
            }
            written.push(f.path.clone());
        }
        Ok(em.stored.len())
    });
    let stored = match outcome {
        Ok(n) => n,
        Err(e) => {
            // Rolled back: nothing of this comune was stored, no file stays.
            for p in &written {
                let _ = std::fs::remove_file(pending_path(p));
            }
            return Err(failure.take().unwrap_or(SiussError::Catalog(e)));
        }
    };
    for p in &written {
        std::fs::rename(pending_path(p), p)
            .map_err(|e| SiussError::Report(format!("{}: {e}", p.display())))?;
    }
    tracing::info!(comune = istat, flows = stored, "siuss flows stored");
    summary.files.extend(written);
    let denominazione = metrodati_interop::refdata::comune_by_istat(istat)
        .map(|c| c.denominazione.clone())
        .unwrap_or_default();
    // The flows are committed: a report that cannot be written is logged,
    // not a failure of the comune (`metrodati siuss report` writes it again).
    match report::write(
        catalog,
        ctx.output_dir,
        istat,
        &ente.codice,
        &denominazione,
        ctx.periodo,
    ) {
        Ok((x, c)) => {
            summary.files.push(x);
            summary.files.push(c);
        }
        Err(e) => tracing::error!(comune = istat, error = %e, "siuss: cannot write the steward report"),
    }
    Ok(summary)
}

/// `now` with [`Now::Held`] under every ledger key of an unsettled
/// identifier (with `all`, of every identifier) that the store no longer
/// produces.
fn hold_unsettled(
    now: &BTreeMap<String, Now>,
    ledger: &[LedgerRecord],
    unsettled: &HashSet<&str>,
    all: bool,
) -> BTreeMap<String, Now> {
    let mut out = now.clone();
    for r in ledger {
        if all || unsettled.contains(r.identifier.as_str()) {
            out.entry(r.record_key.clone()).or_insert(Now::Held);
        }
    }
    out
}

/// Stores a record's current content: (key, reason, flow replaced) →
/// (id_flusso, identifier).
type InsertFn<'a> =
    dyn Fn(&mut Emitter<'_, '_>, &str, Motivo, Option<String>) -> Result<(String, String), SiussError> + 'a;

/// The ledger and notices as the actions change them.
struct Applied {
    ps: Ledger,
    sinba: Ledger,
    notices: Vec<SiussIssue>,
    inserted: u64,
    cancelled: u64,
}

fn ready_hash(now: &BTreeMap<String, Now>, key: &str) -> String {
    match now.get(key) {
        Some(Now::Ready(h)) => h.clone(),
        _ => unreachable!("only ready records are inserted"),
    }
}

impl Applied {
    fn notice(&mut self, tipo: TipoFlusso, key: &str, rule: &str, message: &str, withdrawn: bool) {
        let ledger = self.ledger(tipo);
        let identifier = ledger.get(key).map(|l| l.identifier.clone()).unwrap_or_default();
        if withdrawn {
            if let Some(l) = ledger.get_mut(key) {
                l.state = RecordState::Withdrawn;
            }
        }
        self.notices.push(SiussIssue {
            tipo,
            record_key: key.to_string(),
            identifier,
            codice_prestazione: None,
            codice_fiscale: None,
            field: None,
            rule: rule.to_string(),
            message: message.to_string(),
        });
    }

    fn ledger(&mut self, tipo: TipoFlusso) -> &mut Ledger {
        match tipo {
            TipoFlusso::PsPsaSina => &mut self.ps,
            TipoFlusso::Sinba => &mut self.sinba,
        }
    }

    /// Carries out one action of the plan for `tipo`; `insert` stores the
    /// record's current content and returns (id_flusso, identifier).
    fn action(
        &mut self,
        e: &mut Emitter<'_, '_>,
        tipo: TipoFlusso,
        a: &Action,
        now: &BTreeMap<String, Now>,
        insert: &InsertFn<'_>,
    ) -> Result<(), SiussError> {
        match a {
            Action::Insert {
                key,
                motivo,
                replaces,
            } => {
                let (id, identifier) = insert(e, key, *motivo, replaces.clone())?;
                let codice_ente = e.ente.codice.clone();
                let ledger = self.ledger(tipo);
                let cancel_flow = ledger.get(key).and_then(|l| l.cancel_flow.clone());
                ledger.insert(
                    key.clone(),
                    LedgerUpdate {
                        codice_ente,
                        tipo,
                        record_key: key.clone(),
                        identifier,
                        state: RecordState::Active,
                        content_hash: ready_hash(now, key),
                        insert_flow: id,
                        cancel_flow,
                    },
                );
                self.inserted += 1;
            }
            Action::Cancel {
                key,
                source,
                motivo,
                replaces,
            } => {
                debug_assert_eq!(tipo, TipoFlusso::PsPsaSina, "SINBA has no cancellation");
                let identifier = self.ps.get(key).map(|l| l.identifier.clone()).unwrap_or_default();
                let id = e.cancel_ps(key, &identifier, source, *motivo, replaces.clone())?;
                if let Some(l) = self.ps.get_mut(key) {
                    l.cancel_flow = Some(id);
                    if matches!(motivo, Motivo::Ritiro | Motivo::Reinvio) {
                        l.state = RecordState::Withdrawn;
                    }
                }
                self.cancelled += 1;
            }
            Action::Forget { key } => {
                if let Some(l) = self.ledger(tipo).get_mut(key) {
                    l.state = RecordState::Withdrawn;
                }
            }
            Action::Notice {
                key,
                rule,
                message,
                withdrawn,
            } => self.notice(tipo, key, rule, message, *withdrawn),
        }
        Ok(())
    }
}

/// Splits prestazioni into groups in which a codice fiscale always comes
/// with the same beneficiary data (a cancellation rebuilt from an old flow
/// may carry the anagrafica INPS received then, its re-insertion the new
/// one; a bulk file lists each beneficiary once).
fn consistent_groups(items: Vec<&siuss::ValidatedPrestazione>) -> Vec<Vec<siuss::ValidatedPrestazione>> {
    let mut groups: Vec<Vec<siuss::ValidatedPrestazione>> = Vec::new();
    for v in items {
        let b = v.beneficiario();
        let fits = |g: &Vec<siuss::ValidatedPrestazione>| {
            g.iter()
                .all(|x| x.beneficiario().codice_fiscale != b.codice_fiscale || x.beneficiario() == b)
        };
        match groups.iter_mut().find(|g| fits(g)) {
            Some(g) => g.push(v.clone()),
            None => groups.push(vec![v.clone()]),
        }
    }
    groups
}

/// A bulk file of an upload comune.
struct BulkFile {
    nome: NomeFlusso,
    tipo: TipoFlusso,
    /// Where it goes once the catalog commit is done.
    path: PathBuf,
    xml: String,
    flows: u64,
}

impl BulkFile {
    /// Where it is written before the commit.
    fn pending(&self) -> PathBuf {
        pending_path(&self.path)
    }
}

fn pending_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".pending");
    PathBuf::from(p)
}

/// The bulk files of an upload comune for this run: cancellations first,
/// then insertions (as many files as consistent groups), then SINBA. Names
/// take the next daily progressives recorded in the catalog.
fn bulk_files(
    cat: &Catalog,
    month_dir: &Path,
    ente: &Ente,
    day: NaiveDate,
    ps: &[siuss::ValidatedPrestazione],
    sinba: &[siuss::ValidatedSinba],
) -> Result<Vec<BulkFile>, SiussError> {
    let yyyymmdd = day.format("%Y%m%d").to_string();
    let mut out = Vec::new();
    let first = cat.next_siuss_bulk_progressivo(&ente.codice, TipoNome::Ps.as_str(), &yyyymmdd)?;
    let (cancellations, insertions): (Vec<_>, Vec<_>) = ps
        .iter()
        .partition(|v| v.prestazione().tipo_operazione == TipoOperazione::Cancellazione);
    let groups = consistent_groups(cancellations)
        .into_iter()
        .chain(consistent_groups(insertions));
    for (n, group) in (first..).zip(groups) {
        let nome = NomeFlusso::new(&ente.codice, TipoNome::Ps, day, n)?;
        let flow = siuss::ps_bulk(ente, &nome, &group)?;
        out.push(BulkFile {
            path: month_dir.join(format!("{nome}.xml")),
            nome,
            tipo: TipoFlusso::PsPsaSina,
            xml: flow.xml,
            flows: group.len() as u64,
        });
    }
    if !sinba.is_empty() {
        let n = cat.next_siuss_bulk_progressivo(&ente.codice, TipoNome::Sinba.as_str(), &yyyymmdd)?;
        let nome = NomeFlusso::new(&ente.codice, TipoNome::Sinba, day, n)?;
        let flow = siuss::sinba_bulk(ente, &nome, sinba)?;
        out.push(BulkFile {
            path: month_dir.join(format!("{nome}.xml")),
            nome,
            tipo: TipoFlusso::Sinba,
            xml: flow.xml,
            flows: sinba.len() as u64,
        });
    }
    Ok(out)
}

/// After a crash: a pending bulk file whose name the catalog recorded
/// belongs to committed flows and takes its place; any other is removed.
fn recover_bulk_files(cat: &Catalog, comune_dir: &Path) -> Result<(), SiussError> {
    let Ok(months) = std::fs::read_dir(comune_dir) else {
        return Ok(());
    };
    for m in months.flatten() {
        let Ok(files) = std::fs::read_dir(m.path()) else {
            continue;
        };
        for f in files.flatten() {
            let path = f.path();
            let name = f.file_name().to_string_lossy().to_string();
            let Some(nome) = name.strip_suffix(".xml.pending") else {
                continue;
            };
            let io = |e: std::io::Error| SiussError::Report(format!("{}: {e}", path.display()));
            if cat.siuss_bulk_file_known(nome)? {
                std::fs::rename(&path, m.path().join(format!("{nome}.xml"))).map_err(io)?;
                tracing::warn!(file = %path.display(), "bulk file of a committed run completed after a crash");
            } else {
                std::fs::remove_file(&path).map_err(io)?;
            }
        }
    }
    Ok(())
}

/// The month a run submits: `params.mese` (from `--mese`), else the month
/// before the run's fire time, else the month before today.
pub fn periodo_of(req: &RunRequest, today: NaiveDate) -> Result<Periodo, SiussError> {
    if let Some(m) = req.params.get("mese").and_then(|v| v.as_str()) {
        return m.parse().map_err(SiussError::Config);
    }
    Ok(match req.period {
        Some(fire) => Periodo::for_fire_time(fire),
        None => Periodo::of(today).previous(),
    })
}

/// Writes the steward reports of the request's month again (called by
/// [`crate::runner::run`] for [`REPORT_PIPELINE`]): per comune with flows
/// or held records, the lines are the rows read and written.
pub fn run_reports(
    settings: &Settings,
    catalog: &mut Catalog,
    req: &RunRequest,
    run: RunId,
) -> Result<RunReport, RunError> {
    Ok(write_reports(settings, catalog, req, run)?)
}

fn write_reports(
    settings: &Settings,
    catalog: &mut Catalog,
    req: &RunRequest,
    run: RunId,
) -> Result<RunReport, SiussError> {
    let periodo = periodo_of(req, chrono::Local::now().date_naive())?;
    let output_dir = settings.siuss_output_dir();
    let mut reports = Vec::new();
    let mut failed = 0;
    for istat in &req.comuni {
        let Some(c) = metrodati_interop::refdata::comune_by_istat(istat) else {
            continue;
        };
        let outcome = report::rows(catalog, &c.codice_catastale, periodo)
            .map_err(SiussError::from)
            .and_then(|rows| {
                if rows.is_empty() {
                    return Ok((0, vec![]));
                }
                let (x, csv) = report::write(
                    catalog,
                    &output_dir,
                    istat,
                    &c.codice_catastale,
                    &c.denominazione,
                    periodo,
                )?;
                Ok((rows.len() as u64, vec![x, csv]))
            });
        let (acc, line) = match outcome {
            Ok((n, files)) => (
                SourceAccounting {
                    comune: istat.clone(),
                    source: format!("siuss report {periodo}"),
                    status: SourceStatus::Processed,
                    rows_read: n,
                    rows_written: n,
                    rows_quarantined: 0,
                    repairs: BTreeMap::new(),
                    fingerprint: None,
                    error: None,
                    quarantine_path: files.first().map(|p| p.display().to_string()),
                },
                ComuneReport {
                    istat: istat.clone(),
                    denominazione: c.denominazione.clone(),
                    status: if n == 0 {
                        crate::pipeline::ComuneStatus::Unchanged
                    } else {
                        crate::pipeline::ComuneStatus::Processed
                    },
                    rows_read: n,
                    rows_written: n,
                    rows_quarantined: 0,
                    repairs: 0,
                    quarantine_files: files,
                },
            ),
            Err(e) => {
                failed += 1;
                not_processed(istat, &periodo, e.to_string())
            }
        };
        catalog.record_source(run, &acc)?;
        reports.push(line);
    }
    let status = match failed {
        0 => RunStatus::Succeeded,
        n if n == reports.len() => RunStatus::Failed,
        _ => RunStatus::PartiallySucceeded,
    };
    finish(catalog, run, status, failed, reports)
}

/// Closes the run and returns its report.
fn finish(
    catalog: &Catalog,
    run: RunId,
    status: RunStatus,
    failed: usize,
    comuni: Vec<ComuneReport>,
) -> Result<RunReport, SiussError> {
    catalog.finish_run(
        run,
        status,
        (failed > 0)
            .then(|| format!("{failed} comuni non elaborati"))
            .as_deref(),
    )?;
    Ok(RunReport {
        run,
        status,
        comuni,
        config_errors: Vec::new(),
    })
}

/// The accounting and report line of a comune that was not processed.
fn not_processed(istat: &str, periodo: &Periodo, reason: String) -> (SourceAccounting, ComuneReport) {
    (
        SourceAccounting {
            comune: istat.to_string(),
            source: format!("siuss {periodo}"),
            status: SourceStatus::Failed,
            rows_read: 0,
            rows_written: 0,
            rows_quarantined: 0,
            repairs: BTreeMap::new(),
            fingerprint: None,
            error: Some(reason.clone()),
            quarantine_path: None,
        },
        ComuneReport {
            istat: istat.to_string(),
            denominazione: metrodati_interop::refdata::comune_by_istat(istat)
                .map(|x| x.denominazione.clone())
                .unwrap_or_default(),
            status: crate::pipeline::ComuneStatus::Failed(reason),
            rows_read: 0,
            rows_written: 0,
            rows_quarantined: 0,
            repairs: 0,
            quarantine_files: vec![],
        },
    )
}

/// Runs the siuss pipeline for the request's comuni (called by
/// [`crate::runner::run`]). Each comune is one catalog transaction; a
/// comune that fails leaves nothing behind and the others go on.
pub fn run(
    settings: &Settings,
    catalog: &mut Catalog,
    req: &RunRequest,
    run: RunId,
) -> Result<RunReport, RunError> {
    Ok(submit(settings, catalog, req, run)?)
}

fn submit(
    settings: &Settings,
    catalog: &mut Catalog,
    req: &RunRequest,
    run: RunId,
) -> Result<RunReport, SiussError> {
    let today = chrono::Local::now().date_naive();
    let periodo = periodo_of(req, today)?;
    let secret = load_secret(settings)?;
    // A secret other than the one of the SINBA flows already sent would
    // change every IDBeneficiario. (Without a secret, SINBA cases are only
    // reported; the fingerprint is stored with the first SINBA flow.)
    let fingerprint = secret.as_ref().map(secret_fingerprint);
    if let Some(fp) = &fingerprint {
        if catalog.siuss_key_known(SINBA_KEY)? && !catalog.check_siuss_key(SINBA_KEY, fp)? {
            return Err(SiussError::Refused(SECRET_CHANGED.into()));
        }
    }
    let output_dir = settings.siuss_output_dir();
    let allow_mass_cancel = req
        .params
        .get("allow_mass_cancel")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let ctx = Context {
        store: &settings.store_dir,
        output_dir: &output_dir,
        periodo,
        today,
        secret: secret.as_ref(),
        secret_fingerprint: fingerprint.as_deref(),
        settings: &settings.siuss,
        allow_mass_cancel,
        run: Some(run),
    };
    tracing::info!(%periodo, comuni = req.comuni.len(), "siuss run");
    let mut reports = Vec::new();
    let mut failed = 0;
    for istat in &req.comuni {
        if req.cancelled().is_some() {
            break;
        }
        let denominazione = metrodati_interop::refdata::comune_by_istat(istat)
            .map(|c| c.denominazione.clone())
            .unwrap_or_default();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            process_comune(catalog, &ctx, istat)
        }))
        .unwrap_or_else(|_| Err(SiussError::Refused("internal error (panic)".into())));
        let (acc, report) = match outcome {
            Ok(s) => {
                let acc = SourceAccounting {
                    comune: istat.clone(),
                    source: format!("siuss {periodo}"),
                    status: SourceStatus::Processed,
                    rows_read: s.records,
                    rows_written: s.records - s.held,
                    rows_quarantined: s.held,
                    repairs: BTreeMap::new(),
                    fingerprint: None,
                    error: None,
                    quarantine_path: s
                        .files
                        .iter()
                        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
                        .map(|p| p.display().to_string()),
                };
                let report = ComuneReport {
                    istat: istat.clone(),
                    denominazione,
                    status: if s.skipped {
                        crate::pipeline::ComuneStatus::Unchanged
                    } else {
                        crate::pipeline::ComuneStatus::Processed
                    },
                    rows_read: s.records,
                    // Records in step with INPS (sent now or before).
                    rows_written: s.records - s.held,
                    rows_quarantined: s.held,
                    repairs: 0,
                    quarantine_files: s.files.clone(),
                };
                tracing::info!(
                    comune = %istat,
                    %periodo,
                    records = s.records,
                    inserted = s.inserted,
                    cancelled = s.cancelled,
                    held = s.held,
                    notices = s.notices,
                    "siuss: comune done"
                );
                (acc, report)
            }
            Err(e) => {
                failed += 1;
                tracing::error!(comune = %istat, error = %e, "siuss: comune failed");
                not_processed(istat, &periodo, e.to_string())
            }
        };
        catalog.record_source(run, &acc)?;
        reports.push(report);
    }
    // Comuni not started because of a cancellation (timeout or shutdown).
    let cancel_reason = req.cancelled();
    let done: std::collections::HashSet<String> = reports.iter().map(|r| r.istat.clone()).collect();
    let not_started: Vec<&String> = req.comuni.iter().filter(|c| !done.contains(*c)).collect();
    for c in &not_started {
        let reason = format!(
            "non elaborato: {}",
            cancel_reason.map_or("cancelled", |r| r.message())
        );
        let (acc, report) = not_processed(c, &periodo, reason);
        catalog.record_source(run, &acc)?;
        failed += 1;
        reports.push(report);
    }
    let status = match cancel_reason {
        Some(crate::schedule::CancelReason::Shutdown) if !not_started.is_empty() => RunStatus::Cancelled,
        Some(_) if !not_started.is_empty() => RunStatus::Failed,
        _ if failed == 0 => RunStatus::Succeeded,
        _ if failed == reports.len() => RunStatus::Failed,
        _ => RunStatus::PartiallySucceeded,
    };
    finish(catalog, run, status, failed, reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrodati_catalog::{CodiceEsito, FlowState, FlowStatus};

    fn live(n: usize) -> Vec<LedgerRecord> {
        (0..n)
            .map(|i| LedgerRecord {
                codice_ente: "G686".into(),
                tipo: TipoFlusso::PsPsaSina,
                record_key: format!("2025|P-{i}"),
                identifier: format!("P-{i}"),
                state: RecordState::Active,
                content_hash: "h".into(),
                insert_flow: FlowState {
                    id_flusso: format!("G686.PS.20251231.{i:07}"),
                    status: FlowStatus::Accepted,
                    codice_esito: Some(CodiceEsito::Ok),
                    superseded_by: None,
                },
                cancel_flow: None,
            })
            .collect()
    }

    #[test]
    fn a_truncated_export_cannot_cancel_most_benefits() {
        let ledger = live(30);
        let gone = |n: usize| plan::plan(&BTreeMap::new(), &ledger[..n], true);
        // Every record withdrawn: refused.
        assert!(refuse_mass_cancel(&gone(30), &ledger, "PS").is_some());
        // A few withdrawn among many: normal.
        let now: BTreeMap<String, Now> = ledger[5..]
            .iter()
            .map(|r| (r.record_key.clone(), Now::Ready("h".into())))
            .collect();
        let actions = plan::plan(&now, &ledger, true);
        assert_eq!(actions.len(), 5);
        assert!(refuse_mass_cancel(&actions, &ledger, "PS").is_none());
        // A small comune may withdraw everything (at most MASS_CANCEL_MIN).
        let small = live(MASS_CANCEL_MIN);
        let all = plan::plan(&BTreeMap::new(), &small, true);
        assert!(refuse_mass_cancel(&all, &small, "PS").is_none());
    }

    fn validated(cognome: &str, protocollo: &str) -> siuss::ValidatedPrestazione {
        let b = siuss::Beneficiario {
            codice_fiscale: "RSSMRA80A01F205X".into(),
            anagrafica: siuss::Anagrafica {
                cognome: cognome.into(),
                nome: "MARIO".into(),
                anno_nascita: 1980,
                luogo_nascita: "F205".into(),
                genere: siuss::Genere::Maschio,
                codice_cittadinanza: "380".into(),
                codice_seconda_cittadinanza: None,
            },
            indirizzi: vec![siuss::Indirizzo::comune_cm_milano("015175").unwrap()],
        };
        let p = siuss::Prestazione {
            carattere: Some(siuss::CaratterePrestazione::Occasionale),
            data_erogazione: NaiveDate::from_ymd_opt(2025, 11, 10),
            importo_prestazione: Some("250.00".parse().unwrap()),
            ..siuss::Prestazione::new(
                "A1.04",
                "Contributi economici a integrazione del reddito familiare",
                protocollo,
                siuss::PresenzaProvaMezzi::NonSoggettaProvaMezzi,
                siuss::PresaCarico::No,
            )
        };
        siuss::validate_prestazione(&b, &p).unwrap()
    }

    #[test]
    fn bulk_files_never_list_a_beneficiary_twice_with_different_data() {
        let dir = tempfile::tempdir().unwrap();
        let ente = Ente::comune_cm_milano("015175", "08911820960").unwrap();
        let day = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        // The surname corrected in the cartella: the cancellation carries the
        // old one, the re-insertion the new one, a second benefit the new one.
        let mut old = validated("ROSSO", "P-1").into_parts();
        old.1.tipo_operazione = TipoOperazione::Cancellazione;
        let old = siuss::validate_prestazione(&old.0, &old.1).unwrap();
        let items = vec![old.clone(), validated("ROSSI", "P-1"), validated("ROSSI", "P-2")];
        let month = dir.path().join("015175/2025-12");
        let cat = Catalog::open_in_memory().unwrap();
        let files = bulk_files(&cat, &month, &ente, day, &items, &[]).unwrap();
        let names: Vec<String> = files.iter().map(|f| f.nome.to_string()).collect();
        assert_eq!(names, ["G686.PS.20251231.0000001", "G686.PS.20251231.0000002"]);
        assert!(files[0].path.ends_with("G686.PS.20251231.0000001.xml"));
        assert_eq!(files.iter().map(|f| f.flows).sum::<u64>(), 3);
        let first = siuss::parse_ps(&files[0].xml).unwrap();
        assert_eq!(
            first.beneficiari[0].prestazioni[0].tipo_operazione,
            TipoOperazione::Cancellazione
        );
        let second = siuss::parse_ps(&files[1].xml).unwrap();
        assert_eq!(second.beneficiari.len(), 1);
        assert_eq!(second.beneficiari[0].prestazioni.len(), 2);
        // Recorded, the names are taken: a later run the same day goes on.
        for f in &files {
            cat.insert_siuss_bulk_file(&f.nome.to_string(), "G686", f.tipo, "2025-12", "x", None, f.flows)
                .unwrap();
        }
        let again = bulk_files(&cat, &month, &ente, day, &items[1..2], &[]).unwrap();
        assert_eq!(again[0].nome.to_string(), "G686.PS.20251231.0000003");
        // After a crash: a pending file of a recorded name is completed, any
        // other removed.
        std::fs::create_dir_all(&month).unwrap();
        std::fs::write(files[0].pending(), "x").unwrap();
        std::fs::write(again[0].pending(), "x").unwrap();
        recover_bulk_files(&cat, &dir.path().join("015175")).unwrap();
        assert!(files[0].path.exists() && !files[0].pending().exists());
        assert!(!again[0].path.exists() && !again[0].pending().exists());
    }

    #[test]
    fn records_of_an_unsettled_or_unknown_identifier_are_held() {
        let ledger = live(3);
        let now: BTreeMap<String, Now> = BTreeMap::new();
        let unsettled: HashSet<&str> = ["P-1"].into_iter().collect();
        let held = hold_unsettled(&now, &ledger, &unsettled, false);
        assert_eq!(held.keys().collect::<Vec<_>>(), ["2025|P-1"]);
        assert_eq!(
            plan::plan(&held, &ledger, true).len(),
            2,
            "P-0 and P-2 withdrawn, P-1 kept"
        );
        // Without the sociale pipeline's list, nothing is taken for withdrawn.
        let all = hold_unsettled(&now, &ledger, &HashSet::new(), true);
        assert!(plan::plan(&all, &ledger, true).is_empty());
    }

    #[test]
    fn the_month_of_a_run() {
        let mut req = RunRequest {
            job: "siuss".into(),
            pipeline: PIPELINE.into(),
            comuni: vec![],
            trigger: metrodati_catalog::Trigger::Manual,
            force: false,
            workers: 1,
            batch_rows: 1,
            max_rejected_share: 0.5,
            in_memory_limit: 1,
            params: serde_json::json!({}),
            period: None,
            run: None,
            cancel: None,
        };
        let today = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        assert_eq!(periodo_of(&req, today).unwrap().to_string(), "2025-12");
        req.period = Some("2026-03-01T04:00:00Z".parse().unwrap());
        assert_eq!(periodo_of(&req, today).unwrap().to_string(), "2026-02");
        req.params = serde_json::json!({ "mese": "2025-07" });
        assert_eq!(periodo_of(&req, today).unwrap().to_string(), "2025-07");
        req.params = serde_json::json!({ "mese": "2025-13" });
        assert!(periodo_of(&req, today).is_err());
    }
}
