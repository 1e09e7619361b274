//! Format readers: one module per family, all yielding [`RowItem`]s through
//! the [`RowReader`] trait.
//!
//! [`RowItem`]: crate::row::RowItem

pub mod csv;
pub mod excel;
pub mod json;
pub mod parquet;
mod sheet_size;

use crate::error::ConnectorError;
use crate::location::SourceObject;
use crate::row::RowReader;
use crate::spec::{Format, FormatSpec};

/// Opens a row reader over `object` as described by `spec`.
///
/// `expected_columns` (the target schema's source column names) guide
/// automatic header detection (CSV, spreadsheets) and tell which spreadsheet
/// columns are mapped (an error cell rejects its row only there); they are
/// never added to a header. Fatal problems (unreadable file, missing sheet, header not found,
/// sheet too large) are errors here; per-row problems come out of the reader
/// as [`crate::row::RowItem::Rejected`].
pub fn open_reader(
    spec: &FormatSpec,
    object: &SourceObject,
    expected_columns: &[String],
) -> Result<Box<dyn RowReader>, ConnectorError> {
    match spec.format {
        Format::Csv => csv::open(spec, object, expected_columns),
        Format::Xlsx | Format::Xls | Format::Ods => excel::open(spec, object, expected_columns),
        Format::Json => json::open_array(spec, object, expected_columns),
        Format::Ndjson => json::open_ndjson(spec, object, expected_columns),
        Format::Parquet => parquet::open(spec, object, expected_columns),
    }
}
