//! What a source definition asks for, turned into a writing plan: where the
//! files go, the header (mapped columns in the definition's order, plus the
//! layout's unmapped columns), how each value is coded, title rows.

use super::defects::Caps;
use super::layouts::{self, AddressStyle, Col, Extra, Layout};
use super::population::EXTRACTION_DATE;
use super::record::{format_date, format_date_parts, Cell, Record, Value};
use super::SampleError;
use crate::config::{SourceDefinition, SourceSpec};
use metrodati_connectors::spec::{Format, HeaderRow};
use metrodati_interop::refdata::ComuneCm;
use metrodati_interop::validate::anagrafe::Target;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// XLSX exports are paginated: at most this many data rows per file.
pub(crate) const XLSX_ROWS_PER_FILE: u64 = 50_000;

/// How a column's value is produced.
#[derive(Debug, Clone)]
pub(crate) enum OutKind {
    Field {
        target: Target,
        /// Schema value → source value (the mapping's `values`, reversed).
        reverse: BTreeMap<String, String>,
        date_format: Option<String>,
        /// Written as a typed date (Parquet without a declared format).
        typed_date: bool,
    },
    Extra(Extra),
}

#[derive(Debug, Clone)]
pub(crate) struct OutCol {
    pub name: String,
    pub kind: OutKind,
}

/// How a source's rows are spread over files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// One file.
    Single,
    /// One file per municipio (`municipio_1` …), for sources whose name
    /// mentions municipi.
    Municipi,
    /// Files of at most this many rows (`parte_1`, `parte_2`, …).
    Pages(u64),
}

/// The writing plan of one source.
#[derive(Debug)]
pub(crate) struct SourcePlan {
    pub format: Format,
    pub read: metrodati_connectors::spec::FormatSpec,
    pub layout: Option<&'static Layout>,
    pub columns: Vec<OutCol>,
    pub caps: Caps,
    /// Rows above the header.
    pub titles: Vec<String>,
    pub split: Split,
    /// Folder of the files.
    pub dir: PathBuf,
    /// File name around the glob: `prefix` + part + `suffix`; no glob: the
    /// file name is `prefix`.
    pub prefix: String,
    pub suffix: Option<String>,
    pub address_style: AddressStyle,
}

/// The part name of a single-file source: the extraction date, as real
/// exports name their files.
pub(crate) fn single_part() -> String {
    EXTRACTION_DATE.format("%Y%m%d").to_string()
}

impl SourcePlan {
    pub(crate) fn new(
        def: &SourceDefinition,
        src: &SourceSpec,
        comune: &ComuneCm,
        data_dir: &Path,
    ) -> Result<SourcePlan, SampleError> {
        let layout = layouts::find(def.gestionale.as_deref(), &src.name);
        let (dir, prefix, suffix) = split_url(def.istat(), &src.name, &src.url)?;
        let format = src.read.format;
        if matches!(format, Format::Xls) {
            return Err(SampleError::Unsupported {
                comune: def.istat().to_string(),
                source_name: src.name.clone(),
                reason: "cannot write legacy .xls files; use xlsx".into(),
            });
        }

        // Mapped columns in the order they appear in the definition.
        let mut mapped: Vec<(usize, Target, &crate::config::ColumnMapping)> = src
            .columns
            .iter()
            .filter_map(|(k, m)| Target::from_name(k.get_ref()).map(|t| (k.span().start, t, m)))
            .collect();
        mapped.sort_by_key(|(pos, t, _)| (*pos, *t));
        let mut columns: Vec<OutCol> = Vec::new();
        let mut caps = Caps {
            mapped: [false; Target::COUNT],
            text_dates: [false; Target::COUNT],
            csv: format == Format::Csv,
        };
        for (_, target, m) in mapped {
            let name = m.column().to_string();
            if columns.iter().any(|c| c.name == name) {
                continue; // two fields read the same column: write it once
            }
            let mut reverse = BTreeMap::new();
            if let Some(values) = m.values() {
                for (source, schema) in values {
                    reverse.entry(schema.clone()).or_insert_with(|| source.clone());
                }
            }
            let date_format = m.date_format().map(str::to_string);
            let typed_date = target.is_date() && date_format.is_none() && format == Format::Parquet;
            caps.mapped[target as usize] = true;
            caps.text_dates[target as usize] = target.is_date() && !typed_date;
            columns.push(OutCol {
                name,
                kind: OutKind::Field {
                    target,
                    reverse,
                    date_format,
                    typed_date,
                },
            });
        }
        if let Some(l) = layout {
            insert_extras(&mut columns, l);
        }

        let upper = comune.denominazione.to_uppercase();
        let layout_titles: Vec<String> = layout
            .map(|l| {
                l.titles
                    .iter()
                    .map(|t| {
                        t.replace("{COMUNE}", &upper)
                            .replace("{comune}", &comune.denominazione)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let titles = match (src.read.header_row, format) {
            (_, Format::Parquet | Format::Json | Format::Ndjson) => Vec::new(),
            (HeaderRow::Row(n), _) => {
                let n = n as usize - 1;
                let mut t = if layout_titles.is_empty() && n > 0 {
                    vec![format!(
                        "COMUNE DI {upper} - ANAGRAFE DELLA POPOLAZIONE RESIDENTE"
                    )]
                } else {
                    layout_titles
                };
                t.resize(n, String::new());
                t
            }
            (HeaderRow::Auto, Format::Csv) => Vec::new(),
            (HeaderRow::Auto, _) => layout_titles,
        };

        let split = if suffix.is_none() {
            Split::Single
        } else if src.name.contains("municipi") && comune.codice_istat == "015146" {
            Split::Municipi
        } else if format == Format::Xlsx {
            Split::Pages(XLSX_ROWS_PER_FILE)
        } else {
            Split::Single
        };
        Ok(SourcePlan {
            format,
            read: src.read.clone(),
            layout,
            columns,
            caps,
            titles,
            split,
            dir: data_dir.join(dir),
            prefix,
            suffix,
            address_style: layout.map(|l| l.address_style).unwrap_or(AddressStyle::Slash),
        })
    }

    /// The file of a part.
    pub(crate) fn part_path(&self, part: &str) -> PathBuf {
        match &self.suffix {
            Some(s) => self.dir.join(format!("{}{part}{s}", self.prefix)),
            None => self.dir.join(&self.prefix),
        }
    }

    /// Whether `file_name` is one of this source's files (for cleaning).
    pub(crate) fn matches(&self, file_name: &str) -> bool {
        match &self.suffix {
            Some(s) => {
                file_name.len() >= self.prefix.len() + s.len()
                    && file_name.starts_with(&self.prefix)
                    && file_name.ends_with(s.as_str())
            }
            None => file_name == self.prefix,
        }
    }

    pub(crate) fn header(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The cells of a record in this source's coding. `row_no` is the
    /// 1-based data row in the file (for a `PROGR` column).
    pub(crate) fn encode(&self, rec: &Record, row_no: u64) -> Vec<Cell> {
        self.columns
            .iter()
            .map(|c| match &c.kind {
                OutKind::Field {
                    target,
                    reverse,
                    date_format,
                    typed_date,
                } => match rec.get(*target) {
                    Value::Empty => Cell::Null,
                    Value::Text(s) => Cell::Str(reverse.get(s).cloned().unwrap_or_else(|| s.clone())),
                    Value::Date(d) if *typed_date => Cell::Date(*d),
                    Value::Date(d) => {
                        Cell::Str(format_date(*d, date_format.as_deref().unwrap_or("%Y-%m-%d")))
                    }
                    Value::BadDate { .. } if *typed_date => Cell::Null,
                    Value::BadDate { year, month, day } => {
                        let f = date_format.as_deref().unwrap_or("%Y-%m-%d");
                        Cell::Str(
                            format_date_parts(f, *year, *month, *day)
                                .unwrap_or_else(|| format!("{day:02}/{month:02}/{year:04}")),
                        )
                    }
                },
                OutKind::Extra(e) => extra_value(*e, rec, row_no),
            })
            .collect()
    }
}

fn extra_value(e: Extra, rec: &Record, row_no: u64) -> Cell {
    match e {
        Extra::IdInterno => Cell::Str(format!("{}", 700_000 + rec.person_id * 3)),
        Extra::Note => rec.note.map(|n| Cell::Str(n.to_string())).unwrap_or(Cell::Null),
        Extra::Sezione => Cell::Str(rec.sezione.to_string()),
        Extra::Municipio => rec
            .municipio
            .map(|m| Cell::Str(m.to_string()))
            .unwrap_or(Cell::Null),
        Extra::CodVia => Cell::Str(format!("{:05}", rec.street_code)),
        Extra::Progr => Cell::Str(row_no.to_string()),
        Extra::Zona => {
            Cell::Str(["CENTRO", "NORD", "SUD", "EST", "OVEST"][rec.street_code as usize % 5].to_string())
        }
    }
}

/// Inserts the layout's unmapped columns after the mapped column that
/// precedes them in the layout (at the start when none does).
fn insert_extras(columns: &mut Vec<OutCol>, layout: &Layout) {
    let mut previous: Option<&str> = None;
    let mut at_start = 0;
    for col in layout.columns {
        match col {
            Col::Map { column, .. } => previous = Some(column),
            Col::Extra { column, kind } => {
                let out = OutCol {
                    name: (*column).to_string(),
                    kind: OutKind::Extra(*kind),
                };
                if columns.iter().any(|c| c.name == out.name) {
                    continue;
                }
                let pos = previous
                    .and_then(|p| columns.iter().position(|c| c.name == p))
                    .map(|i| i + 1);
                match pos {
                    Some(i) => columns.insert(i, out),
                    None => {
                        columns.insert(at_start, out);
                        at_start += 1;
                    }
                }
            }
        }
    }
}

/// Splits a source URL into folder (relative to the data folder), file name
/// prefix and, with a `*` glob, suffix.
pub(crate) fn split_url(
    istat: &str,
    source: &str,
    url: &str,
) -> Result<(PathBuf, String, Option<String>), SampleError> {
    let unsupported = |reason: &str| SampleError::Unsupported {
        comune: istat.to_string(),
        source_name: source.to_string(),
        reason: format!("url `{url}`: {reason}"),
    };
    if url.contains("://") {
        return Err(unsupported(
            "samples are written to the data folder only, not to remote stores",
        ));
    }
    let path = Path::new(url);
    if path.is_absolute() || path.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(unsupported("must be a relative path inside the data folder"));
    }
    if url.contains(['?', '[', ']', '{', '}']) {
        return Err(unsupported("only the `*` wildcard is supported"));
    }
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or_else(|| unsupported("no file name"))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.to_string_lossy().contains('*') {
        return Err(unsupported("wildcards are supported in the file name only"));
    }
    match file.split_once('*') {
        None => Ok((dir, file.to_string(), None)),
        Some((p, s)) if !s.contains('*') => Ok((dir, p.to_string(), Some(s.to_string()))),
        Some(_) => Err(unsupported("at most one `*` in the file name")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let (d, p, s) = split_url("015146", "x", "sample/anagrafe/015146/residenti_*.parquet").unwrap();
        assert_eq!(d, PathBuf::from("sample/anagrafe/015146"));
        assert_eq!((p.as_str(), s.as_deref()), ("residenti_", Some(".parquet")));
        let (_, p, s) = split_url("015146", "x", "a/b.csv").unwrap();
        assert_eq!((p.as_str(), s), ("b.csv", None));
        for bad in [
            "s3://bucket/a_*.csv",
            "/abs/a.csv",
            "../a.csv",
            "a/*/b.csv",
            "a_?.csv",
            "a_*_*.csv",
        ] {
            assert!(split_url("015146", "x", bad).is_err(), "{bad}");
        }
    }
}
