//! Every controlled-vocabulary IRI the crate emits is checked against the
//! local copies in `shared/specs/dcat-ap/` (or `$METRODATI_SPECS/dcat-ap/`).

mod common;

use metrodati_dcat_ap::*;

fn read(rel: &str) -> String {
    let p = common::specs_dir().join("dcat-ap").join(rel);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("cannot read {} ({e}); set METRODATI_SPECS", p.display()))
}

/// The Turtle block describing `iri`: from the line starting with `<iri>` to
/// the next line starting with `<` (the next subject).
fn concept_block<'a>(ttl: &'a str, iri: &str) -> Option<&'a str> {
    let needle = format!("\n<{iri}>");
    let mut from = 0;
    while let Some(i) = ttl[from..].find(&needle) {
        let start = from + i + 1;
        let after = start + needle.len() - 1;
        if ttl[after..].starts_with(|c: char| c.is_whitespace()) {
            let rest = &ttl[start..];
            let end = rest[1..].find("\n<").map(|i| i + 1).unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
        from = after;
    }
    None
}

fn assert_in_table(ttl: &str, iri: &str, scheme_local: &str) {
    let block = concept_block(ttl, iri).unwrap_or_else(|| panic!("{iri} not in the local table"));
    assert!(
        block.contains(&format!("skos:inScheme atold:{scheme_local} ")),
        "{iri} not in scheme {scheme_local}"
    );
    assert!(block.contains("at:deprecated \"false\""), "{iri} is deprecated");
}

#[test]
fn data_themes_frequencies_languages_exist() {
    let themes = read("eu-authority-tables/data-theme.ttl");
    for t in DataTheme::ALL {
        assert!(t.iri().starts_with(DataTheme::SCHEME));
        assert_in_table(&themes, t.iri(), "data-theme");
    }
    let freq = read("eu-authority-tables/frequencies.ttl");
    for f in Frequency::ALL {
        assert_in_table(&freq, f.iri(), "frequency");
    }
    let langs = read("eu-authority-tables/languages.ttl");
    for l in Language::ALL {
        assert_in_table(&langs, l.iri(), "language");
    }
}

#[test]
fn file_types_exist_except_parquet_in_the_2021_snapshot() {
    let ft = read("eu-authority-tables/filetypes.ttl");
    for f in FileType::ALL {
        if f.in_2021_nal_snapshot() {
            assert_in_table(&ft, f.iri(), "file-type");
        } else {
            assert!(
                concept_block(&ft, f.iri()).is_none(),
                "{} is now in the local file-type table: update FileType::in_2021_nal_snapshot",
                f.iri()
            );
        }
    }
}

#[test]
fn licences_match_the_agid_vocabulary_and_adms() {
    let lic = read("italia-daf-ontologie-vocabolari-controllati/licences.ttl");
    let adms = read("semiceu-adms-ap/ADMS_SKOS_v1.00.rdf");
    for l in Licence::ALL {
        let block = concept_block(&lic, l.iri()).unwrap_or_else(|| panic!("{} not in licences.ttl", l.iri()));
        assert!(block.contains("dct:LicenseDocument"), "{l}");
        assert!(
            block.contains(&format!("foaf:name \"{}\"@it", l.name_it())),
            "{l}: Italian name differs from the vocabulary"
        );
        assert!(
            block.contains(&format!("owl:versionInfo \"{}\"", l.version())),
            "{l}: version"
        );
        // Level-3 concept -> its AgID level-2 type -> skos:exactMatch ADMS type.
        let level2 = block
            .split("dct:type <")
            .nth(1)
            .and_then(|s| s.split('>').next())
            .unwrap_or_else(|| panic!("{l}: no dct:type"));
        let l2_block = concept_block(&lic, level2).expect("level-2 concept");
        assert!(
            l2_block.contains(&format!("skos:exactMatch <{}>", l.licence_type().iri())),
            "{l}: ADMS licence type should be the exactMatch of {level2}"
        );
        // ADMS concept exists in the licence-type scheme.
        let about = format!("rdf:about=\"{}\"", l.licence_type().iri());
        let pos = adms.find(&about).unwrap_or_else(|| panic!("{about} not in ADMS"));
        let tail = &adms[pos..];
        let end = tail.find("</owl:NamedIndividual>").expect("end of individual");
        assert!(tail[..end].contains(&format!("skos:inScheme rdf:resource=\"{}\"", LicenceType::SCHEME)));
    }
}

#[test]
fn sample_eurovoc_subject_is_mapped_to_its_theme() {
    let csv = read("italia-daf-ontologie-vocabolari-controllati/theme-subtheme-mapping.csv");
    let row = csv
        .lines()
        .find(|l| l.contains(&format!("\"{}\"", EuroVoc(100210).iri())))
        .expect("EuroVoc 100210 in the AgID mapping");
    assert!(
        row.starts_with(&format!("\"{}\"", DataTheme::Soci.iri())),
        "{row}"
    );
}
