//! Exports of the schema definitions: Frictionless Table Schema and Markdown.

use super::{Entity, FieldType, ONTOPIA, SCHEMA_VERSION};
use serde_json::{json, Map, Value};

/// The entity as a Frictionless Table Schema (JSON). Vocabulary values are
/// listed as `enum` constraints so that `frictionless validate` checks them.
pub fn table_schema(entity: &Entity) -> Value {
    let fields: Vec<Value> = entity
        .fields
        .iter()
        .map(|f| {
            let mut constraints = Map::new();
            if f.required {
                constraints.insert("required".into(), Value::Bool(true));
            }
            if let Some(p) = f.pattern {
                constraints.insert("pattern".into(), Value::String(p.into()));
            }
            if let Some(v) = f.vocabulary {
                let codes: Vec<Value> = crate::vocab::codes(v).into_iter().map(Value::String).collect();
                constraints.insert("enum".into(), Value::Array(codes));
            }
            let mut field = Map::new();
            field.insert("name".into(), Value::String(f.name.into()));
            field.insert("title".into(), Value::String(f.title.into()));
            field.insert("description".into(), Value::String(f.description.into()));
            field.insert("type".into(), Value::String(f.ty.table_schema_type().into()));
            if f.ty == FieldType::Date {
                field.insert("format".into(), Value::String("default".into()));
            }
            if !constraints.is_empty() {
                field.insert("constraints".into(), Value::Object(constraints));
            }
            if let Some(o) = f.ontology {
                field.insert("rdfType".into(), Value::String(format!("{ONTOPIA}{o}")));
            }
            field.insert("x-personal-data".into(), Value::Bool(f.personal));
            Value::Object(field)
        })
        .collect();
    let mut schema = json!({
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": entity.name,
        "title": entity.title,
        "description": entity.description,
        "version": SCHEMA_VERSION,
        "fields": fields,
        "primaryKey": entity.primary_key,
        "missingValues": [""],
    });
    if let (Some(class), Some(map)) = (entity.ontology_class, schema.as_object_mut()) {
        map.insert("rdfType".into(), Value::String(format!("{ONTOPIA}{class}")));
    }
    schema
}

/// The entity as a Markdown page for `docs/schema/`.
pub fn markdown(entity: &Entity) -> String {
    let mut out = String::new();
    out.push_str(&format!("# `{}` — {}\n\n", entity.name, entity.title));
    out.push_str("<!-- Generated from interop/src/schema by `metrodati schema`; do not edit. -->\n\n");
    out.push_str(&format!("{}\n\n", entity.description));
    out.push_str(&format!("- Schema version: `{SCHEMA_VERSION}`\n"));
    match entity.ontology_class {
        Some(class) => out.push_str(&format!("- Ontology class: [`{class}`]({ONTOPIA}{class})\n")),
        None => out.push_str("- Ontology class: none (no OntoPiA class fits)\n"),
    }
    out.push_str(&format!("- Primary key: `{}`\n", entity.primary_key.join("`, `")));
    out.push_str(&format!(
        "- Stored as Parquet partitioned by `{}` (`interop/{}/comune=<istat>/`)\n",
        entity.partition_key, entity.name
    ));
    out.push_str(&format!(
        "- Personal data: {}\n\n",
        if entity.personal() {
            "yes — never published as open data"
        } else {
            "no"
        }
    ));
    out.push_str("| Field | Type | Required | Title | Description | Constraints | Ontology | Personal |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for f in entity.fields {
        let mut constraints = Vec::new();
        if let Some(p) = f.pattern {
            constraints.push(format!("pattern `{}`", p.replace('|', "\\|")));
        }
        if let Some(v) = f.vocabulary {
            constraints.push(v.source().to_string());
        }
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            f.name,
            f.ty.table_schema_type(),
            if f.required { "yes" } else { "no" },
            f.title,
            f.description,
            constraints.join("; "),
            f.ontology.map(|o| format!("`{o}`")).unwrap_or_default(),
            if f.personal { "yes" } else { "no" },
        ));
    }
    out
}
