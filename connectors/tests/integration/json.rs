use metrodati_connectors::{ConnectorError, Format, FormatSpec};

use crate::helpers::{drain, open, strings, values, write};

#[test]
fn json_array_of_objects() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"[
  {"codice": "015146", "comune": "Milano", "abitanti": 1371498, "attivo": true, "note": null},
  {"codice": "015077", "extra": {"a": [1, 2], "b": "x y"}, "abitanti": 2.50},
  5,
  {},
  {"comune": "Cantù", "note": ""}
]"#;
    let p = write(dir.path(), "comuni.json", text.as_bytes());
    let r = open(&FormatSpec::new(Format::Json), &p, &["codice", "missing"]).unwrap();
    assert_eq!(
        r.header(),
        strings(&["codice", "comune", "abitanti", "attivo", "note", "extra"]).as_slice()
    );
    assert_eq!(r.encoding(), Some("UTF-8"));
    let (rows, rejected) = drain(r);
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 2, 5]);
    assert_eq!(
        rows[0].values,
        values(&[
            Some("015146"),
            Some("Milano"),
            Some("1371498"),
            Some("true"),
            None,
            None
        ])
    );
    assert_eq!(
        rows[1].values,
        values(&[
            Some("015077"),
            None,
            Some("2.50"),
            None,
            None,
            Some(r#"{"a":[1,2],"b":"x y"}"#)
        ])
    );
    assert_eq!(
        rows[2].values,
        values(&[None, Some("Cantù"), None, None, Some(""), None])
    );
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].line, 3);
    assert_eq!(rejected[0].code, "invalid_json");
    assert_eq!(rejected[0].value, "5");
}

#[test]
fn json_that_is_not_an_array_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("obj.json", "{\"a\": 1}"),
        ("bad.json", "[{\"a\": 1},"),
        ("e.json", ""),
    ] {
        let p = write(dir.path(), name, text.as_bytes());
        let err = open(&FormatSpec::new(Format::Json), &p, &[]).err().unwrap();
        assert!(matches!(err, ConnectorError::Json { .. }), "{name}: {err}");
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn ndjson_with_a_malformed_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"codice\": \"1\", \"comune\": \"Milano\"}\n\
                \n\
                {\"codice\": \"2\", \n\
                {\"comune\": \"Cantù\", \"codice\": 3, \"ignota\": 1, \"data\": \"2024-01-01\"}\r\n\
                [1, 2]\n\
                {\"codice\": null}\n\
                {\"codice\": \"4\"}";
    let p = write(dir.path(), "comuni.ndjson", text.as_bytes());
    let r = open(
        &FormatSpec::new(Format::Ndjson),
        &p,
        &["codice", "COMUNE", "data"],
    )
    .unwrap();
    // keys of the first object, then the expected columns it lacks
    assert_eq!(r.header(), strings(&["codice", "comune", "data"]).as_slice());
    let (rows, rejected) = drain(r);
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 4, 7]);
    assert_eq!(rows[0].values, values(&[Some("1"), Some("Milano"), None]));
    assert_eq!(
        rows[1].values,
        values(&[Some("3"), Some("Cantù"), Some("2024-01-01")])
    );
    assert_eq!(rows[2].values, values(&[Some("4"), None, None]));
    assert_eq!(rejected.len(), 2);
    assert_eq!((rejected[0].line, rejected[0].code), (3, "invalid_json"));
    assert_eq!(rejected[0].value, "{\"codice\": \"2\", ");
    assert!(rejected[0]
        .message_it
        .starts_with("La riga non è un oggetto JSON valido"));
    assert_eq!((rejected[1].line, rejected[1].code), (5, "invalid_json"));
}

#[test]
fn ndjson_starting_with_a_bad_line_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "a.ndjson", b"oops\n{\"x\": 1}\n");
    let r = open(&FormatSpec::new(Format::Ndjson), &p, &[]).unwrap();
    assert_eq!(r.header(), strings(&["x"]).as_slice());
    let (rows, rejected) = drain(r);
    assert_eq!(rejected[0].line, 1);
    assert_eq!(rows[0].line, 2);

    let p = write(dir.path(), "empty.ndjson", b"\n\n");
    let r = open(&FormatSpec::new(Format::Ndjson), &p, &["a"]).unwrap();
    assert_eq!(r.header(), strings(&["a"]).as_slice());
    assert_eq!(drain(r), (vec![], vec![]));
}
