//! `sample::generate` and the Cartella Sociale exports: they follow the
//! `[[sociale]]` definitions (read back with the connectors and the
//! mapping the pipeline uses), are reproducible, and look like a social
//! service's data: a few percent of the residents, elderly people with SINA
//! assessments, minors with SINBA cases, INPS codes, DSU protocols, amounts
//! with a decimal comma in CSV — and some mistakes.

use chrono::NaiveDate;
use metrodati_connectors::{open_reader, resolve, Format, RowItem};
use metrodati_interop::cf;
use metrodati_interop::prestazioni;
use metrodati_interop::validate::number::NumberFormat;
use metrodati_interop::validate::sociale::{validate, Context, Kind, Record, Target};
use metrodati_pipelines::config::{Source, SourceDefinition};
use metrodati_pipelines::mapping::BoundMapping;
use metrodati_pipelines::progress::NoProgress;
use metrodati_pipelines::sample::{self, SampleOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const MILANO: &str = "015146";
/// Cartella Sociale B (XLSX).
const CORSICO: &str = "015093";

fn definitions() -> Vec<SourceDefinition> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("comuni");
    let (defs, errors) = SourceDefinition::load_dir(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    defs
}

fn extraction() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
}

fn age(code: &str, on: NaiveDate) -> Option<u32> {
    let info = cf::parse(code).ok()?;
    on.years_since(cf::birth_date(&info, on)?)
}

#[test]
fn sample_sociale_exports_follow_their_definitions() {
    let defs = definitions();
    let comuni = [MILANO, CORSICO];
    let dir = tempfile::tempdir().unwrap();
    let opts = SampleOptions {
        scale: 0.01,
        comuni: Some(comuni.iter().map(|c| c.to_string()).collect()),
        ..SampleOptions::default()
    };
    let summary = sample::generate(&defs, dir.path(), &opts, &NoProgress).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();

    let mut rows = 0u64;
    let mut by_kind: BTreeMap<Kind, (u64, u64)> = BTreeMap::new();
    let mut beneficiaries = BTreeSet::new();
    let mut sina_ages = Vec::new();
    let mut sinba_ages = Vec::new();
    let mut codes = Vec::new();
    let mut formats = BTreeSet::new();
    let mut modules = BTreeSet::new();
    let mut periodic = 0;
    let mut one_off = 0;
    let mut dsu = 0;
    for d in defs.iter().filter(|d| comuni.contains(&d.istat())) {
        assert!(!d.sociale.is_empty(), "{}", d.istat());
        for spec in &d.sociale {
            let kind = spec.kind().unwrap();
            formats.insert(spec.read.format.to_string());
            let objects = resolve(&spec.url, dir.path()).unwrap();
            assert_eq!(objects.len(), 1, "{}", spec.url);
            let expected = BoundMapping::<Target>::expected_columns(spec);
            let mut reader = open_reader(&spec.read, &objects[0], &expected).unwrap();
            let header = reader.header().to_vec();
            let mapping =
                BoundMapping::<Target>::bind(spec, &header).unwrap_or_else(|e| panic!("{}: {e:?}", spec.url));
            if spec.read.format == Format::Csv {
                // Amounts are written the Italian way.
                let raw = std::fs::read(objects[0].local_path().unwrap()).unwrap();
                let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&raw);
                if kind == Kind::Prestazioni {
                    assert!(
                        text.lines()
                            .skip(1)
                            .any(|l| l.contains(",00;") || l.contains(",50;")),
                        "no decimal comma in {}",
                        spec.url
                    );
                }
            }
            let mut ctx = Context::new(kind, today);
            for t in Target::ALL {
                ctx.date_formats[t as usize] = spec.column(t.name()).and_then(|m| m.date_format());
            }
            ctx.numbers = NumberFormat {
                decimal_comma: spec.read.decimal_comma,
                thousands: spec.read.thousands_separator,
            };
            ctx.module = spec.module();
            for item in reader.by_ref() {
                let RowItem::Row(row) = item.unwrap() else {
                    panic!("{}: a rejected row", spec.url)
                };
                rows += 1;
                let outcome = validate(&mapping.input(&row.values), &ctx);
                let e = by_kind.entry(kind).or_default();
                match outcome.record {
                    None => e.1 += 1,
                    Some(rec) => {
                        e.0 += 1;
                        beneficiaries.insert(rec.tax_code().to_string());
                        match rec {
                            Record::Prestazione(p) => {
                                codes.push(p.service_code.clone());
                                modules.insert(p.module.clone());
                                if p.benefit_character == "1" {
                                    periodic += 1;
                                } else {
                                    one_off += 1;
                                }
                                if p.dsu_protocol.is_some() {
                                    dsu += 1;
                                }
                            }
                            Record::Sina(s) => sina_ages.push(age(&s.tax_code, s.assessment_date)),
                            Record::Sinba(b) => sinba_ages.push(age(&b.tax_code, b.case_open_date)),
                        }
                    }
                }
            }
        }
    }
    assert_eq!(rows, summary.sociale_rows, "rows read back = rows written");
    assert_eq!(formats, BTreeSet::from(["csv".to_string(), "xlsx".to_string()]));
    assert_eq!(modules.len(), 7, "every module of the programme: {modules:?}");
    assert!(
        periodic > 50 && one_off > 50,
        "{periodic} periodic, {one_off} one-off"
    );
    assert!(dsu > 50, "{dsu} DSU");
    // A few percent of the residents.
    let share = beneficiaries.len() as f64 / summary.persons as f64;
    assert!(
        (0.02..0.08).contains(&share),
        "beneficiaries {share:.3} of the residents"
    );
    // Codes from the INPS table (a few are the mistakes).
    let known = codes.iter().filter(|c| prestazioni::codice(c).is_some()).count();
    assert!(
        known as f64 / codes.len() as f64 > 0.97,
        "{known} of {}",
        codes.len()
    );
    // SINA for the elderly, SINBA for minors (outsiders aside).
    let elderly = sina_ages.iter().filter(|a| a.is_some_and(|a| a >= 65)).count();
    assert!(
        sina_ages.len() > 10 && elderly as f64 / sina_ages.len() as f64 > 0.9,
        "{sina_ages:?}"
    );
    assert!(!sinba_ages.is_empty());
    assert!(
        sinba_ages.iter().all(|a| a.is_some_and(|a| a < 18)),
        "{sinba_ages:?}"
    );
    // Mistakes: some rows rejected, most accepted.
    for (kind, (ok, bad)) in &by_kind {
        assert!(*ok > 0, "{kind:?}");
        assert!(
            (*bad as f64) < 0.25 * (*ok + *bad) as f64,
            "{kind:?}: {bad} of {}",
            ok + bad
        );
    }
    assert!(by_kind[&Kind::Prestazioni].1 > 0, "the prestazioni have mistakes");
    assert!(summary.sociale_defects.values().sum::<u64>() > 0);
    assert!(extraction() < today);
}

#[test]
fn sample_sociale_is_reproducible_and_leaves_the_anagrafe_alone() {
    let defs = definitions();
    let run = |defs: &[SourceDefinition]| {
        let dir = tempfile::tempdir().unwrap();
        let opts = SampleOptions {
            scale: 0.002,
            comuni: Some(vec![MILANO.into(), CORSICO.into()]),
            ..SampleOptions::default()
        };
        let s = sample::generate(defs, dir.path(), &opts, &NoProgress).unwrap();
        let files: BTreeMap<String, Vec<u8>> = s
            .files
            .iter()
            .map(|f| {
                (
                    f.strip_prefix(dir.path()).unwrap().display().to_string(),
                    std::fs::read(f).unwrap(),
                )
            })
            .collect();
        (s, files)
    };
    let (a, fa) = run(&defs);
    let (b, fb) = run(&defs);
    assert_eq!(fa, fb, "same seed and scale, same bytes");
    assert_eq!(a.sociale_defects, b.sociale_defects);
    assert!(fa.keys().any(|k| k.starts_with("sample/sociale/015146/")));
    // Without [[sociale]] sources the anagrafe exports are byte for byte the same.
    let without: Vec<SourceDefinition> = defs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.sociale.clear();
            d
        })
        .collect();
    let (c, fc) = run(&without);
    assert_eq!(c.sociale_rows, 0);
    let anagrafe = |f: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        f.iter()
            .filter(|(k, _)| k.starts_with("sample/anagrafe/"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(anagrafe(&fa), fc);
    assert_eq!(anagrafe(&fa).len(), fc.len());
}
