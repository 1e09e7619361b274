//! Golden-file tests: the sample catalogue must serialise byte-for-byte to
//! `tests/golden/catalog.ttl` and `tests/golden/catalog.rdf`.
//! Run with `UPDATE_GOLDEN=1` to rewrite the files after an intended change.

mod common;

use std::path::PathBuf;

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn check_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create golden dir");
        std::fs::write(&path, actual).expect("write golden file");
        eprintln!("updated {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let first_diff = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the serialiser output (first difference at line {}):\n  expected: {:?}\n  actual:   {:?}\nrun with UPDATE_GOLDEN=1 if the change is intended",
            path.display(),
            first_diff + 1,
            expected.lines().nth(first_diff),
            actual.lines().nth(first_diff)
        );
    }
}

#[test]
fn turtle_matches_golden() {
    check_golden("catalog.ttl", &common::sample_catalog().to_turtle());
}

#[test]
fn rdf_xml_matches_golden() {
    check_golden("catalog.rdf", &common::sample_catalog().to_rdf_xml());
}

#[test]
fn output_is_deterministic_and_independent_of_dataset_order() {
    let a = common::sample_catalog();
    let b = common::sample_catalog();
    assert_eq!(a.to_turtle(), b.to_turtle());
    assert_eq!(a.to_rdf_xml(), b.to_rdf_xml());

    let reversed = common::catalog_builder()
        .dataset(common::stradario())
        .dataset(common::popolazione())
        .build()
        .expect("valid");
    assert_eq!(a.to_turtle(), reversed.to_turtle());
    assert_eq!(a.to_rdf_xml(), reversed.to_rdf_xml());
}

#[test]
fn shared_nodes_are_emitted_once_with_distinct_iris() {
    let ttl = common::sample_catalog().to_turtle();
    // The CM agent is publisher of the catalogue and of both datasets and
    // rights holder of one: described once.
    let agent = format!("<{}agent/cmmi>\n", common::BASE);
    assert_eq!(ttl.matches(&agent).count(), 1);
    let licence = "<https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40>\n";
    assert_eq!(ttl.matches(licence).count(), 1);
    // Agents and contact points never share an IRI.
    assert!(ttl.contains(&format!(
        "<{}contact-point/opendata@cittametropolitana.mi.it>",
        common::BASE
    )));
    // Datasets are listed sorted by identifier.
    let p1 = ttl.find("dataset/c_f205/stradario>\n").expect("stradario");
    let p2 = ttl
        .find("dataset/cmmi/popolazione-residente-comune-sesso-eta>\n")
        .expect("popolazione");
    assert!(p1 < p2);
}
