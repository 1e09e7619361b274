//! Synthetic Cartella Sociale exports: prestazioni sociali, SINA
//! assessments and SINBA cases of a comune, written as its `[[sociale]]`
//! sources declare.
//!
//! Beneficiaries are residents of the same comune's anagrafe sample (the
//! persons the generator has just written, without the rows it broke on
//! purpose), so the link to `persona` holds: a few percent of the
//! residents, more among the elderly (home care with a SINA assessment,
//! residential care) and the minors (educational support, nursery fees, a
//! SINBA case). Benefits are those of the INPS table (§6.2 of the
//! reference): periodic ones with start, end, monthly amount and months,
//! one-off ones with delivery date and amount; means-tested ones carry a
//! DSU (protocol `INPS-ISEE-YYYY-NNNNNNNNL-NN`, year, date). Everything
//! happens in 2025 (the extraction date is 2025-12-31).
//!
//! Then the mistakes a social worker makes, at small deterministic rates
//! (at most one that rejects the row): impossible or missing dates, an end
//! before the start, a year typed 2052, the amount of a contribution left
//! out, DSU fields half filled or a protocol mistyped, a code that is not
//! an INPS code, a wrong codice fiscale; and, kept with a warning, a
//! beneficiary who is not a resident or a well-formed code missing from
//! the table; plus rows exported twice and benefits entered twice under
//! two identifiers. [`DEFECTS`] says which rule catches each.
//!
//! The random streams are derived from the seed and the ISTAT code and are
//! separate from the anagrafe's, so adding `[[sociale]]` sources does not
//! change a byte of the anagrafe sample.

use super::names::{FEMALE_CLASSIC, MALE_CLASSIC, SURNAMES};
use super::plan::split_url;
use super::population::{Person, EXTRACTION_DATE};
use super::random::{chance, comune_rng, pick, weighted_index};
use super::record::{format_date, format_date_parts, Cell};
use super::sociale_layouts::{self, SCol, SExtra};
use super::writers::{number_text, open_sink, SinkSpec};
use super::SampleError;
use crate::config::{SocialeSourceSpec, Source, SourceDefinition};
use chrono::{Datelike, Days, NaiveDate};
use metrodati_connectors::spec::{Format, HeaderRow};
use metrodati_interop::cf::{self, Sex};
use metrodati_interop::prestazioni;
use metrodati_interop::refdata::ComuneCm;
use metrodati_interop::validate::sociale::{Kind, Target};
use rand::rngs::SmallRng;
use rand::Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Mixed into the seed: the sociale streams differ from the anagrafe's.
const SALT: u64 = 0x50c1_a1e0_0000_0001;

/// An impossible date (31/02, 31/04).
pub const DATE_INVALID: &str = "date_invalid";
/// The start (periodic) or delivery (one-off) date left empty.
pub const DATE_MISSING: &str = "date_missing";
/// A periodic benefit ending before it starts, or a case closed before it was opened.
pub const END_BEFORE_START: &str = "end_before_start";
/// A year typed 2052 for 2025.
pub const DATE_IN_FUTURE: &str = "date_in_future";
/// An economic contribution without its amount.
pub const AMOUNT_MISSING: &str = "amount_missing";
/// DSU protocol, year and date partly filled.
pub const DSU_PARTIAL: &str = "dsu_partial";
/// A DSU protocol with a digit too few.
pub const DSU_PROTOCOL_INVALID: &str = "dsu_protocol_invalid";
/// A local code (`SAD`, `A1.4`) instead of the INPS code.
pub const SERVICE_CODE_INVALID: &str = "service_code_invalid";
/// A well-formed code missing from the INPS table (kept, warned).
pub const SERVICE_CODE_UNKNOWN: &str = "service_code_unknown";
/// A codice fiscale with a wrong check character.
pub const CF_INVALID: &str = "cf_invalid";
/// A beneficiary who is not a resident of the comune (kept, warned).
pub const NOT_RESIDENT: &str = "not_resident";
/// A required SINA/SINBA assessment left empty.
pub const MISSING_REQUIRED: &str = "missing_required";
/// The same row exported twice.
pub const DUPLICATE_ROW: &str = "duplicate_row";
/// The same benefit entered again under a new identifier.
pub const DUPLICATE_ENTRY: &str = "duplicate_entry";
/// Spaces or lower case in a codice fiscale (repaired).
pub const CF_TYPING: &str = "cf_typing";
/// An amount written with the euro sign (repaired).
pub const CURRENCY_SYMBOL: &str = "currency_symbol";

/// Every injected defect and the rules of the sociale pipeline that catch
/// it (any of them, depending on the source's layout).
pub const DEFECTS: &[(&str, &[&str])] = &[
    (DATE_INVALID, &["date_invalid"]),
    (
        DATE_MISSING,
        &["start_date_missing", "delivery_date_missing", "required_missing"],
    ),
    (END_BEFORE_START, &["end_before_start"]),
    (DATE_IN_FUTURE, &["date_in_future"]),
    (AMOUNT_MISSING, &["amount_missing"]),
    (DSU_PARTIAL, &["dsu_incomplete"]),
    (DSU_PROTOCOL_INVALID, &["dsu_protocol_invalid"]),
    (SERVICE_CODE_INVALID, &["service_code_invalid"]),
    (SERVICE_CODE_UNKNOWN, &["service_code_unknown"]),
    (CF_INVALID, &["cf_check_char"]),
    (NOT_RESIDENT, &["beneficiary_not_resident"]),
    (MISSING_REQUIRED, &["required_missing"]),
    (DUPLICATE_ROW, &["duplicate_row"]),
    (DUPLICATE_ENTRY, &["duplicate_entry"]),
];

/// Every injected mistake that the pipeline repairs, and the repair kinds
/// it records.
pub const REPAIRED: &[(&str, &[&str])] = &[
    (CF_TYPING, &["case", "trim", "whitespace"]),
    (CURRENCY_SYMBOL, &["currency_symbol"]),
];

/// A resident who receives benefits.
#[derive(Debug, Clone)]
struct Candidate {
    tax_code: String,
    birth: NaiveDate,
    foreign: bool,
    family_size: usize,
}

/// Picks the beneficiaries among the residents while the anagrafe sample is
/// generated (in its order, with a stream of its own).
pub(crate) struct Beneficiaries {
    rng: SmallRng,
    list: Vec<Candidate>,
    /// The first resident considered: the beneficiary of last resort, so
    /// that every comune has at least one prestazione.
    fallback: Option<Candidate>,
}

fn age_at(birth: NaiveDate, on: NaiveDate) -> u32 {
    on.years_since(birth).unwrap_or(0)
}

impl Beneficiaries {
    pub(crate) fn new(seed: u64, istat: &str) -> Beneficiaries {
        Beneficiaries {
            rng: comune_rng(seed ^ SALT, istat),
            list: Vec::new(),
            fallback: None,
        }
    }

    /// A resident whose anagrafe row is valid (it will be in `persona`).
    pub(crate) fn consider(&mut self, p: &Person, family_size: usize) {
        // Babies of the last two months have received nothing yet.
        if p.birth_date + Days::new(61) > EXTRACTION_DATE {
            return;
        }
        let rate = match age_at(p.birth_date, EXTRACTION_DATE) {
            80.. => 0.14,
            65..=79 => 0.06,
            0..=17 => 0.05,
            _ => 0.03,
        };
        let c = Candidate {
            tax_code: p.tax_code.clone(),
            birth: p.birth_date,
            foreign: p.citizenship != super::places::ITALIA_ISTAT,
            family_size,
        };
        if chance(&mut self.rng, rate) {
            self.list.push(c);
        } else if self.fallback.is_none() {
            self.fallback = Some(c);
        }
    }
}

/// What was written for a comune.
#[derive(Debug, Default)]
pub(crate) struct Written {
    pub files: Vec<PathBuf>,
    pub rows: u64,
    pub defects: BTreeMap<&'static str, u64>,
}

/// A value in schema terms.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Empty,
    Text(String),
    Date(NaiveDate),
    BadDate { year: i32, month: u32, day: u32 },
    Num(f64),
}

/// One row in schema terms.
#[derive(Debug, Clone)]
struct Row {
    kind: Kind,
    module: Option<&'static str>,
    values: Vec<V>,
    /// Whether the benefit is a monetary contribution.
    economic: bool,
    periodic: bool,
}

impl Row {
    fn new(kind: Kind) -> Row {
        Row {
            kind,
            module: None,
            values: vec![V::Empty; Target::COUNT],
            economic: false,
            periodic: false,
        }
    }

    fn set(&mut self, t: Target, v: V) {
        self.values[t as usize] = v;
    }

    fn text(&mut self, t: Target, s: impl Into<String>) {
        self.set(t, V::Text(s.into()));
    }

    fn get(&self, t: Target) -> &V {
        &self.values[t as usize]
    }

    fn date(&self, t: Target) -> Option<NaiveDate> {
        match self.get(t) {
            V::Date(d) => Some(*d),
            _ => None,
        }
    }
}

/// A benefit of the catalogue.
#[derive(Clone, Copy)]
struct Benefit {
    module: &'static str,
    code: &'static str,
    periodic: bool,
    /// Monthly (periodic) or total (one-off) amount, euro; for home care the
    /// hourly cost when `hours` is set.
    amount: (u32, u32),
    /// Monthly hours of service (home care, educational support).
    hours: Option<(u32, u32)>,
    /// PresenzaProvaMezzi.
    means_test: &'static str,
    taken_in_charge: bool,
    area: &'static str,
    /// Share of the cost paid by the user (max %), or by the SSN.
    shares: Shares,
    /// Comes with a SINA assessment (elderly home care).
    sina: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Shares {
    None,
    User(u32),
    Ssn,
}

const fn b(
    module: &'static str,
    code: &'static str,
    periodic: bool,
    amount: (u32, u32),
    means_test: &'static str,
    taken_in_charge: bool,
    area: &'static str,
) -> Benefit {
    Benefit {
        module,
        code,
        periodic,
        amount,
        hours: None,
        means_test,
        taken_in_charge,
        area,
        shares: Shares::None,
        sina: false,
    }
}

const SAD: Benefit = Benefit {
    hours: Some((8, 40)),
    shares: Shares::User(25),
    sina: true,
    ..b("assistenza_domiciliare", "A2.07", true, (21, 23), "1", true, "2")
};
const ADI: Benefit = Benefit {
    hours: Some((6, 20)),
    shares: Shares::Ssn,
    sina: true,
    ..b("assistenza_domiciliare", "A2.08", true, (26, 30), "4", true, "2")
};
const DOMICILIARITA: Benefit = Benefit {
    sina: true,
    ..b(
        "assistenza_domiciliare",
        "A1.11",
        true,
        (200, 500),
        "1",
        true,
        "2",
    )
};
const RETTA_RSA: Benefit = b("servizi_residenziali", "A1.14", true, (400, 1200), "1", true, "2");
const RESIDENZIALE: Benefit = Benefit {
    shares: Shares::User(60),
    ..b(
        "servizi_residenziali",
        "A3.02",
        true,
        (1800, 3200),
        "1",
        true,
        "2",
    )
};
const REDDITO_UNA_TANTUM: Benefit = b("sostegno_reddito", "A1.04", false, (150, 900), "1", false, "3");
const REDDITO_PERIODICO: Benefit = b("sostegno_reddito", "A1.04", true, (150, 500), "1", true, "3");
const ALLOGGIO: Benefit = b("sostegno_reddito", "A1.05", false, (300, 1500), "1", false, "3");
const AFFITTO: Benefit = b(
    "sostegno_reddito",
    "A1.05.01",
    false,
    (400, 2400),
    "1",
    false,
    "3",
);
const BUONI_SPESA: Benefit = b("sostegno_reddito", "A1.06", false, (50, 300), "1", false, "3");
const INSERIMENTO: Benefit = b("inclusione_attiva", "A2.09", true, (150, 400), "4", true, "3");
const CONTRIBUTO_LAVORO: Benefit = b("inclusione_attiva", "A1.18", true, (300, 600), "1", true, "3");
const REPERIMENTO_ALLOGGI: Benefit = b("segretariato_sociale", "A2.16", false, (60, 200), "4", true, "3");
const SEGRETARIATO: Benefit = b("segretariato_sociale", "Z9.99", false, (30, 120), "4", false, "3");
const STRANIERI: Benefit = b("accoglienza_stranieri", "A2.14", true, (100, 350), "4", true, "3");
const STRANIERI_CONTRIBUTO: Benefit = b(
    "accoglienza_stranieri",
    "A1.04",
    false,
    (200, 600),
    "1",
    false,
    "3",
);
const EDUCATIVA: Benefit = Benefit {
    hours: Some((4, 16)),
    ..b("minori_famiglie", "A2.02", true, (23, 26), "4", true, "1")
};
const NIDO: Benefit = b("minori_famiglie", "A1.07", true, (120, 350), "1", false, "1");
const SCUOLA: Benefit = b("minori_famiglie", "A1.09", false, (60, 350), "1", false, "1");
const MENSA: Benefit = b("minori_famiglie", "A2.12", true, (30, 80), "1", false, "1");

/// Operators of the social service (the `OPERATORE` column).
const OPERATORS: &[&str] = &[
    "A.S. ROSSI M.",
    "A.S. BIANCHI L.",
    "A.S. COLOMBO G.",
    "A.S. FERRARI S.",
    "A.S. ESPOSITO R.",
    "A.S. RIVA C.",
];
const NOTES: &[&str] = &[
    "RINNOVO",
    "IN ATTESA DI ISEE",
    "SOSPESO PER RICOVERO",
    "VEDI RELAZIONE",
];

fn day_between(rng: &mut SmallRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    from + Days::new(rng.random_range(0..=span as u64))
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn last_of_month(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    ymd(ny, nm, 1) - Days::new(1)
}

fn euros(cents: i64) -> f64 {
    cents as f64 / 100.0
}

struct Gen<'r> {
    rng: &'r mut SmallRng,
    year: i32,
    next_ps: u64,
    next_sina: u64,
    next_sinba: u64,
    next_protocol: u64,
    b_style: bool,
}

impl Gen<'_> {
    fn identifier(&mut self, kind: Kind) -> String {
        match kind {
            Kind::Prestazioni => {
                self.next_ps += 1;
                if self.b_style {
                    format!("{}/{:05}", self.year, self.next_ps)
                } else {
                    format!("{}", 100_000 + self.next_ps * 7)
                }
            }
            Kind::Sina => {
                self.next_sina += 1;
                format!("V{:05}", self.next_sina)
            }
            Kind::Sinba => {
                self.next_sinba += 1;
                format!("M{:04}", self.next_sinba)
            }
        }
    }

    fn dsu(&mut self, row: &mut Row, reference: NaiveDate) {
        if !chance(self.rng, 0.92) {
            return;
        }
        let year = reference.year();
        let latest = reference.min(ymd(year, 4, 30));
        let date = day_between(self.rng, ymd(year, 1, 1), latest);
        let number: u32 = self.rng.random_range(0..100_000_000);
        let letter = (b'A' + self.rng.random_range(0..26u8)) as char;
        let suffix = if chance(self.rng, 0.05) { "01" } else { "00" };
        row.text(
            Target::DsuProtocol,
            format!("INPS-ISEE-{year}-{number:08}{letter}-{suffix}"),
        );
        row.text(Target::DsuYear, year.to_string());
        row.set(Target::DsuDate, V::Date(date));
    }

    /// A prestazione of `benefit` to `c`.
    fn prestazione(&mut self, c: &Candidate, benefit: &Benefit) -> Row {
        let mut row = Row::new(Kind::Prestazioni);
        row.module = Some(benefit.module);
        row.economic = prestazioni::is_economic(benefit.code);
        row.periodic = benefit.periodic;
        let id = self.identifier(Kind::Prestazioni);
        row.text(Target::Identifier, id);
        row.text(Target::TaxCode, c.tax_code.clone());
        row.text(Target::Module, benefit.module);
        row.text(Target::ServiceCode, benefit.code);
        // Z9.99 is "Altro" in the INPS table, too short for DenominazionePrestazione (10–200
        // characters): the social worker describes the service.
        let name = match benefit.code {
            "Z9.99" => "Segretariato sociale: informazione e orientamento",
            code => prestazioni::codice(code)
                .and_then(|p| p.label)
                .unwrap_or("Interventi per l'integrazione sociale dei soggetti deboli o a rischio"),
        };
        row.text(Target::ServiceName, name);
        row.text(Target::BenefitCharacter, if benefit.periodic { "1" } else { "2" });
        row.text(Target::MeansTest, benefit.means_test);
        row.text(
            Target::TakenInCharge,
            if benefit.taken_in_charge { "1" } else { "2" },
        );
        if benefit.taken_in_charge || chance(self.rng, 0.5) {
            row.text(Target::UserArea, benefit.area);
        }
        let (lo, hi) = benefit.amount;
        let reference;
        let cost_cents: i64;
        // Nothing before the beneficiary is a month old.
        let not_before = (c.birth + Days::new(30)).max(ymd(self.year, 1, 1));
        if benefit.periodic {
            let first_month = if not_before.day() == 1 {
                not_before.month()
            } else {
                not_before.month() + 1
            };
            let month = self
                .rng
                .random_range(first_month.min(10)..=10u32)
                .max(first_month.min(12));
            let start = ymd(self.year, month, 1);
            let spans = chance(self.rng, 0.08);
            let (end, months) = if spans {
                let end_month = self.rng.random_range(1..=6u32);
                (
                    last_of_month(self.year + 1, end_month),
                    (13 - month + end_month).min(12),
                )
            } else {
                let n = self.rng.random_range(3..=(13 - month).max(3));
                let end_month = (month + n - 1).min(12);
                (last_of_month(self.year, end_month), end_month - month + 1)
            };
            row.set(Target::StartDate, V::Date(start));
            row.set(Target::EndDate, V::Date(end));
            row.text(Target::Months, months.to_string());
            reference = start;
            cost_cents = match benefit.hours {
                Some((hl, hh)) => {
                    let hours = self.rng.random_range(hl..=hh);
                    row.set(Target::MonthlyHours, V::Num(f64::from(hours)));
                    let hourly = self.rng.random_range(lo * 100..=hi * 100);
                    i64::from(hours) * i64::from(hourly)
                }
                // Contributions are round figures.
                None => i64::from(self.rng.random_range(lo / 5..=hi / 5) * 5) * 100,
            };
            row.set(Target::MonthlyAmount, V::Num(euros(cost_cents)));
        } else {
            let delivery = day_between(
                self.rng,
                ymd(self.year, 1, 10).max(not_before),
                ymd(self.year, 12, 20),
            )
            .min(EXTRACTION_DATE);
            row.set(Target::DeliveryDate, V::Date(delivery));
            reference = delivery;
            cost_cents = if row.economic {
                i64::from(self.rng.random_range(lo / 5..=hi / 5) * 5) * 100
            } else {
                i64::from(self.rng.random_range(lo * 100..=hi * 100))
            };
            row.set(Target::Amount, V::Num(euros(cost_cents)));
            if benefit.code == "A1.05.01" {
                row.set(
                    Target::EventDate,
                    V::Date(day_between(self.rng, reference - Days::new(60), reference)),
                );
            }
        }
        match benefit.shares {
            Shares::None => {}
            Shares::User(max) => {
                let pct = i64::from(self.rng.random_range(0..=max));
                let user = cost_cents * pct / 100;
                row.set(Target::UserShare, V::Num(euros(user)));
                row.set(Target::EntityShare, V::Num(euros(cost_cents - user)));
            }
            Shares::Ssn => {
                let ssn = cost_cents / 2;
                row.set(Target::HealthServiceShare, V::Num(euros(ssn)));
                row.set(Target::EntityShare, V::Num(euros(cost_cents - ssn)));
            }
        }
        self.next_protocol += 1;
        let applied = day_between(self.rng, reference - Days::new(90), reference);
        row.text(
            Target::ApplicationProtocol,
            format!("{}/{:06}", applied.year(), 1000 + self.next_protocol * 3),
        );
        if benefit.means_test == "1" {
            self.dsu(&mut row, reference);
        }
        row
    }

    fn sina(&mut self, c: &Candidate, prestazione: &Row, codes: &[&str]) -> Row {
        let mut row = Row::new(Kind::Sina);
        let id = self.identifier(Kind::Sina);
        row.text(Target::Identifier, id);
        row.text(Target::TaxCode, c.tax_code.clone());
        let start = prestazione
            .date(Target::StartDate)
            .unwrap_or(ymd(self.year, 1, 15));
        let date = day_between(self.rng, (start - Days::new(60)).max(ymd(self.year, 1, 2)), start);
        row.set(Target::AssessmentDate, V::Date(date));
        if let V::Text(id) = prestazione.get(Target::Identifier) {
            row.text(Target::ServiceIdentifier, id.clone());
        }
        let age = age_at(c.birth, date);
        // Dependency grows with age.
        let level = |rng: &mut SmallRng| -> &'static str {
            let w = if age >= 85 { [2u32, 4, 4] } else { [4, 4, 2] };
            ["1", "2", "3"][weighted_index(rng, w.into_iter())]
        };
        row.text(Target::Mobility, level(self.rng));
        row.text(Target::DailyLivingActivities, level(self.rng));
        if chance(self.rng, 0.7) {
            row.text(Target::CognitiveDisorders, level(self.rng));
        }
        row.text(
            Target::BehaviouralDisorders,
            if chance(self.rng, 0.2) { "2" } else { "1" },
        );
        if chance(self.rng, 0.8) {
            row.text(Target::HealthCareNeeds, level(self.rng));
        }
        row.text(Target::IncomeArea, *pick(self.rng, &["1", "2", "2", "3"]));
        row.text(Target::SupportNetwork, *pick(self.rng, &["1", "2", "2", "3"]));
        row.text(Target::AssessmentSource, *pick(self.rng, &["1", "1", "2", "4"]));
        row.text(
            Target::AssessmentTool,
            *pick(self.rng, &["1", "1", "1", "5", "7"]),
        );
        if chance(self.rng, 0.55) {
            row.text(Target::DisabilitySource, "1");
            let inv = *pick(self.rng, &["1", "2", "3", "2;6", "6", "1;5"]);
            row.text(Target::CivilInvalidity, inv);
        }
        row.text(Target::NeededServices, codes.join(";"));
        row
    }

    fn sinba(&mut self, c: &Candidate, benefits: &[Row]) -> Row {
        let mut row = Row::new(Kind::Sinba);
        let id = self.identifier(Kind::Sinba);
        row.text(Target::Identifier, id);
        row.text(Target::TaxCode, c.tax_code.clone());
        let first = benefits
            .iter()
            .filter_map(|b| b.date(Target::StartDate).or(b.date(Target::DeliveryDate)))
            .min()
            .unwrap_or(ymd(self.year, 6, 1));
        let open = day_between(
            self.rng,
            (first - Days::new(120)).max(ymd(self.year, 1, 2)).max(c.birth),
            first,
        )
        .max(c.birth);
        row.set(Target::CaseOpenDate, V::Date(open));
        let report = day_between(self.rng, (open - Days::new(180)).max(c.birth), open);
        row.set(Target::FirstReportDate, V::Date(report));
        if chance(self.rng, 0.2) {
            let close = day_between(self.rng, open + Days::new(30), EXTRACTION_DATE);
            row.set(Target::CaseCloseDate, V::Date(close.max(open)));
            if chance(self.rng, 0.9) {
                row.text(Target::ClosingReason, *pick(self.rng, &["1", "2", "3", "5", "9"]));
            }
        }
        let age = age_at(c.birth, open);
        row.text(Target::ReportSource, self.rng.random_range(1..=14u32).to_string());
        let msna = c.foreign && age >= 14 && c.family_size == 1;
        row.text(Target::UnaccompaniedForeignMinor, if msna { "1" } else { "2" });
        row.text(
            Target::MinorCondition,
            *pick(self.rng, &["1", "1", "1", "2", "3"]),
        );
        row.text(
            Target::LivingPlace,
            if msna {
                "5"
            } else {
                *pick(self.rng, &["1", "1", "2"])
            },
        );
        let school = match age {
            0..=2 => "1",
            3..=5 => "2",
            6..=10 => "3",
            11..=13 => "4",
            _ => "5",
        };
        row.text(Target::SchoolAttended, school);
        row.text(Target::WorkCondition, "1");
        row.text(Target::Disability, if chance(self.rng, 0.1) { "1" } else { "2" });
        row.text(
            Target::MinorAssessment,
            self.rng.random_range(1..=13u32).to_string(),
        );
        row.text(
            Target::FamilyAssessment,
            self.rng.random_range(1..=13u32).to_string(),
        );
        let judicial = chance(self.rng, 0.25);
        row.text(Target::JudicialReport, if judicial { "1" } else { "2" });
        let measure = judicial && chance(self.rng, 0.6);
        row.text(Target::JudicialMeasure, if measure { "1" } else { "2" });
        if measure {
            row.set(
                Target::JudicialMeasureDate,
                V::Date(day_between(self.rng, report, open)),
            );
        }
        let mut codes: Vec<String> = benefits
            .iter()
            .filter_map(|b| match b.get(Target::ServiceCode) {
                V::Text(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        codes.dedup();
        if codes.is_empty() {
            codes.push("A2.02".into());
        }
        row.text(Target::Services, codes.join(";"));
        let family = match c.family_size {
            0 | 1 => "6",
            2 => "1",
            3 => "1;2",
            _ => "1;2;3",
        };
        row.text(Target::FamilyComposition, family);
        row.text(Target::IseeBand, self.rng.random_range(1..=6u32).to_string());
        row.text(
            Target::IseeHouseholdMembers,
            c.family_size.clamp(1, 9).to_string(),
        );
        row
    }

    /// The benefits of one beneficiary, with their SINA and SINBA rows.
    fn beneficiary(&mut self, c: &Candidate) -> Vec<Row> {
        let age = age_at(c.birth, EXTRACTION_DATE);
        let catalogue: Vec<(Benefit, u32)> = if age >= 65 {
            vec![
                (SAD, 40),
                (ADI, 12),
                (DOMICILIARITA, 12),
                (RETTA_RSA, 10),
                (RESIDENZIALE, 6),
                (REDDITO_UNA_TANTUM, 15),
                (BUONI_SPESA, 5),
            ]
        } else if age < 18 {
            let mut v = vec![(EDUCATIVA, 35)];
            if age < 3 {
                v.push((NIDO, 30));
            }
            if (3..=14).contains(&age) {
                v.push((MENSA, 20));
            }
            if (6..=14).contains(&age) {
                v.push((SCUOLA, 25));
            }
            v
        } else {
            let mut v = vec![
                (REDDITO_UNA_TANTUM, 20),
                (REDDITO_PERIODICO, 12),
                (ALLOGGIO, 8),
                (AFFITTO, 10),
                (BUONI_SPESA, 14),
                (INSERIMENTO, 10),
                (CONTRIBUTO_LAVORO, 6),
                (REPERIMENTO_ALLOGGI, 8),
                (SEGRETARIATO, 6),
            ];
            if c.foreign {
                v.push((STRANIERI, 25));
                v.push((STRANIERI_CONTRIBUTO, 15));
            }
            v
        };
        let n = 1 + weighted_index(self.rng, [65u32, 28, 7].into_iter());
        let mut chosen: Vec<Benefit> = Vec::new();
        for _ in 0..n {
            let i = weighted_index(self.rng, catalogue.iter().map(|(_, w)| *w));
            let benefit = catalogue[i].0;
            if !chosen
                .iter()
                .any(|x| x.code == benefit.code && x.periodic == benefit.periodic)
            {
                chosen.push(benefit);
            }
        }
        let mut rows: Vec<Row> = chosen.iter().map(|b| self.prestazione(c, b)).collect();
        let mut extra = Vec::new();
        if let Some((i, _)) = chosen.iter().enumerate().find(|(_, b)| b.sina) {
            if chance(self.rng, 0.8) {
                let codes: Vec<&str> = chosen.iter().filter(|b| b.sina).map(|b| b.code).collect();
                extra.push(self.sina(c, &rows[i], &codes));
            }
        }
        if age < 18 {
            let educativa = chosen.iter().any(|b| b.code == EDUCATIVA.code);
            if educativa || chance(self.rng, 0.15) {
                extra.push(self.sinba(c, &rows));
            }
        }
        rows.extend(extra);
        rows
    }
}

/// The writing plan of one `[[sociale]]` source.
struct Plan<'d> {
    spec: &'d SocialeSourceSpec,
    kind: Kind,
    columns: Vec<OutCol>,
    titles: Vec<String>,
    path: PathBuf,
    dir: PathBuf,
    prefix: String,
    suffix: Option<String>,
    rows: Vec<Row>,
}

enum OutCol {
    Field {
        target: Target,
        reverse: BTreeMap<String, String>,
        date_format: Option<String>,
    },
    Extra(SExtra),
}

impl<'d> Plan<'d> {
    fn new(
        def: &SourceDefinition,
        spec: &'d SocialeSourceSpec,
        comune: &ComuneCm,
        data_dir: &Path,
    ) -> Result<Plan<'d>, SampleError> {
        let unsupported = |reason: &str| SampleError::Unsupported {
            comune: def.istat().to_string(),
            source_name: spec.name.clone(),
            reason: reason.to_string(),
        };
        let kind = spec.kind().ok_or_else(|| unsupported("unknown kind"))?;
        if matches!(spec.read.format, Format::Xls) {
            return Err(unsupported("cannot write legacy .xls files; use xlsx"));
        }
        let (dir, prefix, suffix) = split_url(def.istat(), &spec.name, &spec.url)?;
        let mut mapped: Vec<(usize, Target, &crate::config::ColumnMapping)> = spec
            .columns
            .iter()
            .filter_map(|(k, m)| Target::from_name(k.get_ref()).map(|t| (k.span().start, t, m)))
            .collect();
        mapped.sort_by_key(|(pos, t, _)| (*pos, *t));
        let mut names: Vec<String> = Vec::new();
        let mut columns = Vec::new();
        for (_, target, m) in mapped {
            if names.iter().any(|n| n == m.column()) {
                continue;
            }
            let mut reverse = BTreeMap::new();
            if let Some(values) = m.values() {
                for (source, schema) in values {
                    reverse.entry(schema.clone()).or_insert_with(|| source.clone());
                }
            }
            names.push(m.column().to_string());
            columns.push(OutCol::Field {
                target,
                reverse,
                date_format: m.date_format().map(str::to_string),
            });
        }
        // The layout's unmapped columns, at the end.
        let layout = sociale_layouts::find(&spec.name, kind, &spec.url);
        let mut titles: Vec<String> = Vec::new();
        if let Some(l) = layout {
            for c in l.columns {
                if let SCol::Extra { column, kind } = c {
                    if !names.iter().any(|n| n == column) {
                        names.push((*column).to_string());
                        columns.push(OutCol::Extra(*kind));
                    }
                }
            }
            titles = l
                .titles
                .iter()
                .map(|t| t.replace("{comune}", &comune.denominazione))
                .collect();
        }
        let titles = match (spec.read.header_row, spec.read.format) {
            (_, Format::Parquet | Format::Json | Format::Ndjson) => Vec::new(),
            (HeaderRow::Row(n), _) => {
                let mut t = titles;
                t.resize(n as usize - 1, String::new());
                t
            }
            (HeaderRow::Auto, Format::Csv) => Vec::new(),
            (HeaderRow::Auto, _) => titles,
        };
        let part = super::plan::single_part();
        let path = match &suffix {
            Some(s) => data_dir.join(&dir).join(format!("{prefix}{part}{s}")),
            None => data_dir.join(&dir).join(&prefix),
        };
        Ok(Plan {
            spec,
            kind,
            columns,
            titles,
            path,
            dir: data_dir.join(dir),
            prefix,
            suffix,
            rows: Vec::new(),
        })
    }

    fn header(&self) -> Vec<String> {
        let mut names = Vec::new();
        for c in &self.columns {
            names.push(match c {
                OutCol::Field { target, .. } => self
                    .spec
                    .column(target.name())
                    .map(|m| m.column().to_string())
                    .unwrap_or_default(),
                OutCol::Extra(e) => {
                    let layout = sociale_layouts::find(&self.spec.name, self.kind, &self.spec.url);
                    layout
                        .and_then(|l| {
                            l.columns.iter().find_map(|c| match c {
                                SCol::Extra { column, kind } if kind == e => Some(column.to_string()),
                                _ => None,
                            })
                        })
                        .unwrap_or_default()
                }
            });
        }
        names
    }

    fn mapped(&self, t: Target) -> bool {
        self.spec.column(t.name()).is_some()
    }

    fn accepts(&self, row: &Row) -> bool {
        self.kind == row.kind
            && match self.spec.module() {
                Some(m) => row.module == Some(m),
                None => row.kind != Kind::Prestazioni || self.mapped(Target::Module),
            }
    }

    fn matches(&self, file_name: &str) -> bool {
        match &self.suffix {
            Some(s) => {
                file_name.len() >= self.prefix.len() + s.len()
                    && file_name.starts_with(&self.prefix)
                    && file_name.ends_with(s.as_str())
            }
            None => file_name == self.prefix,
        }
    }

    fn encode(&self, row: &Row, rng: &mut SmallRng, operator: &str) -> Vec<Cell> {
        self.columns
            .iter()
            .map(|c| match c {
                OutCol::Field {
                    target,
                    reverse,
                    date_format,
                } => {
                    let fmt = date_format.as_deref().unwrap_or("%Y-%m-%d");
                    match row.get(*target) {
                        V::Empty => Cell::Null,
                        V::Text(s) => Cell::Str(reverse.get(s).cloned().unwrap_or_else(|| s.clone())),
                        V::Date(d) => Cell::Str(format_date(*d, fmt)),
                        V::BadDate { year, month, day } => Cell::Str(
                            format_date_parts(fmt, *year, *month, *day)
                                .unwrap_or_else(|| format!("{day:02}/{month:02}/{year:04}")),
                        ),
                        V::Num(n) => Cell::Number(*n),
                    }
                }
                OutCol::Extra(SExtra::Operatore) => Cell::Str(operator.to_string()),
                OutCol::Extra(SExtra::Note) => {
                    if chance(rng, 0.04) {
                        Cell::Str(pick(rng, NOTES).to_string())
                    } else {
                        Cell::Null
                    }
                }
            })
            .collect()
    }
}

/// A codice fiscale of someone who does not live in the comune.
fn outsider(rng: &mut SmallRng, year: i32) -> String {
    let sex = if chance(rng, 0.5) { Sex::M } else { Sex::F };
    let given = if sex == Sex::M {
        *pick(rng, MALE_CLASSIC)
    } else {
        *pick(rng, FEMALE_CLASSIC)
    };
    let birth = ymd(
        rng.random_range(1940..year - 20),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
    );
    let surname: &&str = pick(rng, SURNAMES);
    cf::compute(surname, given, sex, birth, "F205")
}

/// Injects at most one rejecting mistake (or a warned one) into a row
/// about to be written with `plan`; returns its name.
fn mistake(rng: &mut SmallRng, row: &mut Row, plan: &Plan<'_>, year: i32) -> Option<&'static str> {
    let rates: &[(&str, f64)] = match row.kind {
        Kind::Prestazioni => &[
            (DATE_INVALID, 0.012),
            (DATE_MISSING, 0.012),
            (END_BEFORE_START, 0.01),
            (DATE_IN_FUTURE, 0.008),
            (AMOUNT_MISSING, 0.012),
            (DSU_PARTIAL, 0.015),
            (DSU_PROTOCOL_INVALID, 0.008),
            (SERVICE_CODE_INVALID, 0.01),
            (CF_INVALID, 0.008),
            (NOT_RESIDENT, 0.015),
            (SERVICE_CODE_UNKNOWN, 0.008),
        ],
        Kind::Sina => &[
            (MISSING_REQUIRED, 0.02),
            (DATE_IN_FUTURE, 0.01),
            (CF_INVALID, 0.01),
            (NOT_RESIDENT, 0.01),
        ],
        Kind::Sinba => &[
            (END_BEFORE_START, 0.03),
            (MISSING_REQUIRED, 0.02),
            (CF_INVALID, 0.01),
        ],
    };
    let x: f64 = rng.random();
    let mut acc = 0.0;
    let kind = rates.iter().find_map(|(k, r)| {
        acc += r;
        (x < acc).then_some(*k)
    })?;
    let periodic_start = if row.periodic {
        Target::StartDate
    } else {
        Target::DeliveryDate
    };
    let done = match (kind, row.kind) {
        (DATE_INVALID, Kind::Prestazioni) => match row.date(periodic_start) {
            Some(d) if plan.mapped(periodic_start) => {
                let month = *pick(rng, &[2u32, 4, 6, 9, 11]);
                let day = if month == 2 { 30 } else { 31 };
                row.set(
                    periodic_start,
                    V::BadDate {
                        year: d.year(),
                        month,
                        day,
                    },
                );
                true
            }
            _ => false,
        },
        (DATE_MISSING, _) => {
            row.set(periodic_start, V::Empty);
            true
        }
        (END_BEFORE_START, Kind::Prestazioni) => match row.date(Target::StartDate) {
            Some(s) if row.periodic && plan.mapped(Target::EndDate) && s.month() > 1 => {
                let end = s - Days::new(rng.random_range(1..=25));
                row.set(Target::EndDate, V::Date(end));
                true
            }
            _ => false,
        },
        (END_BEFORE_START, Kind::Sinba) => match row.date(Target::CaseOpenDate) {
            Some(o) if plan.mapped(Target::CaseCloseDate) && o.ordinal() > 30 => {
                row.set(
                    Target::CaseCloseDate,
                    V::Date(o - Days::new(rng.random_range(1..=30))),
                );
                row.text(Target::ClosingReason, "2");
                true
            }
            _ => false,
        },
        (DATE_IN_FUTURE, _) => {
            let t = match row.kind {
                Kind::Prestazioni => periodic_start,
                Kind::Sina => Target::AssessmentDate,
                Kind::Sinba => Target::CaseOpenDate,
            };
            match row.date(t) {
                // 2025 typed as 2052.
                Some(d) if plan.mapped(t) => match d.with_year(2052) {
                    Some(f) => {
                        row.set(t, V::Date(f));
                        true
                    }
                    None => false,
                },
                _ => false,
            }
        }
        (AMOUNT_MISSING, _) if row.economic => {
            let t = if row.periodic {
                Target::MonthlyAmount
            } else {
                Target::Amount
            };
            row.set(t, V::Empty);
            // The shares went with it.
            for s in [Target::EntityShare, Target::UserShare, Target::HealthServiceShare] {
                row.set(s, V::Empty);
            }
            true
        }
        (DSU_PARTIAL, _) if !matches!(row.get(Target::DsuProtocol), V::Empty) => {
            let t = *pick(rng, &[Target::DsuYear, Target::DsuDate]);
            row.set(t, V::Empty);
            true
        }
        (DSU_PROTOCOL_INVALID, _) => match row.get(Target::DsuProtocol).clone() {
            V::Text(p) if plan.mapped(Target::DsuProtocol) => {
                // A digit lost: INPS-ISEE-2025-0148072D-00.
                let mut p = p;
                p.remove(16);
                row.text(Target::DsuProtocol, p);
                true
            }
            _ => false,
        },
        (SERVICE_CODE_INVALID, _) => {
            let code = *pick(rng, &["SAD", "A1.4", "A01.04", "ADI", "CONTR-ECON"]);
            row.text(Target::ServiceCode, code);
            true
        }
        (SERVICE_CODE_UNKNOWN, _) => {
            let code = *pick(rng, &["A1.99", "A2.15", "A2.30", "A3.09"]);
            row.text(Target::ServiceCode, code);
            true
        }
        (CF_INVALID, _) => match row.get(Target::TaxCode).clone() {
            V::Text(code) => {
                let last = code.chars().last().unwrap_or('A');
                let wrong = if last == 'Z' {
                    'A'
                } else {
                    (last as u8 + 1) as char
                };
                row.text(Target::TaxCode, format!("{}{wrong}", &code[..15]));
                true
            }
            _ => false,
        },
        (NOT_RESIDENT, _) => {
            row.text(Target::TaxCode, outsider(rng, year));
            true
        }
        (MISSING_REQUIRED, Kind::Sina) => {
            row.set(Target::Mobility, V::Empty);
            true
        }
        (MISSING_REQUIRED, Kind::Sinba) => {
            row.set(Target::ReportSource, V::Empty);
            true
        }
        _ => false,
    };
    done.then_some(kind)
}

/// Repaired mistakes: a codice fiscale typed with spaces or in lower case,
/// an amount written with the euro sign (text formats).
fn typing(rng: &mut SmallRng, row: &mut Row, plan: &Plan<'_>) -> Vec<&'static str> {
    let mut out = Vec::new();
    if chance(rng, 0.02) {
        if let V::Text(code) = row.get(Target::TaxCode).clone() {
            let typed = if chance(rng, 0.5) {
                format!("{} ", code.to_lowercase())
            } else {
                format!("{} {}", &code[..6], &code[6..])
            };
            row.text(Target::TaxCode, typed);
            out.push(CF_TYPING);
        }
    }
    if plan.spec.read.format == Format::Csv && chance(rng, 0.01) {
        let t = if row.periodic {
            Target::MonthlyAmount
        } else {
            Target::Amount
        };
        if let V::Num(n) = row.get(t).clone() {
            row.text(t, format!("€ {}", number_text(n, &plan.spec.read)));
            out.push(CURRENCY_SYMBOL);
        }
    }
    out
}

/// Removes a comune's previous sociale sample: its `sample/sociale/<istat>`
/// folder and the files matching its sources' URLs.
fn clean(istat: &str, plans: &[Plan<'_>], data_dir: &Path) -> Result<(), SampleError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SampleError::Io { path, source }
    };
    let folder = data_dir.join("sample").join("sociale").join(istat);
    if folder.is_dir() {
        std::fs::remove_dir_all(&folder).map_err(io(&folder))?;
    }
    for p in plans {
        let Ok(entries) = std::fs::read_dir(&p.dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if e.file_type().is_ok_and(|t| t.is_file()) && name.to_str().is_some_and(|n| p.matches(n)) {
                std::fs::remove_file(e.path()).map_err(io(&e.path()))?;
            }
        }
    }
    Ok(())
}

/// Writes the comune's `[[sociale]]` exports for `beneficiaries`.
pub(crate) fn write(
    def: &SourceDefinition,
    comune: &ComuneCm,
    data_dir: &Path,
    mut beneficiaries: Beneficiaries,
) -> Result<Written, SampleError> {
    let mut plans: Vec<Plan<'_>> = def
        .sociale
        .iter()
        .map(|s| Plan::new(def, s, comune, data_dir))
        .collect::<Result<_, _>>()?;
    clean(&comune.codice_istat, &plans, data_dir)?;
    let mut written = Written {
        defects: DEFECTS.iter().chain(REPAIRED).map(|(k, _)| (*k, 0)).collect(),
        ..Written::default()
    };
    if beneficiaries.list.is_empty() {
        if let Some(f) = beneficiaries.fallback.take() {
            beneficiaries.list.push(f);
        }
    }
    let rng = &mut beneficiaries.rng;
    let year = EXTRACTION_DATE.year();
    let b_style = plans
        .iter()
        .any(|p| p.spec.read.format != Format::Csv && p.kind == Kind::Prestazioni);
    let mut gen = Gen {
        rng,
        year,
        next_ps: 0,
        next_sina: 0,
        next_sinba: 0,
        next_protocol: 0,
        b_style,
    };
    let mut rows = Vec::new();
    for c in &beneficiaries.list {
        rows.extend(gen.beneficiary(c));
    }
    let rng = gen.rng;
    // Route, then break: a row goes to the first source that takes it.
    let mut late: Vec<Vec<Row>> = plans.iter().map(|_| Vec::new()).collect();
    let mut reentered = 0u64;
    // Rejected rows stay well below the pipeline's guard (half of a
    // comune's rows): a small comune's export must not look broken.
    let budget = if rows.len() >= 8 { rows.len() / 4 } else { 0 };
    let mut rejected = 0;
    for mut row in rows {
        let Some(i) = plans.iter().position(|p| p.accepts(&row)) else {
            continue;
        };
        let plan = &plans[i];
        let hard = if rejected < budget {
            mistake(rng, &mut row, plan, year)
        } else {
            None
        };
        if let Some(k) = hard {
            *written.defects.entry(k).or_default() += 1;
        }
        let kept = hard.is_none() || hard == Some(NOT_RESIDENT) || hard == Some(SERVICE_CODE_UNKNOWN);
        if !kept {
            rejected += 1;
        }
        for k in typing(rng, &mut row, plan) {
            *written.defects.entry(k).or_default() += 1;
        }
        let twice = kept && rejected < budget && chance(rng, 0.008);
        let again =
            kept && rejected < budget && row.kind == Kind::Prestazioni && !twice && chance(rng, 0.008);
        if twice || again {
            rejected += 1;
        }
        if again {
            // Entered again later, under a new identifier.
            let mut copy = row.clone();
            reentered += 1;
            copy.text(Target::Identifier, reentered_identifier(&row, reentered));
            late[i].push(copy);
            *written.defects.entry(DUPLICATE_ENTRY).or_default() += 1;
        }
        let plan = &mut plans[i];
        if twice {
            plan.rows.push(row.clone());
            *written.defects.entry(DUPLICATE_ROW).or_default() += 1;
        }
        plan.rows.push(row);
    }
    for (plan, late) in plans.iter_mut().zip(late) {
        plan.rows.extend(late);
    }

    let operators: Vec<&str> = (0..3).map(|_| *pick(rng, OPERATORS)).collect();
    for plan in &plans {
        let header = plan.header();
        let author = "metrodati sample";
        let spec = SinkSpec {
            read: &plan.spec.read,
            header,
            titles: &plan.titles,
            author,
            typed_dates: Vec::new(),
        };
        let mut sink = open_sink(&spec, &plan.path, false)?;
        for row in &plan.rows {
            let op = *pick(rng, &operators);
            let cells = plan.encode(row, rng, op);
            sink.write_row(&cells, false)?;
            written.rows += 1;
        }
        sink.finish()?;
        written.files.push(plan.path.clone());
    }
    Ok(written)
}

/// The `n`-th fresh identifier in the style of `row`'s (a benefit entered
/// twice), outside the range of the generated ones.
fn reentered_identifier(row: &Row, n: u64) -> String {
    match row.get(Target::Identifier) {
        V::Text(id) if id.contains('/') => format!("{}/9{n:05}", &id[..4]),
        _ => format!("{}", 9_000_000 + n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defect_has_rules() {
        for (k, rules) in DEFECTS.iter().chain(REPAIRED) {
            assert!(!rules.is_empty(), "{k}");
        }
    }

    #[test]
    fn periods_stay_in_range() {
        let mut rng = comune_rng(1, "015146");
        let c = Candidate {
            tax_code: "RSSMRA40A41F205X".into(),
            birth: ymd(1940, 1, 1),
            foreign: false,
            family_size: 1,
        };
        let mut g = Gen {
            rng: &mut rng,
            year: 2025,
            next_ps: 0,
            next_sina: 0,
            next_sinba: 0,
            next_protocol: 0,
            b_style: false,
        };
        for _ in 0..500 {
            for r in g.beneficiary(&c) {
                if r.kind != Kind::Prestazioni {
                    continue;
                }
                if r.periodic {
                    let (s, e) = (
                        r.date(Target::StartDate).unwrap(),
                        r.date(Target::EndDate).unwrap(),
                    );
                    assert!(s < e && s.year() == 2025);
                    let V::Text(m) = r.get(Target::Months) else {
                        panic!()
                    };
                    assert!((1..=12).contains(&m.parse::<u32>().unwrap()));
                } else {
                    assert!(r.date(Target::DeliveryDate).unwrap() <= EXTRACTION_DATE);
                }
                if let (Some(d), Some(s)) = (
                    r.date(Target::DsuDate),
                    r.date(Target::StartDate).or(r.date(Target::DeliveryDate)),
                ) {
                    assert!(d <= s && d.year() == s.year());
                }
            }
        }
    }
}
