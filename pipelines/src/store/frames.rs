//! Records → polars frames, column by column in the order of the entity
//! definitions (the schema is defined once, in `metrodati-interop`).

use metrodati_interop::cf::Sex;
use metrodati_interop::schema::{self, Entity, FieldType};
use metrodati_interop::validate::anagrafe::AnagrafeRecord;
use polars::prelude::*;
use std::collections::BTreeMap;

/// Per-family aggregate built while rows stream through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyAggregate {
    pub components: u32,
    /// Codici fiscali of members with relation 1 (intestatario), in order.
    pub holders: Vec<String>,
}

const EPOCH_DAYS_CE: i32 = 719_163; // days from 0001-01-01 to 1970-01-01

fn days(d: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - EPOCH_DAYS_CE
}

enum Value<'a> {
    Str(Option<&'a str>),
    Date(Option<chrono::NaiveDate>),
}

fn build<R>(
    entity: &Entity,
    istat: &str,
    rows: &[R],
    get: impl for<'a> Fn(&'a R, &'static str) -> Value<'a>,
) -> PolarsResult<DataFrame> {
    let mut cols = Vec::with_capacity(entity.fields.len());
    for f in entity.fields {
        let col = if f.name == entity.partition_key {
            Column::new(f.name.into(), vec![istat; rows.len()])
        } else {
            match f.ty {
                FieldType::String => {
                    let v: Vec<Option<&str>> = rows
                        .iter()
                        .map(|r| match get(r, f.name) {
                            Value::Str(s) => s,
                            Value::Date(_) => None,
                        })
                        .collect();
                    Column::new(f.name.into(), v)
                }
                FieldType::Date => {
                    let v: Vec<Option<i32>> = rows
                        .iter()
                        .map(|r| match get(r, f.name) {
                            Value::Date(d) => d.map(days),
                            Value::Str(_) => None,
                        })
                        .collect();
                    Column::new(f.name.into(), v).cast(&DataType::Date)?
                }
                FieldType::Integer => unreachable!("no integer field in record entities"),
            }
        };
        cols.push(col);
    }
    DataFrame::new(rows.len(), cols)
}

fn entity(name: &str) -> &'static Entity {
    schema::entity(name).expect("entity defined in interop")
}

fn sex(s: Sex) -> &'static str {
    match s {
        Sex::M => "M",
        Sex::F => "F",
    }
}

/// `persona` rows of a batch.
pub fn persona_frame(istat: &str, rows: &[AnagrafeRecord]) -> PolarsResult<DataFrame> {
    build(entity("persona"), istat, rows, |r, f| match f {
        "tax_code" => Value::Str(Some(&r.tax_code)),
        "family_name" => Value::Str(Some(&r.family_name)),
        "given_name" => Value::Str(Some(&r.given_name)),
        "sex_id" => Value::Str(Some(sex(r.sex_id))),
        "date_of_birth" => Value::Date(Some(r.date_of_birth)),
        "birth_place_code" => Value::Str(Some(&r.birth_place_code)),
        "citizenship_code" => Value::Str(r.citizenship_code.as_deref()),
        "marital_status_code" => Value::Str(r.marital_status_code.as_deref()),
        "resident_person_id" => Value::Str(r.resident_person_id.as_deref()),
        other => unreachable!("persona field {other} not mapped to the record"),
    })
}

/// `residenza` rows of a batch.
pub fn residenza_frame(istat: &str, rows: &[AnagrafeRecord]) -> PolarsResult<DataFrame> {
    build(entity("residenza"), istat, rows, |r, f| match f {
        "tax_code" => Value::Str(Some(&r.tax_code)),
        "registered_family_code" => Value::Str(Some(&r.registered_family_code)),
        "parental_relationship_type_code" => Value::Str(Some(&r.parental_relationship_type_code)),
        "toponym_qualifier" => Value::Str(r.toponym_qualifier.as_deref()),
        "official_street_name" => Value::Str(Some(&r.official_street_name)),
        "street_number" => Value::Str(r.street_number.as_deref()),
        "street_number_exponent" => Value::Str(r.street_number_exponent.as_deref()),
        "post_code" => Value::Str(r.post_code.as_deref()),
        "residence_start_date" => Value::Date(r.residence_start_date),
        other => unreachable!("residenza field {other} not mapped to the record"),
    })
}

/// `famiglia` rows, one per family code, in code order.
pub fn famiglia_frame(istat: &str, families: &BTreeMap<String, FamilyAggregate>) -> PolarsResult<DataFrame> {
    let e = entity("famiglia");
    let n = families.len();
    let mut cols = Vec::with_capacity(e.fields.len());
    for f in e.fields {
        let col = match f.name {
            "comune_istat" => Column::new(f.name.into(), vec![istat; n]),
            "registered_family_code" => Column::new(
                f.name.into(),
                families.keys().map(String::as_str).collect::<Vec<_>>(),
            ),
            "number_of_components" => Column::new(
                f.name.into(),
                families
                    .values()
                    .map(|a| a.components as i32)
                    .collect::<Vec<i32>>(),
            ),
            "holder_tax_code" => Column::new(
                f.name.into(),
                families
                    .values()
                    .map(|a| a.holders.first().map(String::as_str))
                    .collect::<Vec<Option<&str>>>(),
            ),
            other => unreachable!("famiglia field {other} not built"),
        };
        cols.push(col);
    }
    DataFrame::new(n, cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::polars_schema;
    use chrono::NaiveDate;

    fn record() -> AnagrafeRecord {
        AnagrafeRecord {
            tax_code: "RSSMRC80A01F205Z".into(),
            family_name: "ROSSI".into(),
            given_name: "MARCO".into(),
            sex_id: Sex::M,
            date_of_birth: NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
            birth_place_code: "F205".into(),
            citizenship_code: Some("100".into()),
            marital_status_code: None,
            resident_person_id: None,
            registered_family_code: "F1".into(),
            parental_relationship_type_code: "1".into(),
            toponym_qualifier: Some("VIA".into()),
            official_street_name: "ROMA".into(),
            street_number: Some("1".into()),
            street_number_exponent: None,
            post_code: Some("20121".into()),
            residence_start_date: None,
        }
    }

    #[test]
    fn frames_follow_the_entity_schemas() {
        let rows = vec![record()];
        for (name, df) in [
            ("persona", persona_frame("015146", &rows).unwrap()),
            ("residenza", residenza_frame("015146", &rows).unwrap()),
        ] {
            let expected = polars_schema(entity(name));
            assert_eq!(df.schema().as_ref(), &expected, "{name}");
            assert_eq!(df.height(), 1);
        }
        let mut fam = BTreeMap::new();
        fam.insert(
            "F1".to_string(),
            FamilyAggregate {
                components: 3,
                holders: vec!["X".into()],
            },
        );
        let df = famiglia_frame("015146", &fam).unwrap();
        assert_eq!(df.schema().as_ref(), &polars_schema(entity("famiglia")));
    }

    #[test]
    fn dates_are_days_since_epoch() {
        assert_eq!(days(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
        let df = persona_frame("015146", &[record()]).unwrap();
        let c = df
            .column("date_of_birth")
            .unwrap()
            .cast(&DataType::String)
            .unwrap();
        assert_eq!(c.str().unwrap().get(0), Some("1980-01-01"));
    }
}
