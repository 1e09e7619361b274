//! Spreadsheet reader (xlsx, xls, ods) built on `calamine`.
//!
//! - The sheet is chosen by name or 0-based index (default: the first one).
//! - The header is the configured sheet row, or detected among the first 30
//!   non-blank rows like for CSV (municipal exports often have title rows).
//! - Cell budget (`max_cells`), always checked before calamine allocates the
//!   cells; over budget, opening fails with a `sheet_too_large` error:
//!   - xlsx: the dimensions *declared* by the sheet are checked before any
//!     cell is read, and the bounding box of the non-empty cells is checked
//!     again while streaming them;
//!   - xls and ods: calamine decodes *every* sheet when it opens the workbook,
//!     so before that the structure of the file is read (the `Workbook`
//!     stream's DIMENSIONS and cell records for xls, `content.xml` with its
//!     repeated rows and columns for ods; see `sheet_size.rs`) and every
//!     sheet must fit the budget, the requested one being reported first.
//!     Trailing empty repeated rows and columns of ods files are not counted.
//!     A file whose structure cannot be read this way (not a zip with a
//!     `content.xml`, not a compound file with a `Workbook` stream) is refused
//!     as a spreadsheet error without calling calamine. The loaded range is
//!     checked again after loading.
//! - Cells become text: strings as is, integral floats without `.0`
//!   (`20100`), other numbers with a `.` decimal point, dates as `YYYY-MM-DD`
//!   (or `YYYY-MM-DDTHH:MM:SS` when the time is not midnight, `HH:MM:SS` for a
//!   time of day alone), ISO date strings as is, booleans `true`/`false`.
//!   Empty cells are `None`. An error cell (`#N/A`, `#VALUE!`, …) rejects its
//!   row when it is in an expected (mapped) column, or in any column when no
//!   expected columns are given; in another column it reads as empty.
//! - Row numbers are the sheet's own 1-based numbers, whatever the used range.
//!
//! Only the non-empty cells of the sheet are kept in memory.

use std::io::{BufReader, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};

use calamine::{open_workbook_from_rs, Data, DataRef, ExcelDateTime, Ods, Range, Reader, Xls, Xlsx};

use super::sheet_size::{self, SheetSize};
use crate::error::ConnectorError;
use crate::location::{ReadSeek, SourceObject};
use crate::row::{
    clean_header, expected_lower, header_score, is_blank, RawRow, RejectedRow, RowItem, RowReader,
    CODE_EXCEL_ERROR_CELL, CODE_RAGGED_ROW,
};
use crate::spec::{Format, FormatSpec, HeaderRow, SheetSpec};

/// How many non-blank rows are candidates for an automatic header.
pub const HEADER_SEARCH_ROWS: usize = 30;

type Source = BufReader<Box<dyn ReadSeek>>;

/// A non-empty cell, converted.
#[derive(Clone, Debug, PartialEq)]
enum CellText {
    Value(String),
    Error(String),
}

impl CellText {
    fn text(&self) -> &str {
        match self {
            CellText::Value(s) | CellText::Error(s) => s,
        }
    }
}

/// A sheet row: its 0-based absolute index and its non-empty cells by
/// 0-based absolute column, sorted.
#[derive(Debug)]
struct SheetRow {
    row: u32,
    cells: Vec<(u32, CellText)>,
}

impl SheetRow {
    fn is_blank(&self) -> bool {
        is_blank(self.cells.iter().map(|(_, c)| c.text()))
    }
}

/// The loaded sheet: its name, first used column, and non-empty rows.
struct SheetData {
    name: String,
    first_col: u32,
    rows: Vec<SheetRow>,
}

/// Opens a spreadsheet reader; see the [module documentation](self).
pub fn open(
    spec: &FormatSpec,
    object: &SourceObject,
    expected_columns: &[String],
) -> Result<Box<dyn RowReader>, ConnectorError> {
    let url = object.url().to_string();
    let source = BufReader::new(object.open()?);
    let loaded = catch_unwind(AssertUnwindSafe(|| load(spec, &url, source))).unwrap_or_else(|_| {
        Err(ConnectorError::Excel {
            url: url.clone(),
            message: format!(
                "the {} reader failed on this file (is it damaged or of another format?)",
                spec.format
            ),
        })
    })?;
    build_reader(loaded, &url, spec.header_row, expected_columns)
}

fn excel_err(url: &str, message: String) -> ConnectorError {
    ConnectorError::Excel {
        url: url.to_string(),
        message,
    }
}

fn load(spec: &FormatSpec, url: &str, source: Source) -> Result<SheetData, ConnectorError> {
    match spec.format {
        Format::Xlsx => {
            let mut wb: Xlsx<Source> = open_workbook_from_rs(source)
                .map_err(|e| excel_err(url, format!("cannot open as xlsx: {e}")))?;
            let name = pick_sheet(url, &wb.sheet_names(), spec.sheet.as_ref())?;
            load_xlsx_sheet(&mut wb, url, name, spec.max_cells)
        }
        Format::Xls => {
            let mut source = source;
            let sizes = sheet_size::xls_sheets(&mut source)
                .map_err(|e| excel_err(url, format!("cannot open as xls: {e}")))?;
            check_sizes(url, &sizes, spec)?;
            rewind(url, &mut source)?;
            let mut wb: Xls<Source> = open_workbook_from_rs(source)
                .map_err(|e| excel_err(url, format!("cannot open as xls: {e}")))?;
            let name = pick_sheet(url, &wb.sheet_names(), spec.sheet.as_ref())?;
            let range = wb
                .worksheet_range(&name)
                .map_err(|e| excel_err(url, format!("cannot read sheet {name:?}: {e}")))?;
            range_to_sheet(url, name, &range, spec.max_cells)
        }
        Format::Ods => {
            let mut source = source;
            let sizes = sheet_size::ods_sheets(&mut source)
                .map_err(|e| excel_err(url, format!("cannot open as ods: {e}")))?;
            check_sizes(url, &sizes, spec)?;
            rewind(url, &mut source)?;
            let mut wb: Ods<Source> = open_workbook_from_rs(source)
                .map_err(|e| excel_err(url, format!("cannot open as ods: {e}")))?;
            let name = pick_sheet(url, &wb.sheet_names(), spec.sheet.as_ref())?;
            let range = wb
                .worksheet_range(&name)
                .map_err(|e| excel_err(url, format!("cannot read sheet {name:?}: {e}")))?;
            range_to_sheet(url, name, &range, spec.max_cells)
        }
        other => Err(ConnectorError::UnsupportedFormat {
            url: url.to_string(),
            message: format!("{other} is not a spreadsheet format"),
        }),
    }
}

fn rewind(url: &str, source: &mut Source) -> Result<(), ConnectorError> {
    source
        .seek(SeekFrom::Start(0))
        .map(drop)
        .map_err(|e| ConnectorError::io_at(url, e))
}

/// Refuses the workbook when a sheet is over budget (calamine would load them
/// all), naming the requested sheet first when it is one of them.
fn check_sizes(url: &str, sizes: &[SheetSize], spec: &FormatSpec) -> Result<(), ConnectorError> {
    let over: Vec<&SheetSize> = sizes.iter().filter(|s| s.cells() > spec.max_cells).collect();
    let names: Vec<String> = sizes.iter().map(|s| s.name.clone()).collect();
    let wanted = pick_sheet(url, &names, spec.sheet.as_ref()).ok();
    let first = over
        .iter()
        .find(|s| Some(&s.name) == wanted.as_ref())
        .or(over.first());
    match first {
        Some(s) => Err(too_large(url, &s.name, s.rows, s.cols, spec.max_cells)),
        None => Ok(()),
    }
}

/// Resolves the sheet spec to a sheet name.
fn pick_sheet(url: &str, names: &[String], sheet: Option<&SheetSpec>) -> Result<String, ConnectorError> {
    let found = match sheet {
        None => names.first().cloned(),
        Some(SheetSpec::Index(i)) => names.get(*i).cloned(),
        Some(SheetSpec::Name(n)) => names.iter().find(|s| *s == n).cloned().or_else(|| {
            let want = n.trim().to_lowercase();
            names.iter().find(|s| s.trim().to_lowercase() == want).cloned()
        }),
    };
    found.ok_or_else(|| ConnectorError::SheetNotFound {
        url: url.to_string(),
        sheet: match sheet {
            None => "(first sheet)".to_string(),
            Some(s) => s.to_string(),
        },
        available: names.to_vec(),
    })
}

fn too_large(url: &str, sheet: &str, rows: u64, cols: u64, max_cells: u64) -> ConnectorError {
    ConnectorError::SheetTooLarge {
        url: url.to_string(),
        sheet: sheet.to_string(),
        rows,
        cols,
        cells: rows.saturating_mul(cols),
        max_cells,
    }
}

/// Tracks the bounding box of non-empty cells against the budget.
#[derive(Default)]
struct BoundingBox {
    min: Option<(u32, u32)>,
    max: (u32, u32),
}

impl BoundingBox {
    fn add(&mut self, row: u32, col: u32) -> (u64, u64) {
        let (min_r, min_c) = match self.min {
            Some((r, c)) => (r.min(row), c.min(col)),
            None => (row, col),
        };
        self.min = Some((min_r, min_c));
        self.max = (self.max.0.max(row), self.max.1.max(col));
        (
            u64::from(self.max.0 - min_r) + 1,
            u64::from(self.max.1 - min_c) + 1,
        )
    }
}

fn load_xlsx_sheet(
    wb: &mut Xlsx<Source>,
    url: &str,
    name: String,
    max_cells: u64,
) -> Result<SheetData, ConnectorError> {
    let mut reader = wb
        .worksheet_cells_reader(&name)
        .map_err(|e| excel_err(url, format!("cannot read sheet {name:?}: {e}")))?;

    // 1. The declared dimensions, before reading any cell.
    let dims = reader.dimensions();
    if dims.end.0 >= dims.start.0 && dims.end.1 >= dims.start.1 {
        let rows = u64::from(dims.end.0 - dims.start.0) + 1;
        let cols = u64::from(dims.end.1 - dims.start.1) + 1;
        if rows.saturating_mul(cols) > max_cells {
            return Err(too_large(url, &name, rows, cols, max_cells));
        }
    }

    // 2. Stream the cells, keeping only non-empty ones, within the budget.
    let mut bbox = BoundingBox::default();
    let mut cells: Vec<(u32, u32, CellText)> = Vec::new();
    loop {
        let cell = reader
            .next_cell()
            .map_err(|e| excel_err(url, format!("cannot read sheet {name:?}: {e}")))?;
        let Some(cell) = cell else { break };
        let (row, col) = cell.get_position();
        let Some(text) = data_ref_text(cell.get_value()) else {
            continue;
        };
        let (rows, cols) = bbox.add(row, col);
        if rows.saturating_mul(cols) > max_cells {
            return Err(too_large(url, &name, rows, cols, max_cells));
        }
        cells.push((row, col, text));
    }
    drop(reader);
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    Ok(SheetData {
        first_col: bbox.min.map_or(0, |(_, c)| c),
        rows: group_rows(cells),
        name,
    })
}

fn range_to_sheet(
    url: &str,
    name: String,
    range: &Range<Data>,
    max_cells: u64,
) -> Result<SheetData, ConnectorError> {
    let (height, width) = range.get_size();
    let (rows, cols) = (height as u64, width as u64);
    if rows.saturating_mul(cols) > max_cells {
        return Err(too_large(url, &name, rows, cols, max_cells));
    }
    let (start_row, start_col) = range.start().unwrap_or((0, 0));
    let mut cells = Vec::new();
    for (r, c, value) in range.used_cells() {
        if let Some(text) = data_text(value) {
            let row = start_row.saturating_add(u32::try_from(r).unwrap_or(u32::MAX));
            let col = start_col.saturating_add(u32::try_from(c).unwrap_or(u32::MAX));
            cells.push((row, col, text));
        }
    }
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    let first_col = cells.iter().map(|(_, c, _)| *c).min().unwrap_or(start_col);
    Ok(SheetData {
        name,
        first_col,
        rows: group_rows(cells),
    })
}

fn group_rows(cells: Vec<(u32, u32, CellText)>) -> Vec<SheetRow> {
    let mut rows: Vec<SheetRow> = Vec::new();
    for (r, c, text) in cells {
        match rows.last_mut() {
            Some(last) if last.row == r => last.cells.push((c, text)),
            _ => rows.push(SheetRow {
                row: r,
                cells: vec![(c, text)],
            }),
        }
    }
    rows
}

/// Formats a float: integral values without a decimal part.
fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Formats an Excel date/time serial value.
fn datetime_text(dt: &ExcelDateTime) -> String {
    let v = dt.as_f64();
    if dt.is_duration() {
        let total = (v * 86_400.0).round();
        if !total.is_finite() {
            return float_text(v);
        }
        let sign = if total < 0.0 { "-" } else { "" };
        let total = total.abs() as u64;
        return format!(
            "{sign}{:02}:{:02}:{:02}",
            total / 3600,
            (total / 60) % 60,
            total % 60
        );
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let time = if ms == 0 {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{h:02}:{mi:02}:{s:02}.{ms:03}")
    };
    if (0.0..1.0).contains(&v) {
        // A time of day with no date.
        return time;
    }
    if h == 0 && mi == 0 && s == 0 && ms == 0 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{time}")
    }
}

fn non_empty(s: &str) -> Option<CellText> {
    if s.is_empty() {
        None
    } else {
        Some(CellText::Value(s.to_string()))
    }
}

fn data_text(d: &Data) -> Option<CellText> {
    match d {
        Data::Empty => None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => non_empty(s),
        Data::Int(i) => Some(CellText::Value(i.to_string())),
        Data::Float(f) => Some(CellText::Value(float_text(*f))),
        Data::Bool(b) => Some(CellText::Value(b.to_string())),
        Data::DateTime(dt) => Some(CellText::Value(datetime_text(dt))),
        Data::Error(e) => Some(CellText::Error(e.to_string())),
    }
}

fn data_ref_text(d: &DataRef<'_>) -> Option<CellText> {
    match d {
        DataRef::Empty => None,
        DataRef::SharedString(s) => non_empty(s),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => non_empty(s),
        DataRef::Int(i) => Some(CellText::Value(i.to_string())),
        DataRef::Float(f) => Some(CellText::Value(float_text(*f))),
        DataRef::Bool(b) => Some(CellText::Value(b.to_string())),
        DataRef::DateTime(dt) => Some(CellText::Value(datetime_text(dt))),
        DataRef::Error(e) => Some(CellText::Error(e.to_string())),
    }
}

/// `0` → `A`, `27` → `AB`.
fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

fn build_reader(
    sheet: SheetData,
    url: &str,
    header_row: HeaderRow,
    expected: &[String],
) -> Result<Box<dyn RowReader>, ConnectorError> {
    let not_found = |message: String| ConnectorError::HeaderNotFound {
        url: url.to_string(),
        message: format!("sheet {:?}: {message}", sheet.name),
    };
    let non_blank: Vec<usize> = sheet
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_blank())
        .map(|(i, _)| i)
        .collect();

    let header_idx = match header_row {
        HeaderRow::Row(0) => return Err(not_found("row numbers start at 1".to_string())),
        HeaderRow::Row(n) => {
            let target = n - 1;
            let idx = sheet.rows.iter().position(|r| r.row == target);
            match idx {
                Some(i) if !sheet.rows[i].is_blank() => i,
                _ => return Err(not_found(format!("row {n} is empty"))),
            }
        }
        HeaderRow::Auto => {
            let expected = expected_lower(expected);
            let mut best: Option<(usize, usize)> = None;
            for &i in non_blank.iter().take(HEADER_SEARCH_ROWS) {
                let score = header_score(sheet.rows[i].cells.iter().map(|(_, c)| c.text()), &expected);
                if score > best.map_or(0, |(s, _)| s) {
                    best = Some((score, i));
                }
            }
            match (best, non_blank.first()) {
                (Some((_, i)), _) => i,
                (None, Some(&i)) => i,
                (None, None) => return Err(not_found("the sheet is empty".to_string())),
            }
        }
    };

    let first_col = sheet.first_col;
    let header_cells = &sheet.rows[header_idx].cells;
    let last_col = header_cells
        .iter()
        .rev()
        .find(|(_, c)| !c.text().trim().is_empty())
        .map_or(first_col, |(c, _)| *c);
    let width = (last_col.saturating_sub(first_col) as usize) + 1;
    let mut header = vec![String::new(); width];
    for (c, cell) in header_cells {
        if let Some(slot) = c.checked_sub(first_col).and_then(|i| header.get_mut(i as usize)) {
            *slot = clean_header(cell.text());
        }
    }

    // Columns where an error cell rejects the row: the expected ones, or all
    // when none are given.
    let expected = expected_lower(expected);
    let mapped = header
        .iter()
        .map(|h| expected.is_empty() || expected.contains(&h.to_lowercase()))
        .collect();

    let rows: Vec<SheetRow> = sheet.rows.into_iter().skip(header_idx + 1).collect();
    Ok(Box::new(ExcelRowReader {
        header,
        mapped,
        sheet: sheet.name,
        first_col,
        rows: rows.into_iter(),
    }))
}

struct ExcelRowReader {
    header: Vec<String>,
    /// Per header column: whether an error cell there rejects the row.
    mapped: Vec<bool>,
    sheet: String,
    first_col: u32,
    rows: std::vec::IntoIter<SheetRow>,
}

impl ExcelRowReader {
    fn convert(&self, row: SheetRow) -> RowItem {
        let line = u64::from(row.row) + 1;
        let width = self.header.len();
        let mut values: Vec<Option<String>> = vec![None; width];
        let mut outside = Vec::new();
        for (c, cell) in row.cells {
            let idx = c
                .checked_sub(self.first_col)
                .map(|i| i as usize)
                .filter(|&i| i < width);
            match (idx, cell) {
                // An error in a column nobody reads is an empty cell.
                (Some(i), CellText::Error(_)) if !self.mapped[i] => {}
                (Some(i), CellText::Error(e)) => {
                    let column = self.header.get(i).cloned().unwrap_or_default();
                    return RowItem::Rejected(RejectedRow {
                        line,
                        message_it: format!(
                            "La cella {}{line} (colonna \"{column}\") contiene l'errore Excel {e}",
                            column_letters(c)
                        ),
                        column: Some(column),
                        value: e,
                        code: CODE_EXCEL_ERROR_CELL,
                    });
                }
                (Some(i), CellText::Value(v)) => values[i] = Some(v),
                (None, cell) if !cell.text().trim().is_empty() => {
                    outside.push(format!("{}{line}={}", column_letters(c), cell.text()));
                }
                (None, _) => {}
            }
        }
        if !outside.is_empty() {
            return RowItem::Rejected(RejectedRow {
                line,
                column: None,
                message_it: format!(
                    "La riga ha valori fuori dalle {width} colonne dell'intestazione: {}",
                    outside.join(", ")
                ),
                value: outside.join("; "),
                code: CODE_RAGGED_ROW,
            });
        }
        RowItem::Row(RawRow { line, values })
    }
}

impl Iterator for ExcelRowReader {
    type Item = Result<RowItem, ConnectorError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let row = self.rows.next()?;
            if row.is_blank() {
                continue;
            }
            return Some(Ok(self.convert(row)));
        }
    }
}

impl RowReader for ExcelRowReader {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn sheet(&self) -> Option<&str> {
        Some(&self.sheet)
    }

    fn encoding(&self) -> Option<&'static str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTimeType};

    #[test]
    fn numbers_and_dates() {
        assert_eq!(float_text(20100.0), "20100");
        assert_eq!(float_text(-0.0), "0");
        assert_eq!(float_text(3.25), "3.25");
        assert_eq!(float_text(1e20), "100000000000000000000");
        let date = ExcelDateTime::new(45366.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(datetime_text(&date), "2024-03-15");
        let dt = ExcelDateTime::new(45366.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(datetime_text(&dt), "2024-03-15T12:00:00");
        let t = ExcelDateTime::new(0.75, ExcelDateTimeType::DateTime, false);
        assert_eq!(datetime_text(&t), "18:00:00");
        let dur = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(datetime_text(&dur), "36:00:00");
        let weird = ExcelDateTime::new(f64::NAN, ExcelDateTimeType::DateTime, false);
        let _ = datetime_text(&weird);
    }

    #[test]
    fn cell_conversion() {
        assert_eq!(data_text(&Data::Empty), None);
        assert_eq!(data_text(&Data::String(String::new())), None);
        assert_eq!(
            data_text(&Data::String(" x ".into())),
            Some(CellText::Value(" x ".into()))
        );
        assert_eq!(data_text(&Data::Bool(true)), Some(CellText::Value("true".into())));
        assert_eq!(data_text(&Data::Int(-5)), Some(CellText::Value("-5".into())));
        assert_eq!(
            data_text(&Data::DateTimeIso("2024-01-02".into())),
            Some(CellText::Value("2024-01-02".into()))
        );
        assert_eq!(
            data_text(&Data::Error(CellErrorType::NA)),
            Some(CellText::Error("#N/A".into()))
        );
    }

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(16383), "XFD");
        let _ = column_letters(u32::MAX);
    }

    #[test]
    fn sheet_choice() {
        let names = vec!["Copertina".to_string(), "Dati".to_string()];
        assert_eq!(pick_sheet("u", &names, None).unwrap(), "Copertina");
        assert_eq!(
            pick_sheet("u", &names, Some(&SheetSpec::Index(1))).unwrap(),
            "Dati"
        );
        assert_eq!(
            pick_sheet("u", &names, Some(&SheetSpec::Name(" dati ".into()))).unwrap(),
            "Dati"
        );
        let err = pick_sheet("u", &names, Some(&SheetSpec::Index(5))).unwrap_err();
        assert!(err.to_string().contains("Copertina, Dati"), "{err}");
        assert!(pick_sheet("u", &[], None).is_err());
    }

    #[test]
    fn bounding_box() {
        let mut b = BoundingBox::default();
        assert_eq!(b.add(5, 2), (1, 1));
        assert_eq!(b.add(1, 4), (5, 3));
        assert_eq!(b.add(3, 0), (5, 5));
    }
}
