//! Text normalisation: trimming, inner whitespace, case.

use super::Repair;

/// Trims the value and collapses runs of inner whitespace into one space,
/// recording the repairs. Returns `None` for a value that is empty after
/// trimming (an empty cell).
pub fn clean(field: &'static str, raw: &str, repairs: &mut Vec<Repair>) -> Option<String> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.len() != raw.len() {
        repairs.push(Repair { field, kind: "trim" });
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut last_space = false;
    let mut collapsed = false;
    for c in trimmed.chars() {
        if c.is_whitespace() {
            if last_space {
                collapsed = true;
                continue;
            }
            out.push(' ');
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    if collapsed || out != trimmed {
        repairs.push(Repair {
            field,
            kind: "whitespace",
        });
    }
    Some(out)
}

/// Upper-cases the value (ANPR stores names and codes in upper case),
/// recording a `case` repair when something changed.
pub fn upper(field: &'static str, value: String, repairs: &mut Vec<Repair>) -> String {
    if value.chars().any(|c| c.is_lowercase()) {
        repairs.push(Repair { field, kind: "case" });
        value.to_uppercase()
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_collapses() {
        let mut r = Vec::new();
        assert_eq!(clean("f", "  ROSSI  ", &mut r).as_deref(), Some("ROSSI"));
        assert_eq!(
            r,
            vec![Repair {
                field: "f",
                kind: "trim"
            }]
        );
        r.clear();
        assert_eq!(clean("f", "DE  LUCA", &mut r).as_deref(), Some("DE LUCA"));
        assert_eq!(
            r,
            vec![Repair {
                field: "f",
                kind: "whitespace"
            }]
        );
        r.clear();
        assert_eq!(clean("f", "A\tB", &mut r).as_deref(), Some("A B"));
        assert_eq!(clean("f", "   ", &mut r), None);
        assert_eq!(clean("f", "\u{feff}X", &mut r).as_deref(), Some("X"));
    }

    #[test]
    fn clean_values_are_not_repaired() {
        let mut r = Vec::new();
        assert_eq!(clean("f", "D'ANGELO", &mut r).as_deref(), Some("D'ANGELO"));
        assert!(r.is_empty());
    }

    #[test]
    fn upper_counts_case_repairs() {
        let mut r = Vec::new();
        assert_eq!(upper("f", "Niccolò".into(), &mut r), "NICCOLÒ");
        assert_eq!(r.len(), 1);
        assert_eq!(upper("f", "ROSSI".into(), &mut r), "ROSSI");
        assert_eq!(r.len(), 1);
    }
}
