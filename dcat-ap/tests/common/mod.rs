//! Realistic sample catalogue of the Città metropolitana di Milano, shared by
//! the golden-file and SHACL tests.
//!
//! Assumptions, to be verified before publication:
//! * `cmmi` as IPA code of the Città metropolitana di Milano is a placeholder
//!   (no source for the real code was available);
//! * `c_f205` for the Comune di Milano follows the `c_<codice catastale>`
//!   pattern reported in dcat-ap-it.md §1.3 — unverified against IndicePA;
//! * the base IRI, landing pages, download URLs and e-mail addresses are
//!   illustrative;
//! * GeoNames 3173435 is Milano (the city).  No GeoNames id for the
//!   metropolitan city was verified, so the population dataset uses a
//!   name-only `dct:Location`.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate};
use metrodati_dcat_ap::*;

pub const BASE: &str = "https://dati.cittametropolitana.mi.it/";

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub fn cm_milano() -> Agent {
    Agent::new("cmmi", "Città metropolitana di Milano")
}

pub fn comune_milano() -> Agent {
    Agent::new("c_f205", "Comune di Milano")
}

pub fn popolazione() -> DatasetBuilder {
    Dataset::builder()
        .identifier("cmmi:popolazione-residente-comune-sesso-eta")
        .title("it", "Popolazione residente per comune, sesso e classe di età")
        .title("en", "Resident population by municipality, sex and age group")
        .description(
            "it",
            "Popolazione residente al 1° gennaio nei 133 comuni della Città metropolitana di \
             Milano, per sesso e classe di età quinquennale (\"0-4\", \"5-9\", …, \"100 e più\").\n\
             Fonte: anagrafi comunali; i totali sono la somma delle classi.",
        )
        .description(
            "en",
            "Resident population on 1 January in the 133 municipalities of the Metropolitan City \
             of Milan, by sex and five-year age group.",
        )
        .modified(date(2025, 2, 3))
        .issued(date(2025, 1, 15))
        .theme(DataTheme::Soci)
        .theme(DataTheme::Regi)
        // EuroVoc 2816 "demografia e popolazione" (AgID mapping, theme SOCI).
        .subject(EuroVoc(100210))
        .rights_holder(cm_milano())
        .publisher(cm_milano())
        .contact_point(ContactPoint::new(
            "Città metropolitana di Milano - Servizio Statistica e Open Data",
            "opendata@cittametropolitana.mi.it",
        ))
        .accrual_periodicity(Frequency::Annual)
        .keyword("it", "popolazione")
        .keyword("it", "demografia")
        .keyword("it", "classi di età")
        .keyword("it", "residenti")
        .keyword("en", "population")
        .spatial(Spatial::Named(LangString::it("Città metropolitana di Milano")))
        .temporal(PeriodOfTime::between(date(2019, 1, 1), date(2025, 1, 1)))
        .language(Language::Ita)
        .landing_page(format!(
            "{BASE}dataset/cmmi/popolazione-residente-comune-sesso-eta"
        ))
        .distribution(
            Distribution::builder("csv")
                .title("it", "Popolazione residente 2019-2025 (CSV)")
                .description(
                    "it",
                    "CSV UTF-8 separato da virgole, una riga per comune, anno, sesso e classe di età.",
                )
                .access_url(format!(
                    "{BASE}dataset/cmmi/popolazione-residente-comune-sesso-eta"
                ))
                .download_url(format!(
                    "{BASE}files/cmmi/popolazione_residente_comune_sesso_eta.csv"
                ))
                .format(FileType::Csv)
                .license(Licence::CcBy40)
                .byte_size(1_482_113)
                .modified(DateTime::parse_from_rfc3339("2025-02-03T02:30:00+01:00").expect("valid")),
        )
        .distribution(
            Distribution::builder("xlsx")
                .title("it", "Popolazione residente 2019-2025 (XLSX)")
                .access_url(format!(
                    "{BASE}dataset/cmmi/popolazione-residente-comune-sesso-eta"
                ))
                .download_url(format!(
                    "{BASE}files/cmmi/popolazione_residente_comune_sesso_eta.xlsx"
                ))
                .format(FileType::Xlsx)
                .license(Licence::CcBy40)
                .byte_size(904_332),
        )
}

pub fn stradario() -> DatasetBuilder {
    Dataset::builder()
        .identifier("c_f205:stradario")
        .title("it", "Toponomastica: stradario")
        .title("en", "Street names: street gazetteer")
        .description(
            "it",
            "Elenco delle aree di circolazione del Comune di Milano con codice via, denominazione \
             urbanistica generica (DUG) e denominazione ufficiale (DUF), allineato all'Archivio \
             nazionale dei numeri civici e delle strade urbane (ANNCSU).",
        )
        .modified(date(2025, 2, 10))
        .issued(date(2024, 6, 1))
        .theme(DataTheme::Regi)
        .theme(DataTheme::Tran)
        .rights_holder(comune_milano())
        .publisher(cm_milano())
        .contact_point(ContactPoint::new(
            "Comune di Milano - Ufficio Toponomastica",
            "toponomastica@comune.milano.it",
        ))
        .accrual_periodicity(Frequency::Weekly)
        .keyword("it", "toponomastica")
        .keyword("it", "stradario")
        .keyword("it", "vie")
        .keyword("it", "ANNCSU")
        .keyword("en", "street names")
        .spatial(Spatial::GeoNames(3_173_435))
        .conforms_to(Standard::new("https://w3id.org/italia/onto/CLV", "CLV-AP_IT"))
        .language(Language::Ita)
        .distribution(
            Distribution::builder("csv")
                .title("it", "Stradario (CSV)")
                .access_url(format!("{BASE}dataset/c_f205/stradario"))
                .download_url(format!("{BASE}files/c_f205/stradario.csv"))
                .format(FileType::Csv)
                .license(Licence::CcBy40)
                .byte_size(612_870)
                .modified(date(2025, 2, 10)),
        )
        .distribution(
            Distribution::builder("json")
                .title("it", "Stradario (JSON)")
                .access_url(format!("{BASE}dataset/c_f205/stradario"))
                .download_url(format!("{BASE}files/c_f205/stradario.json"))
                .format(FileType::Json)
                .license(Licence::CcBy40)
                .byte_size(1_908_455)
                .modified(date(2025, 2, 10)),
        )
}

pub fn catalog_builder() -> CatalogBuilder {
    Catalog::builder()
        .base_iri(BASE)
        .title(
            "it",
            "Catalogo dei dati aperti della Città metropolitana di Milano",
        )
        .title("en", "Open data catalogue of the Metropolitan City of Milan")
        .description(
            "it",
            "Dati aperti della Città metropolitana di Milano e dei suoi 133 comuni, \
             pubblicati secondo il profilo DCAT-AP_IT.",
        )
        .publisher(cm_milano())
        .modified(date(2025, 2, 10))
        .issued(date(2025, 1, 15))
        .homepage(BASE)
        .language(Language::Ita)
        .language(Language::Eng)
}

pub fn sample_catalog() -> Catalog {
    catalog_builder()
        .dataset(popolazione())
        .dataset(stradario())
        .build()
        .unwrap_or_else(|e| panic!("sample catalogue must be valid: {e}"))
}

/// `$METRODATI_SPECS`, or `shared/specs` next to the workspace.
pub fn specs_dir() -> std::path::PathBuf {
    match std::env::var_os("METRODATI_SPECS") {
        Some(p) => p.into(),
        None => concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs").into(),
    }
}
