//! The SIUSS codici prestazione known to metrodati.
//!
//! **This table is partial.** The complete official SIUSS table is the
//! "tabella dei codici delle prestazioni" inside the INPS SIUSS web
//! application (INPS messaggio 549/2022) and is not publicly available
//! (`shared/reference/inps-siuss.md` §6.2, §12). What is here, by source:
//!
//! * [`Fonte::IseeTipiComuni`] — the 36 codes with labels that INPS publishes
//!   in its ISEE schema `ISEE_TipiComuni.xsd` (enumeration
//!   `TypePrestazioneDaErogare`, labels in the comments), also listed code by
//!   code in `lsantalu/OpenMSP @ dc42178 : OpenMSP/inps.py`
//!   (`TIPO_PRESTAZIONE_DA_EROGARE`). This sub-list is complete as published.
//! * [`Fonte::Dm2018Fna`] — A9.01.01–A9.01.03, categories added to Tabella 1
//!   of DM 206/2014 by the Ministero del Lavoro in February 2018 (FNA,
//!   disabilità gravissime). The source abbreviates the last two labels
//!   ("…indiretta", "…interventi complementari"): their prefix is completed
//!   here **\[INFERRED\]**.
//! * [`Fonte::InpsMsg1244_2022`] — A1.05.01, contributi economici per
//!   l'affitto (INPS messaggio 1244/2022).
//! * [`Fonte::SiussSenzaEtichetta`] — codes seen in use in SIUSS without an
//!   official label: A1.23, A2.14, A2.16, A2.17, A2.18, A2.20, A2.21, A2.29,
//!   A3.04 (SISO test data, INPS WaaS samples). The label of A2.16 is the one
//!   INPS uses in its WaaS sample flow; the others have none.
//! * [`Fonte::RangeA216A229`] — the remaining codes A2.19 and A2.22–A2.28,
//!   which the reference documents only as part of the range "da A2.16 a
//!   A2.29" (SISO UI text, SISO-2333: to be sent only with presa in carico)
//!   **\[INFERRED: that every code of the range exists\]**.
//!
//! A code missing here is reported by validation (`prestazione.codice.unknown`)
//! and never sent: extend the table when the official one is obtained from INPS.

use serde::Serialize;

/// Where a code in the table comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Fonte {
    /// INPS `ISEE_TipiComuni.xsd`, enumeration `TypePrestazioneDaErogare`.
    IseeTipiComuni,
    /// DM 206/2014 Tabella 1 as extended by the Ministero del Lavoro (Feb 2018).
    Dm2018Fna,
    /// INPS messaggio 1244/2022.
    InpsMsg1244_2022,
    /// Seen in SIUSS data (SISO test data, INPS WaaS samples), no official label.
    SiussSenzaEtichetta,
    /// Member of the range A2.16–A2.29 named by SISO (SISO-2333) \[INFERRED\].
    RangeA216A229,
}

/// One code of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct CodicePrestazione {
    /// The code (`A1.01`, `A1.05.01`…), 5 to 10 characters.
    pub codice: &'static str,
    /// The official Italian label, when known.
    pub denominazione: Option<&'static str>,
    /// Where the code comes from.
    pub fonte: Fonte,
}

const fn c(codice: &'static str, denominazione: &'static str, fonte: Fonte) -> CodicePrestazione {
    CodicePrestazione {
        codice,
        denominazione: Some(denominazione),
        fonte,
    }
}

const fn n(codice: &'static str, fonte: Fonte) -> CodicePrestazione {
    CodicePrestazione {
        codice,
        denominazione: None,
        fonte,
    }
}

use Fonte::*;

/// The table, sorted by code.
static CODICI: &[CodicePrestazione] = &[
    c(
        "A1.01",
        "Assegno per il nucleo familiare erogati dai comuni",
        IseeTipiComuni,
    ),
    c("A1.02", "Assegno Maternità erogato dai Comuni", IseeTipiComuni),
    c("A1.03", "Carta acquisti", IseeTipiComuni),
    c(
        "A1.04",
        "Contributi economici a integrazione del reddito familiare",
        IseeTipiComuni,
    ),
    c("A1.05", "Contributi economici per alloggio", IseeTipiComuni),
    c("A1.05.01", "Contributi economici per l'affitto", InpsMsg1244_2022),
    c("A1.06", "Buoni spesa o buoni pasto", IseeTipiComuni),
    c(
        "A1.07",
        "Contributi e integrazioni a rette per asili nido",
        IseeTipiComuni,
    ),
    c(
        "A1.08",
        "Contributi e integrazioni a rette per servizi integrativi o innovativi per la prima infanzia",
        IseeTipiComuni,
    ),
    c(
        "A1.09",
        "Contributi economici per i servizi scolastici",
        IseeTipiComuni,
    ),
    c(
        "A1.10",
        "Contributi economici per cure o prestazioni sociali a rilevanza sanitaria",
        IseeTipiComuni,
    ),
    c(
        "A1.11",
        "Assegnazioni economiche per il sostegno della domiciliarità e dell'autonomia personale",
        IseeTipiComuni,
    ),
    c(
        "A1.12",
        "Contributi e integrazioni a rette per accesso a centri diurni",
        IseeTipiComuni,
    ),
    c(
        "A1.13",
        "Contributi e integrazioni a rette per accesso ai servizi semi-residenziali",
        IseeTipiComuni,
    ),
    c(
        "A1.14",
        "Contributi e integrazioni a rette per accesso a servizi residenziali",
        IseeTipiComuni,
    ),
    c("A1.15", "Contributi per servizi alla persona", IseeTipiComuni),
    c(
        "A1.16",
        "Contributi economici per servizio trasporto e mobilità",
        IseeTipiComuni,
    ),
    c(
        "A1.17",
        "Contributi economici erogati a titolo di prestito/prestiti d'onore",
        IseeTipiComuni,
    ),
    c(
        "A1.18",
        "Contributi economici per l'inserimento lavorativo",
        IseeTipiComuni,
    ),
    c("A1.19", "Borse di studio", IseeTipiComuni),
    c("A1.20", "Buono vacanze", IseeTipiComuni),
    n("A1.23", SiussSenzaEtichetta),
    c("A2.01", "Mensa sociale", IseeTipiComuni),
    c(
        "A2.02",
        "Sostegno socio-educativo territoriale o domiciliare",
        IseeTipiComuni,
    ),
    c(
        "A2.03",
        "Prestazioni del diritto allo studio universitario",
        IseeTipiComuni,
    ),
    c("A2.04", "Agevolazioni per tasse universitarie", IseeTipiComuni),
    c(
        "A2.05",
        "Agevolazioni per i servizi di pubblica utilità (telefono, luce, gas)",
        IseeTipiComuni,
    ),
    c(
        "A2.06",
        "Agevolazioni tributarie comunali (nettezza urbana, ecc.)",
        IseeTipiComuni,
    ),
    c(
        "A2.07",
        "Assistenza domiciliare socio-assistenziale",
        IseeTipiComuni,
    ),
    c(
        "A2.08",
        "A.D.I. - Assistenza domiciliare integrata con servizi sanitari",
        IseeTipiComuni,
    ),
    c("A2.09", "Supporto all'inserimento lavorativo", IseeTipiComuni),
    c(
        "A2.10",
        "Servizi integrativi per la prima infanzia",
        IseeTipiComuni,
    ),
    c("A2.11", "Sostegno socio-educativo scolastico", IseeTipiComuni),
    c("A2.12", "Mensa scolastica", IseeTipiComuni),
    n("A2.14", SiussSenzaEtichetta),
    c(
        "A2.16",
        "Interventi di supporto per reperimento alloggi",
        SiussSenzaEtichetta,
    ),
    n("A2.17", SiussSenzaEtichetta),
    n("A2.18", SiussSenzaEtichetta),
    n("A2.19", RangeA216A229),
    n("A2.20", SiussSenzaEtichetta),
    n("A2.21", SiussSenzaEtichetta),
    n("A2.22", RangeA216A229),
    n("A2.23", RangeA216A229),
    n("A2.24", RangeA216A229),
    n("A2.25", RangeA216A229),
    n("A2.26", RangeA216A229),
    n("A2.27", RangeA216A229),
    n("A2.28", RangeA216A229),
    n("A2.29", SiussSenzaEtichetta),
    c("A3.01", "Strutture semiresidenziali", IseeTipiComuni),
    c("A3.02", "Strutture residenziali", IseeTipiComuni),
    c("A3.03", "Asilo nido", IseeTipiComuni),
    n("A3.04", SiussSenzaEtichetta),
    c(
        "A9.01.01",
        "FNA-Disabilità gravissime: assistenza domiciliare",
        Dm2018Fna,
    ),
    c(
        "A9.01.02",
        "FNA-Disabilità gravissime: assistenza indiretta",
        Dm2018Fna,
    ),
    c(
        "A9.01.03",
        "FNA-Disabilità gravissime: interventi complementari",
        Dm2018Fna,
    ),
    c("Z9.99", "Altro", IseeTipiComuni),
];

/// The whole (partial) table, sorted by code.
pub fn all() -> &'static [CodicePrestazione] {
    CODICI
}

/// The entry for `codice` (exact match, case-sensitive as in the XSD data).
pub fn lookup(codice: &str) -> Option<&'static CodicePrestazione> {
    CODICI
        .binary_search_by(|e| e.codice.cmp(codice))
        .ok()
        .map(|i| &CODICI[i])
}

/// Whether `codice` is in the table.
pub fn is_known(codice: &str) -> bool {
    lookup(codice).is_some()
}

/// The official label of `codice`, when known.
pub fn denominazione(codice: &str) -> Option<&'static str> {
    lookup(codice).and_then(|e| e.denominazione)
}

/// Whether `codice` is one of A2.16 to A2.29, which go to SIUSS only when
/// the social service has taken the person in charge (`PresaCarico = 1`;
/// SISO UI text and rule SISO-2333). Decided on the code's shape, so it
/// holds for codes missing from the table too.
pub fn requires_presa_in_carico(codice: &str) -> bool {
    let Some(rest) = codice.strip_prefix("A2.") else {
        return false;
    };
    let head = rest.split('.').next().unwrap_or("");
    head.len() == 2 && head.parse::<u8>().is_ok_and(|n| (16..=29).contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_within_xsd_length() {
        for w in CODICI.windows(2) {
            assert!(w[0].codice < w[1].codice, "{} !< {}", w[0].codice, w[1].codice);
        }
        for e in CODICI {
            let n = e.codice.chars().count();
            assert!((5..=10).contains(&n), "{}", e.codice);
            if let Some(d) = e.denominazione {
                assert!((10..=200).contains(&d.chars().count()) || d == "Altro", "{d}");
            }
        }
        assert_eq!(
            CODICI.iter().filter(|e| e.fonte == Fonte::IseeTipiComuni).count(),
            36
        );
    }

    #[test]
    fn every_code_of_the_reference_is_known() {
        for code in [
            "A1.01", "A1.20", "A1.23", "A1.05.01", "A2.01", "A2.12", "A2.14", "A2.16", "A2.17", "A2.18",
            "A2.20", "A2.21", "A2.29", "A3.01", "A3.03", "A3.04", "A9.01.01", "A9.01.02", "A9.01.03",
            "Z9.99",
        ] {
            assert!(is_known(code), "{code}");
        }
        for n in 16..=29 {
            assert!(is_known(&format!("A2.{n}")));
        }
        assert!(!is_known("A1.21"));
        assert!(!is_known("a1.01"));
        assert!(!is_known("A2.13"));
        assert_eq!(denominazione("A3.02"), Some("Strutture residenziali"));
        assert_eq!(denominazione("A2.17"), None);
    }

    #[test]
    fn presa_in_carico_range() {
        assert!(requires_presa_in_carico("A2.16"));
        assert!(requires_presa_in_carico("A2.29"));
        assert!(requires_presa_in_carico("A2.20.01"));
        assert!(!requires_presa_in_carico("A2.15"));
        assert!(!requires_presa_in_carico("A2.30"));
        assert!(!requires_presa_in_carico("A1.16"));
        assert!(!requires_presa_in_carico("A2.1"));
    }
}
