//! `jobs.toml` validation: every error is reported at once, at file, line
//! and key.

use metrodati_pipelines::config::{ConfigError, JobsFile};
use std::path::Path;

fn errors(text: &str) -> Vec<ConfigError> {
    JobsFile::parse(Path::new("jobs.toml"), text).expect_err("the file has errors")
}

/// (line, key, message fragment) of each error: errors come sorted by line;
/// on one line in any order.
fn check(text: &str, expected: &[(usize, &str, &str)]) {
    let errs = errors(text);
    let got: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(errs.len(), expected.len(), "{got:#?}");
    let lines: Vec<Option<usize>> = errs.iter().map(|e| e.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "sorted by line: {got:#?}");
    for (line, key, fragment) in expected {
        let found = errs.iter().any(|e| {
            e.line == Some(*line)
                && e.key.as_deref() == Some(*key)
                && e.message.contains(fragment)
                && e.to_string()
                    .starts_with(&format!("jobs.toml:{line}: key `{key}`"))
        });
        assert!(
            found,
            "no error at line {line}, key {key}, containing {fragment:?}: {got:#?}"
        );
    }
}

#[test]
fn every_kind_of_error_is_reported_at_once_with_line_and_key() {
    let text = r#"[groups]
ovest = ["015002", "099999"]

[jobs.a]
pipeline = "anagraf"
comuni = ["015146", "123456"]
schedule = "30 2 * *"
timezone = "Europe/Roma"

[jobs.b]
pipeline = "anagrafe"
schedule = "61 2 * * *"
timeout = "10 minuti"
retries = { max = 2, initial = "soon", cap = "1h" }
catch_up = { policy = "sometimes", window = "-1d" }
concurrency = "parallel"

[jobs.c]
pipeline = "anagrafe"
comuni = "@est"
depends_on = ["d", "ghost"]

[jobs.d]
pipeline = "anagrafe"
depends_on = ["e"]

[jobs.e]
pipeline = "anagrafe"
depends_on = ["c"]

[jobs.f]
pipeline = "anagrafe"
schedule = "0 0 30 2 *"
"#;
    check(
        text,
        &[
            (2, "groups.ovest", "unknown comune `099999`"),
            (5, "jobs.a.pipeline", "unknown pipeline `anagraf`"),
            (6, "jobs.a.comuni", "unknown comune `123456`"),
            (7, "jobs.a.schedule", "must have 5 fields"),
            (8, "jobs.a.timezone", "unknown time zone `Europe/Roma`"),
            (12, "jobs.b.schedule", "bad cron expression `61 2 * * *`"),
            (13, "jobs.b.timeout", "bad duration `10 minuti`"),
            (14, "jobs.b.retries.initial", "bad duration `soon`"),
            (
                15,
                "jobs.b.catch_up.policy",
                "unknown catch-up policy `sometimes`",
            ),
            (15, "jobs.b.catch_up.window", "bad duration `-1d`"),
            (16, "jobs.b.concurrency", "unknown concurrency policy `parallel`"),
            (20, "jobs.c.comuni", "group `est` is not defined"),
            (21, "jobs.c.depends_on", "cycle in depends_on: c → d → e → c"),
            (21, "jobs.c.depends_on", "unknown job `ghost` in depends_on"),
            (33, "jobs.f.schedule", "never fires"),
        ],
    );
}

#[test]
fn a_self_dependency_is_a_cycle_and_each_cycle_is_named_once() {
    let text = r#"[jobs.x]
pipeline = "anagrafe"
depends_on = ["x"]

[jobs.p]
pipeline = "anagrafe"
depends_on = ["q"]

[jobs.q]
pipeline = "anagrafe"
depends_on = ["p"]
"#;
    check(
        text,
        &[
            (3, "jobs.x.depends_on", "cycle in depends_on: x → x"),
            (7, "jobs.p.depends_on", "cycle in depends_on: p → q → p"),
        ],
    );
}

#[test]
fn unknown_keys_are_located_and_do_not_hide_other_jobs_errors() {
    let text = r#"[jobs.a]
pipeline = "anagrafe"
shedule = "30 2 * * *"

[jobs.b]
pipeline = "anagrafe"
schedule = "30 2 * * *"
timezone = "Mars/Olympus"
retries = { max = 1, backof = "1m" }
"#;
    let errs = errors(text);
    let shown: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(errs.len(), 2, "{shown:#?}");
    assert_eq!(errs[0].line, Some(3), "{shown:#?}");
    assert_eq!(errs[0].key.as_deref(), Some("jobs.a"));
    assert!(errs[0].message.contains("shedule"), "{shown:#?}");
    // Job b stops at its own unknown key (serde stops at the first error in
    // one table), reported at its line.
    assert_eq!(errs[1].line, Some(9), "{shown:#?}");
    assert!(errs[1].message.contains("backof"), "{shown:#?}");

    let text = "[jobs.a]\npipeline = \"anagrafe\"\n\n[jobs.b]\npipeline = \"anagrafe\"\ntimezone = \"Mars/Olympus\"\n\n[other]\nx = 1\n";
    check(
        text,
        &[
            (6, "jobs.b.timezone", "unknown time zone `Mars/Olympus`"),
            (8, "other", "unknown key `other`"),
        ],
    );
}

#[test]
fn retry_and_catch_up_bounds_are_checked() {
    let text = r#"[jobs.a]
pipeline = "anagrafe"
retries = { max = -1, multiplier = 0.5, initial = "2h", cap = "1h" }
catch_up = { max_runs = 0 }
timeout = "0s"
"#;
    check(
        text,
        &[
            (3, "jobs.a.retries.cap", "shorter than retries.initial"),
            (3, "jobs.a.retries.max", "between 0 and 100"),
            (3, "jobs.a.retries.multiplier", "between 1 and 100"),
            (4, "jobs.a.catch_up.max_runs", "between 1 and 1000"),
            (5, "jobs.a.timeout", "greater than zero"),
        ],
    );
}

#[test]
fn dependent_jobs_take_their_fire_times_from_one_schedule() {
    let text = r#"[jobs.nightly]
pipeline = "anagrafe"
schedule = "30 2 * * *"

[jobs.weekly]
pipeline = "anagrafe"
schedule = "0 5 * * 1"

[jobs.manual]
pipeline = "anagrafe"

[jobs.both]
pipeline = "anagrafe"
depends_on = ["nightly", "weekly"]

[jobs.own]
pipeline = "anagrafe"
schedule = "0 4 * * *"
depends_on = ["nightly"]

[jobs.never]
pipeline = "anagrafe"
depends_on = ["manual"]
"#;
    check(
        text,
        &[
            (14, "jobs.both.depends_on", "fire at different times"),
            (18, "jobs.own.schedule", "remove `schedule`"),
            (23, "jobs.never.depends_on", "`manual`, which has no schedule"),
        ],
    );
}

#[test]
fn the_repository_jobs_file_is_valid_and_schedules_anagrafe_nightly_in_rome() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../jobs.toml");
    let f = JobsFile::load(&path).unwrap_or_else(|e| panic!("{e:#?}"));
    let a = f.job("anagrafe").expect("job anagrafe");
    assert!(a.enabled);
    let s = a.cron.as_ref().expect("anagrafe is scheduled");
    assert_eq!(s.timezone().name(), "Europe/Rome");
    let t = s.next_fire("2026-06-01T00:00:00Z".parse().unwrap()).unwrap();
    assert_eq!(
        t.with_timezone(&s.timezone()).format("%H:%M").to_string(),
        "02:30"
    );
    // Only pipelines that exist are scheduled.
    for name in f.names() {
        let pipeline = f.job(name).unwrap().pipeline.get_ref();
        assert!(
            metrodati_pipelines::runner::pipeline(pipeline).is_some(),
            "{name}: {pipeline}"
        );
    }
    // The Cartella Sociale exports are ingested monthly, in Rome time.
    let s = f.job("sociale").expect("job sociale");
    assert_eq!(s.pipeline.get_ref(), "sociale");
    let cron = s.cron.as_ref().expect("sociale is scheduled");
    assert_eq!(cron.timezone().name(), "Europe/Rome");
    let t = cron.next_fire("2026-06-10T00:00:00Z".parse().unwrap()).unwrap();
    assert_eq!(
        t.with_timezone(&cron.timezone()).format("%d %H:%M").to_string(),
        "01 05:00"
    );
}

/// The commented-out pagoPA and open-data jobs are valid as soon as their
/// pipelines exist: uncommented, the only errors are their pipelines.
#[test]
fn the_commented_examples_in_jobs_toml_only_lack_their_pipelines() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../jobs.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with("[jobs.")
                    || rest.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let errs = JobsFile::parse(&path, &uncommented).unwrap_err();
    let mut pipelines: Vec<String> = errs
        .iter()
        .map(|e| {
            assert!(e.message.starts_with("unknown pipeline"), "{e}");
            e.message.split('`').nth(1).unwrap().to_string()
        })
        .collect();
    pipelines.sort();
    assert_eq!(pipelines, vec!["opendata", "pagopa"]);
    // With the pipelines available, they parse, with their schedules.
    let fake = uncommented
        .replace("pipeline = \"pagopa\"", "pipeline = \"anagrafe\"")
        .replace("pipeline = \"opendata\"", "pipeline = \"anagrafe\"");
    let f = JobsFile::parse(&path, &fake).unwrap_or_else(|e| panic!("{e:#?}"));
    let local = |job: &str, after: &str| {
        let s = f.job(job).unwrap().cron.clone().unwrap();
        let t = s.next_fire(after.parse().unwrap()).unwrap();
        t.with_timezone(&s.timezone()).format("%a %d %H:%M").to_string()
    };
    // The siuss job runs after sociale, for the same fire time.
    let siuss = f.job("siuss").unwrap();
    assert!(siuss.cron.is_none());
    assert_eq!(siuss.depends_on[0].get_ref(), "sociale");
    assert_eq!(
        local("pagopa-riconciliazione", "2026-06-05T12:00:00Z"),
        "Mon 08 07:15"
    ); // Fri → Mon
    assert_eq!(local("opendata", "2026-06-01T00:00:00Z"), "Sun 07 04:00");
}
