//! Source definitions: one TOML file per comune in `comuni/`, saying where
//! its exports are, their format and how their columns map to the schema.
//! Adding a comune means adding one file.
//!
//! ```toml
//! comune = "015146"
//! denominazione = "Milano"
//!
//! [[anagrafe]]
//! name = "residenti"
//! url = "sample/anagrafe/015146/residenti_*.parquet"   # relative to the data folder, or a URL
//! read = { format = "parquet" }
//! [anagrafe.columns]
//! tax_code = "CODICE_FISCALE"
//! sex_id = { column = "SESSO", values = { "1" = "M", "2" = "F" } }
//! date_of_birth = { column = "DATA_NASCITA", date_format = "%d/%m/%Y" }
//! ```

use super::ConfigError;
use metrodati_connectors::spec::FormatSpec;
use metrodati_interop::refdata;
use metrodati_interop::validate::anagrafe::Target;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A comune's source definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDefinition {
    /// ISTAT code of the comune (6 digits).
    pub comune: Spanned<String>,
    /// Name, checked against the ISTAT table when given.
    #[serde(default)]
    pub denominazione: Option<Spanned<String>>,
    /// The municipal software the exports come from (informational).
    #[serde(default)]
    pub gestionale: Option<String>,
    /// Free notes for stewards.
    #[serde(default)]
    pub note: Option<String>,
    /// Exports feeding the anagrafe pipeline.
    #[serde(default)]
    pub anagrafe: Vec<SourceSpec>,
    /// File the definition was read from.
    #[serde(skip)]
    pub path: PathBuf,
    /// The file's text (for fingerprints and error locations).
    #[serde(skip)]
    pub text: String,
}

/// One export of a comune.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Short name, unique within the comune (used in reports and quarantine).
    pub name: String,
    /// Path or object-store URL, with glob wildcards; relative paths are
    /// relative to the data folder.
    pub url: String,
    /// How to read the files.
    pub read: FormatSpec,
    /// Schema field → source column.
    pub columns: BTreeMap<Spanned<String>, ColumnMapping>,
}

/// How one schema field is filled from a source column.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ColumnMapping {
    /// Just the column name.
    Column(String),
    /// Column name with recoding.
    Detailed(DetailedMapping),
}

/// A column with value recoding and/or a date format.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DetailedMapping {
    pub column: String,
    /// Source value → schema value (e.g. `"1" = "M"`); values not listed
    /// pass through unchanged and are validated as they are.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// chrono format of a date column, e.g. `%d/%m/%Y`.
    #[serde(default)]
    pub date_format: Option<String>,
}

impl ColumnMapping {
    pub fn column(&self) -> &str {
        match self {
            ColumnMapping::Column(c) => c,
            ColumnMapping::Detailed(d) => &d.column,
        }
    }

    pub fn date_format(&self) -> Option<&str> {
        match self {
            ColumnMapping::Column(_) => None,
            ColumnMapping::Detailed(d) => d.date_format.as_deref(),
        }
    }

    pub fn values(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            ColumnMapping::Column(_) => None,
            ColumnMapping::Detailed(d) if d.values.is_empty() => None,
            ColumnMapping::Detailed(d) => Some(&d.values),
        }
    }
}

impl SourceDefinition {
    /// ISTAT code of the comune.
    pub fn istat(&self) -> &str {
        self.comune.get_ref()
    }

    /// Parses and checks one definition; returns every problem found.
    pub fn parse(path: &Path, text: &str) -> Result<SourceDefinition, Vec<ConfigError>> {
        let mut def: SourceDefinition =
            toml::from_str(text).map_err(|e| vec![ConfigError::from_toml(path, text, &e)])?;
        def.path = path.to_path_buf();
        def.text = text.to_string();
        let errors = def.check();
        if errors.is_empty() {
            Ok(def)
        } else {
            Err(errors)
        }
    }

    /// Reads and checks one file.
    pub fn load(path: &Path) -> Result<SourceDefinition, Vec<ConfigError>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![ConfigError::file(path, format!("cannot read: {e}"))])?;
        SourceDefinition::parse(path, &text)
    }

    /// Reads every `*.toml` in `dir`, sorted by file name. Returns the
    /// definitions that are valid and every error of the others; two files
    /// for the same comune are an error.
    pub fn load_dir(dir: &Path) -> (Vec<SourceDefinition>, Vec<ConfigError>) {
        let mut defs = Vec::new();
        let mut errors = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                errors.push(ConfigError::file(
                    dir,
                    format!("cannot read the source definitions folder: {e}"),
                ));
                return (defs, errors);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            match SourceDefinition::load(&p) {
                Ok(d) => {
                    if let Some(prev) = defs.iter().find(|x: &&SourceDefinition| x.istat() == d.istat()) {
                        errors.push(ConfigError::at(
                            &p,
                            &d.text,
                            Some(d.comune.span()),
                            Some("comune".into()),
                            format!(
                                "comune {} is already defined in {}",
                                d.istat(),
                                prev.path.display()
                            ),
                        ));
                    } else {
                        defs.push(d);
                    }
                }
                Err(e) => errors.extend(e),
            }
        }
        (defs, errors)
    }

    fn err(&self, span: Option<std::ops::Range<usize>>, key: String, msg: impl Into<String>) -> ConfigError {
        ConfigError::at(&self.path, &self.text, span, Some(key), msg)
    }

    fn check(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let istat = self.istat();
        match refdata::comune_by_istat(istat) {
            None => errors.push(self.err(
                Some(self.comune.span()),
                "comune".into(),
                format!("unknown comune `{istat}`: not one of the 133 ISTAT codes of the Città Metropolitana di Milano"),
            )),
            Some(c) => {
                if let Some(name) = &self.denominazione {
                    if !name.get_ref().eq_ignore_ascii_case(&c.denominazione) {
                        errors.push(self.err(
                            Some(name.span()),
                            "denominazione".into(),
                            format!("`{}` does not match ISTAT's name `{}` for {istat}", name.get_ref(), c.denominazione),
                        ));
                    }
                }
            }
        }
        if let Some(stem) = self.path.file_stem().and_then(|s| s.to_str()) {
            if !self.path.as_os_str().is_empty() && stem != istat {
                errors.push(self.err(
                    Some(self.comune.span()),
                    "comune".into(),
                    format!("the file is named {stem}.toml but defines comune {istat}; name it {istat}.toml"),
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        for (i, src) in self.anagrafe.iter().enumerate() {
            let prefix = format!("anagrafe[{i}]");
            // Errors about a whole source point at its `[[anagrafe]]` line.
            let block = self.block_span(i);
            let valid_name = !src.name.is_empty()
                && src.name.len() <= 64
                && src
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !valid_name {
                errors.push(self.err(
                    block.clone(),
                    format!("{prefix}.name"),
                    format!(
                        "source name `{}` must be 1–64 lowercase letters, digits, `_` or `-` (it names quarantine files)",
                        src.name
                    ),
                ));
            }
            if !names.insert(src.name.as_str()) {
                errors.push(self.err(
                    block.clone(),
                    format!("{prefix}.name"),
                    format!("duplicate source name `{}`", src.name),
                ));
            }
            for problem in format_problems(&src.read) {
                errors.push(self.err(block.clone(), format!("{prefix}.read"), problem));
            }
            for (field, mapping) in &src.columns {
                let key = format!("{prefix}.columns.{}", field.get_ref());
                match Target::from_name(field.get_ref()) {
                    None => errors.push(self.err(
                        Some(field.span()),
                        key,
                        format!(
                            "`{}` is not a field of the anagrafe schema; known fields: {}",
                            field.get_ref(),
                            Target::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
                        ),
                    )),
                    Some(t) => {
                        if mapping.date_format().is_some() && !t.is_date() {
                            errors.push(self.err(
                                Some(field.span()),
                                key.clone(),
                                "date_format is only allowed on date fields",
                            ));
                        }
                        if let Some(f) = mapping.date_format() {
                            if !date_format_is_valid(f) {
                                errors.push(self.err(
                                    Some(field.span()),
                                    key,
                                    format!("invalid date_format `{f}`"),
                                ));
                            }
                        }
                    }
                }
            }
            let mapped = |t: Target| src.columns.keys().any(|k| k.get_ref() == t.name());
            for t in Target::REQUIRED {
                if !mapped(t) {
                    errors.push(self.err(
                        block.clone(),
                        format!("{prefix}.columns"),
                        format!("required field `{}` is not mapped to any column", t.name()),
                    ));
                }
            }
            if !mapped(Target::OfficialStreetName) && !mapped(Target::FullAddress) {
                errors.push(self.err(
                    block.clone(),
                    format!("{prefix}.columns"),
                    "map either `official_street_name` or `full_address`",
                ));
            }
        }
        errors
    }
}

impl SourceDefinition {
    /// Byte span of the `i`-th `[[anagrafe]]` header in the file.
    fn block_span(&self, i: usize) -> Option<std::ops::Range<usize>> {
        let mut from = 0;
        let mut found = None;
        for _ in 0..=i {
            let at = self.text[from..].find("[[anagrafe]]")? + from;
            found = Some(at..at + "[[anagrafe]]".len());
            from = at + 1;
        }
        found
    }
}

/// Problems in a source's `read` options that would only surface at run time.
fn format_problems(f: &FormatSpec) -> Vec<String> {
    use metrodati_connectors::spec::Format;
    let mut p = Vec::new();
    let spreadsheet = matches!(f.format, Format::Xlsx | Format::Xls | Format::Ods);
    if let Some(d) = f.delimiter {
        if f.format != Format::Csv {
            p.push(format!("`delimiter` applies to CSV only, not {}", f.format));
        } else if !d.is_ascii() || d == '\n' || d == '\r' || d == f.quote {
            p.push(format!(
                "delimiter {d:?} must be a single ASCII character other than a newline or the quote"
            ));
        }
    }
    if !f.quote.is_ascii() {
        p.push(format!("quote {:?} must be an ASCII character", f.quote));
    }
    if f.sheet.is_some() && !spreadsheet {
        p.push(format!("`sheet` applies to xlsx/xls/ods only, not {}", f.format));
    }
    if f.max_cells == 0 {
        p.push("`max_cells` must be greater than 0".into());
    }
    if f.decimal_comma && f.thousands_separator == Some(',') {
        p.push("with `decimal_comma` the thousands separator cannot be `,`".into());
    }
    p
}

fn date_format_is_valid(f: &str) -> bool {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item<'_>> = StrftimeItems::new(f).collect();
    !items.iter().any(|i| matches!(i, Item::Error)) && f.contains('%')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
comune = "015146"
denominazione = "Milano"

[[anagrafe]]
name = "residenti"
url = "sample/anagrafe/015146/*.csv"
read = { format = "csv", encoding = "utf-8", delimiter = "," }
[anagrafe.columns]
tax_code = "CF"
family_name = "COGNOME"
given_name = "NOME"
sex_id = { column = "SESSO", values = { "1" = "M", "2" = "F" } }
date_of_birth = { column = "NASCITA", date_format = "%d/%m/%Y" }
birth_place_code = "LUOGO"
registered_family_code = "FAM"
parental_relationship_type_code = "REL"
full_address = "INDIRIZZO"
"#;

    #[test]
    fn parses_a_good_definition() {
        let d = SourceDefinition::parse(Path::new("comuni/015146.toml"), GOOD).unwrap();
        assert_eq!(d.istat(), "015146");
        assert_eq!(d.anagrafe.len(), 1);
        let sex = d.anagrafe[0].columns.get("sex_id").unwrap();
        assert_eq!(sex.column(), "SESSO");
        assert_eq!(sex.values().unwrap().get("2").map(String::as_str), Some("F"));
    }

    #[test]
    fn reports_every_error_with_line_and_key() {
        let bad = GOOD
            .replace("comune = \"015146\"", "comune = \"015999\"")
            .replace("tax_code = \"CF\"", "codice_fiscale = \"CF\"")
            .replace(
                "birth_place_code = \"LUOGO\"\n",
                "birth_place_code = { column = \"LUOGO\", date_format = \"%d\" }\n",
            );
        let errs = SourceDefinition::parse(Path::new("comuni/015999.toml"), &bad).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(
            errs.iter()
                .any(|e| e.key.as_deref() == Some("comune") && e.line == Some(2)),
            "{text:?}"
        );
        assert!(
            errs.iter().any(
                |e| e.key.as_deref() == Some("anagrafe[0].columns.codice_fiscale")
                    && e.line == Some(10)
            ),
            "{text:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.message.contains("`tax_code` is not mapped")),
            "{text:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.message.contains("only allowed on date fields")),
            "{text:?}"
        );
    }

    #[test]
    fn syntax_and_unknown_keys_are_located() {
        let bad = GOOD.replace("url = ", "indirizzo = ");
        let errs = SourceDefinition::parse(Path::new("comuni/015146.toml"), &bad).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, Some(7), "{}", errs[0]);
        let bad = GOOD.replace("read = { format = \"csv\"", "read = { format = \"docx\"");
        let errs = SourceDefinition::parse(Path::new("comuni/015146.toml"), &bad).unwrap_err();
        assert_eq!(errs[0].line, Some(8), "{}", errs[0]);
    }

    #[test]
    fn source_level_errors_point_at_the_block() {
        let bad = GOOD
            .replace("name = \"residenti\"", "name = \"../x\"")
            .replace("delimiter = \",\"", "delimiter = \"€\"")
            .replace("tax_code = \"CF\"\n", "");
        let errs = SourceDefinition::parse(Path::new("comuni/015146.toml"), &bad).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 3, "{text:?}");
        for e in &errs {
            assert_eq!(e.line, Some(5), "{e}");
        }
        assert!(text.iter().any(|t| t.contains("anagrafe[0].name")), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.contains("anagrafe[0].read") && t.contains("delimiter")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("`tax_code` is not mapped")),
            "{text:?}"
        );
    }

    #[test]
    fn file_name_must_match_comune() {
        let errs = SourceDefinition::parse(Path::new("comuni/015002.toml"), GOOD).unwrap_err();
        assert!(errs[0].message.contains("name it 015146.toml"), "{}", errs[0]);
    }
}
