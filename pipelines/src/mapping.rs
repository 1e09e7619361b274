//! A source's column mapping bound to an actual file header, for any
//! pipeline: rows become the validator input of the pipeline's targets.

use crate::config::{ColumnMapping, Source};
use std::collections::BTreeMap;

/// The mapping targets of a pipeline (its validator's `Target` enum) and
/// the input rows built from them.
pub trait Targets: Copy + Eq + 'static {
    /// One validator input row: a value per target.
    type Input: AsRef<[Option<String>]> + AsMut<[Option<String>]>;

    fn from_name(name: &str) -> Option<Self>;
    /// Position of the target in an input row.
    fn index(self) -> usize;
    /// Number of targets.
    fn count() -> usize;
    /// An input row with every cell empty.
    fn empty_input() -> Self::Input;
}

impl Targets for metrodati_interop::validate::anagrafe::Target {
    type Input = metrodati_interop::validate::anagrafe::Input;

    fn from_name(name: &str) -> Option<Self> {
        Self::from_name(name)
    }
    fn index(self) -> usize {
        self as usize
    }
    fn count() -> usize {
        Self::COUNT
    }
    fn empty_input() -> Self::Input {
        Default::default()
    }
}

impl Targets for metrodati_interop::validate::sociale::Target {
    type Input = metrodati_interop::validate::sociale::Input;

    fn from_name(name: &str) -> Option<Self> {
        Self::from_name(name)
    }
    fn index(self) -> usize {
        self as usize
    }
    fn count() -> usize {
        Self::COUNT
    }
    fn empty_input() -> Self::Input {
        metrodati_interop::validate::sociale::empty_input()
    }
}

/// One target bound to a header position.
#[derive(Debug, Clone)]
struct Bound {
    index: usize,
    values: Option<BTreeMap<String, String>>,
}

/// A mapping resolved against a header: rows become input arrays.
#[derive(Debug, Clone)]
pub struct BoundMapping<T: Targets> {
    targets: Vec<(T, Bound)>,
    /// Source column of each target (for quarantine reports).
    columns: Vec<Option<String>>,
}

/// Header columns the mapping needs but the file lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumns(pub Vec<String>);

impl<T: Targets> BoundMapping<T> {
    /// Binds the source's columns to `header` (matching trimmed names,
    /// case-insensitively). Mapped fields that are not targets of `T` are
    /// ignored (the definition check rejects them).
    pub fn bind(spec: &impl Source, header: &[String]) -> Result<BoundMapping<T>, MissingColumns> {
        let find = |name: &str| {
            let name = name.trim();
            header
                .iter()
                .position(|h| h.trim() == name)
                .or_else(|| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name)))
        };
        let mut targets = Vec::new();
        let mut columns: Vec<Option<String>> = vec![None; T::count()];
        let mut missing = Vec::new();
        for (field, mapping) in spec.columns() {
            let Some(target) = T::from_name(field.get_ref()) else {
                continue;
            };
            match find(mapping.column()) {
                Some(index) => {
                    columns[target.index()] = Some(mapping.column().to_string());
                    targets.push((
                        target,
                        Bound {
                            index,
                            values: mapping.values().cloned(),
                        },
                    ));
                }
                None => missing.push(mapping.column().to_string()),
            }
        }
        if missing.is_empty() {
            Ok(BoundMapping { targets, columns })
        } else {
            Err(MissingColumns(missing))
        }
    }

    /// The mapped source column names (to help header detection).
    pub fn expected_columns(spec: &impl Source) -> Vec<String> {
        spec.columns()
            .values()
            .map(ColumnMapping::column)
            .map(str::to_string)
            .collect()
    }

    /// The source column a target was read from.
    pub fn column_of(&self, field: &str) -> Option<&str> {
        T::from_name(field).and_then(|t| self.columns[t.index()].as_deref())
    }

    /// Builds the validator input of one row, applying value recodings
    /// (matched on the trimmed value, case-insensitively).
    pub fn input(&self, values: &[Option<String>]) -> T::Input {
        let mut input = T::empty_input();
        let slots = input.as_mut();
        for (target, bound) in &self.targets {
            let raw = values.get(bound.index).and_then(|v| v.as_ref());
            slots[target.index()] = raw.map(|v| match &bound.values {
                Some(map) => {
                    let key = v.trim();
                    map.get(key)
                        .or_else(|| {
                            map.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                                .map(|(_, v)| v)
                        })
                        .cloned()
                        .unwrap_or_else(|| v.clone())
                }
                None => v.clone(),
            });
        }
        input
    }
}
