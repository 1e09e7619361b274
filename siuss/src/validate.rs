//! Validation: the XSD facets the model's types cannot enforce, and the
//! rules the XSD cannot express. All violations are collected, never only
//! the first.
//!
//! Each violation has a stable English rule code ([`Rule::code`]) for
//! machines and reports, the XSD field it concerns, and an Italian message
//! for the data steward. Messages never contain a codice fiscale or a name.
//!
//! Only [`validate_prestazione`] makes a [`ValidatedPrestazione`], and only
//! [`validate_sinba`] a [`ValidatedSinba`]; the flow builders accept nothing
//! else, so a prestazione with a violation can never be written into a flow.
//!
//! | Source of the rule | Rules |
//! |---|---|
//! | PDF v2.0.1 Tabella 9 (PrestazioniSociali) | carattere, dates and amounts by carattere, end date in the start's year, quote summing to the amount, AreaUtenza with PresaCarico = 1, DSU all-or-none |
//! | INPS ISEE schema pattern (reference §7.1) | DSU protocol `^INPS-ISEE-\d{4}-\d{8}[A-Z]-\d{2}$` |
//! | SISO (reference §8.2) | A2.16–A2.29 only with presa in carico (SISO-2333), DataEvento for A1.05.01 (SISO-2384) |
//! | PDF Tabelle 7 and 15 | Italian residence needs region (and comune) codes |
//! | XSD facets | lengths, patterns, counts |
//! | metrodati | codes in the known table, Belfiore codes, valid codici fiscali, dates within 1900–2099, DSU year = protocol year **\[INFERRED\]** |

use crate::catalogo;
use crate::codes::*;
use crate::model::*;
use crate::xml::is_xml_char;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::fmt;

macro_rules! rules {
    ($( $(#[$m:meta])* $v:ident = $code:literal, $desc:literal; )+) => {
        /// A validation rule, with a stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $( $(#[$m])* #[doc = concat!("`", $code, "`: ", $desc)] $v, )+
        }

        impl Rule {
            /// Every rule.
            pub const ALL: &'static [Rule] = &[$(Rule::$v),+];

            /// The stable English code (e.g. `benefit.end_date.other_year`).
            pub fn code(self) -> &'static str {
                match self { $(Rule::$v => $code,)+ }
            }

            /// What the rule requires, in Italian.
            pub fn description_it(self) -> &'static str {
                match self { $(Rule::$v => $desc,)+ }
            }

            /// The rule with this code.
            pub fn from_code(code: &str) -> Option<Rule> {
                match code { $($code => Some(Rule::$v),)+ _ => None }
            }
        }
    };
}

rules! {
    EnteCodeFormat = "ente.code.format", "Il codice ente deve essere il codice Belfiore del comune (una lettera e tre cifre).";
    EnteNameLength = "ente.name.length", "La denominazione dell'ente deve avere da 1 a 100 caratteri.";
    EnteSeatFormat = "ente.seat.format", "L'indirizzo dell'ente deve essere il codice Belfiore del comune della sede legale.";
    EnteOperatorCfInvalid = "ente.operator_cf.invalid", "Il codice fiscale dell'operatore non è valido.";
    BeneficiaryTaxCodeInvalid = "beneficiary.tax_code.invalid", "Il codice fiscale del beneficiario non è valido.";
    BeneficiaryTaxCodeSchemaPattern = "beneficiary.tax_code.schema_pattern", "Il codice fiscale del beneficiario non rispetta il formato dello schema INPS.";
    BeneficiarySurnameLength = "beneficiary.surname.length", "Il cognome deve avere da 1 a 36 caratteri.";
    BeneficiaryGivenNameLength = "beneficiary.given_name.length", "Il nome deve avere da 1 a 36 caratteri.";
    BeneficiaryBirthYearFormat = "beneficiary.birth_year.format", "L'anno di nascita deve avere quattro cifre.";
    BeneficiaryBirthplaceFormat = "beneficiary.birthplace.format", "Il luogo di nascita deve essere un codice Belfiore o un codice di stato estero (Z seguito da tre cifre).";
    BeneficiaryCitizenshipFormat = "beneficiary.citizenship.format", "Il codice di cittadinanza deve avere tre cifre (ISO 3166 numerico, 990 se non disponibile).";
    BeneficiaryAddressCount = "beneficiary.address.count", "Il beneficiario deve avere da 1 a 5 indirizzi di residenza.";
    BeneficiaryAddressFormat = "beneficiary.address.format", "Codici dell'indirizzo non validi: regione di due cifre, comune ISTAT di sei cifre, nazione di tre cifre.";
    BeneficiaryAddressItalyIncomplete = "beneficiary.address.italy_incomplete", "Per una residenza in Italia (nazione 380) servono il codice regione e il codice comune.";
    BenefitNatureMissing = "benefit.nature.missing", "Il carattere della prestazione (periodico o occasionale) è obbligatorio.";
    BenefitPeriodicStartMissing = "benefit.periodic.start_date.missing", "Per una prestazione periodica la data di inizio è obbligatoria.";
    BenefitPeriodicMonthlyAmountMissing = "benefit.periodic.monthly_amount.missing", "Per una prestazione periodica l'importo mensile è obbligatorio.";
    BenefitOneOffPaymentDateMissing = "benefit.one_off.payment_date.missing", "Per una prestazione occasionale la data di erogazione è obbligatoria.";
    BenefitOneOffAmountMissing = "benefit.one_off.amount.missing", "Per una prestazione occasionale l'importo è obbligatorio.";
    BenefitAmountNotPositive = "benefit.amount.not_positive", "L'importo della prestazione e l'importo mensile devono essere maggiori di zero.";
    BenefitEndDateOtherYear = "benefit.end_date.other_year", "La data di fine deve essere nello stesso anno solare della data di inizio (le prestazioni periodiche si dividono per anno).";
    BenefitEndDateBeforeStart = "benefit.end_date.before_start", "La data di fine non può precedere la data di inizio.";
    BenefitEndDateWithoutStart = "benefit.end_date.without_start", "Una data di fine richiede la data di inizio.";
    BenefitSharesSumMismatch = "benefit.shares.sum_mismatch", "Le quote (ente, utente, SSN) devono sommare all'importo mensile (periodica) o all'importo della prestazione (occasionale).";
    BenefitShareNegative = "benefit.share.negative", "Le quote non possono essere negative.";
    BenefitUserAreaMissing = "benefit.user_area.missing", "Con presa in carico (PresaCarico = 1) l'area di utenza è obbligatoria.";
    BenefitDsuIncomplete = "benefit.dsu.incomplete", "Protocollo, anno e data della DSU vanno indicati tutti e tre o nessuno.";
    BenefitDsuProtocolFormat = "benefit.dsu.protocol_format", "Il protocollo DSU deve avere la forma INPS-ISEE-AAAA-NNNNNNNNL-NN.";
    BenefitDsuYearMismatch = "benefit.dsu.year_mismatch", "L'anno del protocollo DSU deve coincidere con l'anno contenuto nel protocollo.";
    BenefitCodeUnknown = "benefit.code.unknown", "Il codice prestazione non è nella tabella dei codici SIUSS conosciuti.";
    BenefitCodeRequiresTakingCharge = "benefit.code.requires_taking_charge", "Le prestazioni con codice da A2.16 a A2.29 si inviano solo con presa in carico del servizio sociale professionale.";
    BenefitNameLength = "benefit.name.length", "La denominazione della prestazione deve avere da 10 a 200 caratteri.";
    BenefitApplicationProtocolLength = "benefit.application_protocol.length", "Il protocollo della domanda deve avere da 1 a 32 caratteri.";
    BenefitMonthsRange = "benefit.months.range", "Il periodo di erogazione deve essere da 1 a 12 mesi.";
    BenefitEventDateMissing = "benefit.event_date.missing", "Per il codice A1.05.01 (contributi per l'affitto) la data evento è obbligatoria.";
    BenefitDateOutOfRange = "benefit.date.out_of_range", "Le date devono essere comprese tra il 1900 e il 2099.";
    SinaCodeUnknown = "sina.code.unknown", "Un codice delle necessità di interventi sociali (SINA) non è nella tabella dei codici SIUSS conosciuti.";
    SinbaBenefitsMissing = "sinba.benefits.missing", "Il caso SINBA deve avere almeno un codice prestazione.";
    SinbaCodeUnknown = "sinba.code.unknown", "Un codice prestazione del caso SINBA non è nella tabella dei codici SIUSS conosciuti.";
    SinbaFamilyMissing = "sinba.family.missing", "Il caso SINBA deve indicare almeno un componente della famiglia.";
    SinbaIseeMembersRange = "sinba.isee_members.range", "Il numero di componenti del nucleo ISEE deve essere da 1 a 9.";
    SinbaBirthYearFormat = "sinba.birth_year.format", "L'anno di nascita deve avere quattro cifre.";
    SinbaResidenceRegionMissing = "sinba.residence_region.missing", "Per una residenza in Italia (nazione 380) serve il codice regione.";
    SinbaTerritorialCodeFormat = "sinba.territorial_code.format", "Codici territoriali non validi: regione di due cifre, cittadinanza e nazione di tre cifre.";
    TextInvalidChar = "text.invalid_char", "Il testo contiene caratteri di controllo non ammessi in XML.";
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// The XSD field concerned (`PrestazioniSociali@DataFinePrestazione`).
    pub field: &'static str,
    /// The Italian message for the steward (values included only when they
    /// are codes, dates or amounts — never a codice fiscale or a name).
    pub message: String,
}

impl Violation {
    fn new(rule: Rule, field: &'static str, message: impl Into<String>) -> Violation {
        Violation {
            rule,
            field,
            message: message.into(),
        }
    }

    /// The rule's stable code.
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.rule.code(), self.field, self.message)
    }
}

/// A beneficiary and one prestazione that passed every rule: the only input
/// the PS/PSA/SINA flow builders accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidatedPrestazione {
    beneficiario: Beneficiario,
    prestazione: Prestazione,
}

impl ValidatedPrestazione {
    /// The beneficiary.
    pub fn beneficiario(&self) -> &Beneficiario {
        &self.beneficiario
    }

    /// The prestazione.
    pub fn prestazione(&self) -> &Prestazione {
        &self.prestazione
    }

    /// Back to the plain model (e.g. to change it and validate again).
    pub fn into_parts(self) -> (Beneficiario, Prestazione) {
        (self.beneficiario, self.prestazione)
    }
}

/// A SINBA case that passed every rule: the only input the SINBA flow
/// builders accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidatedSinba(SinbaCase);

impl ValidatedSinba {
    /// The case.
    pub fn case(&self) -> &SinbaCase {
        &self.0
    }

    /// Back to the plain model.
    pub fn into_inner(self) -> SinbaCase {
        self.0
    }
}

/// Validates a beneficiary and one of their prestazioni (all rules of
/// [`check_beneficiario`] and [`check_prestazione`]).
pub fn validate_prestazione(
    beneficiario: &Beneficiario,
    prestazione: &Prestazione,
) -> Result<ValidatedPrestazione, Vec<Violation>> {
    let mut v = check_beneficiario(beneficiario);
    v.extend(check_prestazione(prestazione));
    if v.is_empty() {
        Ok(ValidatedPrestazione {
            beneficiario: beneficiario.clone(),
            prestazione: prestazione.clone(),
        })
    } else {
        Err(v)
    }
}

/// A record that failed validation: its position in the input and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// 0-based index in the input.
    pub index: usize,
    /// Every violation.
    pub violations: Vec<Violation>,
}

/// Validates many `(beneficiario, prestazione)` pairs: the valid ones, and
/// the rejected ones with their index.
pub fn validate_prestazioni<'a>(
    records: impl IntoIterator<Item = (&'a Beneficiario, &'a Prestazione)>,
) -> (Vec<ValidatedPrestazione>, Vec<Rejected>) {
    let mut ok = Vec::new();
    let mut ko = Vec::new();
    for (index, (b, p)) in records.into_iter().enumerate() {
        match validate_prestazione(b, p) {
            Ok(v) => ok.push(v),
            Err(violations) => ko.push(Rejected { index, violations }),
        }
    }
    (ok, ko)
}

/// Validates a SINBA case.
pub fn validate_sinba(case: &SinbaCase) -> Result<ValidatedSinba, Vec<Violation>> {
    let v = check_sinba(case);
    if v.is_empty() {
        Ok(ValidatedSinba(case.clone()))
    } else {
        Err(v)
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn is_belfiore(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// The XSD pattern of `CodiceFiscale`/`CFOperatore`:
/// `([A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z][A-Za-z0-9]{3}[A-Za-z])|(\d{11} {0,5})`.
pub fn matches_xsd_cf_pattern(s: &str) -> bool {
    let b = s.as_bytes();
    let alpha = |c: u8| c.is_ascii_alphabetic();
    let digit = |c: u8| c.is_ascii_digit();
    if b.len() == 16
        && b[..6].iter().all(|&c| alpha(c))
        && b[6..8].iter().all(|&c| digit(c))
        && alpha(b[8])
        && b[9..11].iter().all(|&c| digit(c))
        && alpha(b[11])
        && b[12..15].iter().all(|&c| c.is_ascii_alphanumeric())
        && alpha(b[15])
    {
        return true;
    }
    (11..=16).contains(&b.len()) && b[..11].iter().all(|&c| digit(c)) && b[11..].iter().all(|&c| c == b' ')
}

/// Whether `s` is a valid codice fiscale: 16 characters with a valid check
/// character (upper case, as issued), or a valid 11-digit numeric one.
/// On failure, the rule code of `metrodati_interop::cf`.
fn cf_check(s: &str) -> Result<(), &'static str> {
    if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        return if metrodati_interop::cf::is_valid_numeric_cf(s) {
            Ok(())
        } else {
            Err("cf_numeric")
        };
    }
    metrodati_interop::cf::parse(s).map(|_| ()).map_err(|e| e.code())
}

fn cf_message_it(code: &str) -> &'static str {
    match code {
        "cf_length" => "deve avere 16 caratteri (o 11 cifre)",
        "cf_format" => "contiene un carattere non ammesso (maiuscole e cifre nelle posizioni previste)",
        "cf_check_char" => "il carattere di controllo non è corretto",
        "cf_date" => "la data di nascita codificata non esiste",
        "cf_numeric" => "il codice numerico di 11 cifre non è valido",
        _ => "non è valido",
    }
}

struct Checker {
    v: Vec<Violation>,
}

impl Checker {
    fn push(&mut self, rule: Rule, field: &'static str, message: impl Into<String>) {
        self.v.push(Violation::new(rule, field, message));
    }

    /// Length in characters within `min..=max`, and only XML characters.
    fn text(&mut self, value: &str, field: &'static str, min: usize, max: usize, rule: Rule, what: &str) {
        let n = value.chars().count();
        if n < min || n > max {
            self.push(
                rule,
                field,
                format!("{what}: {n} caratteri, ammessi da {min} a {max}."),
            );
        }
        self.xml_chars(value, field, what);
    }

    fn xml_chars(&mut self, value: &str, field: &'static str, what: &str) {
        if let Some(c) = value.chars().find(|&c| !is_xml_char(c)) {
            self.push(
                Rule::TextInvalidChar,
                field,
                format!(
                    "{what}: contiene il carattere di controllo U+{:04X}, non ammesso in XML.",
                    c as u32
                ),
            );
        }
    }

    fn date(&mut self, d: Option<NaiveDate>, field: &'static str, what: &str) {
        if let Some(d) = d {
            if !(1900..=2099).contains(&d.year()) {
                self.push(
                    Rule::BenefitDateOutOfRange,
                    field,
                    format!("{what} {d} fuori dall'intervallo 1900–2099."),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Ente
// ---------------------------------------------------------------------------

/// Checks the sending ente (`IdentificazioneFlusso/Ente`).
pub fn check_ente(ente: &Ente) -> Vec<Violation> {
    let mut c = Checker { v: Vec::new() };
    if !is_belfiore(&ente.codice) {
        c.push(
            Rule::EnteCodeFormat,
            "Ente@Codice",
            format!(
                "Codice ente «{}» non è un codice Belfiore.",
                ente.codice.escape_debug()
            ),
        );
    }
    if let Some(d) = &ente.denominazione {
        c.text(
            d,
            "Ente@Denominazione",
            1,
            100,
            Rule::EnteNameLength,
            "Denominazione dell'ente",
        );
    }
    if !is_belfiore(&ente.indirizzo) {
        c.push(
            Rule::EnteSeatFormat,
            "Ente@Indirizzo",
            format!(
                "Indirizzo dell'ente «{}» non è un codice Belfiore.",
                ente.indirizzo.escape_debug()
            ),
        );
    }
    if let Err(code) = cf_check(&ente.cf_operatore) {
        c.push(
            Rule::EnteOperatorCfInvalid,
            "Ente@CFOperatore",
            format!("Il codice fiscale dell'operatore {}.", cf_message_it(code)),
        );
    } else if !matches_xsd_cf_pattern(&ente.cf_operatore) {
        c.push(
            Rule::EnteOperatorCfInvalid,
            "Ente@CFOperatore",
            "Il codice fiscale dell'operatore è omocodico con lettere nelle posizioni 7-8 o 10-11, che lo schema INPS non accetta.",
        );
    }
    c.v
}

// ---------------------------------------------------------------------------
// Beneficiario
// ---------------------------------------------------------------------------

/// Checks a PS/PSA/SINA beneficiary.
pub fn check_beneficiario(b: &Beneficiario) -> Vec<Violation> {
    let mut c = Checker { v: Vec::new() };
    let cf = &b.codice_fiscale;
    if let Err(code) = cf_check(cf) {
        c.push(
            Rule::BeneficiaryTaxCodeInvalid,
            "Beneficiario@CodiceFiscale",
            format!("Il codice fiscale del beneficiario {}.", cf_message_it(code)),
        );
    } else if !matches_xsd_cf_pattern(cf) {
        c.push(
            Rule::BeneficiaryTaxCodeSchemaPattern,
            "Beneficiario@CodiceFiscale",
            "Codice fiscale omocodico con lettere nelle posizioni 7-8 o 10-11: lo schema INPS non lo accetta; verificare con INPS il codice da comunicare.",
        );
    }
    let a = &b.anagrafica;
    c.text(
        &a.cognome,
        "Anagrafica@Cognome",
        1,
        36,
        Rule::BeneficiarySurnameLength,
        "Cognome",
    );
    c.text(
        &a.nome,
        "Anagrafica@Nome",
        1,
        36,
        Rule::BeneficiaryGivenNameLength,
        "Nome",
    );
    if !(1000..=9999).contains(&a.anno_nascita) {
        c.push(
            Rule::BeneficiaryBirthYearFormat,
            "Anagrafica@AnnoNascita",
            format!("Anno di nascita {} non di quattro cifre.", a.anno_nascita),
        );
    }
    if !is_belfiore(&a.luogo_nascita) {
        c.push(
            Rule::BeneficiaryBirthplaceFormat,
            "Anagrafica@LuogoNascita",
            format!(
                "Luogo di nascita «{}» non è un codice Belfiore o di stato estero.",
                a.luogo_nascita.escape_debug()
            ),
        );
    }
    if !is_digits(&a.codice_cittadinanza, 3) {
        c.push(
            Rule::BeneficiaryCitizenshipFormat,
            "Anagrafica@CodiceCittadinanza",
            format!(
                "Cittadinanza «{}» non di tre cifre.",
                a.codice_cittadinanza.escape_debug()
            ),
        );
    }
    if let Some(s) = &a.codice_seconda_cittadinanza {
        if !is_digits(s, 3) {
            c.push(
                Rule::BeneficiaryCitizenshipFormat,
                "Anagrafica@CodiceSecondaCittadinanza",
                format!("Seconda cittadinanza «{}» non di tre cifre.", s.escape_debug()),
            );
        }
    }
    let n = b.indirizzi.len();
    if !(1..=5).contains(&n) {
        c.push(
            Rule::BeneficiaryAddressCount,
            "Indirizzo",
            format!("{n} indirizzi, ammessi da 1 a 5."),
        );
    }
    for (i, ind) in b.indirizzi.iter().enumerate() {
        let i = i + 1;
        let reg_ok = ind.codice_regione.as_deref().is_none_or(|r| is_digits(r, 2));
        let com_ok = ind.codice_comune.as_deref().is_none_or(|r| is_digits(r, 6));
        let naz_ok = is_digits(&ind.codice_nazione, 3);
        if !(reg_ok && com_ok && naz_ok) {
            c.push(
                Rule::BeneficiaryAddressFormat,
                "Indirizzo",
                format!(
                    "Indirizzo {i}: regione {:?}, comune {:?}, nazione {:?} non nel formato richiesto.",
                    ind.codice_regione.as_deref().unwrap_or(""),
                    ind.codice_comune.as_deref().unwrap_or(""),
                    ind.codice_nazione
                ),
            );
        }
        if ind.codice_nazione == CODICE_NAZIONE_ITALIA
            && (ind.codice_regione.is_none() || ind.codice_comune.is_none())
        {
            c.push(
                Rule::BeneficiaryAddressItalyIncomplete,
                "Indirizzo@CodiceRegione",
                format!("Indirizzo {i}: residenza in Italia senza codice regione o codice comune."),
            );
        }
    }
    c.v
}

// ---------------------------------------------------------------------------
// Prestazione
// ---------------------------------------------------------------------------

/// The DSU protocol pattern of the INPS ISEE schemas,
/// `^INPS-ISEE-\d{4}-\d{8}[A-Z]-\d{2}$` (e.g. `INPS-ISEE-2015-01480722D-00`).
pub fn is_dsu_protocol(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 27
        && s.starts_with("INPS-ISEE-")
        && b[10..14].iter().all(u8::is_ascii_digit)
        && b[14] == b'-'
        && b[15..23].iter().all(u8::is_ascii_digit)
        && b[23].is_ascii_uppercase()
        && b[24] == b'-'
        && b[25..27].iter().all(u8::is_ascii_digit)
}

/// Checks a prestazione and its SINA block.
pub fn check_prestazione(p: &Prestazione) -> Vec<Violation> {
    let mut c = Checker { v: Vec::new() };

    // Code, names, protocol.
    if !catalogo::is_known(&p.codice_prestazione) {
        c.push(
            Rule::BenefitCodeUnknown,
            "PrestazioniSociali@CodicePrestazione",
            format!(
                "Codice prestazione «{}» sconosciuto.",
                p.codice_prestazione.escape_debug()
            ),
        );
    }
    if catalogo::requires_presa_in_carico(&p.codice_prestazione) && p.presa_carico != PresaCarico::Si {
        c.push(
            Rule::BenefitCodeRequiresTakingCharge,
            "PrestazioniSociali@PresaCarico",
            format!(
                "Codice {} senza presa in carico: non va inviato al SIUSS.",
                p.codice_prestazione
            ),
        );
    }
    c.text(
        &p.denominazione_prestazione,
        "PrestazioniSociali@DenominazionePrestazione",
        10,
        200,
        Rule::BenefitNameLength,
        "Denominazione della prestazione",
    );
    c.text(
        &p.protocollo_domanda,
        "PrestazioniSociali@ProtocolloDomanda",
        1,
        32,
        Rule::BenefitApplicationProtocolLength,
        "Protocollo della domanda",
    );
    if p.codice_prestazione == "A1.05.01" && p.data_evento.is_none() {
        c.push(
            Rule::BenefitEventDateMissing,
            "PrestazioniSociali@DataEvento",
            "Data evento mancante per il codice A1.05.01.",
        );
    }

    // Dates and amounts by carattere.
    match p.carattere {
        None => c.push(
            Rule::BenefitNatureMissing,
            "PrestazioniSociali@CaratterePrestazione",
            "Carattere della prestazione mancante.",
        ),
        Some(CaratterePrestazione::Periodico) => {
            if p.data_inizio.is_none() {
                c.push(
                    Rule::BenefitPeriodicStartMissing,
                    "PrestazioniSociali@DataInizioPrestazione",
                    "Prestazione periodica senza data di inizio.",
                );
            }
            if p.importo_mensile.is_none() {
                c.push(
                    Rule::BenefitPeriodicMonthlyAmountMissing,
                    "PrestazioniSociali@ImportoMensile",
                    "Prestazione periodica senza importo mensile.",
                );
            }
        }
        Some(CaratterePrestazione::Occasionale) => {
            if p.data_erogazione.is_none() {
                c.push(
                    Rule::BenefitOneOffPaymentDateMissing,
                    "PrestazioniSociali@DataErogazionePrestazione",
                    "Prestazione occasionale senza data di erogazione.",
                );
            }
            if p.importo_prestazione.is_none() {
                c.push(
                    Rule::BenefitOneOffAmountMissing,
                    "PrestazioniSociali@ImportoPrestazione",
                    "Prestazione occasionale senza importo.",
                );
            }
        }
    }
    for (value, field, what) in [
        (
            p.importo_prestazione,
            "PrestazioniSociali@ImportoPrestazione",
            "Importo della prestazione",
        ),
        (
            p.importo_mensile,
            "PrestazioniSociali@ImportoMensile",
            "Importo mensile",
        ),
    ] {
        if let Some(v) = value {
            if !v.is_positive() {
                c.push(
                    Rule::BenefitAmountNotPositive,
                    field,
                    format!("{what} {v}: deve essere maggiore di zero."),
                );
            }
        }
    }
    if let Some(m) = p.periodo_erogazione {
        if !(1..=12).contains(&m) {
            c.push(
                Rule::BenefitMonthsRange,
                "PrestazioniSociali@PeriodoErogazione",
                format!("Periodo di erogazione di {m} mesi: ammessi da 1 a 12."),
            );
        }
    }

    // Dates.
    for (d, field, what) in [
        (p.data_dsu, "PrestazioniSociali@DataDSU", "Data DSU"),
        (p.data_evento, "PrestazioniSociali@DataEvento", "Data evento"),
        (
            p.data_inizio,
            "PrestazioniSociali@DataInizioPrestazione",
            "Data di inizio",
        ),
        (
            p.data_fine,
            "PrestazioniSociali@DataFinePrestazione",
            "Data di fine",
        ),
        (
            p.data_erogazione,
            "PrestazioniSociali@DataErogazionePrestazione",
            "Data di erogazione",
        ),
    ] {
        c.date(d, field, what);
    }
    if let Some(fine) = p.data_fine {
        match p.data_inizio {
            None => c.push(
                Rule::BenefitEndDateWithoutStart,
                "PrestazioniSociali@DataFinePrestazione",
                format!("Data di fine {fine} senza data di inizio."),
            ),
            Some(inizio) => {
                if fine.year() != inizio.year() {
                    c.push(
                        Rule::BenefitEndDateOtherYear,
                        "PrestazioniSociali@DataFinePrestazione",
                        format!(
                            "Inizio {inizio} e fine {fine} in anni diversi: dividere la prestazione per anno solare."
                        ),
                    );
                }
                if fine < inizio {
                    c.push(
                        Rule::BenefitEndDateBeforeStart,
                        "PrestazioniSociali@DataFinePrestazione",
                        format!("La fine {fine} precede l'inizio {inizio}."),
                    );
                }
            }
        }
    }

    // Quote.
    for (value, field, what) in [
        (
            p.importo_quota_ente,
            "PrestazioniSociali@ImportoQuotaEnte",
            "Quota ente",
        ),
        (
            p.importo_quota_utente,
            "PrestazioniSociali@ImportoQuotaUtente",
            "Quota utente",
        ),
        (
            p.importo_quota_ssn,
            "PrestazioniSociali@ImportoQuotaSSN",
            "Quota SSN",
        ),
    ] {
        if let Some(v) = value {
            if v.is_negative() {
                c.push(
                    Rule::BenefitShareNegative,
                    field,
                    format!("{what} {v}: non può essere negativa."),
                );
            }
        }
    }
    if p.quote().next().is_some() {
        if let Some(total) = p.importo_di_riferimento() {
            let sum: crate::Importo = p.quote().sum();
            if sum != total {
                let what = if p.carattere == Some(CaratterePrestazione::Periodico) {
                    "all'importo mensile"
                } else {
                    "all'importo della prestazione"
                };
                c.push(
                    Rule::BenefitSharesSumMismatch,
                    "PrestazioniSociali@ImportoQuotaEnte",
                    format!("Le quote sommano a {sum} invece che {what} {total}."),
                );
            }
        }
    }

    // Presa in carico.
    if p.presa_carico == PresaCarico::Si && p.area_utenza.is_none() {
        c.push(
            Rule::BenefitUserAreaMissing,
            "PrestazioniSociali@AreaUtenza",
            "Presa in carico senza area di utenza.",
        );
    }

    // DSU.
    let present = [
        p.numero_protocollo_dsu.is_some(),
        p.anno_protocollo_dsu.is_some(),
        p.data_dsu.is_some(),
    ];
    let n = present.iter().filter(|&&x| x).count();
    if n != 0 && n != 3 {
        let missing: Vec<&str> = ["protocollo", "anno", "data"]
            .iter()
            .zip(present)
            .filter(|(_, p)| !p)
            .map(|(n, _)| *n)
            .collect();
        c.push(
            Rule::BenefitDsuIncomplete,
            "PrestazioniSociali@NumeroProtocolloDSU",
            format!("DSU incompleta: manca {}.", missing.join(", ")),
        );
    }
    if let Some(prot) = &p.numero_protocollo_dsu {
        if !is_dsu_protocol(prot) {
            c.push(
                Rule::BenefitDsuProtocolFormat,
                "PrestazioniSociali@NumeroProtocolloDSU",
                format!(
                    "Protocollo DSU «{}» non nella forma INPS-ISEE-AAAA-NNNNNNNNL-NN.",
                    prot.escape_debug()
                ),
            );
        } else if let Some(anno) = p.anno_protocollo_dsu {
            let y: u16 = prot[10..14].parse().unwrap_or(0);
            if y != anno {
                c.push(
                    Rule::BenefitDsuYearMismatch,
                    "PrestazioniSociali@AnnoProtocolloDSU",
                    format!("Anno DSU {anno} diverso dall'anno {y} del protocollo."),
                );
            }
        }
    }

    // SINA.
    if let Some(s) = &p.sina {
        for code in &s.necessita_interventi_sociali {
            if !catalogo::is_known(code) {
                c.push(
                    Rule::SinaCodeUnknown,
                    "SINA/NecessitaInterventiSociali/CodicePrestazione",
                    format!("Codice «{}» sconosciuto.", code.escape_debug()),
                );
            }
        }
    }
    c.v
}

// ---------------------------------------------------------------------------
// SINBA
// ---------------------------------------------------------------------------

/// Checks a SINBA case.
pub fn check_sinba(s: &SinbaCase) -> Vec<Violation> {
    let mut c = Checker { v: Vec::new() };
    if s.prestazioni.is_empty() {
        c.push(
            Rule::SinbaBenefitsMissing,
            "SINBA/Prestazioni",
            "Nessun codice prestazione.",
        );
    }
    for code in &s.prestazioni {
        if !catalogo::is_known(code) {
            c.push(
                Rule::SinbaCodeUnknown,
                "SINBA/Prestazioni/CodicePrestazione",
                format!("Codice «{}» sconosciuto.", code.escape_debug()),
            );
        }
    }
    if s.famiglia.is_empty() {
        c.push(
            Rule::SinbaFamilyMissing,
            "SINBA/Famiglia",
            "Composizione della famiglia mancante.",
        );
    }
    if let Some(n) = s.numero_componenti_isee {
        if !(1..=9).contains(&n) {
            c.push(
                Rule::SinbaIseeMembersRange,
                "SINBA@NumeroComponentiISEE",
                format!("{n} componenti ISEE: ammessi da 1 a 9."),
            );
        }
    }
    if !(1000..=9999).contains(&s.anno_nascita) {
        c.push(
            Rule::SinbaBirthYearFormat,
            "SINBA@AnnoNascita",
            format!("Anno di nascita {} non di quattro cifre.", s.anno_nascita),
        );
    }
    if s.codice_nazione_residenza == CODICE_NAZIONE_ITALIA && s.codice_regione_residenza.is_none() {
        c.push(
            Rule::SinbaResidenceRegionMissing,
            "SINBA@CodiceRegioneResidenza",
            "Residenza in Italia senza codice regione.",
        );
    }
    let fields: [(&Option<String>, &'static str, usize); 5] = [
        (&s.codice_cittadinanza_padre, "SINBA@CodiceCittadinanzaPadre", 3),
        (&s.codice_cittadinanza_madre, "SINBA@CodiceCittadinanzaMadre", 3),
        (
            &s.codice_regione_residenza_padre,
            "SINBA@CodiceRegioneResidenzaPadre",
            2,
        ),
        (
            &s.codice_regione_residenza_madre,
            "SINBA@CodiceRegioneResidenzaMadre",
            2,
        ),
        (&s.codice_regione_residenza, "SINBA@CodiceRegioneResidenza", 2),
    ];
    for (value, field, n) in fields {
        if let Some(v) = value {
            if !is_digits(v, n) {
                c.push(
                    Rule::SinbaTerritorialCodeFormat,
                    field,
                    format!("Codice «{}»: attese {n} cifre.", v.escape_debug()),
                );
            }
        }
    }
    if !is_digits(&s.codice_nazione_residenza, 3) {
        c.push(
            Rule::SinbaTerritorialCodeFormat,
            "SINBA@CodiceNazioneResidenza",
            format!(
                "Codice «{}»: attese 3 cifre.",
                s.codice_nazione_residenza.escape_debug()
            ),
        );
    }
    c.v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_codes_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Rule::ALL {
            assert!(seen.insert(r.code()), "{}", r.code());
            assert_eq!(Rule::from_code(r.code()), Some(*r));
            assert!(r.code().is_ascii());
        }
    }

    #[test]
    fn dsu_pattern() {
        assert!(is_dsu_protocol("INPS-ISEE-2015-01480722D-00"));
        assert!(is_dsu_protocol("INPS-ISEE-2020-00597381W-00"));
        assert!(!is_dsu_protocol("INPS-ISEE-2024-12345A789-00"));
        assert!(!is_dsu_protocol("INPS-ISEE-2015-01480722d-00"));
        assert!(!is_dsu_protocol("INPS-ISEE-2015-01480722D-0"));
        assert!(!is_dsu_protocol(" INPS-ISEE-2015-01480722D-00"));
    }

    #[test]
    fn xsd_cf_pattern() {
        assert!(matches_xsd_cf_pattern("RSSMRA80A01F205X"));
        assert!(matches_xsd_cf_pattern("rssmra80a01f205x"));
        assert!(matches_xsd_cf_pattern("RSSMRA80A01F2LRX"));
        assert!(!matches_xsd_cf_pattern("RSSMRAUMA01F205X"));
        assert!(matches_xsd_cf_pattern("01199250158"));
        assert!(matches_xsd_cf_pattern("01199250158     "));
        assert!(!matches_xsd_cf_pattern("0119925015"));
    }
}
