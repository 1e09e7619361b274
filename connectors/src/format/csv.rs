//! Delimited text (CSV) reader.
//!
//! Streaming: the file is transcoded to UTF-8 on the fly (see
//! [`crate::encoding`]) and parsed record by record with the `csv` crate; only
//! a prefix of [`PEEK_BYTES`] is buffered to detect the delimiter and the
//! header line.
//!
//! Line numbers are physical 1-based lines where each record starts, counting
//! blank lines and the lines inside quoted multi-line fields. Records end at
//! `\n`; the `\r` of a CRLF ending is removed from the last field (files using
//! bare `\r` line endings are not supported).

use std::io::Read;

use csv::ByteRecord;

use crate::encoding::{decoding_reader, read_up_to};
use crate::error::ConnectorError;
use crate::location::SourceObject;
use crate::row::{
    clean_header, expected_lower, header_score, is_blank, ragged_message, RawRow, RejectedRow, RowItem,
    RowReader, CODE_RAGGED_ROW,
};
use crate::spec::{FormatSpec, HeaderRow};

/// Bytes of decoded text examined to detect the delimiter and the header.
pub const PEEK_BYTES: usize = 256 * 1024;

/// How many non-blank records are candidates for an automatic header.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// Delimiters tried, in order of preference, when none is configured.
pub const CANDIDATE_DELIMITERS: [u8; 4] = [b';', b',', b'\t', b'|'];

/// Opens a CSV reader; see the [module documentation](self).
pub fn open(
    spec: &FormatSpec,
    object: &SourceObject,
    expected_columns: &[String],
) -> Result<Box<dyn RowReader>, ConnectorError> {
    let url = object.url().to_string();
    let csv_err = |message: String| ConnectorError::Csv {
        url: url.clone(),
        line: None,
        message,
    };
    let quote = ascii(spec.quote)
        .ok_or_else(|| csv_err(format!("the quote character {:?} must be ASCII", spec.quote)))?;
    let delimiter = match spec.delimiter {
        Some(d) => {
            Some(ascii(d).ok_or_else(|| csv_err(format!("the delimiter {d:?} must be an ASCII character")))?)
        }
        None => None,
    };
    if delimiter == Some(quote) {
        return Err(csv_err(
            "the delimiter and the quote character are the same".into(),
        ));
    }

    let raw = object.open()?;
    let (mut decoded, encoding) = decoding_reader(raw, spec.encoding).map_err(|e| relabel(e, &url))?;
    let (prefix, eof) = read_up_to(&mut decoded, PEEK_BYTES).map_err(|e| ConnectorError::io_at(&url, e))?;

    let detected =
        detect(&prefix, eof, delimiter, quote, spec.header_row, expected_columns).map_err(|message| {
            ConnectorError::HeaderNotFound {
                url: url.clone(),
                message,
            }
        })?;

    let stream: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(prefix).chain(decoded));
    let mut records = LineRecords::new(stream, detected.delimiter, quote);
    let header = loop {
        match records.next_record() {
            Err(e) => {
                return Err(ConnectorError::Csv {
                    url,
                    line: None,
                    message: e.to_string(),
                })
            }
            Ok(None) => {
                return Err(ConnectorError::HeaderNotFound {
                    url,
                    message: format!("the file ends before line {}", detected.header_line),
                })
            }
            Ok(Some(r)) if r.line < detected.header_line => continue,
            Ok(Some(r)) if r.line == detected.header_line => break r.fields,
            Ok(Some(r)) => {
                return Err(ConnectorError::HeaderNotFound {
                    url,
                    message: format!(
                        "no record starts at line {} (next record at line {})",
                        detected.header_line, r.line
                    ),
                })
            }
        }
    };
    let header: Vec<String> = header.iter().map(|h| clean_header(h)).collect();

    Ok(Box::new(CsvRowReader {
        url,
        records,
        header,
        encoding: encoding.name(),
        delimiter: char::from(detected.delimiter),
        done: false,
    }))
}

fn ascii(c: char) -> Option<u8> {
    if c.is_ascii() {
        u8::try_from(u32::from(c)).ok()
    } else {
        None
    }
}

/// Puts the file name on I/O errors raised before it was known.
fn relabel(e: ConnectorError, url: &str) -> ConnectorError {
    match e {
        ConnectorError::Io { source, .. } => ConnectorError::io_at(url, source),
        other => other,
    }
}

/// The outcome of delimiter and header detection.
#[derive(Debug, PartialEq, Eq)]
struct Detected {
    delimiter: u8,
    header_line: u64,
}

/// Reads the non-blank records of the prefix, up to `limit` of them or up to
/// line `until_line`, dropping a possibly truncated last record.
fn prefix_records(
    prefix: &[u8],
    eof: bool,
    delimiter: u8,
    quote: u8,
    limit: usize,
    until_line: u64,
) -> Vec<Record> {
    let mut recs = LineRecords::new(prefix, delimiter, quote);
    let mut out = Vec::new();
    let mut reached_end = false;
    loop {
        match recs.next_record() {
            Ok(Some(r)) => {
                if r.line > until_line {
                    break;
                }
                if !is_blank(r.fields.iter().map(String::as_str)) {
                    out.push(r);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            Ok(None) | Err(_) => {
                reached_end = true;
                break;
            }
        }
    }
    if reached_end && !eof {
        out.pop();
    }
    out
}

fn detect(
    prefix: &[u8],
    eof: bool,
    delimiter: Option<u8>,
    quote: u8,
    header_row: HeaderRow,
    expected: &[String],
) -> Result<Detected, String> {
    let candidates: Vec<u8> = match delimiter {
        Some(d) => vec![d],
        None => CANDIDATE_DELIMITERS.to_vec(),
    };

    match header_row {
        HeaderRow::Row(n) => {
            let n = u64::from(n);
            if let Some(d) = delimiter {
                return Ok(Detected {
                    delimiter: d,
                    header_line: n,
                });
            }
            let mut best: Option<(usize, u8)> = None;
            for &d in &candidates {
                let recs = prefix_records(prefix, eof, d, quote, usize::MAX, n);
                if let Some(r) = recs.iter().find(|r| r.line == n) {
                    if best.is_none_or(|(count, _)| r.fields.len() > count) {
                        best = Some((r.fields.len(), d));
                    }
                }
            }
            match best {
                Some((_, d)) => Ok(Detected {
                    delimiter: d,
                    header_line: n,
                }),
                None => Err(format!(
                    "line {n} is blank, inside a quoted field, or beyond the first {} KiB \
                     (set `delimiter` explicitly to read a header that far down)",
                    PEEK_BYTES / 1024
                )),
            }
        }
        HeaderRow::Auto => {
            let expected = expected_lower(expected);
            // (score, line, delimiter) of the best candidate so far
            let mut best: Option<(usize, u64, u8)> = None;
            // (fields, line, delimiter) of the first non-blank record, per delimiter
            let mut fallback: Option<(usize, u64, u8)> = None;
            for &d in &candidates {
                let recs = prefix_records(prefix, eof, d, quote, HEADER_SEARCH_ROWS, u64::MAX);
                if let Some(first) = recs.first() {
                    if fallback.is_none_or(|(count, _, _)| first.fields.len() > count) {
                        fallback = Some((first.fields.len(), first.line, d));
                    }
                }
                for r in &recs {
                    let score = header_score(r.fields.iter().map(String::as_str), &expected);
                    let better = match best {
                        None => score > 0,
                        Some((s, line, _)) => score > s || (score == s && r.line < line),
                    };
                    if better {
                        best = Some((score, r.line, d));
                    }
                }
            }
            match (best, fallback) {
                (Some((_, line, d)), _) => Ok(Detected {
                    delimiter: d,
                    header_line: line,
                }),
                (None, Some((_, line, d))) => Ok(Detected {
                    delimiter: d,
                    header_line: line,
                }),
                (None, None) => Err("the file has no non-blank line".to_string()),
            }
        }
    }
}

/// One CSV record and the physical line where it starts.
#[derive(Debug)]
struct Record {
    line: u64,
    fields: Vec<String>,
}

/// A reader that remembers the last byte it returned (to know whether the
/// input ends with a newline).
struct LastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: Read> Read for LastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = buf.get(n - 1).copied();
        }
        Ok(n)
    }
}

/// CSV records with exact starting line numbers.
///
/// The `csv` crate reports the line count *after* each record; the start is
/// derived from it by subtracting the newlines inside the record and its
/// terminating newline. Whether the last record was terminated is known from
/// the last byte of the input; for the others from the record that follows
/// (one record of look-ahead).
struct LineRecords<R: Read> {
    rdr: csv::Reader<LastByte<R>>,
    pending: Option<(ByteRecord, u64)>,
    started: bool,
    deferred: Option<csv::Error>,
}

impl<R: Read> LineRecords<R> {
    fn new(r: R, delimiter: u8, quote: u8) -> Self {
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .quote(quote)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(LastByte { inner: r, last: None });
        LineRecords {
            rdr,
            pending: None,
            started: false,
            deferred: None,
        }
    }

    fn read_one(&mut self) -> Result<Option<(ByteRecord, u64)>, csv::Error> {
        let mut rec = ByteRecord::new();
        if self.rdr.read_byte_record(&mut rec)? {
            Ok(Some((rec, self.rdr.position().line())))
        } else {
            Ok(None)
        }
    }

    fn next_record(&mut self) -> Result<Option<Record>, csv::Error> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        if !self.started {
            self.started = true;
            self.pending = self.read_one()?;
        }
        let Some((current, after)) = self.pending.take() else {
            return Ok(None);
        };
        let terminated = match self.read_one() {
            Ok(Some(next)) => {
                self.pending = Some(next);
                true
            }
            Ok(None) => self.rdr.get_ref().last == Some(b'\n'),
            Err(e) => {
                self.deferred = Some(e);
                true
            }
        };
        let inner_newlines = current.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
        let line = after
            .saturating_sub(inner_newlines)
            .saturating_sub(u64::from(terminated))
            .max(1);
        Ok(Some(Record {
            line,
            fields: fields_of(&current),
        }))
    }
}

/// The fields of a record as strings, without the `\r` of a CRLF ending.
fn fields_of(rec: &ByteRecord) -> Vec<String> {
    let n = rec.len();
    rec.iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i + 1 == n {
                f.strip_suffix(b"\r").unwrap_or(f)
            } else {
                f
            };
            String::from_utf8_lossy(f).into_owned()
        })
        .collect()
}

struct CsvRowReader {
    url: String,
    records: LineRecords<Box<dyn Read + Send>>,
    header: Vec<String>,
    encoding: &'static str,
    delimiter: char,
    done: bool,
}

impl Iterator for CsvRowReader {
    type Item = Result<RowItem, ConnectorError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let rec = match self.records.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(ConnectorError::Csv {
                        url: self.url.clone(),
                        line: e.position().map(|p| p.line()),
                        message: e.to_string(),
                    }));
                }
            };
            if is_blank(rec.fields.iter().map(String::as_str)) {
                continue;
            }
            if rec.fields.len() != self.header.len() {
                let mut sep = [0u8; 4];
                let sep = self.delimiter.encode_utf8(&mut sep);
                return Some(Ok(RowItem::Rejected(RejectedRow {
                    line: rec.line,
                    column: None,
                    value: rec.fields.join(sep),
                    code: CODE_RAGGED_ROW,
                    message_it: ragged_message(rec.fields.len(), self.header.len()),
                })));
            }
            let values = rec
                .fields
                .into_iter()
                .map(|f| if f.is_empty() { None } else { Some(f) })
                .collect();
            return Some(Ok(RowItem::Row(RawRow {
                line: rec.line,
                values,
            })));
        }
    }
}

impl RowReader for CsvRowReader {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn sheet(&self) -> Option<&str> {
        None
    }

    fn encoding(&self) -> Option<&'static str> {
        Some(self.encoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &str) -> Vec<(u64, Vec<String>)> {
        let mut r = LineRecords::new(data.as_bytes(), b',', b'"');
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push((rec.line, rec.fields));
        }
        out
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn line_numbers_lf() {
        let got = lines("h1,h2\na,b\n\n\nc,d\n\"x\ny\",z\ne,f");
        let want = vec![
            (1, s(&["h1", "h2"])),
            (2, s(&["a", "b"])),
            (5, s(&["c", "d"])),
            (6, s(&["x\ny", "z"])),
            (8, s(&["e", "f"])),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn line_numbers_crlf_and_trailing_newlines() {
        let got = lines("h1,h2\r\na,b\r\n\r\nc,d\r\n\"x\r\ny\",\"z\"\r\ne,f\r\n\r\n");
        let want = vec![
            (1, s(&["h1", "h2"])),
            (2, s(&["a", "b"])),
            (3, s(&[""])),
            (4, s(&["c", "d"])),
            (5, s(&["x\r\ny", "z"])),
            (7, s(&["e", "f"])),
            (8, s(&[""])),
        ];
        assert_eq!(got, want);
        assert_eq!(lines("\n\nh\nx\n"), vec![(3, s(&["h"])), (4, s(&["x"]))]);
        assert_eq!(lines(""), vec![]);
        assert_eq!(lines("only"), vec![(1, s(&["only"]))]);
    }

    #[test]
    fn detects_delimiter_and_header() {
        let exp = s(&["codice", "nome", "importo"]);
        let text = b"Elenco 2024;;\n\ncodice;nome;importo\n1;a;2,5\n";
        let d = detect(text, true, None, b'"', HeaderRow::Auto, &exp).unwrap();
        assert_eq!(
            d,
            Detected {
                delimiter: b';',
                header_line: 3
            }
        );

        let text = b"codice,nome,importo\n1,\"a;b\",2\n";
        let d = detect(text, true, None, b'"', HeaderRow::Auto, &exp).unwrap();
        assert_eq!(
            d,
            Detected {
                delimiter: b',',
                header_line: 1
            }
        );

        // No expected columns: the first non-blank line, widest split.
        let text = b"\na\tb\tc\n1\t2\t3\n";
        let d = detect(text, true, None, b'"', HeaderRow::Auto, &[]).unwrap();
        assert_eq!(
            d,
            Detected {
                delimiter: b'\t',
                header_line: 2
            }
        );

        let text = b"title\nx|y|z\n";
        let d = detect(text, true, None, b'"', HeaderRow::Row(2), &[]).unwrap();
        assert_eq!(
            d,
            Detected {
                delimiter: b'|',
                header_line: 2
            }
        );

        assert!(detect(b"a;b\n", true, None, b'"', HeaderRow::Row(9), &[]).is_err());
        assert!(detect(b"\n\n", true, None, b'"', HeaderRow::Auto, &exp).is_err());
    }

    #[test]
    fn truncated_prefix_drops_partial_record() {
        let recs = prefix_records(b"a;b\nc;d\ne;", false, b';', b'"', 30, u64::MAX);
        assert_eq!(recs.len(), 2);
        let recs = prefix_records(b"a;b\nc;d\ne;", true, b';', b'"', 30, u64::MAX);
        assert_eq!(recs.len(), 3);
    }
}
