//! Integration test: validate the generated Turtle with pySHACL against the
//! SEMIC DCAT-AP 3.0.1 base shapes + controlled-vocabulary shapes (with the
//! local EU vocabularies merged into the data graph, dcat-ap-it.md §5) and the
//! project's DCAT-AP_IT shapes; check that rdflib parses the Turtle and the
//! RDF/XML into isomorphic graphs.
//!
//! Needs `python3` with `pyshacl` (`pip install pyshacl`).  Set
//! `METRODATI_SKIP_PYSHACL=1` to skip when it is not available; `METRODATI_PYTHON`
//! selects the interpreter; `METRODATI_SPECS` the `shared/specs` directory.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use metrodati_dcat_ap::{Distribution, FileType, Licence};

fn python() -> String {
    std::env::var("METRODATI_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// `true` if pySHACL is usable; `false` if the test must be skipped; panics otherwise.
fn pyshacl_available() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import pyshacl, rdflib"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return true;
    }
    if std::env::var("METRODATI_SKIP_PYSHACL").as_deref() == Ok("1") {
        eprintln!("SKIPPED: pyshacl not importable and METRODATI_SKIP_PYSHACL=1");
        return false;
    }
    panic!(
        "`{} -c \"import pyshacl\"` failed: run `pip install pyshacl` \
         (or set METRODATI_SKIP_PYSHACL=1 to skip this test)",
        python()
    );
}

#[derive(Debug, Clone)]
struct ShaclResult {
    severity: String,
    focus: String,
    path: String,
    component: String,
    message: String,
}

#[derive(Debug, Default)]
struct Report {
    turtle_triples: usize,
    rdfxml_isomorphic: Option<bool>,
    results: Vec<ShaclResult>,
    ignored: Vec<String>,
}

impl Report {
    fn violations(&self) -> Vec<&ShaclResult> {
        self.results
            .iter()
            .filter(|r| r.severity == "Violation")
            .collect()
    }
}

struct Case {
    name: &'static str,
    turtle: String,
    rdf_xml: Option<String>,
}

fn run_validator(cases: &[Case]) -> std::collections::BTreeMap<String, Report> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dcat-ap-shacl");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let specs = common::specs_dir();
    assert!(
        specs.join("dcat-ap/semiceu-dcat-ap/3.0.1/shapes.ttl").is_file(),
        "DCAT-AP shapes not found under {} (set METRODATI_SPECS)",
        specs.display()
    );
    let mut cmd = Command::new(python());
    cmd.arg(manifest.join("shacl/validate.py"))
        .arg("--specs")
        .arg(&specs)
        .arg("--project-shapes")
        .arg(manifest.join("shacl/dcat-ap-it.shapes.ttl"));
    for c in cases {
        let ttl = dir.join(format!("{}.ttl", c.name));
        std::fs::write(&ttl, &c.turtle).expect("write ttl");
        cmd.arg("--case").arg(c.name).arg(&ttl);
        if let Some(x) = &c.rdf_xml {
            let rdf = dir.join(format!("{}.rdf", c.name));
            std::fs::write(&rdf, x).expect("write rdf");
            cmd.arg("--rdfxml").arg(c.name).arg(&rdf);
        }
    }
    let out = cmd.output().expect("run validate.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "validate.py failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    eprintln!("{stdout}");

    let mut reports = std::collections::BTreeMap::new();
    for line in stdout.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let report: &mut Report = reports.entry(f[1].to_string()).or_default();
        match f[0] {
            "PARSE" => {
                report.turtle_triples = f[2].parse().expect("triple count");
                report.rdfxml_isomorphic = match f[4] {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                };
            }
            "RESULT" => report.results.push(ShaclResult {
                severity: f[2].to_string(),
                focus: f[3].to_string(),
                path: f[4].to_string(),
                component: f[5].to_string(),
                message: f[6].to_string(),
            }),
            "IGNORED_RESULT" => report.ignored.push(line.to_string()),
            _ => {}
        }
    }
    reports
}

/// Warnings that are expected for a correct Italian catalogue:
/// * `dct:publisher` is not in the EU corporate-body authority table (every
///   Italian PA, dcat-ap-it.md §2.2);
/// * a name-only `dct:Location` is not an IRI from a known gazetteer.
fn expected_warning(r: &ShaclResult) -> bool {
    r.severity == "Warning" && (r.path == "dct:publisher" || r.path == "dct:spatial")
}

#[test]
fn generated_catalogue_passes_dcat_ap_shacl() {
    if !pyshacl_available() {
        return;
    }
    let catalog = common::sample_catalog();
    let sample_ttl = catalog.to_turtle();

    // A Parquet distribution: valid in the current EU file-type NAL, absent
    // from the 2021 snapshot used offline → exactly one Violation expected.
    let with_parquet = common::catalog_builder()
        .dataset(
            common::popolazione().distribution(
                Distribution::builder("parquet")
                    .access_url(format!(
                        "{}dataset/cmmi/popolazione-residente-comune-sesso-eta",
                        common::BASE
                    ))
                    .format(FileType::Parquet)
                    .license(Licence::CcBy40),
            ),
        )
        .dataset(common::stradario())
        .build()
        .expect("valid for the builder");

    // Defects the builder would refuse, injected into the text to prove the
    // shapes catch them.
    let no_rights_holder: String = sample_ttl
        .lines()
        .filter(|l| !l.starts_with("    dct:rightsHolder "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(no_rights_holder, sample_ttl);
    let bad_frequency = sample_ttl.replace("frequency/ANNUAL", "frequency/YEARLY");
    assert_ne!(bad_frequency, sample_ttl);

    let reports = run_validator(&[
        Case {
            name: "sample",
            turtle: sample_ttl.clone(),
            rdf_xml: Some(catalog.to_rdf_xml()),
        },
        Case {
            name: "parquet",
            turtle: with_parquet.to_turtle(),
            rdf_xml: Some(with_parquet.to_rdf_xml()),
        },
        Case {
            name: "no-rights-holder",
            turtle: no_rights_holder,
            rdf_xml: None,
        },
        Case {
            name: "bad-frequency",
            turtle: bad_frequency,
            rdf_xml: None,
        },
    ]);

    // --- the sample catalogue ------------------------------------------------
    let sample = &reports["sample"];
    assert!(sample.turtle_triples > 100, "rdflib parsed too few triples");
    assert_eq!(
        sample.rdfxml_isomorphic,
        Some(true),
        "Turtle and RDF/XML must be isomorphic"
    );
    assert!(
        sample.violations().is_empty(),
        "SHACL violations on the sample catalogue: {:#?}",
        sample.violations()
    );
    let unexpected: Vec<_> = sample.results.iter().filter(|r| !expected_warning(r)).collect();
    assert!(unexpected.is_empty(), "unexpected results: {unexpected:#?}");
    // The only spatial warning is the name-only location of the CM dataset;
    // the GeoNames IRI of the stradario is accepted.
    assert!(sample
        .results
        .iter()
        .filter(|r| r.path == "dct:spatial")
        .all(|r| r.focus.contains("popolazione")));
    eprintln!(
        "sample: {} results on vocabulary nodes ignored",
        sample.ignored.len()
    );

    // --- PARQUET vs the 2021 file-type snapshot -------------------------------
    let parquet = &reports["parquet"];
    assert_eq!(parquet.rdfxml_isomorphic, Some(true));
    let v = parquet.violations();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].path, "dct:format");
    assert!(v[0].focus.ends_with("/distribution/parquet>"), "{v:#?}");

    // --- missing rights holder: only the project DCAT-AP_IT shapes see it ----
    let nrh = &reports["no-rights-holder"];
    let v = nrh.violations();
    assert_eq!(v.len(), 2, "{v:#?}");
    assert!(v
        .iter()
        .all(|r| r.path == "dct:rightsHolder" && r.component == "sh:MinCountConstraintComponent"));

    // --- frequency outside the EU NAL ------------------------------------------
    let bf = &reports["bad-frequency"];
    let v = bf.violations();
    assert!(
        v.iter().any(|r| r.path == "dct:accrualPeriodicity"
            && r.focus.contains("popolazione")
            && !r.message.is_empty()),
        "{v:#?}"
    );
}
