//! Synthetic residents: families with an intestatario, spouse or partner,
//! children, sometimes a parent; consistent ages, names, birthplaces,
//! citizenship, marital status, residence dates and a codice fiscale
//! computed from each person's own data.

use super::names::{self, FEMALE_CLASSIC, FEMALE_MODERN, MALE_CLASSIC, MALE_MODERN, SURNAMES};
use super::places::{
    self, Country, CountryInfo, Street, CM_HOSPITALS, COMMON_STREETS, COUNTRIES, ITALIA_ISTAT, MILANO,
    MILANO_STREETS, OLDEST_BIRTH_YEAR, OTHER_CITIES,
};
use super::random::{chance, pick, weighted_index};
use chrono::{Datelike, Days, NaiveDate};
use metrodati_interop::cf::{self, Sex};
use metrodati_interop::refdata::ComuneCm;
use rand::rngs::SmallRng;
use rand::Rng;
use std::collections::HashSet;

/// The day the synthetic exports are taken: ages, residence dates and the
/// file names are relative to it (never to the clock, so that the files are
/// reproducible).
pub(crate) const EXTRACTION_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2025, 12, 31) {
    Some(d) => d,
    None => panic!("valid constant date"),
};

/// Share of valid persons given an omocodic codice fiscale on purpose (on
/// top of the ones needed to keep codes unique).
const OMOCODE_RATE: f64 = 0.002;

/// One resident.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    /// Sequence number within the comune (1-based).
    pub id: u64,
    pub family_name: String,
    pub given_name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// Codice catastale valid at the birth date, or a foreign `Z` code.
    pub birth_place: &'static str,
    /// ISTAT state code (`100` Italy).
    pub citizenship: &'static str,
    /// ANPR stato civile.
    pub marital: &'static str,
    /// ANPR Tabella 5 relazione di parentela.
    pub relation: &'static str,
    pub residence_start: NaiveDate,
    pub tax_code: String,
}

/// A family's address.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub street: &'static Street,
    pub number: u32,
    pub exponent: Option<&'static str>,
    pub cap: String,
    /// Street code of the comune's stradario.
    pub street_code: u32,
}

/// A registered family (famiglia anagrafica).
#[derive(Debug, Clone)]
pub(crate) struct Family {
    /// Sequence number within the comune (1-based).
    pub code: u64,
    pub members: Vec<Person>,
    pub address: Address,
}

/// Generates the families of one comune, until the target population.
pub(crate) struct Generator {
    is_milano: bool,
    remaining: u64,
    next_family: u64,
    next_person: u64,
    streets: Vec<&'static Street>,
    cap: String,
    foreign_share: f64,
    used_codes: HashSet<[u8; 16]>,
}

#[derive(Clone, Copy)]
enum Origin {
    Italian,
    Foreign(&'static CountryInfo),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bond {
    Married,
    Partners,
    CivilUnion,
}

/// A person before names and codes are given.
struct Draft {
    sex: Sex,
    birth_date: NaiveDate,
    relation: &'static str,
    marital: &'static str,
    foreign: Option<&'static CountryInfo>,
    /// Index of the draft whose surname this one carries, or `None` for an
    /// own surname.
    surname_of: Option<usize>,
    residence_start: NaiveDate,
}

fn years_before(d: NaiveDate, years: u32) -> NaiveDate {
    d.with_year(d.year() - years as i32)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(d.year() - years as i32, 2, 28).expect("valid date"))
}

fn add_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.with_year(d.year() + years as i32)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(d.year() + years as i32, 3, 1).expect("valid date"))
}

/// A day uniformly drawn in `[from, to]` (`from` if the range is empty).
fn day_between(rng: &mut SmallRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    from + Days::new(rng.random_range(0..=span as u64))
}

/// A birth date for someone aged `age` at the extraction date.
fn birth_for_age(rng: &mut SmallRng, age: u32) -> NaiveDate {
    let age = age.min((EXTRACTION_DATE.year() - OLDEST_BIRTH_YEAR - 1) as u32);
    let latest = years_before(EXTRACTION_DATE, age);
    let earliest = years_before(EXTRACTION_DATE, age + 1) + Days::new(1);
    day_between(rng, earliest, latest)
}

fn age_of(birth: NaiveDate) -> u32 {
    EXTRACTION_DATE.years_since(birth).unwrap_or(0)
}

impl Generator {
    pub(crate) fn new(comune: &ComuneCm, persons: u64, rng: &mut SmallRng) -> Generator {
        let is_milano = comune.codice_istat == "015146";
        let streets: Vec<&'static Street> = if is_milano {
            MILANO_STREETS.iter().collect()
        } else {
            // A smaller comune has fewer streets: a stable subset of the pool.
            let mut all: Vec<&'static Street> = COMMON_STREETS.iter().collect();
            for i in (1..all.len()).rev() {
                let j = rng.random_range(0..=i);
                all.swap(i, j);
            }
            let k = ((f64::from(comune.popolazione)).sqrt() / 6.0).round() as usize;
            all.truncate(k.clamp(8, COMMON_STREETS.len()));
            all
        };
        Generator {
            is_milano,
            remaining: persons,
            next_family: 1,
            next_person: 1,
            streets,
            cap: places::comune_cap(&comune.codice_istat),
            // About 14% of the CM's residents are foreign: ~20% in Milano.
            foreign_share: if is_milano { 0.20 } else { 0.11 },
            used_codes: HashSet::new(),
        }
    }

    /// The next family, or `None` when the population is complete.
    pub(crate) fn next_family(&mut self, rng: &mut SmallRng) -> Option<Family> {
        if self.remaining == 0 {
            return None;
        }
        // ISTAT: 1 → 35%, 2 → 27%, 3 → 19%, 4 → 14%, 5+ → 5%.
        let size = match weighted_index(rng, [35u32, 27, 19, 14, 4, 1].into_iter()) {
            i @ 0..=4 => i as u64 + 1,
            _ => 6,
        };
        let size = size.min(self.remaining) as usize;
        self.remaining -= size as u64;

        let origin = if chance(rng, self.foreign_share) {
            let i = weighted_index(rng, COUNTRIES.iter().map(|c| c.weight));
            Origin::Foreign(&COUNTRIES[i])
        } else {
            Origin::Italian
        };
        let drafts = self.drafts(rng, size, origin);
        let members = self.people(rng, drafts);
        let address = self.address(rng);
        let code = self.next_family;
        self.next_family += 1;
        Some(Family {
            code,
            members,
            address,
        })
    }

    fn address(&self, rng: &mut SmallRng) -> Address {
        let street = *pick(rng, &self.streets);
        let max = if self.is_milano { 240.0 } else { 120.0 };
        // Low numbers are more frequent.
        let number = 1 + (rng.random::<f64>().powi(2) * max) as u32;
        let exponent = if chance(rng, 0.06) {
            Some(*pick(rng, &["A", "A", "B", "B", "C", "BIS"]))
        } else {
            None
        };
        let cap = street.cap.map(str::to_string).unwrap_or_else(|| self.cap.clone());
        let street_code = 1000 + super::layouts::fnv1a(street.name) % 9000;
        Address {
            street,
            number,
            exponent,
            cap,
            street_code,
        }
    }

    /// Sexes, ages, relations and marital status of a family of `size`.
    fn drafts(&self, rng: &mut SmallRng, size: usize, origin: Origin) -> Vec<Draft> {
        let foreign = match origin {
            Origin::Foreign(c) => Some(c),
            Origin::Italian => None,
        };
        let mut d: Vec<Draft> = Vec::with_capacity(size);
        let person = |sex, birth_date, relation, marital, surname_of| Draft {
            sex,
            birth_date,
            relation,
            marital,
            foreign,
            surname_of,
            residence_start: birth_date,
        };
        let r: f64 = rng.random();
        if size == 1 {
            // Half of the people living alone are 65 or older.
            let age = match weighted_index(rng, [28u32, 24, 48].into_iter()) {
                0 => rng.random_range(19..45),
                1 => rng.random_range(45..65),
                _ if chance(rng, 0.88) => rng.random_range(65..90),
                _ => rng.random_range(90..101),
            };
            let sex = if age >= 70 && chance(rng, 0.65) {
                Sex::F
            } else if chance(rng, 0.5) {
                Sex::M
            } else {
                Sex::F
            };
            let marital = single_marital(rng, age);
            d.push(person(sex, birth_for_age(rng, age), "1", marital, None));
        } else if (size == 2 && (0.62..0.9).contains(&r)) || (size >= 3 && (0.80..0.93).contains(&r)) {
            // Single parent with children.
            let children = size - 1;
            let ages = children_ages(rng, children);
            let parent_age = ages[0] + rng.random_range(22..40);
            let sex = if chance(rng, 0.8) { Sex::F } else { Sex::M };
            // Divorced, separated (still married), never married, widowed.
            let marital = ["4", "2", "1", "3"][weighted_index(rng, [30u32, 35, 25, 10].into_iter())];
            d.push(person(sex, birth_for_age(rng, parent_age), "1", marital, None));
            let own_surname = chance(rng, 0.4);
            for a in ages {
                let s = if chance(rng, 0.5) { Sex::M } else { Sex::F };
                let m = child_marital(rng, a);
                d.push(person(
                    s,
                    birth_for_age(rng, a),
                    "3",
                    m,
                    if own_surname { Some(0) } else { None },
                ));
            }
            if !own_surname {
                // Children carry their (absent) father's surname, all the same.
                for child in d.iter_mut().skip(2) {
                    child.surname_of = Some(1);
                }
            }
        } else if size == 2 && r >= 0.9 {
            // Adult living with an elderly parent.
            let age = rng.random_range(35..65);
            let sex = if chance(rng, 0.5) { Sex::M } else { Sex::F };
            d.push(person(
                sex,
                birth_for_age(rng, age),
                "1",
                single_marital(rng, age),
                None,
            ));
            self.push_parent(rng, &mut d, age, foreign);
        } else {
            // A couple, with children when size ≥ 3, sometimes with a parent.
            let with_parent = size >= 4 && chance(rng, 0.08);
            let children = size - 2 - usize::from(with_parent);
            let union = if children == 0 && chance(rng, 0.03) {
                Bond::CivilUnion
            } else if chance(rng, 0.17) {
                Bond::Partners
            } else {
                Bond::Married
            };
            let ages = children_ages(rng, children);
            let (a_age, b_age) = if children > 0 {
                let mother = ages[0] + rng.random_range(24..40);
                let father = (mother as i32 + rng.random_range(-2..7)).max(20) as u32;
                (father, mother)
            } else {
                // Couples without children at home are mostly older.
                let a = match weighted_index(rng, [20u32, 22, 38, 20].into_iter()) {
                    0 => rng.random_range(22..35u32),
                    1 => rng.random_range(35..55),
                    2 => rng.random_range(55..75),
                    _ => rng.random_range(75..92),
                };
                let b = (a as i32 - rng.random_range(-2..8)).clamp(19, 99) as u32;
                (a, b)
            };
            let (sex_a, sex_b) = if union == Bond::CivilUnion {
                let s = if chance(rng, 0.5) { Sex::M } else { Sex::F };
                (s, s)
            } else {
                (Sex::M, Sex::F)
            };
            let (relation_b, marital_a, marital_b) = match union {
                Bond::Married => ("2", "2", "2"),
                Bond::CivilUnion => ("28", "6", "6"),
                Bond::Partners => ("23", partner_marital(rng, a_age), partner_marital(rng, b_age)),
            };
            // The husband is usually the intestatario in older families.
            let b_first = sex_a != sex_b && chance(rng, 0.25);
            let (first, second) = if b_first {
                ((sex_b, b_age, marital_b), (sex_a, a_age, marital_a))
            } else {
                ((sex_a, a_age, marital_a), (sex_b, b_age, marital_b))
            };
            d.push(person(first.0, birth_for_age(rng, first.1), "1", first.2, None));
            d.push(person(
                second.0,
                birth_for_age(rng, second.1),
                relation_b,
                second.2,
                None,
            ));
            // Children take the father's surname.
            let father = if d[0].sex == Sex::M { 0 } else { 1 };
            for a in ages {
                let s = if chance(rng, 0.5) { Sex::M } else { Sex::F };
                let m = child_marital(rng, a);
                d.push(person(s, birth_for_age(rng, a), "3", m, Some(father)));
            }
            if with_parent {
                let age = age_of(d[0].birth_date);
                self.push_parent(rng, &mut d, age, foreign);
            }
            // One partner of a foreign family is sometimes Italian.
            if foreign.is_some() && chance(rng, 0.08) {
                d[1].foreign = None;
            }
        }
        self.residence_dates(rng, &mut d);
        d
    }

    fn push_parent(
        &self,
        rng: &mut SmallRng,
        d: &mut Vec<Draft>,
        child_age: u32,
        foreign: Option<&'static CountryInfo>,
    ) {
        let age = (child_age + rng.random_range(22..36)).min(102);
        let sex = if chance(rng, 0.65) { Sex::F } else { Sex::M };
        // A father shares the intestatario's surname (unless the
        // intestatario is a married woman: then nobody does).
        let surname_of = (sex == Sex::M).then_some(0);
        let marital = if chance(rng, 0.85) { "3" } else { "4" };
        d.push(Draft {
            sex,
            birth_date: birth_for_age(rng, age),
            relation: "6",
            marital,
            foreign,
            surname_of,
            residence_start: EXTRACTION_DATE,
        });
    }

    /// Residence start dates: the family settles in the comune on one day
    /// (after the intestatario's 18th birthday; for foreign families after
    /// arrival in Italy); children born later are registered at birth.
    fn residence_dates(&self, rng: &mut SmallRng, d: &mut [Draft]) {
        let head_adult = add_years(d[0].birth_date, 18);
        let floor = NaiveDate::from_ymd_opt(if d[0].foreign.is_some() { 1992 } else { 1968 }, 1, 1)
            .expect("valid date");
        let earliest = head_adult.max(floor);
        // The youngest adult of the couple must be adult too.
        let earliest = d
            .iter()
            .skip(1)
            .filter(|p| p.relation != "3" && p.relation != "6")
            .map(|p| add_years(p.birth_date, 18))
            .fold(earliest, NaiveDate::max)
            .min(EXTRACTION_DATE);
        // Families with children settled before the eldest child was born,
        // more often than not.
        let eldest_child = d.iter().filter(|p| p.relation == "3").map(|p| p.birth_date).min();
        let latest = match eldest_child {
            Some(b) if chance(rng, 0.6) && b > earliest => b,
            _ => EXTRACTION_DATE,
        };
        let settled = day_between(rng, earliest, latest);
        for p in d.iter_mut() {
            p.residence_start = match p.relation {
                "6" => day_between(rng, settled, EXTRACTION_DATE),
                "2" | "23" | "28" if chance(rng, 0.2) => day_between(rng, settled, EXTRACTION_DATE),
                _ => settled,
            }
            .max(p.birth_date);
        }
    }

    /// Names, birthplaces, citizenship and codice fiscale.
    fn people(&mut self, rng: &mut SmallRng, drafts: Vec<Draft>) -> Vec<Person> {
        let arrival = drafts[0].residence_start;
        let mut out: Vec<Person> = Vec::with_capacity(drafts.len());
        for draft in &drafts {
            let born_in_italy = draft.foreign.is_none() || draft.birth_date >= arrival;
            let family_name = match draft.surname_of {
                Some(i) if i < out.len() => out[i].family_name.clone(),
                _ => surname(rng, draft.foreign),
            };
            let given_name = given_name(rng, draft.sex, draft.birth_date, draft.foreign, born_in_italy);
            let (birth_place, citizenship) = match draft.foreign {
                None => (self.italian_birthplace(rng, draft.birth_date), ITALIA_ISTAT),
                Some(c) if !born_in_italy => {
                    let citizenship = if chance(rng, 0.1) {
                        ITALIA_ISTAT
                    } else {
                        places::citizenship_code(c)
                    };
                    (c.codice_at, citizenship)
                }
                Some(c) => {
                    let citizenship = if chance(rng, 0.15) {
                        ITALIA_ISTAT
                    } else {
                        places::citizenship_code(c)
                    };
                    (self.italian_birthplace(rng, draft.birth_date), citizenship)
                }
            };
            let tax_code = self.tax_code(
                rng,
                &family_name,
                &given_name,
                draft.sex,
                draft.birth_date,
                birth_place,
            );
            out.push(Person {
                id: self.next_person,
                family_name,
                given_name,
                sex: draft.sex,
                birth_date: draft.birth_date,
                birth_place,
                citizenship,
                marital: draft.marital,
                relation: draft.relation,
                residence_start: draft.residence_start,
                tax_code,
            });
            self.next_person += 1;
        }
        out
    }

    fn italian_birthplace(&self, rng: &mut SmallRng, birth: NaiveDate) -> &'static str {
        // Before 1975 many residents came from the South.
        let old = birth.year() < 1975;
        let (milano, hospitals, cities) = match (self.is_milano, old) {
            (true, false) => (78, 6, 16),
            (true, true) => (55, 5, 40),
            (false, false) => (40, 42, 18),
            (false, true) => (30, 25, 45),
        };
        match weighted_index(rng, [milano, hospitals, cities].into_iter()) {
            0 => MILANO,
            1 => pick(rng, CM_HOSPITALS).0,
            _ => OTHER_CITIES[weighted_index(rng, OTHER_CITIES.iter().map(|c| c.2))].0,
        }
    }

    /// The person's codice fiscale, made omocodic (as the Agenzia delle
    /// Entrate does) when it is already taken in the comune, and sometimes
    /// anyway (a code that was taken elsewhere in Italy).
    fn tax_code(
        &mut self,
        rng: &mut SmallRng,
        family_name: &str,
        given_name: &str,
        sex: Sex,
        birth: NaiveDate,
        place: &str,
    ) -> String {
        let base = cf::compute(family_name, given_name, sex, birth, place);
        let mut level: u8 = if chance(rng, OMOCODE_RATE) {
            rng.random_range(1..=2)
        } else {
            0
        };
        loop {
            let code = if level == 0 {
                base.clone()
            } else {
                cf::omocode(&base, level)
            };
            let key: [u8; 16] = code.as_bytes().try_into().unwrap_or([b'?'; 16]);
            if level >= 7 || self.used_codes.insert(key) {
                return code;
            }
            level += 1;
        }
    }
}

fn single_marital(rng: &mut SmallRng, age: u32) -> &'static str {
    // Weights of celibe/nubile, vedovo/a, divorziato/a and coniugato/a
    // (separated people living alone are still married) by age.
    let weights: [u32; 4] = match age {
        0..=29 => [94, 0, 3, 3],
        30..=59 => [62, 4, 19, 15],
        _ => [20, 52, 14, 14],
    };
    ["1", "3", "4", "2"][weighted_index(rng, weights.into_iter())]
}

fn partner_marital(rng: &mut SmallRng, age: u32) -> &'static str {
    if age >= 35 && chance(rng, 0.35) {
        "4"
    } else {
        "1"
    }
}

fn child_marital(rng: &mut SmallRng, age: u32) -> &'static str {
    if age >= 30 && chance(rng, 0.05) {
        "4"
    } else {
        "1"
    }
}

/// Ages of `n` siblings, eldest first, one to six years apart (twins now
/// and then).
fn children_ages(rng: &mut SmallRng, n: usize) -> Vec<u32> {
    if n == 0 {
        return Vec::new();
    }
    // Many young adults live with their parents.
    let youngest_max = 30u32.saturating_sub(2 * n as u32);
    let mut age = rng.random_range(0..=youngest_max);
    let mut ages = vec![age];
    for _ in 1..n {
        age += if chance(rng, 0.03) {
            0
        } else {
            rng.random_range(1..=6)
        };
        ages.push(age);
    }
    ages.reverse();
    ages
}

fn surname(rng: &mut SmallRng, foreign: Option<&CountryInfo>) -> String {
    match foreign {
        None => (*pick(rng, SURNAMES)).to_string(),
        Some(c) => (*pick(rng, names::foreign_names(c.country).surnames)).to_string(),
    }
}

fn given_name(
    rng: &mut SmallRng,
    sex: Sex,
    birth: NaiveDate,
    foreign: Option<&CountryInfo>,
    born_in_italy: bool,
) -> String {
    if let Some(c) = foreign {
        // Children born in Italy often get an Italian name (not Chinese
        // families, whose children usually keep a Chinese one here).
        let italian = born_in_italy && c.country != Country::Cina && chance(rng, 0.25);
        if !italian {
            let f = names::foreign_names(c.country);
            return (*pick(rng, if sex == Sex::M { f.male } else { f.female })).to_string();
        }
    }
    let modern = if birth.year() >= 1975 {
        chance(rng, 0.8)
    } else {
        chance(rng, 0.2)
    };
    let pool = match (sex, modern) {
        (Sex::M, false) => MALE_CLASSIC,
        (Sex::M, true) => MALE_MODERN,
        (Sex::F, false) => FEMALE_CLASSIC,
        (Sex::F, true) => FEMALE_MODERN,
    };
    (*pick(rng, pool)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::random::comune_rng;
    use metrodati_interop::refdata;

    fn families(istat: &str, persons: u64) -> Vec<Family> {
        let comune = refdata::comune_by_istat(istat).unwrap();
        let mut rng = comune_rng(42, istat);
        let mut g = Generator::new(comune, persons, &mut rng);
        std::iter::from_fn(|| g.next_family(&mut rng)).collect()
    }

    #[test]
    fn population_is_exact_and_families_are_consistent() {
        let fams = families("015146", 20_000);
        let persons: usize = fams.iter().map(|f| f.members.len()).sum();
        assert_eq!(persons, 20_000);
        let mut sizes = [0usize; 7];
        let mut foreign = 0;
        for f in &fams {
            sizes[f.members.len().min(6)] += 1;
            let head = &f.members[0];
            assert_eq!(head.relation, "1");
            assert!(age_of(head.birth_date) >= 18, "{head:?}");
            assert_eq!(f.members.iter().filter(|p| p.relation == "1").count(), 1);
            for p in &f.members {
                assert!(p.birth_date.year() >= OLDEST_BIRTH_YEAR && p.birth_date <= EXTRACTION_DATE);
                assert!(
                    p.residence_start >= p.birth_date && p.residence_start <= EXTRACTION_DATE,
                    "{p:?}"
                );
                if age_of(p.birth_date) < 16 {
                    assert_eq!(p.marital, "1", "{p:?}");
                }
                if p.relation == "3" {
                    assert!(
                        p.birth_date > head.birth_date || f.members[1].birth_date < p.birth_date,
                        "{f:?}"
                    );
                }
                if p.relation == "2" {
                    assert_eq!((p.marital, head.marital), ("2", "2"));
                }
                if p.citizenship != ITALIA_ISTAT {
                    foreign += 1;
                }
            }
        }
        let n = fams.len() as f64;
        let share = |k: usize| sizes[k] as f64 / n;
        assert!((share(1) - 0.35).abs() < 0.03, "{sizes:?}");
        assert!((share(2) - 0.27).abs() < 0.03, "{sizes:?}");
        let f = foreign as f64 / persons as f64;
        assert!((0.12..0.25).contains(&f), "foreign share {f}");
    }

    #[test]
    fn codes_are_computed_from_the_persons_data_and_unique() {
        let fams = families("015002", 5_000);
        let mut seen = HashSet::new();
        let mut omocodic = 0;
        for p in fams.iter().flat_map(|f| &f.members) {
            let info = cf::parse(&p.tax_code).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            assert!(
                cf::consistent_with(&info, p.birth_date, p.sex).is_empty(),
                "{p:?}"
            );
            assert_eq!(info.birthplace, p.birth_place);
            assert_eq!(info.family_name_code, cf::family_name_code(&p.family_name));
            assert!(seen.insert(p.tax_code.clone()));
            omocodic += usize::from(info.omocodia_level > 0);
        }
        assert!(omocodic > 0);
    }
}
