//! Reading a store partition into plain typed columns (the domain code of
//! the siuss pipeline stays free of polars).

use crate::store::{read_partition_columns, StoreError};
use chrono::NaiveDate;
use polars::prelude::{DataFrame, DataType};
use std::collections::HashMap;
use std::path::Path;

/// One column, by type.
#[derive(Debug, Clone)]
enum Col {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i32>>),
    Num(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<NaiveDate>>),
}

/// The rows of a partition, column by column.
#[derive(Debug, Clone, Default)]
pub struct Table {
    len: usize,
    cols: HashMap<String, Col>,
}

/// Why a partition cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: column {column}: {message}")]
    Column {
        path: String,
        column: String,
        message: String,
    },
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01")
}

fn locate(path: &Path, (column, message): (String, String)) -> FrameError {
    FrameError::Column {
        path: path.display().to_string(),
        column,
        message,
    }
}

impl Table {
    /// Reads `columns` of the partition at `path`.
    pub fn read(path: &Path, columns: &[&str]) -> Result<Table, FrameError> {
        let df = read_partition_columns(path, Some(columns))?;
        Table::from_frame(&df, None).map_err(|e| locate(path, e))
    }

    /// Reads `columns` of the rows whose text column `key` passes `keep`
    /// (e.g. the few beneficiaries among a comune's residents), without
    /// turning the other rows into Rust values.
    pub fn read_where(
        path: &Path,
        columns: &[&str],
        key: &str,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Table, FrameError> {
        let df = read_partition_columns(path, Some(columns))?;
        let rows: Vec<usize> = {
            let c = df
                .column(key)
                .and_then(|c| c.str().cloned())
                .map_err(|e| locate(path, (key.to_string(), e.to_string())))?;
            c.iter()
                .enumerate()
                .filter(|(_, v)| v.is_some_and(&keep))
                .map(|(i, _)| i)
                .collect()
        };
        Table::from_frame(&df, Some(&rows)).map_err(|e| locate(path, e))
    }

    /// The frame's columns, for all rows or for `rows` (ascending) only.
    fn from_frame(df: &DataFrame, rows: Option<&[usize]>) -> Result<Table, (String, String)> {
        fn pick<T>(all: impl Iterator<Item = T>, rows: Option<&[usize]>) -> Vec<T> {
            match rows {
                None => all.collect(),
                Some(r) => {
                    let mut wanted = r.iter().copied().peekable();
                    let mut out = Vec::with_capacity(r.len());
                    for (i, v) in all.enumerate() {
                        match wanted.peek() {
                            Some(&w) if w == i => {
                                out.push(v);
                                wanted.next();
                            }
                            None => break,
                            _ => {}
                        }
                    }
                    out
                }
            }
        }
        let mut cols = HashMap::new();
        for c in df.columns() {
            let name = c.name().to_string();
            let err = |e: polars::error::PolarsError| (name.clone(), e.to_string());
            let col = match c.dtype() {
                DataType::String => Col::Str(pick(
                    c.str().map_err(err)?.iter().map(|v| v.map(str::to_string)),
                    rows,
                )),
                DataType::Int32 => Col::Int(pick(c.i32().map_err(err)?.iter(), rows)),
                DataType::Float64 => Col::Num(pick(c.f64().map_err(err)?.iter(), rows)),
                DataType::Boolean => Col::Bool(pick(c.bool().map_err(err)?.iter(), rows)),
                DataType::Date => {
                    let days = c.cast(&DataType::Int32).map_err(err)?;
                    let dates = days.i32().map_err(err)?.iter().map(|d| {
                        d.and_then(|d| epoch().checked_add_signed(chrono::Duration::days(d.into())))
                    });
                    Col::Date(pick(dates, rows))
                }
                other => return Err((name, format!("unexpected type {other}"))),
            };
            cols.insert(name, col);
        }
        Ok(Table {
            len: rows.map_or(df.height(), <[usize]>::len),
            cols,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A text value (`None` if null, empty or the column is missing or not text).
    pub fn str(&self, column: &str, row: usize) -> Option<&str> {
        match self.cols.get(column) {
            Some(Col::Str(v)) => v.get(row)?.as_deref().filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    /// An integer value.
    pub fn int(&self, column: &str, row: usize) -> Option<i32> {
        match self.cols.get(column) {
            Some(Col::Int(v)) => *v.get(row)?,
            _ => None,
        }
    }

    /// A number value.
    pub fn num(&self, column: &str, row: usize) -> Option<f64> {
        match self.cols.get(column) {
            Some(Col::Num(v)) => *v.get(row)?,
            _ => None,
        }
    }

    /// A boolean value.
    pub fn bool(&self, column: &str, row: usize) -> Option<bool> {
        match self.cols.get(column) {
            Some(Col::Bool(v)) => *v.get(row)?,
            _ => None,
        }
    }

    /// A date value.
    pub fn date(&self, column: &str, row: usize) -> Option<NaiveDate> {
        match self.cols.get(column) {
            Some(Col::Date(v)) => *v.get(row)?,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn typed_columns_round_trip() {
        let dates = Series::new("d".into(), [Some(0i32), None, Some(20089)])
            .cast(&DataType::Date)
            .unwrap();
        let df = DataFrame::new(
            3,
            vec![
                Series::new("s".into(), [Some("a"), Some(""), None]).into(),
                Series::new("i".into(), [Some(1i32), None, Some(3)]).into(),
                Series::new("n".into(), [Some(1.5f64), None, None]).into(),
                Series::new("b".into(), [Some(true), Some(false), None]).into(),
                dates.into(),
            ],
        )
        .unwrap();
        let t = Table::from_frame(&df, None).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.str("s", 0), Some("a"));
        assert_eq!(t.str("s", 1), None);
        assert_eq!(t.int("i", 2), Some(3));
        assert_eq!(t.num("n", 0), Some(1.5));
        assert_eq!(t.bool("b", 1), Some(false));
        assert_eq!(t.date("d", 0), NaiveDate::from_ymd_opt(1970, 1, 1));
        assert_eq!(t.date("d", 2), NaiveDate::from_ymd_opt(2025, 1, 1));
        assert_eq!(t.date("d", 1), None);
        assert_eq!(t.str("missing", 0), None);
        assert_eq!(t.str("i", 0), None);
        // Selected rows only.
        let t = Table::from_frame(&df, Some(&[0, 2])).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.int("i", 1), Some(3));
        assert_eq!(t.date("d", 1), NaiveDate::from_ymd_opt(2025, 1, 1));
        assert_eq!(t.str("s", 0), Some("a"));
    }
}
