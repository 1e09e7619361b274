//! Row validation of the anagrafe: every rule can reject, every repair is counted.

use chrono::NaiveDate;
use metrodati_interop::cf::{self, Sex};
use metrodati_interop::validate::anagrafe::{validate, Context, Input, Target};
use metrodati_interop::validate::Severity;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
}

fn ctx() -> Context<'static> {
    Context {
        archive: None,
        today: today(),
        date_of_birth_format: None,
        residence_start_date_format: None,
    }
}

fn base() -> Input {
    let dob = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
    let mut i: Input = Default::default();
    let set = |i: &mut Input, t: Target, v: &str| i[t as usize] = Some(v.to_string());
    set(
        &mut i,
        Target::TaxCode,
        &cf::compute("Rossi", "Marco", Sex::M, dob, "F205"),
    );
    set(&mut i, Target::FamilyName, "Rossi");
    set(&mut i, Target::GivenName, "Marco");
    set(&mut i, Target::SexId, "M");
    set(&mut i, Target::DateOfBirth, "01/01/1980");
    set(&mut i, Target::BirthPlaceCode, "F205");
    set(&mut i, Target::CitizenshipCode, "100");
    set(&mut i, Target::RegisteredFamilyCode, "F0001");
    set(&mut i, Target::ParentalRelationshipTypeCode, "1");
    set(&mut i, Target::FullAddress, "VIA ROMA 12/A");
    set(&mut i, Target::PostCode, "20121");
    i
}

fn with(t: Target, v: Option<&str>) -> Input {
    let mut i = base();
    i[t as usize] = v.map(str::to_string);
    i
}

fn codes(i: &Input) -> Vec<&'static str> {
    validate(i, &ctx()).issues.iter().map(|x| x.code).collect()
}

#[test]
fn a_clean_row_is_accepted_and_normalised() {
    let o = validate(&base(), &ctx());
    assert!(o.issues.is_empty(), "{:?}", o.issues);
    let r = o.record.expect("accepted");
    assert_eq!(r.tax_code, "RSSMRC80A01F205Z");
    assert_eq!(r.family_name, "ROSSI");
    assert_eq!(r.toponym_qualifier.as_deref(), Some("VIA"));
    assert_eq!(r.official_street_name, "ROMA");
    assert_eq!(r.street_number.as_deref(), Some("12"));
    assert_eq!(r.street_number_exponent.as_deref(), Some("A"));
    // Title-case names are upper-cased (ANPR convention) and counted.
    assert_eq!(o.repairs.iter().filter(|r| r.kind == "case").count(), 2);
}

#[test]
fn codice_fiscale_rules() {
    assert_eq!(
        codes(&with(Target::TaxCode, Some("RSSMRC80A01F205A"))),
        vec!["cf_check_char"]
    );
    assert_eq!(
        codes(&with(Target::TaxCode, Some("RSSMRC80A01F205"))),
        vec!["cf_length"]
    );
    assert_eq!(codes(&with(Target::TaxCode, None)), vec!["required_missing"]);
    // Consistency with the declared data.
    assert_eq!(
        codes(&with(Target::DateOfBirth, Some("02/01/1980"))),
        vec!["cf_birth_date_mismatch"]
    );
    assert_eq!(codes(&with(Target::SexId, Some("F"))), vec!["cf_sex_mismatch"]);
    assert_eq!(
        codes(&with(Target::BirthPlaceCode, Some("H501"))),
        vec!["cf_birthplace_mismatch"]
    );
}

#[test]
fn codice_fiscale_repairs_are_counted() {
    // Lower case and spaces.
    let o = validate(&with(Target::TaxCode, Some(" rssmrc80a01f205z ")), &ctx());
    assert!(o.record.is_some(), "{:?}", o.issues);
    let kinds: Vec<&str> = o
        .repairs
        .iter()
        .filter(|r| r.field == "tax_code")
        .map(|r| r.kind)
        .collect();
    assert_eq!(kinds, vec!["trim", "case"]);
    // Letter O typed for zero.
    let o = validate(&with(Target::TaxCode, Some("RSSMRC8OA01F205Z")), &ctx());
    assert_eq!(o.record.unwrap().tax_code, "RSSMRC80A01F205Z");
    assert!(o.repairs.iter().any(|r| r.kind == "cf_letter_o"));
    // An omocodic code is valid as issued, kept unchanged, and decoded for the checks.
    let omo = cf::omocode("RSSMRC80A01F205Z", 2);
    let o = validate(&with(Target::TaxCode, Some(&omo)), &ctx());
    assert_eq!(o.record.expect("omocodic accepted").tax_code, omo);
    assert!(o.repairs.iter().any(|r| r.kind == "omocodia_decoded"));
}

#[test]
fn dates_enumerations_and_codes() {
    assert_eq!(
        codes(&with(Target::DateOfBirth, Some("31/02/1980"))),
        vec!["date_invalid"]
    );
    assert_eq!(
        codes(&with(Target::DateOfBirth, Some("01/01/2099"))),
        vec!["date_in_future"]
    );
    assert_eq!(
        codes(&with(Target::DateOfBirth, Some("01/01/1850"))),
        vec!["date_out_of_range"]
    );
    assert_eq!(codes(&with(Target::SexId, Some("X"))), vec!["enum_invalid"]);
    assert_eq!(
        codes(&with(Target::ParentalRelationshipTypeCode, Some("27"))),
        vec!["enum_invalid"]
    );
    assert_eq!(
        codes(&with(Target::MaritalStatusCode, Some("5"))),
        vec!["enum_invalid"]
    );
    assert_eq!(
        codes(&with(Target::PostCode, Some("2012"))),
        vec!["post_code_invalid"]
    );
    assert_eq!(
        codes(&with(Target::CitizenshipCode, Some("ITA"))),
        vec!["citizenship_invalid"]
    );
    assert_eq!(
        codes(&with(Target::BirthPlaceCode, Some("MILANO"))),
        vec!["belfiore_invalid", "cf_birthplace_mismatch"]
    );
    assert_eq!(codes(&with(Target::FullAddress, None)), vec!["required_missing"]);
}

#[test]
fn leading_zeros_are_repaired_in_codes() {
    let o = validate(&with(Target::ParentalRelationshipTypeCode, Some("01")), &ctx());
    assert_eq!(o.record.unwrap().parental_relationship_type_code, "1");
    let o = validate(&with(Target::CitizenshipCode, Some("100")), &ctx());
    assert!(o.repairs.iter().all(|r| r.kind != "zero_padding"));
}

#[test]
fn warnings_keep_the_row() {
    // Relation 80 (Adottato) is usable only "al subentro".
    let o = validate(&with(Target::ParentalRelationshipTypeCode, Some("80")), &ctx());
    assert!(o.record.is_some());
    assert_eq!(o.issues.len(), 1);
    assert_eq!(o.issues[0].severity, Severity::Warning);
    assert_eq!(o.issues[0].code, "relation_code_restricted");
}

#[test]
fn foreign_born_person() {
    let dob = NaiveDate::from_ymd_opt(1990, 6, 15).unwrap();
    let mut i = base();
    i[Target::TaxCode as usize] = Some(cf::compute("Popescu", "Ana", Sex::F, dob, "Z129"));
    i[Target::FamilyName as usize] = Some("POPESCU".into());
    i[Target::GivenName as usize] = Some("ANA".into());
    i[Target::SexId as usize] = Some("F".into());
    i[Target::DateOfBirth as usize] = Some("1990-06-15".into());
    i[Target::BirthPlaceCode as usize] = Some("Z129".into());
    i[Target::CitizenshipCode as usize] = Some("235".into());
    let o = validate(&i, &ctx());
    assert!(o.record.is_some(), "{:?}", o.issues);
    i[Target::BirthPlaceCode as usize] = Some("Z999".into());
    assert!(codes(&i).contains(&"foreign_state_unknown"));
}

#[test]
fn messages_are_italian_and_codes_stable() {
    let o = validate(&with(Target::TaxCode, Some("RSSMRC80A01F205A")), &ctx());
    let i = &o.issues[0];
    assert_eq!(i.field, "tax_code");
    assert!(i.message_it.contains("controllo"), "{}", i.message_it);
    assert_eq!(i.value.as_deref(), Some("RSSMRC80A01F205A"));
}

#[test]
fn undecodable_bytes_and_control_characters_are_rejected() {
    assert_eq!(
        codes(&with(Target::FamilyName, Some("MAC\u{fffd}AS"))),
        vec!["encoding_invalid"]
    );
    assert_eq!(
        codes(&with(Target::GivenName, Some("MAR\u{0007}CO"))),
        vec!["encoding_invalid"]
    );
    // Accented letters are fine.
    let o = validate(&with(Target::GivenName, Some("NICCOLÒ")), &ctx());
    assert!(!o.issues.iter().any(|i| i.code == "encoding_invalid"));
}
