//! Literal escaping in Turtle and RDF/XML, language tags and typed literals.

mod common;

use std::process::Command;

use chrono::DateTime;
use metrodati_dcat_ap::rdf::{ns, xsd, Graph, Literal, Node};
use metrodati_dcat_ap::*;

const TRICKY_TITLE: &str = "Dati \"ufficiali\" C:\\archivio\\2025 — età ≥ 65, Città, 1°";
const TRICKY_DESC: &str = "Riga 1\nRiga 2\r\n\tcolonna; a < b & c > d; emoji 🚲 e 'apici'";

fn tricky_catalog() -> Catalog {
    common::catalog_builder()
        .dataset(
            common::stradario()
                .title("de", TRICKY_TITLE)
                .description("de", TRICKY_DESC),
        )
        .build()
        .expect("valid")
}

#[test]
fn turtle_escapes_quotes_backslashes_and_line_breaks_keeps_utf8() {
    let ttl = tricky_catalog().to_turtle();
    assert!(
        ttl.contains("\"Dati \\\"ufficiali\\\" C:\\\\archivio\\\\2025 — età ≥ 65, Città, 1°\"@de"),
        "{ttl}"
    );
    assert!(
        ttl.contains("\"Riga 1\\nRiga 2\\r\\n\\tcolonna; a < b & c > d; emoji 🚲 e 'apici'\"@de"),
        "{ttl}"
    );
    // Every literal stays on one line: each line has an even number of
    // unescaped quotes.
    for line in ttl.lines() {
        let mut quotes = 0;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => quotes += 1,
                _ => {}
            }
        }
        assert_eq!(quotes % 2, 0, "unbalanced quotes in {line:?}");
    }
}

#[test]
fn rdf_xml_escapes_markup_characters_and_carriage_returns() {
    let xml = tricky_catalog().to_rdf_xml();
    assert!(xml.contains(
        "<dct:title xml:lang=\"de\">Dati \"ufficiali\" C:\\archivio\\2025 — età ≥ 65, Città, 1°</dct:title>"
    ));
    assert!(xml.contains(
        "<dct:description xml:lang=\"de\">Riga 1\nRiga 2&#13;\n\tcolonna; a &lt; b &amp; c &gt; d; emoji 🚲 e 'apici'</dct:description>"
    ));
}

#[test]
fn typed_and_tagged_literals() {
    let c = common::catalog_builder()
        .dataset(
            common::stradario().distribution(
                Distribution::builder("zip-sha")
                    .access_url("https://example.it/stradario")
                    .format(FileType::Csv)
                    .license(Licence::Cc010)
                    .byte_size(42)
                    .checksum(Checksum::new(
                        ChecksumAlgorithm::Sha256,
                        "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
                    ))
                    .modified(DateTime::parse_from_rfc3339("2025-02-10T00:15:00Z").expect("valid")),
            ),
        )
        .build()
        .expect("valid");
    let ttl = c.to_turtle();
    assert!(ttl.contains("dct:modified \"2025-02-10\"^^xsd:date"));
    assert!(ttl.contains("dct:modified \"2025-02-10T00:15:00Z\"^^xsd:dateTime"));
    assert!(ttl.contains("dcat:byteSize \"42\"^^xsd:nonNegativeInteger"));
    assert!(
        ttl.contains(
            "    spdx:checksum [
        a spdx:Checksum ;
        spdx:algorithm <http://spdx.org/rdf/terms#checksumAlgorithm_sha256> ;
        spdx:checksumValue \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"^^xsd:hexBinary
    ] ;"
        ),
        "{ttl}"
    );
    assert!(ttl.contains("@prefix spdx: <http://spdx.org/rdf/terms#> ."));
    assert!(ttl.contains("\"Toponomastica: stradario\"@it"));
    assert!(ttl.contains(
        "<https://w3id.org/italia/controlled-vocabulary/licences/A11_CCO10>\n    a dcatapit:LicenseDocument, dct:LicenseDocument ;\n    dct:type <http://purl.org/adms/licencetype/PublicDomain> ;"
    ));

    // The low-level graph supports any XSD datatype, e.g. xsd:decimal.
    let mut n = Node::iri("https://example.it/d");
    n.lit(
        ns::DCAT.name("spatialResolutionInMeters"),
        Literal::typed("12.50", xsd::DECIMAL),
    )
    .lit(ns::DCT.name("title"), Literal::lang("plain \"x\"", "en"))
    .lit(ns::DCT.name("identifier"), Literal::plain("a\\b"));
    let g = Graph { nodes: vec![n] };
    let ttl = g.to_turtle();
    assert!(ttl.contains("dcat:spatialResolutionInMeters \"12.50\"^^xsd:decimal ;"));
    assert!(ttl.contains("dct:title \"plain \\\"x\\\"\"@en ;"));
    assert!(ttl.contains("dct:identifier \"a\\\\b\" ."));
    let xml = g.to_rdf_xml().expect("representable");
    assert!(xml.contains(
        "<dcat:spatialResolutionInMeters rdf:datatype=\"http://www.w3.org/2001/XMLSchema#decimal\">12.50</dcat:spatialResolutionInMeters>"
    ));
}

#[test]
fn low_level_rdf_xml_refuses_unrepresentable_characters() {
    let mut n = Node::iri("https://example.it/d");
    n.lit(ns::DCT.name("title"), Literal::plain("nul \u{0}"));
    let g = Graph { nodes: vec![n] };
    assert!(matches!(
        g.to_rdf_xml(),
        Err(RdfXmlError::UnrepresentableChar { code: 0, .. })
    ));
    // Turtle can carry it as \u0000.
    assert!(g.to_turtle().contains("\"nul \\u0000\""));
}

/// If rdflib is installed, parse both serialisations back and compare the
/// literal values byte for byte (hex-encoded to survive the pipe).
#[test]
fn rdflib_round_trip_of_tricky_literals() {
    let python = std::env::var("METRODATI_PYTHON").unwrap_or_else(|_| "python3".into());
    let available = Command::new(&python)
        .args(["-c", "import rdflib"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !available {
        eprintln!("rdflib not available: round trip skipped (pip install pyshacl installs it)");
        return;
    }
    let c = tricky_catalog();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dcat-ap-escaping");
    std::fs::create_dir_all(&dir).expect("tmp");
    let ttl = dir.join("tricky.ttl");
    let rdf = dir.join("tricky.rdf");
    std::fs::write(&ttl, c.to_turtle()).expect("write");
    std::fs::write(&rdf, c.to_rdf_xml()).expect("write");
    let script = r#"
import sys, rdflib
from rdflib.namespace import DCTERMS
for path, fmt in ((sys.argv[1], "turtle"), (sys.argv[2], "xml")):
    g = rdflib.Graph().parse(path, format=fmt)
    vals = sorted(str(o).encode("utf-8").hex() for o in g.objects(None, DCTERMS.title) if getattr(o, "language", None) == "de")
    vals += sorted(str(o).encode("utf-8").hex() for o in g.objects(None, DCTERMS.description) if getattr(o, "language", None) == "de")
    print(fmt, *vals)
"#;
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&ttl)
        .arg(&rdf)
        .output()
        .expect("run python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let expected = format!("{} {}", hex(TRICKY_TITLE), hex(TRICKY_DESC));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        vec![format!("turtle {expected}"), format!("xml {expected}")]
    );
}
