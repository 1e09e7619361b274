//! File writers, one per format, streaming rows so that memory stays
//! bounded. Every writer is reproducible: no timestamps inside the files
//! (XLSX document properties and ZIP entries carry a fixed date).

use super::plan::{SourcePlan, Split};
use super::population::EXTRACTION_DATE;
use super::record::Cell;
use super::SampleError;
use chrono::Datelike;
use metrodati_connectors::encoding::EncodingSpec;
use metrodati_connectors::spec::{Format, FormatSpec, SheetSpec};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written.
pub(crate) trait Sink {
    fn write_row(&mut self, cells: &[Cell], ragged: bool) -> Result<(), SampleError>;
    fn finish(self: Box<Self>) -> Result<(), SampleError>;
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SampleError + '_ {
    move |source| SampleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> SampleError {
    SampleError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, SampleError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    Ok(BufWriter::with_capacity(
        1 << 16,
        File::create(path).map_err(io_err(path))?,
    ))
}

fn cell_text(c: &Cell) -> Option<String> {
    match c {
        Cell::Null => None,
        Cell::Str(s) => Some(s.clone()),
        Cell::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
        Cell::Number(n) => Some(format!("{n:.2}")),
    }
}

/// A number as a text format writes it, following the source's
/// `decimal_comma` and `thousands_separator` (`1.234,50`).
pub(crate) fn number_text(n: f64, read: &FormatSpec) -> String {
    let plain = format!("{:.2}", n.abs());
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, "00"));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            if let Some(t) = read.thousands_separator {
                grouped.push(t);
            }
        }
        grouped.push(ch);
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let dec = if read.decimal_comma { ',' } else { '.' };
    format!("{sign}{grouped}{dec}{frac}")
}

/// What a sink needs to know about its source: the definition's `read`
/// options, the header, title rows above it, the author written in
/// spreadsheet properties, and which columns are typed dates (Parquet).
pub(crate) struct SinkSpec<'a> {
    pub read: &'a FormatSpec,
    pub header: Vec<String>,
    pub titles: &'a [String],
    pub author: &'a str,
    pub typed_dates: Vec<bool>,
}

impl SourcePlan {
    fn sink_spec(&self) -> SinkSpec<'_> {
        use super::plan::OutKind;
        SinkSpec {
            read: &self.read,
            header: self.header(),
            titles: &self.titles,
            author: self.layout.map(|l| l.gestionale).unwrap_or("metrodati sample"),
            typed_dates: self
                .columns
                .iter()
                .map(|c| matches!(c.kind, OutKind::Field { typed_date: true, .. }))
                .collect(),
        }
    }
}

/// A row of a family, ready to be written.
pub(crate) struct OutRow {
    pub cells: Vec<Cell>,
    pub ragged: bool,
    /// The row repeats the previous one exactly (same row number too).
    pub duplicate: bool,
}

/// The files of one source: parts opened on demand.
pub(crate) struct SourceWriter {
    pub plan: SourcePlan,
    parts: BTreeMap<String, Part>,
    page: usize,
    /// Whether this source's UTF-8 CSV files start with a BOM.
    bom: bool,
    pub files: Vec<PathBuf>,
    pub boms: u64,
    pub rows: u64,
}

struct Part {
    sink: Box<dyn Sink>,
    rows: u64,
}

impl SourceWriter {
    pub(crate) fn new(plan: SourcePlan, bom: bool) -> SourceWriter {
        SourceWriter {
            plan,
            parts: BTreeMap::new(),
            page: 1,
            bom,
            files: Vec::new(),
            boms: 0,
            rows: 0,
        }
    }

    /// The number of the next data row in the file of `municipio`'s part.
    fn part_name(&mut self, municipio: Option<u8>, rows: u64) -> String {
        match (self.plan.split, municipio) {
            (Split::Municipi, Some(m)) => format!("municipio_{m}"),
            (Split::Pages(max), _) => {
                let name = format!("parte_{}", self.page);
                let full = self
                    .parts
                    .get(&name)
                    .is_some_and(|p| p.rows > 0 && p.rows + rows > max);
                if full {
                    self.page += 1;
                    format!("parte_{}", self.page)
                } else {
                    name
                }
            }
            _ => super::plan::single_part(),
        }
    }

    fn default_part(&self) -> String {
        match self.plan.split {
            Split::Municipi => "municipio_1".into(),
            Split::Pages(_) => "parte_1".into(),
            Split::Single => super::plan::single_part(),
        }
    }

    fn open(&mut self, name: &str) -> Result<(), SampleError> {
        if self.parts.contains_key(name) {
            return Ok(());
        }
        let path = self.plan.part_path(name);
        let sink = open_sink(&self.plan.sink_spec(), &path, self.bom)?;
        if self.bom && self.plan.format == Format::Csv && is_utf8(self.plan.read.encoding) {
            self.boms += 1;
        }
        self.files.push(path);
        self.parts.insert(name.to_string(), Part { sink, rows: 0 });
        Ok(())
    }

    /// Writes the rows of one family (kept in one file). `make_rows`
    /// receives the first data row number.
    pub(crate) fn write_family(
        &mut self,
        municipio: Option<u8>,
        n_rows: u64,
        make_rows: impl FnOnce(&SourcePlan, u64) -> Vec<OutRow>,
    ) -> Result<(), SampleError> {
        let name = self.part_name(municipio, n_rows);
        self.open(&name)?;
        let part = self.parts.get_mut(&name).expect("opened");
        let rows = make_rows(&self.plan, part.rows + 1);
        for r in &rows {
            part.sink.write_row(&r.cells, r.ragged)?;
            if !r.duplicate {
                part.rows += 1;
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// Closes every file (an empty source still gets one file with its
    /// header) and returns their paths.
    pub(crate) fn finish(mut self) -> Result<(Vec<PathBuf>, u64, u64), SampleError> {
        if self.parts.is_empty() {
            let name = self.default_part();
            self.open(&name)?;
        }
        for (_, part) in std::mem::take(&mut self.parts) {
            part.sink.finish()?;
        }
        Ok((self.files, self.rows, self.boms))
    }
}

fn is_utf8(e: EncodingSpec) -> bool {
    matches!(e, EncodingSpec::Utf8 | EncodingSpec::Auto)
}

/// Opens the writer of one file in the source's format.
pub(crate) fn open_sink(spec: &SinkSpec<'_>, path: &Path, bom: bool) -> Result<Box<dyn Sink>, SampleError> {
    let header = &spec.header;
    Ok(match spec.read.format {
        Format::Csv => Box::new(CsvSink::create(spec, path, header, bom)?),
        Format::Xlsx => Box::new(XlsxSink::create(spec, path, header)?),
        Format::Ods => Box::new(OdsSink::create(spec, path, header)?),
        Format::Parquet => Box::new(ParquetSink::create(spec, path)?),
        Format::Json | Format::Ndjson => Box::new(JsonSink::create(spec, path, header)?),
        Format::Xls => return Err(write_err(path, "cannot write .xls")),
    })
}

// ---------------------------------------------------------------- CSV

#[derive(Clone, Copy)]
enum TextEncoding {
    Utf8,
    Windows1252,
    Utf16Le,
}

struct CsvSink {
    path: PathBuf,
    out: BufWriter<File>,
    encoding: TextEncoding,
    delimiter: char,
    quote: char,
    eol: &'static str,
    line: String,
    read: FormatSpec,
}

impl CsvSink {
    fn create(
        plan: &SinkSpec<'_>,
        path: &Path,
        header: &[String],
        bom: bool,
    ) -> Result<CsvSink, SampleError> {
        let encoding = match plan.read.encoding {
            EncodingSpec::Auto | EncodingSpec::Utf8 => TextEncoding::Utf8,
            EncodingSpec::Windows1252 | EncodingSpec::Iso88591 => TextEncoding::Windows1252,
            EncodingSpec::Utf16 => TextEncoding::Utf16Le,
        };
        let delimiter = plan.read.delimiter.unwrap_or(';');
        // Windows software writes CRLF; the others LF.
        let eol = match encoding {
            TextEncoding::Utf8 => "\n",
            _ => "\r\n",
        };
        let mut sink = CsvSink {
            path: path.to_path_buf(),
            out: create(path)?,
            encoding,
            delimiter,
            quote: plan.read.quote,
            eol,
            line: String::with_capacity(512),
            read: plan.read.clone(),
        };
        match encoding {
            TextEncoding::Utf8 if bom => sink.raw(b"\xEF\xBB\xBF")?,
            TextEncoding::Utf16Le => sink.raw(b"\xFF\xFE")?,
            _ => {}
        }
        for t in plan.titles {
            sink.text(&format!("{t}{eol}"))?;
        }
        sink.record(header.iter().map(String::as_str))?;
        Ok(sink)
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), SampleError> {
        self.out.write_all(bytes).map_err(io_err(&self.path))
    }

    fn text(&mut self, s: &str) -> Result<(), SampleError> {
        match self.encoding {
            TextEncoding::Utf8 => self.out.write_all(s.as_bytes()),
            TextEncoding::Windows1252 => self.out.write_all(&encoding_rs::WINDOWS_1252.encode(s).0),
            TextEncoding::Utf16Le => {
                let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                self.out.write_all(&bytes)
            }
        }
        .map_err(io_err(&self.path))
    }

    /// Writes one record, quoting fields that contain the delimiter, the
    /// quote or a line break (quotes doubled), as RFC 4180 readers expect.
    fn record<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> Result<(), SampleError> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                line.push(self.delimiter);
            }
            if f.contains([self.delimiter, self.quote, '\r', '\n']) {
                line.push(self.quote);
                for c in f.chars() {
                    if c == self.quote {
                        line.push(c);
                    }
                    line.push(c);
                }
                line.push(self.quote);
            } else {
                line.push_str(f);
            }
        }
        line.push_str(self.eol);
        let r = self.text(&line);
        self.line = line;
        r
    }
}

impl Sink for CsvSink {
    fn write_row(&mut self, cells: &[Cell], ragged: bool) -> Result<(), SampleError> {
        let mut fields: Vec<String> = cells
            .iter()
            .map(|c| match c {
                Cell::Number(n) => number_text(*n, &self.read),
                c => cell_text(c).unwrap_or_default(),
            })
            .collect();
        if ragged && fields.len() >= 2 {
            // A separator lost between the last two non-empty fields.
            let i = (1..fields.len())
                .rev()
                .find(|&i| !fields[i].is_empty())
                .unwrap_or(fields.len() - 1);
            let merged = fields.remove(i);
            fields[i - 1].push_str(&merged);
        }
        self.record(fields.iter().map(String::as_str))
    }

    fn finish(mut self: Box<Self>) -> Result<(), SampleError> {
        self.out.flush().map_err(io_err(&self.path))
    }
}

// ---------------------------------------------------------------- XLSX

struct XlsxSink {
    path: PathBuf,
    workbook: rust_xlsxwriter::Workbook,
    sheet: usize,
    next_row: u32,
}

/// The sheet names of a workbook whose data sheet is selected by `spec`.
fn sheet_names(spec: &Option<SheetSpec>, default: &str) -> (Vec<String>, usize) {
    match spec {
        Some(SheetSpec::Name(n)) => (vec![n.clone()], 0),
        Some(SheetSpec::Index(i)) => ((0..=*i).map(|k| format!("Foglio{}", k + 1)).collect(), *i),
        None => (vec![default.to_string()], 0),
    }
}

impl XlsxSink {
    fn create(plan: &SinkSpec<'_>, path: &Path, header: &[String]) -> Result<XlsxSink, SampleError> {
        use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let mut workbook = Workbook::new();
        let d = EXTRACTION_DATE;
        let created = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
            .map_err(|e| write_err(path, e))?;
        let author = plan.author;
        workbook.set_properties(
            &DocProperties::new()
                .set_author(author)
                .set_creation_datetime(&created),
        );
        let (names, sheet) = sheet_names(&plan.read.sheet, "Foglio1");
        for n in &names {
            workbook
                .add_worksheet()
                .set_name(n)
                .map_err(|e| write_err(path, e))?;
        }
        let mut sink = XlsxSink {
            path: path.to_path_buf(),
            workbook,
            sheet,
            next_row: 0,
        };
        for t in plan.titles {
            let row = [if t.is_empty() {
                Cell::Null
            } else {
                Cell::Str(t.clone())
            }];
            sink.put(&row)?;
        }
        let header: Vec<Cell> = header.iter().map(|h| Cell::Str(h.clone())).collect();
        sink.put(&header)?;
        Ok(sink)
    }

    fn put(&mut self, cells: &[Cell]) -> Result<(), SampleError> {
        let ws = self
            .workbook
            .worksheet_from_index(self.sheet)
            .map_err(|e| write_err(&self.path, e))?;
        for (c, cell) in cells.iter().enumerate() {
            if let Cell::Number(n) = cell {
                ws.write_number(self.next_row, c as u16, *n)
                    .map_err(|e| write_err(&self.path, e))?;
            } else if let Some(s) = cell_text(cell) {
                ws.write_string(self.next_row, c as u16, s)
                    .map_err(|e| write_err(&self.path, e))?;
            }
        }
        self.next_row += 1;
        Ok(())
    }
}

impl Sink for XlsxSink {
    fn write_row(&mut self, cells: &[Cell], _ragged: bool) -> Result<(), SampleError> {
        self.put(cells)
    }

    fn finish(mut self: Box<Self>) -> Result<(), SampleError> {
        let path = self.path.clone();
        self.workbook.save(&path).map_err(|e| write_err(&path, e))
    }
}

// ---------------------------------------------------------------- ODS

struct OdsSink {
    path: PathBuf,
    zip: zip::ZipWriter<BufWriter<File>>,
    buf: String,
}

const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

fn xml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// ODF collapses white space in paragraphs: leading, trailing and repeated
/// spaces are written as `<text:s/>`.
fn ods_text(s: &str, out: &mut String) {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            let start = i;
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
            let n = i - start;
            let literal_first = start > 0 && i < chars.len();
            if literal_first {
                out.push(' ');
            }
            let escaped = n - usize::from(literal_first);
            match escaped {
                0 => {}
                1 => out.push_str("<text:s/>"),
                k => out.push_str(&format!("<text:s text:c=\"{k}\"/>")),
            }
        } else {
            let mut tmp = [0u8; 4];
            xml_escape(chars[i].encode_utf8(&mut tmp), out);
            i += 1;
        }
    }
}

impl OdsSink {
    fn create(plan: &SinkSpec<'_>, path: &Path, header: &[String]) -> Result<OdsSink, SampleError> {
        use zip::write::SimpleFileOptions;
        use zip::{CompressionMethod, DateTime};
        let ze = |e: zip::result::ZipError| write_err(path, e);
        let mut zip = zip::ZipWriter::new(create(path)?);
        let stored = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        let deflated = stored.compression_method(CompressionMethod::Deflated);
        zip.start_file("mimetype", stored).map_err(ze)?;
        zip.write_all(ODS_MIME.as_bytes()).map_err(io_err(path))?;
        zip.start_file("META-INF/manifest.xml", deflated).map_err(ze)?;
        zip.write_all(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "\n",
                r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">"#,
                r#"<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>"#,
                r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#,
                r#"<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>"#,
                "</manifest:manifest>\n"
            )
            .as_bytes(),
        )
        .map_err(io_err(path))?;
        zip.start_file("styles.xml", deflated).map_err(ze)?;
        zip.write_all(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "\n",
                r#"<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"/>"#,
                "\n"
            )
            .as_bytes(),
        )
        .map_err(io_err(path))?;
        zip.start_file("content.xml", deflated).map_err(ze)?;
        let (names, sheet) = sheet_names(&plan.read.sheet, "Foglio1");
        let mut buf = String::with_capacity(1 << 16);
        buf.push_str(concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
            r#"xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" "#,
            r#"xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">"#,
            "<office:body><office:spreadsheet>\n"
        ));
        for n in &names[..sheet] {
            buf.push_str("<table:table table:name=\"");
            xml_escape(n, &mut buf);
            buf.push_str("\"><table:table-row><table:table-cell/></table:table-row></table:table>\n");
        }
        buf.push_str("<table:table table:name=\"");
        xml_escape(&names[sheet], &mut buf);
        buf.push_str("\">\n");
        let mut sink = OdsSink {
            path: path.to_path_buf(),
            zip,
            buf,
        };
        for t in plan.titles {
            sink.put(&[if t.is_empty() {
                Cell::Null
            } else {
                Cell::Str(t.clone())
            }])?;
        }
        let header: Vec<Cell> = header.iter().map(|h| Cell::Str(h.clone())).collect();
        sink.put(&header)?;
        Ok(sink)
    }

    fn put(&mut self, cells: &[Cell]) -> Result<(), SampleError> {
        self.buf.push_str("<table:table-row>");
        for c in cells {
            if let Cell::Number(n) = c {
                self.buf.push_str(&format!(
                    "<table:table-cell office:value-type=\"float\" office:value=\"{n}\"><text:p>{n}</text:p></table:table-cell>"
                ));
                continue;
            }
            match cell_text(c) {
                None => self.buf.push_str("<table:table-cell/>"),
                Some(s) => {
                    self.buf
                        .push_str("<table:table-cell office:value-type=\"string\"><text:p>");
                    ods_text(&s, &mut self.buf);
                    self.buf.push_str("</text:p></table:table-cell>");
                }
            }
        }
        self.buf.push_str("</table:table-row>\n");
        if self.buf.len() > 1 << 16 {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<(), SampleError> {
        self.zip
            .write_all(self.buf.as_bytes())
            .map_err(io_err(&self.path))?;
        self.buf.clear();
        Ok(())
    }
}

impl Sink for OdsSink {
    fn write_row(&mut self, cells: &[Cell], _ragged: bool) -> Result<(), SampleError> {
        self.put(cells)
    }

    fn finish(mut self: Box<Self>) -> Result<(), SampleError> {
        self.buf
            .push_str("</table:table>\n</office:spreadsheet></office:body></office:document-content>\n");
        self.flush_buf()?;
        let path = self.path.clone();
        let mut out = self.zip.finish().map_err(|e| write_err(&path, e))?;
        out.flush().map_err(io_err(&path))
    }
}

// ---------------------------------------------------------------- Parquet

/// Rows buffered per Parquet row group.
const PARQUET_CHUNK: usize = 16_384;

enum ColBuf {
    Str(Vec<Option<String>>),
    Date(Vec<Option<i32>>),
}

struct ParquetSink {
    path: PathBuf,
    names: Vec<String>,
    cols: Vec<ColBuf>,
    writer: polars::prelude::BatchedWriter<File>,
    buffered: usize,
}

impl ParquetSink {
    fn create(plan: &SinkSpec<'_>, path: &Path) -> Result<ParquetSink, SampleError> {
        use polars::prelude::*;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let file = File::create(path).map_err(io_err(path))?;
        let mut names = Vec::new();
        let mut cols = Vec::new();
        let mut fields = Vec::new();
        for (i, name) in plan.header.iter().enumerate() {
            let typed = plan.typed_dates.get(i).copied().unwrap_or(false);
            names.push(name.clone());
            if typed {
                cols.push(ColBuf::Date(Vec::new()));
                fields.push(Field::new(name.as_str().into(), DataType::Date));
            } else {
                cols.push(ColBuf::Str(Vec::new()));
                fields.push(Field::new(name.as_str().into(), DataType::String));
            }
        }
        let schema = Schema::from_iter(fields);
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Snappy)
            .set_parallel(false)
            .batched(&schema)
            .map_err(|e| write_err(path, e))?;
        Ok(ParquetSink {
            path: path.to_path_buf(),
            names,
            cols,
            writer,
            buffered: 0,
        })
    }

    fn flush(&mut self) -> Result<(), SampleError> {
        use polars::prelude::*;
        if self.buffered == 0 {
            return Ok(());
        }
        let mut columns = Vec::with_capacity(self.cols.len());
        for (name, buf) in self.names.iter().zip(self.cols.iter_mut()) {
            let col = match buf {
                ColBuf::Str(v) => Column::new(name.as_str().into(), std::mem::take(v)),
                ColBuf::Date(v) => Column::new(name.as_str().into(), std::mem::take(v))
                    .cast(&DataType::Date)
                    .map_err(|e| write_err(&self.path, e))?,
            };
            columns.push(col);
        }
        let df = DataFrame::new(self.buffered, columns).map_err(|e| write_err(&self.path, e))?;
        self.writer
            .write_batch(&df)
            .map_err(|e| write_err(&self.path, e))?;
        self.buffered = 0;
        Ok(())
    }
}

impl Sink for ParquetSink {
    fn write_row(&mut self, cells: &[Cell], _ragged: bool) -> Result<(), SampleError> {
        const EPOCH: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(1970, 1, 1) {
            Some(d) => d,
            None => panic!("valid date"),
        };
        for (cell, buf) in cells.iter().zip(self.cols.iter_mut()) {
            match buf {
                ColBuf::Str(v) => v.push(cell_text(cell)),
                ColBuf::Date(v) => v.push(match cell {
                    Cell::Date(d) => Some((*d - EPOCH).num_days() as i32),
                    _ => None,
                }),
            }
        }
        self.buffered += 1;
        if self.buffered >= PARQUET_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), SampleError> {
        self.flush()?;
        self.writer.finish().map_err(|e| write_err(&self.path, e))?;
        Ok(())
    }
}

// ---------------------------------------------------------------- JSON

struct JsonSink {
    path: PathBuf,
    out: BufWriter<File>,
    keys: Vec<String>,
    array: bool,
    first: bool,
}

impl JsonSink {
    fn create(plan: &SinkSpec<'_>, path: &Path, header: &[String]) -> Result<JsonSink, SampleError> {
        let keys = header
            .iter()
            .map(|h| serde_json::to_string(h).unwrap_or_default())
            .collect();
        let array = plan.read.format == Format::Json;
        let mut out = create(path)?;
        if array {
            out.write_all(b"[").map_err(io_err(path))?;
        }
        Ok(JsonSink {
            path: path.to_path_buf(),
            out,
            keys,
            array,
            first: true,
        })
    }
}

impl Sink for JsonSink {
    fn write_row(&mut self, cells: &[Cell], _ragged: bool) -> Result<(), SampleError> {
        let mut line = String::new();
        if self.array {
            line.push_str(if self.first { "\n" } else { ",\n" });
        }
        self.first = false;
        line.push('{');
        for (i, (k, c)) in self.keys.iter().zip(cells).enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(k);
            line.push(':');
            match cell_text(c) {
                None => line.push_str("null"),
                Some(s) => line.push_str(&serde_json::to_string(&s).unwrap_or_default()),
            }
        }
        line.push('}');
        if !self.array {
            line.push('\n');
        }
        self.out.write_all(line.as_bytes()).map_err(io_err(&self.path))
    }

    fn finish(mut self: Box<Self>) -> Result<(), SampleError> {
        if self.array {
            self.out.write_all(b"\n]\n").map_err(io_err(&self.path))?;
        }
        self.out.flush().map_err(io_err(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ods_spaces_survive() {
        let mut s = String::new();
        ods_text(" DE  LUCA ", &mut s);
        assert_eq!(s, "<text:s/>DE <text:s/>LUCA<text:s/>");
        s.clear();
        ods_text("A&B <x>", &mut s);
        assert_eq!(s, "A&amp;B &lt;x&gt;");
        s.clear();
        ods_text("  X", &mut s);
        assert_eq!(s, "<text:s text:c=\"2\"/>X");
    }
}
