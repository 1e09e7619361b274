//! Every validation rule: a valid baseline has no violation, each rule can
//! fail on its own, violations are all collected, and a violating record
//! cannot reach a flow.

mod common;

use common::*;
use metrodati_siuss::*;
use std::collections::BTreeSet;

type PsMut = Box<dyn Fn(&mut Beneficiario, &mut Prestazione)>;
type SinbaMut = Box<dyn Fn(&mut SinbaCase)>;
type EnteMut = Box<dyn Fn(&mut Ente)>;

fn ps_cases() -> Vec<(Rule, PsMut, Prestazione)> {
    // (rule, mutation, baseline prestazione)
    let periodic = p_sad_sina;
    let one_off = || p_contributo("450", TipoOperazione::Inserimento);
    vec![
        (
            Rule::BeneficiaryTaxCodeInvalid,
            Box::new(|b, _| b.codice_fiscale = "DNGNCL80A01F205A".into()),
            one_off(),
        ),
        (
            Rule::BeneficiaryTaxCodeInvalid,
            Box::new(|b, _| b.codice_fiscale = "dngncl80a01f205d".into()),
            one_off(),
        ),
        (
            Rule::BeneficiaryTaxCodeInvalid,
            Box::new(|b, _| b.codice_fiscale = "01199250159".into()),
            one_off(),
        ),
        (
            Rule::BeneficiaryTaxCodeSchemaPattern,
            Box::new(|b, _| b.codice_fiscale = metrodati_interop::cf::omocode("DNGNCL80A01F205D", 5)),
            one_off(),
        ),
        (
            Rule::BeneficiarySurnameLength,
            Box::new(|b, _| b.anagrafica.cognome = "X".repeat(37)),
            one_off(),
        ),
        (
            Rule::BeneficiarySurnameLength,
            Box::new(|b, _| b.anagrafica.cognome.clear()),
            one_off(),
        ),
        (
            Rule::BeneficiaryGivenNameLength,
            Box::new(|b, _| b.anagrafica.nome.clear()),
            one_off(),
        ),
        (
            Rule::BeneficiaryBirthYearFormat,
            Box::new(|b, _| b.anagrafica.anno_nascita = 980),
            one_off(),
        ),
        (
            Rule::BeneficiaryBirthplaceFormat,
            Box::new(|b, _| b.anagrafica.luogo_nascita = "MILANO".into()),
            one_off(),
        ),
        (
            Rule::BeneficiaryCitizenshipFormat,
            Box::new(|b, _| b.anagrafica.codice_cittadinanza = "IT".into()),
            one_off(),
        ),
        (
            Rule::BeneficiaryCitizenshipFormat,
            Box::new(|b, _| b.anagrafica.codice_seconda_cittadinanza = Some("25".into())),
            one_off(),
        ),
        (
            Rule::BeneficiaryAddressCount,
            Box::new(|b, _| b.indirizzi.clear()),
            one_off(),
        ),
        (
            Rule::BeneficiaryAddressCount,
            Box::new(|b, _| b.indirizzi = vec![milano(); 6]),
            one_off(),
        ),
        (
            Rule::BeneficiaryAddressFormat,
            Box::new(|b, _| b.indirizzi[0].codice_comune = Some("15146".into())),
            one_off(),
        ),
        (
            Rule::BeneficiaryAddressFormat,
            Box::new(|b, _| b.indirizzi[0].codice_nazione = "ITA".into()),
            one_off(),
        ),
        (
            Rule::BeneficiaryAddressItalyIncomplete,
            Box::new(|b, _| b.indirizzi[0].codice_regione = None),
            one_off(),
        ),
        (
            Rule::BeneficiaryAddressItalyIncomplete,
            Box::new(|b, _| b.indirizzi[0].codice_comune = None),
            one_off(),
        ),
        (
            Rule::BenefitNatureMissing,
            Box::new(|_, p| p.carattere = None),
            one_off(),
        ),
        (
            Rule::BenefitPeriodicStartMissing,
            Box::new(|_, p| p.data_inizio = None),
            periodic(),
        ),
        (
            Rule::BenefitPeriodicMonthlyAmountMissing,
            Box::new(|_, p| p.importo_mensile = None),
            periodic(),
        ),
        (
            Rule::BenefitOneOffPaymentDateMissing,
            Box::new(|_, p| p.data_erogazione = None),
            one_off(),
        ),
        (
            Rule::BenefitOneOffAmountMissing,
            Box::new(|_, p| p.importo_prestazione = None),
            one_off(),
        ),
        (
            Rule::BenefitAmountNotPositive,
            Box::new(|_, p| p.importo_prestazione = Some(imp("0"))),
            one_off(),
        ),
        (
            Rule::BenefitAmountNotPositive,
            Box::new(|_, p| p.importo_mensile = Some(imp("-420"))),
            periodic(),
        ),
        (
            Rule::BenefitEndDateOtherYear,
            Box::new(|_, p| p.data_fine = Some(d(2027, 1, 31))),
            periodic(),
        ),
        (
            Rule::BenefitEndDateBeforeStart,
            Box::new(|_, p| p.data_fine = Some(d(2026, 1, 31))),
            periodic(),
        ),
        (
            Rule::BenefitEndDateWithoutStart,
            Box::new(|_, p| {
                p.data_inizio = None;
                p.carattere = Some(CaratterePrestazione::Occasionale);
                p.data_erogazione = Some(d(2026, 2, 1));
                p.importo_prestazione = p.importo_mensile;
            }),
            periodic(),
        ),
        (
            Rule::BenefitSharesSumMismatch,
            Box::new(|_, p| p.importo_quota_utente = Some(imp("40.01"))),
            periodic(),
        ),
        (
            Rule::BenefitSharesSumMismatch,
            Box::new(|_, p| p.importo_quota_ssn = Some(imp("0.01"))),
            one_off(),
        ),
        (
            Rule::BenefitShareNegative,
            Box::new(|_, p| {
                p.importo_quota_ente = Some(imp("460"));
                p.importo_quota_utente = Some(imp("-40"));
            }),
            periodic(),
        ),
        (
            Rule::BenefitUserAreaMissing,
            Box::new(|_, p| p.area_utenza = None),
            one_off(),
        ),
        (
            Rule::BenefitDsuIncomplete,
            Box::new(|_, p| p.data_dsu = None),
            one_off(),
        ),
        (
            Rule::BenefitDsuIncomplete,
            Box::new(|_, p| {
                p.numero_protocollo_dsu = None;
                p.anno_protocollo_dsu = None;
            }),
            one_off(),
        ),
        (
            Rule::BenefitDsuProtocolFormat,
            Box::new(|_, p| p.numero_protocollo_dsu = Some("INPS-ISEE-2025-12345A789-00".into())),
            one_off(),
        ),
        (
            Rule::BenefitDsuYearMismatch,
            Box::new(|_, p| p.anno_protocollo_dsu = Some(2024)),
            one_off(),
        ),
        (
            Rule::BenefitCodeUnknown,
            Box::new(|_, p| p.codice_prestazione = "A1.99".into()),
            one_off(),
        ),
        (
            Rule::BenefitCodeUnknown,
            Box::new(|_, p| p.codice_prestazione = "A1".into()),
            one_off(),
        ),
        (
            Rule::BenefitCodeRequiresTakingCharge,
            Box::new(|_, p| {
                p.presa_carico = PresaCarico::No;
                p.area_utenza = None;
            }),
            p_alloggio(),
        ),
        (
            Rule::BenefitCodeRequiresTakingCharge,
            Box::new(|_, p| {
                p.codice_prestazione = "A2.29".into();
                p.presa_carico = PresaCarico::No;
            }),
            one_off(),
        ),
        (
            Rule::BenefitNameLength,
            Box::new(|_, p| p.denominazione_prestazione = "Altro".into()),
            one_off(),
        ),
        (
            Rule::BenefitNameLength,
            Box::new(|_, p| p.denominazione_prestazione = "x".repeat(201)),
            one_off(),
        ),
        (
            Rule::BenefitApplicationProtocolLength,
            Box::new(|_, p| p.protocollo_domanda.clear()),
            one_off(),
        ),
        (
            Rule::BenefitApplicationProtocolLength,
            Box::new(|_, p| p.protocollo_domanda = "9".repeat(33)),
            one_off(),
        ),
        (
            Rule::BenefitMonthsRange,
            Box::new(|_, p| p.periodo_erogazione = Some(13)),
            periodic(),
        ),
        (
            Rule::BenefitMonthsRange,
            Box::new(|_, p| p.periodo_erogazione = Some(0)),
            periodic(),
        ),
        (
            Rule::BenefitEventDateMissing,
            Box::new(|_, p| {
                p.codice_prestazione = "A1.05.01".into();
                p.data_evento = None;
            }),
            one_off(),
        ),
        (
            Rule::BenefitDateOutOfRange,
            Box::new(|_, p| p.data_evento = Some(d(1899, 12, 31))),
            one_off(),
        ),
        (
            Rule::BenefitDateOutOfRange,
            Box::new(|_, p| p.data_erogazione = Some(d(2204, 1, 15))),
            one_off(),
        ),
        (
            Rule::SinaCodeUnknown,
            Box::new(|_, p| {
                p.sina
                    .as_mut()
                    .unwrap()
                    .necessita_interventi_sociali
                    .push("B1.01".into())
            }),
            periodic(),
        ),
        (
            Rule::TextInvalidChar,
            Box::new(|b, _| b.anagrafica.cognome = "Ros\u{7}si".into()),
            one_off(),
        ),
        (
            Rule::TextInvalidChar,
            Box::new(|_, p| p.protocollo_domanda = "2026\u{0}1".into()),
            one_off(),
        ),
    ]
}

fn sinba_cases() -> Vec<(Rule, SinbaMut)> {
    vec![
        (Rule::SinbaBenefitsMissing, Box::new(|c| c.prestazioni.clear())),
        (
            Rule::SinbaCodeUnknown,
            Box::new(|c| c.prestazioni.push("A1.999".into())),
        ),
        (Rule::SinbaFamilyMissing, Box::new(|c| c.famiglia.clear())),
        (
            Rule::SinbaIseeMembersRange,
            Box::new(|c| c.numero_componenti_isee = Some(0)),
        ),
        (
            Rule::SinbaIseeMembersRange,
            Box::new(|c| c.numero_componenti_isee = Some(10)),
        ),
        (Rule::SinbaBirthYearFormat, Box::new(|c| c.anno_nascita = 12)),
        (
            Rule::SinbaResidenceRegionMissing,
            Box::new(|c| c.codice_regione_residenza = None),
        ),
        (
            Rule::SinbaTerritorialCodeFormat,
            Box::new(|c| c.codice_regione_residenza = Some("3".into())),
        ),
        (
            Rule::SinbaTerritorialCodeFormat,
            Box::new(|c| c.codice_cittadinanza_madre = Some("IT".into())),
        ),
        (
            Rule::SinbaTerritorialCodeFormat,
            Box::new(|c| c.codice_nazione_residenza = "38".into()),
        ),
    ]
}

fn ente_cases() -> Vec<(Rule, EnteMut)> {
    vec![
        (Rule::EnteCodeFormat, Box::new(|e| e.codice = "015146".into())),
        (
            Rule::EnteNameLength,
            Box::new(|e| e.denominazione = Some(String::new())),
        ),
        (
            Rule::EnteNameLength,
            Box::new(|e| e.denominazione = Some("x".repeat(101))),
        ),
        (Rule::EnteSeatFormat, Box::new(|e| e.indirizzo = "f205".into())),
        (
            Rule::EnteOperatorCfInvalid,
            Box::new(|e| e.cf_operatore = "01199250159".into()),
        ),
        (
            Rule::EnteOperatorCfInvalid,
            Box::new(|e| e.cf_operatore = metrodati_interop::cf::omocode("DNGNCL80A01F205D", 7)),
        ),
        (
            Rule::TextInvalidChar,
            Box::new(|e| e.denominazione = Some("Comune\u{1b}".into())),
        ),
    ]
}

#[test]
fn baselines_are_valid() {
    for (_, _, p) in ps_cases() {
        assert_eq!(check_prestazione(&p), vec![], "{}", p.codice_prestazione);
    }
    for b in [b_dangelo(), b_martini(), b_colombo()] {
        assert_eq!(check_beneficiario(&b), vec![]);
    }
    assert_eq!(check_ente(&ente()), vec![]);
    assert_eq!(check_sinba(&sinba_famiglia(&secret())), vec![]);
    assert_eq!(check_sinba(&sinba_affido(&secret())), vec![]);
}

#[test]
fn every_rule_can_fail() {
    let mut covered = BTreeSet::new();
    for (i, (rule, mutate, base)) in ps_cases().into_iter().enumerate() {
        let mut b = b_dangelo();
        let mut p = base;
        mutate(&mut b, &mut p);
        let v = validate_prestazione(&b, &p).expect_err(&format!("case {i} ({rule}) should fail"));
        assert!(
            v.iter().any(|x| x.rule == rule),
            "case {i}: expected {rule}, got {v:#?}"
        );
        for x in &v {
            assert!(!x.message.is_empty());
            assert!(
                !x.message.contains(&b.codice_fiscale) || b.codice_fiscale.len() < 11,
                "CF in message: {x}"
            );
        }
        covered.insert(rule);
    }
    for (i, (rule, mutate)) in sinba_cases().into_iter().enumerate() {
        let mut c = sinba_famiglia(&secret());
        mutate(&mut c);
        let v = validate_sinba(&c).expect_err(&format!("SINBA case {i} ({rule}) should fail"));
        assert!(
            v.iter().any(|x| x.rule == rule),
            "SINBA case {i}: expected {rule}, got {v:#?}"
        );
        covered.insert(rule);
    }
    for (i, (rule, mutate)) in ente_cases().into_iter().enumerate() {
        let mut e = ente();
        mutate(&mut e);
        let v = check_ente(&e);
        assert!(
            v.iter().any(|x| x.rule == rule),
            "ente case {i}: expected {rule}, got {v:#?}"
        );
        covered.insert(rule);
    }
    let all: BTreeSet<Rule> = Rule::ALL.iter().copied().collect();
    let missing: Vec<&str> = all.difference(&covered).map(|r| r.code()).collect();
    assert!(missing.is_empty(), "rules without a failing test: {missing:?}");
}

#[test]
fn all_violations_are_collected() {
    let mut b = b_dangelo();
    b.anagrafica.cognome.clear();
    b.indirizzi[0].codice_regione = None;
    let p = Prestazione {
        carattere: Some(CaratterePrestazione::Periodico),
        data_inizio: Some(d(2025, 11, 1)),
        data_fine: Some(d(2026, 2, 28)),
        importo_mensile: Some(imp("100")),
        importo_quota_ente: Some(imp("60")),
        importo_quota_utente: Some(imp("30")),
        numero_protocollo_dsu: Some("INPS-ISEE-2025-1".into()),
        ..Prestazione::new(
            "A2.20",
            "Servizio",
            "",
            PresenzaProvaMezzi::SoggettaIsee,
            PresaCarico::No,
        )
    };
    let v = validate_prestazione(&b, &p).unwrap_err();
    let codes: BTreeSet<&str> = v.iter().map(|x| x.code()).collect();
    let expected: BTreeSet<&str> = [
        "beneficiary.surname.length",
        "beneficiary.address.italy_incomplete",
        "benefit.code.requires_taking_charge",
        "benefit.name.length",
        "benefit.application_protocol.length",
        "benefit.end_date.other_year",
        "benefit.shares.sum_mismatch",
        "benefit.dsu.incomplete",
        "benefit.dsu.protocol_format",
    ]
    .into_iter()
    .collect();
    assert_eq!(codes, expected, "{v:#?}");
    // Italian messages for the steward.
    let year = v
        .iter()
        .find(|x| x.rule == Rule::BenefitEndDateOtherYear)
        .unwrap();
    assert_eq!(year.field, "PrestazioniSociali@DataFinePrestazione");
    assert!(year.message.contains("anni diversi"), "{}", year.message);
    assert!(Rule::BenefitEndDateOtherYear
        .description_it()
        .contains("stesso anno solare"));
    // Serialisable for the steward report.
    let json = serde_json::to_value(&v[0]).unwrap();
    assert!(json["rule"].is_string());
}

#[test]
fn batch_validation_keeps_valid_and_reports_rejected() {
    let good = p_alloggio();
    let mut bad = p_alloggio();
    bad.presa_carico = PresaCarico::No;
    let b = b_dangelo();
    let recs = [(&b, &good), (&b, &bad), (&b, &good)];
    let (ok, ko) = validate_prestazioni(recs.iter().map(|(b, p)| (*b, *p)));
    assert_eq!(ok.len(), 2);
    assert_eq!(ko.len(), 1);
    assert_eq!(ko[0].index, 1);
    assert!(ko[0]
        .violations
        .iter()
        .any(|v| v.rule == Rule::BenefitCodeRequiresTakingCharge));
}

#[test]
fn quote_zero_and_sums_with_cents() {
    // User share zero is fine; shares exact to the cent.
    let mut p = p_sad_sina();
    p.importo_mensile = Some(imp("420.01"));
    p.importo_quota_ente = Some(imp("379.99"));
    p.importo_quota_utente = Some(imp("40.02"));
    assert_eq!(check_prestazione(&p), vec![]);
    // No shares at all: nothing to sum.
    p.importo_quota_ente = None;
    p.importo_quota_utente = None;
    assert_eq!(check_prestazione(&p), vec![]);
}

#[test]
fn a1_05_01_with_event_date_is_valid() {
    let mut p = p_contributo("450", TipoOperazione::Inserimento);
    p.codice_prestazione = "A1.05.01".into();
    p.denominazione_prestazione = "Contributi economici per l'affitto".into();
    assert_eq!(check_prestazione(&p), vec![]);
}

#[test]
fn a_cancellation_follows_the_same_rules() {
    let mut p = p_contributo("450", TipoOperazione::Cancellazione);
    assert!(validate_prestazione(&b_dangelo(), &p).is_ok());
    p.data_erogazione = None;
    assert!(validate_prestazione(&b_dangelo(), &p).is_err());
}

#[test]
fn the_readme_lists_every_rule() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for r in Rule::ALL {
        assert!(
            readme.contains(&format!("| `{}` | {} |", r.code(), r.description_it())),
            "{} not in README.md",
            r.code()
        );
    }
}
