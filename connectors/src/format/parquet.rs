//! Parquet reader (polars), streamed in row slices so that memory stays
//! bounded whatever the file size.
//!
//! Every column is cast to text the way a steward would read it: dates as
//! `YYYY-MM-DD`, timestamps as `YYYY-MM-DD HH:MM:SS`, numbers in their
//! shortest form. `line` is the 1-based row number in the file.
//!
//! A local file is memory-mapped by polars for each slice. A remote object is
//! fetched once into a shared [`Bytes`] buffer: every slice reads it through a
//! `Cursor<Bytes>`, which polars borrows without copying, and the footer
//! (metadata) parsed at open time is reused by every slice.

use std::collections::VecDeque;
use std::io::Cursor;

use bytes::Bytes;
use polars::io::mmap::MmapBytesReader;
use polars::io::parquet::metadata::FileMetadataRef;
use polars::prelude::*;

use crate::error::ConnectorError;
use crate::location::SourceObject;
use crate::row::{clean_header, is_blank, RawRow, RowItem, RowReader};
use crate::spec::FormatSpec;

/// Rows read per slice.
pub const SLICE_ROWS: usize = 65_536;

enum Source {
    Local(std::path::PathBuf),
    /// The whole file, shared (not copied) by the reader of every slice.
    Bytes(Bytes),
}

struct ParquetRows {
    url: String,
    source: Source,
    metadata: Option<FileMetadataRef>,
    header: Vec<String>,
    total: usize,
    next: usize,
    buffer: VecDeque<RawRow>,
}

fn err(url: &str, e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Parquet {
        url: url.to_string(),
        message: e.to_string(),
    }
}

impl ParquetRows {
    /// A reader over the whole file; for [`Source::Bytes`] it borrows the
    /// shared buffer (see [`MmapBytesReader::to_bytes`]).
    fn byte_reader(&self) -> Result<Box<dyn MmapBytesReader>, ConnectorError> {
        Ok(match &self.source {
            Source::Local(p) => Box::new(std::fs::File::open(p).map_err(|e| ConnectorError::io(p, e))?),
            Source::Bytes(b) => Box::new(Cursor::new(b.clone())),
        })
    }

    fn reader(&self) -> Result<ParquetReader<Box<dyn MmapBytesReader>>, ConnectorError> {
        let mut reader = ParquetReader::new(self.byte_reader()?);
        if let Some(metadata) = &self.metadata {
            reader.set_metadata(metadata.clone());
        }
        Ok(reader)
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
        None => Source::Bytes(object.read_all()?),
    };
    Ok(Box::new(ParquetRows::new(url, source)?))
}

impl ParquetRows {
    /// Reads the footer (schema, row count) once.
    fn new(url: String, source: Source) -> Result<Self, ConnectorError> {
        let mut rows = ParquetRows {
            url,
            source,
            metadata: None,
            header: Vec::new(),
            total: 0,
            next: 0,
            buffer: VecDeque::new(),
        };
        let mut reader = rows.reader()?;
        let metadata = reader.get_metadata().map_err(|e| err(&rows.url, e))?.clone();
        let schema = reader.schema().map_err(|e| err(&rows.url, e))?;
        rows.header = schema.iter_names().map(|n| clean_header(n.as_str())).collect();
        rows.total = metadata.num_rows;
        rows.metadata = Some(metadata);
        Ok(rows)
    }
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
    fn a_damaged_file_is_a_parquet_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        std::fs::write(&path, b"PAR1 this is not parquet").unwrap();
        let obj = SourceObject::from_local_path(&path).unwrap();
        let err = open(&FormatSpec::new(crate::spec::Format::Parquet), &obj, &[])
            .err()
            .unwrap();
        assert!(matches!(err, ConnectorError::Parquet { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.starts_with("Parquet error in "), "{msg}");
        assert!(!msg.contains("unsupported format"), "{msg}");
        assert_eq!(msg.matches("bad.parquet").count(), 1, "{msg}");
    }

    fn small_parquet(n: usize) -> Vec<u8> {
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new("ID".into(), (0..n as i64).collect::<Vec<i64>>()),
                Column::new(
                    "NOME".into(),
                    (0..n).map(|i| format!("N{i}")).collect::<Vec<String>>(),
                ),
            ],
        )
        .unwrap();
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf).finish(&mut df).unwrap();
        buf
    }

    /// A remote object's bytes are shared by the reader of every slice,
    /// never copied (issue: the whole buffer was cloned per 65,536 rows).
    #[test]
    fn the_bytes_of_a_remote_file_are_shared_not_copied_per_slice() {
        let n = SLICE_ROWS + 3;
        let bytes = Bytes::from(small_parquet(n));
        let mut rows = ParquetRows::new("mem://r.parquet".into(), Source::Bytes(bytes.clone())).unwrap();
        assert_eq!(rows.header, ["ID", "NOME"]);
        assert_eq!(rows.total, n);
        assert!(rows.metadata.is_some(), "the footer is parsed once and reused");
        for _ in 0..2 {
            let r = rows.byte_reader().unwrap();
            let seen = r.to_bytes().expect("a Cursor<Bytes> exposes its bytes");
            assert_eq!(
                seen.as_ptr(),
                bytes.as_ptr(),
                "the slice reader must not copy the file"
            );
            assert_eq!(seen.len(), bytes.len());
        }
        let items: Vec<RawRow> = rows
            .by_ref()
            .map(|i| match i.unwrap() {
                RowItem::Row(r) => r,
                RowItem::Rejected(_) => panic!("no rejects expected"),
            })
            .collect();
        assert_eq!(items.len(), n);
        assert_eq!(items[SLICE_ROWS].line, SLICE_ROWS as u64 + 1);
        assert_eq!(
            items[SLICE_ROWS].values,
            vec![Some(SLICE_ROWS.to_string()), Some(format!("N{SLICE_ROWS}"))]
        );
    }
}
