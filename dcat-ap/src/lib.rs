//! metrodati-dcat-ap — a typed DCAT-AP_IT model of the metrodati open-data
//! catalogue (Città metropolitana di Milano and its 133 comuni) with builders
//! that validate the mandatory properties, and hand-written deterministic
//! Turtle and RDF/XML serialisers for harvesting by dati.gov.it.
//!
//! Profile: DCAT-AP_IT 1.0 as documented by AgID's "Linee guida per i
//! cataloghi dati" (see `shared/reference/dcat-ap-it.md`).  Every node is typed
//! with both the DCAT-AP_IT class and its DCAT/FOAF/vCard parent so that the
//! EU DCAT-AP SHACL shapes apply too.
//!
//! ```
//! use chrono::NaiveDate;
//! use metrodati_dcat_ap::*;
//!
//! let cm = Agent::new("cmmi", "Città metropolitana di Milano");
//! let catalog = Catalog::builder()
//!     .base_iri("https://dati.example.it/")
//!     .title("it", "Catalogo open data")
//!     .description("it", "Dati aperti della Città metropolitana di Milano.")
//!     .publisher(cm.clone())
//!     .modified(NaiveDate::from_ymd_opt(2025, 1, 31).unwrap())
//!     .dataset(
//!         Dataset::builder()
//!             .identifier("cmmi:popolazione")
//!             .title("it", "Popolazione residente")
//!             .description("it", "Residenti per comune al 1° gennaio.")
//!             .modified(NaiveDate::from_ymd_opt(2025, 1, 31).unwrap())
//!             .theme(DataTheme::Soci)
//!             .rights_holder(cm)
//!             .accrual_periodicity(Frequency::Annual)
//!             .distribution(
//!                 Distribution::builder("csv")
//!                     .access_url("https://dati.example.it/popolazione")
//!                     .format(FileType::Csv)
//!                     .license(Licence::CcBy40),
//!             ),
//!     )
//!     .build()
//!     .expect("valid catalogue");
//! let ttl = catalog.to_turtle();
//! assert!(ttl.contains("a dcatapit:Catalog, dcat:Catalog"));
//! ```
//!
//! Missing mandatory properties are all reported together:
//!
//! ```
//! use metrodati_dcat_ap::*;
//! let err = Dataset::builder().identifier("cmmi:x").build().unwrap_err();
//! let missing: Vec<_> = err.missing().map(|i| i.property).collect();
//! assert!(missing.contains(&"dct:rightsHolder"));
//! assert!(missing.contains(&"dcat:distribution"));
//! ```

#![warn(missing_docs)]

mod catalog;
mod dataset;
mod distribution;
pub mod error;
mod model;
pub mod rdf;
mod validate;
pub mod vocab;

pub use catalog::{Catalog, CatalogBuilder};
pub use dataset::{Dataset, DatasetBuilder};
pub use distribution::{Distribution, DistributionBuilder};
pub use error::{InvalidIri, Issue, IssueKind, RdfXmlError, ValidationError};
pub use model::{
    Agent, Checksum, ContactPoint, DatasetId, DateValue, Iri, LangString, PeriodOfTime, Spatial, Standard,
};
pub use vocab::{
    ChecksumAlgorithm, DataTheme, EuroVoc, FileType, Frequency, Language, Licence, LicenceType, MediaType,
};
