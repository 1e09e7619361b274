//! The quarantine: every rejected row of a run and source, with file, sheet,
//! row, column, value, rule and an Italian message, written as Parquet (for
//! machines) and XLSX (for the data steward, who lives in Excel).
//!
//! Quarantine files contain personal data: they are written atomically with
//! owner-only permissions (0600).

use metrodati_connectors::atomic::write_atomic_bytes;
use polars::prelude::*;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One problem of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineEntry {
    pub file: String,
    pub sheet: Option<String>,
    /// Row number as the steward sees it in the file.
    pub row: u64,
    /// Source column, when the problem is about one value.
    pub column: Option<String>,
    /// Schema field the column maps to.
    pub field: Option<String>,
    pub value: Option<String>,
    /// Stable English rule code.
    pub rule: String,
    /// `error` (row rejected) or `warning` (row kept).
    pub severity: String,
    pub message_it: String,
}

/// A rejected row as it was read, so the steward can fix and resend it.
#[derive(Debug, Clone)]
pub struct RejectedRow {
    pub file: String,
    pub sheet: Option<String>,
    pub row: u64,
    pub header: Arc<Vec<String>>,
    pub values: Vec<Option<String>>,
}

/// Errors writing quarantine files.
#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("writing quarantine XLSX {path}: {source}")]
    Xlsx { path: PathBuf, source: XlsxError },
    #[error("writing quarantine file: {0}")]
    Write(#[from] metrodati_connectors::ConnectorError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

/// Entries buffered before they are appended to a Parquet log.
const LOG_BATCH: usize = 50_000;

/// At most this many problems and rejected rows go into the XLSX (Excel's
/// limit is about a million; a steward cannot use more anyway). The Parquet
/// files always have everything.
pub const XLSX_CAP: usize = 20_000;

/// An append-only Parquet file written in batches (bounded memory) and
/// committed atomically; nothing is written if nothing was appended.
struct ParquetLog<T> {
    path: PathBuf,
    frame: fn(&[T]) -> PolarsResult<DataFrame>,
    writer: Option<crate::store::PartitionWriter>,
    buffer: Vec<T>,
}

impl<T> ParquetLog<T> {
    fn new(path: PathBuf, frame: fn(&[T]) -> PolarsResult<DataFrame>) -> Self {
        ParquetLog {
            path,
            frame,
            writer: None,
            buffer: Vec::new(),
        }
    }

    fn push(&mut self, item: T) -> Result<(), crate::store::StoreError> {
        self.buffer.push(item);
        if self.buffer.len() >= LOG_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), crate::store::StoreError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let df = (self.frame)(&self.buffer).map_err(|source| crate::store::StoreError::Parquet {
            path: self.path.clone(),
            source,
        })?;
        if self.writer.is_none() {
            // The file's schema is the frame's (defined once, by `frame`).
            // Personal data: owner-only permissions.
            let schema = df.schema().as_ref().clone();
            self.writer = Some(crate::store::PartitionWriter::create_file(
                &self.path, schema, true,
            )?);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write(&df)?;
        }
        self.buffer.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<Option<PathBuf>, crate::store::StoreError> {
        self.flush()?;
        match self.writer.take() {
            Some(w) => Ok(Some(w.commit()?.path)),
            None => Ok(None),
        }
    }
}

fn entries_frame(e: &[QuarantineEntry]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&QuarantineEntry) -> Option<&str>| e.iter().map(f).collect::<Vec<Option<&str>>>();
    DataFrame::new(
        e.len(),
        vec![
            Column::new("file".into(), s(|x| Some(&x.file))),
            Column::new("sheet".into(), s(|x| x.sheet.as_deref())),
            Column::new("row".into(), e.iter().map(|x| x.row).collect::<Vec<u64>>()),
            Column::new("column".into(), s(|x| x.column.as_deref())),
            Column::new("field".into(), s(|x| x.field.as_deref())),
            Column::new("value".into(), s(|x| x.value.as_deref())),
            Column::new("rule".into(), s(|x| Some(&x.rule))),
            Column::new("severity".into(), s(|x| Some(&x.severity))),
            Column::new("message_it".into(), s(|x| Some(&x.message_it))),
        ],
    )
}

/// Rejected rows as read: the values as a JSON object keyed by header name.
fn rows_frame(r: &[RejectedRow]) -> PolarsResult<DataFrame> {
    let json: Vec<String> = r
        .iter()
        .map(|row| {
            let map: serde_json::Map<String, serde_json::Value> = row
                .header
                .iter()
                .zip(row.values.iter())
                .map(|(h, v)| {
                    (
                        h.clone(),
                        v.clone()
                            .map_or(serde_json::Value::Null, serde_json::Value::String),
                    )
                })
                .collect();
            serde_json::Value::Object(map).to_string()
        })
        .collect();
    DataFrame::new(
        r.len(),
        vec![
            Column::new(
                "file".into(),
                r.iter().map(|x| x.file.as_str()).collect::<Vec<&str>>(),
            ),
            Column::new(
                "sheet".into(),
                r.iter()
                    .map(|x| x.sheet.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            ),
            Column::new("row".into(), r.iter().map(|x| x.row).collect::<Vec<u64>>()),
            Column::new("values_json".into(), json),
        ],
    )
}

/// Quarantine of one source in one run: problems and rejected rows are
/// streamed to `<name>.parquet` and `<name>.rows.parquet` (everything, in
/// bounded memory) and the first [`XLSX_CAP`] of each go to `<name>.xlsx`.
pub struct Quarantine {
    xlsx_path: PathBuf,
    entries: ParquetLog<QuarantineEntry>,
    rows: ParquetLog<RejectedRow>,
    xlsx_entries: Vec<QuarantineEntry>,
    xlsx_rows: Vec<RejectedRow>,
    n_entries: u64,
    n_rows: u64,
    quality: BTreeMap<(String, String), u64>,
}

impl Quarantine {
    /// A quarantine writing `<dir>/<name>.{parquet,rows.parquet,xlsx}`.
    pub fn new(dir: &Path, name: &str) -> Quarantine {
        Quarantine {
            xlsx_path: dir.join(format!("{name}.xlsx")),
            entries: ParquetLog::new(dir.join(format!("{name}.parquet")), entries_frame),
            rows: ParquetLog::new(dir.join(format!("{name}.rows.parquet")), rows_frame),
            xlsx_entries: Vec::new(),
            xlsx_rows: Vec::new(),
            n_entries: 0,
            n_rows: 0,
            quality: BTreeMap::new(),
        }
    }

    /// Records a problem (an error of a rejected row, or a warning).
    pub fn add_entry(&mut self, e: QuarantineEntry) -> Result<(), QuarantineError> {
        *self
            .quality
            .entry((e.rule.clone(), e.severity.clone()))
            .or_default() += 1;
        self.n_entries += 1;
        if self.xlsx_entries.len() < XLSX_CAP {
            self.xlsx_entries.push(e.clone());
        }
        self.entries.push(e)?;
        Ok(())
    }

    /// Records a rejected row as it was read.
    pub fn add_row(&mut self, r: RejectedRow) -> Result<(), QuarantineError> {
        self.n_rows += 1;
        if self.xlsx_rows.len() < XLSX_CAP {
            self.xlsx_rows.push(r.clone());
        }
        self.rows.push(r)?;
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.n_entries == 0 && self.n_rows == 0
    }

    /// Rows rejected (not entries: a row may have several problems).
    pub fn rejected_rows(&self) -> u64 {
        self.n_rows
    }

    /// (rule, severity) → occurrences.
    pub fn quality(&self) -> &BTreeMap<(String, String), u64> {
        &self.quality
    }

    /// Commits the Parquet files and writes the XLSX; returns the files.
    pub fn finish(self) -> Result<Vec<PathBuf>, QuarantineError> {
        let mut files = Vec::new();
        if self.is_empty() {
            return Ok(files);
        }
        let bytes =
            xlsx(&self.xlsx_entries, &self.xlsx_rows, self.n_entries, self.n_rows).map_err(|source| {
                QuarantineError::Xlsx {
                    path: self.xlsx_path.clone(),
                    source,
                }
            })?;
        files.extend(self.entries.finish()?);
        files.extend(self.rows.finish()?);
        write_atomic_bytes(&self.xlsx_path, true, &bytes)?;
        files.push(self.xlsx_path);
        Ok(files)
    }
}

/// Excel cells hold at most 32,767 characters.
fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 32_000;
    if s.len() <= MAX {
        return s.into();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (troncato: valore completo nel file Parquet)", &s[..end]).into()
}

fn xlsx(
    entries: &[QuarantineEntry],
    rows: &[RejectedRow],
    n_entries: u64,
    n_rows: u64,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let note = |ws: &mut rust_xlsxwriter::Worksheet,
                r: u32,
                shown: usize,
                total: u64|
     -> Result<(), XlsxError> {
        if (shown as u64) < total {
            ws.write_string_with_format(
                r,
                0,
                format!("Mostrate {shown} righe su {total}: l'elenco completo è nei file Parquet accanto a questo."),
                &bold,
            )?;
        }
        Ok(())
    };
    {
        let ws = wb.add_worksheet().set_name("Errori")?;
        let header = [
            "File",
            "Foglio",
            "Riga",
            "Colonna",
            "Campo",
            "Valore",
            "Regola",
            "Gravità",
            "Messaggio",
        ];
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, x) in entries.iter().enumerate() {
            let r = (i + 1) as u32;
            ws.write_string(r, 0, cell(&x.file))?;
            ws.write_string(r, 1, x.sheet.as_deref().unwrap_or(""))?;
            ws.write_number(r, 2, x.row as f64)?;
            ws.write_string(r, 3, cell(x.column.as_deref().unwrap_or("")))?;
            ws.write_string(r, 4, x.field.as_deref().unwrap_or(""))?;
            ws.write_string(r, 5, cell(x.value.as_deref().unwrap_or("")))?;
            ws.write_string(r, 6, &x.rule)?;
            ws.write_string(r, 7, if x.severity == "error" { "errore" } else { "avviso" })?;
            ws.write_string(r, 8, cell(&x.message_it))?;
        }
        let last = entries.len() as u32;
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, last, (header.len() - 1) as u16)?;
        for (c, w) in [40.0, 12.0, 8.0, 22.0, 22.0, 24.0, 26.0, 9.0, 80.0]
            .iter()
            .enumerate()
        {
            ws.set_column_width(c as u16, *w)?;
        }
        note(ws, last + 2, entries.len(), n_entries)?;
    }
    {
        let ws = wb.add_worksheet().set_name("Righe scartate")?;
        // Union of the headers, in first-seen order.
        let mut columns: Vec<&str> = Vec::new();
        for r in rows {
            for h in r.header.iter() {
                if !columns.contains(&h.as_str()) {
                    columns.push(h);
                }
            }
        }
        let fixed = ["File", "Foglio", "Riga"];
        for (c, h) in fixed.iter().chain(columns.iter()).enumerate().take(16_000) {
            ws.write_string_with_format(0, c as u16, cell(h), &bold)?;
        }
        for (i, row) in rows.iter().enumerate() {
            let r = (i + 1) as u32;
            ws.write_string(r, 0, cell(&row.file))?;
            ws.write_string(r, 1, row.sheet.as_deref().unwrap_or(""))?;
            ws.write_number(r, 2, row.row as f64)?;
            for (h, v) in row.header.iter().zip(row.values.iter()) {
                if let (Some(c), Some(v)) = (columns.iter().position(|x| x == h), v) {
                    let col = c + fixed.len();
                    if col < 16_000 {
                        ws.write_string(r, col as u16, cell(v))?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 3)?;
        note(ws, rows.len() as u32 + 2, rows.len(), n_rows)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(row: u64) -> QuarantineEntry {
        QuarantineEntry {
            file: "/d/a.csv".into(),
            sheet: None,
            row,
            column: Some("CF".into()),
            field: Some("tax_code".into()),
            value: Some("RSSMRC80A01F205A".into()),
            rule: "cf_check_char".into(),
            severity: "error".into(),
            message_it: "Il carattere di controllo non è corretto".into(),
        }
    }

    fn rejected(row: u64) -> RejectedRow {
        RejectedRow {
            file: "/d/a.csv".into(),
            sheet: None,
            row,
            header: Arc::new(vec!["CF".to_string(), "COGNOME".to_string()]),
            values: vec![Some("RSSMRC80A01F205A".into()), Some("ROSSI".into())],
        }
    }

    #[test]
    fn beyond_the_xlsx_cap_everything_is_still_in_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Quarantine::new(dir.path(), "r");
        let n = XLSX_CAP as u64 + 5;
        for i in 0..n {
            q.add_entry(entry(i + 2)).unwrap();
            q.add_row(rejected(i + 2)).unwrap();
        }
        let files = q.finish().unwrap();
        let df = ParquetReader::new(std::fs::File::open(&files[0]).unwrap())
            .finish()
            .unwrap();
        assert_eq!(df.height() as u64, n);
        let rows = ParquetReader::new(std::fs::File::open(&files[1]).unwrap())
            .finish()
            .unwrap();
        assert_eq!(rows.height() as u64, n);
        assert!(std::fs::metadata(&files[2]).unwrap().len() > 0);
    }

    #[test]
    fn long_values_are_cut_for_excel_only() {
        let long = "x".repeat(40_000);
        assert!(cell(&long).len() < 32_767);
        assert_eq!(cell("abc"), "abc");
    }

    #[test]
    fn writes_parquet_and_xlsx_privately() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Quarantine::new(dir.path(), "residenti");
        q.add_entry(entry(7)).unwrap();
        q.add_row(rejected(7)).unwrap();
        assert_eq!(
            q.quality()
                .get(&("cf_check_char".to_string(), "error".to_string())),
            Some(&1)
        );
        let files = q.finish().unwrap();
        assert_eq!(files.len(), 3);
        let df = ParquetReader::new(std::fs::File::open(&files[0]).unwrap())
            .finish()
            .unwrap();
        assert_eq!(df.height(), 1);
        assert_eq!(
            df.column("rule").unwrap().str().unwrap().get(0),
            Some("cf_check_char")
        );
        assert_eq!(df.column("row").unwrap().u64().unwrap().get(0), Some(7));
        let rows = ParquetReader::new(std::fs::File::open(&files[1]).unwrap())
            .finish()
            .unwrap();
        assert_eq!(
            rows.column("values_json").unwrap().str().unwrap().get(0),
            Some(r#"{"CF":"RSSMRC80A01F205A","COGNOME":"ROSSI"}"#)
        );
        let files = [files[0].clone(), files[2].clone()];
        let bytes = std::fs::read(&files[1]).unwrap();
        assert_eq!(&bytes[..2], b"PK", "xlsx is a zip");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in &files {
                assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
            }
        }
    }
}

/// One value changed by a repair (trim, case, abbreviation, letter O…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairEntry {
    pub file: Arc<str>,
    pub sheet: Option<String>,
    pub row: u64,
    pub column: Option<String>,
    pub field: &'static str,
    /// Stable kind, e.g. `trim`, `case`, `cf_letter_o`.
    pub kind: &'static str,
    /// The value as read, before the repair.
    pub original: Option<String>,
}

/// Every repaired value of a source, streamed to
/// `<dir>/<source>.repairs.parquet` in batches (bounded memory), committed
/// atomically at the end; written only if there is at least one repair.
pub struct RepairLog {
    log: ParquetLog<RepairEntry>,
    count: u64,
}

fn repairs_frame(b: &[RepairEntry]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&RepairEntry) -> Option<&str>| b.iter().map(f).collect::<Vec<Option<&str>>>();
    DataFrame::new(
        b.len(),
        vec![
            Column::new("file".into(), s(|x| Some(&x.file))),
            Column::new("sheet".into(), s(|x| x.sheet.as_deref())),
            Column::new("row".into(), b.iter().map(|x| x.row).collect::<Vec<u64>>()),
            Column::new("column".into(), s(|x| x.column.as_deref())),
            Column::new("field".into(), s(|x| Some(x.field))),
            Column::new("kind".into(), s(|x| Some(x.kind))),
            Column::new("original".into(), s(|x| x.original.as_deref())),
        ],
    )
}

impl RepairLog {
    pub fn new(path: PathBuf) -> RepairLog {
        RepairLog {
            log: ParquetLog::new(path, repairs_frame),
            count: 0,
        }
    }

    /// Repairs recorded so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn push(&mut self, e: RepairEntry) -> Result<(), crate::store::StoreError> {
        self.count += 1;
        self.log.push(e)
    }

    /// Flushes and commits the log; `None` when there was nothing to record.
    pub fn finish(self) -> Result<Option<PathBuf>, crate::store::StoreError> {
        self.log.finish()
    }
}

#[cfg(test)]
mod repair_tests {
    use super::*;

    #[test]
    fn repair_log_streams_and_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.repairs.parquet");
        let mut log = RepairLog::new(path.clone());
        let file: Arc<str> = Arc::from("/d/a.csv");
        for i in 0..(LOG_BATCH as u64 + 3) {
            log.push(RepairEntry {
                file: file.clone(),
                sheet: None,
                row: i + 2,
                column: Some("COGNOME".into()),
                field: "family_name",
                kind: "case",
                original: Some("Rossi".into()),
            })
            .unwrap();
        }
        let written = log.finish().unwrap().unwrap();
        let df = crate::store::read_partition(&written).unwrap();
        assert_eq!(df.height(), LOG_BATCH + 3);
        assert_eq!(
            df.column("original").unwrap().str().unwrap().get(0),
            Some("Rossi")
        );
        assert!(RepairLog::new(dir.path().join("none.parquet"))
            .finish()
            .unwrap()
            .is_none());
    }
}
