//! Servizi sociali entities, from the comuni's Cartella Sociale exports:
//! `prestazione_sociale`, `valutazione_sina`, `caso_sinba`.
//!
//! Coded fields carry the INPS SIUSS codes as they go into the flows
//! (`PS_PSA_SINA201812.xsd`, `SINBA.xsd`; see
//! `shared/reference/inps-siuss.md` §2), so the SIUSS stage needs no
//! recoding. Every row is linked to `persona` by `comune_istat` and
//! `tax_code`; `beneficiary_resident` records whether the link held when
//! the row was processed. All three tables hold personal data (SINA and
//! SINBA fields are special categories, GDPR art. 9, and about minors).

use super::anagrafe::{field, COMUNE_ISTAT, TAX_CODE};
use super::{Entity, Field, FieldType, Vocabulary};

/// A codice prestazione (SIUSS shape `A<d>.<dd>[.<dd>]`, or `Z9.99`).
const SERVICE_CODE_PATTERN: &str = r"^(A[0-9]\.[0-9]{2}(\.[0-9]{2})?|Z9\.99)$";
/// A `;`-separated list of codici prestazione.
const SERVICE_CODE_LIST_PATTERN: &str =
    r"^(A[0-9]\.[0-9]{2}(\.[0-9]{2})?|Z9\.99)(;(A[0-9]\.[0-9]{2}(\.[0-9]{2})?|Z9\.99))*$";

const fn coded(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    pattern: &'static str,
    required: bool,
) -> Field {
    Field {
        required,
        pattern: Some(pattern),
        personal: true,
        ..field(name, title, description)
    }
}

const fn date(name: &'static str, title: &'static str, description: &'static str, required: bool) -> Field {
    Field {
        ty: FieldType::Date,
        required,
        personal: true,
        ..field(name, title, description)
    }
}

const fn number(name: &'static str, title: &'static str, description: &'static str) -> Field {
    Field {
        ty: FieldType::Number,
        personal: true,
        ..field(name, title, description)
    }
}

const IDENTIFIER: Field = Field {
    required: true,
    ontology: Some("l0/identifier"),
    ..field(
        "identifier",
        "Identificativo nella cartella sociale",
        "Identificativo del record nella Cartella Sociale del comune (unico nel comune).",
    )
};

const BENEFICIARY_TAX_CODE: Field = Field {
    title: "Codice fiscale del beneficiario",
    description:
        "Codice fiscale del beneficiario; collega il record alla `persona` residente dello stesso comune.",
    ..TAX_CODE
};

const BENEFICIARY_RESIDENT: Field = Field {
    ty: FieldType::Boolean,
    required: true,
    mappable: false,
    ..field(
        "beneficiary_resident",
        "Beneficiario residente",
        "Vero se il codice fiscale è tra i residenti del comune (partizione `persona` corrente) quando il record è \
         stato elaborato; falso: il record è mantenuto con l'avviso `beneficiary_not_resident`.",
    )
};

const PRESTAZIONE_FIELDS: &[Field] = &[
    COMUNE_ISTAT,
    IDENTIFIER,
    BENEFICIARY_TAX_CODE,
    Field {
        required: true,
        vocabulary: Some(Vocabulary::SocialModule),
        ..field(
            "module",
            "Modulo della cartella sociale",
            "Modulo che ha registrato la prestazione: segretariato_sociale, sostegno_reddito, accoglienza_stranieri, \
             inclusione_attiva, assistenza_domiciliare, servizi_residenziali, minori_famiglie.",
        )
    },
    Field {
        required: true,
        pattern: Some(SERVICE_CODE_PATTERN),
        ..field(
            "service_code",
            "Codice prestazione (INPS)",
            "Codice della prestazione nella tabella SIUSS dell'INPS (CodicePrestazione), es. A1.04, A2.07, A1.05.01.",
        )
    },
    Field {
        ontology: Some("l0/name"),
        ..field(
            "service_name",
            "Denominazione della prestazione",
            "Denominazione della prestazione (DenominazionePrestazione); se assente nell'export, quella della \
             tabella INPS del codice.",
        )
    },
    coded(
        "benefit_character",
        "Carattere della prestazione",
        "CaratterePrestazione INPS: 1 periodica, 2 occasionale (in un'unica soluzione).",
        "^[12]$",
        true,
    ),
    coded(
        "means_test",
        "Prova dei mezzi",
        "PresenzaProvaMezzi INPS: 1 soggetta a ISEE; 2 prova dei mezzi non ISEE; 3 soggetta a ISEE ma non per \
         questo beneficiario; 4 non soggetta a prova dei mezzi.",
        "^[1-4]$",
        true,
    ),
    Field {
        pattern: Some("^INPS-ISEE-[0-9]{4}-[0-9]{8}[A-Z]-[0-9]{2}$"),
        personal: true,
        ..field(
            "dsu_protocol",
            "Protocollo DSU",
            "Numero di protocollo della Dichiarazione Sostitutiva Unica (ISEE), es. INPS-ISEE-2025-01480722D-00.",
        )
    },
    Field {
        ty: FieldType::Integer,
        personal: true,
        ..field(
            "dsu_year",
            "Anno del protocollo DSU",
            "Anno del protocollo DSU; protocollo, anno e data DSU sono tutti presenti o tutti assenti.",
        )
    },
    date("dsu_date", "Data DSU", "Data di presentazione della DSU.", false),
    Field {
        required: true,
        ..field(
            "application_protocol",
            "Protocollo della domanda",
            "Protocollo con cui l'ente ha registrato la domanda del beneficiario (ProtocolloDomanda).",
        )
    },
    date(
        "event_date",
        "Data evento",
        "Data effettiva o prevista di inizio della prestazione (DataEvento; richiesta per A1.05.01).",
        false,
    ),
    date(
        "start_date",
        "Data di inizio",
        "Data di inizio della prestazione periodica (DataInizioPrestazione).",
        false,
    ),
    date(
        "end_date",
        "Data di fine",
        "Data di fine della prestazione periodica (DataFinePrestazione).",
        false,
    ),
    date(
        "delivery_date",
        "Data di erogazione",
        "Data di erogazione della prestazione occasionale (DataErogazionePrestazione).",
        false,
    ),
    number(
        "amount",
        "Importo (euro)",
        "Importo della prestazione occasionale, in euro (ImportoPrestazione).",
    ),
    number(
        "monthly_amount",
        "Importo mensile (euro)",
        "Importo mensile della prestazione periodica, in euro (ImportoMensile).",
    ),
    Field {
        ty: FieldType::Integer,
        personal: true,
        ..field(
            "months",
            "Mesi di erogazione",
            "Numero di mesi di erogazione, da 1 a 12 (PeriodoErogazione).",
        )
    },
    number(
        "entity_share",
        "Quota a carico dell'ente (euro)",
        "Quota a carico dell'ente (ImportoQuotaEnte).",
    ),
    number(
        "user_share",
        "Quota a carico dell'utente (euro)",
        "Quota a carico dell'utente (ImportoQuotaUtente).",
    ),
    number(
        "health_service_share",
        "Quota a carico del SSN (euro)",
        "Quota a carico del Servizio sanitario nazionale (ImportoQuotaSSN).",
    ),
    number(
        "monthly_hours",
        "Ore di servizio mensili",
        "Ore di servizio al mese, per i servizi domiciliari (OreServizioMensile).",
    ),
    coded(
        "taken_in_charge",
        "Presa in carico",
        "PresaCarico INPS: 1 sì (presa in carico del servizio sociale professionale), 2 no.",
        "^[12]$",
        true,
    ),
    coded(
        "user_area",
        "Area di utenza",
        "AreaUtenza INPS: 1 famiglia e minori, 2 disabilità e non autosufficienza, 3 povertà ed esclusione \
         sociale; richiesta con la presa in carico.",
        "^[1-3]$",
        false,
    ),
    BENEFICIARY_RESIDENT,
];

const SINA_FIELDS: &[Field] = &[
    COMUNE_ISTAT,
    IDENTIFIER,
    BENEFICIARY_TAX_CODE,
    date(
        "assessment_date",
        "Data della valutazione",
        "Data della valutazione multidimensionale.",
        true,
    ),
    field(
        "service_identifier",
        "Prestazione collegata",
        "Identificativo della prestazione (`prestazione_sociale.identifier`) per cui è stata fatta la valutazione, \
         se indicato.",
    ),
    coded(
        "mobility",
        "Mobilità",
        "Mobilita: 1 si sposta da solo, 2 si sposta assistito, 3 non si sposta.",
        "^[1-3]$",
        true,
    ),
    coded(
        "daily_living_activities",
        "Attività della vita quotidiana",
        "AttivitaVitaQuotidiana: 1 autonomo, 2 parzialmente dipendente, 3 totalmente dipendente.",
        "^[1-3]$",
        true,
    ),
    coded(
        "cognitive_disorders",
        "Disturbi dell'area cognitiva",
        "DisturbiAreaCognitiva: 1 lievi, 2 moderati, 3 gravi.",
        "^[1-3]$",
        false,
    ),
    coded(
        "behavioural_disorders",
        "Disturbi comportamentali",
        "DisturbiComportamentali: 1 assenti, 2 presenti.",
        "^[12]$",
        true,
    ),
    coded(
        "health_care_needs",
        "Necessità di cure sanitarie",
        "NecessitaCureSanitarie: 1 bassa, 2 media, 3 alta.",
        "^[1-3]$",
        false,
    ),
    coded(
        "income_area",
        "Area reddituale",
        "AreaReddituale: 1 autonomo, 2 con aiuto dei parenti, 3 in stato di bisogno senza aiuti.",
        "^[1-3]$",
        true,
    ),
    coded(
        "support_network",
        "Rete di supporto",
        "AreaSupporto: 1 rete presente, 2 parziale o temporanea, 3 assente.",
        "^[1-3]$",
        true,
    ),
    coded(
        "assessment_source",
        "Fonte della valutazione",
        "FonteDerivazioneValutazione: 1 UVM, 2 cartella sociale, 3 altra documentazione, 4 raccolta diretta.",
        "^[1-4]$",
        true,
    ),
    coded(
        "assessment_tool",
        "Strumento di valutazione",
        "StrumentoValutazione: 1 SVAMA, 2 AGED, 3 RUG, 4 SOSIA, 5 schema polare, 6 VALGRAF, 7 altro.",
        "^[1-7]$",
        true,
    ),
    coded(
        "disability_source",
        "Fonte dell'invalidità",
        "FonteDerivazioneInvalidita: 1 certificazione verificata, 2 dichiarazione della persona.",
        "^[12]$",
        false,
    ),
    coded(
        "civil_invalidity",
        "Invalidità civile",
        "Codici InvCiv separati da `;`: 1 ≥75%, 2 100% con accompagnamento, 3 100% senza, 4 certificazione NPI, \
         5 L.104 art.3 c.1, 6 L.104 art.3 c.3, 7 L.104 art.12, 8 L.104 art.13.",
        "^[1-8](;[1-8])*$",
        false,
    ),
    coded(
        "needed_services",
        "Interventi sociali necessari",
        "Codici prestazione degli interventi necessari, separati da `;` (NecessitaInterventiSociali).",
        SERVICE_CODE_LIST_PATTERN,
        false,
    ),
    BENEFICIARY_RESIDENT,
];

const SINBA_FIELDS: &[Field] = &[
    COMUNE_ISTAT,
    IDENTIFIER,
    Field {
        title: "Codice fiscale del minore",
        description: "Codice fiscale del minore; non è mai trasmesso all'INPS (SINBA usa uno pseudonimo).",
        ..BENEFICIARY_TAX_CODE
    },
    date(
        "case_open_date",
        "Data di presa in carico",
        "Data di apertura del caso (presa in carico del minore).",
        true,
    ),
    date(
        "case_close_date",
        "Data di chiusura",
        "Data di chiusura del caso, se chiuso.",
        false,
    ),
    date(
        "first_report_date",
        "Data della prima segnalazione",
        "Mese della prima segnalazione (DataPrimaSegnalazione, MM/AAAA), memorizzato come primo giorno del mese.",
        true,
    ),
    coded(
        "report_source",
        "Fonte della segnalazione",
        "FonteSegnalazione SINBA, da 1 a 14.",
        "^([1-9]|1[0-4])$",
        true,
    ),
    coded(
        "unaccompanied_foreign_minor",
        "Minore straniero non accompagnato",
        "MinoreStranieroNoAcc: 1 sì, 2 no.",
        "^[12]$",
        true,
    ),
    coded(
        "minor_condition",
        "Condizione del minore",
        "CondizioneMinore: 1 non orfano … 5 genitori ignoti.",
        "^[1-5]$",
        true,
    ),
    coded(
        "living_place",
        "Luogo di vita",
        "LuogoVita SINBA, da 1 a 8.",
        "^[1-8]$",
        true,
    ),
    coded(
        "school_attended",
        "Scuola frequentata",
        "ScuolaFrequentata SINBA, da 1 a 8.",
        "^[1-8]$",
        true,
    ),
    coded(
        "work_condition",
        "Condizione lavorativa",
        "CondizioneLavoro SINBA, da 1 a 4.",
        "^[1-4]$",
        true,
    ),
    coded("disability", "Disabilità", "Disabilita: 1 sì, 2 no.", "^[12]$", true),
    coded(
        "minor_assessment",
        "Valutazione del minore",
        "ValutazioneMinore SINBA, da 1 a 13.",
        "^([1-9]|1[0-3])$",
        true,
    ),
    coded(
        "family_assessment",
        "Valutazione della famiglia",
        "ValutazioneFamigliaMinore SINBA, da 1 a 13.",
        "^([1-9]|1[0-3])$",
        true,
    ),
    coded(
        "judicial_report",
        "Segnalazione all'autorità giudiziaria",
        "SegnalazioneAutoritaGiudiziaria: 1 sì, 2 no.",
        "^[12]$",
        true,
    ),
    coded(
        "judicial_measure",
        "Provvedimento giudiziario",
        "ProvvedimentoGiudiziario: 1 sì, 2 no.",
        "^[12]$",
        true,
    ),
    date(
        "judicial_measure_date",
        "Data del provvedimento",
        "Data del provvedimento giudiziario (DataProvvedimentoGiudiziario).",
        false,
    ),
    coded(
        "closing_reason",
        "Motivo della chiusura",
        "MotivazioneChiusuraCarico SINBA, da 1 a 9.",
        "^[1-9]$",
        false,
    ),
    coded(
        "services",
        "Prestazioni erogate",
        "Codici prestazione erogati al minore e alla famiglia, separati da `;` (Prestazioni/CodicePrestazione).",
        SERVICE_CODE_LIST_PATTERN,
        false,
    ),
    coded(
        "family_composition",
        "Composizione della famiglia",
        "ComposizioneFamiglia, codici separati da `;`: 1 madre, 2 padre, 3 fratelli/sorelle, 4 nonno/a, \
         5 compagno/a del genitore, 6 altri conviventi.",
        "^[1-6](;[1-6])*$",
        false,
    ),
    coded(
        "isee_band",
        "Fascia ISEE",
        "FasciaISEEBeneficiario: 1 ISEE = 0; 2 fino a 3.000; 3 fino a 6.000; 4 fino a 9.000; 5 fino a 12.000; \
         6 fino a 15.000; 7 fino a 20.000; 8 oltre 20.000 euro.",
        "^[1-8]$",
        false,
    ),
    Field {
        ty: FieldType::Integer,
        personal: true,
        ..field(
            "isee_household_members",
            "Componenti del nucleo ISEE",
            "Numero di componenti del nucleo ISEE, da 1 a 9 (NumeroComponentiISEE).",
        )
    },
    BENEFICIARY_RESIDENT,
];

pub(super) const PRESTAZIONE_SOCIALE: Entity = Entity {
    name: "prestazione_sociale",
    title: "Prestazione sociale",
    description:
        "Una prestazione sociale (contributo economico, servizio, inserimento in struttura) erogata dal \
                  comune a un beneficiario, come registrata nella Cartella Sociale.",
    ontology_class: None,
    fields: PRESTAZIONE_FIELDS,
    primary_key: &["comune_istat", "identifier"],
    partition_key: "comune_istat",
};

pub(super) const VALUTAZIONE_SINA: Entity = Entity {
    name: "valutazione_sina",
    title: "Valutazione SINA",
    description:
        "Una valutazione multidimensionale della non autosufficienza (SINA) di un beneficiario, tipicamente \
                  per l'assistenza domiciliare agli anziani.",
    ontology_class: None,
    fields: SINA_FIELDS,
    primary_key: &["comune_istat", "identifier"],
    partition_key: "comune_istat",
};

pub(super) const CASO_SINBA: Entity = Entity {
    name: "caso_sinba",
    title: "Caso SINBA",
    description:
        "Un minore (con la sua famiglia) preso in carico dal servizio sociale, con la valutazione richiesta \
                  dal SINBA.",
    ontology_class: None,
    fields: SINBA_FIELDS,
    primary_key: &["comune_istat", "identifier"],
    partition_key: "comune_istat",
};

pub(super) const ENTITIES: &[Entity] = &[PRESTAZIONE_SOCIALE, VALUTAZIONE_SINA, CASO_SINBA];
