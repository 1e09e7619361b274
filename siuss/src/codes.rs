//! The XSD enumerations of `PS_PSA_SINA201812.xsd` and `SINBA.xsd` as Rust
//! enums.
//!
//! Every enum carries the exact XSD code ([`XsdCode::code`]), an Italian
//! label taken from the `xs:documentation` of the schema (mojibake of the
//! published file repaired, e.g. `DisabilitÃ ` → `Disabilità`) and the name of
//! the XSD simple type it comes from ([`XsdCode::XSD_TYPE`]). Serde reads and
//! writes the code (`"1"`, `"I"`…), so a JSON export of the model carries the
//! same values as the XML. A test checks every enum against the schemas.

use std::fmt;

/// An XSD enumeration: a closed set of string codes.
pub trait XsdCode: Sized + Copy + 'static {
    /// Name of the `xs:simpleType` in the schema (e.g. `GenereType`).
    const XSD_TYPE: &'static str;
    /// Every value, in schema order.
    fn all() -> &'static [Self];
    /// The code written in the XML (e.g. `"1"`).
    fn code(self) -> &'static str;
    /// The Italian label of the schema documentation.
    fn label(self) -> &'static str;
    /// The value for `code`, if it is one of the schema's.
    fn from_code(code: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.code() == code)
    }
}

/// A code that is not one of the enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {xsd_type} code")]
pub struct UnknownCode {
    /// The XSD type expected.
    pub xsd_type: &'static str,
    /// The value found.
    pub value: String,
}

macro_rules! xsd_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $xsd:literal {
            $( $variant:ident = $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = concat!("`", $code, "` – ", $label)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in schema order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code written in the XML.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The Italian label of the schema documentation.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// The value for `code`, if it is one of the schema's.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl XsdCode for $name {
            const XSD_TYPE: &'static str = $xsd;
            fn all() -> &'static [Self] { Self::ALL }
            fn code(self) -> &'static str { $name::code(self) }
            fn label(self) -> &'static str { $name::label(self) }
            fn from_code(code: &str) -> Option<Self> { $name::from_code(code) }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, UnknownCode> {
                $name::from_code(s).ok_or_else(|| UnknownCode { xsd_type: $xsd, value: s.to_string() })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::from_code(&s).ok_or_else(|| {
                    serde::de::Error::custom(UnknownCode { xsd_type: $xsd, value: s.into_owned() })
                })
            }
        }
    };
}

// ---------------------------------------------------------------------------
// PS_PSA_SINA201812.xsd
// ---------------------------------------------------------------------------

xsd_enum! {
    /// Sex of the beneficiary (`Anagrafica@Genere`).
    Genere, "GenereType" {
        Maschio = "1", "Maschio";
        Femmina = "2", "Femmina";
    }
}

xsd_enum! {
    /// Insertion or cancellation of a prestazione (`@TipoOperazione`;
    /// optional in the XSD, default `I`).
    TipoOperazione, "TipoOperazioneType" {
        Inserimento = "I", "Inserimento";
        Cancellazione = "C", "Cancellazione";
    }
}

xsd_enum! {
    /// Whether the prestazione is means-tested (`@PresenzaProvaMezzi`).
    PresenzaProvaMezzi, "PresenzaProvaMezziType" {
        SoggettaIsee = "1", "Prestazione soggetta a ISEE";
        ProvaMezziNonIsee = "2", "Prestazione soggetta a prova dei mezzi, ma non attraverso ISEE (es. prestaz. inps, agevolaz. tribut.)";
        IseeSottrattaPerBeneficiario = "3", "Prestazione in generale soggetta a ISEE, ma sottratta alla prova dei mezzi per lo specifico beneficiario in virtu' di altri criteri di bisogno (es. asilo nido per bambino con disabilità o in famiglie numerose, ecc.)";
        NonSoggettaProvaMezzi = "4", "Prestazione non soggetta a prova dei mezzi (assenza di criteri economici nella disciplina dell'erogazione";
    }
}

xsd_enum! {
    /// Periodic or one-off (`@CaratterePrestazione`; optional in the XSD,
    /// mandatory per the specification).
    CaratterePrestazione, "CaratterePrestazioneType" {
        Periodico = "1", "Periodico";
        Occasionale = "2", "Occasionale (unica soluzione)";
    }
}

xsd_enum! {
    /// Whether the professional social service has taken the person in
    /// charge (`@PresaCarico`).
    PresaCarico, "PresaCaricoType" {
        Si = "1", "SI";
        No = "2", "NO";
    }
}

xsd_enum! {
    /// Target area (`@AreaUtenza`; required when `PresaCarico = 1`).
    AreaUtenza, "AreaUtenzaType" {
        FamigliaMinori = "1", "Famiglia e minori";
        DisabilitaNonAutosufficienza = "2", "Disabilità e Non autosufficienza";
        PovertaEsclusioneSociale = "3", "Povertà ed esclusione sociale";
    }
}

xsd_enum! {
    /// SINA: mobility (`SINA@Mobilita`).
    Mobilita, "MobilitaType" {
        SiSpostaDaSolo = "1", "Si sposta da solo";
        SiSpostaAssistito = "2", "Si Sposta Assistito";
        NonSiSposta = "3", "Non Si Sposta";
    }
}

xsd_enum! {
    /// SINA: activities of daily living (`SINA@AttivitaVitaQuotidiana`).
    AttivitaVitaQuotidiana, "AttivitaVitaQuotidianaType" {
        Autonomo = "1", "Autonomo";
        ParzialmenteDipendente = "2", "Parzialmente dipendente";
        TotalmenteDipendente = "3", "Totalmente dipendente";
    }
}

xsd_enum! {
    /// SINA: cognitive disorders (`SINA@DisturbiAreaCognitiva`, optional).
    DisturbiAreaCognitiva, "DisturbiAreaCognitivaType" {
        Lievi = "1", "Lievi";
        Moderati = "2", "Moderati";
        Gravi = "3", "Gravi";
    }
}

xsd_enum! {
    /// SINA: behavioural disorders (`SINA@DisturbiComportamentali`).
    DisturbiComportamentali, "DisturbiComportamentaliType" {
        Assenti = "1", "Assenti";
        Presenti = "2", "Presenti";
    }
}

xsd_enum! {
    /// SINA: need of health care (`SINA@NecessitaCureSanitarie`, optional).
    NecessitaCureSanitarie, "NecessitaCureSanitarieType" {
        Bassa = "1", "Bassa";
        Media = "2", "Media";
        Alta = "3", "Alta";
    }
}

xsd_enum! {
    /// SINA: income situation (`SINA@AreaReddituale`).
    AreaReddituale, "AreaRedditualeType" {
        AutonomoInEquilibrio = "1", "Autonomo e in equilibrio finanziario";
        AiutoDaParenti = "2", "Riceve aiuto da parenti e/o da altre persone";
        BisognoSenzaAiuti = "3", "In condizione di bisogno economico e senza aiuti da parenti o altre persone";
    }
}

xsd_enum! {
    /// SINA: family or informal support network (`SINA@AreaSupporto`).
    AreaSupporto, "AreaSupportoType" {
        RetePresente = "1", "Presenza della rete familiare o informale";
        ReteParziale = "2", "Presenza parziale e/o temporanea della rete familiare o informale";
        ReteAssente = "3", "Assenza della rete familiare o informale";
    }
}

xsd_enum! {
    /// SINA: where the assessment comes from (`SINA@FonteDerivazioneValutazione`).
    FonteDerivazioneValutazione, "FonteDerivazioneValutazioneType" {
        Uvm = "1", "UVM";
        CartellaSociale = "2", "Cartella sociale";
        AltraDocumentazione = "3", "Altra documentazione";
        RaccoltaDiretta = "4", "Raccolta diretta";
    }
}

xsd_enum! {
    /// SINA: assessment instrument (`SINA@StrumentoValutazione`).
    StrumentoValutazione, "StrumentoValutazioneType" {
        Svama = "1", "SVAMA";
        Aged = "2", "AGED";
        Rug = "3", "RUG";
        Sosia = "4", "SOSIA";
        SchemaPolare = "5", "SCHEMA POLARE";
        Valgraf = "6", "VALGRAF";
        Altro = "7", "Altro Sistema Di Codifica";
    }
}

xsd_enum! {
    /// SINA: civil invalidity certification (`SINA/InvaliditaCivile/InvCiv`).
    InvCiv, "InvCivType" {
        Parziale75 = "1", "Certificazione Invalidità Civile parziale non inferiore al 75%";
        TotaleConAccompagnamento = "2", "Certificazione Invalidità Civile Totale (100%) Con Indennità di accompagnamento";
        TotaleSenzaAccompagnamento = "3", "Certificazione Invalidità Civile totale (100%) senza indennità di accompagnamento";
        Npi = "4", "Certificazione Npi";
        L104Art3Comma1 = "5", "Certificazione L.104 (art.3, comma 1)";
        L104Art3Comma3 = "6", "Certificazione L.104 (art.3, comma 3)";
        L104Art12 = "7", "Certificazione L.104 (art.12)";
        L104Art13 = "8", "Certificazione L.104 (art.13)";
    }
}

xsd_enum! {
    /// SINA: where the invalidity information comes from
    /// (`SINA@FonteDerivazioneInvalidita`, optional).
    FonteDerivazioneInvalidita, "FonteDerivazioneInvaliditaType" {
        CertificazioneVerificata = "1", "Certificazione invalidità verificata on line o cartacea";
        DichiarazionePersona = "2", "Dichiarazione della persona";
    }
}

// ---------------------------------------------------------------------------
// SINBA.xsd
// ---------------------------------------------------------------------------

xsd_enum! {
    /// SINBA: who lives with the minor (`Famiglia/ComposizioneFamiglia`).
    ComposizioneFamiglia, "ComposizioneFamigliaType" {
        Madre = "1", "Madre";
        Padre = "2", "Padre";
        FratelliSorelle = "3", "Fratelli/Sorelle";
        Nonni = "4", "Nonno/a";
        CompagnoGenitore = "5", "Compagno/a della madre o del padre";
        AltriConviventi = "6", "Altri conviventi";
    }
}

xsd_enum! {
    /// SINBA: unaccompanied foreign minor (`@MinoreStranieroNoAcc`).
    MinoreStranieroNoAcc, "MinoreStranieroNoAccType" {
        Si = "1", "SI";
        No = "2", "NO";
    }
}

xsd_enum! {
    /// SINBA: orphanhood (`@CondizioneMinore`).
    CondizioneMinore, "CondizioneMinoreType" {
        NonOrfano = "1", "Non orfano";
        OrfanoEntrambi = "2", "Orfano di entrambi";
        OrfanoPadre = "3", "Orfano di padre";
        OrfanoMadre = "4", "Orfano di madre";
        GenitoriIgnoti = "5", "Genitori ignoti";
    }
}

xsd_enum! {
    /// SINBA: where the minor lives (`@LuogoVita`).
    LuogoVita, "LuogoVitaType" {
        PropriaFamiglia = "1", "nella sua famiglia";
        PressoParenti = "2", "presso parenti";
        FamigliaAffidataria = "3", "in famiglia affidataria";
        StrutturaResidenzialeSociale = "4", "in struttura residenziale sociale";
        StrutturaResidenzialeSanitaria = "5", "in struttura residenziale sanitaria";
        IstitutoPenaleMinorile = "6", "in istituto penale minorile";
        AmiciConoscenti = "7", "con amici e conoscenti";
        SenzaDimora = "8", "senza dimora";
    }
}

xsd_enum! {
    /// SINBA: school attended (`@ScuolaFrequentata`).
    ScuolaFrequentata, "ScuolaFrequentataType" {
        Nessuna = "1", "nessuna scuola";
        Struttura = "2", "struttura";
        AsiloNido = "3", "asilo nido";
        ScuolaInfanzia = "4", "scuola dell'infanzia";
        Primaria = "5", "scuola primaria";
        SecondariaPrimoGrado = "6", "scuola secondaria I grado";
        SecondariaSecondoGrado = "7", "scuola secondaria II grado";
        FormazioneProfessionale = "8", "corso formazione professionale";
    }
}

xsd_enum! {
    /// SINBA: the minor's work condition (`@CondizioneLavoro`).
    CondizioneLavoro, "CondizioneLavoroType" {
        Inattivo = "1", "inattivo (non in età da lavoro, non ha e non cerca lavoro)";
        Occupato = "2", "occupato";
        Disoccupato = "3", "disoccupato alla ricerca di nuova occupazione";
        InCercaPrimaOccupazione = "4", "in cerca di prima occupazione";
    }
}

xsd_enum! {
    /// SINBA: disability (`@Disabilita`).
    Disabilita, "DisabilitaType" {
        Si = "1", "SI";
        No = "2", "NO";
    }
}

xsd_enum! {
    /// SINBA: kind of disability (`@TipoDisabilita`, optional).
    TipoDisabilita, "TipoDisabilitaType" {
        Fisica = "1", "Fisica";
        Psichica = "2", "Psichica";
        Sensoriale = "3", "Sensoriale";
        Plurima = "4", "Plurima";
    }
}

xsd_enum! {
    /// SINBA: invalidity certifications (`@InvCivCertificazioni`, optional).
    InvCivCertificazioni, "InvCivCertificazioniType" {
        Parziale75 = "1", "certificazione invalidità civile parziale non inferiore al 75%";
        TotaleConAccompagnamento = "2", "certificazione invalidità civile totale (100%) con indennità di accompagnamento";
        TotaleSenzaAccompagnamento = "3", "certificazione invalidità civile totale (100%) senza indennità di accompagnamento";
        Npi = "4", "certificazione NPI";
        L104 = "5", "certificazione l.104";
    }
}

xsd_enum! {
    /// SINBA: a parent's education (`@TitoloStudioPadre`, `@TitoloStudioMadre`).
    TitoloStudio, "TitoloStudioType" {
        NessunTitolo = "1", "nessun titolo";
        LicenzaElementare = "2", "licenza elementare";
        LicenzaMedia = "3", "licenza media";
        QualificaProfessionale = "4", "qualifica professionale";
        DiplomaSuperiore = "5", "diploma scuola superiore";
        Laurea = "6", "laurea o diploma di laurea";
    }
}

xsd_enum! {
    /// SINBA: a parent's occupation (`@OccupazionePadre`, `@OccupazioneMadre`).
    Occupazione, "OccupazioneType" {
        Occupato = "1", "occupato";
        Disoccupato = "2", "disoccupato alla ricerca di nuova occupazione";
        InCercaPrimaOccupazione = "3", "in cerca di prima occupazione";
        Casalinga = "4", "casalinga/o";
        Studente = "5", "studente";
        Ritirato = "6", "ritirato/a dal lavoro";
        Inabile = "7", "inabile al lavoro";
        AltraCondizione = "8", "in altra condizione";
    }
}

xsd_enum! {
    /// SINBA: who reported the case (`@FonteSegnalazione`).
    FonteSegnalazione, "FonteSegnalazioneType" {
        ServizioSocialeGiustiziaMinorile = "1", "servizio sociale minori della giustizia minorile";
        AltroServizioSociale = "2", "altro servizio sociale (consultori, centri famiglia, di altro ambito/distretto, ..)";
        ServiziSanitari = "3", "servizi sanitari/medico di base/pediatra";
        PrivatoSociale = "4", "privato sociale/volontariato";
        ForzeOrdine = "5", "forze dell'ordine";
        BeneficiarioStesso = "6", "beneficiario stesso";
        GenitoriAffidatariTutore = "7", "genitori affidatari/tutore";
        FamiliariConviventi = "8", "genitori/fratelli/altri familiari conviventi";
        ParentiNonConviventi = "9", "parenti non conviventi";
        TribunaleOrdinario = "10", "tribunale ordinario";
        AutoritaGiudiziarieMinorili = "11", "autorità giudiziarie minorili";
        ProfessionistaPrivato = "12", "professionista privato";
        Scuola = "13", "scuola";
        VicinatoConoscenti = "14", "vicinato o conoscenti";
    }
}

xsd_enum! {
    /// SINBA: assessment of the minor (`@ValutazioneMinore`).
    ValutazioneMinore, "ValutazioneMinoreType" {
        NessunaProblematica = "1", "nessuna specifica problematica";
        ProblemiRelazionali = "2", "problemi relazionali e comportamentali";
        Dipendenze = "3", "dipendenze";
        PresuntoAbbandono = "4", "presunto stato di abbandono";
        ProblemiSanitari = "5", "problemi sanitari";
        ViolenzaSessuale = "6", "violenza sessuale subita, prostituzione, tratta, pedopornografia";
        AltreViolenze = "7", "altre forme di violenza e maltrattamento subite";
        GraveDevianza = "8", "comportamenti di grave devianza";
        AutonomiaDisabilita = "9", "problemi di autonomia, disabilità";
        ProcedurePenali = "10", "coinvolto in procedure penali";
        GestanteMadreMinorenne = "11", "gestante/madre minorenne";
        StranieroNonAccompagnato = "12", "minore straniero non accompagnato";
        AbbandonoScolastico = "13", "abbandono scolastico";
    }
}

xsd_enum! {
    /// SINBA: assessment of the minor's family (`@ValutazioneFamigliaMinore`).
    ValutazioneFamigliaMinore, "ValutazioneFamigliaMinoreType" {
        NessunaSpecifica = "1", "nessuna specifica";
        FragilitaGenitoriale = "2", "problematica fragilità/inadeguatezza genitoriale, problematiche socio-educative e relazionali";
        Dipendenza = "3", "dipendenza";
        Psichiatriche = "4", "problematiche psichiatriche";
        AltreSanitarie = "5", "altre problematiche sanitarie";
        Conflittualita = "6", "grave conflittualità familiare";
        Maltrattante = "7", "famiglia maltrattante";
        Abusante = "8", "famiglia abusante";
        ProblemiGiudiziari = "9", "problemi giudiziari";
        FallimentoAffidoPreadottivo = "10", "fallimento affido preadottivo nel I anno";
        InadempienzaObblighiSanitari = "11", "inadempienza obblighi sanitari";
        DifficoltaEconomiche = "12", "difficoltà economiche";
        DifficoltaAbitative = "13", "difficoltà abitative";
    }
}

xsd_enum! {
    /// SINBA: reported to the judicial authority (`@SegnalazioneAutoritaGiudiziaria`).
    SegnalazioneAutoritaGiudiziaria, "SegnalazioneAutoritaGiudiziariaType" {
        Si = "1", "SI";
        No = "2", "NO";
    }
}

xsd_enum! {
    /// SINBA: a judicial measure exists (`@ProvvedimentoGiudiziario`).
    ProvvedimentoGiudiziario, "ProvvedimentoGiudiziarioType" {
        Si = "1", "SI";
        No = "2", "NO";
    }
}

xsd_enum! {
    /// SINBA: authority of the measure (`@AutoritaProvvedimento`, optional).
    AutoritaProvvedimento, "AutoritaProvvedimentoType" {
        GiudiceTutelare = "1", "Giudice tutelare";
        TribunaleMinori = "2", "Tribunale per i minori";
        ProcuraMinori = "3", "Procura per i minori";
        TribunaleOrdinario = "4", "Tribunale ordinario";
    }
}

xsd_enum! {
    /// SINBA: parental authority / guardianship (`@PotestaTutela`, optional).
    PotestaTutela, "PotestaTutelaType" {
        Sospensione = "1", "sospensione potestà genitoriale";
        Decadenza = "2", "decadenza potestà genitoriale";
        PrescrizioniGenitori = "3", "prescrizioni ai genitori";
        TutelaParenti = "4", "tutela a parenti o altri soggetti";
        Curatela = "5", "curatela";
    }
}

xsd_enum! {
    /// SINBA: kind of judicial measure (`@TipoProvvedimentoGiudiziario`, optional).
    TipoProvvedimentoGiudiziario, "TipoProvvedimentoGiudiziarioType" {
        Adottabilita = "1", "adottabilità";
        AdozioneNazionale = "2", "adozione nazionale";
        AdozioneInternazionale = "3", "adozione internazionale";
        AffidamentoFamiliare = "4", "affidamento familiare";
        AffidoServizioSociale = "5", "affido al servizio sociale";
        AffidamentoGenitoreSeparazione = "6", "affidamento a uno dei genitori in caso di separazione";
        Vigilanza = "7", "vigilanza";
        PostAdozioneAllontanamento = "8", "post-adozione \"allontanamento del minore in via d'emergenza (art.403 c.c.)";
    }
}

xsd_enum! {
    /// SINBA: form of foster care (`@FormaInterventoAffido`, optional).
    FormaInterventoAffido, "FormaInterventoAffidoType" {
        Consensuale = "1", "Consensuale";
        Giudiziario = "2", "Giudiziario";
    }
}

xsd_enum! {
    /// SINBA: kind of foster care (`@TipoInterventoAffido`, optional).
    TipoInterventoAffido, "TipoInterventoAffidoType" {
        Intrafamiliare = "1", "Intrafamiliare";
        Eterofamiliare = "2", "Eterofamiliare";
    }
}

xsd_enum! {
    /// SINBA: foster care duration (`@DurataAffido`, optional).
    DurataAffido, "DurataAffidoType" {
        TempoPieno = "1", "Tempo pieno";
        TempoParziale = "2", "Tempo parziale";
    }
}

xsd_enum! {
    /// SINBA: residential or day foster care (`@CarattereAffido`, optional).
    CarattereAffido, "CarattereAffidoType" {
        Residenziale = "1", "Residenziale";
        Diurno = "2", "Diurno";
    }
}

xsd_enum! {
    /// SINBA: outcome of foster care (`@EsitoAffido`, optional).
    EsitoAffido, "EsitoAffidoType" {
        RientratoFamigliaOrigine = "1", "rientrato nella famiglia di origine";
        AltroNucleoFamiliare = "2", "affidata ad altro nucleo familiare";
        Adottato = "3", "adottato";
        StrutturaSocioEducativa = "4", "inserito in struttura socio-educativa";
        StrutturaSanitaria = "5", "inserito in struttura sanitaria";
        VitaInAutonomia = "6", "vita in autonomia";
        Rimpatriato = "7", "rimpatriato";
        DestinazioneIgnota = "8", "destinazione ignota";
        Altro = "9", "altro";
    }
}

xsd_enum! {
    /// SINBA: kind of residential placement (`@CarattereInserimentoResidenziale`, optional).
    CarattereInserimentoResidenziale, "CarattereInserimentoResidenzialeType" {
        FamiliareAccoglienzaAbitativa = "1", "familiare-prevalente accoglienza abitativa";
        FamiliareFunzioneTutelare = "2", "familiare-prevalente funzione tutelare";
        FamiliareSocioEducativa = "3", "familiare-funzione socio-educativa";
        ComunitarioEmergenza = "4", "comunitario-accoglienza di emergenza";
        ComunitarioAccoglienzaAbitativa = "5", "comunitario-prevalente accoglienza abitativa";
        ComunitarioFunzioneTutelare = "6", "comunitario-prevalente funzione tutelare";
        ComunitarioSocioEducativa = "7", "comunitario-funzione socio-educativa";
        ComunitarioEducativaPsicologica = "8", "comunitario-funzione educativa-psicologica";
        ComunitarioSocioSanitariaBassa = "9", "comunitario-funzione integrazione socio-sanitaria bassa";
        ComunitarioSocioSanitariaMedioAlta = "10", "comunitario-funzione integrazione socio-sanitaria medio-alta";
    }
}

xsd_enum! {
    /// SINBA: form of residential placement (`@FormaInserimentoResidenziale`, optional).
    FormaInserimentoResidenziale, "FormaInserimentoResidenzialeType" {
        Consensuale = "1", "Consensuale";
        Giudiziario = "2", "Giudiziario";
    }
}

xsd_enum! {
    /// SINBA: placement with or without a parent (`@TipoInserimentoResidenziale`, optional).
    TipoInserimentoResidenziale, "TipoInserimentoResidenzialeType" {
        ConGenitore = "1", "Con genitore";
        SenzaGenitore = "2", "Senza genitore";
    }
}

xsd_enum! {
    /// SINBA: outcome of the residential placement (`@EsitoInserimentoStruttura`, optional).
    EsitoInserimentoStruttura, "EsitoInserimentoStrutturaType" {
        RientratoFamigliaOrigine = "1", "rientrato nella famiglia di origine";
        FamigliaAffidataria = "2", "in famiglia affidataria o affidatario";
        Adottato = "3", "adottato";
        AltraStrutturaSocioEducativa = "4", "inserito in altra struttura socio-educativa";
        StrutturaSanitaria = "5", "inserito in struttura sanitaria";
        ResoAutonomo = "6", "reso autonomo";
        Rimpatriato = "7", "rimpatriato";
        DestinazioneIgnota = "8", "destinazione ignota";
        Altro = "9", "altro";
    }
}

xsd_enum! {
    /// SINBA: why the case was closed (`@MotivazioneChiusuraCarico`, optional).
    MotivazioneChiusuraCarico, "MotivazioneChiusuraCaricoType" {
        PassaggioStessaRegione = "1", "passaggio a servizio territoriale altro ambito/distretto della stessa regione";
        PassaggioAltraRegione = "2", "passaggio a servizio territoriale altro ambito/distretto di altra regione";
        Maggiorenne = "3", "raggiunta età maggiorenne";
        BisognoRisolto = "4", "conclusione degli interventi e della presa in carico per risoluzione dello stato di bisogno";
        UscitaRichiesta = "5", "uscita richiesta dal minore utente o dalla famiglia";
        Rimpatrio = "6", "rimpatrio";
        Irreperibilita = "7", "irreperibilità";
        Decesso = "8", "decesso";
        Altro = "9", "altro";
    }
}

xsd_enum! {
    /// SINBA: situation when the case was closed (`@SituazioneChiusuraCarico`, optional).
    SituazioneChiusuraCarico, "SituazioneChiusuraCaricoType" {
        FamigliaOrigine = "1", "Nella famiglia di origine";
        VitaInAutonomia = "2", "vita in autonomia (in appartamento anche con altri non familiari o parenti)";
        RimaneFamigliaAffidataria = "3", "rimane nella famiglia affidataria anche se maggiorenne";
        RimaneStrutturaResidenziale = "4", "rimane nella struttura residenziale socio-assistenziale anche se maggiorenne";
        StrutturaSanitaria = "5", "collocato in struttura residenziale sanitaria";
        Adottato = "6", "adottato in una nuova famiglia";
        IstitutoPenale = "7", "in istituto penale";
        DestinazioneIgnota = "8", "destinazione ignota";
    }
}

xsd_enum! {
    /// SINBA: services collaborating on the case (`@CollaborazioniInterventi`, optional).
    CollaborazioniInterventi, "CollaborazioniInterventiType" {
        Sert = "1", "SERT";
        Npi = "2", "NPI";
        Psicologia = "3", "psicologia";
        ClinicaDsm = "4", "clinica/dsm";
        AltriServiziSociali = "5", "altri servizi sociali (consultorio, centri famiglia, adulti, di altro abito/distretto)";
        Ussm = "6", "ussm ministero giustizia";
        Scuola = "7", "scuola";
        PrivatoSociale = "8", "servizi privato sociale associazionismo, volontariato";
        Altro = "9", "altro";
    }
}

xsd_enum! {
    /// SINBA: age band of the minor (`@FasciaEtaBeneficiario`); see
    /// [`FasciaEtaBeneficiario::from_age`].
    FasciaEtaBeneficiario, "FasciaEtaBeneficiarioType" {
        Da0a3 = "1", "0-3 anni";
        Da3a6 = "2", "3-6 anni";
        Da6a9 = "3", "6-9 anni";
        Da9a12 = "4", "9-12 anni";
        Da12a15 = "5", "12-15 anni";
        Da15a18 = "6", "15-18 anni";
    }
}

xsd_enum! {
    /// SINBA: ISEE band (`@FasciaISEEBeneficiario`, optional); see
    /// [`FasciaIseeBeneficiario::from_isee`].
    FasciaIseeBeneficiario, "FasciaISEEBeneficiarioType" {
        Zero = "1", "Valore ISEE=0";
        Fino3000 = "2", "Tra 0.01 a 3000 Euro";
        Fino6000 = "3", "Tra 3000.01 e 6000";
        Fino9000 = "4", "Tra 6000.01 e 9000";
        Fino12000 = "5", "Tra 9000.01 e 12000";
        Fino15000 = "6", "Tra 12000.01 e 15000";
        Fino20000 = "7", "Tra 15000.01 e 20000";
        Oltre20000 = "8", "Oltre i 20000 euro";
    }
}

impl FasciaEtaBeneficiario {
    /// The band for an age in completed years; `None` from 18 on (SINBA is
    /// about minors). The XSD bands overlap at their bounds (`0-3`, `3-6`…);
    /// they are read as half-open intervals: 3 years old is band 2 (`3-6`).
    pub fn from_age(years: u32) -> Option<Self> {
        Some(match years {
            0..=2 => Self::Da0a3,
            3..=5 => Self::Da3a6,
            6..=8 => Self::Da6a9,
            9..=11 => Self::Da9a12,
            12..=14 => Self::Da12a15,
            15..=17 => Self::Da15a18,
            _ => return None,
        })
    }

    /// The band of someone born on `birth` at the date `at` (completed
    /// years); `None` if not yet born or 18 or older.
    pub fn at(birth: chrono::NaiveDate, at: chrono::NaiveDate) -> Option<Self> {
        let years = at.years_since(birth)?;
        Self::from_age(years)
    }
}

impl FasciaIseeBeneficiario {
    /// The band for an ISEE value (euro): `= 0`, `0.01–3000`, `3000.01–6000`,
    /// …, `> 20000`. Upper bounds are inclusive, as the labels say. `None`
    /// for a negative value.
    pub fn from_isee(isee: crate::Importo) -> Option<Self> {
        let c = isee.cents();
        Some(match c {
            i64::MIN..=-1 => return None,
            0 => Self::Zero,
            1..=300_000 => Self::Fino3000,
            300_001..=600_000 => Self::Fino6000,
            600_001..=900_000 => Self::Fino9000,
            900_001..=1_200_000 => Self::Fino12000,
            1_200_001..=1_500_000 => Self::Fino15000,
            1_500_001..=2_000_000 => Self::Fino20000,
            _ => Self::Oltre20000,
        })
    }
}

/// Every enumeration of the crate as `(XSD type, codes in order)`: used by
/// the test that compares the enums with the schemas.
#[doc(hidden)]
pub fn xsd_enumerations() -> Vec<(&'static str, Vec<&'static str>)> {
    fn e<T: XsdCode>() -> (&'static str, Vec<&'static str>) {
        (T::XSD_TYPE, T::all().iter().map(|v| v.code()).collect())
    }
    vec![
        e::<Genere>(),
        e::<TipoOperazione>(),
        e::<PresenzaProvaMezzi>(),
        e::<CaratterePrestazione>(),
        e::<PresaCarico>(),
        e::<AreaUtenza>(),
        e::<Mobilita>(),
        e::<AttivitaVitaQuotidiana>(),
        e::<DisturbiAreaCognitiva>(),
        e::<DisturbiComportamentali>(),
        e::<NecessitaCureSanitarie>(),
        e::<AreaReddituale>(),
        e::<AreaSupporto>(),
        e::<FonteDerivazioneValutazione>(),
        e::<StrumentoValutazione>(),
        e::<InvCiv>(),
        e::<FonteDerivazioneInvalidita>(),
        e::<ComposizioneFamiglia>(),
        e::<MinoreStranieroNoAcc>(),
        e::<CondizioneMinore>(),
        e::<LuogoVita>(),
        e::<ScuolaFrequentata>(),
        e::<CondizioneLavoro>(),
        e::<Disabilita>(),
        e::<TipoDisabilita>(),
        e::<InvCivCertificazioni>(),
        e::<TitoloStudio>(),
        e::<Occupazione>(),
        e::<FonteSegnalazione>(),
        e::<ValutazioneMinore>(),
        e::<ValutazioneFamigliaMinore>(),
        e::<SegnalazioneAutoritaGiudiziaria>(),
        e::<ProvvedimentoGiudiziario>(),
        e::<AutoritaProvvedimento>(),
        e::<PotestaTutela>(),
        e::<TipoProvvedimentoGiudiziario>(),
        e::<FormaInterventoAffido>(),
        e::<TipoInterventoAffido>(),
        e::<DurataAffido>(),
        e::<CarattereAffido>(),
        e::<EsitoAffido>(),
        e::<CarattereInserimentoResidenziale>(),
        e::<FormaInserimentoResidenziale>(),
        e::<TipoInserimentoResidenziale>(),
        e::<EsitoInserimentoStruttura>(),
        e::<MotivazioneChiusuraCarico>(),
        e::<SituazioneChiusuraCarico>(),
        e::<CollaborazioniInterventi>(),
        e::<FasciaEtaBeneficiario>(),
        e::<FasciaIseeBeneficiario>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn codes_round_trip() {
        for (_, codes) in xsd_enumerations() {
            assert!(!codes.is_empty());
        }
        assert_eq!(Genere::from_code("2"), Some(Genere::Femmina));
        assert_eq!(
            "C".parse::<TipoOperazione>().unwrap(),
            TipoOperazione::Cancellazione
        );
        assert!("X".parse::<TipoOperazione>().is_err());
        assert_eq!(
            AreaUtenza::PovertaEsclusioneSociale.label(),
            "Povertà ed esclusione sociale"
        );
    }

    #[test]
    fn age_bands() {
        assert_eq!(
            FasciaEtaBeneficiario::from_age(0),
            Some(FasciaEtaBeneficiario::Da0a3)
        );
        assert_eq!(
            FasciaEtaBeneficiario::from_age(3),
            Some(FasciaEtaBeneficiario::Da3a6)
        );
        assert_eq!(
            FasciaEtaBeneficiario::from_age(17),
            Some(FasciaEtaBeneficiario::Da15a18)
        );
        assert_eq!(FasciaEtaBeneficiario::from_age(18), None);
        let d = |y, m, g| NaiveDate::from_ymd_opt(y, m, g).unwrap();
        // Born 29 February 2012: 12 on 28 February 2024? No, on 29 February.
        assert_eq!(
            FasciaEtaBeneficiario::at(d(2012, 2, 29), d(2024, 2, 28)),
            Some(FasciaEtaBeneficiario::Da9a12)
        );
        assert_eq!(
            FasciaEtaBeneficiario::at(d(2012, 2, 29), d(2024, 2, 29)),
            Some(FasciaEtaBeneficiario::Da12a15)
        );
        assert_eq!(FasciaEtaBeneficiario::at(d(2025, 1, 1), d(2024, 1, 1)), None);
    }

    #[test]
    fn isee_bands() {
        let b = |s: &str| FasciaIseeBeneficiario::from_isee(s.parse().unwrap());
        assert_eq!(b("0"), Some(FasciaIseeBeneficiario::Zero));
        assert_eq!(b("0.01"), Some(FasciaIseeBeneficiario::Fino3000));
        assert_eq!(b("3000"), Some(FasciaIseeBeneficiario::Fino3000));
        assert_eq!(b("3000.01"), Some(FasciaIseeBeneficiario::Fino6000));
        assert_eq!(b("20000"), Some(FasciaIseeBeneficiario::Fino20000));
        assert_eq!(b("20000.01"), Some(FasciaIseeBeneficiario::Oltre20000));
        assert_eq!(b("-1"), None);
    }
}
