//! A source's column mapping bound to an actual file header.

use crate::config::{ColumnMapping, SourceSpec};
use metrodati_interop::validate::anagrafe::{Input, Target};
use std::collections::BTreeMap;

/// One target bound to a header position.
#[derive(Debug, Clone)]
struct Bound {
    index: usize,
    values: Option<BTreeMap<String, String>>,
}

/// A mapping resolved against a header: rows become [`Input`] arrays.
#[derive(Debug, Clone)]
pub struct BoundMapping {
    targets: Vec<(Target, Bound)>,
    /// Source column of each target (for quarantine reports).
    columns: [Option<String>; Target::COUNT],
}

/// Header columns the mapping needs but the file lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumns(pub Vec<String>);

impl BoundMapping {
    /// Binds `spec`'s columns to `header` (matching trimmed names,
    /// case-insensitively).
    pub fn bind(spec: &SourceSpec, header: &[String]) -> Result<BoundMapping, MissingColumns> {
        let find = |name: &str| {
            let name = name.trim();
            header
                .iter()
                .position(|h| h.trim() == name)
                .or_else(|| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name)))
        };
        let mut targets = Vec::new();
        let mut columns: [Option<String>; Target::COUNT] = Default::default();
        let mut missing = Vec::new();
        for (field, mapping) in &spec.columns {
            let Some(target) = Target::from_name(field.get_ref()) else {
                continue;
            };
            match find(mapping.column()) {
                Some(index) => {
                    columns[target as usize] = Some(mapping.column().to_string());
                    targets.push((
                        target,
                        Bound {
                            index,
                            values: mapping.values().cloned(),
                        },
                    ));
                }
                None => missing.push(mapping.column().to_string()),
            }
        }
        if missing.is_empty() {
            Ok(BoundMapping { targets, columns })
        } else {
            Err(MissingColumns(missing))
        }
    }

    /// The mapped source column names (to help header detection).
    pub fn expected_columns(spec: &SourceSpec) -> Vec<String> {
        spec.columns
            .values()
            .map(ColumnMapping::column)
            .map(str::to_string)
            .collect()
    }

    /// The source column a target was read from.
    pub fn column_of(&self, field: &str) -> Option<&str> {
        Target::from_name(field).and_then(|t| self.columns[t as usize].as_deref())
    }

    /// Builds the validator input of one row, applying value recodings
    /// (matched on the trimmed value, case-insensitively).
    pub fn input(&self, values: &[Option<String>]) -> Input {
        let mut input: Input = Default::default();
        for (target, bound) in &self.targets {
            let raw = values.get(bound.index).and_then(|v| v.as_ref());
            input[*target as usize] = raw.map(|v| match &bound.values {
                Some(map) => {
                    let key = v.trim();
                    map.get(key)
                        .or_else(|| {
                            map.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                                .map(|(_, v)| v)
                        })
                        .cloned()
                        .unwrap_or_else(|| v.clone())
                }
                None => v.clone(),
            });
        }
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceDefinition;
    use std::path::Path;

    fn spec() -> SourceSpec {
        let t = r#"
comune = "015146"
[[anagrafe]]
name = "r"
url = "x/*.csv"
read = { format = "csv" }
[anagrafe.columns]
tax_code = "CF"
family_name = "Cognome"
given_name = "NOME"
sex_id = { column = "SESSO", values = { "1" = "M", "2" = "F" } }
date_of_birth = "NASCITA"
birth_place_code = "LUOGO"
registered_family_code = "FAM"
parental_relationship_type_code = "REL"
full_address = "INDIRIZZO"
"#;
        SourceDefinition::parse(Path::new("015146.toml"), t)
            .unwrap()
            .anagrafe
            .remove(0)
    }

    #[test]
    fn binds_case_insensitively_and_recodes() {
        let header: Vec<String> = [
            "CF",
            "COGNOME",
            "NOME",
            "SESSO",
            "NASCITA",
            "LUOGO",
            "FAM",
            "REL",
            "INDIRIZZO",
            "NOTE",
        ]
        .map(String::from)
        .to_vec();
        let m = BoundMapping::bind(&spec(), &header).unwrap();
        let row: Vec<Option<String>> = [
            "X",
            "Rossi",
            "Mario",
            " 2 ",
            "01/01/1980",
            "F205",
            "7",
            "1",
            "VIA ROMA 1",
            "n",
        ]
        .map(|s| Some(s.to_string()))
        .to_vec();
        let input = m.input(&row);
        assert_eq!(input[Target::SexId as usize].as_deref(), Some("F"));
        assert_eq!(input[Target::FamilyName as usize].as_deref(), Some("Rossi"));
        assert_eq!(input[Target::PostCode as usize], None);
        assert_eq!(m.column_of("family_name"), Some("Cognome"));
    }

    #[test]
    fn reports_all_missing_columns() {
        let header: Vec<String> = ["CF", "NOME"].map(String::from).to_vec();
        let e = BoundMapping::bind(&spec(), &header).unwrap_err();
        assert_eq!(e.0.len(), 7);
        assert!(e.0.contains(&"Cognome".to_string()));
    }
}
