//! From the store to validated SIUSS records: a comune's
//! `prestazione_sociale`, `valutazione_sina` and `caso_sinba` partitions,
//! with the beneficiaries' `persona` rows, become the records of the
//! PS/PSA/SINA and SINBA flows, each validated by
//! [`metrodati_siuss::validate_prestazione`] / [`metrodati_siuss::validate_sinba`]
//! or carrying the violations that keep it from INPS.
//!
//! **Records.** A PS record is one prestazione in one calendar year
//! (key `<year>|<identifier>`): periodic benefits spanning years are split
//! by [`metrodati_siuss::split_by_year`]; an open-ended one gets a record per
//! year up to the month submitted, the last without an end date. A SINBA
//! record is one case and one codice prestazione (`<code>|<identifier>`),
//! since WaaS messages carry one prestazione each. Keys start with a fixed
//! form before `|`, so no identifier can make two keys collide.
//!
//! **Due.** A record is due in a month when its reference date (start,
//! delivery or event; for SINBA the presa in carico) is on or before the
//! month's last day: later records wait for their month.
//!
//! **Anagrafica.** Surname, name, birth year and place, sex and citizenship
//! come from the comune's `persona` partition (the Cartella Sociale exports
//! carry only the codice fiscale); a beneficiary who is not a resident
//! cannot be sent and is reported. Citizenship is converted from the ISTAT
//! state code to the ISO 3166 numeric code SIUSS uses (990 when unknown).
//!
//! **SINA.** An assessment is attached to the prestazione it names
//! (`service_identifier`), else to the beneficiary's home-care and
//! residential prestazioni; the latest assessment wins.
//!
//! **SINBA.** The minor's `IDBeneficiario` is the keyed pseudonym of the
//! codice fiscale ([`metrodati_siuss::SinbaSecret`]); the codice fiscale
//! itself never leaves this module in a SINBA record.

use super::frame::{FrameError, Table};
use super::periodo::Periodo;
use crate::store::partition_file;
use chrono::{Datelike, NaiveDate};
use metrodati_interop::cf::decode_omocodia;
use metrodati_interop::refdata;
use metrodati_siuss::{
    self as siuss, Anagrafica, Beneficiario, CaratterePrestazione, Genere, Importo, Indirizzo, MeseAnno,
    OreServizio, Prestazione, Sina, SinbaCase, SinbaSecret, ValidatedPrestazione, ValidatedSinba,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;

/// Store tables read.
pub const PRESTAZIONE: &str = "prestazione_sociale";
/// Store tables read.
pub const SINA: &str = "valutazione_sina";
/// Store tables read.
pub const SINBA: &str = "caso_sinba";
/// Store tables read.
pub const PERSONA: &str = "persona";

/// Rule of a beneficiary missing from the anagrafe.
pub const NOT_IN_ANAGRAFE: &str = "siuss.beneficiary.not_in_anagrafe";
/// Rule of a store value that is not an XSD code.
pub const INVALID_CODE: &str = "siuss.store.invalid_code";
/// Rule of a SINBA case that cannot get its pseudonym.
pub const NO_PSEUDONYM: &str = "siuss.sinba.pseudonym";
/// Rule of a SINBA case without any codice prestazione.
pub const NO_SERVICES: &str = "siuss.sinba.services.missing";
/// Rule of a prestazione waiting for its rejected SINA assessment.
pub const SINA_HELD: &str = "siuss.sina.held";
/// Rule of a SINBA case whose beneficiary is not a minor at the presa in carico.
pub const NOT_A_MINOR: &str = "siuss.sinba.not_a_minor";

/// A violation that keeps a record from INPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The XSD attribute (or store field) concerned.
    pub field: Option<String>,
    /// Stable rule code.
    pub rule: String,
    /// Italian message for the steward.
    pub message: String,
}

impl Problem {
    fn new(field: &str, rule: &str, message: impl Into<String>) -> Problem {
        Problem {
            field: Some(field.to_string()),
            rule: rule.to_string(),
            message: message.into(),
        }
    }

    fn from_violations(v: Vec<siuss::Violation>) -> Vec<Problem> {
        v.into_iter()
            .map(|v| Problem {
                field: Some(v.field.to_string()),
                rule: v.code().to_string(),
                message: v.message,
            })
            .collect()
    }
}

/// A PS/PSA/SINA record.
#[derive(Debug, Clone)]
pub struct PsCandidate {
    /// `<year>|<identifier>` (`-|<identifier>` without a date).
    pub record_key: String,
    /// The identifier in the Cartella Sociale.
    pub identifier: String,
    pub codice_prestazione: String,
    /// The beneficiary's codice fiscale (for the steward report).
    pub codice_fiscale: String,
    /// Whether the record belongs to this month or an earlier one.
    pub due: bool,
    pub result: Result<ValidatedPrestazione, Vec<Problem>>,
}

/// A SINBA record. It has no codice fiscale.
#[derive(Debug, Clone)]
pub struct SinbaCandidate {
    /// `<codice prestazione>|<identifier>` (`*|<identifier>` for a case that
    /// cannot be built).
    pub record_key: String,
    pub identifier: String,
    pub codice_prestazione: String,
    pub due: bool,
    pub result: Result<ValidatedSinba, Vec<Problem>>,
}

/// Every record of a comune.
#[derive(Debug, Clone, Default)]
pub struct Built {
    pub ps: Vec<PsCandidate>,
    pub sinba: Vec<SinbaCandidate>,
    /// Identifiers of prestazioni and SINBA cases rejected by the sociale
    /// pipeline (still in the cartella, not valid now).
    pub held_ps: HashSet<String>,
    pub held_sinba: HashSet<String>,
    /// Whether the sociale pipeline's list of rejected rows exists (a store
    /// written by an older version has none: then no record may be taken
    /// for withdrawn).
    pub held_known: bool,
}

/// Why a comune's records cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("la partizione {table} del comune {istat} non esiste: eseguire prima i job anagrafe e sociale")]
    MissingPartition { table: &'static str, istat: String },
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("{0}")]
    Held(String),
}

fn read(store: &Path, table: &'static str, istat: &str, columns: &[&str]) -> Result<Table, BuildError> {
    let path = partition_file(store, table, istat);
    if !path.exists() {
        return Err(BuildError::MissingPartition {
            table,
            istat: istat.to_string(),
        });
    }
    Ok(Table::read(&path, columns)?)
}

/// What the flows need of a resident.
#[derive(Debug, Clone)]
struct Resident {
    anagrafica: Anagrafica,
    date_of_birth: NaiveDate,
}

/// The (decoded) codici fiscali of the comune's beneficiaries.
fn beneficiaries(store: &Path, istat: &str) -> Result<HashSet<String>, BuildError> {
    let mut out = HashSet::new();
    for table in [PRESTAZIONE, SINBA] {
        let t = read(store, table, istat, &["tax_code"])?;
        out.extend(
            (0..t.len())
                .filter_map(|i| t.str("tax_code", i))
                .map(decode_omocodia),
        );
    }
    Ok(out)
}

/// The residents among `wanted` (a comune has far more residents than
/// beneficiaries: only these become Rust values).
fn residents(store: &Path, istat: &str, wanted: &HashSet<String>) -> Result<Residents, BuildError> {
    let path = partition_file(store, PERSONA, istat);
    if !path.exists() {
        return Err(BuildError::MissingPartition {
            table: PERSONA,
            istat: istat.to_string(),
        });
    }
    let t = Table::read_where(
        &path,
        &[
            "tax_code",
            "family_name",
            "given_name",
            "sex_id",
            "date_of_birth",
            "birth_place_code",
            "citizenship_code",
        ],
        "tax_code",
        |cf| wanted.contains(&decode_omocodia(cf)),
    )?;
    let mut out = Residents::default();
    for i in 0..t.len() {
        let (Some(cf), Some(birth)) = (t.str("tax_code", i), t.date("date_of_birth", i)) else {
            continue;
        };
        let genere = match t.str("sex_id", i) {
            Some("F") => Genere::Femmina,
            _ => Genere::Maschio,
        };
        out.insert(
            cf,
            Resident {
                anagrafica: Anagrafica {
                    cognome: t.str("family_name", i).unwrap_or_default().to_string(),
                    nome: t.str("given_name", i).unwrap_or_default().to_string(),
                    anno_nascita: u16::try_from(birth.year()).unwrap_or(0),
                    luogo_nascita: t.str("birth_place_code", i).unwrap_or_default().to_string(),
                    genere,
                    codice_cittadinanza: refdata::cittadinanza_iso_numerica(t.str("citizenship_code", i))
                        .to_string(),
                    codice_seconda_cittadinanza: None,
                },
                date_of_birth: birth,
            },
        );
    }
    Ok(out)
}

/// The residents a comune's beneficiaries name, by codice fiscale.
#[derive(Default)]
struct Residents {
    by_cf: HashMap<String, Resident>,
    /// Decoded code → the one resident code with that decoding; `None` when
    /// two residents share it (an omocodic code and its base are two people).
    by_decoded: HashMap<String, Option<String>>,
}

impl Residents {
    fn insert(&mut self, cf: &str, r: Resident) {
        self.by_decoded
            .entry(decode_omocodia(cf))
            .and_modify(|e| *e = None)
            .or_insert_with(|| Some(cf.to_string()));
        self.by_cf.insert(cf.to_string(), r);
    }

    /// The resident with exactly this code; else, as the sociale pipeline
    /// links them, the only resident whose code decodes to the same (a code
    /// typed without its omocodia, or the reverse).
    fn get(&self, cf: &str) -> Option<&Resident> {
        self.by_cf.get(cf).or_else(|| {
            self.by_decoded
                .get(&decode_omocodia(cf))
                .and_then(|c| c.as_ref())
                .and_then(|c| self.by_cf.get(c))
        })
    }
}

/// Parses a code of an XSD enumeration, or records a problem.
fn code<T: FromStr>(value: Option<&str>, field: &str, problems: &mut Vec<Problem>) -> Option<T> {
    let v = value?;
    match v.parse::<T>() {
        Ok(c) => Some(c),
        Err(_) => {
            problems.push(Problem::new(
                field,
                INVALID_CODE,
                format!("il valore {v:?} non è un codice ammesso dall'INPS per {field}"),
            ));
            None
        }
    }
}

/// A required code: missing is a problem too.
fn required<T: FromStr>(value: Option<&str>, field: &str, problems: &mut Vec<Problem>) -> Option<T> {
    if value.is_none() {
        problems.push(Problem::new(
            field,
            INVALID_CODE,
            format!("{field} è obbligatorio"),
        ));
        return None;
    }
    code(value, field, problems)
}

fn codes<T: FromStr>(value: Option<&str>, field: &str, problems: &mut Vec<Problem>) -> Vec<T> {
    value
        .map(|v| {
            v.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .filter_map(|c| code(Some(c), field, problems))
                .collect()
        })
        .unwrap_or_default()
}

fn importo(v: Option<f64>) -> Option<Importo> {
    v.filter(|x| x.is_finite())
        .and_then(|x| format!("{x:.2}").parse().ok())
}

fn ore(v: Option<f64>) -> Option<OreServizio> {
    v.filter(|x| x.is_finite() && *x >= 0.0 && *x < 10_000.0)
        .map(|h| OreServizio::from_minutes((h * 60.0).round() as u32))
}

fn sina_of(t: &Table, i: usize, problems: &mut Vec<Problem>) -> Option<Sina> {
    let mut p = Vec::new();
    let sina = (|| {
        Some(Sina {
            mobilita: required(t.str("mobility", i), "SINA@Mobilita", &mut p)?,
            attivita_vita_quotidiana: required(
                t.str("daily_living_activities", i),
                "SINA@AttivitaVitaQuotidiana",
                &mut p,
            )?,
            disturbi_area_cognitiva: code(
                t.str("cognitive_disorders", i),
                "SINA@DisturbiAreaCognitiva",
                &mut p,
            ),
            disturbi_comportamentali: required(
                t.str("behavioural_disorders", i),
                "SINA@DisturbiComportamentali",
                &mut p,
            )?,
            necessita_cure_sanitarie: code(
                t.str("health_care_needs", i),
                "SINA@NecessitaCureSanitarie",
                &mut p,
            ),
            area_reddituale: required(t.str("income_area", i), "SINA@AreaReddituale", &mut p)?,
            area_supporto: required(t.str("support_network", i), "SINA@AreaSupporto", &mut p)?,
            fonte_derivazione_valutazione: required(
                t.str("assessment_source", i),
                "SINA@FonteDerivazioneValutazione",
                &mut p,
            )?,
            strumento_valutazione: required(
                t.str("assessment_tool", i),
                "SINA@StrumentoValutazione",
                &mut p,
            )?,
            fonte_derivazione_invalidita: code(
                t.str("disability_source", i),
                "SINA@FonteDerivazioneInvalidita",
                &mut p,
            ),
            necessita_interventi_sociali: t
                .str("needed_services", i)
                .map(|s| {
                    s.split(';')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            invalidita_civile: codes(t.str("civil_invalidity", i), "InvaliditaCivile/InvCiv", &mut p),
        })
    })();
    problems.extend(p);
    sina
}

/// SINA assessments: by the prestazione they name, and the unlinked ones
/// by beneficiary. Each keeps the latest assessment.
struct Assessments {
    by_service: HashMap<String, (NaiveDate, usize)>,
    by_person: HashMap<String, (NaiveDate, usize)>,
    table: Table,
}

impl Assessments {
    fn load(store: &Path, istat: &str) -> Result<Assessments, BuildError> {
        let table = read(
            store,
            SINA,
            istat,
            &[
                "tax_code",
                "assessment_date",
                "service_identifier",
                "mobility",
                "daily_living_activities",
                "cognitive_disorders",
                "behavioural_disorders",
                "health_care_needs",
                "income_area",
                "support_network",
                "assessment_source",
                "assessment_tool",
                "disability_source",
                "civil_invalidity",
                "needed_services",
            ],
        )?;
        let mut by_service: HashMap<String, (NaiveDate, usize)> = HashMap::new();
        let mut by_person: HashMap<String, (NaiveDate, usize)> = HashMap::new();
        for i in 0..table.len() {
            let Some(date) = table.date("assessment_date", i) else {
                continue;
            };
            let (map, key) = match table.str("service_identifier", i) {
                Some(s) => (&mut by_service, s),
                None => match table.str("tax_code", i) {
                    Some(cf) => (&mut by_person, cf),
                    None => continue,
                },
            };
            let e = map.entry(key.to_string()).or_insert((date, i));
            if date >= e.0 {
                *e = (date, i);
            }
        }
        Ok(Assessments {
            by_service,
            by_person,
            table,
        })
    }

    fn for_prestazione(&self, identifier: &str, cf: &str, module: Option<&str>) -> Option<usize> {
        self.by_service.get(identifier).map(|e| e.1).or_else(|| {
            matches!(module, Some("assistenza_domiciliare" | "servizi_residenziali"))
                .then(|| self.by_person.get(cf).map(|e| e.1))
                .flatten()
        })
    }
}

const PRESTAZIONE_COLUMNS: &[&str] = &[
    "identifier",
    "tax_code",
    "module",
    "service_code",
    "service_name",
    "benefit_character",
    "means_test",
    "dsu_protocol",
    "dsu_year",
    "dsu_date",
    "application_protocol",
    "event_date",
    "start_date",
    "end_date",
    "delivery_date",
    "amount",
    "monthly_amount",
    "months",
    "entity_share",
    "user_share",
    "health_service_share",
    "monthly_hours",
    "taken_in_charge",
    "user_area",
];

fn prestazione_of(t: &Table, i: usize, problems: &mut Vec<Problem>) -> Option<Prestazione> {
    let codice = t.str("service_code", i).unwrap_or_default();
    let denominazione = t
        .str("service_name", i)
        .map(str::to_string)
        .or_else(|| siuss::catalogo::denominazione(codice).map(str::to_string))
        .unwrap_or_default();
    let ppm = required(
        t.str("means_test", i),
        "PrestazioniSociali@PresenzaProvaMezzi",
        problems,
    )?;
    let presa = required(
        t.str("taken_in_charge", i),
        "PrestazioniSociali@PresaCarico",
        problems,
    )?;
    let mut p = Prestazione::new(
        codice,
        &denominazione,
        t.str("application_protocol", i).unwrap_or_default(),
        ppm,
        presa,
    );
    p.carattere = code(
        t.str("benefit_character", i),
        "PrestazioniSociali@CaratterePrestazione",
        problems,
    );
    p.numero_protocollo_dsu = t.str("dsu_protocol", i).map(str::to_string);
    p.anno_protocollo_dsu = t.int("dsu_year", i).and_then(|y| u16::try_from(y).ok());
    p.data_dsu = t.date("dsu_date", i);
    p.data_evento = t.date("event_date", i);
    p.data_inizio = t.date("start_date", i);
    p.data_fine = t.date("end_date", i);
    p.data_erogazione = t.date("delivery_date", i);
    p.importo_prestazione = importo(t.num("amount", i));
    p.importo_mensile = importo(t.num("monthly_amount", i));
    p.periodo_erogazione = t.int("months", i).and_then(|m| u8::try_from(m).ok());
    p.importo_quota_ente = importo(t.num("entity_share", i));
    p.importo_quota_utente = importo(t.num("user_share", i));
    p.importo_quota_ssn = importo(t.num("health_service_share", i));
    p.ore_servizio_mensile = ore(t.num("monthly_hours", i));
    p.area_utenza = code(t.str("user_area", i), "PrestazioniSociali@AreaUtenza", problems);
    Some(p)
}

/// The key of a PS record.
fn ps_key(identifier: &str, reference: Option<NaiveDate>) -> String {
    match reference {
        Some(d) => format!("{}|{identifier}", d.year()),
        None => format!("-|{identifier}"),
    }
}

/// A periodic benefit by calendar year ([`siuss::split_by_year`]). An
/// open-ended one (no end date) that started before the year of `last`
/// gets closed years up to `last`'s year, whose record stays open-ended;
/// a benefit that cannot be split (no start, end before start) comes back
/// whole, for validation to report.
fn year_slices(p: &Prestazione, last: NaiveDate) -> Vec<Prestazione> {
    match (p.data_inizio, p.data_fine) {
        (Some(start), None) if start.year() < last.year() => {
            let closed = Prestazione {
                data_fine: NaiveDate::from_ymd_opt(last.year() - 1, 12, 31),
                ..p.clone()
            };
            let mut slices = siuss::split_by_year(&closed).unwrap_or_else(|_| vec![p.clone()]);
            slices.push(Prestazione {
                data_inizio: NaiveDate::from_ymd_opt(last.year(), 1, 1),
                data_fine: None,
                periodo_erogazione: None,
                ..p.clone()
            });
            slices
        }
        _ => siuss::split_by_year(p).unwrap_or_else(|_| vec![p.clone()]),
    }
}

/// The PS/PSA/SINA records of a comune.
fn ps_records(
    store: &Path,
    istat: &str,
    periodo: Periodo,
    today: NaiveDate,
    residents: &Residents,
) -> Result<Vec<PsCandidate>, BuildError> {
    let t = read(store, PRESTAZIONE, istat, PRESTAZIONE_COLUMNS)?;
    let assessments = Assessments::load(store, istat)?;
    let indirizzo = Indirizzo::comune_cm_milano(istat);
    let last = periodo.last_day();
    let mut out = Vec::with_capacity(t.len());
    for i in 0..t.len() {
        let identifier = t.str("identifier", i).unwrap_or_default().to_string();
        let cf = t.str("tax_code", i).unwrap_or_default().to_string();
        let codice = t.str("service_code", i).unwrap_or_default().to_string();
        let candidate = |key: String, due: bool, result| PsCandidate {
            record_key: key,
            identifier: identifier.clone(),
            codice_prestazione: codice.clone(),
            codice_fiscale: cf.clone(),
            due,
            result,
        };
        let mut problems = Vec::new();
        let prestazione = prestazione_of(&t, i, &mut problems);
        let reference = prestazione.as_ref().and_then(Prestazione::data_riferimento);
        let whole_key = ps_key(&identifier, reference);
        let due = reference.is_none_or(|d| d <= last);
        let resident = residents.get(&cf);
        let (Some(mut prestazione), Some(resident)) = (prestazione, resident) else {
            if resident.is_none() {
                problems.push(Problem::new(
                    "Beneficiario@CodiceFiscale",
                    NOT_IN_ANAGRAFE,
                    "il beneficiario non risulta tra i residenti del comune nell'anagrafe: cognome, nome, \
                     anno e luogo di nascita, genere e cittadinanza richiesti dall'INPS non sono disponibili; \
                     verificare il codice fiscale nella cartella sociale",
                ));
            }
            out.push(candidate(whole_key, due, Err(problems)));
            continue;
        };
        if let Some(a) = assessments.for_prestazione(&identifier, &cf, t.str("module", i)) {
            prestazione.sina = sina_of(&assessments.table, a, &mut problems);
        }
        let beneficiario = Beneficiario {
            codice_fiscale: cf.clone(),
            anagrafica: resident.anagrafica.clone(),
            indirizzi: indirizzo.iter().cloned().collect(),
        };
        let slices = if prestazione.carattere == Some(CaratterePrestazione::Periodico) {
            // Sliced up to today even when submitting an earlier month: the
            // later years stay known (not due), never taken for withdrawn.
            year_slices(&prestazione, last.max(today))
        } else {
            vec![prestazione]
        };
        for slice in slices {
            let reference = slice.data_riferimento();
            let key = ps_key(&identifier, reference);
            let due = reference.is_none_or(|d| d <= last);
            let result = if problems.is_empty() {
                siuss::validate_prestazione(&beneficiario, &slice).map_err(Problem::from_violations)
            } else {
                let mut all = problems.clone();
                if let Err(v) = siuss::validate_prestazione(&beneficiario, &slice) {
                    all.extend(Problem::from_violations(v));
                }
                Err(all)
            };
            out.push(candidate(key, due, result));
        }
    }
    Ok(out)
}

const SINBA_COLUMNS: &[&str] = &[
    "identifier",
    "tax_code",
    "case_open_date",
    "case_close_date",
    "first_report_date",
    "report_source",
    "unaccompanied_foreign_minor",
    "minor_condition",
    "living_place",
    "school_attended",
    "work_condition",
    "disability",
    "minor_assessment",
    "family_assessment",
    "judicial_report",
    "judicial_measure",
    "judicial_measure_date",
    "closing_reason",
    "services",
    "family_composition",
    "isee_band",
    "isee_household_members",
];

fn sinba_case(
    t: &Table,
    i: usize,
    resident: &Resident,
    id: siuss::IdBeneficiario,
    p: &mut Vec<Problem>,
) -> Option<SinbaCase> {
    let open = t.date("case_open_date", i)?;
    let Some(fascia) = siuss::FasciaEtaBeneficiario::at(resident.date_of_birth, open) else {
        p.push(Problem::new(
            "SINBA@FasciaEtaBeneficiario",
            NOT_A_MINOR,
            "alla data di presa in carico il beneficiario non è minorenne: SINBA riguarda solo i minori",
        ));
        return None;
    };
    let first_report = match t.date("first_report_date", i).and_then(MeseAnno::of) {
        Some(m) => m,
        None => {
            p.push(Problem::new(
                "SINBA@DataPrimaSegnalazione",
                INVALID_CODE,
                "la data della prima segnalazione è obbligatoria",
            ));
            return None;
        }
    };
    Some(SinbaCase {
        id_beneficiario: id,
        prestazioni: Vec::new(),
        famiglia: codes(t.str("family_composition", i), "Famiglia/ComposizioneFamiglia", p),
        minore_straniero_no_acc: required(
            t.str("unaccompanied_foreign_minor", i),
            "SINBA@MinoreStranieroNoAcc",
            p,
        )?,
        condizione_minore: required(t.str("minor_condition", i), "SINBA@CondizioneMinore", p)?,
        luogo_vita: required(t.str("living_place", i), "SINBA@LuogoVita", p)?,
        scuola_frequentata: required(t.str("school_attended", i), "SINBA@ScuolaFrequentata", p)?,
        condizione_lavoro: required(t.str("work_condition", i), "SINBA@CondizioneLavoro", p)?,
        disabilita: required(t.str("disability", i), "SINBA@Disabilita", p)?,
        tipo_disabilita: None,
        inv_civ_certificazioni: None,
        codice_cittadinanza_padre: None,
        codice_cittadinanza_madre: None,
        codice_regione_residenza_padre: None,
        codice_regione_residenza_madre: None,
        titolo_studio_padre: None,
        titolo_studio_madre: None,
        occupazione_padre: None,
        occupazione_madre: None,
        data_prima_segnalazione: first_report,
        fonte_segnalazione: required(t.str("report_source", i), "SINBA@FonteSegnalazione", p)?,
        valutazione_minore: required(t.str("minor_assessment", i), "SINBA@ValutazioneMinore", p)?,
        valutazione_famiglia_minore: required(
            t.str("family_assessment", i),
            "SINBA@ValutazioneFamigliaMinore",
            p,
        )?,
        segnalazione_autorita_giudiziaria: required(
            t.str("judicial_report", i),
            "SINBA@SegnalazioneAutoritaGiudiziaria",
            p,
        )?,
        data_segnalazione: None,
        provvedimento_giudiziario: required(
            t.str("judicial_measure", i),
            "SINBA@ProvvedimentoGiudiziario",
            p,
        )?,
        data_provvedimento_giudiziario: t.date("judicial_measure_date", i).and_then(MeseAnno::of),
        autorita_provvedimento: None,
        potesta_tutela: None,
        tipo_provvedimento_giudiziario: None,
        forma_intervento_affido: None,
        tipo_intervento_affido: None,
        durata_affido: None,
        carattere_affido: None,
        esito_affido: None,
        carattere_inserimento_residenziale: None,
        forma_inserimento_residenziale: None,
        tipo_inserimento_residenziale: None,
        esito_inserimento_struttura: None,
        motivazione_chiusura_carico: code(t.str("closing_reason", i), "SINBA@MotivazioneChiusuraCarico", p),
        situazione_chiusura_carico: None,
        collaborazioni_interventi: None,
        numero_componenti_isee: t
            .int("isee_household_members", i)
            .and_then(|n| u8::try_from(n).ok()),
        fascia_eta_beneficiario: fascia,
        fascia_isee_beneficiario: code(t.str("isee_band", i), "SINBA@FasciaISEEBeneficiario", p),
        anno_nascita: resident.anagrafica.anno_nascita,
        codice_regione_residenza: Some(siuss::CODICE_REGIONE_LOMBARDIA.to_string()),
        codice_nazione_residenza: siuss::CODICE_NAZIONE_ITALIA.to_string(),
    })
}

/// The SINBA records of a comune.
fn sinba_records(
    store: &Path,
    istat: &str,
    periodo: Periodo,
    residents: &Residents,
    secret: Option<&SinbaSecret>,
) -> Result<Vec<SinbaCandidate>, BuildError> {
    let t = read(store, SINBA, istat, SINBA_COLUMNS)?;
    let last = periodo.last_day();
    let mut out = Vec::new();
    for i in 0..t.len() {
        let identifier = t.str("identifier", i).unwrap_or_default().to_string();
        let due = t.date("case_open_date", i).is_none_or(|d| d <= last);
        let services: Vec<String> = t
            .str("services", i)
            .map(|s| {
                let mut v: Vec<String> = s
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect();
                v.sort();
                v.dedup();
                v
            })
            .unwrap_or_default();
        let mut p = Vec::new();
        let case = (|| {
            let cf = t.str("tax_code", i)?;
            let Some(resident) = residents.get(cf) else {
                p.push(Problem::new(
                    "SINBA@AnnoNascita",
                    NOT_IN_ANAGRAFE,
                    "il minore non risulta tra i residenti del comune nell'anagrafe: anno di nascita e fascia \
                     d'età non sono disponibili; verificare il codice fiscale nella cartella sociale",
                ));
                return None;
            };
            let Some(secret) = secret else {
                p.push(Problem::new(
                    "SINBA@IDBeneficiario",
                    NO_PSEUDONYM,
                    "manca il segreto per lo pseudonimo SINBA ([siuss] sinba_secret_file in metrodati.toml, \
                     o METRODATI_SINBA_SECRET): nessun caso SINBA può essere inviato",
                ));
                return None;
            };
            let id = match secret.id_beneficiario(cf) {
                Ok(id) => id,
                Err(e) => {
                    p.push(Problem::new("SINBA@IDBeneficiario", NO_PSEUDONYM, e.to_string()));
                    return None;
                }
            };
            sinba_case(&t, i, resident, id, &mut p)
        })();
        if services.is_empty() {
            p.push(Problem::new(
                "Prestazioni/CodicePrestazione",
                NO_SERVICES,
                "il caso non indica alcuna prestazione erogata: SINBA richiede almeno un codice prestazione",
            ));
        }
        match case {
            Some(case) if p.is_empty() => {
                for code in services {
                    let single = SinbaCase {
                        prestazioni: vec![code.clone()],
                        ..case.clone()
                    };
                    out.push(SinbaCandidate {
                        record_key: format!("{code}|{identifier}"),
                        identifier: identifier.clone(),
                        codice_prestazione: code,
                        due,
                        result: siuss::validate_sinba(&single).map_err(Problem::from_violations),
                    });
                }
            }
            _ => out.push(SinbaCandidate {
                record_key: format!("*|{identifier}"),
                identifier: identifier.clone(),
                codice_prestazione: services.join(";"),
                due,
                result: Err(p),
            }),
        }
    }
    Ok(out)
}

/// Every record of a comune for `periodo`.
pub fn build_comune(
    store: &Path,
    istat: &str,
    periodo: Periodo,
    today: NaiveDate,
    secret: Option<&SinbaSecret>,
) -> Result<Built, BuildError> {
    let residents = residents(store, istat, &beneficiaries(store, istat)?)?;
    let held_ps = crate::sociale::read_held(store, istat, PRESTAZIONE).map_err(BuildError::Held)?;
    let held_sinba = crate::sociale::read_held(store, istat, SINBA).map_err(BuildError::Held)?;
    let mut ps = ps_records(store, istat, periodo, today, &residents)?;
    // A prestazione whose SINA assessment the sociale pipeline rejected
    // waits for it: sent without it, it would be corrected twice.
    if let Some(held) = &held_ps {
        for c in ps
            .iter_mut()
            .filter(|c| c.result.is_ok() && held.contains(&c.identifier))
        {
            c.result = Err(vec![Problem::new(
                "SINA",
                SINA_HELD,
                "la valutazione SINA collegata è stata scartata dalla pipeline sociale (vedere la \
                 quarantena): la prestazione sarà inviata quando la valutazione sarà corretta",
            )]);
        }
    }
    Ok(Built {
        ps,
        sinba: sinba_records(store, istat, periodo, &residents, secret)?,
        held_known: held_ps.is_some() && held_sinba.is_some(),
        held_ps: held_ps.unwrap_or_default(),
        held_sinba: held_sinba.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrodati_siuss::{PresaCarico, PresenzaProvaMezzi};

    fn d(y: i32, m: u32, g: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, g).unwrap()
    }

    fn periodic(start: NaiveDate, end: Option<NaiveDate>) -> Prestazione {
        Prestazione {
            carattere: Some(CaratterePrestazione::Periodico),
            data_inizio: Some(start),
            data_fine: end,
            importo_mensile: Some("100.00".parse().unwrap()),
            ..Prestazione::new(
                "A2.07",
                "Assistenza domiciliare socio-assistenziale",
                "P-1",
                PresenzaProvaMezzi::NonSoggettaProvaMezzi,
                PresaCarico::No,
            )
        }
    }

    #[test]
    fn open_ended_benefits_get_a_record_per_year_up_to_the_month() {
        let p = periodic(d(2024, 10, 15), None);
        let s = year_slices(&p, d(2026, 2, 28));
        let spans: Vec<(Option<NaiveDate>, Option<NaiveDate>, Option<u8>)> = s
            .iter()
            .map(|x| (x.data_inizio, x.data_fine, x.periodo_erogazione))
            .collect();
        assert_eq!(
            spans,
            [
                (Some(d(2024, 10, 15)), Some(d(2024, 12, 31)), Some(3)),
                (Some(d(2025, 1, 1)), Some(d(2025, 12, 31)), Some(12)),
                (Some(d(2026, 1, 1)), None, None),
            ]
        );
        // Within the year: as is.
        assert_eq!(year_slices(&p, d(2024, 12, 31)).len(), 1);
        // Closed benefits: split by year.
        assert_eq!(
            year_slices(&periodic(d(2024, 10, 15), Some(d(2025, 3, 31))), d(2026, 1, 31)).len(),
            2
        );
        // Impossible ones come back whole for validation to report.
        assert_eq!(
            year_slices(&periodic(d(2025, 10, 15), Some(d(2025, 3, 31))), d(2026, 1, 31)).len(),
            1
        );
    }

    fn resident(cognome: &str) -> Resident {
        Resident {
            anagrafica: Anagrafica {
                cognome: cognome.into(),
                nome: "MARIO".into(),
                anno_nascita: 1980,
                luogo_nascita: "F205".into(),
                genere: Genere::Maschio,
                codice_cittadinanza: "380".into(),
                codice_seconda_cittadinanza: None,
            },
            date_of_birth: d(1980, 1, 1),
        }
    }

    #[test]
    fn an_omocodic_code_never_finds_another_person() {
        let (a, b, c) = ("RSSMRA80A01F205X", "RSSMRA80A01F20RX", "RSSMRA80A01F2L5X");
        assert_eq!(decode_omocodia(a), decode_omocodia(b));
        assert_eq!(decode_omocodia(a), decode_omocodia(c));
        let mut r = Residents::default();
        r.insert(a, resident("ROSSI"));
        // Exact, and the only resident with that decoding.
        assert_eq!(r.get(a).unwrap().anagrafica.cognome, "ROSSI");
        assert_eq!(r.get(b).unwrap().anagrafica.cognome, "ROSSI");
        // Two residents share the decoding: only exact codes find them.
        r.insert(b, resident("RUSSO"));
        assert_eq!(r.get(a).unwrap().anagrafica.cognome, "ROSSI");
        assert_eq!(r.get(b).unwrap().anagrafica.cognome, "RUSSO");
        assert!(r.get(c).is_none());
    }

    #[test]
    fn keys_cannot_collide_whatever_the_identifier() {
        assert_eq!(ps_key("X", Some(d(2025, 1, 1))), "2025|X");
        assert_ne!(ps_key("2025|X", None), ps_key("X", Some(d(2025, 1, 1))));
        assert_ne!(ps_key("X@2025", None), ps_key("X", Some(d(2025, 1, 1))));
    }
}
