//! Validation rules of the interoperability schema.
//!
//! Validators are pure functions over text values. Each problem is an
//! [`Issue`] with a stable English `code` (for machines, dashboards and
//! tests) and an Italian message for data stewards; each silent fix is a
//! [`Repair`] that the pipeline counts.

pub mod address;
pub mod anagrafe;
mod common;
pub mod date;
pub mod number;
pub mod sociale;
pub mod text;

/// How serious an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The row cannot be used: it goes to quarantine.
    Error,
    /// The row is kept; the issue is reported in the quality results.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A problem found in one value (or one row, when `field` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Schema field (mapping target) the value was meant for.
    pub field: &'static str,
    /// Stable English rule code, e.g. `cf_check_char`.
    pub code: &'static str,
    /// Message for the data steward, in Italian.
    pub message_it: String,
    pub severity: Severity,
    /// The offending value as read.
    pub value: Option<String>,
}

impl Issue {
    pub fn error(
        field: &'static str,
        code: &'static str,
        message_it: impl Into<String>,
        value: Option<&str>,
    ) -> Issue {
        Issue {
            field,
            code,
            message_it: message_it.into(),
            severity: Severity::Error,
            value: value.map(str::to_string),
        }
    }

    pub fn warning(
        field: &'static str,
        code: &'static str,
        message_it: impl Into<String>,
        value: Option<&str>,
    ) -> Issue {
        Issue {
            severity: Severity::Warning,
            ..Issue::error(field, code, message_it, value)
        }
    }
}

/// A value the validators changed without changing its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repair {
    pub field: &'static str,
    /// Stable kind: `trim`, `whitespace`, `case`, `cf_letter_o`, `dug_abbreviation`, ...
    pub kind: &'static str,
}
