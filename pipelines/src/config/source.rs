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
//!
//! [[sociale]]                      # Cartella Sociale exports (optional)
//! name = "contributi"
//! kind = "prestazioni"             # prestazioni | sina | sinba: the table the rows go to
//! module = "sostegno_reddito"      # prestazioni only: the module of every row, or map a `module` column
//! url = "sample/sociale/015146/contributi_*.csv"
//! read = { format = "csv", encoding = "windows-1252", delimiter = ";", decimal_comma = true, thousands_separator = "." }
//! [sociale.columns]
//! identifier = "ID_EROGAZIONE"
//! tax_code = "CF_BENEFICIARIO"
//! monthly_amount = "IMPORTO_MENSILE"
//! ```

use super::ConfigError;
use metrodati_connectors::spec::FormatSpec;
use metrodati_interop::validate::anagrafe::Target;
use metrodati_interop::validate::sociale::{self, Kind};
use metrodati_interop::{refdata, vocab};
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
    /// Cartella Sociale exports feeding the sociale pipeline.
    #[serde(default)]
    pub sociale: Vec<SocialeSourceSpec>,
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

/// One Cartella Sociale export of a comune (`[[sociale]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialeSourceSpec {
    /// Short name, unique among the comune's `[[sociale]]` sources.
    pub name: String,
    /// `prestazioni`, `sina` or `sinba`: which table the rows feed.
    pub kind: Spanned<String>,
    /// For `prestazioni`: the Cartella Sociale module of every row (e.g.
    /// `assistenza_domiciliare`), when the export has no module column.
    #[serde(default)]
    pub module: Option<Spanned<String>>,
    /// Path or object-store URL, with glob wildcards.
    pub url: String,
    /// How to read the files (`decimal_comma` and `thousands_separator` say
    /// how amounts are written).
    pub read: FormatSpec,
    /// Schema field → source column.
    pub columns: BTreeMap<Spanned<String>, ColumnMapping>,
}

impl SocialeSourceSpec {
    /// The kind, when valid (a parsed definition always has one).
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_name(self.kind.get_ref())
    }

    /// The fixed module, if any.
    pub fn module(&self) -> Option<&str> {
        self.module.as_ref().map(|m| m.get_ref().as_str())
    }
}

/// What every source (anagrafe or sociale) has: the parts the readers and
/// the mapping need.
pub trait Source {
    fn name(&self) -> &str;
    fn url(&self) -> &str;
    fn read(&self) -> &FormatSpec;
    fn columns(&self) -> &BTreeMap<Spanned<String>, ColumnMapping>;

    /// The mapping of a schema field.
    fn column(&self, field: &str) -> Option<&ColumnMapping> {
        self.columns().get(field)
    }
}

impl Source for SourceSpec {
    fn name(&self) -> &str {
        &self.name
    }
    fn url(&self) -> &str {
        &self.url
    }
    fn read(&self) -> &FormatSpec {
        &self.read
    }
    fn columns(&self) -> &BTreeMap<Spanned<String>, ColumnMapping> {
        &self.columns
    }
}

impl Source for SocialeSourceSpec {
    fn name(&self) -> &str {
        &self.name
    }
    fn url(&self) -> &str {
        &self.url
    }
    fn read(&self) -> &FormatSpec {
        &self.read
    }
    fn columns(&self) -> &BTreeMap<Spanned<String>, ColumnMapping> {
        &self.columns
    }
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
            let block = self.block_span("[[anagrafe]]", i);
            self.check_common(src, &prefix, block.clone(), &mut names, &mut errors);
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
        let mut names = std::collections::HashSet::new();
        for (i, src) in self.sociale.iter().enumerate() {
            self.check_sociale(i, src, &mut names, &mut errors);
        }
        errors
    }

    /// Name and read options: the checks every source gets.
    fn check_common<'s>(
        &self,
        src: &'s impl Source,
        prefix: &str,
        block: Option<std::ops::Range<usize>>,
        names: &mut std::collections::HashSet<&'s str>,
        errors: &mut Vec<ConfigError>,
    ) {
        let name = src.name();
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid_name {
            errors.push(self.err(
                block.clone(),
                format!("{prefix}.name"),
                format!(
                    "source name `{name}` must be 1–64 lowercase letters, digits, `_` or `-` (it names quarantine files)"
                ),
            ));
        }
        if !names.insert(name) {
            errors.push(self.err(
                block.clone(),
                format!("{prefix}.name"),
                format!("duplicate source name `{name}`"),
            ));
        }
        for problem in format_problems(src.read()) {
            errors.push(self.err(block.clone(), format!("{prefix}.read"), problem));
        }
    }

    fn check_sociale<'s>(
        &self,
        i: usize,
        src: &'s SocialeSourceSpec,
        names: &mut std::collections::HashSet<&'s str>,
        errors: &mut Vec<ConfigError>,
    ) {
        let prefix = format!("sociale[{i}]");
        let block = self.block_span("[[sociale]]", i);
        self.check_common(src, &prefix, block.clone(), names, errors);
        let Some(kind) = src.kind() else {
            errors.push(self.err(
                Some(src.kind.span()),
                format!("{prefix}.kind"),
                format!(
                    "unknown kind `{}`; known: {}",
                    src.kind.get_ref(),
                    Kind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
                ),
            ));
            return;
        };
        let entity = kind.entity();
        let maps_module = src.columns.keys().any(|k| k.get_ref() == "module");
        match (&src.module, kind) {
            (Some(m), Kind::Prestazioni) => {
                if !vocab::SOCIAL_MODULES.iter().any(|(c, _)| c == m.get_ref()) {
                    errors.push(self.err(
                        Some(m.span()),
                        format!("{prefix}.module"),
                        format!(
                            "unknown module `{}`; known: {}",
                            m.get_ref(),
                            vocab::SOCIAL_MODULES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                if maps_module {
                    errors.push(self.err(
                        Some(m.span()),
                        format!("{prefix}.module"),
                        "give the module either here or as a `module` column, not both",
                    ));
                }
            }
            (Some(m), _) => errors.push(self.err(
                Some(m.span()),
                format!("{prefix}.module"),
                format!("`module` applies to kind = \"prestazioni\" only, not `{}`", kind.name()),
            )),
            (None, Kind::Prestazioni) if !maps_module => errors.push(self.err(
                block.clone(),
                format!("{prefix}.module"),
                "a prestazioni source needs its module: `module = \"...\"` for the whole source, or a `module` column",
            )),
            (None, _) => {}
        }
        for (field, mapping) in &src.columns {
            let key = format!("{prefix}.columns.{}", field.get_ref());
            match sociale::Target::from_name(field.get_ref()).filter(|t| kind.accepts(*t)) {
                None => errors.push(self.err(
                    Some(field.span()),
                    key,
                    format!(
                        "`{}` is not a field of {entity} (kind = \"{}\"); known fields: {}",
                        field.get_ref(),
                        kind.name(),
                        kind.targets().iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
                    ),
                )),
                Some(t) => {
                    if let Some(f) = mapping.date_format() {
                        if !t.is_date() {
                            errors.push(self.err(
                                Some(field.span()),
                                key.clone(),
                                "date_format is only allowed on date fields",
                            ));
                        } else if !date_format_is_valid(f) {
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
        for t in kind.required() {
            if !src.columns.keys().any(|k| k.get_ref() == t.name()) {
                errors.push(self.err(
                    block.clone(),
                    format!("{prefix}.columns"),
                    format!(
                        "required field `{}` of {entity} is not mapped to any column",
                        t.name()
                    ),
                ));
            }
        }
    }
}

impl SourceDefinition {
    /// Byte span of the `i`-th `header` (`[[anagrafe]]`, `[[sociale]]`) in
    /// the file.
    fn block_span(&self, header: &str, i: usize) -> Option<std::ops::Range<usize>> {
        let mut from = 0;
        let mut found = None;
        for _ in 0..=i {
            let at = self.text[from..].find(header)? + from;
            found = Some(at..at + header.len());
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

    const SOCIALE: &str = r#"
[[sociale]]
name = "contributi"
kind = "prestazioni"
module = "sostegno_reddito"
url = "sample/sociale/015146/contributi_*.csv"
read = { format = "csv", encoding = "windows-1252", delimiter = ";", decimal_comma = true, thousands_separator = "." }
[sociale.columns]
identifier = "ID"
tax_code = "CF"
service_code = "CODICE"
benefit_character = { column = "CARATTERE", values = { "P" = "1", "U" = "2" } }
means_test = "PROVA_MEZZI"
application_protocol = "PROTOCOLLO"
taken_in_charge = "PRESA_IN_CARICO"
start_date = { column = "INIZIO", date_format = "%d/%m/%Y" }
monthly_amount = "IMPORTO_MENSILE"

[[sociale]]
name = "sinba"
kind = "sinba"
url = "sample/sociale/015146/sinba_*.csv"
read = { format = "csv" }
[sociale.columns]
identifier = "ID"
tax_code = "CF"
case_open_date = "APERTURA"
first_report_date = { column = "SEGNALAZIONE", date_format = "%m/%Y" }
report_source = "FONTE"
unaccompanied_foreign_minor = "MSNA"
minor_condition = "CONDIZIONE"
living_place = "LUOGO"
school_attended = "SCUOLA"
work_condition = "LAVORO"
disability = "DISABILITA"
minor_assessment = "VAL_MINORE"
family_assessment = "VAL_FAMIGLIA"
judicial_report = "SEGN_AG"
judicial_measure = "PROVV_AG"
"#;

    fn with_sociale() -> String {
        format!("{GOOD}{SOCIALE}")
    }

    #[test]
    fn parses_sociale_sources() {
        let d = SourceDefinition::parse(Path::new("comuni/015146.toml"), &with_sociale()).unwrap();
        assert_eq!(d.sociale.len(), 2);
        assert_eq!(d.sociale[0].kind(), Some(Kind::Prestazioni));
        assert_eq!(d.sociale[0].module(), Some("sostegno_reddito"));
        assert!(d.sociale[0].read.decimal_comma);
        assert_eq!(d.sociale[1].kind(), Some(Kind::Sinba));
        assert_eq!(
            d.sociale[1]
                .column("first_report_date")
                .and_then(|m| m.date_format()),
            Some("%m/%Y")
        );
        // A definition without [[sociale]] stays valid.
        assert!(SourceDefinition::parse(Path::new("comuni/015146.toml"), GOOD)
            .unwrap()
            .sociale
            .is_empty());
    }

    fn sociale_errors(edit: impl Fn(String) -> String) -> Vec<ConfigError> {
        SourceDefinition::parse(Path::new("comuni/015146.toml"), &edit(with_sociale())).unwrap_err()
    }

    fn has(errs: &[ConfigError], key: &str, line: usize, text: &str) {
        assert!(
            errs.iter()
                .any(|e| e.key.as_deref() == Some(key) && e.line == Some(line) && e.message.contains(text)),
            "no `{text}` at {key}, line {line}: {:?}",
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn sociale_kind_and_module_are_checked() {
        // Lines: the first [[sociale]] is on line 20, its kind on 22, module on 23.
        let errs = sociale_errors(|t| t.replacen("kind = \"prestazioni\"", "kind = \"prestazione\"", 1));
        has(&errs, "sociale[0].kind", 22, "unknown kind `prestazione`");
        let errs = sociale_errors(|t| t.replace("module = \"sostegno_reddito\"", "module = \"contributi\""));
        has(&errs, "sociale[0].module", 23, "unknown module `contributi`");
        let errs = sociale_errors(|t| t.replace("module = \"sostegno_reddito\"\n", ""));
        has(&errs, "sociale[0].module", 20, "needs its module");
        let errs = sociale_errors(|t| {
            t.replace(
                "identifier = \"ID\"\ntax_code = \"CF\"\nservice_code",
                "identifier = \"ID\"\ntax_code = \"CF\"\nmodule = \"MODULO\"\nservice_code",
            )
        });
        has(&errs, "sociale[0].module", 23, "not both");
        let errs = sociale_errors(|t| {
            t.replace(
                "kind = \"sinba\"",
                "kind = \"sinba\"\nmodule = \"minori_famiglie\"",
            )
        });
        has(&errs, "sociale[1].module", 40, "kind = \"prestazioni\" only");
    }

    #[test]
    fn sociale_columns_are_checked_against_the_kind() {
        let errs = sociale_errors(|t| {
            t.replace(
                "monthly_amount = \"IMPORTO_MENSILE\"",
                "importo = \"IMPORTO_MENSILE\"",
            )
            .replace(
                "report_source = \"FONTE\"",
                "report_source = \"FONTE\"\nmobility = \"MOB\"",
            )
        });
        has(
            &errs,
            "sociale[0].columns.importo",
            35,
            "not a field of prestazione_sociale",
        );
        has(
            &errs,
            "sociale[1].columns.mobility",
            48,
            "not a field of caso_sinba (kind = \"sinba\")",
        );
        let errs = sociale_errors(|t| t.replace("service_code = \"CODICE\"\n", ""));
        has(
            &errs,
            "sociale[0].columns",
            20,
            "required field `service_code` of prestazione_sociale",
        );
        let errs = sociale_errors(|t| {
            t.replace(
                "monthly_amount = \"IMPORTO_MENSILE\"",
                "monthly_amount = { column = \"IMPORTO_MENSILE\", date_format = \"%d\" }",
            )
            .replace("date_format = \"%m/%Y\"", "date_format = \"mese\"")
        });
        has(
            &errs,
            "sociale[0].columns.monthly_amount",
            35,
            "only allowed on date fields",
        );
        has(
            &errs,
            "sociale[1].columns.first_report_date",
            46,
            "invalid date_format `mese`",
        );
    }

    #[test]
    fn sociale_source_names_and_read_options_are_checked() {
        let errs = sociale_errors(|t| t.replace("name = \"sinba\"", "name = \"contributi\""));
        has(&errs, "sociale[1].name", 37, "duplicate source name `contributi`");
        let errs = sociale_errors(|t| {
            t.replace(
                "read = { format = \"csv\" }",
                "read = { format = \"xlsx\", delimiter = \";\" }",
            )
        });
        has(&errs, "sociale[1].read", 37, "`delimiter` applies to CSV only");
        let errs =
            sociale_errors(|t| t.replace("thousands_separator = \".\"", "thousands_separator = \",\""));
        has(&errs, "sociale[0].read", 20, "thousands separator cannot be `,`");
        // Unknown keys in a [[sociale]] block are syntax errors with a line.
        let errs = sociale_errors(|t| t.replace("kind = \"sinba\"", "kind = \"sinba\"\ntipo = \"x\""));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, Some(40), "{}", errs[0]);
    }

    #[test]
    fn file_name_must_match_comune() {
        let errs = SourceDefinition::parse(Path::new("comuni/015002.toml"), GOOD).unwrap_err();
        assert!(errs[0].message.contains("name it 015146.toml"), "{}", errs[0]);
    }
}
