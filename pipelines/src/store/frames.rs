//! Records → polars frames, column by column in the order of the entity
//! definitions (the schema is defined once, in `metrodati-interop`).

use metrodati_interop::cf::Sex;
use metrodati_interop::schema::{self, Entity, FieldType};
use metrodati_interop::validate::anagrafe::AnagrafeRecord;
use metrodati_interop::validate::sociale::{PrestazioneRecord, SinaRecord, SinbaRecord};
use polars::prelude::*;
use std::collections::BTreeMap;

/// Per-family aggregate built while rows stream through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyAggregate {
    pub components: u32,
    /// Members with relation 1 (intestatario).
    pub holders: u32,
    /// Codice fiscale of the first intestatario (16 ASCII bytes: kept
    /// inline, one family at a time must not cost an allocation).
    pub first_holder: Option<[u8; 16]>,
}

impl FamilyAggregate {
    /// The first intestatario's codice fiscale.
    pub fn holder(&self) -> Option<&str> {
        self.first_holder
            .as_ref()
            .and_then(|b| std::str::from_utf8(b).ok())
    }
}

const EPOCH_DAYS_CE: i32 = 719_163; // days from 0001-01-01 to 1970-01-01

fn days(d: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - EPOCH_DAYS_CE
}

enum Value<'a> {
    Str(Option<&'a str>),
    Date(Option<chrono::NaiveDate>),
    Int(Option<i32>),
    Num(Option<f64>),
    Bool(Option<bool>),
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
                            _ => None,
                        })
                        .collect();
                    Column::new(f.name.into(), v)
                }
                FieldType::Date => {
                    let v: Vec<Option<i32>> = rows
                        .iter()
                        .map(|r| match get(r, f.name) {
                            Value::Date(d) => d.map(days),
                            _ => None,
                        })
                        .collect();
                    Column::new(f.name.into(), v).cast(&DataType::Date)?
                }
                FieldType::Integer => {
                    let v: Vec<Option<i32>> = rows
                        .iter()
                        .map(|r| match get(r, f.name) {
                            Value::Int(i) => i,
                            _ => None,
                        })
                        .collect();
                    Column::new(f.name.into(), v)
                }
                FieldType::Number => {
                    let v: Vec<Option<f64>> = rows
                        .iter()
                        .map(|r| match get(r, f.name) {
                            Value::Num(n) => n,
                            _ => None,
                        })
                        .collect();
                    Column::new(f.name.into(), v)
                }
                FieldType::Boolean => {
                    let v: Vec<Option<bool>> = rows
                        .iter()
                        .map(|r| match get(r, f.name) {
                            Value::Bool(b) => b,
                            _ => None,
                        })
                        .collect();
                    Column::new(f.name.into(), v)
                }
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

/// `prestazione_sociale` rows of a batch: each record with whether its
/// beneficiary is a resident of the comune.
pub fn prestazione_frame(istat: &str, rows: &[(PrestazioneRecord, bool)]) -> PolarsResult<DataFrame> {
    build(
        entity("prestazione_sociale"),
        istat,
        rows,
        |(r, resident), f| match f {
            "identifier" => Value::Str(Some(&r.identifier)),
            "tax_code" => Value::Str(Some(&r.tax_code)),
            "module" => Value::Str(Some(&r.module)),
            "service_code" => Value::Str(Some(&r.service_code)),
            "service_name" => Value::Str(r.service_name.as_deref()),
            "benefit_character" => Value::Str(Some(&r.benefit_character)),
            "means_test" => Value::Str(Some(&r.means_test)),
            "dsu_protocol" => Value::Str(r.dsu_protocol.as_deref()),
            "dsu_year" => Value::Int(r.dsu_year),
            "dsu_date" => Value::Date(r.dsu_date),
            "application_protocol" => Value::Str(Some(&r.application_protocol)),
            "event_date" => Value::Date(r.event_date),
            "start_date" => Value::Date(r.start_date),
            "end_date" => Value::Date(r.end_date),
            "delivery_date" => Value::Date(r.delivery_date),
            "amount" => Value::Num(r.amount),
            "monthly_amount" => Value::Num(r.monthly_amount),
            "months" => Value::Int(r.months),
            "entity_share" => Value::Num(r.entity_share),
            "user_share" => Value::Num(r.user_share),
            "health_service_share" => Value::Num(r.health_service_share),
            "monthly_hours" => Value::Num(r.monthly_hours),
            "taken_in_charge" => Value::Str(Some(&r.taken_in_charge)),
            "user_area" => Value::Str(r.user_area.as_deref()),
            "beneficiary_resident" => Value::Bool(Some(*resident)),
            other => unreachable!("prestazione_sociale field {other} not mapped to the record"),
        },
    )
}

/// `valutazione_sina` rows of a batch.
pub fn valutazione_sina_frame(istat: &str, rows: &[(SinaRecord, bool)]) -> PolarsResult<DataFrame> {
    build(
        entity("valutazione_sina"),
        istat,
        rows,
        |(r, resident), f| match f {
            "identifier" => Value::Str(Some(&r.identifier)),
            "tax_code" => Value::Str(Some(&r.tax_code)),
            "assessment_date" => Value::Date(Some(r.assessment_date)),
            "service_identifier" => Value::Str(r.service_identifier.as_deref()),
            "mobility" => Value::Str(Some(&r.mobility)),
            "daily_living_activities" => Value::Str(Some(&r.daily_living_activities)),
            "cognitive_disorders" => Value::Str(r.cognitive_disorders.as_deref()),
            "behavioural_disorders" => Value::Str(Some(&r.behavioural_disorders)),
            "health_care_needs" => Value::Str(r.health_care_needs.as_deref()),
            "income_area" => Value::Str(Some(&r.income_area)),
            "support_network" => Value::Str(Some(&r.support_network)),
            "assessment_source" => Value::Str(Some(&r.assessment_source)),
            "assessment_tool" => Value::Str(Some(&r.assessment_tool)),
            "disability_source" => Value::Str(r.disability_source.as_deref()),
            "civil_invalidity" => Value::Str(r.civil_invalidity.as_deref()),
            "needed_services" => Value::Str(r.needed_services.as_deref()),
            "beneficiary_resident" => Value::Bool(Some(*resident)),
            other => unreachable!("valutazione_sina field {other} not mapped to the record"),
        },
    )
}

/// `caso_sinba` rows of a batch.
pub fn caso_sinba_frame(istat: &str, rows: &[(SinbaRecord, bool)]) -> PolarsResult<DataFrame> {
    build(entity("caso_sinba"), istat, rows, |(r, resident), f| match f {
        "identifier" => Value::Str(Some(&r.identifier)),
        "tax_code" => Value::Str(Some(&r.tax_code)),
        "case_open_date" => Value::Date(Some(r.case_open_date)),
        "case_close_date" => Value::Date(r.case_close_date),
        "first_report_date" => Value::Date(Some(r.first_report_date)),
        "report_source" => Value::Str(Some(&r.report_source)),
        "unaccompanied_foreign_minor" => Value::Str(Some(&r.unaccompanied_foreign_minor)),
        "minor_condition" => Value::Str(Some(&r.minor_condition)),
        "living_place" => Value::Str(Some(&r.living_place)),
        "school_attended" => Value::Str(Some(&r.school_attended)),
        "work_condition" => Value::Str(Some(&r.work_condition)),
        "disability" => Value::Str(Some(&r.disability)),
        "minor_assessment" => Value::Str(Some(&r.minor_assessment)),
        "family_assessment" => Value::Str(Some(&r.family_assessment)),
        "judicial_report" => Value::Str(Some(&r.judicial_report)),
        "judicial_measure" => Value::Str(Some(&r.judicial_measure)),
        "judicial_measure_date" => Value::Date(r.judicial_measure_date),
        "closing_reason" => Value::Str(r.closing_reason.as_deref()),
        "services" => Value::Str(r.services.as_deref()),
        "family_composition" => Value::Str(r.family_composition.as_deref()),
        "isee_band" => Value::Str(r.isee_band.as_deref()),
        "isee_household_members" => Value::Int(r.isee_household_members),
        "beneficiary_resident" => Value::Bool(Some(*resident)),
        other => unreachable!("caso_sinba field {other} not mapped to the record"),
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
                    .map(|a| a.holder())
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
                holders: 1,
                first_holder: Some(*b"RSSMRC80A01F205Z"),
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
