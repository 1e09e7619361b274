//! Splitting periodic benefits by calendar year (leap years, three years,
//! apportioned totals), and the slices validate and make valid XML.

mod common;

use common::*;
use metrodati_siuss::split::{mesi_erogazione, slices};
use metrodati_siuss::*;

fn periodic(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Prestazione {
    Prestazione {
        data_inizio: Some(from),
        data_fine: Some(to),
        periodo_erogazione: None,
        ..p_sad_sina()
    }
}

#[test]
fn a_benefit_spanning_three_years() {
    let p = periodic(d(2025, 11, 15), d(2027, 2, 10));
    // Not valid as one prestazione...
    assert!(check_prestazione(&p)
        .iter()
        .any(|v| v.rule == Rule::BenefitEndDateOtherYear));
    // ...valid as three.
    let parts = split_by_year(&p).unwrap();
    let spans: Vec<_> = parts
        .iter()
        .map(|x| {
            (
                x.data_inizio.unwrap(),
                x.data_fine.unwrap(),
                x.periodo_erogazione.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        spans,
        vec![
            (d(2025, 11, 15), d(2025, 12, 31), 2),
            (d(2026, 1, 1), d(2026, 12, 31), 12),
            (d(2027, 1, 1), d(2027, 2, 10), 2),
        ]
    );
    for x in &parts {
        // Monthly amounts and shares unchanged; everything else kept.
        assert_eq!(x.importo_mensile, p.importo_mensile);
        assert_eq!(x.importo_quota_ente, p.importo_quota_ente);
        assert_eq!(x.sina, p.sina);
        assert_eq!(x.protocollo_domanda, p.protocollo_domanda);
        assert_eq!(check_prestazione(x), vec![], "{x:?}");
    }
    let ok: Vec<ValidatedPrestazione> = parts.iter().map(|x| valid(&b_martini(), x)).collect();
    let flow = ps_bulk(
        &ente(),
        &NomeFlusso::new("F205", TipoNome::Ps, data_invio(), 1).unwrap(),
        &ok,
    )
    .unwrap();
    assert_valid(&flow);
    assert_eq!(flow.prestazioni, 3);
}

#[test]
fn leap_years() {
    // Ends on 29 February of a leap year.
    let parts = split_by_year(&periodic(d(2023, 12, 15), d(2024, 2, 29))).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].data_fine, parts[0].periodo_erogazione),
        (Some(d(2023, 12, 31)), Some(1))
    );
    assert_eq!(
        (
            parts[1].data_inizio,
            parts[1].data_fine,
            parts[1].periodo_erogazione
        ),
        (Some(d(2024, 1, 1)), Some(d(2024, 2, 29)), Some(2))
    );
    // Starts on 29 February, spans the next (non-leap) year's February.
    let parts = split_by_year(&periodic(d(2024, 2, 29), d(2025, 2, 28))).unwrap();
    assert_eq!(
        parts
            .iter()
            .map(|p| p.periodo_erogazione.unwrap())
            .collect::<Vec<_>>(),
        vec![11, 2]
    );
    assert_eq!(parts[1].data_fine, Some(d(2025, 2, 28)));
    // A whole leap year is one slice of 12 months.
    let parts = split_by_year(&periodic(d(2028, 1, 1), d(2028, 12, 31))).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].periodo_erogazione, Some(12));
    // 31 December to 1 January: two one-month slices.
    assert_eq!(slices(d(2024, 12, 31), d(2025, 1, 1)).len(), 2);
    assert_eq!(mesi_erogazione(d(2024, 2, 29), d(2028, 2, 29)), 49);
}

#[test]
fn within_a_year_and_open_ended() {
    let p = periodic(d(2026, 2, 1), d(2026, 12, 31));
    let parts = split_by_year(&p).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].periodo_erogazione, Some(11));
    let mut open = p.clone();
    open.data_fine = None;
    assert_eq!(split_by_year(&open).unwrap(), vec![open.clone()]);
    assert_eq!(
        split_by_year(&p_contributo("1", TipoOperazione::Inserimento)),
        Err(SplitError::NotPeriodic)
    );
    let mut no_start = p.clone();
    no_start.data_inizio = None;
    assert_eq!(split_by_year(&no_start), Err(SplitError::MissingStart));
    assert_eq!(
        split_by_year(&periodic(d(2026, 2, 1), d(2026, 1, 1))),
        Err(SplitError::EndBeforeStart)
    );
}

#[test]
fn totals_apportioned_like_siso() {
    // 16 months (Nov 2025 – Feb 2027), 2 000.00 spent: 125.00 a month.
    let t = PeriodicaTotale {
        prestazione: p_sad_sina(),
        data_inizio: d(2025, 11, 3),
        data_fine: d(2027, 2, 20),
        importo_totale: imp("2000"),
        quota_ente_totale: Some(imp("1500")),
        quota_utente_totale: Some(imp("500")),
        quota_ssn_totale: None,
        ore_servizio_totali: OreServizio::new(320, 0),
    };
    let parts = split_total_by_year(&t).unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts
            .iter()
            .map(|p| p.periodo_erogazione.unwrap())
            .collect::<Vec<_>>(),
        vec![2, 12, 2]
    );
    for p in &parts {
        assert_eq!(p.importo_mensile, Some(imp("125")));
        assert_eq!(p.importo_quota_ente, Some(imp("93.75")));
        assert_eq!(p.importo_quota_utente, Some(imp("31.25")));
        assert_eq!(p.importo_quota_ssn, None);
        assert_eq!(p.ore_servizio_mensile, OreServizio::new(20, 0));
        assert_eq!(check_prestazione(p), vec![], "{p:?}");
    }
}

#[test]
fn totals_with_rounding_keep_shares_summing_to_the_monthly_amount() {
    // 1 000.00 over 3 months of two years: 333.33 a month (half-up);
    // shares 500.00/300.00/200.00 → 166.67 + 100.00 + 66.67 = 333.34, the
    // largest share absorbs the extra cent: 166.66.
    let t = PeriodicaTotale {
        prestazione: p_sad_sina(),
        data_inizio: d(2025, 12, 1),
        data_fine: d(2026, 2, 28),
        importo_totale: imp("1000"),
        quota_ente_totale: Some(imp("500")),
        quota_utente_totale: Some(imp("300")),
        quota_ssn_totale: Some(imp("200")),
        ore_servizio_totali: OreServizio::new(10, 0),
    };
    let parts = split_total_by_year(&t).unwrap();
    assert_eq!(parts.len(), 2);
    for p in &parts {
        assert_eq!(p.importo_mensile, Some(imp("333.33")));
        assert_eq!(p.importo_quota_ente, Some(imp("166.66")));
        assert_eq!(p.importo_quota_utente, Some(imp("100")));
        assert_eq!(p.importo_quota_ssn, Some(imp("66.67")));
        // 600 minutes / 3 = 200 minutes = 3 h 20 min.
        assert_eq!(p.ore_servizio_mensile, OreServizio::new(3, 20));
        assert_eq!(check_prestazione(p), vec![]);
    }
    assert_eq!(parts[0].periodo_erogazione, Some(1));
    assert_eq!(parts[1].periodo_erogazione, Some(2));
}

#[test]
fn totals_errors() {
    let base = PeriodicaTotale {
        prestazione: p_sad_sina(),
        data_inizio: d(2026, 1, 1),
        data_fine: d(2026, 6, 30),
        importo_totale: imp("600"),
        quota_ente_totale: Some(imp("500")),
        quota_utente_totale: None,
        quota_ssn_totale: None,
        ore_servizio_totali: None,
    };
    assert!(matches!(
        split_total_by_year(&base),
        Err(SplitError::QuoteMismatch { .. })
    ));
    let t = PeriodicaTotale {
        importo_totale: imp("0"),
        quota_ente_totale: None,
        ..base.clone()
    };
    assert_eq!(split_total_by_year(&t), Err(SplitError::NotPositive));
    let t = PeriodicaTotale {
        data_fine: d(2025, 1, 1),
        ..base.clone()
    };
    assert_eq!(split_total_by_year(&t), Err(SplitError::EndBeforeStart));
    let t = PeriodicaTotale {
        quota_ente_totale: Some(imp("600")),
        ..base
    };
    let parts = split_total_by_year(&t).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].importo_mensile, Some(imp("100")));
    assert_eq!(parts[0].ore_servizio_mensile, p_sad_sina().ore_servizio_mensile);
}
