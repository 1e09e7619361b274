//! metrodati-siuss: the INPS SIUSS flows of the comuni (ex Casellario
//! dell'Assistenza) — PS/PSA/SINA (`PS_PSA_SINA201812.xsd`) and SINBA
//! (`SINBA.xsd`), namespace `http://inps.it/Casellario`.
//!
//! * [`model`]: the domain model, one field per XSD attribute; [`codes`]:
//!   the XSD enumerations; [`decimal`]: exact amounts and service hours.
//! * [`catalogo`]: the (partial) table of SIUSS codici prestazione.
//! * [`validate`]: XSD facets and the rules the XSD cannot check, every
//!   violation with a stable code and an Italian message; it alone makes the
//!   [`ValidatedPrestazione`] and [`ValidatedSinba`] that flows accept.
//! * [`split`]: periodic benefits split by calendar year.
//! * [`pseudonym`]: the keyed SINBA `IDBeneficiario`.
//! * [`flow`]: flow names, bulk files and single messages (cooperazione
//!   applicativa / WaaS), WaaS entries; [`parse`]: reading flows back.
//!
//! The official artefacts are in `shared/specs/inps/` and explained in
//! `shared/reference/inps-siuss.md`; the tests validate every XML they
//! produce with `xmllint` against the official XSDs.
//!
//! ```
//! use chrono::NaiveDate;
//! use metrodati_siuss::*;
//!
//! let d = |y, m, g| NaiveDate::from_ymd_opt(y, m, g).unwrap();
//! let ente = Ente::comune_cm_milano("015146", "01199250158").unwrap();
//! let beneficiario = Beneficiario {
//!     codice_fiscale: "RSSMRA80A01F205X".into(),
//!     anagrafica: Anagrafica {
//!         cognome: "D'Angelo".into(),
//!         nome: "Niccolò".into(),
//!         anno_nascita: 1980,
//!         luogo_nascita: "F205".into(),
//!         genere: Genere::Maschio,
//!         codice_cittadinanza: "380".into(),
//!         codice_seconda_cittadinanza: None,
//!     },
//!     indirizzi: vec![Indirizzo::comune_cm_milano("015146").unwrap()],
//! };
//! let prestazione = Prestazione {
//!     carattere: Some(CaratterePrestazione::Occasionale),
//!     data_erogazione: Some(d(2026, 2, 10)),
//!     importo_prestazione: Some("250.00".parse().unwrap()),
//!     ..Prestazione::new(
//!         "A1.04",
//!         "Contributi economici a integrazione del reddito familiare",
//!         "2026/0001",
//!         PresenzaProvaMezzi::NonSoggettaProvaMezzi,
//!         PresaCarico::No,
//!     )
//! };
//! let ok = validate_prestazione(&beneficiario, &prestazione).unwrap();
//! let nome = NomeFlusso::new("F205", TipoNome::Ps, d(2026, 3, 5), 1).unwrap();
//! let flow = ps_message(&ente, &nome, &ok).unwrap();
//! assert_eq!(flow.id_flusso(), "F205.PS.20260305.0000001");
//! assert!(flow.xml.contains("Cognome=\"D&apos;Angelo\""));
//!
//! // A violation is reported with its rule, and nothing can be written.
//! let wrong = Prestazione { data_erogazione: None, ..prestazione };
//! let v = validate_prestazione(&beneficiario, &wrong).unwrap_err();
//! assert_eq!(v[0].code(), "benefit.one_off.payment_date.missing");
//! ```

#![warn(missing_docs)]

pub mod catalogo;
pub mod codes;
pub mod decimal;
pub mod flow;
pub mod model;
pub mod parse;
pub mod pseudonym;
pub mod split;
pub mod validate;
pub mod xml;

pub use codes::*;
pub use decimal::{DecimalError, Importo, OreServizio};
pub use flow::{
    ps_bulk, ps_message, ps_messages, sinba_bulk, sinba_message, sinba_messages, FlowError, NomeFlusso,
    TipoFlusso, TipoNome, WaasFlusso, XmlFlow,
};
pub use model::*;
pub use parse::{parse_ps, parse_sinba, BeneficiarioPrestazioni, ParseError, PsFlusso, SinbaFlusso};
pub use pseudonym::{IdBeneficiario, PseudonymError, SinbaSecret};
pub use split::{split_by_year, split_total_by_year, PeriodicaTotale, SplitError};
pub use validate::{
    check_beneficiario, check_ente, check_prestazione, check_sinba, validate_prestazione,
    validate_prestazioni, validate_sinba, Rejected, Rule, ValidatedPrestazione, ValidatedSinba, Violation,
};
