//! A source's column mapping bound to an actual file header (see
//! [`crate::mapping`], shared by the pipelines).

pub use crate::mapping::MissingColumns;

/// The anagrafe mapping: rows become [`metrodati_interop::validate::anagrafe::Input`] arrays.
pub type BoundMapping = crate::mapping::BoundMapping<metrodati_interop::validate::anagrafe::Target>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SourceDefinition, SourceSpec};
    use metrodati_interop::validate::anagrafe::Target;
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
