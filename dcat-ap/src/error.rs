//! Error types.

use std::fmt;

/// What is wrong with a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueKind {
    /// A property that DCAT-AP_IT (or this project) makes mandatory is absent.
    Missing,
    /// A property is present but its value is not acceptable.
    Invalid(String),
}

/// One validation problem, located by a human-readable path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where, e.g. `catalog > dataset "cmmi:popolazione" > distribution "csv"`.
    pub path: String,
    /// The DCAT-AP_IT property, as a prefixed name (e.g. `dct:license`).
    pub property: &'static str,
    /// Missing or invalid.
    pub kind: IssueKind,
}

impl Issue {
    /// True for [`IssueKind::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self.kind, IssueKind::Missing)
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            IssueKind::Missing => write!(f, "{}: missing mandatory {}", self.path, self.property),
            IssueKind::Invalid(msg) => {
                write!(f, "{}: invalid {}: {}", self.path, self.property, msg)
            }
        }
    }
}

/// All the problems found while building a catalogue, dataset or distribution.
///
/// Builders never stop at the first problem: every missing mandatory property
/// and every invalid value is collected into one error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    issues: Vec<Issue>,
}

impl ValidationError {
    pub(crate) fn new(issues: Vec<Issue>) -> Self {
        debug_assert!(!issues.is_empty());
        ValidationError { issues }
    }

    /// All issues, in discovery order.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// Only the missing mandatory properties.
    pub fn missing(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.is_missing())
    }

    /// Consume into the list of issues.
    pub fn into_issues(self) -> Vec<Issue> {
        self.issues
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let missing = self.missing().count();
        write!(
            f,
            "DCAT-AP_IT validation failed: {} issue(s), {} missing mandatory propert{}",
            self.issues.len(),
            missing,
            if missing == 1 { "y" } else { "ies" }
        )?;
        for i in &self.issues {
            write!(f, "\n  - {i}")?;
        }
        Ok(())
    }
}

/// A string is not an acceptable IRI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid IRI {value:?}: {reason}")]
pub struct InvalidIri {
    /// The rejected input.
    pub value: String,
    /// Why.
    pub reason: String,
}

/// RDF/XML serialisation failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdfXmlError {
    /// XML 1.0 cannot carry this character (C0 controls other than TAB/LF/CR,
    /// U+FFFE, U+FFFF), not even as a character reference.
    #[error("character U+{code:04X} cannot be represented in XML 1.0 ({context})")]
    UnrepresentableChar {
        /// Unicode scalar value.
        code: u32,
        /// Where it was found.
        context: String,
    },
}
