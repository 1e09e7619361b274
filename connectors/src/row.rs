//! The row model shared by every reader.
//!
//! Every row keeps its provenance (`line`) until validation, so that a data
//! steward can find it in the original file. `line` is:
//! - CSV: the 1-based physical line where the record starts (the header is
//!   usually line 1, so the first data row is line 2; a quoted field spanning
//!   several lines counts all of them);
//! - spreadsheets: the 1-based sheet row, as Excel/LibreOffice show it,
//!   counting title rows above the header;
//! - NDJSON: the 1-based line; JSON arrays: the 1-based element index.
//!
//! Readers never trim or otherwise change values (the pipeline counts trimming
//! as a repair), except for stripping a byte-order mark.

use crate::error::ConnectorError;

/// One data row, aligned to the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRow {
    /// Where the row is in the source (see the module documentation).
    pub line: u64,
    /// One value per header column; `None` is an empty cell or CSV field.
    pub values: Vec<Option<String>>,
}

/// A row that a reader could not turn into a [`RawRow`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedRow {
    /// Where the row is in the source.
    pub line: u64,
    /// The column concerned, when the problem is one cell.
    pub column: Option<String>,
    /// The offending raw value (the cell, or the whole record/line).
    pub value: String,
    /// A stable machine-readable code, e.g. `ragged_row`, `invalid_json`,
    /// `excel_error_cell`.
    pub code: &'static str,
    /// An explanation in Italian for data stewards.
    pub message_it: String,
}

/// What a [`RowReader`] yields: a row or a rejected row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowItem {
    /// A row aligned to the header.
    Row(RawRow),
    /// A row-level problem; reading goes on.
    Rejected(RejectedRow),
}

/// Rejection code: a CSV record with more or fewer fields than the header,
/// or spreadsheet values beyond the last header column.
pub const CODE_RAGGED_ROW: &str = "ragged_row";
/// Rejection code: an NDJSON line or JSON array element that is not a valid
/// JSON object.
pub const CODE_INVALID_JSON: &str = "invalid_json";
/// Rejection code: a spreadsheet cell holding an error such as `#N/A`.
pub const CODE_EXCEL_ERROR_CELL: &str = "excel_error_cell";
/// Rejection code: a CSV line opening a quoted field that is never closed
/// (a stray quote); the lines after it are read normally.
pub const CODE_UNTERMINATED_QUOTE: &str = "unterminated_quote";

/// A streaming reader of rows.
///
/// Iteration yields `Ok(RowItem)` for each row or rejected row; an `Err` is a
/// fatal problem (e.g. an I/O error mid-file), after which the iterator ends.
pub trait RowReader: Iterator<Item = Result<RowItem, ConnectorError>> + Send {
    /// Column names, trimmed, in source order.
    fn header(&self) -> &[String];
    /// The sheet name, for spreadsheets.
    fn sheet(&self) -> Option<&str>;
    /// The detected or declared text encoding name (e.g. `UTF-8`,
    /// `windows-1252`), for text formats.
    fn encoding(&self) -> Option<&'static str>;
}

/// True when every value is absent or whitespace only.
pub(crate) fn is_blank<'a, I>(values: I) -> bool
where
    I: IntoIterator<Item = &'a str>,
{
    values.into_iter().all(|v| v.trim().is_empty())
}

/// Normalises a header name: strips a BOM and surrounding whitespace.
pub(crate) fn clean_header(name: &str) -> String {
    name.trim_start_matches('\u{feff}').trim().to_string()
}

/// Scores a candidate header: how many distinct expected columns it holds
/// (trimmed, case-insensitive, BOM ignored).
pub(crate) fn header_score<'a, I>(cells: I, expected_lower: &[String]) -> usize
where
    I: IntoIterator<Item = &'a str>,
{
    let present: std::collections::HashSet<String> = cells
        .into_iter()
        .map(|c| clean_header(c).to_lowercase())
        .collect();
    expected_lower
        .iter()
        .filter(|e| present.contains(e.as_str()))
        .count()
}

/// Lower-cased, trimmed expected column names, without duplicates or blanks.
pub(crate) fn expected_lower(expected: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in expected {
        let e = clean_header(e).to_lowercase();
        if !e.is_empty() && !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// The Italian message of a ragged row.
pub(crate) fn ragged_message(found: usize, expected: usize) -> String {
    let campi = if found == 1 { "campo" } else { "campi" };
    format!("La riga ha {found} {campi} invece dei {expected} dell'intestazione")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring() {
        let exp = expected_lower(&["Nome".into(), " COGNOME ".into(), "nome".into(), "".into()]);
        assert_eq!(exp, vec!["nome".to_string(), "cognome".to_string()]);
        assert_eq!(header_score(["\u{feff}nome ", "Cognome", "x"], &exp), 2);
        assert_eq!(header_score(["Elenco dipendenti 2024"], &exp), 0);
        assert_eq!(header_score(["nome", "nome"], &exp), 1);
    }

    #[test]
    fn blanks_and_messages() {
        assert!(is_blank(["", "  ", "\t"]));
        assert!(is_blank(std::iter::empty::<&str>()));
        assert!(!is_blank(["", "x"]));
        assert_eq!(
            ragged_message(7, 9),
            "La riga ha 7 campi invece dei 9 dell'intestazione"
        );
        assert_eq!(
            ragged_message(1, 3),
            "La riga ha 1 campo invece dei 3 dell'intestazione"
        );
        assert_eq!(clean_header("\u{feff} Codice ISTAT "), "Codice ISTAT");
    }
}
