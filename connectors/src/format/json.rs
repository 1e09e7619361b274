//! JSON readers.
//!
//! - `json`: a top-level array of objects. The document is **loaded whole**
//!   (the header is the union of all keys); for large sources prefer NDJSON.
//!   Header: the keys of the first object in order, then keys of later objects
//!   as first seen. `line` is the 1-based element index.
//! - `ndjson`: one object per line, **streamed**. Header: the keys of the first
//!   object in order, then the keys first seen in the other objects among the
//!   first [`NDJSON_HEADER_LINES`] non-blank lines (writers that omit `null`
//!   members often leave a key out of the first object). Only keys actually
//!   seen are in the header: an expected column that no object has is *not*
//!   added, so that a renamed key fails the mapping instead of silently
//!   reading as empty. Keys that first appear after those lines are ignored.
//!   `line` is the 1-based physical line. A line that is not a JSON object is
//!   rejected with code `invalid_json` and reading goes on.
//!
//! Values: strings as is, numbers as their JSON text, booleans
//! `true`/`false`, `null` as `None`, arrays and objects as compact JSON text.
//! Objects whose values are all `null` (or blank strings) are skipped like
//! blank rows.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::encoding::decoding_reader;
use crate::error::ConnectorError;
use crate::location::SourceObject;
use crate::row::{is_blank, RawRow, RejectedRow, RowItem, RowReader, CODE_INVALID_JSON};
use crate::spec::FormatSpec;

/// How many non-blank NDJSON lines are read ahead to collect the header keys.
pub const NDJSON_HEADER_LINES: usize = 1000;

/// serde_json's message without the ` at line L column C` it appends.
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(m) => m.to_string(),
        None => full,
    }
}

/// A JSON object with its keys in document order and raw values.
struct Object(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut entries: Vec<(String, Box<RawValue>)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    match entries.iter_mut().find(|(key, _)| *key == k) {
                        Some(entry) => entry.1 = v,
                        None => entries.push((k, v)),
                    }
                }
                Ok(Object(entries))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Converts a raw JSON value to the text of a cell.
fn value_text(raw: &RawValue) -> Option<String> {
    let t = raw.get().trim();
    match t.as_bytes().first() {
        None => None,
        Some(b'"') => serde_json::from_str::<String>(t).ok(),
        Some(b'n') => None,
        Some(b'{') | Some(b'[') => Some(compact(t)),
        // numbers, true, false: their JSON text
        Some(_) => Some(t.to_string()),
    }
}

/// Removes the whitespace outside strings of a valid JSON text.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for ch in json.chars() {
        if in_string {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if !ch.is_whitespace() {
            out.push(ch);
        }
    }
    out
}

/// Aligns an object to the header; `None` when the row is blank.
fn align(obj: &Object, header: &[String]) -> Option<Vec<Option<String>>> {
    let mut values: Vec<Option<String>> = vec![None; header.len()];
    for (k, v) in &obj.0 {
        if let Some(i) = header.iter().position(|h| h == k) {
            values[i] = value_text(v);
        }
    }
    if is_blank(values.iter().map(|v| v.as_deref().unwrap_or(""))) {
        None
    } else {
        Some(values)
    }
}

fn invalid_row(line: u64, value: String, message_it: String) -> RowItem {
    RowItem::Rejected(RejectedRow {
        line,
        column: None,
        value,
        code: CODE_INVALID_JSON,
        message_it,
    })
}

fn relabel(e: ConnectorError, url: &str) -> ConnectorError {
    match e {
        ConnectorError::Io { source, .. } => ConnectorError::io_at(url, source),
        other => other,
    }
}

/// Opens a reader over a JSON array of objects (loaded whole).
pub fn open_array(
    spec: &FormatSpec,
    object: &SourceObject,
    _expected_columns: &[String],
) -> Result<Box<dyn RowReader>, ConnectorError> {
    let url = object.url().to_string();
    let (decoded, encoding) = decoding_reader(object.open()?, spec.encoding).map_err(|e| relabel(e, &url))?;
    let elements: Vec<Box<RawValue>> = serde_json::from_reader(BufReader::new(decoded)).map_err(|e| {
        let message = json_message(&e);
        ConnectorError::Json {
            url: url.clone(),
            line: (e.line() > 0).then_some(e.line() as u64),
            message: if e.is_data() {
                format!("the document must be a JSON array of objects ({message})")
            } else if e.line() > 0 {
                format!("{message} (column {})", e.column())
            } else {
                message
            },
        }
    })?;

    let parsed: Vec<Result<Object, String>> = elements
        .iter()
        .map(|raw| serde_json::from_str::<Object>(raw.get()).map_err(|_| raw.get().to_string()))
        .collect();
    let mut header: Vec<String> = Vec::new();
    for obj in parsed.iter().flatten() {
        for (k, _) in &obj.0 {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }

    let mut items = Vec::with_capacity(parsed.len());
    for (i, p) in parsed.into_iter().enumerate() {
        let line = i as u64 + 1;
        match p {
            Ok(obj) => {
                if let Some(values) = align(&obj, &header) {
                    items.push(RowItem::Row(RawRow { line, values }));
                }
            }
            Err(text) => items.push(invalid_row(
                line,
                text,
                format!("L'elemento {line} dell'array non è un oggetto JSON"),
            )),
        }
    }
    Ok(Box::new(JsonArrayReader {
        header,
        encoding: encoding.name(),
        items: items.into_iter(),
    }))
}

struct JsonArrayReader {
    header: Vec<String>,
    encoding: &'static str,
    items: std::vec::IntoIter<RowItem>,
}

impl Iterator for JsonArrayReader {
    type Item = Result<RowItem, ConnectorError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.items.next().map(Ok)
    }
}

impl RowReader for JsonArrayReader {
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

/// Opens a streaming reader over newline-delimited JSON objects.
///
/// The first [`NDJSON_HEADER_LINES`] non-blank lines are read ahead to build
/// the header (see the [module documentation](self)); `expected_columns` are
/// not used.
pub fn open_ndjson(
    spec: &FormatSpec,
    object: &SourceObject,
    _expected_columns: &[String],
) -> Result<Box<dyn RowReader>, ConnectorError> {
    let url = object.url().to_string();
    let (decoded, encoding) = decoding_reader(object.open()?, spec.encoding).map_err(|e| relabel(e, &url))?;
    let mut reader = NdjsonReader {
        url,
        lines: BufReader::new(decoded),
        line: 0,
        header: Vec::new(),
        encoding: encoding.name(),
        queued: VecDeque::new(),
        done: false,
    };

    // Read ahead to know the header; keep what was read, in order.
    let mut ahead: Vec<(u64, Result<Object, RowItem>)> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    while ahead.len() < NDJSON_HEADER_LINES {
        let Some((line, parsed)) = reader.next_line()? else {
            reader.done = true;
            break;
        };
        if let Ok(obj) = &parsed {
            for (k, _) in &obj.0 {
                if !header.contains(k) {
                    header.push(k.clone());
                }
            }
        }
        ahead.push((line, parsed));
    }
    reader.header = header;
    for (line, parsed) in ahead {
        match parsed {
            Ok(obj) => {
                if let Some(values) = align(&obj, &reader.header) {
                    reader.queued.push_back(RowItem::Row(RawRow { line, values }));
                }
            }
            Err(item) => reader.queued.push_back(item),
        }
    }
    Ok(Box::new(reader))
}

struct NdjsonReader {
    url: String,
    lines: BufReader<Box<dyn Read + Send>>,
    line: u64,
    header: Vec<String>,
    encoding: &'static str,
    queued: VecDeque<RowItem>,
    done: bool,
}

impl NdjsonReader {
    /// The next non-blank line, parsed: an object, or its rejection.
    #[allow(clippy::type_complexity)]
    fn next_line(&mut self) -> Result<Option<(u64, Result<Object, RowItem>)>, ConnectorError> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = self
                .lines
                .read_until(b'\n', &mut buf)
                .map_err(|e| ConnectorError::io_at(&self.url, e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let text = String::from_utf8_lossy(&buf);
            let text = text.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            let parsed = serde_json::from_str::<Object>(text).map_err(|e| {
                invalid_row(
                    self.line,
                    text.to_string(),
                    format!(
                        "La riga non è un oggetto JSON valido ({}, colonna {})",
                        json_message(&e),
                        e.column()
                    ),
                )
            });
            return Ok(Some((self.line, parsed)));
        }
    }
}

impl Iterator for NdjsonReader {
    type Item = Result<RowItem, ConnectorError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(item) = self.queued.pop_front() {
            return Some(Ok(item));
        }
        if self.done {
            return None;
        }
        loop {
            match self.next_line() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some((_, Err(item)))) => return Some(Ok(item)),
                Ok(Some((line, Ok(obj)))) => {
                    if let Some(values) = align(&obj, &self.header) {
                        return Some(Ok(RowItem::Row(RawRow { line, values })));
                    }
                }
            }
        }
    }
}

impl RowReader for NdjsonReader {
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

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn values() {
        assert_eq!(value_text(&raw("\"a\\\"b\"")).as_deref(), Some("a\"b"));
        assert_eq!(value_text(&raw("\"\"")).as_deref(), Some(""));
        assert_eq!(value_text(&raw("1.50")).as_deref(), Some("1.50"));
        assert_eq!(value_text(&raw("1e3")).as_deref(), Some("1e3"));
        assert_eq!(value_text(&raw("true")).as_deref(), Some("true"));
        assert_eq!(value_text(&raw("null")), None);
        assert_eq!(
            value_text(&raw("{ \"b\": [1, 2], \"a\" : \"x y\" }")).as_deref(),
            Some("{\"b\":[1,2],\"a\":\"x y\"}")
        );
        assert_eq!(compact("[ \"\\\" \" , 1 ]"), "[\"\\\" \",1]");
    }

    #[test]
    fn object_keeps_key_order() {
        let o: Object = serde_json::from_str("{\"z\":1,\"a\":2,\"z\":3}").unwrap();
        let keys: Vec<&str> = o.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a"]);
        assert_eq!(o.0[0].1.get(), "3");
        assert!(serde_json::from_str::<Object>("[1]").is_err());
        assert!(serde_json::from_str::<Object>("{\"a\":").is_err());
    }
}
