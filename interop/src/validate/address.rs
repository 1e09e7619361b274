//! Splitting a whole address line (`VIA ROMA 12/A`) into DUG, street name,
//! civic number and exponent, as ANPR and ANNCSU keep them.

use super::Repair;
use crate::vocab;

/// An address split into its ANNCSU/ANPR parts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitAddress {
    /// DUG as in ANPR Tabella 4 (upper case), if recognised.
    pub dug: Option<String>,
    /// Street name without DUG (DUF).
    pub street_name: String,
    pub number: Option<String>,
    pub exponent: Option<String>,
}

/// Common abbreviations of DUGs found in municipal exports.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("P.ZZA", "PIAZZA"),
    ("P.ZA", "PIAZZA"),
    ("P.LE", "PIAZZALE"),
    ("V.LE", "VIALE"),
    ("V.LO", "VICOLO"),
    ("C.SO", "CORSO"),
    ("L.GO", "LARGO"),
    ("STR.", "STRADA"),
    ("V.", "VIA"),
];

/// Expands an abbreviated DUG given on its own (`P.ZA` → `PIAZZA`),
/// recording a repair; other values are returned unchanged.
pub fn expand_dug(field: &'static str, dug: String, repairs: &mut Vec<Repair>) -> String {
    let key = dug.trim();
    match ABBREVIATIONS
        .iter()
        .find(|(abbr, _)| key == *abbr || key.trim_end_matches('.') == abbr.trim_end_matches('.'))
    {
        Some((_, full)) => {
            repairs.push(Repair {
                field,
                kind: "dug_abbreviation",
            });
            (*full).to_string()
        }
        None => dug,
    }
}

/// Splits an upper-case address line. Returns `None` when no street name
/// remains. Abbreviated DUGs are expanded and counted as repairs.
pub fn split(field: &'static str, line: &str, repairs: &mut Vec<Repair>) -> Option<SplitAddress> {
    let line = line.trim().trim_end_matches(',').trim();
    let mut rest = line;
    let mut dug = None;

    // Abbreviations first ("V.LE" before "V.").
    for (abbr, full) in ABBREVIATIONS {
        if let Some(r) = rest.strip_prefix(abbr) {
            dug = Some((*full).to_string());
            rest = r.trim_start();
            repairs.push(Repair {
                field,
                kind: "dug_abbreviation",
            });
            break;
        }
    }
    if dug.is_none() {
        // Longest DUG that is a whole-word prefix ("VIA PRIVATA" before "VIA").
        let mut best: Option<&str> = None;
        for d in vocab::dugs() {
            let name = d.name.as_str();
            if rest.len() > name.len()
                && rest.is_char_boundary(name.len())
                && rest[..name.len()].eq_ignore_ascii_case(name)
                && rest[name.len()..].starts_with(' ')
                && best.is_none_or(|b| name.len() > b.len())
            {
                best = Some(name);
            }
        }
        if let Some(name) = best {
            dug = Some(name.to_string());
            rest = rest[name.len()..].trim_start();
        }
    }

    // Civic number: the last token(s) "12", "12/A", "12A", "12 BIS", "N. 12".
    let (street, number, exponent) = split_number(rest);
    let street = street.trim().trim_end_matches(',').trim();
    if street.is_empty() {
        return None;
    }
    Some(SplitAddress {
        dug,
        street_name: street.to_string(),
        number,
        exponent,
    })
}

fn split_number(s: &str) -> (&str, Option<String>, Option<String>) {
    let tokens: Vec<&str> = s.split_whitespace().collect();
    if tokens.len() < 2 {
        return (s, None, None);
    }
    let mut end = tokens.len();
    let mut exponent = None;
    // "12 BIS" / "12 A": trailing exponent token after a numeric token.
    let last = tokens[end - 1];
    if end >= 3 && is_exponent(last) && starts_numeric(tokens[end - 2]) {
        exponent = Some(last.to_string());
        end -= 1;
    }
    let num_tok = tokens[end - 1].trim_start_matches(',');
    if !starts_numeric(num_tok) {
        return (s, None, None);
    }
    let digits: String = num_tok.chars().take_while(|c| c.is_ascii_digit()).collect();
    let tail = num_tok[digits.len()..].trim_start_matches(['/', '-']);
    if !tail.is_empty() {
        if !is_exponent(tail) {
            return (s, None, None);
        }
        exponent = Some(tail.to_string());
    }
    end -= 1;
    // Drop a "N." / "N" / "NR." marker before the number.
    if end >= 2 && matches!(tokens[end - 1], "N." | "N" | "NR." | "NR" | "N°") {
        end -= 1;
    }
    // Byte offset where token `end` starts.
    let cut = if end == tokens.len() {
        s.len()
    } else {
        let tok = tokens[end];
        // tokens are subslices of s: compute their offset.
        tok.as_ptr() as usize - s.as_ptr() as usize
    };
    (&s[..cut], Some(digits), exponent)
}

fn starts_numeric(t: &str) -> bool {
    t.trim_start_matches(',')
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
}

fn is_exponent(t: &str) -> bool {
    (t.len() == 1 && t.chars().all(|c| c.is_ascii_alphabetic())) || matches!(t, "BIS" | "TER" | "QUATER")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(line: &str) -> Option<SplitAddress> {
        split("full_address", line, &mut Vec::new())
    }

    #[test]
    fn splits_common_forms() {
        let a = s("VIA ROMA 12").unwrap();
        assert_eq!(a.dug.as_deref(), Some("VIA"));
        assert_eq!(a.street_name, "ROMA");
        assert_eq!(a.number.as_deref(), Some("12"));
        assert_eq!(a.exponent, None);

        let a = s("VIALE MONZA, 120/B").unwrap();
        assert_eq!(a.dug.as_deref(), Some("VIALE"));
        assert_eq!(a.street_name, "MONZA");
        assert_eq!(a.number.as_deref(), Some("120"));
        assert_eq!(a.exponent.as_deref(), Some("B"));

        let a = s("PIAZZA DUCA D'AOSTA N. 1 BIS").unwrap();
        assert_eq!(a.street_name, "DUCA D'AOSTA");
        assert_eq!(a.number.as_deref(), Some("1"));
        assert_eq!(a.exponent.as_deref(), Some("BIS"));

        let a = s("VIA XX SETTEMBRE 5A").unwrap();
        assert_eq!(a.street_name, "XX SETTEMBRE");
        assert_eq!(a.exponent.as_deref(), Some("A"));
    }

    #[test]
    fn expands_abbreviations_and_counts_them() {
        let mut r = Vec::new();
        let a = split("full_address", "P.ZA DUOMO 1", &mut r).unwrap();
        assert_eq!(a.dug.as_deref(), Some("PIAZZA"));
        assert_eq!(a.street_name, "DUOMO");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].kind, "dug_abbreviation");
        let a = s("V.LE CERTOSA 44").unwrap();
        assert_eq!(a.dug.as_deref(), Some("VIALE"));
    }

    #[test]
    fn expands_a_dug_given_alone() {
        let mut r = Vec::new();
        assert_eq!(expand_dug("d", "V.LE".into(), &mut r), "VIALE");
        assert_eq!(expand_dug("d", "V.".into(), &mut r), "VIA");
        assert_eq!(expand_dug("d", "V".into(), &mut r), "VIA");
        assert_eq!(r.len(), 3);
        assert_eq!(expand_dug("d", "VIA".into(), &mut r), "VIA");
        assert_eq!(expand_dug("d", "PIAZZA".into(), &mut r), "PIAZZA");
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn longest_dug_wins_and_unknown_dug_kept_in_name() {
        let a = s("VIA PRIVATA BOVES 3").unwrap();
        assert_eq!(a.dug.as_deref(), Some("VIA PRIVATA"));
        assert_eq!(a.street_name, "BOVES");
        let a = s("BASTIONI DI PORTA VOLTA 7").unwrap();
        assert_eq!(a.dug, None);
        assert_eq!(a.street_name, "BASTIONI DI PORTA VOLTA");
    }

    #[test]
    fn without_number_and_degenerate_input() {
        let a = s("LOCALITA' CASCINA NUOVA").unwrap();
        assert_eq!(a.number, None);
        assert_eq!(s(""), None);
        assert_eq!(s(" , "), None);
        let a = s("VIA 4 NOVEMBRE 10").unwrap();
        assert_eq!(a.street_name, "4 NOVEMBRE");
        assert_eq!(a.number.as_deref(), Some("10"));
    }
}
