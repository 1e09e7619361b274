//! Delimited text (CSV) reader.
//!
//! Streaming: the file is transcoded to UTF-8 on the fly (see
//! [`crate::encoding`]) and parsed line by line with `csv_core` (the parser
//! of the `csv` crate); only a prefix of [`PEEK_BYTES`] is buffered to detect
//! the delimiter and the header line.
//!
//! Line numbers are physical 1-based lines where each record starts, counting
//! blank lines and the lines inside quoted multi-line fields. Records end at
//! `\n`; the `\r` of a CRLF ending is removed from the last field (files using
//! bare `\r` line endings are not supported).
//!
//! Stray quotes: a `"` at the start of a field opens a quoted field that may
//! span lines. When such a field is still open at the end of the file, or
//! after [`MAX_QUOTED_LINES`] lines or [`MAX_QUOTED_BYTES`] bytes, or when the
//! lines it joined make a record with the wrong number of fields (a second
//! stray quote closed it), the line that opened it is rejected with code
//! `unterminated_quote` ([`UNTERMINATED_QUOTE_MESSAGE`]) and the lines after
//! it are read again as ordinary lines: every physical line still ends up in
//! exactly one row or rejected row (blank lines in none).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

use csv_core::ReadRecordResult;

use crate::encoding::{decoding_reader, read_up_to};
use crate::error::ConnectorError;
use crate::location::SourceObject;
use crate::row::{
    clean_header, expected_lower, header_score, is_blank, ragged_message, RawRow, RejectedRow, RowItem,
    RowReader, CODE_RAGGED_ROW, CODE_UNTERMINATED_QUOTE,
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
    let mut records = LineRecords::new(BufReader::new(stream), detected.delimiter, quote);
    let header = loop {
        let (line, fields) = match records.next_record() {
            Err(e) => return Err(ConnectorError::io_at(url, e)),
            Ok(None) => {
                return Err(ConnectorError::HeaderNotFound {
                    url,
                    message: format!("the file ends before line {}", detected.header_line),
                })
            }
            Ok(Some(Parsed::Record(r))) => (r.line, Some(r.fields)),
            Ok(Some(Parsed::Unterminated { line, .. })) => (line, None),
        };
        if line < detected.header_line {
            continue;
        }
        match fields {
            Some(fields) if line == detected.header_line => break fields,
            None if line == detected.header_line => {
                return Err(ConnectorError::HeaderNotFound {
                    url,
                    message: format!("line {line} opens a quoted field that is never closed"),
                })
            }
            _ => {
                return Err(ConnectorError::HeaderNotFound {
                    url,
                    message: format!(
                        "no record starts at line {} (next record at line {line})",
                        detected.header_line
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
            // The quote may close after the prefix: stop before it.
            Ok(Some(Parsed::Unterminated { at_end: true, .. })) if !eof => break,
            Ok(Some(Parsed::Unterminated { .. })) => continue,
            Ok(Some(Parsed::Record(r))) => {
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

/// A quoted field still open after this many physical lines is taken for a
/// stray quote (see the [module documentation](self)).
pub const MAX_QUOTED_LINES: usize = 1000;

/// A quoted field still open after this many bytes past the line where it
/// started is taken for a stray quote (see the [module documentation](self)).
pub const MAX_QUOTED_BYTES: usize = 1024 * 1024;

/// One CSV record, the physical line where it starts and how many physical
/// lines it spans.
#[derive(Debug, PartialEq)]
struct Record {
    line: u64,
    lines: usize,
    fields: Vec<String>,
}

/// What [`LineRecords`] yields.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// A record.
    Record(Record),
    /// A physical line opening a quoted field that does not close (see
    /// [`LineRecords`]); the lines after it are parsed again. `at_end` tells
    /// whether the input ended with the field still open (rather than the
    /// field growing past the limits).
    Unterminated { line: u64, text: String, at_end: bool },
}

/// One physical line: its 1-based number and its bytes, `\n` included.
#[derive(Debug)]
struct PhysLine {
    line: u64,
    bytes: Vec<u8>,
}

impl PhysLine {
    /// The line without its `\n` or `\r\n`.
    fn text(&self) -> String {
        let b = self.bytes.strip_suffix(b"\n").unwrap_or(&self.bytes);
        let b = b.strip_suffix(b"\r").unwrap_or(b);
        String::from_utf8_lossy(b).into_owned()
    }
}

/// CSV records with exact starting line numbers, robust to stray quotes.
///
/// The input is read one physical line at a time and fed to `csv_core`,
/// which tells whether the record ends with the line or goes on inside a
/// quoted field; line numbers are counted here, not derived afterwards.
/// Physically empty lines between records are skipped (like `csv` does); a
/// line holding only `\r` is a record of one empty field.
///
/// A quoted field that is still open at the end of the input, or after
/// [`MAX_QUOTED_LINES`] lines, or after [`MAX_QUOTED_BYTES`] bytes past its
/// first line, is taken for a stray quote: its first line is returned as
/// [`Parsed::Unterminated`] and the following lines (kept, so at most those
/// limits) are parsed again from a fresh state. At most the lines of one
/// record are held in memory.
struct LineRecords<R: BufRead> {
    input: R,
    parser: csv_core::Reader,
    /// Lines to parse again before reading more input.
    replay: VecDeque<PhysLine>,
    /// The number of the last line read from `input`.
    read_lines: u64,
    input_done: bool,
    /// The lines of the last record, when it spans several.
    last: Vec<PhysLine>,
    /// The record being parsed: field bytes and field end offsets.
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    nends: usize,
}

impl<R: BufRead> LineRecords<R> {
    fn new(input: R, delimiter: u8, quote: u8) -> Self {
        let parser = csv_core::ReaderBuilder::new()
            .delimiter(delimiter)
            .quote(quote)
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build();
        LineRecords {
            input,
            parser,
            replay: VecDeque::new(),
            read_lines: 0,
            input_done: false,
            last: Vec::new(),
            out: Vec::new(),
            out_len: 0,
            ends: Vec::new(),
            nends: 0,
        }
    }

    fn next_line(&mut self) -> std::io::Result<Option<PhysLine>> {
        if let Some(l) = self.replay.pop_front() {
            return Ok(Some(l));
        }
        if self.input_done {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        if self.input.read_until(b'\n', &mut bytes)? == 0 {
            self.input_done = true;
            return Ok(None);
        }
        self.read_lines += 1;
        Ok(Some(PhysLine {
            line: self.read_lines,
            bytes,
        }))
    }

    /// Feeds bytes to the parser: `Record` when a record ends with them,
    /// otherwise `InputEmpty`.
    fn feed(&mut self, mut input: &[u8]) -> ReadRecordResult {
        loop {
            if self.out_len == self.out.len() {
                self.out.resize((self.out.len() * 2).max(1024), 0);
            }
            if self.nends == self.ends.len() {
                self.ends.resize((self.ends.len() * 2).max(32), 0);
            }
            let (res, nin, nout, nend) =
                self.parser
                    .read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.nends..]);
            input = &input[nin..];
            self.out_len += nout;
            self.nends += nend;
            match res {
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => continue,
                other => return other,
            }
        }
    }

    fn next_record(&mut self) -> std::io::Result<Option<Parsed>> {
        self.last.clear();
        let mut pending: Vec<PhysLine> = Vec::new();
        let mut continued_bytes = 0usize;
        loop {
            let Some(pl) = self.next_line()? else {
                if pending.is_empty() {
                    return Ok(None);
                }
                // A last line without a newline: ending it with one gives
                // the same record, unless a quoted field is still open.
                return Ok(Some(match self.feed(b"\n") {
                    ReadRecordResult::Record => self.finish(pending),
                    _ => self.unterminated(pending, true),
                }));
            };
            if pending.is_empty() && pl.bytes == b"\n" {
                continue;
            }
            let res = self.feed(&pl.bytes);
            if !pending.is_empty() {
                continued_bytes = continued_bytes.saturating_add(pl.bytes.len());
            }
            pending.push(pl);
            if res == ReadRecordResult::Record {
                return Ok(Some(self.finish(pending)));
            }
            if pending.len() > MAX_QUOTED_LINES || continued_bytes > MAX_QUOTED_BYTES {
                return Ok(Some(self.unterminated(pending, false)));
            }
        }
    }

    fn finish(&mut self, pending: Vec<PhysLine>) -> Parsed {
        let n = self.nends;
        let mut fields = Vec::with_capacity(n);
        let mut start = 0;
        for (i, &end) in self.ends[..n].iter().enumerate() {
            let mut f = &self.out[start..end];
            if i + 1 == n {
                // the `\r` of a CRLF ending
                f = f.strip_suffix(b"\r").unwrap_or(f);
            }
            fields.push(String::from_utf8_lossy(f).into_owned());
            start = end;
        }
        self.out_len = 0;
        self.nends = 0;
        let record = Record {
            line: pending[0].line,
            lines: pending.len(),
            fields,
        };
        if pending.len() > 1 {
            self.last = pending;
        }
        Parsed::Record(record)
    }

    /// Gives up the pending record: its first line is returned, the others
    /// will be parsed again.
    fn unterminated(&mut self, pending: Vec<PhysLine>, at_end: bool) -> Parsed {
        self.parser.reset();
        self.out_len = 0;
        self.nends = 0;
        let mut lines = pending.into_iter();
        let first = lines.next().expect("a pending record has a line");
        for l in lines.rev() {
            self.replay.push_front(l);
        }
        Parsed::Unterminated {
            line: first.line,
            text: first.text(),
            at_end,
        }
    }

    /// When the last record spans several lines, takes it back: the lines
    /// after its first will be parsed again, and its first line is returned.
    fn split_last(&mut self) -> Option<(u64, String)> {
        if self.last.len() < 2 {
            return None;
        }
        let mut lines = std::mem::take(&mut self.last).into_iter();
        let first = lines.next()?;
        for l in lines.rev() {
            self.replay.push_front(l);
        }
        Some((first.line, first.text()))
    }
}

/// The rejection of a line whose quoted field does not close.
fn unterminated_row(line: u64, text: String) -> RowItem {
    RowItem::Rejected(RejectedRow {
        line,
        column: None,
        value: text,
        code: CODE_UNTERMINATED_QUOTE,
        message_it: UNTERMINATED_QUOTE_MESSAGE.to_string(),
    })
}

/// The Italian message of [`CODE_UNTERMINATED_QUOTE`].
pub const UNTERMINATED_QUOTE_MESSAGE: &str = "Virgolette non chiuse: la riga non può essere letta";

struct CsvRowReader {
    url: String,
    records: LineRecords<BufReader<Box<dyn Read + Send>>>,
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
                Ok(Some(Parsed::Record(r))) => r,
                Ok(Some(Parsed::Unterminated { line, text, .. })) => {
                    return Some(Ok(unterminated_row(line, text)));
                }
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(ConnectorError::io_at(&self.url, e)));
                }
            };
            if is_blank(rec.fields.iter().map(String::as_str)) {
                continue;
            }
            if rec.fields.len() != self.header.len() {
                // Several lines making a ragged record: a stray quote closed
                // by another one further down. Read those lines again.
                if rec.lines > 1 {
                    if let Some((line, text)) = self.records.split_last() {
                        return Some(Ok(unterminated_row(line, text)));
                    }
                }
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

    fn parsed(data: &str) -> Vec<Parsed> {
        let mut r = LineRecords::new(data.as_bytes(), b',', b'"');
        let mut out = Vec::new();
        while let Some(p) = r.next_record().unwrap() {
            out.push(p);
        }
        out
    }

    fn lines(data: &str) -> Vec<(u64, Vec<String>)> {
        parsed(data)
            .into_iter()
            .map(|p| match p {
                Parsed::Record(r) => (r.line, r.fields),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    fn rec(line: u64, lines: usize, fields: &[&str]) -> Parsed {
        Parsed::Record(Record {
            line,
            lines,
            fields: s(fields),
        })
    }

    fn open_quote(line: u64, text: &str, at_end: bool) -> Parsed {
        Parsed::Unterminated {
            line,
            text: text.into(),
            at_end,
        }
    }

    #[test]
    fn a_quote_open_at_the_end_rejects_its_line_only() {
        // The reproduction: the final newline was counted twice, and every
        // line after the stray quote was swallowed into one field.
        assert_eq!(
            parsed("h,k\na,b\nc,\"d\ne,f\ng,h\n"),
            vec![
                rec(1, 1, &["h", "k"]),
                rec(2, 1, &["a", "b"]),
                open_quote(3, "c,\"d", true),
                rec(4, 1, &["e", "f"]),
                rec(5, 1, &["g", "h"]),
            ]
        );
        // CRLF and no final newline.
        assert_eq!(
            parsed("h,k\r\n\"a,b\r\nc,d\r\ng,h"),
            vec![
                rec(1, 1, &["h", "k"]),
                open_quote(2, "\"a,b", true),
                rec(3, 1, &["c", "d"]),
                rec(4, 1, &["g", "h"]),
            ]
        );
        // `""` inside the open field is an escaped quote: it stays open to
        // the end; read again from line 3, line 4's `""` is two literal quotes.
        assert_eq!(
            parsed("h,k\n\"a,b\nc,d\ne,f\"\"\nh,i\n"),
            vec![
                rec(1, 1, &["h", "k"]),
                open_quote(2, "\"a,b", true),
                rec(3, 1, &["c", "d"]),
                rec(4, 1, &["e", "f\"\""]),
                rec(5, 1, &["h", "i"]),
            ]
        );
        // A quote closed by a later stray one makes one record at this level
        // (the row reader takes it back when its width is wrong); a third
        // stray quote then runs to the end.
        assert_eq!(
            parsed("h,k\n\"a,b\nc,d\ne,f\"g\n\"x\ny,z\n"),
            vec![
                rec(1, 1, &["h", "k"]),
                rec(2, 3, &["a,b\nc,d\ne,fg"]),
                open_quote(5, "\"x", true),
                rec(6, 1, &["y", "z"]),
            ]
        );
        // On the last line.
        assert_eq!(
            parsed("h\n\"x\n"),
            vec![rec(1, 1, &["h"]), open_quote(2, "\"x", true)]
        );
        // Also on a last line without newline.
        assert_eq!(
            parsed("h,k\na,\"b"),
            vec![rec(1, 1, &["h", "k"]), open_quote(2, "a,\"b", true)]
        );
        // But a quote closed on that line is fine, even after blank lines.
        assert_eq!(
            parsed("h,k\na,\"b\n\nc\""),
            vec![rec(1, 1, &["h", "k"]), rec(2, 3, &["a", "b\n\nc"])]
        );
        assert_eq!(
            parsed("h,k\na,\"b\"\"\""),
            vec![rec(1, 1, &["h", "k"]), rec(2, 1, &["a", "b\""])]
        );
    }

    #[test]
    fn a_quote_open_for_too_long_is_given_up() {
        // Closed, but only after MAX_QUOTED_LINES lines: taken for a stray quote.
        let mut text = String::from("h,k\n1,\"a\n");
        for i in 0..MAX_QUOTED_LINES + 5 {
            text.push_str(&format!("{i},x\n"));
        }
        text.push_str("z\",9\nlast,1\n");
        let got = parsed(&text);
        assert_eq!(got.len(), 1 + 1 + MAX_QUOTED_LINES + 5 + 2);
        assert_eq!(got[1], open_quote(2, "1,\"a", false));
        assert_eq!(got[2], rec(3, 1, &["0", "x"]));
        assert_eq!(
            got[MAX_QUOTED_LINES + 7],
            rec(MAX_QUOTED_LINES as u64 + 8, 1, &["z\"", "9"])
        );
        assert_eq!(
            *got.last().unwrap(),
            rec(MAX_QUOTED_LINES as u64 + 9, 1, &["last", "1"])
        );

        // Within the limit it is one record, as the csv format says.
        let text = format!("h,k\n1,\"a\n{}\",9\n", "b\n".repeat(MAX_QUOTED_LINES - 2));
        let got = parsed(&text);
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[1], Parsed::Record(r) if r.line == 2 && r.lines == MAX_QUOTED_LINES));

        // Bytes: two long lines after the quote.
        let long = "y".repeat(MAX_QUOTED_BYTES / 2 + 10);
        let text = format!("h,k\n1,\"a\n2,{long}\n3,{long}\n4\",5\n");
        let got = parsed(&text);
        assert_eq!(got[1], open_quote(2, "1,\"a", false));
        assert!(matches!(&got[2], Parsed::Record(r) if r.line == 3 && r.fields[0] == "2"));
        assert!(matches!(&got[3], Parsed::Record(r) if r.line == 4 && r.fields[0] == "3"));
        assert_eq!(got[4], rec(5, 1, &["4\"", "5"]));
    }

    #[test]
    fn a_multiline_record_can_be_taken_back() {
        let mut r = LineRecords::new(&b"h,k\n1,\"a\n2,b\n3,c\"d\n4,e\n"[..], b',', b'"');
        assert_eq!(r.next_record().unwrap(), Some(rec(1, 1, &["h", "k"])));
        assert_eq!(r.split_last(), None, "a one-line record stays");
        assert_eq!(r.next_record().unwrap(), Some(rec(2, 3, &["1", "a\n2,b\n3,cd"])));
        assert_eq!(r.split_last(), Some((2, "1,\"a".to_string())));
        assert_eq!(r.next_record().unwrap(), Some(rec(3, 1, &["2", "b"])));
        assert_eq!(r.next_record().unwrap(), Some(rec(4, 1, &["3", "c\"d"])));
        assert_eq!(r.next_record().unwrap(), Some(rec(5, 1, &["4", "e"])));
        assert_eq!(r.next_record().unwrap(), None);
    }

    #[test]
    fn long_records_grow_the_buffers() {
        let fields: Vec<String> = (0..100).map(|i| "v".repeat(i * 50)).collect();
        let text = format!("{}\n{}", fields.join(","), fields.join(","));
        let got = lines(&text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], (2, fields));
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
