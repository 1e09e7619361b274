//! Per-source format configuration, as written in TOML source definitions,
//! and locale-aware number parsing.
//!
//! ```toml
//! format = "csv"
//! encoding = "windows1252"
//! delimiter = ";"
//! header_row = "auto"      # or a 1-based row number, e.g. 3
//! decimal_comma = true
//! thousands_separator = "."
//! ```

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::encoding::EncodingSpec;

fn default_quote() -> char {
    '"'
}

fn default_max_cells() -> u64 {
    DEFAULT_MAX_CELLS
}

/// The default cell budget of a spreadsheet sheet (rows × columns).
pub const DEFAULT_MAX_CELLS: u64 = 20_000_000;

/// How to read one source.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormatSpec {
    /// The file format (required).
    pub format: Format,
    /// Text encoding (CSV, NDJSON, JSON); default `auto`.
    #[serde(default)]
    pub encoding: EncodingSpec,
    /// CSV field delimiter; `None` detects one of `;` `,` tab `|` from the
    /// header line.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// CSV quote character; default `"`.
    #[serde(default = "default_quote")]
    pub quote: char,
    /// Where the header is: `"auto"` (default) or a 1-based row/line number.
    #[serde(default)]
    pub header_row: HeaderRow,
    /// Spreadsheet sheet: a name or a 0-based index; default the first sheet.
    #[serde(default)]
    pub sheet: Option<SheetSpec>,
    /// Numbers use a decimal comma (`3,5`), as in Italian locales.
    #[serde(default)]
    pub decimal_comma: bool,
    /// Thousands grouping character (e.g. `.` with a decimal comma).
    #[serde(default)]
    pub thousands_separator: Option<char>,
    /// Largest sheet accepted, in cells (rows × columns); default 20 000 000.
    #[serde(default = "default_max_cells")]
    pub max_cells: u64,
}

impl FormatSpec {
    /// A spec for `format` with every other field at its default.
    pub fn new(format: Format) -> Self {
        FormatSpec {
            format,
            encoding: EncodingSpec::default(),
            delimiter: None,
            quote: default_quote(),
            header_row: HeaderRow::default(),
            sheet: None,
            decimal_comma: false,
            thousands_separator: None,
            max_cells: DEFAULT_MAX_CELLS,
        }
    }

    /// Parses a number written according to this spec's `decimal_comma` and
    /// `thousands_separator`; see [`parse_decimal`].
    pub fn parse_number(&self, s: &str) -> Option<f64> {
        parse_decimal(s, self.decimal_comma, self.thousands_separator)
    }
}

/// Source file formats.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Delimited text.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// Legacy Excel 97-2003 workbook.
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
    /// Apache Parquet (read by `format::parquet`).
    Parquet,
    /// A JSON array of objects.
    Json,
    /// Newline-delimited JSON: one object per line.
    Ndjson,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Parquet => "parquet",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        })
    }
}

/// Where the header row is.
///
/// In TOML: the string `"auto"` or an integer ≥ 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HeaderRow {
    /// Detected among the first 30 rows: the one containing the most expected
    /// column names, falling back to the first non-blank row.
    #[default]
    Auto,
    /// This 1-based row (physical line for CSV, sheet row for spreadsheets).
    Row(u32),
}

impl Serialize for HeaderRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            HeaderRow::Auto => serializer.serialize_str("auto"),
            HeaderRow::Row(n) => serializer.serialize_u32(*n),
        }
    }
}

impl<'de> Deserialize<'de> for HeaderRow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = HeaderRow;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"auto\" or a row number ≥ 1")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HeaderRow, E> {
                if v.trim().eq_ignore_ascii_case("auto") {
                    Ok(HeaderRow::Auto)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<HeaderRow, E> {
                match u32::try_from(v) {
                    Ok(n) if n >= 1 => Ok(HeaderRow::Row(n)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)),
                }
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<HeaderRow, E> {
                match u64::try_from(v) {
                    Ok(u) => self.visit_u64(u),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Which sheet of a workbook to read: by name or by 0-based index.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(untagged)]
pub enum SheetSpec {
    /// The sheet with this name.
    Name(String),
    /// The sheet at this 0-based position.
    Index(usize),
}

impl fmt::Display for SheetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SheetSpec::Name(n) => write!(f, "{n:?}"),
            SheetSpec::Index(i) => write!(f, "#{i} (0-based)"),
        }
    }
}

/// Parses a decimal number written with the given conventions.
///
/// - `decimal_comma`: the decimal separator is `,` instead of `.`.
/// - `thousands`: an optional grouping character; when given, groups must be
///   well formed (1–3 leading digits, then groups of exactly 3).
///
/// Surrounding whitespace is ignored; a leading `+`/`-` and an exponent
/// (`1,5e3`) are accepted. Returns `None` for empty input, garbage, a second
/// decimal separator (`1,2,3`), misplaced grouping, or a non-finite value.
///
/// ```
/// use metrodati_connectors::spec::parse_decimal;
/// assert_eq!(parse_decimal("1.299,99", true, Some('.')), Some(1299.99));
/// assert_eq!(parse_decimal("-3,5", true, None), Some(-3.5));
/// assert_eq!(parse_decimal("1,2,3", true, Some('.')), None);
/// ```
pub fn parse_decimal(s: &str, decimal_comma: bool, thousands: Option<char>) -> Option<f64> {
    let s = s.trim();
    let dec = if decimal_comma { ',' } else { '.' };
    let thousands = thousands.filter(|&t| t != dec);

    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.strip_prefix('+').unwrap_or(s)),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once(dec) {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };

    let int_digits = match thousands {
        Some(t) if int_part.contains(t) => {
            let groups: Vec<&str> = int_part.split(t).collect();
            let first_ok = (1..=3).contains(&groups[0].len());
            let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
            if !first_ok || !rest_ok {
                return None;
            }
            groups.concat()
        }
        _ => int_part.to_string(),
    };
    let frac = frac_part.unwrap_or("");
    if !int_digits.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int_digits.is_empty() && frac.is_empty() {
        return None;
    }
    let mut normalized = format!("{sign}{int_digits}.{frac}");
    if normalized.ends_with('.') {
        normalized.push('0');
    }
    if normalized.starts_with('.') || normalized.starts_with("-.") {
        normalized = normalized.replacen('.', "0.", 1);
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        normalized.push('e');
        normalized.push_str(exp);
    }
    normalized.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_comma_and_thousands() {
        assert_eq!(parse_decimal("1.299,99", true, Some('.')), Some(1299.99));
        assert_eq!(parse_decimal("1.234.567,5", true, Some('.')), Some(1234567.5));
        assert_eq!(parse_decimal("-3,5", true, None), Some(-3.5));
        assert_eq!(parse_decimal(" 42 ", true, None), Some(42.0));
        assert_eq!(parse_decimal("+0,25", true, None), Some(0.25));
        assert_eq!(parse_decimal(",5", true, None), Some(0.5));
        assert_eq!(parse_decimal("1 299,99", true, Some(' ')), Some(1299.99));
        assert_eq!(parse_decimal("1,5e3", true, None), Some(1500.0));
        assert_eq!(parse_decimal("1,299.99", false, Some(',')), Some(1299.99));
        assert_eq!(parse_decimal("3.5", false, None), Some(3.5));
        assert_eq!(parse_decimal("1299", true, Some('.')), Some(1299.0));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_decimal("1,2,3", true, Some('.')), None);
        assert_eq!(parse_decimal("1,2,3", true, None), None);
        assert_eq!(parse_decimal("", true, None), None);
        assert_eq!(parse_decimal("   ", false, None), None);
        assert_eq!(parse_decimal("abc", true, None), None);
        assert_eq!(parse_decimal("12a", false, None), None);
        assert_eq!(parse_decimal("-", true, None), None);
        assert_eq!(parse_decimal(",", true, None), None);
        assert_eq!(parse_decimal("1,5", false, None), None);
        assert_eq!(parse_decimal("12.34,5", true, Some('.')), None);
        assert_eq!(parse_decimal("1.2345,5", true, Some('.')), None);
        assert_eq!(parse_decimal("1,234.5", true, Some('.')), None);
        assert_eq!(parse_decimal("inf", false, None), None);
        assert_eq!(parse_decimal("NaN", false, None), None);
        assert_eq!(parse_decimal("1e", false, None), None);
        assert_eq!(parse_decimal("1e999", false, None), None);
        assert_eq!(parse_decimal("--1", false, None), None);
        assert_eq!(parse_decimal("1.5", true, None), None);
    }

    #[test]
    fn spec_from_toml_with_defaults() {
        let s: FormatSpec = toml::from_str("format = \"csv\"").unwrap();
        assert_eq!(s, FormatSpec::new(Format::Csv));
        assert_eq!(s.quote, '"');
        assert_eq!(s.max_cells, 20_000_000);
        assert_eq!(s.header_row, HeaderRow::Auto);

        let s: FormatSpec = toml::from_str(
            r#"
            format = "xlsx"
            encoding = "windows-1252"
            delimiter = ";"
            header_row = 3
            sheet = "Dati"
            decimal_comma = true
            thousands_separator = "."
            max_cells = 1000
            "#,
        )
        .unwrap();
        assert_eq!(s.format, Format::Xlsx);
        assert_eq!(s.encoding, EncodingSpec::Windows1252);
        assert_eq!(s.delimiter, Some(';'));
        assert_eq!(s.header_row, HeaderRow::Row(3));
        assert_eq!(s.sheet, Some(SheetSpec::Name("Dati".into())));
        assert_eq!(s.parse_number("1.299,99"), Some(1299.99));
        assert_eq!(s.max_cells, 1000);

        let s: FormatSpec = toml::from_str("format = \"ods\"\nsheet = 2\nheader_row = \"auto\"").unwrap();
        assert_eq!(s.sheet, Some(SheetSpec::Index(2)));
        assert_eq!(s.header_row, HeaderRow::Auto);
    }

    #[test]
    fn spec_rejects_bad_input() {
        assert!(toml::from_str::<FormatSpec>("").is_err());
        assert!(toml::from_str::<FormatSpec>("format = \"pdf\"").is_err());
        assert!(toml::from_str::<FormatSpec>("format = \"csv\"\nbogus = 1").is_err());
        assert!(toml::from_str::<FormatSpec>("format = \"csv\"\nheader_row = 0").is_err());
        assert!(toml::from_str::<FormatSpec>("format = \"csv\"\nheader_row = -2").is_err());
        assert!(toml::from_str::<FormatSpec>("format = \"csv\"\nheader_row = \"first\"").is_err());
        assert!(toml::from_str::<FormatSpec>("format = \"csv\"\ndelimiter = \";;\"").is_err());
        assert!(toml::from_str::<FormatSpec>("format = \"xlsx\"\nsheet = -1").is_err());
    }

    #[test]
    fn spec_round_trips() {
        let mut s = FormatSpec::new(Format::Ndjson);
        s.header_row = HeaderRow::Row(2);
        s.sheet = Some(SheetSpec::Index(1));
        let text = toml::to_string(&s).unwrap();
        assert!(text.contains("header_row = 2"), "{text}");
        assert_eq!(toml::from_str::<FormatSpec>(&text).unwrap(), s);
        let auto = toml::to_string(&FormatSpec::new(Format::Csv)).unwrap();
        assert!(auto.contains("header_row = \"auto\""), "{auto}");
    }
}
