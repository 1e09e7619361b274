//! The error type shared by every connector.
//!
//! Every variant names the file or URL it is about exactly once, so that a
//! message can be shown to an operator as is: callers should not prefix it
//! with the file name again (use [`ConnectorError::location`] to know whether
//! an error already names one). Per-row problems are *not* errors: they are
//! reported as [`crate::row::RejectedRow`] and reading continues.

use std::path::Path;

/// A fatal problem while locating, opening, reading or writing a source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// An I/O error on a local file or directory.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A source pattern that cannot be understood.
    #[error("invalid source pattern {pattern:?}: {message}")]
    InvalidPattern {
        /// The pattern as written in the source definition.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },

    /// The URL scheme needs a cargo feature that this build does not include.
    #[error(
        "{url}: the {scheme}:// scheme needs the cargo feature `{feature}` of \
         metrodati-connectors, which is not enabled in this build \
         (rebuild with `--features {feature}`)"
    )]
    FeatureNotEnabled {
        /// The URL or pattern that was requested.
        url: String,
        /// Its scheme.
        scheme: String,
        /// The cargo feature to enable.
        feature: &'static str,
    },

    /// An error reported by the object store (listing, HEAD, GET, PUT).
    #[error("object store error on {url}: {source}")]
    ObjectStore {
        /// The URL involved.
        url: String,
        /// The underlying error.
        #[source]
        source: object_store::Error,
    },

    /// The internal async runtime could not be started.
    #[error("cannot start the internal async runtime for {url}: {message}")]
    Runtime {
        /// The URL being accessed.
        url: String,
        /// What went wrong.
        message: String,
    },

    /// A CSV file that cannot be parsed at all.
    #[error("CSV error in {url}{}: {message}", line_suffix(*line))]
    Csv {
        /// The file.
        url: String,
        /// The 1-based line, when known.
        line: Option<u64>,
        /// What went wrong.
        message: String,
    },

    /// A spreadsheet that cannot be opened or read.
    #[error("spreadsheet error in {url}: {message}")]
    Excel {
        /// The file.
        url: String,
        /// What went wrong.
        message: String,
    },

    /// The requested sheet does not exist.
    #[error("sheet {sheet} not found in {url} (sheets available: {})", available.join(", "))]
    SheetNotFound {
        /// The file.
        url: String,
        /// The sheet requested (a quoted name or an index).
        sheet: String,
        /// The sheets the workbook has.
        available: Vec<String>,
    },

    /// The sheet is larger than the configured cell budget.
    #[error(
        "sheet_too_large: sheet {sheet:?} in {url} spans {rows} rows × {cols} columns \
         = {cells} cells, over the budget of {max_cells} cells (max_cells)"
    )]
    SheetTooLarge {
        /// The file.
        url: String,
        /// The sheet name.
        sheet: String,
        /// Rows of the (declared or loaded) range.
        rows: u64,
        /// Columns of the (declared or loaded) range.
        cols: u64,
        /// rows × cols.
        cells: u64,
        /// The configured budget.
        max_cells: u64,
    },

    /// The header row could not be found.
    #[error("header not found in {url}: {message}")]
    HeaderNotFound {
        /// The file.
        url: String,
        /// Details.
        message: String,
    },

    /// A JSON document that cannot be parsed at all.
    #[error("JSON error in {url}{}: {message}", line_suffix(*line))]
    Json {
        /// The file.
        url: String,
        /// The 1-based line, when known.
        line: Option<u64>,
        /// What went wrong.
        message: String,
    },

    /// A Parquet file that cannot be read (damaged, truncated, or not
    /// Parquet at all).
    #[error("Parquet error in {url}: {message}")]
    Parquet {
        /// The file.
        url: String,
        /// What went wrong.
        message: String,
    },

    /// A format that this reader cannot handle.
    #[error("unsupported format for {url}: {message}")]
    UnsupportedFormat {
        /// The file.
        url: String,
        /// Details.
        message: String,
    },
}

fn line_suffix(line: Option<u64>) -> String {
    match line {
        Some(l) => format!(" at line {l}"),
        None => String::new(),
    }
}

impl ConnectorError {
    /// Builds an [`ConnectorError::Io`] for a filesystem path.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        ConnectorError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// Builds an [`ConnectorError::Io`] for a URL or any other textual location.
    pub fn io_at(location: impl Into<String>, source: std::io::Error) -> Self {
        ConnectorError::Io {
            path: location.into(),
            source,
        }
    }

    /// The file, URL or source pattern that the message already names.
    ///
    /// Every variant names one, so this is `Some` today; it is an `Option`
    /// because the enum is `#[non_exhaustive]`. A caller that reports errors
    /// of several origins per file can use it to avoid writing the file name
    /// twice (`path: CSV error in path: …`).
    pub fn location(&self) -> Option<&str> {
        match self {
            ConnectorError::Io { path, .. } => Some(path),
            ConnectorError::InvalidPattern { pattern, .. } => Some(pattern),
            ConnectorError::FeatureNotEnabled { url, .. }
            | ConnectorError::ObjectStore { url, .. }
            | ConnectorError::Runtime { url, .. }
            | ConnectorError::Csv { url, .. }
            | ConnectorError::Excel { url, .. }
            | ConnectorError::SheetNotFound { url, .. }
            | ConnectorError::SheetTooLarge { url, .. }
            | ConnectorError::HeaderNotFound { url, .. }
            | ConnectorError::Json { url, .. }
            | ConnectorError::Parquet { url, .. }
            | ConnectorError::UnsupportedFormat { url, .. } => Some(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file() {
        let e = ConnectorError::io("/tmp/x.csv", std::io::Error::other("boom"));
        assert_eq!(e.to_string(), "I/O error on /tmp/x.csv: boom");

        let e = ConnectorError::Csv {
            url: "/d/a.csv".into(),
            line: Some(7),
            message: "bad".into(),
        };
        assert_eq!(e.to_string(), "CSV error in /d/a.csv at line 7: bad");

        let e = ConnectorError::SheetTooLarge {
            url: "/d/a.xlsx".into(),
            sheet: "Foglio1".into(),
            rows: 200_000,
            cols: 3,
            cells: 600_000,
            max_cells: 1000,
        };
        let msg = e.to_string();
        assert!(msg.starts_with("sheet_too_large"), "{msg}");
        assert!(msg.contains("200000 rows × 3 columns"), "{msg}");
        assert!(msg.contains("1000"), "{msg}");
        assert!(msg.contains("/d/a.xlsx"), "{msg}");

        let e = ConnectorError::FeatureNotEnabled {
            url: "s3://b/k".into(),
            scheme: "s3".into(),
            feature: "s3",
        };
        assert!(e.to_string().contains("`s3`"));
        assert!(e.to_string().contains("s3://b/k"));

        let e = ConnectorError::SheetNotFound {
            url: "/d/a.xlsx".into(),
            sheet: "\"Dati\"".into(),
            available: vec!["Foglio1".into(), "Foglio2".into()],
        };
        assert!(e.to_string().contains("Foglio1, Foglio2"));

        let e = ConnectorError::Parquet {
            url: "/d/a.parquet".into(),
            message: "invalid footer".into(),
        };
        assert_eq!(e.to_string(), "Parquet error in /d/a.parquet: invalid footer");
        assert_eq!(e.location(), Some("/d/a.parquet"));
    }

    /// Every message names its location exactly once.
    #[test]
    fn the_location_appears_once() {
        let url = "/dati/anagrafe.csv";
        let errors = [
            ConnectorError::io(url, std::io::Error::other("boom")),
            ConnectorError::Csv {
                url: url.into(),
                line: Some(3),
                message: "bad".into(),
            },
            ConnectorError::Excel {
                url: url.into(),
                message: "bad".into(),
            },
            ConnectorError::HeaderNotFound {
                url: url.into(),
                message: "bad".into(),
            },
            ConnectorError::Json {
                url: url.into(),
                line: None,
                message: "bad".into(),
            },
            ConnectorError::Parquet {
                url: url.into(),
                message: "bad".into(),
            },
            ConnectorError::UnsupportedFormat {
                url: url.into(),
                message: "bad".into(),
            },
        ];
        for e in errors {
            let msg = e.to_string();
            assert_eq!(msg.matches(url).count(), 1, "{msg}");
            assert_eq!(e.location(), Some(url));
        }
    }
}
