use metrodati_connectors::spec::parse_decimal;
use metrodati_connectors::{
    ConnectorError, EncodingSpec, Format, FormatSpec, HeaderRow, RawRow, RejectedRow, RowItem,
};

use crate::helpers::{drain, noise, open, strings, values, write};

fn csv_spec() -> FormatSpec {
    FormatSpec::new(Format::Csv)
}

const EXPECTED: &[&str] = &["codice_istat", "comune", "abitanti"];

#[test]
fn utf8_without_bom_comma() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "a.csv",
        "codice_istat,comune,abitanti\n015146,Milano,1371498\n015077, Città ,\n".as_bytes(),
    );
    let r = open(&csv_spec(), &p, EXPECTED).unwrap();
    assert_eq!(r.header(), strings(EXPECTED).as_slice());
    assert_eq!(r.encoding(), Some("UTF-8"));
    assert_eq!(r.sheet(), None);
    let (rows, rejected) = drain(r);
    assert!(rejected.is_empty());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 2);
    assert_eq!(
        rows[0].values,
        values(&[Some("015146"), Some("Milano"), Some("1371498")])
    );
    // values are not trimmed; an empty field is None
    assert_eq!(rows[1].line, 3);
    assert_eq!(rows[1].values, values(&[Some("015077"), Some(" Città "), None]));
}

#[test]
fn utf8_with_bom() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice("codice_istat;comune;abitanti\r\n015146;Milano;1\r\n".as_bytes());
    let p = write(dir.path(), "bom.csv", &bytes);
    let r = open(&csv_spec(), &p, EXPECTED).unwrap();
    assert_eq!(
        r.header()[0],
        "codice_istat",
        "the BOM must not stick to the header"
    );
    assert_eq!(r.encoding(), Some("UTF-8"));
    let (rows, _) = drain(r);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 2);
    // the CR of CRLF is not part of the last value
    assert_eq!(
        rows[0].values,
        values(&[Some("015146"), Some("Milano"), Some("1")])
    );

    // Without expected columns the BOM is still stripped.
    let r = open(&csv_spec(), &p, &[]).unwrap();
    assert_eq!(r.header(), strings(EXPECTED).as_slice());
}

#[test]
fn windows_1252_semicolon_with_accents() {
    let dir = tempfile::tempdir().unwrap();
    let text = "cognome;nome;comune\nD'Angelo;Niccolò;Città di Castello\nRossi;José;Cantù\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture must not be UTF-8"
    );
    let p = write(dir.path(), "anagrafe.csv", &bytes);

    for spec_enc in [
        EncodingSpec::Auto,
        EncodingSpec::Windows1252,
        EncodingSpec::Iso88591,
    ] {
        let mut spec = csv_spec();
        spec.encoding = spec_enc;
        let r = open(&spec, &p, &["cognome", "nome", "comune"]).unwrap();
        assert_eq!(r.encoding(), Some("windows-1252"), "{spec_enc:?}");
        assert_eq!(r.header(), strings(&["cognome", "nome", "comune"]).as_slice());
        let (rows, rejected) = drain(r);
        assert!(rejected.is_empty());
        assert_eq!(
            rows[0].values,
            values(&[Some("D'Angelo"), Some("Niccolò"), Some("Città di Castello")])
        );
        assert_eq!(
            rows[1].values,
            values(&[Some("Rossi"), Some("José"), Some("Cantù")])
        );
    }

    // Declared as UTF-8, the accented bytes become U+FFFD instead of failing.
    let mut spec = csv_spec();
    spec.encoding = EncodingSpec::Utf8;
    let (rows, _) = drain(open(&spec, &p, &[]).unwrap());
    assert_eq!(rows[0].values[1].as_deref(), Some("Niccol\u{FFFD}"));
}

#[test]
fn utf16le_with_bom_tab_delimited() {
    let dir = tempfile::tempdir().unwrap();
    let text = "codice_istat\tcomune\tabitanti\r\n015146\tMilano\t1371498\r\n015077\tCittà\t20100\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let p = write(dir.path(), "unicode.txt", &bytes);
    let r = open(&csv_spec(), &p, EXPECTED).unwrap();
    assert_eq!(r.encoding(), Some("UTF-16LE"));
    assert_eq!(r.header(), strings(EXPECTED).as_slice());
    let (rows, _) = drain(r);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].line, 3);
    assert_eq!(
        rows[1].values,
        values(&[Some("015077"), Some("Città"), Some("20100")])
    );
}

#[test]
fn delimiter_detection() {
    let dir = tempfile::tempdir().unwrap();
    for (name, d) in [("semi", ';'), ("comma", ','), ("tab", '\t'), ("pipe", '|')] {
        let text = format!("codice_istat{d}comune{d}abitanti\n1{d}\"A, B; C|D\"{d}3\n");
        let p = write(dir.path(), &format!("{name}.csv"), text.as_bytes());
        // with and without expected columns
        for expected in [EXPECTED, &[][..]] {
            let r = open(&csv_spec(), &p, expected).unwrap();
            assert_eq!(r.header(), strings(EXPECTED).as_slice(), "{name}");
            let (rows, rejected) = drain(r);
            assert!(rejected.is_empty(), "{name}");
            assert_eq!(rows[0].values[1].as_deref(), Some("A, B; C|D"), "{name}");
        }
    }

    // A configured delimiter is used as is.
    let p = write(dir.path(), "conf.csv", b"a;b,c\n1;2,3\n");
    let mut spec = csv_spec();
    spec.delimiter = Some(',');
    let r = open(&spec, &p, &[]).unwrap();
    assert_eq!(r.header(), strings(&["a;b", "c"]).as_slice());
}

#[test]
fn quoted_fields_with_delimiters_and_newlines_keep_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id;nota;importo\n\
                1;\"a;b\";3\n\
                2;\"riga uno\nriga due\nriga tre\";4\n\
                3;\"con \"\"virgolette\"\"\";5\n\
                \n\
                4;x;6\n";
    let p = write(dir.path(), "note.csv", text.as_bytes());
    let (rows, rejected) = drain(open(&csv_spec(), &p, &["id", "nota", "importo"]).unwrap());
    assert!(rejected.is_empty());
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 6, 8]);
    assert_eq!(rows[0].values[1].as_deref(), Some("a;b"));
    assert_eq!(rows[1].values[1].as_deref(), Some("riga uno\nriga due\nriga tre"));
    assert_eq!(rows[2].values[1].as_deref(), Some("con \"virgolette\""));

    // The same with CRLF line endings.
    let crlf = text.replace('\n', "\r\n");
    let p = write(dir.path(), "note_crlf.csv", crlf.as_bytes());
    let (rows, _) = drain(open(&csv_spec(), &p, &["id", "nota", "importo"]).unwrap());
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 6, 8]);
    assert_eq!(
        rows[1].values[1].as_deref(),
        Some("riga uno\r\nriga due\r\nriga tre")
    );
    assert_eq!(rows[3].values[2].as_deref(), Some("6"));
}

#[test]
fn title_rows_above_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Comune di Esempio - Elenco pagamenti 2024;;\n\
                Estratto il 31/12/2024\n\
                \n\
                Codice_ISTAT ; COMUNE;abitanti\n\
                015146;Milano;1371498\n\
                015077;Cantù;40000\n";
    let p = write(dir.path(), "titoli.csv", text.as_bytes());
    let r = open(&csv_spec(), &p, EXPECTED).unwrap();
    // header names are trimmed but keep their case
    assert_eq!(
        r.header(),
        strings(&["Codice_ISTAT", "COMUNE", "abitanti"]).as_slice()
    );
    let (rows, rejected) = drain(r);
    assert!(rejected.is_empty());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 5);
    assert_eq!(rows[1].line, 6);

    // An explicit header row gives the same result.
    let mut spec = csv_spec();
    spec.header_row = HeaderRow::Row(4);
    let r = open(&spec, &p, &[]).unwrap();
    assert_eq!(r.header()[0], "Codice_ISTAT");
    assert_eq!(drain(r).0[0].line, 5);

    // A header row that does not start a record is an error.
    spec.header_row = HeaderRow::Row(3);
    assert!(matches!(
        open(&spec, &p, &[]),
        Err(ConnectorError::HeaderNotFound { .. })
    ));
    spec.header_row = HeaderRow::Row(99);
    spec.delimiter = Some(';');
    let err = open(&spec, &p, &[]).err().unwrap();
    assert!(matches!(err, ConnectorError::HeaderNotFound { .. }), "{err}");
    assert!(err.to_string().contains("titoli.csv"), "{err}");
}

#[test]
fn ragged_rows_are_rejected_and_reading_continues() {
    let dir = tempfile::tempdir().unwrap();
    let text = "a;b;c\n1;2;3\n4;5\n6;7;8;9\n;;\n10;11;12\n";
    let p = write(dir.path(), "ragged.csv", text.as_bytes());
    let (rows, rejected) = drain(open(&csv_spec(), &p, &["a", "b", "c"]).unwrap());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 6]);
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0].line, 3);
    assert_eq!(rejected[0].code, "ragged_row");
    assert_eq!(rejected[0].column, None);
    assert_eq!(rejected[0].value, "4;5");
    assert_eq!(
        rejected[0].message_it,
        "La riga ha 2 campi invece dei 3 dell'intestazione"
    );
    assert_eq!(rejected[1].line, 4);
    assert_eq!(
        rejected[1].message_it,
        "La riga ha 4 campi invece dei 3 dell'intestazione"
    );
}

#[test]
fn decimal_comma_and_thousands_on_csv_values() {
    let dir = tempfile::tempdir().unwrap();
    let text = "voce;importo\nA;1.299,99\nB;-3,5\nC;1,2,3\nD;\n";
    let p = write(dir.path(), "importi.csv", text.as_bytes());
    let spec: FormatSpec =
        toml::from_str("format = \"csv\"\ndecimal_comma = true\nthousands_separator = \".\"").unwrap();
    let (rows, _) = drain(open(&spec, &p, &["voce", "importo"]).unwrap());
    let parsed: Vec<Option<f64>> = rows
        .iter()
        .map(|r| r.values[1].as_deref().and_then(|v| spec.parse_number(v)))
        .collect();
    assert_eq!(parsed, vec![Some(1299.99), Some(-3.5), None, None]);
    assert_eq!(parse_decimal("1.299,99", true, Some('.')), Some(1299.99));
}

#[test]
fn large_file_is_streamed_past_the_peek_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("Titolo\ncodice_istat;comune;abitanti\n");
    for i in 0..30_000 {
        text.push_str(&format!("{i:06};Comune numero {i};{i}\n"));
    }
    assert!(text.len() > metrodati_connectors::format::csv::PEEK_BYTES);
    let p = write(dir.path(), "big.csv", text.as_bytes());
    let (rows, rejected) = drain(open(&csv_spec(), &p, EXPECTED).unwrap());
    assert!(rejected.is_empty());
    assert_eq!(rows.len(), 30_000);
    let last = rows.last().unwrap();
    assert_eq!(last.line, 30_002);
    assert_eq!(last.values[0].as_deref(), Some("029999"));
}

#[test]
fn bad_inputs_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.csv", b"");
    assert!(matches!(
        open(&csv_spec(), &empty, EXPECTED),
        Err(ConnectorError::HeaderNotFound { .. })
    ));
    let blank = write(dir.path(), "blank.csv", b"\n\r\n  \n");
    assert!(open(&csv_spec(), &blank, EXPECTED).is_err());

    let mut spec = csv_spec();
    spec.quote = '«';
    assert!(matches!(
        open(&spec, &empty, &[]),
        Err(ConnectorError::Csv { .. })
    ));

    for seed in 1..6u64 {
        let p = write(dir.path(), &format!("noise{seed}.csv"), &noise(200_000, seed));
        if let Ok(r) = open(&csv_spec(), &p, EXPECTED) {
            for item in r {
                let _ = item;
            }
        }
    }
    // An unterminated quote rejects its line, not the rest of the file.
    let p = write(dir.path(), "quote.csv", b"a;b\n1;\"open\n2;3\n");
    let (rows, rejected) = drain(open(&csv_spec(), &p, &["a", "b"]).unwrap());
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0].line, rejected[0].code), (2, "unterminated_quote"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 3);
}

fn row(line: u64, v: &[&str]) -> RowItem {
    RowItem::Row(RawRow {
        line,
        values: values(&v.iter().map(|s| Some(*s)).collect::<Vec<_>>()),
    })
}

fn stray(line: u64, value: &str) -> RowItem {
    RowItem::Rejected(RejectedRow {
        line,
        column: None,
        value: value.to_string(),
        code: "unterminated_quote",
        message_it: "Virgolette non chiuse: la riga non può essere letta".to_string(),
    })
}

fn items(path: &std::path::Path, expected: &[&str]) -> Vec<RowItem> {
    open(&csv_spec(), path, expected)
        .unwrap()
        .map(|i| i.expect("no fatal error"))
        .collect()
}

/// The review's reproduction: a `"` at the start of a field on line 3 of a
/// 10-line `;` file used to swallow lines 3-10 into one field (2 records, the
/// second at line 2 instead of 3).
#[test]
fn a_stray_quote_rejects_its_line_and_the_following_lines_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = "codice_istat;comune;abitanti\n\
                015146;Milano;1371498\n\
                015077;\"Cantù;40000\n\
                015002;Abbiategrasso;32000\n\
                015005;Albairate;4700\n\
                015007;Arconate;6900\n\
                015009;Arese;19000\n\
                015010;Arluno;12000\n\
                015011;Assago;9300\n\
                015014;Baranzate;11700\n";
    assert_eq!(text.lines().count(), 10);
    let want = vec![
        row(2, &["015146", "Milano", "1371498"]),
        stray(3, "015077;\"Cantù;40000"),
        row(4, &["015002", "Abbiategrasso", "32000"]),
        row(5, &["015005", "Albairate", "4700"]),
        row(6, &["015007", "Arconate", "6900"]),
        row(7, &["015009", "Arese", "19000"]),
        row(8, &["015010", "Arluno", "12000"]),
        row(9, &["015011", "Assago", "9300"]),
        row(10, &["015014", "Baranzate", "11700"]),
    ];
    let p = write(dir.path(), "stray.csv", text.as_bytes());
    assert_eq!(items(&p, EXPECTED), want);

    // The same with CRLF and without the final newline.
    let crlf = text.replace('\n', "\r\n");
    let p = write(dir.path(), "stray_crlf.csv", crlf.trim_end().as_bytes());
    assert_eq!(items(&p, EXPECTED), want);

    // Header detection copes with it too (no expected columns).
    assert_eq!(items(&p, &[]), want);
}

#[test]
fn a_stray_quote_closed_by_a_later_one_is_taken_apart() {
    let dir = tempfile::tempdir().unwrap();
    // Line 3 opens a quote in the 2nd field, line 6's `24"` (3rd field)
    // closes it: lines 3-6 would make one record of 2 fields.
    let text = "id;nota;importo\n\
                1;ok;1\n\
                2;\"aperta;2\n\
                3;ok;3\n\
                4;ok;4\n\
                5;monitor;24\" led\n\
                6;ok;6\n";
    let p = write(dir.path(), "two.csv", text.as_bytes());
    assert_eq!(
        items(&p, &["id", "nota", "importo"]),
        vec![
            row(2, &["1", "ok", "1"]),
            stray(3, "2;\"aperta;2"),
            row(4, &["3", "ok", "3"]),
            row(5, &["4", "ok", "4"]),
            row(6, &["5", "monitor", "24\" led"]),
            row(7, &["6", "ok", "6"]),
        ]
    );
}

#[test]
fn a_stray_quote_in_a_large_file_is_given_up_after_the_line_limit() {
    use metrodati_connectors::format::csv::MAX_QUOTED_LINES;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("codice_istat;comune;abitanti\n1;\"a;1\n");
    let n = 3 * MAX_QUOTED_LINES;
    for i in 0..n {
        text.push_str(&format!("{i};c{i};{i}\n"));
    }
    // A quote much further down would have closed the field.
    text.push_str("x;pollici 24\";0\n");
    let p = write(dir.path(), "big_stray.csv", text.as_bytes());
    let got = items(&p, EXPECTED);
    assert_eq!(got.len(), n + 2);
    assert_eq!(got[0], stray(2, "1;\"a;1"));
    for (i, item) in got[1..=n].iter().enumerate() {
        let v = i.to_string();
        assert_eq!(*item, row(i as u64 + 3, &[&v, &format!("c{i}"), &v]));
    }
    assert_eq!(got[n + 1], row(n as u64 + 3, &["x", "pollici 24\"", "0"]));
}

/// Every physical data line ends up in exactly one item, whatever the quotes.
/// (A stray quote closed a few lines further down by another one, making a
/// record of the right width, is indistinguishable from a quoted multi-line
/// field and stays one row: here the closing lines have a fourth field.)
#[test]
fn every_line_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a;b;c\n");
    let mut n = 0u64;
    for i in 0..500u64 {
        let line = match i % 37 {
            5 => format!("{i};\"aperta;x\n"),
            11 => format!("{i};pollici 24\";x;y\n"),
            17 => format!("\"{i};\"\";x\n"),
            _ => format!("{i};v;w\n"),
        };
        text.push_str(&line);
        n += 1;
    }
    let p = write(dir.path(), "mix.csv", text.as_bytes());
    let got = items(&p, &["a", "b", "c"]);
    let mut lines: Vec<u64> = got
        .iter()
        .map(|i| match i {
            RowItem::Row(r) => r.line,
            RowItem::Rejected(r) => r.line,
        })
        .collect();
    let total = lines.len();
    lines.dedup();
    assert_eq!(lines.len(), total, "one item per line");
    assert_eq!(lines, (2..n + 2).collect::<Vec<_>>());
}

#[test]
fn terminated_multiline_fields_near_the_end_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id;nota;importo\n1;\"uno\ndue\";3\n2;\"tre\n\nquattro\";4";
    let p = write(dir.path(), "ml.csv", text.as_bytes());
    assert_eq!(
        items(&p, &["id", "nota", "importo"]),
        vec![
            row(2, &["1", "uno\ndue", "3"]),
            row(4, &["2", "tre\n\nquattro", "4"]),
        ]
    );
}
