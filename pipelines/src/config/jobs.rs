//! `jobs.toml`: what runs, on which comuni, and when.
//!
//! ```toml
//! [groups]
//! ovest = ["015002", "015130"]
//!
//! [jobs.anagrafe]
//! pipeline = "anagrafe"
//! comuni = "all"            # "all", a list of ISTAT codes, or "@group"
//! schedule = "30 2 * * *"   # cron, in `timezone` (default Europe/Rome)
//! ```

use super::ConfigError;
use metrodati_interop::refdata;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Pipelines a job may run.
pub const PIPELINES: &[&str] = &["anagrafe"];

/// The parsed jobs file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsFile {
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<Spanned<String>>>,
    #[serde(default)]
    pub jobs: BTreeMap<Spanned<String>, JobSpec>,
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub text: String,
}

/// One job.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    pub pipeline: Spanned<String>,
    /// `"all"`, `"@group"` or a list of ISTAT codes (checked in [`JobsFile::parse`]).
    #[serde(default, rename = "comuni")]
    comuni_raw: Option<Spanned<toml::Value>>,
    /// The resolved selector.
    #[serde(skip)]
    pub comuni: ComuniSelector,
    /// Cron expression (5 fields), in `timezone`. Executed by the scheduler.
    #[serde(default)]
    pub schedule: Option<Spanned<String>>,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub description: Option<String>,
}

fn default_timezone() -> String {
    "Europe/Rome".into()
}

fn yes() -> bool {
    true
}

/// Which comuni a job covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ComuniSelector {
    /// `"all"` or not given.
    #[default]
    All,
    /// `"@group"`: a group of `[groups]`.
    Group(String),
    /// Explicit ISTAT codes.
    List(Vec<String>),
}

impl JobsFile {
    /// Reads and checks the file; every problem is returned.
    pub fn load(path: &Path) -> Result<JobsFile, Vec<ConfigError>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![ConfigError::file(path, format!("cannot read: {e}"))])?;
        JobsFile::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<JobsFile, Vec<ConfigError>> {
        let mut f: JobsFile =
            toml::from_str(text).map_err(|e| vec![ConfigError::from_toml(path, text, &e)])?;
        f.path = path.to_path_buf();
        f.text = text.to_string();
        let mut errors = Vec::new();
        let names: Vec<Spanned<String>> = f.jobs.keys().cloned().collect();
        for name in names {
            let selector = {
                let job = &f.jobs[name.get_ref().as_str()];
                f.selector(name.get_ref(), job.comuni_raw.as_ref(), &mut errors)
            };
            if let Some(job) = f.jobs.get_mut(name.get_ref().as_str()) {
                job.comuni = selector;
            }
        }
        errors.extend(f.check());
        errors.sort_by_key(|e| e.line);
        if errors.is_empty() {
            Ok(f)
        } else {
            Err(errors)
        }
    }

    /// The job with this name.
    pub fn job(&self, name: &str) -> Option<&JobSpec> {
        self.jobs.get(name)
    }

    /// Job names in file order of their keys (sorted).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.jobs.keys().map(|k| k.get_ref().as_str())
    }

    /// The ISTAT codes a job covers, sorted.
    pub fn comuni_of(&self, job: &JobSpec) -> Vec<String> {
        let all = || {
            refdata::comuni_cm()
                .iter()
                .map(|c| c.codice_istat.to_string())
                .collect::<Vec<_>>()
        };
        let mut v = match &job.comuni {
            ComuniSelector::All => all(),
            ComuniSelector::Group(g) => self
                .groups
                .get(g)
                .map(|l| l.iter().map(|c| c.get_ref().clone()).collect())
                .unwrap_or_default(),
            ComuniSelector::List(l) => l.clone(),
        };
        v.sort();
        v.dedup();
        v
    }

    fn selector(
        &self,
        job: &str,
        raw: Option<&Spanned<toml::Value>>,
        errors: &mut Vec<ConfigError>,
    ) -> ComuniSelector {
        let Some(raw) = raw else {
            return ComuniSelector::All;
        };
        let key = format!("jobs.{job}.comuni");
        let bad = |msg: String| self.err(Some(raw.span()), key.clone(), msg);
        match raw.get_ref() {
            toml::Value::String(s) if s == "all" => ComuniSelector::All,
            toml::Value::String(s) if s.starts_with('@') => {
                let g = &s[1..];
                if !self.groups.contains_key(g) {
                    errors.push(bad(format!("group `{g}` is not defined in [groups]")));
                }
                ComuniSelector::Group(g.to_string())
            }
            toml::Value::Array(items) => {
                let mut codes = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(c) if refdata::comune_by_istat(c).is_some() => codes.push(c.to_string()),
                        Some(c) => errors.push(bad(format!(
                            "unknown comune `{c}`: not an ISTAT code of the Città Metropolitana di Milano"
                        ))),
                        None => errors.push(bad(format!("`{item}` is not an ISTAT code string"))),
                    }
                }
                ComuniSelector::List(codes)
            }
            other => {
                errors.push(bad(format!(
                    "`{other}` is neither \"all\", \"@<group>\" nor a list of ISTAT codes"
                )));
                ComuniSelector::All
            }
        }
    }

    fn err(&self, span: Option<std::ops::Range<usize>>, key: String, msg: impl Into<String>) -> ConfigError {
        ConfigError::at(&self.path, &self.text, span, Some(key), msg)
    }

    fn check(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let check_code = |c: &Spanned<String>, key: String, errors: &mut Vec<ConfigError>| {
            if refdata::comune_by_istat(c.get_ref()).is_none() {
                errors.push(self.err(
                    Some(c.span()),
                    key,
                    format!(
                        "unknown comune `{}`: not an ISTAT code of the Città Metropolitana di Milano",
                        c.get_ref()
                    ),
                ));
            }
        };
        for (g, list) in &self.groups {
            for c in list {
                check_code(c, format!("groups.{g}"), &mut errors);
            }
        }
        for (name, job) in &self.jobs {
            let key = |k: &str| format!("jobs.{}.{k}", name.get_ref());
            if !PIPELINES.contains(&job.pipeline.get_ref().as_str()) {
                errors.push(self.err(
                    Some(job.pipeline.span()),
                    key("pipeline"),
                    format!(
                        "unknown pipeline `{}`; known: {}",
                        job.pipeline.get_ref(),
                        PIPELINES.join(", ")
                    ),
                ));
            }
            if let Some(s) = &job.schedule {
                let fields = s.get_ref().split_whitespace().count();
                if fields != 5 {
                    errors.push(self.err(
                        Some(s.span()),
                        key("schedule"),
                        format!(
                            "cron expression `{}` must have 5 fields (minute hour day month weekday)",
                            s.get_ref()
                        ),
                    ));
                }
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_selectors() {
        let t = r#"
[groups]
ovest = ["015002", "015130"]

[jobs.a]
pipeline = "anagrafe"

[jobs.b]
pipeline = "anagrafe"
comuni = "@ovest"

[jobs.c]
pipeline = "anagrafe"
comuni = ["015146"]
schedule = "30 2 * * *"
"#;
        let f = JobsFile::parse(Path::new("jobs.toml"), t).unwrap();
        assert_eq!(f.comuni_of(f.job("a").unwrap()).len(), 133);
        assert_eq!(f.comuni_of(f.job("b").unwrap()), vec!["015002", "015130"]);
        assert_eq!(f.comuni_of(f.job("c").unwrap()), vec!["015146"]);
        assert_eq!(f.job("c").unwrap().timezone, "Europe/Rome");
    }

    #[test]
    fn reports_all_errors_located() {
        let t = "[jobs.a]\npipeline = \"anagraf\"\ncomuni = [\"015146\", \"099999\"]\nschedule = \"* *\"\n";
        let errs = JobsFile::parse(Path::new("jobs.toml"), t).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert_eq!(errs[0].line, Some(2));
        assert_eq!(errs[0].key.as_deref(), Some("jobs.a.pipeline"));
        assert_eq!(errs[1].line, Some(3));
        assert_eq!(errs[2].line, Some(4));
    }
}
