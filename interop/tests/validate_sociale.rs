//! Row validation of the Cartella Sociale exports: every rule, for the three
//! kinds of source (prestazioni, SINA assessments, SINBA cases).

use chrono::NaiveDate;
use metrodati_interop::cf::{self, Sex};
use metrodati_interop::validate::number::NumberFormat;
use metrodati_interop::validate::sociale::{
    empty_input, validate, Context, Input, Kind, Outcome, Record, Target,
};
use metrodati_interop::validate::Severity;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
}

fn cf_of(dob: (i32, u32, u32), sex: Sex) -> String {
    let d = NaiveDate::from_ymd_opt(dob.0, dob.1, dob.2).unwrap();
    cf::compute("Bianchi", "Anna", sex, d, "F205")
}

fn set(i: &mut Input, t: Target, v: &str) {
    i[t as usize] = Some(v.to_string());
}

fn ctx(kind: Kind) -> Context<'static> {
    let mut c = Context::new(kind, today());
    c.numbers = NumberFormat {
        decimal_comma: true,
        thousands: Some('.'),
    };
    c
}

/// A periodic economic benefit with every field right.
fn periodic() -> Input {
    let mut i = empty_input();
    set(&mut i, Target::Identifier, "PS-000123");
    set(&mut i, Target::TaxCode, &cf_of((1950, 3, 4), Sex::F));
    set(&mut i, Target::Module, "sostegno_reddito");
    set(&mut i, Target::ServiceCode, "A1.04");
    set(&mut i, Target::BenefitCharacter, "1");
    set(&mut i, Target::MeansTest, "1");
    set(&mut i, Target::DsuProtocol, "INPS-ISEE-2025-01480722D-00");
    set(&mut i, Target::DsuYear, "2025");
    set(&mut i, Target::DsuDate, "15/01/2025");
    set(&mut i, Target::ApplicationProtocol, "2025/0001234");
    set(&mut i, Target::StartDate, "01/02/2025");
    set(&mut i, Target::EndDate, "31/07/2025");
    set(&mut i, Target::MonthlyAmount, "1.234,50");
    set(&mut i, Target::Months, "6");
    set(&mut i, Target::TakenInCharge, "1");
    set(&mut i, Target::UserArea, "3");
    i
}

/// A one-off economic benefit.
fn one_off() -> Input {
    let mut i = periodic();
    set(&mut i, Target::ServiceCode, "A1.06");
    set(&mut i, Target::BenefitCharacter, "2");
    i[Target::StartDate as usize] = None;
    i[Target::EndDate as usize] = None;
    i[Target::MonthlyAmount as usize] = None;
    i[Target::Months as usize] = None;
    set(&mut i, Target::DeliveryDate, "10/03/2025");
    set(&mut i, Target::Amount, "150,00");
    i
}

fn sina() -> Input {
    let mut i = empty_input();
    set(&mut i, Target::Identifier, "SINA-1");
    set(&mut i, Target::TaxCode, &cf_of((1938, 7, 20), Sex::M));
    set(&mut i, Target::AssessmentDate, "12/05/2025");
    set(&mut i, Target::ServiceIdentifier, "PS-000200");
    for (t, v) in [
        (Target::Mobility, "2"),
        (Target::DailyLivingActivities, "2"),
        (Target::CognitiveDisorders, "1"),
        (Target::BehaviouralDisorders, "1"),
        (Target::HealthCareNeeds, "2"),
        (Target::IncomeArea, "2"),
        (Target::SupportNetwork, "2"),
        (Target::AssessmentSource, "1"),
        (Target::AssessmentTool, "1"),
        (Target::DisabilitySource, "1"),
        (Target::CivilInvalidity, "1;6"),
        (Target::NeededServices, "A2.07;A2.08"),
    ] {
        set(&mut i, t, v);
    }
    i
}

fn sinba() -> Input {
    let mut i = empty_input();
    set(&mut i, Target::Identifier, "MIN-7");
    set(&mut i, Target::TaxCode, &cf_of((2014, 9, 1), Sex::F));
    set(&mut i, Target::CaseOpenDate, "03/02/2025");
    set(&mut i, Target::FirstReportDate, "01/2025");
    for (t, v) in [
        (Target::ReportSource, "3"),
        (Target::UnaccompaniedForeignMinor, "2"),
        (Target::MinorCondition, "1"),
        (Target::LivingPlace, "1"),
        (Target::SchoolAttended, "3"),
        (Target::WorkCondition, "1"),
        (Target::Disability, "2"),
        (Target::MinorAssessment, "4"),
        (Target::FamilyAssessment, "7"),
        (Target::JudicialReport, "2"),
        (Target::JudicialMeasure, "2"),
        (Target::Services, "A2.02"),
        (Target::FamilyComposition, "1;3"),
        (Target::IseeBand, "3"),
        (Target::IseeHouseholdMembers, "3"),
    ] {
        set(&mut i, t, v);
    }
    i
}

fn run(i: &Input, kind: Kind) -> Outcome {
    validate(i, &ctx(kind))
}

fn errors(o: &Outcome) -> Vec<&'static str> {
    o.issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| i.code)
        .collect()
}

fn warnings(o: &Outcome) -> Vec<&'static str> {
    o.issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .map(|i| i.code)
        .collect()
}

fn repairs(o: &Outcome) -> Vec<&'static str> {
    o.repairs.iter().map(|r| r.kind).collect()
}

/// The row is rejected with exactly this error among its errors.
fn rejected_with(i: &Input, kind: Kind, code: &str) -> Outcome {
    let o = run(i, kind);
    assert!(o.is_rejected(), "expected {code}: {:?}", o.issues);
    assert!(errors(&o).contains(&code), "expected {code}: {:?}", o.issues);
    o
}

/// The row is kept with this warning.
fn kept_with(i: &Input, kind: Kind, code: &str) -> Outcome {
    let o = run(i, kind);
    assert!(
        !o.is_rejected(),
        "expected a kept row with {code}: {:?}",
        o.issues
    );
    assert!(
        warnings(&o).contains(&code),
        "expected warning {code}: {:?}",
        o.issues
    );
    o
}

fn prestazione(o: &Outcome) -> &metrodati_interop::validate::sociale::PrestazioneRecord {
    match o.record.as_ref() {
        Some(Record::Prestazione(p)) => p,
        other => panic!("{other:?}"),
    }
}

#[test]
fn clean_rows_of_every_kind_are_accepted_and_normalised() {
    let o = run(&periodic(), Kind::Prestazioni);
    assert!(o.issues.is_empty(), "{:?}", o.issues);
    let p = prestazione(&o);
    assert_eq!(p.monthly_amount, Some(1234.5));
    assert_eq!(p.months, Some(6));
    assert_eq!(
        p.service_name.as_deref(),
        Some("Contributi economici a integrazione del reddito familiare"),
        "the name comes from the INPS table"
    );
    assert_eq!(p.dsu_year, Some(2025));
    let o = run(&one_off(), Kind::Prestazioni);
    assert!(o.issues.is_empty(), "{:?}", o.issues);
    assert_eq!(prestazione(&o).amount, Some(150.0));

    let o = run(&sina(), Kind::Sina);
    assert!(o.issues.is_empty(), "{:?}", o.issues);
    let Some(Record::Sina(s)) = o.record else { panic!() };
    assert_eq!(s.civil_invalidity.as_deref(), Some("1;6"));

    let o = run(&sinba(), Kind::Sinba);
    assert!(o.issues.is_empty(), "{:?}", o.issues);
    let Some(Record::Sinba(b)) = o.record else {
        panic!()
    };
    assert_eq!(
        b.first_report_date,
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        "MM/AAAA is the first of the month"
    );
}

// ---------------------------------------------------------------- common rules

#[test]
fn required_fields() {
    for (kind, input, t) in [
        (Kind::Prestazioni, periodic(), Target::Identifier),
        (Kind::Prestazioni, periodic(), Target::TaxCode),
        (Kind::Prestazioni, periodic(), Target::ServiceCode),
        (Kind::Prestazioni, periodic(), Target::MeansTest),
        (Kind::Prestazioni, periodic(), Target::ApplicationProtocol),
        (Kind::Prestazioni, periodic(), Target::TakenInCharge),
        (Kind::Prestazioni, periodic(), Target::Module),
        (Kind::Sina, sina(), Target::AssessmentDate),
        (Kind::Sina, sina(), Target::Mobility),
        (Kind::Sinba, sinba(), Target::CaseOpenDate),
        (Kind::Sinba, sinba(), Target::FirstReportDate),
        (Kind::Sinba, sinba(), Target::JudicialMeasure),
    ] {
        let mut i = input;
        i[t as usize] = Some("  ".into());
        let o = rejected_with(&i, kind, "required_missing");
        assert!(o.issues.iter().any(|x| x.field == t.name()), "{t:?}");
    }
}

#[test]
fn codice_fiscale_is_checked_and_repaired() {
    let mut i = periodic();
    let good = cf_of((1950, 3, 4), Sex::F);
    let mut bad = good.clone();
    bad.replace_range(15..16, if good.ends_with('A') { "B" } else { "A" });
    set(&mut i, Target::TaxCode, &bad);
    rejected_with(&i, Kind::Prestazioni, "cf_check_char");
    set(&mut i, Target::TaxCode, "RSSMRC80");
    rejected_with(&i, Kind::Prestazioni, "cf_length");
    // Lower case and a letter O for a zero: repaired.
    let typed = good.to_lowercase().replacen('0', "o", 1);
    set(&mut i, Target::TaxCode, &typed);
    let o = run(&i, Kind::Prestazioni);
    assert!(!o.is_rejected(), "{:?}", o.issues);
    assert_eq!(prestazione(&o).tax_code, good);
    assert!(repairs(&o).contains(&"case") && repairs(&o).contains(&"cf_letter_o"));
}

#[test]
fn garbled_text_is_rejected() {
    let mut i = periodic();
    set(&mut i, Target::ApplicationProtocol, "2025/\u{fffd}12");
    rejected_with(&i, Kind::Prestazioni, "encoding_invalid");
}

#[test]
fn dates_must_exist_be_past_and_plausible() {
    let mut i = one_off();
    set(&mut i, Target::DeliveryDate, "31/02/2025");
    rejected_with(&i, Kind::Prestazioni, "date_invalid");
    set(&mut i, Target::DeliveryDate, "10/03/2026");
    rejected_with(&i, Kind::Prestazioni, "date_in_future");
    set(&mut i, Target::DeliveryDate, "10/03/0225");
    rejected_with(&i, Kind::Prestazioni, "date_out_of_range");
    // A planned start a few months ahead is fine, one in 2052 is not.
    let mut p = periodic();
    set(&mut p, Target::StartDate, "01/03/2026");
    set(&mut p, Target::EndDate, "31/12/2026");
    assert!(!run(&p, Kind::Prestazioni).is_rejected());
    set(&mut p, Target::StartDate, "01/03/2052");
    rejected_with(&p, Kind::Prestazioni, "date_in_future");
    // A declared format is strict.
    let mut c = ctx(Kind::Prestazioni);
    c.date_formats[Target::DeliveryDate as usize] = Some("%d/%m/%Y");
    let mut i = one_off();
    set(&mut i, Target::DeliveryDate, "2025-03-10");
    let o = validate(&i, &c);
    assert!(errors(&o).contains(&"date_invalid"));
    assert!(o.issues[0].message_it.contains("%d/%m/%Y"), "{:?}", o.issues);
}

#[test]
fn coded_values_are_checked_and_zero_padding_is_repaired() {
    let mut i = periodic();
    set(&mut i, Target::MeansTest, "5");
    rejected_with(&i, Kind::Prestazioni, "enum_invalid");
    set(&mut i, Target::MeansTest, "01");
    let o = run(&i, Kind::Prestazioni);
    assert_eq!(prestazione(&o).means_test, "1");
    assert!(repairs(&o).contains(&"zero_padding"));
    let mut s = sina();
    set(&mut s, Target::AssessmentTool, "9");
    rejected_with(&s, Kind::Sina, "enum_invalid");
    let mut b = sinba();
    set(&mut b, Target::ReportSource, "15");
    rejected_with(&b, Kind::Sinba, "enum_invalid");
    set(&mut b, Target::ReportSource, "14");
    assert!(!run(&b, Kind::Sinba).is_rejected());
}

// ---------------------------------------------------------------- amounts

#[test]
fn amounts_follow_the_source_convention() {
    let mut i = one_off();
    set(&mut i, Target::Amount, "€ 1.050,75");
    let o = run(&i, Kind::Prestazioni);
    assert_eq!(prestazione(&o).amount, Some(1050.75));
    assert!(repairs(&o).contains(&"currency_symbol"));
    // A point-decimal amount in a decimal-comma source is not guessed.
    set(&mut i, Target::Amount, "1050.75");
    let o = rejected_with(&i, Kind::Prestazioni, "amount_invalid");
    assert!(o.issues[0].message_it.contains("virgola decimale"));
    // The same text in a point-decimal source (typed spreadsheet cells).
    let o = validate(&i, &Context::new(Kind::Prestazioni, today()));
    assert_eq!(prestazione(&o).amount, Some(1050.75));
    set(&mut i, Target::Amount, "dieci euro");
    rejected_with(&i, Kind::Prestazioni, "amount_invalid");
}

#[test]
fn amounts_must_be_positive_and_shares_not_negative() {
    let mut i = one_off();
    set(&mut i, Target::Amount, "0,00");
    rejected_with(&i, Kind::Prestazioni, "amount_not_positive");
    let mut i = one_off();
    set(&mut i, Target::UserShare, "-5,00");
    rejected_with(&i, Kind::Prestazioni, "amount_negative");
}

#[test]
fn economic_benefits_need_their_amount_services_are_warned() {
    let mut i = periodic();
    i[Target::MonthlyAmount as usize] = None;
    rejected_with(&i, Kind::Prestazioni, "amount_missing");
    let mut i = one_off();
    i[Target::Amount as usize] = None;
    rejected_with(&i, Kind::Prestazioni, "amount_missing");
    // Assistenza domiciliare (a service): kept, flagged.
    let mut i = periodic();
    set(&mut i, Target::ServiceCode, "A2.07");
    i[Target::MonthlyAmount as usize] = None;
    kept_with(&i, Kind::Prestazioni, "service_cost_missing");
}

#[test]
fn shares_must_add_up() {
    let mut i = one_off();
    set(&mut i, Target::EntityShare, "100,00");
    set(&mut i, Target::UserShare, "50,00");
    assert!(run(&i, Kind::Prestazioni).issues.is_empty());
    set(&mut i, Target::UserShare, "40,00");
    kept_with(&i, Kind::Prestazioni, "quota_sum_mismatch");
}

#[test]
fn months_and_counts_are_integers_in_range() {
    let mut i = periodic();
    set(&mut i, Target::Months, "13");
    rejected_with(&i, Kind::Prestazioni, "number_out_of_range");
    set(&mut i, Target::Months, "sei");
    rejected_with(&i, Kind::Prestazioni, "integer_invalid");
    set(&mut i, Target::Months, "6.0");
    assert_eq!(prestazione(&run(&i, Kind::Prestazioni)).months, Some(6));
    let mut b = sinba();
    set(&mut b, Target::IseeHouseholdMembers, "12");
    rejected_with(&b, Kind::Sinba, "number_out_of_range");
}

// ---------------------------------------------------------------- prestazioni

#[test]
fn module_from_the_column_the_label_or_the_source() {
    let mut i = periodic();
    set(&mut i, Target::Module, "Assistenza domiciliare");
    let o = run(&i, Kind::Prestazioni);
    assert_eq!(prestazione(&o).module, "assistenza_domiciliare");
    assert!(repairs(&o).contains(&"module_label"));
    set(&mut i, Target::Module, "SPORTELLO");
    rejected_with(&i, Kind::Prestazioni, "enum_invalid");
    // A source with a fixed module does not map the column.
    i[Target::Module as usize] = None;
    let mut c = ctx(Kind::Prestazioni);
    c.module = Some("inclusione_attiva");
    let o = validate(&i, &c);
    assert_eq!(prestazione(&o).module, "inclusione_attiva");
}

#[test]
fn service_codes_malformed_rejected_unknown_warned() {
    let mut i = periodic();
    for bad in ["A1.4", "A01.04", "SAD", "A1.04.1"] {
        set(&mut i, Target::ServiceCode, bad);
        rejected_with(&i, Kind::Prestazioni, "service_code_invalid");
    }
    set(&mut i, Target::ServiceCode, "A1.99");
    let o = kept_with(&i, Kind::Prestazioni, "service_code_unknown");
    assert_eq!(prestazione(&o).service_name, None);
    set(&mut i, Target::ServiceCode, "a1.05.01");
    set(&mut i, Target::EventDate, "01/02/2025");
    let o = run(&i, Kind::Prestazioni);
    assert!(o.issues.is_empty(), "{:?}", o.issues);
    assert_eq!(prestazione(&o).service_code, "A1.05.01");
}

#[test]
fn character_is_inferred_from_the_dates_when_not_exported() {
    let mut i = periodic();
    i[Target::BenefitCharacter as usize] = None;
    let o = run(&i, Kind::Prestazioni);
    assert_eq!(prestazione(&o).benefit_character, "1");
    assert!(repairs(&o).contains(&"benefit_character_inferred"));
    let mut i = one_off();
    i[Target::BenefitCharacter as usize] = None;
    assert_eq!(prestazione(&run(&i, Kind::Prestazioni)).benefit_character, "2");
    set(&mut i, Target::StartDate, "01/02/2025");
    rejected_with(&i, Kind::Prestazioni, "required_missing");
}

#[test]
fn periodic_benefits_need_a_start_and_end_after_it() {
    let mut i = periodic();
    i[Target::StartDate as usize] = None;
    rejected_with(&i, Kind::Prestazioni, "start_date_missing");
    let mut i = periodic();
    set(&mut i, Target::EndDate, "31/01/2025");
    rejected_with(&i, Kind::Prestazioni, "end_before_start");
    let mut i = periodic();
    set(&mut i, Target::EndDate, "31/03/2026");
    kept_with(&i, Kind::Prestazioni, "period_spans_years");
}

#[test]
fn one_off_benefits_need_a_delivery_date() {
    let mut i = one_off();
    i[Target::DeliveryDate as usize] = None;
    rejected_with(&i, Kind::Prestazioni, "delivery_date_missing");
}

#[test]
fn dsu_all_or_nothing_in_the_inps_pattern() {
    let mut i = periodic();
    i[Target::DsuDate as usize] = None;
    let o = rejected_with(&i, Kind::Prestazioni, "dsu_incomplete");
    assert!(
        o.issues.iter().any(|x| x.message_it.contains("Data DSU")),
        "{:?}",
        o.issues
    );
    let mut i = periodic();
    set(&mut i, Target::DsuProtocol, "INPS-ISEE-2025-1480722D-00");
    rejected_with(&i, Kind::Prestazioni, "dsu_protocol_invalid");
    set(&mut i, Target::DsuProtocol, " inps-isee-2025-01480722d-00 ");
    let o = run(&i, Kind::Prestazioni);
    assert_eq!(
        prestazione(&o).dsu_protocol.as_deref(),
        Some("INPS-ISEE-2025-01480722D-00")
    );
    let mut i = periodic();
    set(&mut i, Target::DsuYear, "2024");
    set(&mut i, Target::DsuDate, "15/01/2024");
    rejected_with(&i, Kind::Prestazioni, "dsu_year_mismatch");
    let mut i = periodic();
    set(&mut i, Target::DsuYear, "2014");
    rejected_with(&i, Kind::Prestazioni, "number_out_of_range");
    let mut i = periodic();
    set(&mut i, Target::DsuDate, "15/01/2024");
    kept_with(&i, Kind::Prestazioni, "dsu_date_year_mismatch");
    let mut i = periodic();
    set(&mut i, Target::DsuProtocol, "INPS-ISEE-2024-01480722D-00");
    set(&mut i, Target::DsuYear, "2024");
    set(&mut i, Target::DsuDate, "15/01/2024");
    kept_with(&i, Kind::Prestazioni, "dsu_expired");
    let mut i = periodic();
    for t in [Target::DsuProtocol, Target::DsuYear, Target::DsuDate] {
        i[t as usize] = None;
    }
    kept_with(&i, Kind::Prestazioni, "dsu_missing_for_isee");
    set(&mut i, Target::MeansTest, "4");
    assert!(run(&i, Kind::Prestazioni).issues.is_empty());
}

#[test]
fn inps_conditions_are_warned() {
    let mut i = periodic();
    i[Target::UserArea as usize] = None;
    kept_with(&i, Kind::Prestazioni, "user_area_missing");
    let mut i = periodic();
    set(&mut i, Target::ServiceCode, "A2.16");
    set(&mut i, Target::TakenInCharge, "2");
    kept_with(&i, Kind::Prestazioni, "service_requires_taken_in_charge");
    let mut i = periodic();
    set(&mut i, Target::ServiceCode, "A1.05.01");
    kept_with(&i, Kind::Prestazioni, "event_date_missing");
}

// ---------------------------------------------------------------- SINA

#[test]
fn sina_lists_are_normalised_and_checked() {
    let mut s = sina();
    set(&mut s, Target::CivilInvalidity, "6, 1");
    set(&mut s, Target::NeededServices, "a2.07 / A2.08");
    let o = run(&s, Kind::Sina);
    let Some(Record::Sina(r)) = &o.record else {
        panic!("{:?}", o.issues)
    };
    assert_eq!(r.civil_invalidity.as_deref(), Some("6;1"));
    assert_eq!(r.needed_services.as_deref(), Some("A2.07;A2.08"));
    assert!(repairs(&o).contains(&"list_separator"));
    set(&mut s, Target::CivilInvalidity, "1;9");
    rejected_with(&s, Kind::Sina, "enum_invalid");
    let mut s = sina();
    set(&mut s, Target::NeededServices, "A2.07;ADI");
    rejected_with(&s, Kind::Sina, "service_code_invalid");
    set(&mut s, Target::NeededServices, "A2.07;A2.99");
    kept_with(&s, Kind::Sina, "service_code_unknown");
    let mut s = sina();
    set(&mut s, Target::AssessmentDate, "12/05/2026");
    rejected_with(&s, Kind::Sina, "date_in_future");
}

// ---------------------------------------------------------------- SINBA

#[test]
fn sinba_case_dates_are_consistent() {
    let mut b = sinba();
    set(&mut b, Target::CaseCloseDate, "01/01/2025");
    set(&mut b, Target::ClosingReason, "2");
    rejected_with(&b, Kind::Sinba, "end_before_start");
    let mut b = sinba();
    set(&mut b, Target::FirstReportDate, "06/2025");
    kept_with(&b, Kind::Sinba, "report_after_case_open");
    let mut b = sinba();
    set(&mut b, Target::CaseCloseDate, "30/06/2025");
    kept_with(&b, Kind::Sinba, "closing_reason_missing");
    set(&mut b, Target::ClosingReason, "2");
    assert!(run(&b, Kind::Sinba).issues.is_empty());
}

#[test]
fn sinba_is_about_minors_and_their_services() {
    let mut b = sinba();
    set(&mut b, Target::TaxCode, &cf_of((1990, 1, 1), Sex::M));
    kept_with(&b, Kind::Sinba, "sinba_beneficiary_adult");
    let mut b = sinba();
    b[Target::Services as usize] = None;
    kept_with(&b, Kind::Sinba, "services_missing");
    let mut b = sinba();
    set(&mut b, Target::FamilyComposition, "1;7");
    rejected_with(&b, Kind::Sinba, "enum_invalid");
}

#[test]
fn duplicate_keys_ignore_the_identifier() {
    let a = run(&periodic(), Kind::Prestazioni).record.unwrap();
    let mut i = periodic();
    set(&mut i, Target::Identifier, "PS-999");
    let b = run(&i, Kind::Prestazioni).record.unwrap();
    assert_ne!(a.identifier(), b.identifier());
    assert_eq!(a.duplicate_key(), b.duplicate_key());
    set(&mut i, Target::MonthlyAmount, "1.000,00");
    let c = run(&i, Kind::Prestazioni).record.unwrap();
    assert_ne!(a.duplicate_key(), c.duplicate_key());
}
