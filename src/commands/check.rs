//! `metrodati check`: validate jobs.toml and the source definitions.

use metrodati_pipelines::config::{JobsFile, Settings, SourceDefinition};
use std::process::ExitCode;

pub fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut errors = Vec::new();
    let jobs = match JobsFile::load(&settings.jobs_file) {
        Ok(j) => Some(j),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let (defs, def_errors) = SourceDefinition::load_dir(&settings.sources_dir);
    errors.extend(def_errors);
    if let Some(jobs) = &jobs {
        // Every comune a job covers needs a source definition.
        for name in jobs.names() {
            let Some(job) = jobs.job(name) else { continue };
            let missing: Vec<String> = jobs
                .comuni_of(job)
                .into_iter()
                .filter(|c| !defs.iter().any(|d| d.istat() == c))
                .collect();
            if !missing.is_empty() && missing.len() < 134 {
                errors.push(metrodati_pipelines::config::ConfigError {
                    file: settings.jobs_file.clone(),
                    line: jobs.comuni_line(name),
                    key: Some(format!("jobs.{name}.comuni")),
                    message: format!(
                        "no valid source definition in {} for: {}",
                        settings.sources_dir.display(),
                        missing.join(", ")
                    ),
                });
            }
        }
    }
    if errors.is_empty() {
        println!(
            "ok: {} job(s) in {}, {} source definition(s) in {}",
            jobs.as_ref().map(|j| j.jobs.len()).unwrap_or(0),
            settings.jobs_file.display(),
            defs.len(),
            settings.sources_dir.display()
        );
        // What the scheduler will do with each job.
        if let Some(jobs) = &jobs {
            let now = chrono::Utc::now();
            for name in jobs.names() {
                let Some(job) = jobs.job(name) else { continue };
                let when = match (&job.cron, job.depends_on.is_empty()) {
                    (Some(s), _) => format!(
                        "{s}, next {}",
                        s.next_fire(now)
                            .map(|t| t
                                .with_timezone(&s.timezone())
                                .format("%Y-%m-%d %H:%M %Z")
                                .to_string())
                            .unwrap_or_else(|| "never".into())
                    ),
                    (None, false) => format!(
                        "after {}",
                        job.depends_on
                            .iter()
                            .map(|d| d.get_ref().as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    (None, true) => "by hand only".into(),
                };
                println!("  {name}: {}{when}", if job.enabled { "" } else { "(disabled) " });
            }
        }
        Ok(ExitCode::SUCCESS)
    } else {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!("{} error(s)", errors.len());
        Ok(ExitCode::from(1))
    }
}
