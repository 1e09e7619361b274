//! Flow names and XML flows: bulk files and single messages, PS/PSA/SINA and
//! SINBA.
//!
//! **Names.** `IdentificazioneFlusso@Nome` is
//! `{Codice Ente}.{PS|PSA|SINA|SINBA}.{data invio AAAAMMGG}.{progressivo giornaliero}`,
//! at most 50 characters (PDF v2.0.1 Tabelle 2 and 13); the WaaS `id_flusso`
//! is `EEEEE.TIPO.AAAAMMGG.NNNNNNN` with `TIPO` = `PS` or `SINBA`, at most 64
//! characters (api-comuni.yaml, PDF §3.2). The progressive is written with 7
//! digits (`0000001`), as in the `id_flusso` pattern and INPS's examples
//! (`H501.PS.20210520.0000002`). For a single message the name and the
//! `id_flusso` are the same string, as in INPS's examples; a bulk
//! PS/PSA/SINA file may be named with `PS`, `PSA` or `SINA`.
//!
//! **Bulk files** (INPS web application upload) carry many beneficiaries and
//! prestazioni; **messages** (cooperazione applicativa and WaaS) carry exactly
//! one beneficiary and one prestazione (XSD annotations; PDF v2.0.1 §2.1).
//! For SINBA a message carries one case with exactly **one**
//! `CodicePrestazione`: INPS's own example answer to a SINBA flow with two
//! codes is `RICHIESTA_INVALIDA` "In cooperazione è possibile inviare solo un
//! beneficiario e una prestazione sociale" (api-comuni.yaml, `POST /esiti`
//! example), so a case with n codes becomes n messages **\[INFERRED\]**.
//!
//! **Determinism.** The same input gives the same bytes whatever its order:
//! beneficiaries are sorted by codice fiscale and SINBA cases by
//! IDBeneficiario; prestazioni by protocol, code, reference date, with a
//! cancellation before an insertion of the same prestazione; repeated
//! codes are written sorted without duplicates. The only date in a flow is
//! the `data invio` passed in.

use crate::codes::{TipoOperazione, XsdCode};
use crate::model::*;
use crate::validate::{check_ente, ValidatedPrestazione, ValidatedSinba, Violation};
use crate::xml::{Attrs, XmlWriter, NAMESPACE};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::fmt;

/// Maximum length of `IdentificazioneFlusso@Nome` (XSD).
pub const NOME_MAX_LEN: usize = 50;
/// Maximum length of the WaaS `id_flusso` (api-comuni.yaml).
pub const ID_FLUSSO_MAX_LEN: usize = 64;
/// Largest daily progressive (7 digits).
pub const PROGRESSIVO_MAX: u32 = 9_999_999;

/// The flow type of the WaaS API (`tipo`: `PS_PSA_SINA` or `SINBA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TipoFlusso {
    /// `PS_PSA_SINA` (schema `PS_PSA_SINA201812.xsd`).
    PsPsaSina,
    /// `SINBA` (schema `SINBA.xsd`).
    Sinba,
}

impl TipoFlusso {
    /// `PS_PSA_SINA` or `SINBA`.
    pub fn as_str(self) -> &'static str {
        match self {
            TipoFlusso::PsPsaSina => "PS_PSA_SINA",
            TipoFlusso::Sinba => "SINBA",
        }
    }

    /// The schema file name.
    pub fn xsd(self) -> &'static str {
        match self {
            TipoFlusso::PsPsaSina => "PS_PSA_SINA201812.xsd",
            TipoFlusso::Sinba => "SINBA.xsd",
        }
    }
}

impl fmt::Display for TipoFlusso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TipoFlusso {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The type token of a flow name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TipoNome {
    /// `PS` (prestazioni sociali; the token of every WaaS PS/PSA/SINA flow).
    Ps,
    /// `PSA` (prestazioni sociali agevolate).
    Psa,
    /// `SINA`.
    Sina,
    /// `SINBA`.
    Sinba,
}

impl TipoNome {
    /// The token.
    pub fn as_str(self) -> &'static str {
        match self {
            TipoNome::Ps => "PS",
            TipoNome::Psa => "PSA",
            TipoNome::Sina => "SINA",
            TipoNome::Sinba => "SINBA",
        }
    }

    /// The flow type the token belongs to.
    pub fn tipo_flusso(self) -> TipoFlusso {
        match self {
            TipoNome::Sinba => TipoFlusso::Sinba,
            _ => TipoFlusso::PsPsaSina,
        }
    }

    fn parse(s: &str) -> Option<TipoNome> {
        Some(match s {
            "PS" => TipoNome::Ps,
            "PSA" => TipoNome::Psa,
            "SINA" => TipoNome::Sina,
            "SINBA" => TipoNome::Sinba,
            _ => return None,
        })
    }
}

/// Why a flow cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// The ente breaks rules (see [`check_ente`]).
    #[error("invalid ente: {}", .0.iter().map(|v| v.code()).collect::<Vec<_>>().join(", "))]
    InvalidEnte(Vec<Violation>),
    /// A flow needs at least one beneficiary (one SINBA case).
    #[error("a flow needs at least one record")]
    Empty,
    /// The name's codice ente is not the ente's.
    #[error("the flow name is for ente {nome}, the flow for {ente}")]
    EnteMismatch {
        /// Codice ente in the name.
        nome: String,
        /// Codice of the ente.
        ente: String,
    },
    /// A SINBA name for a PS/PSA/SINA flow or the other way round.
    #[error("a {tipo} flow cannot be named with {token}")]
    TipoMismatch {
        /// The flow type.
        tipo: TipoFlusso,
        /// The name's token.
        token: &'static str,
    },
    /// The name is not `{ente}.{tipo}.{AAAAMMGG}.{progressivo}` or is too long.
    #[error("invalid flow name: {0}")]
    InvalidName(String),
    /// The daily progressive is outside 1–9 999 999.
    #[error("daily progressive {0} outside 1..=9999999")]
    Progressivo(u64),
    /// Two prestazioni of one bulk file have the same codice fiscale but
    /// different personal data or residences (indexes in the input; the
    /// codice fiscale is not repeated in the error).
    #[error("records {first} and {second} have the same codice fiscale but different personal data")]
    ConflictingBeneficiario {
        /// Index of the first record.
        first: usize,
        /// Index of the second record.
        second: usize,
    },
    /// The same record twice in one call (indexes in the input): it would be
    /// sent twice.
    #[error("records {first} and {second} are the same")]
    Duplicate {
        /// Index of the first record.
        first: usize,
        /// Index of the second record.
        second: usize,
    },
    /// A SINBA message must have exactly one CodicePrestazione.
    #[error("a SINBA message needs exactly one CodicePrestazione, the case has {0}")]
    NotSingle(usize),
}

/// `IdentificazioneFlusso@Nome`: `{ente}.{tipo}.{AAAAMMGG}.{progressivo:07}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NomeFlusso {
    codice_ente: String,
    tipo: TipoNome,
    data_invio: NaiveDate,
    progressivo: u32,
}

impl NomeFlusso {
    /// A name; fails if the progressive is outside 1–9 999 999, the ente code
    /// is empty or contains a dot, or the result exceeds 50 characters.
    pub fn new(
        codice_ente: &str,
        tipo: TipoNome,
        data_invio: NaiveDate,
        progressivo: u32,
    ) -> Result<NomeFlusso, FlowError> {
        if !(1..=PROGRESSIVO_MAX).contains(&progressivo) {
            return Err(FlowError::Progressivo(u64::from(progressivo)));
        }
        if codice_ente.is_empty()
            || codice_ente.contains('.')
            || !codice_ente.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(FlowError::InvalidName(format!("codice ente {codice_ente:?}")));
        }
        if !(1000..=9999).contains(&chrono::Datelike::year(&data_invio)) {
            return Err(FlowError::InvalidName(format!("data invio {data_invio}")));
        }
        let n = NomeFlusso {
            codice_ente: codice_ente.to_string(),
            tipo,
            data_invio,
            progressivo,
        };
        if n.to_string().len() > NOME_MAX_LEN {
            return Err(FlowError::InvalidName(format!(
                "{n} is longer than {NOME_MAX_LEN} characters"
            )));
        }
        Ok(n)
    }

    /// Reads a name (the progressive may have more than 7 digits with
    /// leading zeros, as in one INPS example: `H501.SINBA.20210520.00000004`).
    pub fn parse(s: &str) -> Result<NomeFlusso, FlowError> {
        let bad = || FlowError::InvalidName(s.to_string());
        let parts: Vec<&str> = s.split('.').collect();
        let [ente, tipo, data, prog] = parts.as_slice() else {
            return Err(bad());
        };
        let tipo = TipoNome::parse(tipo).ok_or_else(bad)?;
        if data.len() != 8 || !data.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let data = NaiveDate::parse_from_str(data, "%Y%m%d").map_err(|_| bad())?;
        if prog.is_empty() || !prog.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let prog: u64 = prog.trim_start_matches('0').parse().unwrap_or(0);
        let prog = u32::try_from(prog).map_err(|_| FlowError::Progressivo(prog))?;
        NomeFlusso::new(ente, tipo, data, prog)
    }

    /// The codice ente.
    pub fn codice_ente(&self) -> &str {
        &self.codice_ente
    }

    /// The type token.
    pub fn tipo(&self) -> TipoNome {
        self.tipo
    }

    /// The sending date.
    pub fn data_invio(&self) -> NaiveDate {
        self.data_invio
    }

    /// The daily progressive.
    pub fn progressivo(&self) -> u32 {
        self.progressivo
    }

    /// The WaaS `id_flusso`: `EEEEE.TIPO.AAAAMMGG.NNNNNNN` with `TIPO` =
    /// `PS` for every PS/PSA/SINA flow and `SINBA` for SINBA.
    pub fn id_flusso(&self) -> String {
        let tipo = match self.tipo.tipo_flusso() {
            TipoFlusso::PsPsaSina => "PS",
            TipoFlusso::Sinba => "SINBA",
        };
        format!(
            "{}.{tipo}.{}.{:07}",
            self.codice_ente,
            self.data_invio.format("%Y%m%d"),
            self.progressivo
        )
    }
}

impl fmt::Display for NomeFlusso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{:07}",
            self.codice_ente,
            self.tipo.as_str(),
            self.data_invio.format("%Y%m%d"),
            self.progressivo
        )
    }
}

/// An XML flow ready to be uploaded or served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlFlow {
    /// Its name (`IdentificazioneFlusso@Nome`).
    pub nome: NomeFlusso,
    /// PS_PSA_SINA or SINBA.
    pub tipo: TipoFlusso,
    /// The ente's code.
    pub codice_ente: String,
    /// The ente's name.
    pub denominazione_ente: Option<String>,
    /// Number of `Beneficiario` (or `SINBA`) elements.
    pub beneficiari: usize,
    /// Number of `PrestazioniSociali` (or SINBA `CodicePrestazione`) elements.
    pub prestazioni: usize,
    /// The XML document (UTF-8).
    pub xml: String,
}

/// One entry of the WaaS `GET /flussi` answer (`Flusso` schema of
/// api-comuni.yaml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaasFlusso {
    /// Codice Belfiore of the ente.
    pub codice_ente: String,
    /// Name of the ente.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominazione_ente: Option<String>,
    /// `EEEEE.TIPO.AAAAMMGG.NNNNNNN`.
    pub id_flusso: String,
    /// `PS_PSA_SINA` or `SINBA`.
    pub tipo: TipoFlusso,
    /// RFC 3339 UTC with milliseconds (`2023-11-27T11:04:56.852Z`).
    pub ts_flusso: String,
    /// The XML, base64.
    pub flusso: String,
}

impl XmlFlow {
    /// The WaaS `id_flusso`.
    pub fn id_flusso(&self) -> String {
        self.nome.id_flusso()
    }

    /// The XML in standard base64 (the WaaS `flusso` property).
    pub fn base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.xml.as_bytes())
    }

    /// Whether the flow may go through cooperazione applicativa or WaaS
    /// (one beneficiary, one prestazione).
    pub fn is_single(&self) -> bool {
        self.beneficiari == 1 && self.prestazioni == 1
    }

    /// The WaaS entry of this flow; `ts_flusso` is the flow's last update,
    /// which the caller keeps (the flow itself has no timestamp).
    pub fn waas_entry(&self, ts_flusso: DateTime<Utc>) -> WaasFlusso {
        WaasFlusso {
            codice_ente: self.codice_ente.clone(),
            denominazione_ente: self.denominazione_ente.clone(),
            id_flusso: self.id_flusso(),
            tipo: self.tipo,
            ts_flusso: ts_flusso.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            flusso: self.base64(),
        }
    }
}

// ---------------------------------------------------------------------------
// Serialisation
// ---------------------------------------------------------------------------

fn opt<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

fn some<T: ToString>(v: T) -> Option<String> {
    Some(v.to_string())
}

fn code<T: XsdCode>(v: T) -> Option<String> {
    Some(v.code().to_string())
}

fn opt_code<T: XsdCode>(v: Option<T>) -> Option<String> {
    v.map(|v| v.code().to_string())
}

fn sorted_unique(codes: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = codes.iter().map(String::as_str).collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn write_header(w: &mut XmlWriter, ente: &Ente, nome: &NomeFlusso) {
    w.start("Flusso", vec![("xmlns", some(NAMESPACE))]);
    w.start("IdentificazioneFlusso", vec![("Nome", some(nome))]);
    w.empty(
        "Ente",
        vec![
            ("Codice", some(&ente.codice)),
            ("Denominazione", opt(&ente.denominazione)),
            ("Indirizzo", some(&ente.indirizzo)),
            ("CFOperatore", some(&ente.cf_operatore)),
        ],
    );
    w.end();
}

fn write_prestazione(w: &mut XmlWriter, p: &Prestazione) {
    let attrs: Attrs<'_> = vec![
        ("TipoOperazione", code(p.tipo_operazione)),
        ("PresenzaProvaMezzi", code(p.presenza_prova_mezzi)),
        ("CaratterePrestazione", opt_code(p.carattere)),
        ("NumeroProtocolloDSU", opt(&p.numero_protocollo_dsu)),
        (
            "AnnoProtocolloDSU",
            p.anno_protocollo_dsu.map(|y| format!("{y:04}")),
        ),
        ("DataDSU", opt(&p.data_dsu)),
        ("CodicePrestazione", some(&p.codice_prestazione)),
        ("DenominazionePrestazione", some(&p.denominazione_prestazione)),
        ("ProtocolloDomanda", some(&p.protocollo_domanda)),
        ("DataEvento", opt(&p.data_evento)),
        ("DataInizioPrestazione", opt(&p.data_inizio)),
        ("DataFinePrestazione", opt(&p.data_fine)),
        ("DataErogazionePrestazione", opt(&p.data_erogazione)),
        ("ImportoPrestazione", opt(&p.importo_prestazione)),
        ("PeriodoErogazione", opt(&p.periodo_erogazione)),
        ("ImportoMensile", opt(&p.importo_mensile)),
        ("ImportoQuotaEnte", opt(&p.importo_quota_ente)),
        ("ImportoQuotaUtente", opt(&p.importo_quota_utente)),
        ("ImportoQuotaSSN", opt(&p.importo_quota_ssn)),
        ("ImportoQuotaRichiesta", opt(&p.importo_quota_richiesta)),
        ("ImportoSogliaISEE", opt(&p.importo_soglia_isee)),
        ("OreServizioMensile", opt(&p.ore_servizio_mensile)),
        ("PresaCarico", code(p.presa_carico)),
        ("AreaUtenza", opt_code(p.area_utenza)),
    ];
    let Some(s) = &p.sina else {
        w.empty("PrestazioniSociali", attrs);
        return;
    };
    w.start("PrestazioniSociali", attrs);
    let sina_attrs: Attrs<'_> = vec![
        ("Mobilita", code(s.mobilita)),
        ("AttivitaVitaQuotidiana", code(s.attivita_vita_quotidiana)),
        ("DisturbiAreaCognitiva", opt_code(s.disturbi_area_cognitiva)),
        ("DisturbiComportamentali", code(s.disturbi_comportamentali)),
        ("NecessitaCureSanitarie", opt_code(s.necessita_cure_sanitarie)),
        ("AreaReddituale", code(s.area_reddituale)),
        ("AreaSupporto", code(s.area_supporto)),
        (
            "FonteDerivazioneValutazione",
            code(s.fonte_derivazione_valutazione),
        ),
        ("StrumentoValutazione", code(s.strumento_valutazione)),
        (
            "FonteDerivazioneInvalidita",
            opt_code(s.fonte_derivazione_invalidita),
        ),
    ];
    if s.necessita_interventi_sociali.is_empty() && s.invalidita_civile.is_empty() {
        w.empty("SINA", sina_attrs);
    } else {
        w.start("SINA", sina_attrs);
        if !s.necessita_interventi_sociali.is_empty() {
            w.start("NecessitaInterventiSociali", vec![]);
            for c in sorted_unique(&s.necessita_interventi_sociali) {
                w.text_element("CodicePrestazione", c);
            }
            w.end();
        }
        if !s.invalidita_civile.is_empty() {
            let mut inv = s.invalidita_civile.clone();
            inv.sort_unstable();
            inv.dedup();
            w.start("InvaliditaCivile", vec![]);
            for i in inv {
                w.text_element("InvCiv", i.code());
            }
            w.end();
        }
        w.end();
    }
    w.end();
}

fn write_beneficiario(w: &mut XmlWriter, b: &Beneficiario, prestazioni: &[&Prestazione]) {
    w.start("Beneficiario", vec![("CodiceFiscale", some(&b.codice_fiscale))]);
    let a = &b.anagrafica;
    w.empty(
        "Anagrafica",
        vec![
            ("Cognome", some(&a.cognome)),
            ("Nome", some(&a.nome)),
            ("AnnoNascita", some(format!("{:04}", a.anno_nascita))),
            ("LuogoNascita", some(&a.luogo_nascita)),
            ("Genere", code(a.genere)),
            ("CodiceCittadinanza", some(&a.codice_cittadinanza)),
            ("CodiceSecondaCittadinanza", opt(&a.codice_seconda_cittadinanza)),
        ],
    );
    for i in &b.indirizzi {
        w.empty(
            "Indirizzo",
            vec![
                ("CodiceRegione", opt(&i.codice_regione)),
                ("CodiceComune", opt(&i.codice_comune)),
                ("CodiceNazione", some(&i.codice_nazione)),
            ],
        );
    }
    for p in prestazioni {
        write_prestazione(w, p);
    }
    w.end();
}

fn write_sinba_case(w: &mut XmlWriter, s: &SinbaCase, codes: &[&str]) {
    let attrs: Attrs<'_> = vec![
        ("IDBeneficiario", some(s.id_beneficiario.as_str())),
        ("MinoreStranieroNoAcc", code(s.minore_straniero_no_acc)),
        ("CondizioneMinore", code(s.condizione_minore)),
        ("LuogoVita", code(s.luogo_vita)),
        ("ScuolaFrequentata", code(s.scuola_frequentata)),
        ("CondizioneLavoro", code(s.condizione_lavoro)),
        ("Disabilita", code(s.disabilita)),
        ("TipoDisabilita", opt_code(s.tipo_disabilita)),
        ("InvCivCertificazioni", opt_code(s.inv_civ_certificazioni)),
        ("CodiceCittadinanzaPadre", opt(&s.codice_cittadinanza_padre)),
        ("CodiceCittadinanzaMadre", opt(&s.codice_cittadinanza_madre)),
        (
            "CodiceRegioneResidenzaPadre",
            opt(&s.codice_regione_residenza_padre),
        ),
        (
            "CodiceRegioneResidenzaMadre",
            opt(&s.codice_regione_residenza_madre),
        ),
        ("TitoloStudioPadre", opt_code(s.titolo_studio_padre)),
        ("TitoloStudioMadre", opt_code(s.titolo_studio_madre)),
        ("OccupazionePadre", opt_code(s.occupazione_padre)),
        ("OccupazioneMadre", opt_code(s.occupazione_madre)),
        ("DataPrimaSegnalazione", some(s.data_prima_segnalazione)),
        ("FonteSegnalazione", code(s.fonte_segnalazione)),
        ("ValutazioneMinore", code(s.valutazione_minore)),
        ("ValutazioneFamigliaMinore", code(s.valutazione_famiglia_minore)),
        (
            "SegnalazioneAutoritaGiudiziaria",
            code(s.segnalazione_autorita_giudiziaria),
        ),
        ("DataSegnalazione", opt(&s.data_segnalazione)),
        ("ProvvedimentoGiudiziario", code(s.provvedimento_giudiziario)),
        (
            "DataProvvedimentoGiudiziario",
            opt(&s.data_provvedimento_giudiziario),
        ),
        ("AutoritaProvvedimento", opt_code(s.autorita_provvedimento)),
        ("PotestaTutela", opt_code(s.potesta_tutela)),
        (
            "TipoProvvedimentoGiudiziario",
            opt_code(s.tipo_provvedimento_giudiziario),
        ),
        ("FormaInterventoAffido", opt_code(s.forma_intervento_affido)),
        ("TipoInterventoAffido", opt_code(s.tipo_intervento_affido)),
        ("DurataAffido", opt_code(s.durata_affido)),
        ("CarattereAffido", opt_code(s.carattere_affido)),
        ("EsitoAffido", opt_code(s.esito_affido)),
        (
            "CarattereInserimentoResidenziale",
            opt_code(s.carattere_inserimento_residenziale),
        ),
        (
            "FormaInserimentoResidenziale",
            opt_code(s.forma_inserimento_residenziale),
        ),
        (
            "TipoInserimentoResidenziale",
            opt_code(s.tipo_inserimento_residenziale),
        ),
        (
            "EsitoInserimentoStruttura",
            opt_code(s.esito_inserimento_struttura),
        ),
        (
            "MotivazioneChiusuraCarico",
            opt_code(s.motivazione_chiusura_carico),
        ),
        ("SituazioneChiusuraCarico", opt_code(s.situazione_chiusura_carico)),
        ("CollaborazioniInterventi", opt_code(s.collaborazioni_interventi)),
        ("NumeroComponentiISEE", opt(&s.numero_componenti_isee)),
        ("FasciaEtaBeneficiario", code(s.fascia_eta_beneficiario)),
        ("FasciaISEEBeneficiario", opt_code(s.fascia_isee_beneficiario)),
        ("AnnoNascita", some(format!("{:04}", s.anno_nascita))),
        ("CodiceRegioneResidenza", opt(&s.codice_regione_residenza)),
        ("CodiceNazioneResidenza", some(&s.codice_nazione_residenza)),
    ];
    w.start("SINBA", attrs);
    w.start("Prestazioni", vec![]);
    for c in codes {
        w.text_element("CodicePrestazione", c);
    }
    w.end();
    w.start("Famiglia", vec![]);
    let mut fam = s.famiglia.clone();
    fam.sort_unstable();
    for f in fam {
        w.text_element("ComposizioneFamiglia", f.code());
    }
    w.end();
    w.end();
}

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

fn check_header(ente: &Ente, nome: &NomeFlusso, tipo: TipoFlusso) -> Result<(), FlowError> {
    let v = check_ente(ente);
    if !v.is_empty() {
        return Err(FlowError::InvalidEnte(v));
    }
    if nome.codice_ente != ente.codice {
        return Err(FlowError::EnteMismatch {
            nome: nome.codice_ente.clone(),
            ente: ente.codice.clone(),
        });
    }
    if nome.tipo.tipo_flusso() != tipo {
        return Err(FlowError::TipoMismatch {
            tipo,
            token: nome.tipo.as_str(),
        });
    }
    Ok(())
}

/// The order of prestazioni: protocol, code, reference date, cancellation
/// before insertion, then the remaining attributes (debug form) as a last
/// tie-breaker so that the order never depends on the input's.
fn prestazione_key(p: &Prestazione) -> (String, String, Option<NaiveDate>, u8, String) {
    let op = match p.tipo_operazione {
        TipoOperazione::Cancellazione => 0,
        TipoOperazione::Inserimento => 1,
    };
    (
        p.protocollo_domanda.clone(),
        p.codice_prestazione.clone(),
        p.data_riferimento(),
        op,
        format!("{p:?}"),
    )
}

/// The validated prestazioni in flow order, with their input index; an
/// error if the same record is there twice.
fn ordered(prestazioni: &[ValidatedPrestazione]) -> Result<Vec<(usize, &ValidatedPrestazione)>, FlowError> {
    let mut v: Vec<(usize, &ValidatedPrestazione)> = prestazioni.iter().enumerate().collect();
    v.sort_by_cached_key(|(_, p)| {
        (
            p.beneficiario().codice_fiscale.clone(),
            prestazione_key(p.prestazione()),
        )
    });
    check_duplicates(&v)?;
    Ok(v)
}

fn check_duplicates<T: PartialEq>(sorted: &[(usize, T)]) -> Result<(), FlowError> {
    for w in sorted.windows(2) {
        if w[0].1 == w[1].1 {
            return Err(FlowError::Duplicate {
                first: w[0].0.min(w[1].0),
                second: w[0].0.max(w[1].0),
            });
        }
    }
    Ok(())
}

fn xml_ps(ente: &Ente, nome: &NomeFlusso, groups: &[(&Beneficiario, Vec<&Prestazione>)]) -> String {
    let mut w = XmlWriter::new();
    write_header(&mut w, ente, nome);
    for (b, ps) in groups {
        write_beneficiario(&mut w, b, ps);
    }
    w.end();
    w.finish()
}

/// A bulk PS/PSA/SINA file (INPS web application upload) with every
/// prestazione, grouped by beneficiary. The name may use `PS`, `PSA` or
/// `SINA`. Fails if two prestazioni share a codice fiscale but not the same
/// personal data and residences.
pub fn ps_bulk(
    ente: &Ente,
    nome: &NomeFlusso,
    prestazioni: &[ValidatedPrestazione],
) -> Result<XmlFlow, FlowError> {
    check_header(ente, nome, TipoFlusso::PsPsaSina)?;
    if prestazioni.is_empty() {
        return Err(FlowError::Empty);
    }
    let mut groups: Vec<(&Beneficiario, Vec<&Prestazione>, usize)> = Vec::new();
    for (i, p) in ordered(prestazioni)? {
        let b = p.beneficiario();
        match groups.last_mut() {
            Some((gb, ps, first)) if gb.codice_fiscale == b.codice_fiscale => {
                if *gb != b {
                    let (first, second) = ((*first).min(i), (*first).max(i));
                    return Err(FlowError::ConflictingBeneficiario { first, second });
                }
                ps.push(p.prestazione());
            }
            _ => groups.push((b, vec![p.prestazione()], i)),
        }
    }
    let n_prest = prestazioni.len();
    let groups: Vec<(&Beneficiario, Vec<&Prestazione>)> =
        groups.into_iter().map(|(b, ps, _)| (b, ps)).collect();
    Ok(XmlFlow {
        nome: nome.clone(),
        tipo: TipoFlusso::PsPsaSina,
        codice_ente: ente.codice.clone(),
        denominazione_ente: ente.denominazione.clone(),
        beneficiari: groups.len(),
        prestazioni: n_prest,
        xml: xml_ps(ente, nome, &groups),
    })
}

/// A single PS/PSA/SINA message (cooperazione applicativa / WaaS): one
/// beneficiary, one prestazione.
pub fn ps_message(
    ente: &Ente,
    nome: &NomeFlusso,
    prestazione: &ValidatedPrestazione,
) -> Result<XmlFlow, FlowError> {
    check_header(ente, nome, TipoFlusso::PsPsaSina)?;
    let b = prestazione.beneficiario();
    Ok(XmlFlow {
        nome: nome.clone(),
        tipo: TipoFlusso::PsPsaSina,
        codice_ente: ente.codice.clone(),
        denominazione_ente: ente.denominazione.clone(),
        beneficiari: 1,
        prestazioni: 1,
        xml: xml_ps(ente, nome, &[(b, vec![prestazione.prestazione()])]),
    })
}

fn progressivi(first: u32, n: usize) -> Result<impl Iterator<Item = u32>, FlowError> {
    let last = u64::from(first) + n as u64 - 1;
    if first == 0 || (n > 0 && last > u64::from(PROGRESSIVO_MAX)) {
        return Err(FlowError::Progressivo(last.max(u64::from(first))));
    }
    Ok(first..)
}

/// One message per prestazione, named `{ente}.PS.{data_invio}.{progressivo}`
/// with consecutive progressives from `primo_progressivo`, in the
/// deterministic flow order (codice fiscale, protocol, code, date,
/// cancellation first).
pub fn ps_messages(
    ente: &Ente,
    data_invio: NaiveDate,
    primo_progressivo: u32,
    prestazioni: &[ValidatedPrestazione],
) -> Result<Vec<XmlFlow>, FlowError> {
    let mut prog = progressivi(primo_progressivo, prestazioni.len())?;
    ordered(prestazioni)?
        .into_iter()
        .map(|(_, p)| {
            let nome = NomeFlusso::new(
                &ente.codice,
                TipoNome::Ps,
                data_invio,
                prog.next().expect("unbounded"),
            )?;
            ps_message(ente, &nome, p)
        })
        .collect()
}

fn xml_sinba(ente: &Ente, nome: &NomeFlusso, cases: &[(&SinbaCase, Vec<&str>)]) -> String {
    let mut w = XmlWriter::new();
    write_header(&mut w, ente, nome);
    for (c, codes) in cases {
        write_sinba_case(&mut w, c, codes);
    }
    w.end();
    w.finish()
}

fn ordered_sinba(cases: &[ValidatedSinba]) -> Result<Vec<&SinbaCase>, FlowError> {
    let mut v: Vec<(usize, &SinbaCase)> = cases.iter().map(ValidatedSinba::case).enumerate().collect();
    v.sort_by_cached_key(|(_, c)| (c.id_beneficiario.clone(), format!("{c:?}")));
    check_duplicates(&v)?;
    Ok(v.into_iter().map(|(_, c)| c).collect())
}

/// A bulk SINBA file with every case (codes sorted, without duplicates).
pub fn sinba_bulk(ente: &Ente, nome: &NomeFlusso, cases: &[ValidatedSinba]) -> Result<XmlFlow, FlowError> {
    check_header(ente, nome, TipoFlusso::Sinba)?;
    if cases.is_empty() {
        return Err(FlowError::Empty);
    }
    let items: Vec<(&SinbaCase, Vec<&str>)> = ordered_sinba(cases)?
        .into_iter()
        .map(|c| (c, sorted_unique(&c.prestazioni)))
        .collect();
    Ok(XmlFlow {
        nome: nome.clone(),
        tipo: TipoFlusso::Sinba,
        codice_ente: ente.codice.clone(),
        denominazione_ente: ente.denominazione.clone(),
        beneficiari: items.len(),
        prestazioni: items.iter().map(|(_, c)| c.len()).sum(),
        xml: xml_sinba(ente, nome, &items),
    })
}

/// A single SINBA message: one case with exactly one CodicePrestazione
/// (see the module documentation).
pub fn sinba_message(ente: &Ente, nome: &NomeFlusso, case: &ValidatedSinba) -> Result<XmlFlow, FlowError> {
    check_header(ente, nome, TipoFlusso::Sinba)?;
    let codes = sorted_unique(&case.case().prestazioni);
    if codes.len() != 1 {
        return Err(FlowError::NotSingle(codes.len()));
    }
    Ok(XmlFlow {
        nome: nome.clone(),
        tipo: TipoFlusso::Sinba,
        codice_ente: ente.codice.clone(),
        denominazione_ente: ente.denominazione.clone(),
        beneficiari: 1,
        prestazioni: 1,
        xml: xml_sinba(ente, nome, &[(case.case(), codes)]),
    })
}

/// One SINBA message per case and CodicePrestazione (a case with n codes
/// gives n messages, each with the case's attributes and one code), named
/// `{ente}.SINBA.{data_invio}.{progressivo}` from `primo_progressivo`, in
/// IDBeneficiario then code order.
pub fn sinba_messages(
    ente: &Ente,
    data_invio: NaiveDate,
    primo_progressivo: u32,
    cases: &[ValidatedSinba],
) -> Result<Vec<XmlFlow>, FlowError> {
    let items: Vec<(&SinbaCase, &str)> = ordered_sinba(cases)?
        .into_iter()
        .flat_map(|c| {
            sorted_unique(&c.prestazioni)
                .into_iter()
                .map(move |code| (c, code))
        })
        .collect();
    let mut prog = progressivi(primo_progressivo, items.len())?;
    let mut out = Vec::with_capacity(items.len());
    for (c, code) in items {
        let nome = NomeFlusso::new(
            &ente.codice,
            TipoNome::Sinba,
            data_invio,
            prog.next().expect("unbounded"),
        )?;
        check_header(ente, &nome, TipoFlusso::Sinba)?;
        out.push(XmlFlow {
            nome: nome.clone(),
            tipo: TipoFlusso::Sinba,
            codice_ente: ente.codice.clone(),
            denominazione_ente: ente.denominazione.clone(),
            beneficiari: 1,
            prestazioni: 1,
            xml: xml_sinba(ente, &nome, &[(c, vec![code])]),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, g: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, g).unwrap()
    }

    #[test]
    fn names() {
        let n = NomeFlusso::new("F205", TipoNome::Ps, d(2026, 3, 5), 2).unwrap();
        assert_eq!(n.to_string(), "F205.PS.20260305.0000002");
        assert_eq!(n.id_flusso(), "F205.PS.20260305.0000002");
        let n = NomeFlusso::new("F205", TipoNome::Psa, d(2026, 3, 5), 12).unwrap();
        assert_eq!(n.to_string(), "F205.PSA.20260305.0000012");
        assert_eq!(n.id_flusso(), "F205.PS.20260305.0000012");
        let n = NomeFlusso::new("F205", TipoNome::Sinba, d(2026, 3, 5), 9_999_999).unwrap();
        assert_eq!(n.to_string(), "F205.SINBA.20260305.9999999");
        assert!(NomeFlusso::new("F205", TipoNome::Ps, d(2026, 3, 5), 0).is_err());
        assert!(NomeFlusso::new("F205", TipoNome::Ps, d(2026, 3, 5), 10_000_000).is_err());
        assert!(NomeFlusso::new("F2.5", TipoNome::Ps, d(2026, 3, 5), 1).is_err());
        assert!(NomeFlusso::new(&"A".repeat(30), TipoNome::Sinba, d(2026, 3, 5), 1).is_err());
        let p = NomeFlusso::parse("H501.SINBA.20210520.00000004").unwrap();
        assert_eq!(
            (p.codice_ente(), p.tipo(), p.progressivo()),
            ("H501", TipoNome::Sinba, 4)
        );
        assert_eq!(
            NomeFlusso::parse("H501.PS.20210520.0000002").unwrap().to_string(),
            "H501.PS.20210520.0000002"
        );
        assert!(NomeFlusso::parse("H501.PS.INPS.20160423.115235").is_err());
        assert!(NomeFlusso::parse("H501.XX.20210520.0000002").is_err());
        assert!(NomeFlusso::parse("H501.PS.20210230.0000002").is_err());
    }
}
