//! metrodati-interop: the interoperability schema and its rules.
//!
//! Domain code only — entity definitions ([`schema`]), controlled
//! vocabularies ([`vocab`]), reference data ([`refdata`], [`anpr`]), the
//! codice fiscale ([`cf`]), the INPS codici prestazione ([`prestazioni`])
//! and validators ([`validate`]). It deliberately has
//! no dataframe or I/O engine dependency: pipelines turn these types into
//! frames and files.

pub mod anpr;
pub mod cf;
pub mod prestazioni;
pub mod refdata;
pub mod schema;
pub mod validate;
pub mod vocab;
