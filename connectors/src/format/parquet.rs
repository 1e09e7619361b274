//! Parquet reader (polars), streamed in row slices so that memory stays
//! bounded whatever the file size.
//!
//! Every column is cast to text the way a steward would read it: dates as
//! `YYYY-MM-DD`, timestamps as `YYYY-MM-DD HH:MM:SS`, numbers in their
//! shortest form. `line` is the 1-based row number in the file.

use std::collections::VecDeque;
use std::io::Cursor;

use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;

use crate::error::ConnectorError;
use crate::location::SourceObject;
use crate::row::{clean_header, is_blank, RawRow, RowItem, RowReader};
use crate::spec::FormatSpec;

/// Rows read per slice.
pub const SLICE_ROWS: usize = 65_536;

enum Source {
    Local(std::path::PathBuf),
    Bytes(Arc<Vec<u8>>),
}

struct ParquetRows {
    url: String,
    source: Source,
    header: Vec<String>,
    total: usize,
    next: usize,
    buffer: VecDeque<RawRow>,
}

fn err(url: &str, e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::UnsupportedFormat {
        url: url.to_string(),
        message: format!("Parquet: {e}"),
    }
}

impl ParquetRows {
    fn reader(&self) -> Result<ParquetReader<Box<dyn MmapBytesReader>>, ConnectorError> {
        let r: Box<dyn MmapBytesReader> = match &self.source {
            Source::Local(p) => Box::new(std::fs::File::open(p).map_err(|e| ConnectorError::io(p, e))?),
            Source::Bytes(b) => Box::new(Cursor::new(b.as_ref().clone())),
        };
        Ok(ParquetReader::new(r))
    }

    fn fill(&mut self) -> Result<(), ConnectorError> {
        let len = SLICE_ROWS.min(self.total - self.next);
        let df = self
            .reader()?
            .with_slice(Some((self.next, len)))
            .finish()
            .map_err(|e| err(&self.url, e))?;
        let columns: Vec<StringChunked> = df
            .columns()
            .iter()
            .map(|c| {
                c.cast(&DataType::String)
                    .map_err(|e| err(&self.url, e))
                    .and_then(|c| c.str().cloned().map_err(|e| err(&self.url, e)))
            })
            .collect::<Result<_, _>>()?;
        for i in 0..df.height() {
            let values: Vec<Option<String>> = columns.iter().map(|c| c.get(i).map(str::to_string)).collect();
            let line = (self.next + i + 1) as u64;
            if is_blank(values.iter().flatten().map(String::as_str)) {
                continue;
            }
            self.buffer.push_back(RawRow { line, values });
        }
        self.next += len;
        Ok(())
    }
}

impl Iterator for ParquetRows {
    type Item = Result<RowItem, ConnectorError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.buffer.pop_front() {
                return Some(Ok(RowItem::Row(row)));
            }
            if self.next >= self.total {
                return None;
            }
            if let Err(e) = self.fill() {
                self.next = self.total;
                return Some(Err(e));
            }
        }
    }
}

impl RowReader for ParquetRows {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn sheet(&self) -> Option<&str> {
        None
    }

    fn encoding(&self) -> Option<&'static str> {
        None
    }
}

/// Opens a Parquet file for row-by-row reading.
pub fn open(
    _spec: &FormatSpec,
    object: &SourceObject,
    _expected_columns: &[String],
) -> Result<Box<dyn RowReader>, ConnectorError> {
    let url = object.url().to_string();
    let source = match object.local_path() {
        Some(p) => Source::Local(p.to_path_buf()),
        None => {
            let mut r = object.open()?;
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut r, &mut buf)
                .map_err(|e| ConnectorError::io_at(url.clone(), e))?;
            Source::Bytes(Arc::new(buf))
        }
    };
    let mut rows = ParquetRows {
        url,
        source,
        header: Vec::new(),
        total: 0,
        next: 0,
        buffer: VecDeque::new(),
    };
    let mut reader = rows.reader()?;
    let schema = reader.schema().map_err(|e| err(&rows.url, e))?;
    rows.header = schema.iter_names().map(|n| clean_header(n.as_str())).collect();
    rows.total = reader.num_rows().map_err(|e| err(&rows.url, e))?;
    Ok(Box::new(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_columns_as_text_in_slices() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        let n = SLICE_ROWS + 10;
        let names: Vec<Option<String>> = (0..n)
            .map(|i| if i == 3 { None } else { Some(format!("N{i}")) })
            .collect();
        let days: Vec<i32> = (0..n as i32).map(|i| 3652 + (i % 100)).collect();
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new("NOME".into(), names),
                Column::new("NASCITA".into(), days).cast(&DataType::Date).unwrap(),
                Column::new("CIVICO".into(), (0..n as i64).collect::<Vec<i64>>()),
            ],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let obj = SourceObject::from_local_path(&path).unwrap();
        let mut r = open(&FormatSpec::new(crate::spec::Format::Parquet), &obj, &[]).unwrap();
        assert_eq!(r.header(), ["NOME", "NASCITA", "CIVICO"]);
        let rows: Vec<RawRow> = r
            .by_ref()
            .map(|i| match i.unwrap() {
                RowItem::Row(r) => r,
                RowItem::Rejected(_) => panic!("no rejects expected"),
            })
            .collect();
        assert_eq!(rows.len(), n);
        assert_eq!(rows[0].line, 1);
        assert_eq!(rows[0].values[1].as_deref(), Some("1980-01-01"));
        assert_eq!(rows[3].values[0], None);
        let last = rows.last().unwrap();
        assert_eq!(last.line, n as u64);
        assert_eq!(last.values[2].as_deref(), Some((n - 1).to_string().as_str()));
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        std::fs::write(&path, b"PAR1 this is not parquet").unwrap();
        let obj = SourceObject::from_local_path(&path).unwrap();
        assert!(open(&FormatSpec::new(crate::spec::Format::Parquet), &obj, &[]).is_err());
    }
}
