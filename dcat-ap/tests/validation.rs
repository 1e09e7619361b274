//! Builder validation: every missing mandatory property and every invalid
//! value is reported, all in one error.

mod common;

use std::collections::BTreeSet;

use common::{cm_milano, comune_milano, date};
use metrodati_dcat_ap::*;

fn missing_set(e: &ValidationError) -> BTreeSet<(String, &'static str)> {
    e.missing().map(|i| (i.path.clone(), i.property)).collect()
}

fn invalid_props(e: &ValidationError) -> Vec<(String, &'static str, String)> {
    e.issues()
        .iter()
        .filter_map(|i| match &i.kind {
            IssueKind::Invalid(m) => Some((i.path.clone(), i.property, m.clone())),
            IssueKind::Missing => None,
        })
        .collect()
}

fn set(items: &[(&str, &'static str)]) -> BTreeSet<(String, &'static str)> {
    items.iter().map(|(p, q)| (p.to_string(), *q)).collect()
}

#[test]
fn empty_catalogue_lists_all_catalogue_obligations() {
    let err = Catalog::builder().build().unwrap_err();
    assert_eq!(
        missing_set(&err),
        set(&[
            ("catalog", "base IRI"),
            ("catalog", "dct:title"),
            ("catalog", "dct:description"),
            ("catalog", "dct:publisher"),
            ("catalog", "dct:modified"),
            ("catalog", "dcat:dataset"),
        ])
    );
    assert_eq!(err.issues().len(), 6);
}

#[test]
fn nested_missing_properties_are_collected_in_one_error() {
    let err = common::catalog_builder()
        .dataset(common::stradario())
        .dataset(Dataset::builder().distribution(Distribution::builder("csv")))
        .dataset(
            Dataset::builder()
                .identifier("cmmi:senza-distribuzioni")
                .title("it", "Senza distribuzioni"),
        )
        .build()
        .unwrap_err();

    let d2 = "catalog > dataset #2";
    let d3 = "catalog > dataset \"cmmi:senza-distribuzioni\"";
    let dist = "catalog > dataset #2 > distribution \"csv\"";
    assert_eq!(
        missing_set(&err),
        set(&[
            (d2, "dct:identifier"),
            (d2, "dct:title"),
            (d2, "dct:description"),
            (d2, "dct:modified"),
            (d2, "dcat:theme"),
            (d2, "dct:rightsHolder"),
            (d2, "dct:accrualPeriodicity"),
            (dist, "dcat:accessURL"),
            (dist, "dct:format"),
            (dist, "dct:license"),
            (d3, "dct:description"),
            (d3, "dct:modified"),
            (d3, "dcat:theme"),
            (d3, "dct:rightsHolder"),
            (d3, "dct:accrualPeriodicity"),
            (d3, "dcat:distribution"),
        ])
    );
    assert!(invalid_props(&err).is_empty(), "{err}");

    let text = err.to_string();
    assert!(text.starts_with("DCAT-AP_IT validation failed: 16 issue(s), 16 missing mandatory properties"));
    assert!(text.contains("\n  - catalog > dataset #2 > distribution \"csv\": missing mandatory dct:license"));
}

#[test]
fn standalone_builders_report_their_own_paths() {
    let err = Distribution::builder("csv")
        .format(FileType::Csv)
        .build()
        .unwrap_err();
    assert_eq!(
        missing_set(&err),
        set(&[
            ("distribution \"csv\"", "dcat:accessURL"),
            ("distribution \"csv\"", "dct:license"),
        ])
    );

    let err = Dataset::builder().build().unwrap_err();
    assert!(err
        .missing()
        .all(|i| i.path == "dataset" && !i.property.is_empty()));
    assert_eq!(err.missing().count(), 8);

    let ok = common::stradario().build().expect("valid dataset");
    assert_eq!(ok.identifier().to_string(), "c_f205:stradario");
    assert_eq!(ok.rights_holder(), &comune_milano());
    assert_eq!(ok.distributions().len(), 2);
    assert_eq!(
        ok.distributions()[0].media_type().as_str(),
        "text/csv",
        "media type defaults from the format"
    );
}

#[test]
fn invalid_values_are_reported_with_reasons() {
    let err = Dataset::builder()
        .identifier("cmmi:popolazione")
        .title("it", "Popolazione")
        .title("it", "Popolazione (doppione)")
        .title("it-IT_x", "tag errato")
        .description("it", "<p>Descrizione in HTML</p>")
        .modified(date(2024, 1, 1))
        .issued(date(2024, 6, 1))
        .theme(DataTheme::Soci)
        .rights_holder(comune_milano())
        .publisher(Agent::new("cm mi", "Città metropolitana di Milano"))
        .contact_point(ContactPoint::new("Ufficio", "non-una-mail"))
        .accrual_periodicity(Frequency::Annual)
        .keyword("it", "dell'anagrafe")
        .keyword("it", "x")
        .temporal(PeriodOfTime::between(date(2024, 12, 31), date(2024, 1, 1)))
        .spatial(Spatial::GeoNames(0))
        .landing_page("ftp://example.it/x")
        .distribution(
            Distribution::builder("csv")
                .access_url("https://example.it/a b")
                .format(FileType::Csv)
                .media_type("csv")
                .license(Licence::CcBy40)
                .checksum(Checksum::new(ChecksumAlgorithm::Sha256, "abc")),
        )
        .distribution(
            Distribution::builder("csv")
                .access_url("https://example.it/ok")
                .format(FileType::Json)
                .license(Licence::CcBy40),
        )
        .build()
        .unwrap_err();

    assert_eq!(err.missing().count(), 0, "{err}");
    let inv = invalid_props(&err);
    let has = |prop: &str, needle: &str| inv.iter().any(|(_, p, m)| *p == prop && m.contains(needle));
    assert!(
        has("dct:title", "more than one value for language \"it\""),
        "{err}"
    );
    assert!(has("dct:title", "not a valid BCP 47"), "{err}");
    assert!(has("dct:description", "HTML"), "{err}");
    assert!(has("dct:issued", "after modified"), "{err}");
    assert!(has("dct:identifier", "differs from the rights holder"), "{err}");
    assert!(has("dct:publisher", "IPA code"), "{err}");
    assert!(has("dcat:contactPoint", "e-mail"), "{err}");
    assert!(has("dcat:keyword", "CKAN tags allow only"), "{err}");
    assert!(has("dcat:keyword", "2 to 100 characters"), "{err}");
    assert!(has("dct:temporal", "ends before it starts"), "{err}");
    assert!(has("dct:spatial", "GeoNames"), "{err}");
    assert!(has("dcat:landingPage", "http(s)"), "{err}");
    assert!(has("dcat:accessURL", "whitespace"), "{err}");
    assert!(has("dcat:mediaType", "type/subtype"), "{err}");
    assert!(has("spdx:checksum", "64-digit"), "{err}");
    assert!(has("dcat:distribution", "duplicate distribution id"), "{err}");
    // Issues inside a distribution carry the distribution's path.
    assert!(inv.iter().any(|(path, p, _)| *p == "dcat:mediaType"
        && path == "dataset \"cmmi:popolazione\" > distribution \"csv\""));
}

#[test]
fn text_that_xml_cannot_carry_is_rejected() {
    let err = Distribution::builder("csv")
        .title("it", "campanello \u{7}")
        .access_url("https://example.it/x")
        .format(FileType::Csv)
        .license(Licence::CcBy40)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("U+0007"), "{err}");
}

#[test]
fn catalogue_consistency_rules() {
    // Same IPA code with two names, same contact e-mail described twice,
    // duplicate dataset identifiers, catalogue modified before a dataset,
    // base IRI without trailing slash.
    let renamed = common::stradario()
        .identifier("c_f205:stradario-storico")
        .rights_holder(Agent::new("c_f205", "Comune di MILANO"))
        .contact_point(ContactPoint::new(
            "Altro nome",
            "opendata@cittametropolitana.mi.it",
        ));
    let err = common::catalog_builder()
        .base_iri("https://dati.cittametropolitana.mi.it")
        .modified(date(2025, 2, 5))
        .dataset(common::popolazione())
        .dataset(common::stradario())
        .dataset(common::stradario())
        .dataset(renamed)
        .build()
        .unwrap_err();
    let inv = invalid_props(&err);
    let has = |prop: &str, needle: &str| {
        inv.iter()
            .any(|(path, p, m)| path == "catalog" && *p == prop && m.contains(needle))
    };
    assert!(has("base IRI", "must end with '/'"), "{err}");
    assert!(
        has(
            "dct:identifier",
            "duplicate dataset identifier \"c_f205:stradario\""
        ),
        "{err}"
    );
    assert!(
        has("dct:modified", "earlier than dataset c_f205:stradario"),
        "{err}"
    );
    assert!(
        has(
            "foaf:name",
            "conflicting names \"Comune di Milano\" and \"Comune di MILANO\""
        ),
        "{err}"
    );
    assert!(
        has("dcat:contactPoint", "described in two different ways"),
        "{err}"
    );
    assert_eq!(err.missing().count(), 0);
}

#[test]
fn built_catalogue_exposes_its_content() {
    let c = common::sample_catalog();
    assert_eq!(c.publisher(), &cm_milano());
    assert_eq!(c.datasets().len(), 2);
    assert_eq!(
        c.datasets()[0].identifier().to_string(),
        "c_f205:stradario",
        "datasets are sorted by identifier"
    );
    assert_eq!(c.iri(), "https://dati.cittametropolitana.mi.it/catalog");
    assert_eq!(
        c.dataset_iri(&c.datasets()[0]),
        "https://dati.cittametropolitana.mi.it/dataset/c_f205/stradario"
    );
    assert_ne!(
        c.agent_iri(&cm_milano()),
        c.contact_point_iri(&c.datasets()[1].contact_points()[0])
    );
}
