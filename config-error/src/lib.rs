//! Configuration errors located at file, line and key: one type for every
//! configuration file of metrodati (settings, source definitions,
//! `jobs.toml`, `serve.toml`).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One configuration problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Dotted key path, e.g. `anagrafe[0].columns.tax_code`.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    /// An error at a byte span of a file's text.
    pub fn at(
        file: &Path,
        text: &str,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line: span.map(|s| line_of(text, s.start)),
            key,
            message: message.into(),
        }
    }

    /// An error about a whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line: None,
            key: None,
            message: message.into(),
        }
    }

    /// From a TOML parse/deserialisation error.
    pub fn from_toml(file: &Path, text: &str, e: &toml::de::Error) -> Self {
        let message = e.message().to_string();
        ConfigError::at(file, text, e.span(), None, message)
    }
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": key `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// All the problems found, reported together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} configuration error(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let t = "a = 1\nb = 2\nc = 3\n";
        assert_eq!(line_of(t, 0), 1);
        assert_eq!(line_of(t, 6), 2);
        assert_eq!(line_of(t, 12), 3);
        assert_eq!(line_of(t, 999), 4);
    }
}
