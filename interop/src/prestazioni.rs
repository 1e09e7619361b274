//! Codici prestazione of the INPS SIUSS (ex Casellario dell'Assistenza):
//! format `A<d>.<dd>[.<dd>]` (5–10 characters in the INPS XSD).
//!
//! The complete official table is not public (it lives in the SIUSS web
//! application). This one holds what is documented (see
//! `shared/reference/inps-siuss.md` §6.2): the 36 labelled codes of INPS's
//! ISEE schema (`TypePrestazioneDaErogare`: A1.01–A1.20, A2.01–A2.12,
//! A3.01–A3.03, Z9.99), A1.05.01 (INPS msg. 1244/2022), the FNA codes
//! A9.01.01–A9.01.03 (Ministry, 2018), and the codes seen in INPS and SISO
//! samples without an official label (A1.23, A2.14, A2.16, A2.17, A2.18,
//! A2.20, A2.21, A2.29, A3.04).
//!
//! A well-formed code missing here is accepted with a warning by ingestion
//! (the table is known to be incomplete); a malformed one is rejected.

/// One codice prestazione.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodicePrestazione {
    pub code: &'static str,
    /// Official label, when INPS published one.
    pub label: Option<&'static str>,
}

impl CodicePrestazione {
    /// An economic benefit (contributo, assegno, buono: money to the
    /// beneficiary): its amount is required.
    pub fn is_economic(&self) -> bool {
        is_economic(self.code)
    }
}

const fn c(code: &'static str, label: &'static str) -> CodicePrestazione {
    CodicePrestazione {
        code,
        label: Some(label),
    }
}

const fn unlabelled(code: &'static str) -> CodicePrestazione {
    CodicePrestazione { code, label: None }
}

/// The known codes, in code order.
pub const CODICI: &[CodicePrestazione] = &[
    c("A1.01", "Assegno per il nucleo familiare erogati dai comuni"),
    c("A1.02", "Assegno Maternità erogato dai Comuni"),
    c("A1.03", "Carta acquisti"),
    c(
        "A1.04",
        "Contributi economici a integrazione del reddito familiare",
    ),
    c("A1.05", "Contributi economici per alloggio"),
    c("A1.05.01", "Contributi economici per l'affitto"),
    c("A1.06", "Buoni spesa o buoni pasto"),
    c("A1.07", "Contributi e integrazioni a rette per asili nido"),
    c(
        "A1.08",
        "Contributi e integrazioni a rette per servizi integrativi o innovativi per la prima infanzia",
    ),
    c("A1.09", "Contributi economici per i servizi scolastici"),
    c(
        "A1.10",
        "Contributi economici per cure o prestazioni sociali a rilevanza sanitaria",
    ),
    c(
        "A1.11",
        "Assegnazioni economiche per il sostegno della domiciliarità e dell'autonomia personale",
    ),
    c(
        "A1.12",
        "Contributi e integrazioni a rette per accesso a centri diurni",
    ),
    c(
        "A1.13",
        "Contributi e integrazioni a rette per servizi semi-residenziali",
    ),
    c(
        "A1.14",
        "Contributi e integrazioni a rette per servizi residenziali",
    ),
    c("A1.15", "Contributi per servizi alla persona"),
    c("A1.16", "Contributi economici per servizio trasporto e mobilità"),
    c(
        "A1.17",
        "Contributi economici erogati a titolo di prestito/prestiti d'onore",
    ),
    c("A1.18", "Contributi economici per l'inserimento lavorativo"),
    c("A1.19", "Borse di studio"),
    c("A1.20", "Buono vacanze"),
    unlabelled("A1.23"),
    c("A2.01", "Mensa sociale"),
    c("A2.02", "Sostegno socio-educativo territoriale o domiciliare"),
    c("A2.03", "Prestazioni del diritto allo studio universitario"),
    c("A2.04", "Agevolazioni per tasse universitarie"),
    c(
        "A2.05",
        "Agevolazioni per i servizi di pubblica utilità (telefono, luce, gas)",
    ),
    c(
        "A2.06",
        "Agevolazioni tributarie comunali (nettezza urbana, ecc.)",
    ),
    c("A2.07", "Assistenza domiciliare socio-assistenziale"),
    c(
        "A2.08",
        "A.D.I. – Assistenza domiciliare integrata con servizi sanitari",
    ),
    c("A2.09", "Supporto all'inserimento lavorativo"),
    c("A2.10", "Servizi integrativi per la prima infanzia"),
    c("A2.11", "Sostegno socio-educativo scolastico"),
    c("A2.12", "Mensa scolastica"),
    unlabelled("A2.14"),
    c("A2.16", "Interventi di supporto per reperimento alloggi"),
    unlabelled("A2.17"),
    unlabelled("A2.18"),
    unlabelled("A2.20"),
    unlabelled("A2.21"),
    unlabelled("A2.29"),
    c("A3.01", "Strutture semiresidenziali"),
    c("A3.02", "Strutture residenziali"),
    c("A3.03", "Asilo nido"),
    unlabelled("A3.04"),
    c("A9.01.01", "FNA-Disabilità gravissime: assistenza domiciliare"),
    c("A9.01.02", "FNA-Disabilità gravissime: assistenza indiretta"),
    c("A9.01.03", "FNA-Disabilità gravissime: interventi complementari"),
    c("Z9.99", "Altro"),
];

/// The known code, if any (exact match, upper case).
pub fn codice(code: &str) -> Option<&'static CodicePrestazione> {
    CODICI.iter().find(|c| c.code == code)
}

/// Whether `code` has the SIUSS shape `A<d>.<dd>` or `A<d>.<dd>.<dd>`, or is
/// a known code (`Z9.99`).
pub fn is_well_formed(code: &str) -> bool {
    let b = code.as_bytes();
    let base = b.len() >= 5
        && b[0] == b'A'
        && b[1].is_ascii_digit()
        && b[2] == b'.'
        && b[3].is_ascii_digit()
        && b[4].is_ascii_digit();
    let shape = match b.len() {
        5 => base,
        8 => base && b[5] == b'.' && b[6].is_ascii_digit() && b[7].is_ascii_digit(),
        _ => false,
    };
    shape || codice(code).is_some()
}

/// An economic benefit: the A1 family (contributi, assegni, buoni) and the
/// FNA "assistenza indiretta" (an allowance). Its amount is required.
pub fn is_economic(code: &str) -> bool {
    code.starts_with("A1.") || code == "A9.01.02"
}

/// Codes A2.16 to A2.29: INPS wants them only for beneficiaries taken in
/// charge by the professional social service (SISO-2333).
pub fn requires_taken_in_charge(code: &str) -> bool {
    code.len() == 5
        && code.starts_with("A2.")
        && code[3..].parse::<u32>().is_ok_and(|n| (16..=29).contains(&n))
}

/// Codes SISO allows a SINA assessment to be attached to
/// (`AccessTableSinaSessionBean.java`).
pub const SINA_CODES: &[&str] = &[
    "A1.04", "A1.10", "A1.11", "A1.12", "A1.13", "A1.14", "A1.15", "A1.16", "A1.23", "A2.07", "A2.08",
    "A2.14", "A2.20", "A2.21", "A3.02",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        for w in CODICI.windows(2) {
            assert!(w[0].code < w[1].code, "{} {}", w[0].code, w[1].code);
        }
        for c in CODICI {
            assert!(is_well_formed(c.code), "{}", c.code);
            assert!((5..=10).contains(&c.code.len()));
        }
        assert_eq!(CODICI.iter().filter(|c| c.label.is_some()).count(), 36 + 5);
        for s in SINA_CODES {
            assert!(codice(s).is_some(), "{s}");
        }
    }

    #[test]
    fn shapes() {
        for ok in ["A1.01", "A2.99", "A1.05.01", "A9.01.03", "Z9.99", "A7.77"] {
            assert!(is_well_formed(ok), "{ok}");
        }
        for bad in [
            "A1.1", "A01.04", "a1.04", "A1-04", "SAD", "A1.04.1", "Z9.98", "A1.04 ", "",
        ] {
            assert!(!is_well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn families() {
        assert!(is_economic("A1.04") && is_economic("A1.05.01") && is_economic("A9.01.02"));
        assert!(!is_economic("A2.07") && !is_economic("A3.02"));
        assert!(requires_taken_in_charge("A2.16") && requires_taken_in_charge("A2.29"));
        assert!(!requires_taken_in_charge("A2.15") && !requires_taken_in_charge("A2.30"));
        assert_eq!(
            codice("A2.07").and_then(|c| c.label),
            Some("Assistenza domiciliare socio-assistenziale")
        );
    }
}
