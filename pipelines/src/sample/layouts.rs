//! The export layouts of the municipal software houses ("gestionali"), and
//! which comune uses which.
//!
//! A layout is what a gestionale's export looks like: file format and
//! encoding, title rows, column names and order, value codings, date
//! formats, how the address is written, and the extra columns nobody maps
//! (`ID_INTERNO`, `NOTE`, ...). Source definitions are rendered from layouts
//! ([`super::render_definition`]); the generator reads the definitions and
//! uses the layout only for what a definition cannot say (extra columns,
//! title text, address style).

use metrodati_interop::refdata::ComuneCm;
use metrodati_interop::validate::anagrafe::Target;

/// A column of an export, in the export's order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    /// A column mapped to a schema field.
    Map {
        target: Target,
        column: &'static str,
        /// Source value → schema value.
        values: &'static [(&'static str, &'static str)],
        date_format: Option<&'static str>,
    },
    /// A column the exports carry but the schema does not use.
    Extra { column: &'static str, kind: Extra },
}

/// Unmapped columns real exports carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extra {
    /// The software's internal record id.
    IdInterno,
    /// Free notes of the registry office, mostly empty.
    Note,
    /// Electoral section.
    Sezione,
    /// Municipio (Milano).
    Municipio,
    /// The comune's street code.
    CodVia,
    /// Row number in the file.
    Progr,
    /// Statistical zone.
    Zona,
}

/// How a layout writes a one-field address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressStyle {
    /// `VIA ROMA 12/A`
    Slash,
    /// `VIA ROMA, 12/A`
    CommaSlash,
    /// `VIA ROMA 12 A`
    Space,
}

/// An export layout.
#[derive(Debug)]
pub(crate) struct Layout {
    /// The gestionale (also written in the definition).
    pub gestionale: &'static str,
    /// Source name in the definition.
    pub source_name: &'static str,
    /// File name pattern, under `sample/anagrafe/<istat>/`.
    pub file_pattern: &'static str,
    /// The `read` inline table of the definition.
    pub read: &'static str,
    /// Columns, in export order.
    pub columns: &'static [Col],
    /// Title rows above the header; `{comune}` is replaced by the name,
    /// `{COMUNE}` by the name in upper case.
    pub titles: &'static [&'static str],
    pub address_style: AddressStyle,
    /// Probability that a UTF-8 CSV file of this layout starts with a BOM
    /// (the `utf8_bom` defect).
    pub utf8_bom: f64,
    /// Comment line for the definition header.
    pub summary: &'static str,
    /// The definition's `note` (for the first source of a comune).
    pub note: &'static str,
}

const fn map(target: Target, column: &'static str) -> Col {
    Col::Map {
        target,
        column,
        values: &[],
        date_format: None,
    }
}

const fn date(target: Target, column: &'static str, format: &'static str) -> Col {
    Col::Map {
        target,
        column,
        values: &[],
        date_format: Some(format),
    }
}

const fn coded(target: Target, column: &'static str, values: &'static [(&'static str, &'static str)]) -> Col {
    Col::Map {
        target,
        column,
        values,
        date_format: None,
    }
}

const fn extra(column: &'static str, kind: Extra) -> Col {
    Col::Extra { column, kind }
}

const SEX_12: &[(&str, &str)] = &[("1", "M"), ("2", "F")];

use Target as T;

const COLUMNS_A: &[Col] = &[
    extra("ID_INTERNO", Extra::IdInterno),
    map(T::RegisteredFamilyCode, "COD_FAMIGLIA"),
    map(T::ParentalRelationshipTypeCode, "REL_PARENTELA"),
    map(T::FamilyName, "COGNOME"),
    map(T::GivenName, "NOME"),
    map(T::SexId, "SESSO"),
    date(T::DateOfBirth, "DATA_NASCITA", "%d/%m/%Y"),
    map(T::BirthPlaceCode, "LUOGO_NASCITA"),
    map(T::TaxCode, "CODICE_FISCALE"),
    map(T::CitizenshipCode, "CITTADINANZA"),
    map(T::MaritalStatusCode, "STATO_CIVILE"),
    map(T::FullAddress, "INDIRIZZO"),
    map(T::PostCode, "CAP"),
    date(T::ResidenceStartDate, "DATA_ISCRIZIONE", "%d/%m/%Y"),
    extra("NOTE", Extra::Note),
];

const COLUMNS_B: &[Col] = &[
    map(T::TaxCode, "CODICE FISCALE"),
    map(T::FamilyName, "COGNOME"),
    map(T::GivenName, "NOME"),
    coded(T::SexId, "SESSO", SEX_12),
    date(T::DateOfBirth, "DATA NASCITA", "%d/%m/%Y"),
    map(T::BirthPlaceCode, "COD. CATASTALE NASCITA"),
    map(T::CitizenshipCode, "CITTADINANZA ISTAT"),
    map(T::MaritalStatusCode, "STATO CIVILE"),
    map(T::ResidentPersonId, "MATRICOLA"),
    map(T::RegisteredFamilyCode, "NUMERO FAMIGLIA"),
    map(T::ParentalRelationshipTypeCode, "RAPPORTO PARENTELA"),
    map(T::ToponymQualifier, "SPECIE"),
    map(T::OfficialStreetName, "DENOMINAZIONE"),
    map(T::StreetNumber, "CIVICO"),
    map(T::StreetNumberExponent, "ESPONENTE"),
    map(T::PostCode, "CAP"),
    date(T::ResidenceStartDate, "DATA DECORRENZA RESIDENZA", "%d/%m/%Y"),
    extra("SEZIONE", Extra::Sezione),
];

const COLUMNS_C: &[Col] = &[
    map(T::ResidentPersonId, "Id. soggetto"),
    map(T::RegisteredFamilyCode, "Codice famiglia"),
    map(T::FamilyName, "Cognome"),
    map(T::GivenName, "Nome"),
    map(T::TaxCode, "Codice fiscale"),
    map(T::SexId, "Sesso"),
    date(T::DateOfBirth, "Data di nascita", "%Y-%m-%d"),
    map(T::BirthPlaceCode, "Luogo di nascita (cod.)"),
    map(T::CitizenshipCode, "Cittadinanza"),
    map(T::MaritalStatusCode, "Stato civile"),
    map(T::ParentalRelationshipTypeCode, "Rapporto di parentela"),
    map(T::ToponymQualifier, "Toponimo"),
    map(T::OfficialStreetName, "Denominazione stradale"),
    map(T::StreetNumber, "N. civico"),
    map(T::StreetNumberExponent, "Barrato"),
    map(T::PostCode, "CAP"),
    date(T::ResidenceStartDate, "Residente dal", "%Y-%m-%d"),
    extra("Note", Extra::Note),
];

/// Gestionale D's own codes for the relationship to the head of family.
const RELATION_D: &[(&str, &str)] = &[
    ("IS", "1"),
    ("CG", "2"),
    ("FG", "3"),
    ("GE", "6"),
    ("CV", "23"),
    ("UC", "28"),
];
/// Gestionale D's own codes for the marital status.
const MARITAL_D: &[(&str, &str)] = &[
    ("CEL", "1"),
    ("CON", "2"),
    ("VED", "3"),
    ("DIV", "4"),
    ("UNC", "6"),
];

const COLUMNS_D: &[Col] = &[
    extra("PROGR", Extra::Progr),
    map(T::RegisteredFamilyCode, "N_FAM"),
    coded(T::ParentalRelationshipTypeCode, "PAR", RELATION_D),
    map(T::FamilyName, "COGNOME"),
    map(T::GivenName, "NOME"),
    coded(T::SexId, "SESSO", SEX_12),
    date(T::DateOfBirth, "NATO_IL", "%d-%m-%Y"),
    map(T::BirthPlaceCode, "CCAT_NASC"),
    map(T::TaxCode, "CF"),
    map(T::CitizenshipCode, "CITT"),
    coded(T::MaritalStatusCode, "S_CIV", MARITAL_D),
    map(T::FullAddress, "INDIRIZZO"),
    map(T::PostCode, "CAP"),
    date(T::ResidenceStartDate, "DATA_RES", "%d-%m-%Y"),
    extra("ZONA", Extra::Zona),
];

const COLUMNS_MILANO_PARQUET: &[Col] = &[
    map(T::TaxCode, "codice_fiscale"),
    map(T::FamilyName, "cognome"),
    map(T::GivenName, "nome"),
    map(T::SexId, "sesso"),
    map(T::DateOfBirth, "data_nascita"),
    map(T::BirthPlaceCode, "codice_luogo_nascita"),
    map(T::CitizenshipCode, "cittadinanza"),
    map(T::MaritalStatusCode, "stato_civile"),
    map(T::ResidentPersonId, "id_residente"),
    map(T::RegisteredFamilyCode, "codice_famiglia"),
    map(T::ParentalRelationshipTypeCode, "relazione_parentela"),
    map(T::ToponymQualifier, "specie_toponimo"),
    map(T::OfficialStreetName, "denominazione_toponimo"),
    map(T::StreetNumber, "numero_civico"),
    map(T::StreetNumberExponent, "esponente"),
    map(T::PostCode, "cap"),
    map(T::ResidenceStartDate, "data_decorrenza_residenza"),
    extra("municipio", Extra::Municipio),
];

const COLUMNS_MILANO_LEGACY: &[Col] = &[
    map(T::RegisteredFamilyCode, "NUM_FAM"),
    map(T::ParentalRelationshipTypeCode, "COD_PARENT"),
    map(T::TaxCode, "COD_FISC"),
    map(T::FamilyName, "COGNOME"),
    map(T::GivenName, "NOME"),
    coded(T::SexId, "SEX", SEX_12),
    date(T::DateOfBirth, "DATA_NASC", "%Y%m%d"),
    map(T::BirthPlaceCode, "LUOGO_NASC"),
    map(T::CitizenshipCode, "CITTAD"),
    map(T::MaritalStatusCode, "STATO_CIV"),
    extra("COD_VIA", Extra::CodVia),
    map(T::FullAddress, "INDIRIZZO"),
    map(T::PostCode, "CAP"),
    date(T::ResidenceStartDate, "DT_DECORR", "%Y%m%d"),
    extra("NOTE", Extra::Note),
];

pub(crate) const GESTIONALE_MILANO: &str = "Sistema anagrafico del Comune di Milano";

pub(crate) static MILANO_PARQUET: Layout = Layout {
    gestionale: GESTIONALE_MILANO,
    source_name: "residenti_municipi",
    file_pattern: "residenti_*.parquet",
    read: r#"{ format = "parquet" }"#,
    columns: COLUMNS_MILANO_PARQUET,
    titles: &[],
    address_style: AddressStyle::Slash,
    utf8_bom: 0.0,
    summary: "new system: Parquet per municipio, typed dates; \
              legacy system: UTF-8 CSV with `,`",
    note: "Dal 2024 il nuovo sistema anagrafico esporta i residenti in Parquet, un file per municipio \
           (residenti_municipio_1 … residenti_municipio_9), con date tipizzate. Le famiglie le cui pratiche \
           di migrazione dal vecchio sistema sono ancora aperte restano nel sistema legacy, che le estrae in \
           un CSV UTF-8 separato da virgole (sesso 1/2, date aaaammgg, indirizzo in un solo campo). Le due \
           fonti insieme coprono tutta la popolazione residente, senza sovrapposizioni.",
};

pub(crate) static MILANO_LEGACY: Layout = Layout {
    gestionale: GESTIONALE_MILANO,
    source_name: "pratiche_legacy",
    file_pattern: "legacy/pratiche_aperte_*.csv",
    read: r#"{ format = "csv", encoding = "utf-8", delimiter = ",", header_row = 1 }"#,
    columns: COLUMNS_MILANO_LEGACY,
    titles: &[],
    address_style: AddressStyle::Space,
    utf8_bom: 1.0,
    summary: "",
    note: "",
};

pub(crate) static LAYOUT_A: Layout = Layout {
    gestionale: "Gestionale A",
    source_name: "residenti",
    file_pattern: "ANAGRAFE_*.csv",
    read: r#"{ format = "csv", encoding = "windows-1252", delimiter = ";", header_row = 1 }"#,
    columns: COLUMNS_A,
    titles: &[],
    address_style: AddressStyle::Slash,
    utf8_bom: 0.0,
    summary: "CSV, windows-1252, `;`, dates dd/mm/yyyy, address in one field",
    note:
        "Estrazione CSV del gestionale A (windows-1252, separatore ';', date gg/mm/aaaa). \
           L'indirizzo è in un solo campo (es. VIA ROMA 12/A); le colonne ID_INTERNO e NOTE non sono mappate.",
};

pub(crate) static LAYOUT_B: Layout = Layout {
    gestionale: "Gestionale B",
    source_name: "residenti",
    file_pattern: "export_residenti_*.csv",
    read: r#"{ format = "csv", encoding = "windows-1252", delimiter = ";", header_row = 1 }"#,
    columns: COLUMNS_B,
    titles: &[],
    address_style: AddressStyle::Slash,
    // Same software as the UTF-8 release: its lookup (by gestionale and
    // source name) finds this layout for both.
    utf8_bom: 0.5,
    summary: "CSV, windows-1252, `;`, sex 1/2, address in DUG/street/number/exponent",
    note:
        "Export \"elenco residenti\" del gestionale B (windows-1252, separatore ';'): sesso codificato 1/2, \
           indirizzo in specie, denominazione, civico ed esponente; la colonna SEZIONE non è mappata.",
};

pub(crate) static LAYOUT_B_UTF8: Layout = Layout {
    gestionale: "Gestionale B",
    source_name: "residenti",
    file_pattern: "export_residenti_*.csv",
    read: r#"{ format = "csv", encoding = "utf-8", delimiter = ";", header_row = 1 }"#,
    columns: COLUMNS_B,
    titles: &[],
    address_style: AddressStyle::Slash,
    utf8_bom: 0.5,
    summary: "recent release: CSV in UTF-8, `;`, sex 1/2, address in DUG/street/number/exponent",
    note: "Export \"elenco residenti\" della versione recente del gestionale B, in UTF-8 (a volte con BOM), \
           separatore ';': sesso codificato 1/2, indirizzo in specie, denominazione, civico ed esponente.",
};

pub(crate) static LAYOUT_C: Layout = Layout {
    gestionale: "Gestionale C",
    source_name: "residenti",
    file_pattern: "residenti_*.xlsx",
    read: r#"{ format = "xlsx", sheet = "Residenti", header_row = 3 }"#,
    columns: COLUMNS_C,
    titles: &["Comune di {comune} - Servizi demografici - Elenco della popolazione residente"],
    address_style: AddressStyle::Slash,
    utf8_bom: 0.0,
    summary: "XLSX, header on row 3 below a title row and a blank row, dates yyyy-mm-dd",
    note: "Foglio Excel del gestionale C, foglio \"Residenti\": una riga di titolo e una vuota sopra i nomi \
           delle colonne (intestazione alla riga 3), date aaaa-mm-gg come testo, file paginati \
           (residenti_parte_1, residenti_parte_2, ...).",
};

pub(crate) static LAYOUT_D: Layout = Layout {
    gestionale: "Gestionale D",
    source_name: "residenti",
    file_pattern: "ELENCO_RESIDENTI_*.ods",
    read: r#"{ format = "ods", header_row = "auto" }"#,
    columns: COLUMNS_D,
    titles: &[
        "COMUNE DI {COMUNE}",
        "ANAGRAFE DELLA POPOLAZIONE - ELENCO RESIDENTI PER FAMIGLIA",
    ],
    address_style: AddressStyle::CommaSlash,
    utf8_bom: 0.0,
    summary: "legacy ODS, two title rows above the header, own codes for relation and marital status",
    note: "Export legacy in OpenDocument del gestionale D: due righe di titolo sopra l'intestazione, codici \
           propri per rapporto di parentela (IS, CG, FG, ...) e stato civile (CEL, CON, ...), ricodificati \
           qui; date gg-mm-aaaa; indirizzo in un solo campo (es. VIA ROMA, 12/A).",
};

/// All layouts, for lookups by gestionale and source name.
pub(crate) static ALL: &[&Layout] = &[
    &MILANO_PARQUET,
    &MILANO_LEGACY,
    &LAYOUT_A,
    &LAYOUT_B,
    &LAYOUT_B_UTF8,
    &LAYOUT_C,
    &LAYOUT_D,
];

/// FNV-1a, for stable assignments that do not depend on list positions.
pub(crate) fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The layouts of a comune's sources, in definition order.
///
/// Milano has its own two systems. The other 132 comuni are spread over
/// the four gestionali by a stable hash of the ISTAT code (so adding a
/// comune moves nobody): 60 use A (CSV), 33 B (CSV; 4 of them on its UTF-8
/// release), 24 C (XLSX) and 15 D (ODS).
pub(crate) fn layouts_of(comune: &ComuneCm) -> Vec<&'static Layout> {
    if comune.codice_istat == "015146" {
        return vec![&MILANO_PARQUET, &MILANO_LEGACY];
    }
    let h = fnv1a(&comune.codice_istat);
    let layout = match h % 20 {
        0..=2 => &LAYOUT_D,
        3..=6 => &LAYOUT_C,
        7..=12 if (h / 20).is_multiple_of(3) => &LAYOUT_B_UTF8,
        7..=12 => &LAYOUT_B,
        _ => &LAYOUT_A,
    };
    vec![layout]
}

/// The layout a source of a definition was rendered from, if any.
pub(crate) fn find(gestionale: Option<&str>, source_name: &str) -> Option<&'static Layout> {
    let g = gestionale?;
    ALL.iter()
        .copied()
        .find(|l| l.gestionale == g && l.source_name == source_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrodati_interop::refdata;

    #[test]
    fn every_gestionale_is_used_and_csv_is_the_majority() {
        let mut count = [0usize; 7];
        for c in refdata::comuni_cm() {
            for l in layouts_of(c) {
                count[ALL.iter().position(|x| std::ptr::eq(*x, l)).unwrap()] += 1;
            }
        }
        // Milano ×2, A, B, B UTF-8, C, D (as documented on layouts_of).
        assert_eq!(count, [1, 1, 60, 29, 4, 24, 15]);
        let csv = count[1] + count[2] + count[3] + count[4];
        assert!(csv > 133 / 2);
    }

    #[test]
    fn layouts_map_every_required_field_once() {
        for l in ALL {
            let mut seen = Vec::new();
            for c in l.columns {
                if let Col::Map { target, .. } = c {
                    assert!(!seen.contains(target), "{} maps {target:?} twice", l.gestionale);
                    seen.push(*target);
                }
            }
            assert!(seen.contains(&Target::TaxCode) && seen.contains(&Target::RegisteredFamilyCode));
            assert!(seen.contains(&Target::FullAddress) || seen.contains(&Target::OfficialStreetName));
        }
    }
}
