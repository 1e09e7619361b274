//! The export layouts of the Cartella Sociale software ("cartelle"), and
//! which comune uses which: like [`super::layouts`] for the anagrafe.
//!
//! | Cartella | Format | Sources |
//! |---|---|---|
//! | A (about two thirds of the comuni, Milano included) | CSV windows-1252, `;`, decimal comma with `.` thousands (`1.234,50`), dates `dd/mm/yyyy` | one prestazioni file with a `MODULO` column (coded `SEGR`, `REDD`, …), one SINA file, one SINBA file (first report `MM/AAAA`) |
//! | B (one third) | XLSX with a title row above the header, typed numbers, ISO dates | one workbook per area: economic contributions (module `sostegno_reddito`), home care (`assistenza_domiciliare`), other interventions with an `Area` column of Italian labels; one SINA and one SINBA workbook; no column for the character of the benefit (inferred from the dates) |

use super::layouts::fnv1a;
use metrodati_interop::refdata::ComuneCm;
use metrodati_interop::validate::sociale::{Kind, Target};

/// A column of an export, in the export's order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SCol {
    Map {
        target: Target,
        column: &'static str,
        values: &'static [(&'static str, &'static str)],
        date_format: Option<&'static str>,
    },
    /// A column the exports carry but the schema does not use.
    Extra { column: &'static str, kind: SExtra },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SExtra {
    /// The social worker who registered the row.
    Operatore,
    /// Free notes, mostly empty.
    Note,
}

/// A Cartella Sociale export.
#[derive(Debug)]
pub(crate) struct SocialLayout {
    pub source_name: &'static str,
    pub kind: Kind,
    /// The module of every row, for exports of one module.
    pub module: Option<&'static str>,
    /// File name pattern, under `sample/sociale/<istat>/`.
    pub file_pattern: &'static str,
    /// The `read` inline table of the definition.
    pub read: &'static str,
    pub columns: &'static [SCol],
    /// Title rows above the header (`{comune}` is replaced by the name).
    pub titles: &'static [&'static str],
}

/// A Cartella Sociale product: its exports.
#[derive(Debug)]
pub(crate) struct Cartella {
    pub name: &'static str,
    pub summary: &'static str,
    pub sources: &'static [&'static SocialLayout],
}

const fn map(target: Target, column: &'static str) -> SCol {
    SCol::Map {
        target,
        column,
        values: &[],
        date_format: None,
    }
}

const fn date(target: Target, column: &'static str, format: &'static str) -> SCol {
    SCol::Map {
        target,
        column,
        values: &[],
        date_format: Some(format),
    }
}

const fn coded(
    target: Target,
    column: &'static str,
    values: &'static [(&'static str, &'static str)],
) -> SCol {
    SCol::Map {
        target,
        column,
        values,
        date_format: None,
    }
}

const fn extra(column: &'static str, kind: SExtra) -> SCol {
    SCol::Extra { column, kind }
}

use Target as S;

const MODULI_A: &[(&str, &str)] = &[
    ("SEGR", "segretariato_sociale"),
    ("REDD", "sostegno_reddito"),
    ("STRA", "accoglienza_stranieri"),
    ("INCL", "inclusione_attiva"),
    ("DOMI", "assistenza_domiciliare"),
    ("RESI", "servizi_residenziali"),
    ("MINO", "minori_famiglie"),
];
const CARATTERE_A: &[(&str, &str)] = &[("P", "1"), ("U", "2")];
const SI_NO_A: &[(&str, &str)] = &[("S", "1"), ("N", "2")];
const CSV_A: &str = r#"{ format = "csv", encoding = "windows-1252", delimiter = ";", header_row = 1, decimal_comma = true, thousands_separator = "." }"#;
const DMY: &str = "%d/%m/%Y";

const PRESTAZIONI_A_COLUMNS: &[SCol] = &[
    map(S::Identifier, "ID_EROGAZIONE"),
    map(S::TaxCode, "CODICE_FISCALE"),
    coded(S::Module, "MODULO", MODULI_A),
    map(S::ServiceCode, "COD_PRESTAZIONE"),
    map(S::ServiceName, "DESCRIZIONE"),
    coded(S::BenefitCharacter, "CARATTERE", CARATTERE_A),
    map(S::MeansTest, "PROVA_MEZZI"),
    map(S::ApplicationProtocol, "PROT_DOMANDA"),
    map(S::DsuProtocol, "PROT_DSU"),
    map(S::DsuYear, "ANNO_DSU"),
    date(S::DsuDate, "DATA_DSU", DMY),
    date(S::EventDate, "DATA_EVENTO", DMY),
    date(S::StartDate, "DATA_INIZIO", DMY),
    date(S::EndDate, "DATA_FINE", DMY),
    date(S::DeliveryDate, "DATA_EROGAZIONE", DMY),
    map(S::Amount, "IMPORTO"),
    map(S::MonthlyAmount, "IMPORTO_MENSILE"),
    map(S::Months, "N_MESI"),
    map(S::EntityShare, "QUOTA_ENTE"),
    map(S::UserShare, "QUOTA_UTENTE"),
    map(S::HealthServiceShare, "QUOTA_SSN"),
    map(S::MonthlyHours, "ORE_MESE"),
    coded(S::TakenInCharge, "PRESA_IN_CARICO", SI_NO_A),
    map(S::UserArea, "AREA_UTENZA"),
    extra("OPERATORE", SExtra::Operatore),
    extra("NOTE", SExtra::Note),
];

const SINA_A_COLUMNS: &[SCol] = &[
    map(S::Identifier, "ID_VALUTAZIONE"),
    map(S::TaxCode, "CODICE_FISCALE"),
    date(S::AssessmentDate, "DATA_VALUTAZIONE", DMY),
    map(S::ServiceIdentifier, "ID_EROGAZIONE"),
    map(S::Mobility, "MOBILITA"),
    map(S::DailyLivingActivities, "ADL"),
    map(S::CognitiveDisorders, "DISTURBI_COGNITIVI"),
    map(S::BehaviouralDisorders, "DISTURBI_COMPORTAMENTALI"),
    map(S::HealthCareNeeds, "CURE_SANITARIE"),
    map(S::IncomeArea, "AREA_REDDITUALE"),
    map(S::SupportNetwork, "AREA_SUPPORTO"),
    map(S::AssessmentSource, "FONTE_VALUTAZIONE"),
    map(S::AssessmentTool, "STRUMENTO"),
    map(S::DisabilitySource, "FONTE_INVALIDITA"),
    map(S::CivilInvalidity, "INVALIDITA_CIVILE"),
    map(S::NeededServices, "INTERVENTI_NECESSARI"),
    extra("OPERATORE", SExtra::Operatore),
];

const SINBA_A_COLUMNS: &[SCol] = &[
    map(S::Identifier, "ID_CASO"),
    map(S::TaxCode, "CF_MINORE"),
    date(S::CaseOpenDate, "DATA_PRESA_IN_CARICO", DMY),
    date(S::CaseCloseDate, "DATA_CHIUSURA", DMY),
    date(S::FirstReportDate, "PRIMA_SEGNALAZIONE", "%m/%Y"),
    map(S::ReportSource, "FONTE_SEGNALAZIONE"),
    map(S::UnaccompaniedForeignMinor, "MSNA"),
    map(S::MinorCondition, "CONDIZIONE_MINORE"),
    map(S::LivingPlace, "LUOGO_VITA"),
    map(S::SchoolAttended, "SCUOLA"),
    map(S::WorkCondition, "CONDIZIONE_LAVORO"),
    map(S::Disability, "DISABILITA"),
    map(S::MinorAssessment, "VALUTAZIONE_MINORE"),
    map(S::FamilyAssessment, "VALUTAZIONE_FAMIGLIA"),
    map(S::JudicialReport, "SEGNALAZIONE_AG"),
    map(S::JudicialMeasure, "PROVVEDIMENTO_AG"),
    date(S::JudicialMeasureDate, "DATA_PROVVEDIMENTO", DMY),
    map(S::ClosingReason, "MOTIVO_CHIUSURA"),
    map(S::Services, "PRESTAZIONI"),
    map(S::FamilyComposition, "NUCLEO"),
    map(S::IseeBand, "FASCIA_ISEE"),
    map(S::IseeHouseholdMembers, "COMPONENTI_ISEE"),
    extra("OPERATORE", SExtra::Operatore),
];

pub(crate) static PRESTAZIONI_A: SocialLayout = SocialLayout {
    source_name: "prestazioni",
    kind: Kind::Prestazioni,
    module: None,
    file_pattern: "CS_PRESTAZIONI_*.csv",
    read: CSV_A,
    columns: PRESTAZIONI_A_COLUMNS,
    titles: &[],
};

pub(crate) static SINA_A: SocialLayout = SocialLayout {
    source_name: "valutazioni_sina",
    kind: Kind::Sina,
    module: None,
    file_pattern: "CS_SINA_*.csv",
    read: CSV_A,
    columns: SINA_A_COLUMNS,
    titles: &[],
};

pub(crate) static SINBA_A: SocialLayout = SocialLayout {
    source_name: "casi_sinba",
    kind: Kind::Sinba,
    module: None,
    file_pattern: "CS_SINBA_*.csv",
    read: CSV_A,
    columns: SINBA_A_COLUMNS,
    titles: &[],
};

const YMD: &str = "%Y-%m-%d";
const SI_NO_B: &[(&str, &str)] = &[("Sì", "1"), ("No", "2")];
const AREE_B: &[(&str, &str)] = &[
    ("Segretariato sociale", "segretariato_sociale"),
    ("Contributi di sostegno al reddito", "sostegno_reddito"),
    ("Accoglienza stranieri", "accoglienza_stranieri"),
    ("Inclusione attiva", "inclusione_attiva"),
    ("Assistenza domiciliare", "assistenza_domiciliare"),
    ("Servizi residenziali", "servizi_residenziali"),
    ("Minori e famiglie", "minori_famiglie"),
];

macro_rules! prestazioni_b {
    ($($extra:expr,)*) => {
        &[
            map(S::Identifier, "N. pratica"),
            map(S::TaxCode, "Codice fiscale"),
            $($extra,)*
            map(S::ServiceCode, "Codice INPS"),
            map(S::ServiceName, "Prestazione"),
            map(S::MeansTest, "Prova dei mezzi"),
            map(S::ApplicationProtocol, "Protocollo domanda"),
            map(S::DsuProtocol, "Protocollo DSU"),
            map(S::DsuYear, "Anno DSU"),
            date(S::DsuDate, "Data DSU", YMD),
            date(S::EventDate, "Data evento", YMD),
            date(S::StartDate, "Data inizio", YMD),
            date(S::EndDate, "Data fine", YMD),
            date(S::DeliveryDate, "Data erogazione", YMD),
            map(S::Amount, "Importo"),
            map(S::MonthlyAmount, "Importo mensile"),
            map(S::Months, "Mesi"),
            map(S::EntityShare, "Quota ente"),
            map(S::UserShare, "Quota utente"),
            map(S::HealthServiceShare, "Quota SSN"),
            map(S::MonthlyHours, "Ore mensili"),
            coded(S::TakenInCharge, "Presa in carico", SI_NO_B),
            map(S::UserArea, "Area utenza"),
            extra("Assistente sociale", SExtra::Operatore),
        ]
    };
}

const PRESTAZIONI_B_COLUMNS: &[SCol] = prestazioni_b!();
const INTERVENTI_B_COLUMNS: &[SCol] = prestazioni_b!(coded(S::Module, "Area", AREE_B),);

const SINA_B_COLUMNS: &[SCol] = &[
    map(S::Identifier, "N. valutazione"),
    map(S::TaxCode, "Codice fiscale"),
    date(S::AssessmentDate, "Data valutazione", YMD),
    map(S::ServiceIdentifier, "N. pratica"),
    map(S::Mobility, "Mobilità"),
    map(S::DailyLivingActivities, "Attività vita quotidiana"),
    map(S::CognitiveDisorders, "Disturbi cognitivi"),
    map(S::BehaviouralDisorders, "Disturbi comportamentali"),
    map(S::HealthCareNeeds, "Necessità cure sanitarie"),
    map(S::IncomeArea, "Area reddituale"),
    map(S::SupportNetwork, "Area supporto"),
    map(S::AssessmentSource, "Fonte valutazione"),
    map(S::AssessmentTool, "Strumento"),
    map(S::DisabilitySource, "Fonte invalidità"),
    map(S::CivilInvalidity, "Invalidità civile"),
    map(S::NeededServices, "Interventi necessari"),
];

const SINBA_B_COLUMNS: &[SCol] = &[
    map(S::Identifier, "N. cartella minore"),
    map(S::TaxCode, "Codice fiscale minore"),
    date(S::CaseOpenDate, "Presa in carico", YMD),
    date(S::CaseCloseDate, "Chiusura", YMD),
    date(S::FirstReportDate, "Prima segnalazione", "%m/%Y"),
    map(S::ReportSource, "Fonte segnalazione"),
    map(S::UnaccompaniedForeignMinor, "Minore straniero non accompagnato"),
    map(S::MinorCondition, "Condizione minore"),
    map(S::LivingPlace, "Luogo di vita"),
    map(S::SchoolAttended, "Scuola frequentata"),
    map(S::WorkCondition, "Condizione lavorativa"),
    map(S::Disability, "Disabilità"),
    map(S::MinorAssessment, "Valutazione minore"),
    map(S::FamilyAssessment, "Valutazione famiglia"),
    map(S::JudicialReport, "Segnalazione A.G."),
    map(S::JudicialMeasure, "Provvedimento A.G."),
    date(S::JudicialMeasureDate, "Data provvedimento", YMD),
    map(S::ClosingReason, "Motivo chiusura"),
    map(S::Services, "Prestazioni"),
    map(S::FamilyComposition, "Composizione nucleo"),
    map(S::IseeBand, "Fascia ISEE"),
    map(S::IseeHouseholdMembers, "Componenti ISEE"),
];

const TITLE_B: &[&str] = &["Comune di {comune} - Cartella sociale informatizzata - estrazione"];

pub(crate) static CONTRIBUTI_B: SocialLayout = SocialLayout {
    source_name: "contributi_economici",
    kind: Kind::Prestazioni,
    module: Some("sostegno_reddito"),
    file_pattern: "contributi_economici_*.xlsx",
    read: r#"{ format = "xlsx", sheet = "Erogazioni", header_row = 2 }"#,
    columns: PRESTAZIONI_B_COLUMNS,
    titles: TITLE_B,
};

pub(crate) static DOMICILIARITA_B: SocialLayout = SocialLayout {
    source_name: "assistenza_domiciliare",
    kind: Kind::Prestazioni,
    module: Some("assistenza_domiciliare"),
    file_pattern: "assistenza_domiciliare_*.xlsx",
    read: r#"{ format = "xlsx", sheet = "Erogazioni", header_row = 2 }"#,
    columns: PRESTAZIONI_B_COLUMNS,
    titles: TITLE_B,
};

pub(crate) static INTERVENTI_B: SocialLayout = SocialLayout {
    source_name: "altri_interventi",
    kind: Kind::Prestazioni,
    module: None,
    file_pattern: "interventi_*.xlsx",
    read: r#"{ format = "xlsx", sheet = "Erogazioni", header_row = 2 }"#,
    columns: INTERVENTI_B_COLUMNS,
    titles: TITLE_B,
};

pub(crate) static SINA_B: SocialLayout = SocialLayout {
    source_name: "valutazioni_sina",
    kind: Kind::Sina,
    module: None,
    file_pattern: "valutazioni_sina_*.xlsx",
    read: r#"{ format = "xlsx", sheet = "SINA", header_row = 2 }"#,
    columns: SINA_B_COLUMNS,
    titles: TITLE_B,
};

pub(crate) static SINBA_B: SocialLayout = SocialLayout {
    source_name: "minori_sinba",
    kind: Kind::Sinba,
    module: None,
    file_pattern: "minori_sinba_*.xlsx",
    read: r#"{ format = "xlsx", sheet = "SINBA", header_row = 2 }"#,
    columns: SINBA_B_COLUMNS,
    titles: TITLE_B,
};

pub(crate) static CARTELLA_A: Cartella = Cartella {
    name: "Cartella Sociale A",
    summary: "CSV windows-1252 `;`, amounts with decimal comma (1.234,50), one file of prestazioni with a module column",
    sources: &[&PRESTAZIONI_A, &SINA_A, &SINBA_A],
};

pub(crate) static CARTELLA_B: Cartella = Cartella {
    name: "Cartella Sociale B",
    summary: "XLSX with a title row, typed amounts, one workbook per area",
    sources: &[&CONTRIBUTI_B, &DOMICILIARITA_B, &INTERVENTI_B, &SINA_B, &SINBA_B],
};

static ALL: &[&SocialLayout] = &[
    &PRESTAZIONI_A,
    &SINA_A,
    &SINBA_A,
    &CONTRIBUTI_B,
    &DOMICILIARITA_B,
    &INTERVENTI_B,
    &SINA_B,
    &SINBA_B,
];

/// The Cartella Sociale of a comune: a stable hash of the ISTAT code (not
/// the anagrafe's), Milano on A.
pub(crate) fn cartella_of(comune: &ComuneCm) -> &'static Cartella {
    if comune.codice_istat == "015146" {
        return &CARTELLA_A;
    }
    if fnv1a(&format!("cartella/{}", comune.codice_istat)).is_multiple_of(3) {
        &CARTELLA_B
    } else {
        &CARTELLA_A
    }
}

/// The layout a `[[sociale]]` source was rendered from, if any: same name,
/// kind and file pattern.
pub(crate) fn find(source_name: &str, kind: Kind, url: &str) -> Option<&'static SocialLayout> {
    ALL.iter()
        .copied()
        .find(|l| l.source_name == source_name && l.kind == kind && url.ends_with(l.file_pattern))
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrodati_interop::refdata;

    #[test]
    fn both_cartelle_are_used() {
        let b = refdata::comuni_cm()
            .iter()
            .filter(|c| std::ptr::eq(cartella_of(c), &CARTELLA_B))
            .count();
        assert!((30..60).contains(&b), "{b}");
    }

    #[test]
    fn layouts_map_what_their_kind_requires() {
        for l in ALL {
            let mapped: Vec<Target> = l
                .columns
                .iter()
                .filter_map(|c| match c {
                    SCol::Map { target, .. } => Some(*target),
                    SCol::Extra { .. } => None,
                })
                .collect();
            for t in &mapped {
                assert!(l.kind.accepts(*t), "{}: {t:?}", l.source_name);
                assert_eq!(mapped.iter().filter(|x| *x == t).count(), 1, "{t:?} twice");
            }
            for t in l.kind.required() {
                assert!(mapped.contains(&t), "{} lacks {t:?}", l.source_name);
            }
            assert_eq!(
                l.module.is_some() || mapped.contains(&Target::Module),
                l.kind == Kind::Prestazioni
            );
        }
    }
}
