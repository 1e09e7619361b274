//! The month a SIUSS run submits (`YYYY-MM`).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::fmt;
use std::str::FromStr;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Periodo {
    anno: i32,
    mese: u32,
}

impl Periodo {
    /// The month; `None` if `mese` is not 1–12 or the year is outside 2000–2099.
    pub fn new(anno: i32, mese: u32) -> Option<Periodo> {
        ((1..=12).contains(&mese) && (2000..=2099).contains(&anno)).then_some(Periodo { anno, mese })
    }

    /// The month of a date.
    pub fn of(d: NaiveDate) -> Periodo {
        Periodo {
            anno: d.year(),
            mese: d.month(),
        }
    }

    /// The month before.
    pub fn previous(self) -> Periodo {
        if self.mese == 1 {
            Periodo {
                anno: self.anno - 1,
                mese: 12,
            }
        } else {
            Periodo {
                anno: self.anno,
                mese: self.mese - 1,
            }
        }
    }

    /// The month a scheduled run fired at `fire` submits: the month before
    /// the fire time's date in Europe/Rome (a job firing on 2 December
    /// submits November).
    pub fn for_fire_time(fire: DateTime<Utc>) -> Periodo {
        Periodo::of(fire.with_timezone(&chrono_tz::Europe::Rome).date_naive()).previous()
    }

    /// First day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.anno, self.mese, 1).expect("valid month")
    }

    /// Last day.
    pub fn last_day(self) -> NaiveDate {
        let (y, m) = if self.mese == 12 {
            (self.anno + 1, 1)
        } else {
            (self.anno, self.mese + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)
            .expect("valid month")
            .pred_opt()
            .expect("not the first day ever")
    }
}

impl fmt::Display for Periodo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.anno, self.mese)
    }
}

impl FromStr for Periodo {
    type Err = String;
    fn from_str(s: &str) -> Result<Periodo, String> {
        let err = || format!("{s:?} is not a month YYYY-MM between 2000-01 and 2099-12");
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        Periodo::new(y.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_bounds() {
        let p: Periodo = "2025-02".parse().unwrap();
        assert_eq!(p.to_string(), "2025-02");
        assert_eq!(p.first_day(), NaiveDate::from_ymd_opt(2025, 2, 1).unwrap());
        assert_eq!(p.last_day(), NaiveDate::from_ymd_opt(2025, 2, 28).unwrap());
        assert_eq!(
            "2024-12".parse::<Periodo>().unwrap().last_day().to_string(),
            "2024-12-31"
        );
        for bad in ["2025-13", "2025-1", "25-01", "2025/01", "", "1999-12"] {
            assert!(bad.parse::<Periodo>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_fire_time_submits_the_month_before_in_rome() {
        // 1 January 00:30 in Rome is still 31 December in UTC.
        let fire = "2025-12-31T23:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(Periodo::for_fire_time(fire).to_string(), "2025-12");
        let fire = "2025-12-02T05:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(Periodo::for_fire_time(fire).to_string(), "2025-11");
    }
}
