//! `jobs.toml`: what runs, on which comuni, and when.
//!
//! ```toml
//! [groups]
//! ovest = ["015002", "015130"]
//!
//! [jobs.anagrafe]
//! description = "Anagrafe di tutti i comuni, ogni notte"
//! pipeline = "anagrafe"
//! comuni = "all"                  # "all", a list of ISTAT codes, or "@group"
//! params = { }                    # free table, passed to the run and recorded with it
//! schedule = "30 2 * * *"         # 5-field cron, read in `timezone`
//! timezone = "Europe/Rome"        # IANA name (default Europe/Rome)
//! timeout = "3h"                  # an attempt running longer is cancelled ("timeout")
//! retries = { max = 2, initial = "10m", multiplier = 2, cap = "1h" }
//! catch_up = { policy = "once", window = "1d", max_runs = 10 }   # "skip" | "once" | "all"
//! concurrency = "queue"           # or "drop": a trigger arriving while the job is busy
//! enabled = true
//!
//! [jobs.report]
//! pipeline = "anagrafe"
//! depends_on = ["anagrafe"]       # runs after these succeed, for the same fire time
//! run_after_partial = true        # also after a dependency that succeeded for some comuni only
//! ```
//!
//! Every key is checked (unknown keys are errors) and every problem is
//! reported at once, located at file, line and key: each job is deserialised
//! on its own, so a mistake in one job does not hide the others', and the
//! values (cron, time zone, durations, policies, dependencies) are checked
//! after deserialisation.

use super::ConfigError;
use crate::schedule::{
    parse_duration, parse_timezone, CatchUp, CatchUpPolicy, Concurrency, RetryPolicy, Schedule,
};
use metrodati_interop::refdata;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// Pipelines a job may run: those of [`crate::runner::PIPELINES`].
pub fn pipelines() -> impl Iterator<Item = &'static str> {
    crate::runner::PIPELINES.iter().map(|p| p.name)
}

/// The default time zone of schedules.
pub const DEFAULT_TIMEZONE: &str = "Europe/Rome";

/// The parsed jobs file.
#[derive(Debug, Clone)]
pub struct JobsFile {
    pub groups: BTreeMap<String, Vec<Spanned<String>>>,
    pub jobs: BTreeMap<Spanned<String>, JobSpec>,
    pub path: PathBuf,
    pub text: String,
}

/// One job, checked and resolved.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub pipeline: Spanned<String>,
    /// The resolved selector (`"all"`, `"@group"` or a list of ISTAT codes).
    pub comuni: ComuniSelector,
    comuni_span: Option<Range<usize>>,
    /// Free parameters, passed to the run and recorded with it.
    pub params: toml::Table,
    /// Cron expression (5 fields), in `timezone`, as written.
    pub schedule: Option<Spanned<String>>,
    /// IANA time zone of the schedule (default Europe/Rome).
    pub timezone: String,
    /// The parsed schedule (`None` without `schedule`).
    pub cron: Option<Schedule>,
    pub retries: RetryPolicy,
    /// An attempt running longer is cancelled and recorded as failed ("timeout").
    pub timeout: Option<Duration>,
    /// Jobs that must succeed, for the same fire time, before this one runs.
    pub depends_on: Vec<Spanned<String>>,
    /// Run also when a dependency ended `partially_succeeded` (the comuni
    /// that failed kept their previous data), instead of being skipped.
    pub run_after_partial: bool,
    pub catch_up: CatchUp,
    pub concurrency: Concurrency,
    pub enabled: bool,
    pub description: Option<String>,
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

// ----------------------------------------------------------------------
// the file as written
// ----------------------------------------------------------------------

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    pipeline: Spanned<String>,
    #[serde(default)]
    comuni: Option<Spanned<toml::Value>>,
    #[serde(default)]
    params: Option<toml::Table>,
    #[serde(default)]
    schedule: Option<Spanned<String>>,
    #[serde(default)]
    timezone: Option<Spanned<String>>,
    #[serde(default)]
    retries: Option<RawRetries>,
    #[serde(default)]
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    depends_on: Vec<Spanned<String>>,
    #[serde(default)]
    run_after_partial: bool,
    #[serde(default)]
    catch_up: Option<RawCatchUp>,
    #[serde(default)]
    concurrency: Option<Spanned<String>>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetries {
    #[serde(default)]
    max: Option<Spanned<i64>>,
    #[serde(default)]
    initial: Option<Spanned<String>>,
    #[serde(default)]
    multiplier: Option<Spanned<f64>>,
    #[serde(default)]
    cap: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatchUp {
    #[serde(default)]
    policy: Option<Spanned<String>>,
    #[serde(default)]
    window: Option<Spanned<String>>,
    #[serde(default)]
    max_runs: Option<Spanned<i64>>,
}

/// Collects located errors for one file.
struct Errors<'a> {
    path: &'a Path,
    text: &'a str,
    list: Vec<ConfigError>,
}

impl Errors<'_> {
    fn push(&mut self, span: Option<Range<usize>>, key: impl Into<String>, msg: impl Into<String>) {
        self.list
            .push(ConfigError::at(self.path, self.text, span, Some(key.into()), msg));
    }

    fn push_toml(&mut self, fallback: Range<usize>, key: impl Into<String>, e: &toml::de::Error) {
        let span = e.span().filter(|s| s.start > 0 || s.end > 0).unwrap_or(fallback);
        self.push(Some(span), key, e.message().trim().to_string());
    }
}

impl JobsFile {
    /// Reads and checks the file; every problem is returned.
    pub fn load(path: &Path) -> Result<JobsFile, Vec<ConfigError>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![ConfigError::file(path, format!("cannot read: {e}"))])?;
        JobsFile::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<JobsFile, Vec<ConfigError>> {
        let root =
            toml::de::DeTable::parse(text).map_err(|e| vec![ConfigError::from_toml(path, text, &e)])?;
        let mut errs = Errors {
            path,
            text,
            list: Vec::new(),
        };
        let mut groups = BTreeMap::new();
        let mut raw_jobs: Vec<(Spanned<String>, RawJob)> = Vec::new();
        for (key, value) in root.get_ref().iter() {
            let name: &str = key.get_ref().as_ref();
            match name {
                "groups" => {
                    match BTreeMap::<String, Vec<Spanned<String>>>::deserialize(
                        toml::de::ValueDeserializer::from(value.clone()),
                    ) {
                        Ok(g) => groups = g,
                        Err(e) => errs.push_toml(key.span(), "groups", &e),
                    }
                }
                "jobs" => match value.get_ref().as_table() {
                    Some(table) => {
                        for (job, v) in table.iter() {
                            let job_name: &str = job.get_ref().as_ref();
                            match RawJob::deserialize(toml::de::ValueDeserializer::from(v.clone())) {
                                Ok(raw) => {
                                    raw_jobs.push((Spanned::new(job.span(), job_name.to_string()), raw))
                                }
                                Err(e) => errs.push_toml(job.span(), format!("jobs.{job_name}"), &e),
                            }
                        }
                    }
                    None => errs.push(Some(value.span()), "jobs", "`jobs` must be a table of jobs"),
                },
                other => errs.push(
                    Some(key.span()),
                    other,
                    format!("unknown key `{other}`: the file has `[groups]` and `[jobs.<name>]`"),
                ),
            }
        }
        let mut file = JobsFile {
            groups,
            jobs: BTreeMap::new(),
            path: path.to_path_buf(),
            text: text.to_string(),
        };
        for (name, raw) in raw_jobs {
            let spec = file.resolve(name.get_ref(), raw, &mut errs);
            file.jobs.insert(name, spec);
        }
        file.check_groups(&mut errs);
        file.check_dependencies(&mut errs);
        let mut errors = errs.list;
        errors.sort_by_key(|e| e.line);
        if errors.is_empty() {
            Ok(file)
        } else {
            Err(errors)
        }
    }

    /// The job with this name.
    pub fn job(&self, name: &str) -> Option<&JobSpec> {
        self.jobs.get(name)
    }

    /// Job names, sorted.
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

    /// The line of `jobs.<job>.comuni` (for errors found by other checks).
    pub fn comuni_line(&self, job: &str) -> Option<usize> {
        let span = self.jobs.get(job)?.comuni_span.clone()?;
        Some(super::line_of(&self.text, span.start))
    }

    /// The schedule that decides a job's fire times: its own, or for a job
    /// with `depends_on` the (single, checked) schedule of the jobs it
    /// ultimately depends on.
    pub fn fire_schedule(&self, job: &str) -> Option<Schedule> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![job.to_string()];
        while let Some(j) = stack.pop() {
            if !seen.insert(j.clone()) {
                continue;
            }
            let spec = self.jobs.get(j.as_str())?;
            if spec.depends_on.is_empty() {
                if let Some(s) = &spec.cron {
                    return Some(s.clone());
                }
            }
            stack.extend(spec.depends_on.iter().map(|d| d.get_ref().clone()));
        }
        None
    }

    /// Jobs that list `job` in their `depends_on`, sorted.
    pub fn dependents_of(&self, job: &str) -> Vec<&str> {
        self.jobs
            .iter()
            .filter(|(_, s)| s.depends_on.iter().any(|d| d.get_ref() == job))
            .map(|(n, _)| n.get_ref().as_str())
            .collect()
    }

    // ------------------------------------------------------------------
    // checks
    // ------------------------------------------------------------------

    fn resolve(&self, name: &str, raw: RawJob, errs: &mut Errors<'_>) -> JobSpec {
        let key = |k: &str| format!("jobs.{name}.{k}");
        if crate::runner::pipeline(raw.pipeline.get_ref()).is_none() {
            errs.push(
                Some(raw.pipeline.span()),
                key("pipeline"),
                format!(
                    "unknown pipeline `{}`; known: {}",
                    raw.pipeline.get_ref(),
                    pipelines().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        let comuni = self.selector(name, raw.comuni.as_ref(), errs);

        let timezone = raw
            .timezone
            .as_ref()
            .map(|t| t.get_ref().clone())
            .unwrap_or_else(|| DEFAULT_TIMEZONE.to_string());
        let tz = match parse_timezone(&timezone) {
            Ok(tz) => Some(tz),
            Err(msg) => {
                errs.push(raw.timezone.as_ref().map(|t| t.span()), key("timezone"), msg);
                None
            }
        };
        let cron = raw
            .schedule
            .as_ref()
            .and_then(|s| match Schedule::new(s.get_ref(), tz?) {
                Ok(c) => Some(c),
                Err(msg) => {
                    errs.push(Some(s.span()), key("schedule"), msg);
                    None
                }
            });
        // A bad time zone with a bad pattern: report the pattern too.
        if tz.is_none() {
            if let Some(s) = &raw.schedule {
                if let Err(msg) = crate::schedule::parse_cron(s.get_ref()) {
                    errs.push(Some(s.span()), key("schedule"), msg);
                }
            }
        }

        let duration = |errs: &mut Errors<'_>,
                        v: &Option<Spanned<String>>,
                        k: &str,
                        default: Option<Duration>| match v {
            None => default,
            Some(s) => match parse_duration(s.get_ref()) {
                Ok(d) => Some(d),
                Err(msg) => {
                    errs.push(Some(s.span()), key(k), msg);
                    default
                }
            },
        };
        let timeout = duration(errs, &raw.timeout, "timeout", None);

        let mut retries = RetryPolicy::default();
        if let Some(r) = &raw.retries {
            retries.initial = duration(errs, &r.initial, "retries.initial", Some(retries.initial))
                .unwrap_or(retries.initial);
            retries.cap = duration(errs, &r.cap, "retries.cap", Some(retries.cap)).unwrap_or(retries.cap);
            if let Some(m) = &r.max {
                match u32::try_from(*m.get_ref()) {
                    Ok(n) if n <= 100 => retries.max = n,
                    _ => errs.push(
                        Some(m.span()),
                        key("retries.max"),
                        format!("retries.max must be between 0 and 100, got {}", m.get_ref()),
                    ),
                }
            }
            if let Some(m) = &r.multiplier {
                let v = *m.get_ref();
                if v.is_finite() && (1.0..=100.0).contains(&v) {
                    retries.multiplier = v;
                } else {
                    errs.push(
                        Some(m.span()),
                        key("retries.multiplier"),
                        format!("retries.multiplier must be between 1 and 100, got {v}"),
                    );
                }
            }
            if retries.cap < retries.initial {
                errs.push(
                    r.cap.as_ref().map(|c| c.span()),
                    key("retries.cap"),
                    format!(
                        "retries.cap ({}) is shorter than retries.initial ({})",
                        crate::schedule::format_duration(retries.cap),
                        crate::schedule::format_duration(retries.initial)
                    ),
                );
            }
        }

        let mut catch_up = CatchUp::default();
        if let Some(c) = &raw.catch_up {
            if let Some(p) = &c.policy {
                match CatchUpPolicy::parse(p.get_ref()) {
                    Some(policy) => catch_up.policy = policy,
                    None => errs.push(
                        Some(p.span()),
                        key("catch_up.policy"),
                        format!(
                            "unknown catch-up policy `{}`; expected one of {}",
                            p.get_ref(),
                            CatchUpPolicy::NAMES
                        ),
                    ),
                }
            }
            catch_up.window = duration(errs, &c.window, "catch_up.window", catch_up.window);
            if let Some(m) = &c.max_runs {
                match u32::try_from(*m.get_ref()) {
                    Ok(n) if (1..=1000).contains(&n) => catch_up.max_runs = n,
                    _ => errs.push(
                        Some(m.span()),
                        key("catch_up.max_runs"),
                        format!(
                            "catch_up.max_runs must be between 1 and 1000, got {}",
                            m.get_ref()
                        ),
                    ),
                }
            }
        }

        let concurrency = match &raw.concurrency {
            None => Concurrency::default(),
            Some(c) => Concurrency::parse(c.get_ref()).unwrap_or_else(|| {
                errs.push(
                    Some(c.span()),
                    key("concurrency"),
                    format!(
                        "unknown concurrency policy `{}`; expected one of {}",
                        c.get_ref(),
                        Concurrency::NAMES
                    ),
                );
                Concurrency::default()
            }),
        };

        JobSpec {
            pipeline: raw.pipeline,
            comuni,
            comuni_span: raw.comuni.as_ref().map(|c| c.span()),
            params: raw.params.unwrap_or_default(),
            schedule: raw.schedule,
            timezone,
            cron,
            retries,
            timeout,
            depends_on: raw.depends_on,
            run_after_partial: raw.run_after_partial,
            catch_up,
            concurrency,
            enabled: raw.enabled,
            description: raw.description,
        }
    }

    fn selector(
        &self,
        job: &str,
        raw: Option<&Spanned<toml::Value>>,
        errs: &mut Errors<'_>,
    ) -> ComuniSelector {
        let Some(raw) = raw else {
            return ComuniSelector::All;
        };
        let key = format!("jobs.{job}.comuni");
        match raw.get_ref() {
            toml::Value::String(s) if s == "all" => ComuniSelector::All,
            toml::Value::String(s) if s.starts_with('@') => {
                let g = &s[1..];
                if !self.groups.contains_key(g) {
                    errs.push(
                        Some(raw.span()),
                        key,
                        format!("group `{g}` is not defined in [groups]"),
                    );
                }
                ComuniSelector::Group(g.to_string())
            }
            toml::Value::Array(items) => {
                let mut codes = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(c) if refdata::comune_by_istat(c).is_some() => codes.push(c.to_string()),
                        Some(c) => errs.push(
                            Some(raw.span()),
                            key.clone(),
                            format!("unknown comune `{c}`: not an ISTAT code of the Città Metropolitana di Milano"),
                        ),
                        None => errs.push(
                            Some(raw.span()),
                            key.clone(),
                            format!("`{item}` is not an ISTAT code string"),
                        ),
                    }
                }
                ComuniSelector::List(codes)
            }
            other => {
                errs.push(
                    Some(raw.span()),
                    key,
                    format!("`{other}` is neither \"all\", \"@<group>\" nor a list of ISTAT codes"),
                );
                ComuniSelector::All
            }
        }
    }

    fn check_groups(&self, errs: &mut Errors<'_>) {
        for (g, list) in &self.groups {
            for c in list {
                if refdata::comune_by_istat(c.get_ref()).is_none() {
                    errs.push(
                        Some(c.span()),
                        format!("groups.{g}"),
                        format!(
                            "unknown comune `{}`: not an ISTAT code of the Città Metropolitana di Milano",
                            c.get_ref()
                        ),
                    );
                }
            }
        }
    }

    /// Unknown jobs in `depends_on`, cycles (each named once), and the rules
    /// that give a dependent job its fire times.
    fn check_dependencies(&self, errs: &mut Errors<'_>) {
        for (name, job) in &self.jobs {
            let key = format!("jobs.{}.depends_on", name.get_ref());
            for d in &job.depends_on {
                if !self.jobs.contains_key(d.get_ref().as_str()) {
                    errs.push(
                        Some(d.span()),
                        key.clone(),
                        format!("unknown job `{}` in depends_on", d.get_ref()),
                    );
                }
            }
            if !job.depends_on.is_empty() {
                if let Some(s) = &job.schedule {
                    errs.push(
                        Some(s.span()),
                        format!("jobs.{}.schedule", name.get_ref()),
                        "a job with depends_on runs when its dependencies succeed, for their fire time: \
                         remove `schedule` (or `depends_on`)",
                    );
                }
            }
        }

        // Cycles: depth-first search; each cycle reported once, at the
        // depends_on entry of its alphabetically first job.
        let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
        for start in self.names() {
            let mut path: Vec<&str> = vec![start];
            self.find_cycles(&mut path, &mut reported, errs);
        }

        // The roots of a dependent job must exist, be scheduled and share
        // one schedule (a dependent runs for a fire time of all of them).
        if !reported.is_empty() {
            return;
        }
        for (name, job) in &self.jobs {
            if job.depends_on.is_empty() {
                continue;
            }
            let key = format!("jobs.{}.depends_on", name.get_ref());
            let span = job.depends_on.first().map(|d| d.span());
            let mut roots = BTreeSet::new();
            let mut stack: Vec<&str> = job.depends_on.iter().map(|d| d.get_ref().as_str()).collect();
            let mut seen = BTreeSet::new();
            while let Some(j) = stack.pop() {
                if !seen.insert(j) {
                    continue;
                }
                let Some(spec) = self.jobs.get(j) else { continue };
                if spec.depends_on.is_empty() {
                    roots.insert(j);
                } else {
                    stack.extend(spec.depends_on.iter().map(|d| d.get_ref().as_str()));
                }
            }
            let mut schedules: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for r in &roots {
                let spec = &self.jobs[*r];
                match &spec.cron {
                    Some(s) => schedules.entry(s.to_string()).or_default().push(r),
                    None if spec.schedule.is_none() => errs.push(
                        span.clone(),
                        key.clone(),
                        format!(
                            "`{}` depends on `{r}`, which has no schedule: it would never run",
                            name.get_ref()
                        ),
                    ),
                    None => {} // its schedule is already reported as invalid
                }
            }
            if schedules.len() > 1 {
                let list: Vec<String> = schedules
                    .iter()
                    .map(|(s, jobs)| format!("{} {s}", jobs.join(", ")))
                    .collect();
                errs.push(
                    span,
                    key,
                    format!(
                        "the jobs `{}` depends on fire at different times ({}); a dependent job runs for a \
                         fire time shared by all its dependencies",
                        name.get_ref(),
                        list.join("; ")
                    ),
                );
            }
        }
    }

    fn find_cycles<'a>(
        &'a self,
        path: &mut Vec<&'a str>,
        reported: &mut BTreeSet<Vec<String>>,
        errs: &mut Errors<'_>,
    ) {
        let Some(&last) = path.last() else { return };
        let Some(job) = self.jobs.get(last) else { return };
        for d in &job.depends_on {
            let next = d.get_ref().as_str();
            if let Some(pos) = path.iter().position(|p| *p == next) {
                let cycle: Vec<&str> = path[pos..].to_vec();
                // Canonical form: rotated to start at its smallest name.
                let min = cycle
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, n)| **n)
                    .map_or(0, |(i, _)| i);
                let canon: Vec<String> = cycle[min..]
                    .iter()
                    .chain(cycle[..min].iter())
                    .map(|s| s.to_string())
                    .collect();
                if reported.insert(canon.clone()) {
                    let first = canon[0].as_str();
                    let to = canon.get(1).map_or(first, |s| s.as_str());
                    let span = self.jobs[first]
                        .depends_on
                        .iter()
                        .find(|x| x.get_ref() == to)
                        .map(|x| x.span());
                    let mut shown = canon.clone();
                    shown.push(canon[0].clone());
                    errs.push(
                        span,
                        format!("jobs.{first}.depends_on"),
                        format!("cycle in depends_on: {}", shown.join(" → ")),
                    );
                }
                continue;
            }
            if self.jobs.contains_key(next) && path.len() <= self.jobs.len() {
                path.push(next);
                self.find_cycles(path, reported, errs);
                path.pop();
            }
        }
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

    #[test]
    fn parses_the_scheduling_keys() {
        let t = r#"
[jobs.a]
pipeline = "anagrafe"
schedule = "0 6 * * MON-FRI"
timezone = "UTC"
timeout = "1h 30m"
params = { mode = "full", year = 2026 }
retries = { max = 3, initial = "30s", multiplier = 3, cap = "10m" }
catch_up = { policy = "all", window = "7d", max_runs = 5 }
concurrency = "drop"

[jobs.b]
pipeline = "anagrafe"
depends_on = ["a"]
"#;
        let f = JobsFile::parse(Path::new("jobs.toml"), t).unwrap();
        let a = f.job("a").unwrap();
        assert_eq!(a.cron.as_ref().unwrap().expression(), "0 6 * * MON-FRI");
        assert_eq!(a.timeout, Some(Duration::from_secs(5400)));
        assert_eq!(a.params.get("year").and_then(|v| v.as_integer()), Some(2026));
        assert_eq!(a.retries.max, 3);
        assert_eq!(a.retries.initial, Duration::from_secs(30));
        assert_eq!(a.retries.multiplier, 3.0);
        assert_eq!(a.retries.cap, Duration::from_secs(600));
        assert_eq!(a.catch_up.policy, CatchUpPolicy::All);
        assert_eq!(a.catch_up.window, Some(Duration::from_secs(7 * 86400)));
        assert_eq!(a.catch_up.max_runs, 5);
        assert_eq!(a.concurrency, Concurrency::Drop);
        let b = f.job("b").unwrap();
        assert!(b.cron.is_none());
        assert_eq!(f.fire_schedule("b").unwrap().expression(), "0 6 * * MON-FRI");
        assert_eq!(f.dependents_of("a"), vec!["b"]);
        // Defaults.
        assert_eq!(b.retries.max, 0);
        assert_eq!(b.catch_up, CatchUp::default());
        assert_eq!(b.concurrency, Concurrency::Queue);
        assert!(b.timeout.is_none());
    }
}
