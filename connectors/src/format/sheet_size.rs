//! The size of ods and xls sheets, read *before* calamine loads them.
//!
//! calamine decodes every sheet of an ods or xls workbook as soon as the
//! workbook is opened: for ods it expands repeated rows and columns into one
//! value per cell, for xls it reserves room for the dimensions each sheet
//! declares and then for the bounding box of its cells. A few kilobytes can
//! therefore ask for gigabytes (a row repeated 20,000 times holding a cell
//! repeated 2,000 times is 40 million cells). This module reads only the
//! structure of the file, in bounded memory, so that an over-budget sheet is
//! refused before calamine runs:
//!
//! - **ods**: `content.xml` is streamed out of the zip and, for each table,
//!   the rows and cells are counted with their `table:number-rows-repeated`
//!   and `table:number-columns-repeated` attributes, up to the last non-empty
//!   row and column. Empty repeated ranges after them (LibreOffice writes one
//!   row repeated up to row 1,048,576 and cells repeated up to column 16,384
//!   to carry styles) are not counted: calamine drops them too. The size is
//!   the area from A1 to the last non-empty row and column, which also bounds
//!   what calamine holds before it trims leading empty rows and columns.
//! - **xls**: the `Workbook` (or BIFF5 `Book`) stream is read out of the
//!   compound file record by record: the sheet list (BoundSheet8), then for
//!   each sheet its DIMENSIONS record (0x0200), computed the way calamine
//!   computes the room it reserves, and the bounding box of the cell records
//!   calamine keeps. The larger of the two is the sheet's size.
//!
//! A cell counts as non-empty when it has a value or a formula; the test is
//! on attributes only and errs on the side of counting (a cell with a value
//! type but no value counts), so the size is never below what calamine
//! allocates.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use quick_xml::events::{BytesStart, Event};

/// The size of one sheet: rows × columns that calamine would hold for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SheetSize {
    /// The sheet name.
    pub name: String,
    /// Rows.
    pub rows: u64,
    /// Columns.
    pub cols: u64,
}

impl SheetSize {
    /// rows × columns.
    pub fn cells(&self) -> u64 {
        self.rows.saturating_mul(self.cols)
    }
}

// ---------------------------------------------------------------- ods

/// The sizes of the tables of an ods file, in document order.
pub(crate) fn ods_sheets<R: Read + Seek>(source: R) -> Result<Vec<SheetSize>, String> {
    let mut zip = zip::ZipArchive::new(source).map_err(|e| format!("not an ods (zip) file: {e}"))?;
    let content = zip
        .by_name("content.xml")
        .map_err(|e| format!("cannot read content.xml: {e}"))?;
    scan_ods_content(BufReader::new(content))
}

/// The table being scanned.
struct TableScan {
    /// `None` for a table without `table:name`, which calamine does not load.
    name: Option<String>,
    /// Element depth of the `table:table` element.
    depth: usize,
    /// 0-based index of the next row.
    next_row: u64,
    /// One past the last non-empty row (0: none yet).
    rows_end: u64,
    /// One past the last non-empty column of any row (0: none yet).
    cols_end: u64,
}

/// The row being scanned.
struct RowScan {
    depth: usize,
    repeat: u64,
    /// 0-based index of the next column.
    next_col: u64,
    /// One past the last non-empty cell (0: the row is empty).
    cols_end: u64,
}

/// A repeat count; calamine fails on what does not parse, so any value does.
fn repeat_attr(e: &BytesStart<'_>, local: &str) -> u64 {
    for attr in e.attributes().with_checks(false).flatten() {
        if attr.key.local_name().as_ref() == local {
            return attr.value.trim().parse().unwrap_or(1);
        }
    }
    1
}

/// Whether a cell holds a value or a formula (see the module documentation).
fn cell_has_content(e: &BytesStart<'_>) -> bool {
    e.attributes()
        .with_checks(false)
        .flatten()
        .any(|attr| match attr.key.local_name().as_ref() {
            "value" | "string-value" | "date-value" | "time-value" | "boolean-value" | "value-type" => true,
            "formula" => !attr.value.is_empty(),
            _ => false,
        })
}

fn scan_ods_content<R: BufRead>(input: R) -> Result<Vec<SheetSize>, String> {
    let mut reader = quick_xml::Reader::from_reader(input);
    {
        // As lenient as calamine's own reader.
        let config = reader.config_mut();
        config.check_end_names = false;
        config.check_comments = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut sheets = Vec::new();
    let mut buf = Vec::new();
    // Number of open elements.
    let mut depth = 0usize;
    let mut table: Option<TableScan> = None;
    let mut row: Option<RowScan> = None;
    // Depth of the cell whose content is being skipped.
    let mut in_cell: Option<usize> = None;

    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "content.xml is not valid XML (byte {}): {e}",
                reader.error_position()
            )
        })?;
        let (start, is_empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let at = depth;
            if !is_empty {
                depth += 1;
            }
            if in_cell.is_some() {
                buf.clear();
                continue;
            }
            match e.local_name().as_ref() {
                "table" if table.is_none() => {
                    let name = e
                        .attributes()
                        .with_checks(false)
                        .flatten()
                        .find(|a| a.key.as_ref() == "table:name")
                        .map(|a| a.value.into_owned());
                    let t = TableScan {
                        name,
                        depth: at,
                        next_row: 0,
                        rows_end: 0,
                        cols_end: 0,
                    };
                    if is_empty {
                        finish_table(t, &mut sheets);
                    } else {
                        table = Some(t);
                    }
                }
                "table-row" if row.is_none() => {
                    if let Some(t) = table.as_mut() {
                        // calamine reads a row repeated 0 times like any other.
                        let repeat = repeat_attr(e, "number-rows-repeated").max(1);
                        if is_empty {
                            t.next_row = t.next_row.saturating_add(repeat);
                        } else {
                            row = Some(RowScan {
                                depth: at,
                                repeat,
                                next_col: 0,
                                cols_end: 0,
                            });
                        }
                    }
                }
                "table-cell" | "covered-table-cell" => {
                    if let Some(r) = row.as_mut() {
                        let repeat = repeat_attr(e, "number-columns-repeated");
                        let end = r.next_col.saturating_add(repeat);
                        if repeat > 0 && cell_has_content(e) {
                            r.cols_end = end;
                        }
                        r.next_col = end;
                        if !is_empty {
                            in_cell = Some(at);
                        }
                    }
                }
                _ => {}
            }
        } else {
            match event {
                Event::End(_) => {
                    depth = depth.saturating_sub(1);
                    if let Some(d) = in_cell {
                        if d == depth {
                            in_cell = None;
                        }
                    } else if row.as_ref().is_some_and(|r| r.depth == depth) {
                        let r = row.take().expect("checked above");
                        if let Some(t) = table.as_mut() {
                            finish_row(r, t);
                        }
                    } else if table.as_ref().is_some_and(|t| t.depth == depth) {
                        row = None;
                        finish_table(table.take().expect("checked above"), &mut sheets);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        buf.clear();
    }
    // A truncated document: count what was declared.
    if let Some(mut t) = table.take() {
        if let Some(r) = row.take() {
            finish_row(r, &mut t);
        }
        finish_table(t, &mut sheets);
    }
    Ok(sheets)
}

fn finish_row(r: RowScan, t: &mut TableScan) {
    if r.cols_end > 0 {
        t.rows_end = t.next_row.saturating_add(r.repeat);
        t.cols_end = t.cols_end.max(r.cols_end);
    }
    t.next_row = t.next_row.saturating_add(r.repeat);
}

fn finish_table(t: TableScan, sheets: &mut Vec<SheetSize>) {
    if let Some(name) = t.name {
        sheets.push(SheetSize {
            name,
            rows: t.rows_end,
            cols: t.cols_end,
        });
    }
}

// ---------------------------------------------------------------- xls

/// The sizes of the sheets of an xls (BIFF5/BIFF8) file, in workbook order.
pub(crate) fn xls_sheets<R: Read + Seek>(source: R) -> Result<Vec<SheetSize>, String> {
    let mut cfb = cfb::CompoundFile::open(source).map_err(|e| format!("not an xls (compound) file: {e}"))?;
    let stream = match cfb.open_stream("/Workbook") {
        Ok(s) => s,
        Err(_) => cfb
            .open_stream("/Book")
            .map_err(|e| format!("no Workbook stream in the file: {e}"))?,
    };
    scan_biff(BufReader::new(stream))
}

const BIFF_EOF: u16 = 0x000A;
const BIFF_BOF: u16 = 0x0809;
const BIFF_BOUNDSHEET: u16 = 0x0085;
const BIFF_DIMENSIONS: u16 = 0x0200;
const BIFF_MULRK: u16 = 0x00BD;
/// Records whose first 4 bytes are the row and column of a cell that
/// calamine keeps (Number, Label, RString, BoolErr, RK, LabelSst, Formula).
const BIFF_CELLS: [u16; 7] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006];

/// Reads BIFF records: (type, data). `None` at the end of the stream or on
/// a truncated record (on which calamine fails anyway).
struct Records<R> {
    inner: R,
    data: Vec<u8>,
}

impl<R: Read + Seek> Records<R> {
    fn seek(&mut self, pos: u64) -> Result<(), String> {
        self.inner
            .seek(SeekFrom::Start(pos))
            .map(drop)
            .map_err(|e| format!("cannot read the Workbook stream: {e}"))
    }

    fn next(&mut self) -> Option<(u16, &[u8])> {
        let mut head = [0u8; 4];
        self.inner.read_exact(&mut head).ok()?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        self.data.resize(len, 0);
        self.inner.read_exact(&mut self.data).ok()?;
        Some((typ, &self.data))
    }
}

fn u16_at(d: &[u8], i: usize) -> Option<u32> {
    d.get(i..i + 2)
        .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(d: &[u8], i: usize) -> Option<u32> {
    d.get(i..i + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A BoundSheet8 record: the stream offset of the sheet's BOF and its name.
fn bound_sheet(d: &[u8], biff5: bool) -> Option<(u64, String)> {
    let pos = u64::from(u32_at(d, 0)?);
    let cch = usize::from(*d.get(6)?);
    let name = if biff5 {
        let bytes = d.get(7..).unwrap_or_default();
        let bytes = &bytes[..cch.min(bytes.len())];
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
    } else {
        let wide = d.get(7).is_some_and(|f| f & 1 == 1);
        let chars = d.get(8..).unwrap_or_default();
        if wide {
            let units: Vec<u16> = chars
                .chunks_exact(2)
                .take(cch)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            chars.iter().take(cch).map(|&b| char::from(b)).collect()
        }
    };
    Some((pos, name.replace('\0', "")))
}

/// The rows × columns calamine reserves for a DIMENSIONS record (its own
/// arithmetic, including the wrap-around of a malformed record in release
/// builds).
fn dimensions(d: &[u8]) -> Option<(u64, u64)> {
    let (rf, rl, mut cf, cl) = match d.len() {
        10 => (u16_at(d, 0)?, u16_at(d, 2)?, u16_at(d, 4)?, u16_at(d, 6)?),
        14 | 16 => (u32_at(d, 0)?, u32_at(d, 4)?, u16_at(d, 8)?, u16_at(d, 10)?),
        _ => return None,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if rl >= 1 && cl >= 1 {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = end.0.wrapping_sub(start.0).wrapping_add(1);
    let cols = end.1.wrapping_sub(start.1).wrapping_add(1);
    Some((u64::from(rows), u64::from(cols)))
}

/// Bounding box of cell positions.
#[derive(Default)]
struct CellBox(Option<(u32, u32, u32, u32)>);

impl CellBox {
    fn add(&mut self, row: u32, col: u32) {
        self.0 = Some(match self.0 {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    }

    fn size(&self) -> (u64, u64) {
        match self.0 {
            None => (0, 0),
            Some((r0, r1, c0, c1)) => (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1),
        }
    }
}

fn scan_biff<R: Read + Seek>(stream: R) -> Result<Vec<SheetSize>, String> {
    let mut records = Records {
        inner: stream,
        data: Vec::new(),
    };
    // Globals substream: the BIFF version and the sheet list.
    let mut biff5 = false;
    let mut first = true;
    let mut bound: Vec<(u64, String)> = Vec::new();
    while let Some((typ, data)) = records.next() {
        match typ {
            BIFF_BOF if first => {
                let version = u16_at(data, 0).unwrap_or(0x0600);
                let dt = u16_at(data, 2).unwrap_or(0);
                biff5 = version == 0x0500 || (version == 0 && dt == 0x1000);
            }
            BIFF_BOUNDSHEET => {
                if let Some(b) = bound_sheet(data, biff5) {
                    bound.push(b);
                }
            }
            BIFF_EOF => break,
            _ => {}
        }
        first = false;
    }

    let mut sheets = Vec::with_capacity(bound.len());
    for (pos, name) in bound {
        records.seek(pos)?;
        let mut declared = (0u64, 0u64);
        let mut cells = CellBox::default();
        let mut seen_bof = false;
        let mut nested = 0usize;
        while let Some((typ, data)) = records.next() {
            if nested > 0 {
                match typ {
                    BIFF_BOF => nested += 1,
                    BIFF_EOF => nested -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                BIFF_BOF if seen_bof => nested += 1,
                BIFF_BOF => seen_bof = true,
                BIFF_EOF => break,
                BIFF_DIMENSIONS => {
                    if let Some(d) = dimensions(data) {
                        if d.0.saturating_mul(d.1) > declared.0.saturating_mul(declared.1) {
                            declared = d;
                        }
                    }
                }
                BIFF_MULRK => {
                    if let (Some(row), Some(first_col), Some(last_col)) = (
                        u16_at(data, 0),
                        u16_at(data, 2),
                        data.len().checked_sub(2).and_then(|i| u16_at(data, i)),
                    ) {
                        cells.add(row, first_col);
                        cells.add(row, last_col);
                    }
                }
                t if BIFF_CELLS.contains(&t) => {
                    if let (Some(row), Some(col)) = (u16_at(data, 0), u16_at(data, 2)) {
                        cells.add(row, col);
                    }
                }
                _ => {}
            }
        }
        let used = cells.size();
        let (rows, cols) = if used.0.saturating_mul(used.1) > declared.0.saturating_mul(declared.1) {
            used
        } else {
            declared
        };
        sheets.push(SheetSize { name, rows, cols });
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ods(tables: &str) -> Vec<SheetSize> {
        let xml = format!(
            "<?xml version=\"1.0\"?><office:document-content \
             xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
             xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
             xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\">\
             <office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>\
             </office:document-content>"
        );
        scan_ods_content(xml.as_bytes()).unwrap()
    }

    fn size(name: &str, rows: u64, cols: u64) -> SheetSize {
        SheetSize {
            name: name.into(),
            rows,
            cols,
        }
    }

    const V: &str = "office:value-type=\"float\" office:value=\"1\"";

    #[test]
    fn ods_repeats_are_multiplied() {
        let t = format!(
            "<table:table table:name=\"Bomba\">\
             <table:table-row><table:table-cell {V}/></table:table-row>\
             <table:table-row table:number-rows-repeated=\"20000\">\
             <table:table-cell {V} table:number-columns-repeated=\"2000\"/></table:table-row>\
             </table:table>"
        );
        let s = ods(&t);
        assert_eq!(s, vec![size("Bomba", 20_001, 2000)]);
        assert_eq!(s[0].cells(), 40_002_000);
    }

    #[test]
    fn ods_trailing_empty_ranges_do_not_count() {
        // LibreOffice: styled empty cells up to column 16384 and one empty
        // row repeated to row 1048576.
        let t = format!(
            "<table:table table:name=\"Dati\">\
             <table:table-column table:number-columns-repeated=\"16384\"/>\
             <table:table-row><table:table-cell office:value-type=\"string\"><text:p>a</text:p></table:table-cell>\
             <table:table-cell {V}><text:p>1</text:p></table:table-cell>\
             <table:table-cell table:style-name=\"ce1\" table:number-columns-repeated=\"16382\"/></table:table-row>\
             <table:table-row table:number-rows-repeated=\"3\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row>\
             <table:table-row><table:table-cell/><table:table-cell/><table:table-cell {V}/></table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048570\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row>\
             </table:table>"
        );
        // rows 1..=5 (the empty rows between data count), columns A..=C
        assert_eq!(ods(&t), vec![size("Dati", 5, 3)]);
    }

    #[test]
    fn ods_several_tables_formulas_and_covered_cells() {
        let t = format!(
            "<table:table table:name=\"Uno\">\
             <table:table-header-rows><table:table-row><table:table-cell {V}/></table:table-row></table:table-header-rows>\
             <table:table-row-group><table:table-row table:number-rows-repeated=\"0\">\
             <table:covered-table-cell/><table:covered-table-cell {V} table:number-columns-repeated=\"4\"/></table:table-row></table:table-row-group>\
             </table:table>\
             <table:table><table:table-row><table:table-cell {V}/></table:table-row></table:table>\
             <table:table table:name=\"Vuoto\"/>\
             <table:table table:name=\"Formule\"><table:table-row>\
             <table:table-cell table:formula=\"\"/><table:table-cell table:formula=\"of:=1+1\"/>\
             <table:table-cell office:value-type=\"string\"><table:table><table:table-row table:number-rows-repeated=\"99\">\
             <table:table-cell {V} table:number-columns-repeated=\"99\"/></table:table-row></table:table></table:table-cell>\
             </table:table-row></table:table>"
        );
        // The unnamed table is not loaded by calamine; a table nested in a cell is content.
        assert_eq!(
            ods(&t),
            vec![size("Uno", 2, 5), size("Vuoto", 0, 0), size("Formule", 1, 3)]
        );
    }

    #[test]
    fn ods_garbage_is_an_error_or_empty_never_a_panic() {
        let _ = scan_ods_content(&b"<a><b"[..]);
        let _ = scan_ods_content(
            &b"<table:table table:name=\"x\"><table:table-row table:number-rows-repeated=\"-1\">"[..],
        );
        assert_eq!(scan_ods_content(&b""[..]).unwrap(), vec![]);
        // An unclosed table still counts what it declared.
        let s = scan_ods_content(
            format!("<table:table table:name=\"T\"><table:table-row table:number-rows-repeated=\"7\"><table:table-cell {V}/>")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(s, vec![size("T", 7, 1)]);
    }

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend_from_slice(&(data.len() as u16).to_le_bytes());
        r.extend_from_slice(data);
        r
    }

    fn bof() -> Vec<u8> {
        record(
            BIFF_BOF,
            &[0x00, 0x06, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        )
    }

    fn dims(rf: u32, rl: u32, cf: u16, cl: u16) -> Vec<u8> {
        let mut d = rf.to_le_bytes().to_vec();
        d.extend_from_slice(&rl.to_le_bytes());
        d.extend_from_slice(&cf.to_le_bytes());
        d.extend_from_slice(&cl.to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        record(BIFF_DIMENSIONS, &d)
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&[0; 10]);
        record(0x0203, &d)
    }

    /// A workbook stream: globals with one BoundSheet8 per sheet, then the
    /// sheets' substreams.
    fn workbook(sheets: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let bound_len: usize = sheets.iter().map(|(n, _)| 4 + 8 + n.len()).sum();
        let globals_len = bof().len() + bound_len + 4;
        let mut pos = globals_len;
        let mut out = bof();
        for (name, body) in sheets {
            let mut d = (pos as u32).to_le_bytes().to_vec();
            d.extend_from_slice(&[0, 0, name.len() as u8, 0]);
            d.extend_from_slice(name.as_bytes());
            out.extend(record(BIFF_BOUNDSHEET, &d));
            pos += bof().len() + body.len() + 4;
        }
        out.extend(record(BIFF_EOF, &[]));
        assert_eq!(out.len(), globals_len);
        for (_, body) in sheets {
            out.extend(bof());
            out.extend_from_slice(body);
            out.extend(record(BIFF_EOF, &[]));
        }
        out
    }

    #[test]
    fn xls_declared_dimensions_and_cell_box() {
        let small = [dims(0, 6, 0, 4), number(0, 0), number(5, 3)].concat();
        // Declares the whole BIFF8 sheet, holds two cells.
        let declared = [dims(0, 65_536, 0, 256), number(0, 0), number(1, 1)].concat();
        // Declares little, but its cells are far apart; a chart substream in
        // between is skipped.
        let chart = [bof(), number(60_000, 200), record(BIFF_EOF, &[])].concat();
        let lying = [
            dims(0, 1, 0, 1),
            number(2, 1),
            chart,
            record(BIFF_MULRK, &[0x10, 0x27, 0, 0, 0, 0, 0, 0, 0x09, 0]),
        ]
        .concat();
        // rwMac < rwMic: calamine's arithmetic wraps to ~4 billion rows.
        let wrapping = dims(10, 5, 0, 2);
        let stream = workbook(&[
            ("Piccolo", small),
            ("Dichiarato", declared),
            ("Sparso", lying),
            ("Storto", wrapping),
        ]);
        let got = scan_biff(std::io::Cursor::new(stream)).unwrap();
        assert_eq!(
            got,
            vec![
                size("Piccolo", 6, 4),
                size("Dichiarato", 65_536, 256),
                // rows 2..=10000 (MulRk at row 0x2710), columns 0..=9
                size("Sparso", 9_999, 10),
                size("Storto", u64::from(u32::MAX - 4), 2),
            ]
        );
    }

    #[test]
    fn xls_truncated_streams_do_not_panic() {
        let stream = workbook(&[("A", [dims(0, 3, 0, 3), number(2, 2)].concat())]);
        for cut in 0..stream.len() {
            let _ = scan_biff(std::io::Cursor::new(&stream[..cut]));
        }
        assert_eq!(scan_biff(std::io::Cursor::new(Vec::new())).unwrap(), vec![]);
    }
}
