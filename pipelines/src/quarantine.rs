//! The quarantine: every rejected row of a run and source, with file, sheet,
//! row, column, value, rule and an Italian message, written as Parquet (for
//! machines) and XLSX (for the data steward, who lives in Excel).
//!
//! Quarantine files contain personal data: they are written atomically with
//! owner-only permissions (0600).

use metrodati_connectors::atomic::write_atomic_bytes;
use polars::prelude::*;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
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

/// Quarantine of one source in one run.
#[derive(Debug, Default)]
pub struct Quarantine {
    pub entries: Vec<QuarantineEntry>,
    pub rows: Vec<RejectedRow>,
}

/// Errors writing quarantine files.
#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("writing quarantine Parquet {path}: {source}")]
    Parquet { path: PathBuf, source: PolarsError },
    #[error("writing quarantine XLSX {path}: {source}")]
    Xlsx { path: PathBuf, source: XlsxError },
    #[error("writing quarantine file: {0}")]
    Write(#[from] metrodati_connectors::ConnectorError),
}

/// Excel's row limit, minus the header.
const XLSX_MAX_ROWS: usize = 1_048_575;

impl Quarantine {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Rows rejected (not entries: a row may have several problems).
    pub fn rejected_rows(&self) -> u64 {
        self.rows.len() as u64
    }

    /// Writes `<dir>/<name>.parquet` and `<dir>/<name>.xlsx`.
    pub fn write(&self, dir: &Path, name: &str) -> Result<Vec<PathBuf>, QuarantineError> {
        let parquet = dir.join(format!("{name}.parquet"));
        let xlsx = dir.join(format!("{name}.xlsx"));
        let mut df = self.frame().map_err(|source| QuarantineError::Parquet {
            path: parquet.clone(),
            source,
        })?;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(&mut df)
            .map_err(|source| QuarantineError::Parquet {
                path: parquet.clone(),
                source,
            })?;
        write_atomic_bytes(&parquet, true, &buf)?;
        let bytes = self.xlsx().map_err(|source| QuarantineError::Xlsx {
            path: xlsx.clone(),
            source,
        })?;
        write_atomic_bytes(&xlsx, true, &bytes)?;
        Ok(vec![parquet, xlsx])
    }

    /// The entries as a frame (the Parquet file's content).
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        let e = &self.entries;
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

    fn xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
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
            for (i, x) in self.entries.iter().take(XLSX_MAX_ROWS).enumerate() {
                let r = (i + 1) as u32;
                ws.write_string(r, 0, &x.file)?;
                ws.write_string(r, 1, x.sheet.as_deref().unwrap_or(""))?;
                ws.write_number(r, 2, x.row as f64)?;
                ws.write_string(r, 3, x.column.as_deref().unwrap_or(""))?;
                ws.write_string(r, 4, x.field.as_deref().unwrap_or(""))?;
                ws.write_string(r, 5, x.value.as_deref().unwrap_or(""))?;
                ws.write_string(r, 6, &x.rule)?;
                ws.write_string(r, 7, if x.severity == "error" { "errore" } else { "avviso" })?;
                ws.write_string(r, 8, &x.message_it)?;
            }
            let last = self.entries.len().min(XLSX_MAX_ROWS) as u32;
            ws.set_freeze_panes(1, 0)?;
            ws.autofilter(0, 0, last, (header.len() - 1) as u16)?;
            for (c, w) in [40.0, 12.0, 8.0, 22.0, 22.0, 24.0, 26.0, 9.0, 80.0]
                .iter()
                .enumerate()
            {
                ws.set_column_width(c as u16, *w)?;
            }
        }
        {
            let ws = wb.add_worksheet().set_name("Righe scartate")?;
            // Union of the headers, in first-seen order.
            let mut columns: Vec<&str> = Vec::new();
            for r in &self.rows {
                for h in r.header.iter() {
                    if !columns.contains(&h.as_str()) {
                        columns.push(h);
                    }
                }
            }
            let fixed = ["File", "Foglio", "Riga"];
            for (c, h) in fixed.iter().chain(columns.iter()).enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &bold)?;
            }
            for (i, row) in self.rows.iter().take(XLSX_MAX_ROWS).enumerate() {
                let r = (i + 1) as u32;
                ws.write_string(r, 0, &row.file)?;
                ws.write_string(r, 1, row.sheet.as_deref().unwrap_or(""))?;
                ws.write_number(r, 2, row.row as f64)?;
                for (h, v) in row.header.iter().zip(row.values.iter()) {
                    if let (Some(c), Some(v)) = (columns.iter().position(|x| x == h), v) {
                        ws.write_string(r, (c + fixed.len()) as u16, v)?;
                    }
                }
            }
            ws.set_freeze_panes(1, 3)?;
        }
        wb.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Quarantine {
        let header = Arc::new(vec!["CF".to_string(), "COGNOME".to_string()]);
        Quarantine {
            entries: vec![QuarantineEntry {
                file: "/d/a.csv".into(),
                sheet: None,
                row: 7,
                column: Some("CF".into()),
                field: Some("tax_code".into()),
                value: Some("RSSMRC80A01F205A".into()),
                rule: "cf_check_char".into(),
                severity: "error".into(),
                message_it: "Il carattere di controllo non è corretto".into(),
            }],
            rows: vec![RejectedRow {
                file: "/d/a.csv".into(),
                sheet: None,
                row: 7,
                header,
                values: vec![Some("RSSMRC80A01F205A".into()), Some("ROSSI".into())],
            }],
        }
    }

    #[test]
    fn writes_parquet_and_xlsx_privately() {
        let dir = tempfile::tempdir().unwrap();
        let files = sample().write(dir.path(), "residenti").unwrap();
        assert_eq!(files.len(), 2);
        let df = ParquetReader::new(std::fs::File::open(&files[0]).unwrap())
            .finish()
            .unwrap();
        assert_eq!(df.height(), 1);
        assert_eq!(
            df.column("rule").unwrap().str().unwrap().get(0),
            Some("cf_check_char")
        );
        assert_eq!(df.column("row").unwrap().u64().unwrap().get(0), Some(7));
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
    path: PathBuf,
    writer: Option<crate::store::PartitionWriter>,
    buffer: Vec<RepairEntry>,
    count: u64,
}

const REPAIR_BATCH: usize = 50_000;

impl RepairLog {
    pub fn new(path: PathBuf) -> RepairLog {
        RepairLog {
            path,
            writer: None,
            buffer: Vec::new(),
            count: 0,
        }
    }

    /// Repairs recorded so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn push(&mut self, e: RepairEntry) -> Result<(), crate::store::StoreError> {
        self.buffer.push(e);
        self.count += 1;
        if self.buffer.len() >= REPAIR_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn schema() -> Schema {
        [
            ("file", DataType::String),
            ("sheet", DataType::String),
            ("row", DataType::UInt64),
            ("column", DataType::String),
            ("field", DataType::String),
            ("kind", DataType::String),
            ("original", DataType::String),
        ]
        .into_iter()
        .map(|(n, t)| Field::new(n.into(), t))
        .collect()
    }

    fn flush(&mut self) -> Result<(), crate::store::StoreError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            self.writer = Some(crate::store::PartitionWriter::create_file(
                &self.path,
                Self::schema(),
                true,
            )?);
        }
        let b = &self.buffer;
        let s = |f: fn(&RepairEntry) -> Option<&str>| b.iter().map(f).collect::<Vec<Option<&str>>>();
        let df = DataFrame::new(
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
        .map_err(|source| crate::store::StoreError::Parquet {
            path: self.path.clone(),
            source,
        })?;
        if let Some(w) = self.writer.as_mut() {
            w.write(&df)?;
        }
        self.buffer.clear();
        Ok(())
    }

    /// Flushes and commits the log; `None` when there was nothing to record.
    pub fn finish(mut self) -> Result<Option<PathBuf>, crate::store::StoreError> {
        self.flush()?;
        match self.writer.take() {
            Some(w) => Ok(Some(w.commit()?.path)),
            None => Ok(None),
        }
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
        for i in 0..(REPAIR_BATCH as u64 + 3) {
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
        assert_eq!(df.height(), REPAIR_BATCH + 3);
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
