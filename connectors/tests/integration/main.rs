//! Integration tests of metrodati-connectors (one test binary).
//!
//! Every fixture is generated at test time in a temp dir, except
//! `tests/fixtures/legacy.xls` (made by `tests/fixtures/make_xls.py`).

mod atomic;
mod csv;
mod excel;
mod helpers;
mod json;
mod location;
#[cfg(feature = "http")]
mod remote_http;
