//! The interoperability schema: one Rust definition per entity, versioned.
//!
//! Everything else — the Frictionless Table Schema JSON, the Markdown pages in
//! `docs/schema/`, the column mapping targets that source definitions may use,
//! the Parquet column types of the store — is derived from the definitions in
//! [`entities`]. Field names follow the OntoPiA ontologies (CPV, RPO, CLV) in
//! snake_case where a natural property exists.

mod anagrafe;
mod export;
mod sociale;

pub use export::{markdown, table_schema};

/// Version of the interoperability schema (semantic versioning). A breaking
/// change (renamed/removed field, narrower type) bumps the major version.
pub const SCHEMA_VERSION: &str = "1.0.0";

/// Base IRI of the OntoPiA ontologies.
pub const ONTOPIA: &str = "https://w3id.org/italia/onto/";

/// Logical type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Free text (UTF-8).
    String,
    /// Calendar date, ISO 8601 `YYYY-MM-DD` in exchange formats.
    Date,
    /// Whole number.
    Integer,
    /// Decimal number (amounts in euro, hours).
    Number,
    /// `true` or `false`.
    Boolean,
}

impl FieldType {
    /// Frictionless Table Schema type name.
    pub fn table_schema_type(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Date => "date",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
        }
    }
}

/// A controlled vocabulary a field's values must belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// `M`, `F` (OntoPiA `sex`).
    Sex,
    /// ANPR Tabella 5, relazione di parentela.
    ParentalRelationship,
    /// ANPR stato civile.
    MaritalStatus,
    /// ANPR Tabella 4, specie toponimo (DUG).
    Dug,
    /// The modules of the Cartella Sociale (segretariato sociale, sostegno
    /// al reddito, ...), see [`crate::vocab::SOCIAL_MODULES`].
    SocialModule,
}

impl Vocabulary {
    /// Human-readable source of the vocabulary.
    pub fn source(self) -> &'static str {
        match self {
            Vocabulary::Sex => "OntoPiA controlled vocabulary `sex` (M, F)",
            Vocabulary::ParentalRelationship => "ANPR Tabella 5 — relazione di parentela",
            Vocabulary::MaritalStatus => "ANPR — stato civile",
            Vocabulary::Dug => "ANPR Tabella 4 — specie toponimo (DUG)",
            Vocabulary::SocialModule => "Moduli della Cartella Sociale (PON Metro MI1.1.1.e)",
        }
    }
}

/// One field of an entity.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// snake_case name, used as column name everywhere.
    pub name: &'static str,
    /// Short Italian title (for stewards' reports and docs).
    pub title: &'static str,
    /// Italian description.
    pub description: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// Regular expression the value must match (Table Schema `pattern`).
    pub pattern: Option<&'static str>,
    pub vocabulary: Option<Vocabulary>,
    /// OntoPiA property IRI (relative to [`ONTOPIA`]) where one exists.
    pub ontology: Option<&'static str>,
    /// Personal data (GDPR): never published as open data.
    pub personal: bool,
    /// Whether a source definition may map a column to this field. Derived
    /// fields (e.g. family size) and the partition key are not mappable.
    pub mappable: bool,
}

/// An entity of the interoperability schema (one table in the store).
#[derive(Debug, Clone, Copy)]
pub struct Entity {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// OntoPiA class IRI (relative to [`ONTOPIA`]), when one fits.
    pub ontology_class: Option<&'static str>,
    pub fields: &'static [Field],
    pub primary_key: &'static [&'static str],
    /// Column the store partitions by (`comune=<istat>`).
    pub partition_key: &'static str,
}

impl Entity {
    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether the entity holds personal data.
    pub fn personal(&self) -> bool {
        self.fields.iter().any(|f| f.personal)
    }
}

/// All entities of the schema, in documentation order.
pub fn entities() -> &'static [Entity] {
    const ALL: &[Entity] = &[
        anagrafe::PERSONA,
        anagrafe::FAMIGLIA,
        anagrafe::RESIDENZA,
        sociale::PRESTAZIONE_SOCIALE,
        sociale::VALUTAZIONE_SINA,
        sociale::CASO_SINBA,
    ];
    ALL
}

/// The entity with this name.
pub fn entity(name: &str) -> Option<&'static Entity> {
    entities().iter().find(|e| e.name == name)
}

/// Names a source definition of the anagrafe may map columns to: every
/// mappable field of the anagrafe entities, plus the virtual field
/// `full_address` (a whole address line such as `VIA ROMA 12/A`, split into
/// DUG, street name, number and exponent during normalisation).
pub fn anagrafe_mapping_targets() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for e in anagrafe::ENTITIES {
        for f in e.fields.iter().filter(|f| f.mappable) {
            if !names.contains(&f.name) {
                names.push(f.name);
            }
        }
    }
    names.push(FULL_ADDRESS);
    names
}

/// Virtual mapping target for a combined address line.
pub const FULL_ADDRESS: &str = "full_address";

/// The mappable field with this name in any anagrafe entity.
pub fn anagrafe_field(name: &str) -> Option<&'static Field> {
    anagrafe::ENTITIES
        .iter()
        .find_map(|e| e.field(name).filter(|f| f.mappable))
}

/// The entities of the servizi sociali (Cartella Sociale): prestazioni,
/// SINA assessments and SINBA cases.
pub fn sociale_entities() -> &'static [Entity] {
    sociale::ENTITIES
}

/// The mappable field with this name in any servizi sociali entity.
pub fn sociale_field(name: &str) -> Option<&'static Field> {
    sociale::ENTITIES
        .iter()
        .find_map(|e| e.field(name).filter(|f| f.mappable))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case_and_unique_per_entity() {
        for e in entities() {
            let mut seen = std::collections::HashSet::new();
            for f in e.fields {
                assert!(
                    f.name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{}.{} is not snake_case",
                    e.name,
                    f.name
                );
                assert!(seen.insert(f.name), "{}.{} duplicated", e.name, f.name);
            }
            for k in e.primary_key {
                assert!(e.field(k).is_some(), "{}: pk {k} is not a field", e.name);
            }
            assert!(e.field(e.partition_key).is_some());
        }
    }

    #[test]
    fn shared_field_names_have_the_same_definition() {
        // A name used by several entities must mean the same datum.
        for a in entities() {
            for b in entities() {
                for fa in a.fields {
                    if let Some(fb) = b.field(fa.name) {
                        assert_eq!(fa.ty, fb.ty, "{} type differs", fa.name);
                        assert_eq!(fa.personal, fb.personal, "{} privacy differs", fa.name);
                    }
                }
            }
        }
    }

    #[test]
    fn mapping_targets_include_core_fields() {
        let t = anagrafe_mapping_targets();
        for name in [
            "tax_code",
            "family_name",
            "date_of_birth",
            "registered_family_code",
        ] {
            assert!(t.contains(&name), "{name}");
        }
        assert!(!t.contains(&"comune_istat"));
        assert!(!t.contains(&"number_of_components"));
    }
}
