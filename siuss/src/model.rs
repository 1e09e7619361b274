//! The domain model of the SIUSS flows, one Rust field per XSD attribute.
//!
//! Plain data, serde-serialisable (enums as their XSD codes, amounts as
//! decimal strings, dates as ISO `YYYY-MM-DD`). Nothing here is guaranteed
//! valid: [`crate::validate`] checks the model against the XSD facets and
//! the rules the XSD cannot express, and only what passes can be written
//! into a flow.

use crate::codes::*;
use crate::decimal::{Importo, OreServizio};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// ISO 3166-1 numeric code of Italy, used by `CodiceNazione`/`CodiceCittadinanza`.
pub const CODICE_NAZIONE_ITALIA: &str = "380";

/// "Non disponibile" citizenship code (`990`, PDF Tabella 6).
pub const CODICE_CITTADINANZA_NON_DISPONIBILE: &str = "990";

/// `CodiceRegione` of Lombardia in the DM 17/9/1986 numbering the
/// specification prescribes ("Codifica DM1986"). **\[INFERRED\]**: that
/// numbering follows the ISTAT order of the regions, in which Lombardia is
/// `03`; every comune of the Città Metropolitana di Milano is in Lombardia.
pub const CODICE_REGIONE_LOMBARDIA: &str = "03";

// ---------------------------------------------------------------------------
// Ente
// ---------------------------------------------------------------------------

/// The ente that sends the flow (`IdentificazioneFlusso/Ente`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ente {
    /// `@Codice` (1–32 characters in the XSD). For a comune this is its
    /// **codice Belfiore** (reference §2.5: the WaaS `codice_ente` is
    /// `^[A-Z][0-9]{3}$`, and flow names start with it); validation requires
    /// that form.
    pub codice: String,
    /// `@Denominazione` (optional, 1–100 characters).
    pub denominazione: Option<String>,
    /// `@Indirizzo`: Belfiore (catastale) code of the comune of the ente's
    /// legal seat (4 characters).
    pub indirizzo: String,
    /// `@CFOperatore`: codice fiscale of the operator (or the ente's 11-digit
    /// codice fiscale).
    pub cf_operatore: String,
    /// ISTAT code of the comune (6 digits). Not written in the XML; kept to
    /// link the flow to the comune's data.
    #[serde(default)]
    pub codice_istat: Option<String>,
}

impl Ente {
    /// The ente of one of the 133 comuni of the Città Metropolitana di Milano,
    /// from its ISTAT code: codice and indirizzo = its Belfiore code,
    /// denominazione = `Comune di <nome>`. `None` if `istat` is not one of them.
    pub fn comune_cm_milano(istat: &str, cf_operatore: &str) -> Option<Ente> {
        let c = metrodati_interop::refdata::comune_by_istat(istat)?;
        Some(Ente {
            codice: c.codice_catastale.clone(),
            denominazione: Some(format!("Comune di {}", c.denominazione)),
            indirizzo: c.codice_catastale.clone(),
            cf_operatore: cf_operatore.to_string(),
            codice_istat: Some(c.codice_istat.clone()),
        })
    }
}

// ---------------------------------------------------------------------------
// Beneficiario (PS/PSA/SINA)
// ---------------------------------------------------------------------------

/// A beneficiary of PS/PSA/SINA flows (`Beneficiario`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beneficiario {
    /// `@CodiceFiscale`: 16-character codice fiscale (or an 11-digit
    /// provisional numeric one).
    pub codice_fiscale: String,
    /// `Anagrafica`.
    pub anagrafica: Anagrafica,
    /// `Indirizzo`, 1 to 5 (residence).
    pub indirizzi: Vec<Indirizzo>,
}

/// Personal data of the beneficiary (`Anagrafica`). The XSD carries the
/// **year** of birth only (data minimisation), not the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anagrafica {
    /// `@Cognome`, 1–36 characters.
    pub cognome: String,
    /// `@Nome`, 1–36 characters.
    pub nome: String,
    /// `@AnnoNascita`, 4 digits.
    pub anno_nascita: u16,
    /// `@LuogoNascita`: Belfiore code of the comune of birth, or `Z` + 3
    /// digits for a foreign state (4 characters).
    pub luogo_nascita: String,
    /// `@Genere`.
    pub genere: Genere,
    /// `@CodiceCittadinanza`: 3 digits, ISO 3166 numeric (`380` Italia,
    /// `990` non disponibile).
    pub codice_cittadinanza: String,
    /// `@CodiceSecondaCittadinanza` (optional), 3 digits.
    pub codice_seconda_cittadinanza: Option<String>,
}

/// A residence of the beneficiary (`Indirizzo`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Indirizzo {
    /// `@CodiceRegione`: 2 digits (DM 1986); required when the nation is Italy.
    pub codice_regione: Option<String>,
    /// `@CodiceComune`: ISTAT code, 6 digits; required when the nation is Italy.
    pub codice_comune: Option<String>,
    /// `@CodiceNazione`: 3 digits, ISO 3166 numeric (`380` = Italia).
    pub codice_nazione: String,
}

impl Indirizzo {
    /// A residence in Italy.
    pub fn italia(codice_regione: &str, codice_comune_istat: &str) -> Indirizzo {
        Indirizzo {
            codice_regione: Some(codice_regione.to_string()),
            codice_comune: Some(codice_comune_istat.to_string()),
            codice_nazione: CODICE_NAZIONE_ITALIA.to_string(),
        }
    }

    /// A residence in one of the 133 comuni of the Città Metropolitana di
    /// Milano (regione [`CODICE_REGIONE_LOMBARDIA`]); `None` if `istat` is
    /// not one of them.
    pub fn comune_cm_milano(istat: &str) -> Option<Indirizzo> {
        metrodati_interop::refdata::comune_by_istat(istat)
            .map(|c| Indirizzo::italia(CODICE_REGIONE_LOMBARDIA, &c.codice_istat))
    }
}

// ---------------------------------------------------------------------------
// Prestazione (PrestazioniSociali) and SINA
// ---------------------------------------------------------------------------

/// A social benefit (`PrestazioniSociali`), with its optional SINA
/// assessment. Field order and names follow the XSD attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prestazione {
    /// `@TipoOperazione`: insertion (default) or cancellation of a
    /// prestazione sent before. Always written explicitly.
    #[serde(default = "default_tipo_operazione")]
    pub tipo_operazione: TipoOperazione,
    /// `@PresenzaProvaMezzi` (required).
    pub presenza_prova_mezzi: PresenzaProvaMezzi,
    /// `@CaratterePrestazione`: optional in the XSD, mandatory in the
    /// specification (validation requires it).
    pub carattere: Option<CaratterePrestazione>,
    /// `@NumeroProtocolloDSU`: the DSU protocol (`INPS-ISEE-2015-01480722D-00`).
    pub numero_protocollo_dsu: Option<String>,
    /// `@AnnoProtocolloDSU`: year of the DSU protocol.
    pub anno_protocollo_dsu: Option<u16>,
    /// `@DataDSU`: date of the DSU.
    pub data_dsu: Option<NaiveDate>,
    /// `@CodicePrestazione` (required, 5–10 characters): a code of the SIUSS
    /// table (see [`crate::catalogo`]).
    pub codice_prestazione: String,
    /// `@DenominazionePrestazione` (required, 10–200 characters).
    pub denominazione_prestazione: String,
    /// `@ProtocolloDomanda` (required, 1–32 characters): the protocol under
    /// which the ente registered the application.
    pub protocollo_domanda: String,
    /// `@DataEvento`: actual or expected start (required for A1.05.01).
    pub data_evento: Option<NaiveDate>,
    /// `@DataInizioPrestazione`: required for periodic benefits.
    pub data_inizio: Option<NaiveDate>,
    /// `@DataFinePrestazione`: same calendar year as the start.
    pub data_fine: Option<NaiveDate>,
    /// `@DataErogazionePrestazione`: required for one-off benefits.
    pub data_erogazione: Option<NaiveDate>,
    /// `@ImportoPrestazione`: > 0, required for one-off benefits.
    pub importo_prestazione: Option<Importo>,
    /// `@PeriodoErogazione`: number of months, 1–12.
    pub periodo_erogazione: Option<u8>,
    /// `@ImportoMensile`: > 0, required for periodic benefits.
    pub importo_mensile: Option<Importo>,
    /// `@ImportoQuotaEnte`: the ente's share.
    pub importo_quota_ente: Option<Importo>,
    /// `@ImportoQuotaUtente`: the user's share (≥ 0).
    pub importo_quota_utente: Option<Importo>,
    /// `@ImportoQuotaSSN`: the health service's share.
    pub importo_quota_ssn: Option<Importo>,
    /// `@ImportoQuotaRichiesta`: maximum amount charged to a generic user
    /// (statistical).
    pub importo_quota_richiesta: Option<Importo>,
    /// `@ImportoSogliaISEE`: maximum or only ISEE threshold to access the
    /// benefit (statistical).
    pub importo_soglia_isee: Option<Importo>,
    /// `@OreServizioMensile`: monthly hours of service.
    pub ore_servizio_mensile: Option<OreServizio>,
    /// `@PresaCarico` (required).
    pub presa_carico: PresaCarico,
    /// `@AreaUtenza`: required when `PresaCarico = 1`.
    pub area_utenza: Option<AreaUtenza>,
    /// `SINA`: the non-self-sufficiency assessment, for elderly and disabled
    /// people's care (e.g. home care A2.07/A2.08).
    pub sina: Option<Sina>,
}

fn default_tipo_operazione() -> TipoOperazione {
    TipoOperazione::Inserimento
}

impl Prestazione {
    /// An insertion with the required attributes and nothing else; set the
    /// other fields with struct update syntax
    /// (`Prestazione { data_inizio: Some(d), ..Prestazione::new(…) }`).
    pub fn new(
        codice_prestazione: &str,
        denominazione_prestazione: &str,
        protocollo_domanda: &str,
        presenza_prova_mezzi: PresenzaProvaMezzi,
        presa_carico: PresaCarico,
    ) -> Prestazione {
        Prestazione {
            tipo_operazione: TipoOperazione::Inserimento,
            presenza_prova_mezzi,
            carattere: None,
            numero_protocollo_dsu: None,
            anno_protocollo_dsu: None,
            data_dsu: None,
            codice_prestazione: codice_prestazione.to_string(),
            denominazione_prestazione: denominazione_prestazione.to_string(),
            protocollo_domanda: protocollo_domanda.to_string(),
            data_evento: None,
            data_inizio: None,
            data_fine: None,
            data_erogazione: None,
            importo_prestazione: None,
            periodo_erogazione: None,
            importo_mensile: None,
            importo_quota_ente: None,
            importo_quota_utente: None,
            importo_quota_ssn: None,
            importo_quota_richiesta: None,
            importo_soglia_isee: None,
            ore_servizio_mensile: None,
            presa_carico,
            area_utenza: None,
            sina: None,
        }
    }

    /// The reference date used to order prestazioni: the start for periodic
    /// benefits, the payment date for one-off ones, else the event date.
    pub fn data_riferimento(&self) -> Option<NaiveDate> {
        self.data_inizio.or(self.data_erogazione).or(self.data_evento)
    }

    /// The amount the quote must add up to: the monthly amount for periodic
    /// benefits, the amount for one-off ones.
    pub fn importo_di_riferimento(&self) -> Option<Importo> {
        match self.carattere {
            Some(CaratterePrestazione::Periodico) => self.importo_mensile,
            Some(CaratterePrestazione::Occasionale) => self.importo_prestazione,
            None => None,
        }
    }

    /// The quote that are filled in (ente, utente, SSN).
    pub fn quote(&self) -> impl Iterator<Item = Importo> + '_ {
        [
            self.importo_quota_ente,
            self.importo_quota_utente,
            self.importo_quota_ssn,
        ]
        .into_iter()
        .flatten()
    }
}

/// The SINA assessment nested in a prestazione (`SINA`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sina {
    /// `@Mobilita`.
    pub mobilita: Mobilita,
    /// `@AttivitaVitaQuotidiana`.
    pub attivita_vita_quotidiana: AttivitaVitaQuotidiana,
    /// `@DisturbiAreaCognitiva` (optional).
    pub disturbi_area_cognitiva: Option<DisturbiAreaCognitiva>,
    /// `@DisturbiComportamentali`.
    pub disturbi_comportamentali: DisturbiComportamentali,
    /// `@NecessitaCureSanitarie` (optional).
    pub necessita_cure_sanitarie: Option<NecessitaCureSanitarie>,
    /// `@AreaReddituale`.
    pub area_reddituale: AreaReddituale,
    /// `@AreaSupporto`.
    pub area_supporto: AreaSupporto,
    /// `@FonteDerivazioneValutazione`.
    pub fonte_derivazione_valutazione: FonteDerivazioneValutazione,
    /// `@StrumentoValutazione`.
    pub strumento_valutazione: StrumentoValutazione,
    /// `@FonteDerivazioneInvalidita` (optional).
    pub fonte_derivazione_invalidita: Option<FonteDerivazioneInvalidita>,
    /// `NecessitaInterventiSociali/CodicePrestazione`: the prestazione codes
    /// the person needs. Empty = element omitted. Written sorted, without
    /// duplicates.
    #[serde(default)]
    pub necessita_interventi_sociali: Vec<String>,
    /// `InvaliditaCivile/InvCiv`. Empty = element omitted. Written sorted,
    /// without duplicates.
    #[serde(default)]
    pub invalidita_civile: Vec<InvCiv>,
}

// ---------------------------------------------------------------------------
// SINBA
// ---------------------------------------------------------------------------

/// A month of a year, `MM/YYYY` in SINBA (`DataMeseAnnoType`:
/// `((0[1-9])|(1[0-2]))[/](19|20)[0-9]{2}`): years 1900–2099.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeseAnno {
    anno: u16,
    mese: u8,
}

impl MeseAnno {
    /// `mese`/`anno`; `None` outside months 1–12 or years 1900–2099.
    pub fn new(anno: u16, mese: u8) -> Option<MeseAnno> {
        ((1..=12).contains(&mese) && (1900..=2099).contains(&anno)).then_some(MeseAnno { anno, mese })
    }

    /// The month of `date` (SINBA carries no day: minimisation).
    pub fn of(date: NaiveDate) -> Option<MeseAnno> {
        MeseAnno::new(u16::try_from(date.year()).ok()?, date.month() as u8)
    }

    /// The year.
    pub fn anno(self) -> u16 {
        self.anno
    }

    /// The month, 1–12.
    pub fn mese(self) -> u8 {
        self.mese
    }
}

impl fmt::Display for MeseAnno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:04}", self.mese, self.anno)
    }
}

impl std::str::FromStr for MeseAnno {
    type Err = String;
    fn from_str(s: &str) -> Result<MeseAnno, String> {
        let err = || format!("{s:?} is not a MM/YYYY month between 01/1900 and 12/2099");
        let (m, y) = s.split_once('/').ok_or_else(err)?;
        if m.len() != 2 || y.len() != 4 || !m.bytes().chain(y.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        MeseAnno::new(y.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?).ok_or_else(err)
    }
}

impl Serialize for MeseAnno {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MeseAnno {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<MeseAnno, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A SINBA case (`SINBA` element): a minor followed by the social services,
/// **without** codice fiscale or name. `id_beneficiario` is a pseudonym
/// (see [`crate::pseudonym`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinbaCase {
    /// `@IDBeneficiario` (1–20 characters): the keyed pseudonym of the minor.
    pub id_beneficiario: crate::pseudonym::IdBeneficiario,
    /// `Prestazioni/CodicePrestazione` (at least one, 5–10 characters each).
    /// Written sorted, without duplicates.
    pub prestazioni: Vec<String>,
    /// `Famiglia/ComposizioneFamiglia` (at least one). Written sorted.
    pub famiglia: Vec<ComposizioneFamiglia>,
    /// `@MinoreStranieroNoAcc`.
    pub minore_straniero_no_acc: MinoreStranieroNoAcc,
    /// `@CondizioneMinore`.
    pub condizione_minore: CondizioneMinore,
    /// `@LuogoVita`.
    pub luogo_vita: LuogoVita,
    /// `@ScuolaFrequentata`.
    pub scuola_frequentata: ScuolaFrequentata,
    /// `@CondizioneLavoro`.
    pub condizione_lavoro: CondizioneLavoro,
    /// `@Disabilita`.
    pub disabilita: Disabilita,
    /// `@TipoDisabilita` (optional).
    pub tipo_disabilita: Option<TipoDisabilita>,
    /// `@InvCivCertificazioni` (optional).
    pub inv_civ_certificazioni: Option<InvCivCertificazioni>,
    /// `@CodiceCittadinanzaPadre` (optional, 3 digits).
    pub codice_cittadinanza_padre: Option<String>,
    /// `@CodiceCittadinanzaMadre` (optional, 3 digits).
    pub codice_cittadinanza_madre: Option<String>,
    /// `@CodiceRegioneResidenzaPadre` (optional, 2 digits).
    pub codice_regione_residenza_padre: Option<String>,
    /// `@CodiceRegioneResidenzaMadre` (optional, 2 digits).
    pub codice_regione_residenza_madre: Option<String>,
    /// `@TitoloStudioPadre` (optional).
    pub titolo_studio_padre: Option<TitoloStudio>,
    /// `@TitoloStudioMadre` (optional).
    pub titolo_studio_madre: Option<TitoloStudio>,
    /// `@OccupazionePadre` (optional).
    pub occupazione_padre: Option<Occupazione>,
    /// `@OccupazioneMadre` (optional).
    pub occupazione_madre: Option<Occupazione>,
    /// `@DataPrimaSegnalazione` (`MM/YYYY`).
    pub data_prima_segnalazione: MeseAnno,
    /// `@FonteSegnalazione`.
    pub fonte_segnalazione: FonteSegnalazione,
    /// `@ValutazioneMinore`.
    pub valutazione_minore: ValutazioneMinore,
    /// `@ValutazioneFamigliaMinore`.
    pub valutazione_famiglia_minore: ValutazioneFamigliaMinore,
    /// `@SegnalazioneAutoritaGiudiziaria`.
    pub segnalazione_autorita_giudiziaria: SegnalazioneAutoritaGiudiziaria,
    /// `@DataSegnalazione` (optional, `MM/YYYY`).
    pub data_segnalazione: Option<MeseAnno>,
    /// `@ProvvedimentoGiudiziario`.
    pub provvedimento_giudiziario: ProvvedimentoGiudiziario,
    /// `@DataProvvedimentoGiudiziario` (optional, `MM/YYYY`).
    pub data_provvedimento_giudiziario: Option<MeseAnno>,
    /// `@AutoritaProvvedimento` (optional).
    pub autorita_provvedimento: Option<AutoritaProvvedimento>,
    /// `@PotestaTutela` (optional).
    pub potesta_tutela: Option<PotestaTutela>,
    /// `@TipoProvvedimentoGiudiziario` (optional).
    pub tipo_provvedimento_giudiziario: Option<TipoProvvedimentoGiudiziario>,
    /// `@FormaInterventoAffido` (optional).
    pub forma_intervento_affido: Option<FormaInterventoAffido>,
    /// `@TipoInterventoAffido` (optional).
    pub tipo_intervento_affido: Option<TipoInterventoAffido>,
    /// `@DurataAffido` (optional).
    pub durata_affido: Option<DurataAffido>,
    /// `@CarattereAffido` (optional).
    pub carattere_affido: Option<CarattereAffido>,
    /// `@EsitoAffido` (optional).
    pub esito_affido: Option<EsitoAffido>,
    /// `@CarattereInserimentoResidenziale` (optional).
    pub carattere_inserimento_residenziale: Option<CarattereInserimentoResidenziale>,
    /// `@FormaInserimentoResidenziale` (optional).
    pub forma_inserimento_residenziale: Option<FormaInserimentoResidenziale>,
    /// `@TipoInserimentoResidenziale` (optional).
    pub tipo_inserimento_residenziale: Option<TipoInserimentoResidenziale>,
    /// `@EsitoInserimentoStruttura` (optional).
    pub esito_inserimento_struttura: Option<EsitoInserimentoStruttura>,
    /// `@MotivazioneChiusuraCarico` (optional).
    pub motivazione_chiusura_carico: Option<MotivazioneChiusuraCarico>,
    /// `@SituazioneChiusuraCarico` (optional).
    pub situazione_chiusura_carico: Option<SituazioneChiusuraCarico>,
    /// `@CollaborazioniInterventi` (optional).
    pub collaborazioni_interventi: Option<CollaborazioniInterventi>,
    /// `@NumeroComponentiISEE` (optional, 1–9 per the specification).
    pub numero_componenti_isee: Option<u8>,
    /// `@FasciaEtaBeneficiario` (see [`FasciaEtaBeneficiario::at`]).
    pub fascia_eta_beneficiario: FasciaEtaBeneficiario,
    /// `@FasciaISEEBeneficiario` (optional; see [`FasciaIseeBeneficiario::from_isee`]).
    pub fascia_isee_beneficiario: Option<FasciaIseeBeneficiario>,
    /// `@AnnoNascita` (4 digits).
    pub anno_nascita: u16,
    /// `@CodiceRegioneResidenza` (2 digits; required when the nation is Italy).
    pub codice_regione_residenza: Option<String>,
    /// `@CodiceNazioneResidenza` (3 digits, `380` = Italia).
    pub codice_nazione_residenza: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mese_anno() {
        let m: MeseAnno = "03/2012".parse().unwrap();
        assert_eq!((m.mese(), m.anno()), (3, 2012));
        assert_eq!(m.to_string(), "03/2012");
        assert!("3/2012".parse::<MeseAnno>().is_err());
        assert!("13/2012".parse::<MeseAnno>().is_err());
        assert!("01/1899".parse::<MeseAnno>().is_err());
        assert!("01/2100".parse::<MeseAnno>().is_err());
        assert_eq!(
            MeseAnno::of(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
                .unwrap()
                .to_string(),
            "02/2024"
        );
    }

    #[test]
    fn ente_and_residence_from_refdata() {
        let e = Ente::comune_cm_milano("015146", "01199250158").unwrap();
        assert_eq!(e.codice, "F205");
        assert_eq!(e.indirizzo, "F205");
        assert_eq!(e.denominazione.as_deref(), Some("Comune di Milano"));
        assert!(Ente::comune_cm_milano("058091", "x").is_none());
        let i = Indirizzo::comune_cm_milano("015146").unwrap();
        assert_eq!(i.codice_regione.as_deref(), Some("03"));
        assert_eq!(i.codice_nazione, "380");
    }
}
