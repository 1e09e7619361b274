use std::io::Write;
use std::path::{Path, PathBuf};

use metrodati_connectors::{ConnectorError, Format, FormatSpec, HeaderRow, SheetSpec};
use rust_xlsxwriter::{ExcelDateTime, Formula, Workbook};

use crate::helpers::{drain, noise, open, strings, values, write};

const EXPECTED: &[&str] = &["codice_istat", "comune", "abitanti", "data_rilevazione"];

fn spec(format: Format) -> FormatSpec {
    FormatSpec::new(format)
}

/// Sheet "Copertina" first, then "Dati":
/// 1 title, 2 subtitle, 3 header, 4 data, 5 empty, 6 data (datetime),
/// 7 #N/A error, 8 data with a cell beyond the header.
fn make_xlsx(dir: &Path) -> PathBuf {
    let mut wb = Workbook::new();
    let cover = wb.add_worksheet();
    cover.set_name("Copertina").unwrap();
    cover.write_string(0, 0, "Comune di Esempio").unwrap();

    let ws = wb.add_worksheet();
    ws.set_name("Dati").unwrap();
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    let dt_fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy hh:mm");
    ws.write_string(0, 0, "Comune di Esempio - Residenti").unwrap();
    ws.write_string(1, 0, "Dati al 31/12/2024").unwrap();
    for (c, h) in EXPECTED.iter().enumerate() {
        ws.write_string(2, c as u16, format!(" {h} ")).unwrap();
    }
    ws.write_string(3, 0, "015146").unwrap();
    ws.write_string(3, 1, "Milano").unwrap();
    ws.write_number(3, 2, 1371498.0).unwrap();
    let d = ExcelDateTime::from_ymd(2024, 1, 1).unwrap();
    ws.write_datetime_with_format(3, 3, &d, &date_fmt).unwrap();
    // row 5 (index 4) stays empty
    ws.write_string(5, 0, "015077").unwrap();
    ws.write_string(5, 1, "Città di Prova").unwrap();
    ws.write_number(5, 2, 20100.0).unwrap();
    let dt = ExcelDateTime::from_ymd(2024, 3, 15)
        .unwrap()
        .and_hms(10, 30, 0)
        .unwrap();
    ws.write_datetime_with_format(5, 3, &dt, &dt_fmt).unwrap();
    ws.write_string(6, 0, "015999").unwrap();
    ws.write_formula(6, 2, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    ws.write_string(7, 0, "015888").unwrap();
    ws.write_number(7, 2, 12.5).unwrap();
    ws.write_boolean(7, 3, true).unwrap();
    ws.write_string(8, 0, "015777").unwrap();
    ws.write_string(8, 5, "nota a margine").unwrap();

    let path = dir.join("residenti.xlsx");
    wb.save(&path).unwrap();
    path
}

fn check_dati(reader: Box<dyn metrodati_connectors::RowReader>) {
    assert_eq!(reader.sheet(), Some("Dati"));
    assert_eq!(reader.encoding(), None);
    assert_eq!(reader.header(), strings(EXPECTED).as_slice());
    let (rows, rejected) = drain(reader);
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![4, 6, 8], "the empty row 5 is skipped");
    assert_eq!(
        rows[0].values,
        values(&[
            Some("015146"),
            Some("Milano"),
            Some("1371498"),
            Some("2024-01-01")
        ])
    );
    assert_eq!(
        rows[1].values,
        values(&[
            Some("015077"),
            Some("Città di Prova"),
            Some("20100"),
            Some("2024-03-15T10:30:00")
        ])
    );
    assert_eq!(
        rows[2].values,
        values(&[Some("015888"), None, Some("12.5"), Some("true")])
    );

    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0].line, 7);
    assert_eq!(rejected[0].code, "excel_error_cell");
    assert_eq!(rejected[0].column.as_deref(), Some("abitanti"));
    assert_eq!(rejected[0].value, "#N/A");
    assert!(
        rejected[0].message_it.contains("C7"),
        "{}",
        rejected[0].message_it
    );
    assert_eq!(rejected[1].line, 9);
    assert_eq!(rejected[1].code, "ragged_row");
    assert!(rejected[1].value.contains("nota a margine"));
}

#[test]
fn xlsx_sheet_by_name_and_by_index_with_title_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_xlsx(dir.path());

    let mut s = spec(Format::Xlsx);
    s.sheet = Some(SheetSpec::Name("Dati".into()));
    check_dati(open(&s, &path, EXPECTED).unwrap());

    s.sheet = Some(SheetSpec::Index(1));
    check_dati(open(&s, &path, EXPECTED).unwrap());

    s.header_row = HeaderRow::Row(3);
    check_dati(open(&s, &path, &[]).unwrap());
}

#[test]
fn xlsx_default_sheet_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_xlsx(dir.path());

    // default: the first sheet
    let r = open(&spec(Format::Xlsx), &path, EXPECTED).unwrap();
    assert_eq!(r.sheet(), Some("Copertina"));
    assert_eq!(r.header(), strings(&["Comune di Esempio"]).as_slice());
    assert!(drain(r).0.is_empty());

    let mut s = spec(Format::Xlsx);
    s.sheet = Some(SheetSpec::Name("Inesistente".into()));
    let err = open(&s, &path, EXPECTED).err().unwrap();
    assert!(matches!(err, ConnectorError::SheetNotFound { .. }), "{err}");
    assert!(err.to_string().contains("Copertina, Dati"), "{err}");

    s.sheet = Some(SheetSpec::Index(2));
    assert!(matches!(
        open(&s, &path, EXPECTED),
        Err(ConnectorError::SheetNotFound { .. })
    ));

    s.sheet = Some(SheetSpec::Index(1));
    s.header_row = HeaderRow::Row(5);
    assert!(matches!(
        open(&s, &path, EXPECTED),
        Err(ConnectorError::HeaderNotFound { .. })
    ));
}

#[test]
fn xlsx_used_range_not_at_a1_keeps_sheet_row_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(4, 2, "codice").unwrap();
    ws.write_string(4, 3, "valore").unwrap();
    ws.write_string(5, 2, "A").unwrap();
    ws.write_number(5, 3, 1.0).unwrap();
    ws.write_string(9, 2, "B").unwrap();
    ws.write_number(9, 3, -2.75).unwrap();
    let path = dir.path().join("offset.xlsx");
    wb.save(&path).unwrap();

    let r = open(&spec(Format::Xlsx), &path, &["codice", "valore"]).unwrap();
    assert_eq!(r.header(), strings(&["codice", "valore"]).as_slice());
    let (rows, rejected) = drain(r);
    assert!(rejected.is_empty());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![6, 10]);
    assert_eq!(rows[1].values, values(&[Some("B"), Some("-2.75")]));
}

#[test]
fn xlsx_cell_budget_refuses_a_large_declared_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Grande").unwrap();
    ws.write_string(0, 0, "a").unwrap();
    ws.write_string(0, 1, "b").unwrap();
    ws.write_string(0, 2, "c").unwrap();
    ws.write_string(199_999, 2, "lontano").unwrap();
    let path = dir.path().join("grande.xlsx");
    wb.save(&path).unwrap();

    let mut s = spec(Format::Xlsx);
    s.max_cells = 1000;
    let err = open(&s, &path, &[]).err().unwrap();
    match &err {
        ConnectorError::SheetTooLarge {
            rows,
            cols,
            max_cells,
            sheet,
            ..
        } => {
            assert_eq!((*rows, *cols, *max_cells), (200_000, 3, 1000));
            assert_eq!(sheet, "Grande");
        }
        other => panic!("expected SheetTooLarge, got {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("sheet_too_large"), "{msg}");
    assert!(msg.contains("200000 rows × 3 columns"), "{msg}");
    assert!(msg.contains("grande.xlsx"), "{msg}");

    // Within the default budget the same sheet reads, with its real row number.
    let (rows, _) = drain(open(&spec(Format::Xlsx), &path, &[]).unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 200_000);
    assert_eq!(rows[0].values, values(&[None, None, Some("lontano")]));
}

/// A minimal valid ODS: mimetype stored first, manifest, content.xml.
fn make_ods(dir: &Path) -> PathBuf {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
 <office:body>
  <office:spreadsheet>
   <table:table table:name="Elenco">
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>Città Metropolitana di Milano - Elenco comuni</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>codice_istat</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>comune</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>abitanti</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>data_rilevazione</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>015146</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Milano</text:p></table:table-cell>
     <table:table-cell office:value-type="float" office:value="1371498"><text:p>1371498</text:p></table:table-cell>
     <table:table-cell office:value-type="date" office:date-value="2024-03-15"><text:p>15/03/2024</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell table:number-columns-repeated="4"/>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>015077</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Cantù</text:p></table:table-cell>
     <table:table-cell office:value-type="float" office:value="40000.5"><text:p>40000,5</text:p></table:table-cell>
     <table:table-cell/>
    </table:table-row>
    <table:table-row table:number-rows-repeated="1048570">
     <table:table-cell table:number-columns-repeated="1024"/>
    </table:table-row>
   </table:table>
  </office:spreadsheet>
 </office:body>
</office:document-content>"#;
    write_ods(dir, "comuni.ods", content)
}

/// Zips a content.xml into a minimal ods: mimetype stored first, manifest.
fn write_ods(dir: &Path, name: &str, content: &str) -> PathBuf {
    // Like LibreOffice, no whitespace between elements (calamine needs that).
    let content: String = content.lines().map(str::trim).collect();
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;

    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", deflated).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", deflated).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap();
    path
}

#[test]
fn ods_with_a_title_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_ods(dir.path());
    let r = open(&spec(Format::Ods), &path, EXPECTED).unwrap();
    assert_eq!(r.sheet(), Some("Elenco"));
    assert_eq!(r.header(), strings(EXPECTED).as_slice());
    let (rows, rejected) = drain(r);
    assert!(rejected.is_empty());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 5]);
    assert_eq!(
        rows[0].values,
        values(&[
            Some("015146"),
            Some("Milano"),
            Some("1371498"),
            Some("2024-03-15")
        ])
    );
    assert_eq!(
        rows[1].values,
        values(&[Some("015077"), Some("Cantù"), Some("40000.5"), None])
    );

    // The used area is A1:D5 = 20 cells; LibreOffice's trailing empty
    // repeated rows (1048570) and columns (1024) do not count.
    let mut s = spec(Format::Ods);
    s.max_cells = 20;
    assert_eq!(drain(open(&s, &path, EXPECTED).unwrap()).0.len(), 2);
    s.max_cells = 19;
    let err = open(&s, &path, EXPECTED).err().unwrap();
    match &err {
        ConnectorError::SheetTooLarge {
            rows, cols, sheet, ..
        } => {
            assert_eq!((*rows, *cols), (5, 4));
            assert_eq!(sheet, "Elenco");
        }
        other => panic!("expected SheetTooLarge, got {other}"),
    }
    assert!(err.to_string().contains("sheet_too_large"));
}

/// Peak resident memory of this process (Linux), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const ODS_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
 <office:body>
  <office:spreadsheet>"#;
const ODS_TAIL: &str = r#"
  </office:spreadsheet>
 </office:body>
</office:document-content>"#;

/// The review's reproduction: a 5 KB ods declaring 20,000 rows × 2,000
/// non-empty columns (40M cells, over the default 20M budget) made calamine
/// allocate 4.9 GB and abort. It must be refused before it is loaded.
#[test]
fn ods_repeated_cells_over_budget_are_refused_before_loading() {
    let dir = tempfile::tempdir().unwrap();
    let content = format!(
        r#"{ODS_HEAD}
   <table:table table:name="Copertina">
    <table:table-row><table:table-cell office:value-type="string"><text:p>ok</text:p></table:table-cell></table:table-row>
   </table:table>
   <table:table table:name="Bomba">
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>codice</text:p></table:table-cell>
    </table:table-row>
    <table:table-row table:number-rows-repeated="20000">
     <table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="2000"><text:p>1</text:p></table:table-cell>
    </table:table-row>
    <table:table-row table:number-rows-repeated="1028575">
     <table:table-cell table:number-columns-repeated="16384"/>
    </table:table-row>
   </table:table>{ODS_TAIL}"#
    );
    let path = write_ods(dir.path(), "bomba.ods", &content);
    assert!(std::fs::metadata(&path).unwrap().len() < 5_000);

    for sheet in [None, Some(SheetSpec::Name("Bomba".into()))] {
        let mut s = spec(Format::Ods);
        s.sheet = sheet.clone();
        let started = std::time::Instant::now();
        let err = open(&s, &path, &[]).err().unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "refused in {:?}",
            started.elapsed()
        );
        // calamine decodes every sheet when it opens an ods: even with
        // the small first sheet chosen, the workbook is refused.
        match &err {
            ConnectorError::SheetTooLarge {
                sheet,
                rows,
                cols,
                cells,
                max_cells,
                ..
            } => {
                assert_eq!(sheet, "Bomba", "{sheet:?}");
                assert_eq!((*rows, *cols), (20_001, 2_000));
                assert_eq!((*cells, *max_cells), (40_002_000, 20_000_000));
            }
            other => panic!("expected SheetTooLarge, got {other}"),
        }
        assert!(err.to_string().contains("bomba.ods"), "{err}");
    }
    // Loading would have taken gigabytes; refusing takes next to nothing.
    if let Some(kib) = peak_rss_kib() {
        assert!(kib < 1024 * 1024, "peak RSS {kib} KiB");
    }
}

fn legacy_xls_bytes() -> Vec<u8> {
    std::fs::read(legacy_xls()).unwrap()
}

/// legacy.xls with the DIMENSIONS record of sheet "Anagrafe" (rows 0..6,
/// columns 0..4) changed to declare the whole BIFF8 sheet.
fn xls_declaring_whole_sheet(dir: &Path) -> PathBuf {
    let mut bytes = legacy_xls_bytes();
    // type 0x0200, length 14, rwMic 0, rwMac 6, colMic 0, colMac 4
    let old: [u8; 16] = [0x00, 0x02, 0x0E, 0x00, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 4, 0];
    let at: Vec<usize> = bytes
        .windows(old.len())
        .enumerate()
        .filter(|(_, w)| *w == old)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "the fixture has one such record");
    // rwMac 65536, colMac 256
    bytes[at[0] + 8..at[0] + 12].copy_from_slice(&65_536u32.to_le_bytes());
    bytes[at[0] + 14..at[0] + 16].copy_from_slice(&256u16.to_le_bytes());
    write(dir, "dichiarato.xls", &bytes)
}

#[test]
fn xls_declared_dimensions_over_budget_are_refused_before_loading() {
    let dir = tempfile::tempdir().unwrap();
    let path = xls_declaring_whole_sheet(dir.path());
    let mut s = spec(Format::Xls);
    s.max_cells = 1_000_000;
    let err = open(&s, &path, EXPECTED).err().unwrap();
    match &err {
        ConnectorError::SheetTooLarge {
            sheet,
            rows,
            cols,
            max_cells,
            ..
        } => {
            assert_eq!(sheet, "Anagrafe");
            assert_eq!((*rows, *cols, *max_cells), (65_536, 256, 1_000_000));
        }
        other => panic!("expected SheetTooLarge, got {other}"),
    }
    // The declared 16.7M cells fit the default budget: the sheet reads.
    let (rows, _) = drain(open(&spec(Format::Xls), &path, EXPECTED).unwrap());
    assert_eq!(rows.len(), 3);
}

fn legacy_xls() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy.xls")
}

#[test]
fn xls_fixture_with_a_title_row() {
    let path = legacy_xls();
    let r = open(&spec(Format::Xls), &path, EXPECTED).unwrap();
    assert_eq!(r.sheet(), Some("Anagrafe"));
    assert_eq!(r.header(), strings(EXPECTED).as_slice());
    let (rows, rejected) = drain(r);
    assert!(rejected.is_empty());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![4, 5, 6]);
    assert_eq!(
        rows[0].values,
        values(&[
            Some("015146"),
            Some("Milano"),
            Some("1371498"),
            Some("2024-01-01")
        ])
    );
    assert_eq!(
        rows[1].values,
        values(&[
            Some("015077"),
            Some("Città di Prova"),
            Some("20100"),
            Some("2024-03-15")
        ])
    );
    assert_eq!(
        rows[2].values,
        values(&[Some("015999"), Some("Niccolò D'Angelo"), Some("12.5"), None])
    );

    let mut s = spec(Format::Xls);
    s.sheet = Some(SheetSpec::Name("Note".into()));
    let r = open(&s, &path, &[]).unwrap();
    assert_eq!(r.header(), strings(&["Fonte: ufficio anagrafe"]).as_slice());

    // A1:D6 = 24 cells, declared by its DIMENSIONS record.
    let mut s = spec(Format::Xls);
    s.max_cells = 24;
    assert_eq!(drain(open(&s, &path, EXPECTED).unwrap()).0.len(), 3);
    s.max_cells = 4;
    match open(&s, &path, EXPECTED).err().unwrap() {
        ConnectorError::SheetTooLarge {
            sheet, rows, cols, ..
        } => assert_eq!((sheet.as_str(), rows, cols), ("Anagrafe", 6, 4)),
        other => panic!("expected SheetTooLarge, got {other}"),
    }
    // Every sheet must fit (calamine loads them all); the one asked for is
    // named first.
    s.sheet = Some(SheetSpec::Name("Note".into()));
    s.max_cells = 1;
    match open(&s, &path, &[]).err().unwrap() {
        ConnectorError::SheetTooLarge { sheet, .. } => assert_eq!(sheet, "Anagrafe"),
        other => panic!("expected SheetTooLarge, got {other}"),
    }
}

/// An error cell rejects its row only in a mapped (expected) column.
#[test]
fn error_cells_reject_the_row_only_in_expected_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["codice_istat", "comune", "calcolo", "abitanti"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // row 2: #VALUE! in "calcolo", which is not mapped
    ws.write_string(1, 0, "015146").unwrap();
    ws.write_string(1, 1, "Milano").unwrap();
    ws.write_formula(1, 2, Formula::new("=1+\"a\"").set_result("#VALUE!"))
        .unwrap();
    ws.write_number(1, 3, 1371498.0).unwrap();
    // row 3: #N/A in "abitanti", which is
    ws.write_string(2, 0, "015077").unwrap();
    ws.write_string(2, 1, "Cantù").unwrap();
    ws.write_formula(2, 3, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    let path = dir.path().join("errori.xlsx");
    wb.save(&path).unwrap();

    let expected = ["codice_istat", "Comune", "abitanti"];
    let (rows, rejected) = drain(open(&spec(Format::Xlsx), &path, &expected).unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 2);
    assert_eq!(
        rows[0].values,
        values(&[Some("015146"), Some("Milano"), None, Some("1371498")])
    );
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].line, 3);
    assert_eq!(rejected[0].code, "excel_error_cell");
    assert_eq!(rejected[0].column.as_deref(), Some("abitanti"));
    assert_eq!(rejected[0].value, "#N/A");

    // Without expected columns every column counts.
    let (rows, rejected) = drain(open(&spec(Format::Xlsx), &path, &[]).unwrap());
    assert!(rows.is_empty());
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0].value, "#VALUE!");
    assert_eq!(rejected[0].column.as_deref(), Some("calcolo"));
}

#[test]
fn wrong_or_damaged_spreadsheets_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "finto.xlsx", b"a;b\n1;2\n");
    for format in [Format::Xlsx, Format::Xls, Format::Ods] {
        let err = open(&spec(format), &csv, &[]).err();
        assert!(
            matches!(err, Some(ConnectorError::Excel { .. })),
            "{format}: {err:?}"
        );
    }

    // A truncated xlsx and pure noise.
    let good = std::fs::read(make_xlsx(dir.path())).unwrap();
    let cut = write(dir.path(), "cut.xlsx", &good[..good.len() / 2]);
    assert!(open(&spec(Format::Xlsx), &cut, &[]).is_err());
    for seed in 1..4u64 {
        let p = write(dir.path(), &format!("noise{seed}.bin"), &noise(50_000, seed));
        for format in [Format::Xlsx, Format::Xls, Format::Ods] {
            if let Ok(r) = open(&spec(format), &p, &[]) {
                for item in r {
                    let _ = item;
                }
            }
        }
    }
}
