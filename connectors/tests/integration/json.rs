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
        let msg = err.to_string();
        assert_eq!(msg.matches(name).count(), 1, "{msg}");
        // the line is said once, by the error itself
        assert_eq!(msg.matches("at line").count(), 1, "{msg}");
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
    // keys of the first object, then keys first seen in the following lines
    assert_eq!(
        r.header(),
        strings(&["codice", "comune", "ignota", "data"]).as_slice()
    );
    let (rows, rejected) = drain(r);
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 4, 7]);
    assert_eq!(rows[0].values, values(&[Some("1"), Some("Milano"), None, None]));
    assert_eq!(
        rows[1].values,
        values(&[Some("3"), Some("Cantù"), Some("1"), Some("2024-01-01")])
    );
    assert_eq!(rows[2].values, values(&[Some("4"), None, None, None]));
    assert_eq!(rejected.len(), 2);
    assert_eq!((rejected[0].line, rejected[0].code), (3, "invalid_json"));
    assert_eq!(rejected[0].value, "{\"codice\": \"2\", ");
    assert!(rejected[0]
        .message_it
        .starts_with("La riga non è un oggetto JSON valido"));
    // serde's "at line 1" (of the line alone) is not repeated: the row has its line.
    assert!(
        !rejected[0].message_it.contains("at line"),
        "{}",
        rejected[0].message_it
    );
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

    // No object, no header: expected columns are not made up.
    let p = write(dir.path(), "empty.ndjson", b"\n\n");
    let r = open(&FormatSpec::new(Format::Ndjson), &p, &["a"]).unwrap();
    assert!(r.header().is_empty(), "{:?}", r.header());
    assert_eq!(drain(r), (vec![], vec![]));
}

/// A renamed key must make the header miss the expected column (so that the
/// mapping fails to bind) instead of reading as an empty column.
#[test]
fn ndjson_header_has_only_keys_actually_seen() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"codice\": \"015146\", \"nome_comune\": \"Milano\"}\n\
                {\"codice\": \"015077\", \"nome_comune\": \"Cantù\"}\n";
    let p = write(dir.path(), "rinominato.ndjson", text.as_bytes());
    let r = open(
        &FormatSpec::new(Format::Ndjson),
        &p,
        &["codice", "comune", "abitanti"],
    )
    .unwrap();
    assert_eq!(r.header(), strings(&["codice", "nome_comune"]).as_slice());
    let (rows, rejected) = drain(r);
    assert!(rejected.is_empty());
    assert_eq!(rows[1].values, values(&[Some("015077"), Some("Cantù")]));
}

/// Keys missing from the first object but present in the following lines
/// (writers that omit null members) are in the header; keys first seen after
/// the read-ahead window are not.
#[test]
fn ndjson_header_reads_ahead_a_bounded_window() {
    use metrodati_connectors::format::json::NDJSON_HEADER_LINES;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{\"codice\": \"1\"}\n\nnon json\n{\"codice\": \"2\", \"note\": \"x\"}\n");
    // lines 1..=4 hold 3 non-blank lines; fill the window up to its last line
    for i in 4..=NDJSON_HEADER_LINES {
        text.push_str(&format!("{{\"codice\": \"{i}\"}}\n"));
    }
    text.push_str("{\"codice\": \"tardi\", \"tardiva\": 1}\n");
    let p = write(dir.path(), "finestra.ndjson", text.as_bytes());
    let r = open(&FormatSpec::new(Format::Ndjson), &p, &[]).unwrap();
    assert_eq!(r.header(), strings(&["codice", "note"]).as_slice());
    let (rows, rejected) = drain(r);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].line, 3);
    assert_eq!(rows.len(), NDJSON_HEADER_LINES);
    assert_eq!(rows[0].values, values(&[Some("1"), None]));
    assert_eq!(rows[1].line, 4);
    assert_eq!(rows[1].values, values(&[Some("2"), Some("x")]));
    let last = rows.last().unwrap();
    assert_eq!(last.line, NDJSON_HEADER_LINES as u64 + 2);
    assert_eq!(last.values, values(&[Some("tardi"), None]));
}
