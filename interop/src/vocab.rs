//! Controlled vocabularies used by schema fields.

use crate::refdata;
use crate::schema::Vocabulary;
use std::sync::OnceLock;

/// ANPR Tabella 4 "specie toponimo" (DUG), derived from ANPR (CC BY 4.0);
/// see `interop/data/README.md`.
const DUG_CSV: &str = include_str!("../data/dug.csv");

/// A DUG (denominazione urbanistica generica) with its ANPR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dug {
    pub code: u32,
    pub name: String,
}

/// All DUGs of ANPR Tabella 4, in code order.
pub fn dugs() -> &'static [Dug] {
    static DUGS: OnceLock<Vec<Dug>> = OnceLock::new();
    DUGS.get_or_init(|| {
        DUG_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let (code, name) = line.split_once(',')?;
                Some(Dug {
                    code: code.trim().parse().ok()?,
                    name: name.trim().trim_matches('"').to_string(),
                })
            })
            .collect()
    })
}

/// The DUG with this name (case-insensitive, trimmed).
pub fn dug(name: &str) -> Option<&'static Dug> {
    let name = name.trim();
    dugs().iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// The modules of the Cartella Sociale the programme lists (PON Metro
/// MI1.1.1.e), as (code, Italian label). Every prestazione belongs to one.
pub const SOCIAL_MODULES: &[(&str, &str)] = &[
    ("segretariato_sociale", "Segretariato sociale"),
    ("sostegno_reddito", "Contributi di sostegno al reddito"),
    ("accoglienza_stranieri", "Accoglienza stranieri"),
    ("inclusione_attiva", "Inclusione attiva"),
    ("assistenza_domiciliare", "Assistenza domiciliare"),
    ("servizi_residenziali", "Servizi residenziali"),
    ("minori_famiglie", "Minori e famiglie"),
];

/// The allowed codes of a vocabulary, as strings, in a stable order.
pub fn codes(v: Vocabulary) -> Vec<String> {
    match v {
        Vocabulary::Sex => vec!["M".into(), "F".into()],
        Vocabulary::ParentalRelationship => {
            let mut c: Vec<String> = refdata::relazioni_parentela()
                .iter()
                .map(|e| e.code.clone())
                .collect();
            sort_numeric(&mut c);
            c
        }
        Vocabulary::MaritalStatus => {
            let mut c: Vec<String> = refdata::stati_civili().iter().map(|e| e.code.clone()).collect();
            sort_numeric(&mut c);
            c
        }
        Vocabulary::Dug => dugs().iter().map(|d| d.name.clone()).collect(),
        Vocabulary::SocialModule => SOCIAL_MODULES.iter().map(|(c, _)| c.to_string()).collect(),
    }
}

/// Whether `value` belongs to the vocabulary.
pub fn contains(v: Vocabulary, value: &str) -> bool {
    match v {
        Vocabulary::Sex => value == "M" || value == "F",
        Vocabulary::ParentalRelationship => refdata::relazione_parentela(value).is_some(),
        Vocabulary::MaritalStatus => refdata::stato_civile(value).is_some(),
        Vocabulary::Dug => dug(value).is_some(),
        Vocabulary::SocialModule => SOCIAL_MODULES.iter().any(|(c, _)| *c == value),
    }
}

fn sort_numeric(c: &mut [String]) {
    c.sort_by_key(|s| (s.parse::<u32>().unwrap_or(u32::MAX), s.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dug_table_is_complete() {
        assert_eq!(dugs().len(), 259);
        assert_eq!(dug("via").map(|d| d.code), Some(213));
        assert_eq!(dug("ALZAIA").map(|d| d.code), Some(4));
        assert!(dug("BASTIONI").is_none(), "BASTIONI is absent from ANPR Tab. 4");
    }

    #[test]
    fn vocabularies_check_membership() {
        assert!(contains(Vocabulary::Sex, "F"));
        assert!(!contains(Vocabulary::Sex, "X"));
        assert!(contains(Vocabulary::ParentalRelationship, "1"));
        assert!(contains(Vocabulary::ParentalRelationship, "28"));
        assert!(!contains(Vocabulary::ParentalRelationship, "27"));
        assert!(contains(Vocabulary::MaritalStatus, "2"));
        assert!(!contains(Vocabulary::MaritalStatus, "5"));
        assert!(contains(Vocabulary::SocialModule, "assistenza_domiciliare"));
        assert!(!contains(Vocabulary::SocialModule, "Assistenza domiciliare"));
        assert_eq!(codes(Vocabulary::SocialModule).len(), 7);
    }
}
