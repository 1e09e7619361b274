//! Splitting periodic benefits by calendar year.
//!
//! `DataFinePrestazione` must be in the same year as `DataInizioPrestazione`
//! (PDF v2.0.1 Tabella 9), so a periodic benefit that spans years is sent as
//! one prestazione per calendar year. The rule implemented is SISO's
//! (`RegioneUmbria-RCB/SISO`, `EsportaCasellarioUtils`: `ripartisciAnnuali`,
//! `differenzaMesi`, `creaBeanExportMasterPeriodica`; reference §8.2):
//!
//! 1. **Slices.** From the start to 31 December of its year, then whole
//!    calendar years (1 January–31 December), then 1 January of the last year
//!    to the end. Leap years need nothing special: slices are bounded by
//!    calendar dates, never by a number of days.
//! 2. **Months.** The months of a period are the calendar months it touches:
//!    `(end year − start year) × 12 + end month − start month + 1`
//!    (`differenzaMesi`; 2 February–27 January = 12 months, 14 October–13
//!    November = 2). Each slice's `PeriodoErogazione` is its own month count
//!    (1–12).
//! 3. **Amounts**, two cases:
//!    * [`split_by_year`]: the benefit already has an `ImportoMensile` (and
//!      monthly quote): monthly figures are the same in every slice, copied
//!      unchanged — nothing to apportion;
//!    * [`split_total_by_year`]: the source has the **total** spent over the
//!      whole period (as SISO's does): `ImportoMensile = total / months`,
//!      rounded half-up to the cent, the same in every slice (SISO). The
//!      quote are totals too: each monthly quota is `quota total / months`
//!      (half-up), and the rounding difference between their sum and
//!      `ImportoMensile` (at most a cent or two) is given to the largest
//!      quota, so that the quote add up to `ImportoMensile` as the
//!      specification requires. *Deviation from SISO*, which writes each
//!      slice's share of the quota **totals** (`quota × slice months /
//!      months`) next to a monthly `ImportoMensile`, so its quote do not add
//!      up to the monthly amount. Monthly service hours are `total minutes /
//!      months`, rounded half-up to the minute. Consequence of SISO's rule:
//!      `ImportoMensile × months` may differ from the total by the rounding
//!      (less than half a cent per month).
//!
//! Every slice keeps the other attributes (code, protocol, DSU, presa in
//! carico, SINA…) of the benefit.

use crate::codes::CaratterePrestazione;
use crate::decimal::{Importo, OreServizio};
use crate::model::Prestazione;
use chrono::{Datelike, NaiveDate};

/// Why a benefit cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// Only periodic benefits (`CaratterePrestazione = 1`) are split.
    #[error("only periodic benefits are split by year")]
    NotPeriodic,
    /// The start date is missing.
    #[error("the benefit has no start date")]
    MissingStart,
    /// The end precedes the start.
    #[error("the end date precedes the start date")]
    EndBeforeStart,
    /// The quota totals do not add up to the total amount.
    #[error("the quota totals add up to {sum}, not to the total {total}")]
    QuoteMismatch {
        /// Sum of the quota totals.
        sum: Importo,
        /// The total.
        total: Importo,
    },
    /// The total amount is not positive.
    #[error("the total amount must be positive")]
    NotPositive,
}

/// The calendar months touched by `[inizio, fine]` (SISO `differenzaMesi`);
/// 0 if `fine < inizio`.
pub fn mesi_erogazione(inizio: NaiveDate, fine: NaiveDate) -> u32 {
    if fine < inizio {
        return 0;
    }
    let m = (fine.year() - inizio.year()) * 12 + fine.month() as i32 - inizio.month() as i32 + 1;
    m.max(0) as u32
}

/// The calendar-year slices of `[inizio, fine]`, in order.
pub fn slices(inizio: NaiveDate, fine: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    if fine < inizio {
        return out;
    }
    let mut start = inizio;
    while start.year() < fine.year() {
        let dec31 = NaiveDate::from_ymd_opt(start.year(), 12, 31).expect("31 December exists");
        out.push((start, dec31));
        start = NaiveDate::from_ymd_opt(start.year() + 1, 1, 1).expect("1 January exists");
    }
    out.push((start, fine));
    out
}

fn slice_of(p: &Prestazione, from: NaiveDate, to: NaiveDate) -> Prestazione {
    let months = mesi_erogazione(from, to);
    Prestazione {
        data_inizio: Some(from),
        data_fine: Some(to),
        periodo_erogazione: Some(u8::try_from(months).expect("a slice has at most 12 months")),
        ..p.clone()
    }
}

/// Splits a periodic benefit with a monthly amount into one prestazione per
/// calendar year (see the module documentation). A benefit without an end
/// date, or within one year, comes back as one prestazione with
/// `PeriodoErogazione` set to its months when it has an end date.
pub fn split_by_year(p: &Prestazione) -> Result<Vec<Prestazione>, SplitError> {
    if p.carattere != Some(CaratterePrestazione::Periodico) {
        return Err(SplitError::NotPeriodic);
    }
    let inizio = p.data_inizio.ok_or(SplitError::MissingStart)?;
    let Some(fine) = p.data_fine else {
        return Ok(vec![p.clone()]);
    };
    if fine < inizio {
        return Err(SplitError::EndBeforeStart);
    }
    Ok(slices(inizio, fine)
        .into_iter()
        .map(|(a, b)| slice_of(p, a, b))
        .collect())
}

/// A periodic benefit known by its total over the whole period (the way a
/// cartella sociale records spending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodicaTotale {
    /// The benefit: code, protocol, DSU, presa in carico, SINA… Its dates,
    /// amounts, quote, months and hours are replaced in the slices;
    /// `carattere` is set to periodic.
    pub prestazione: Prestazione,
    /// First day.
    pub data_inizio: NaiveDate,
    /// Last day.
    pub data_fine: NaiveDate,
    /// Total spent over the whole period.
    pub importo_totale: Importo,
    /// The ente's share of the total.
    pub quota_ente_totale: Option<Importo>,
    /// The user's share of the total.
    pub quota_utente_totale: Option<Importo>,
    /// The health service's share of the total.
    pub quota_ssn_totale: Option<Importo>,
    /// Total hours of service over the whole period.
    pub ore_servizio_totali: Option<OreServizio>,
}

/// Splits a benefit known by its totals into one prestazione per calendar
/// year, with monthly amounts apportioned as described in the module
/// documentation.
pub fn split_total_by_year(t: &PeriodicaTotale) -> Result<Vec<Prestazione>, SplitError> {
    if t.data_fine < t.data_inizio {
        return Err(SplitError::EndBeforeStart);
    }
    if !t.importo_totale.is_positive() {
        return Err(SplitError::NotPositive);
    }
    let quote = [t.quota_ente_totale, t.quota_utente_totale, t.quota_ssn_totale];
    if quote.iter().any(Option::is_some) {
        let sum: Importo = quote.iter().flatten().copied().sum();
        if sum != t.importo_totale {
            return Err(SplitError::QuoteMismatch {
                sum,
                total: t.importo_totale,
            });
        }
    }
    let months = i64::from(mesi_erogazione(t.data_inizio, t.data_fine));
    let mensile = t.importo_totale.mul_div_half_up(1, months);
    let mut monthly: [Option<Importo>; 3] = quote.map(|q| q.map(|q| q.mul_div_half_up(1, months)));
    let present: Vec<usize> = (0..3).filter(|&i| monthly[i].is_some()).collect();
    if !present.is_empty() {
        let sum: Importo = monthly.iter().flatten().copied().sum();
        let diff = mensile - sum;
        if diff != Importo::ZERO {
            // The largest quota (first of ente, utente, SSN on ties) absorbs the rounding.
            let largest = *present
                .iter()
                .max_by(|&&a, &&b| monthly[a].cmp(&monthly[b]).then(b.cmp(&a)))
                .expect("non-empty");
            monthly[largest] = monthly[largest].map(|q| q + diff);
        }
    }
    let ore = t.ore_servizio_totali.map(|o| {
        let m = i64::from(o.total_minutes());
        let per_month = Importo::from_cents(m).mul_div_half_up(1, months).cents();
        OreServizio::from_minutes(u32::try_from(per_month).unwrap_or(u32::MAX))
    });
    let base = Prestazione {
        carattere: Some(CaratterePrestazione::Periodico),
        importo_mensile: Some(mensile),
        importo_prestazione: None,
        data_erogazione: None,
        importo_quota_ente: monthly[0],
        importo_quota_utente: monthly[1],
        importo_quota_ssn: monthly[2],
        ore_servizio_mensile: ore.or(t.prestazione.ore_servizio_mensile),
        ..t.prestazione.clone()
    };
    Ok(slices(t.data_inizio, t.data_fine)
        .into_iter()
        .map(|(a, b)| slice_of(&base, a, b))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, g: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, g).unwrap()
    }

    #[test]
    fn siso_month_count() {
        assert_eq!(mesi_erogazione(d(2020, 2, 2), d(2021, 1, 27)), 12);
        assert_eq!(mesi_erogazione(d(2020, 10, 14), d(2020, 11, 13)), 2);
        assert_eq!(mesi_erogazione(d(2020, 10, 14), d(2020, 10, 14)), 1);
        assert_eq!(mesi_erogazione(d(2020, 10, 14), d(2020, 10, 13)), 0);
    }

    #[test]
    fn slices_of_a_year() {
        assert_eq!(
            slices(d(2024, 3, 1), d(2024, 6, 30)),
            vec![(d(2024, 3, 1), d(2024, 6, 30))]
        );
        assert_eq!(
            slices(d(2023, 12, 31), d(2024, 1, 1)),
            vec![(d(2023, 12, 31), d(2023, 12, 31)), (d(2024, 1, 1), d(2024, 1, 1))]
        );
    }
}
