//! Golden files of the schema exports in docs/schema/: the Table Schema JSON
//! and the Markdown pages are generated from the one Rust definition and
//! must be committed up to date. Regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p metrodati-interop --test schema_golden`
//! (or `metrodati schema --out docs/schema`).

use metrodati_interop::schema;
use std::path::PathBuf;

fn docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/schema")
}

fn check(path: PathBuf, actual: String) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1 to create it", path.display()));
    assert!(
        expected == actual,
        "{} is out of date with the schema definition; rerun with UPDATE_GOLDEN=1 and review the diff",
        path.display()
    );
}

#[test]
fn table_schemas_match_golden_files() {
    for e in schema::entities() {
        let json = serde_json::to_string_pretty(&schema::table_schema(e)).unwrap() + "\n";
        check(docs().join(format!("{}.schema.json", e.name)), json);
    }
}

#[test]
fn markdown_pages_match_golden_files() {
    for e in schema::entities() {
        check(docs().join(format!("{}.md", e.name)), schema::markdown(e));
    }
}

#[test]
fn table_schema_carries_constraints_from_the_definition() {
    let p = schema::table_schema(schema::entity("persona").unwrap());
    let fields = p["fields"].as_array().unwrap();
    let tax = fields.iter().find(|f| f["name"] == "tax_code").unwrap();
    assert_eq!(tax["constraints"]["required"], true);
    assert_eq!(tax["x-personal-data"], true);
    assert_eq!(tax["rdfType"], "https://w3id.org/italia/onto/CPV/taxCode");
    let sex = fields.iter().find(|f| f["name"] == "sex_id").unwrap();
    assert_eq!(sex["constraints"]["enum"], serde_json::json!(["M", "F"]));
    assert_eq!(p["primaryKey"], serde_json::json!(["comune_istat", "tax_code"]));
    assert_eq!(p["version"], schema::SCHEMA_VERSION);
}
