//! metrodati-connectors: everything between a source definition and rows.
//!
//! - [`location`]: resolve a path, glob or object-store URL to
//!   [`SourceObject`]s, open them, fingerprint them;
//! - [`encoding`]: detect and transcode text encodings to UTF-8;
//! - [`spec`]: the per-source [`FormatSpec`] read from TOML, and
//!   [`parse_decimal`];
//! - [`row`]: the row model ([`RawRow`], [`RejectedRow`], [`RowReader`]);
//! - [`format`](mod@format): CSV, spreadsheet and JSON readers behind
//!   [`open_reader`];
//! - [`atomic`]: write outputs so that readers never see half a file.
//!
//! Remote object stores are behind the cargo features `s3`, `azure`, `gcs`
//! and `http`.

pub mod atomic;
pub mod encoding;
pub mod error;
pub mod format;
pub mod location;
pub mod row;
mod runtime;
pub mod spec;

pub use encoding::{decoding_reader, EncodingSpec};
pub use error::ConnectorError;
pub use format::open_reader;
pub use location::{resolve, ReadSeek, SourceObject};
pub use row::{RawRow, RejectedRow, RowItem, RowReader};
pub use spec::{parse_decimal, Format, FormatSpec, HeaderRow, SheetSpec};
