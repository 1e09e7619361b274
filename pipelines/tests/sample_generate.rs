//! `sample::generate`: reproducible, proportional, readable back in every
//! format with the definitions, codici fiscali consistent, defects present.

use calamine::{open_workbook_auto, Data, Reader};
use chrono::NaiveDate;
use metrodati_connectors::spec::{Format, HeaderRow, SheetSpec};
use metrodati_connectors::EncodingSpec;
use metrodati_interop::cf;
use metrodati_pipelines::config::{SourceDefinition, SourceSpec};
use metrodati_pipelines::progress::NoProgress;
use metrodati_pipelines::sample::{self, defects, SampleOptions, SampleSummary, DEFECT_KINDS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const MILANO: &str = "015146";
/// Gestionale C (XLSX).
const RHO: &str = "015182";
/// Gestionale D (ODS).
const ABBIATEGRASSO: &str = "015002";
/// Gestionale B, UTF-8 release.
const BOLLATE: &str = "015027";
/// Gestionale A (CSV windows-1252).
const CINISELLO: &str = "015077";
/// Gestionale B (CSV windows-1252).
const CORSICO: &str = "015093";

fn definitions() -> Vec<SourceDefinition> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("comuni");
    let (defs, errors) = SourceDefinition::load_dir(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(defs.len(), 133);
    defs
}

fn opts(scale: f64, comuni: &[&str]) -> SampleOptions {
    SampleOptions {
        scale,
        comuni: Some(comuni.iter().map(|c| c.to_string()).collect()),
        ..SampleOptions::default()
    }
}

fn run(defs: &[SourceDefinition], dir: &Path, o: &SampleOptions) -> SampleSummary {
    sample::generate(defs, dir, o, &NoProgress).unwrap()
}

/// Every file under `root`, relative path → bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn sample_same_seed_and_scale_give_identical_bytes() {
    let defs = definitions();
    let o = opts(0.002, &[MILANO, RHO, ABBIATEGRASSO, BOLLATE]);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sa = run(&defs, a.path(), &o);
    let sb = run(&defs, b.path(), &o);
    assert_eq!(sa.comuni, 4);
    assert_eq!(
        (sa.persons, sa.rows, &sa.defects),
        (sb.persons, sb.rows, &sb.defects)
    );
    let (fa, fb) = (snapshot(a.path()), snapshot(b.path()));
    let exts: Vec<&str> = fa.keys().filter_map(|p| p.extension()?.to_str()).collect();
    for ext in ["parquet", "csv", "xlsx", "ods"] {
        assert!(exts.contains(&ext), "{ext}: {:?}", fa.keys());
    }
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{} differs between two runs", k.display());
    }
    // Milano is split by municipio; the legacy source has its own folder.
    assert!(fa
        .keys()
        .any(|k| k.ends_with("sample/anagrafe/015146/residenti_municipio_1.parquet")));
    assert!(fa
        .keys()
        .any(|k| k.ends_with("sample/anagrafe/015146/legacy/pratiche_aperte_20251231.csv")));
    assert!(fa
        .keys()
        .any(|k| k.ends_with("sample/anagrafe/015182/residenti_parte_1.xlsx")));
    assert!(fa
        .keys()
        .any(|k| k.ends_with("sample/anagrafe/015002/ELENCO_RESIDENTI_20251231.ods")));
    // Files returned = files on disk.
    let listed: Vec<PathBuf> = sa
        .files
        .iter()
        .map(|p| p.strip_prefix(a.path()).unwrap().to_path_buf())
        .collect();
    assert_eq!(listed, fa.keys().cloned().collect::<Vec<_>>());

    // Another seed gives other data.
    let c = tempfile::tempdir().unwrap();
    run(&defs, c.path(), &SampleOptions { seed: 1, ..o.clone() });
    let fc = snapshot(c.path());
    assert!(fa.iter().any(|(k, v)| fc.get(k) != Some(v)));
}

#[test]
fn sample_previous_sample_is_replaced() {
    let defs = definitions();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("sample/anagrafe").join(CORSICO);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("export_residenti_old.csv"), "stale").unwrap();
    std::fs::write(folder.join("other.txt"), "stale").unwrap();
    let social = dir.path().join("sample/sociale").join(CORSICO);
    std::fs::create_dir_all(&social).unwrap();
    std::fs::write(social.join("contributi_economici_old.xlsx"), "stale").unwrap();
    let first = run(&defs, dir.path(), &opts(0.01, &[CORSICO]));
    let second = run(&defs, dir.path(), &opts(0.005, &[CORSICO]));
    assert!(second.persons < first.persons);
    let files: Vec<PathBuf> = snapshot(dir.path()).into_keys().collect();
    // Corsico's Cartella Sociale exports one workbook per area (cartella B).
    let mut expected = vec![PathBuf::from(
        "sample/anagrafe/015093/export_residenti_20251231.csv",
    )];
    for f in [
        "assistenza_domiciliare",
        "contributi_economici",
        "interventi",
        "minori_sinba",
        "valutazioni_sina",
    ] {
        expected.push(PathBuf::from(format!("sample/sociale/015093/{f}_20251231.xlsx")));
    }
    assert_eq!(files, expected);
}

#[test]
fn sample_unknown_comune_and_bad_scale_are_errors() {
    let defs = definitions();
    let dir = tempfile::tempdir().unwrap();
    assert!(sample::generate(&defs, dir.path(), &opts(0.01, &["015999"]), &NoProgress).is_err());
    assert!(sample::generate(&defs, dir.path(), &opts(0.0, &[MILANO]), &NoProgress).is_err());
    assert!(sample::generate(&defs, dir.path(), &opts(f64::NAN, &[MILANO]), &NoProgress).is_err());
}

/// All 133 comuni at the default scale: proportional population and every
/// defect counter above zero.
#[test]
fn sample_all_comuni_at_default_scale() {
    let defs = definitions();
    let dir = tempfile::tempdir().unwrap();
    let all = run(&defs, dir.path(), &SampleOptions::default());
    assert_eq!(all.comuni, 133);
    assert!((30_000..34_000).contains(&all.persons), "{}", all.persons);
    assert!(all.rows > all.persons);
    for k in DEFECT_KINDS {
        assert!(
            all.defects[k] > 0,
            "no `{k}` defect at default scale: {:?}",
            all.defects
        );
    }
    assert_eq!(all.defects.len(), DEFECT_KINDS.len());
    // The Cartella Sociale exports: every social worker's mistake occurs.
    assert!(all.sociale_rows > 1000, "{}", all.sociale_rows);
    for (k, _) in sample::sociale::DEFECTS.iter().chain(sample::sociale::REPAIRED) {
        assert!(
            all.sociale_defects[k] > 0,
            "no `{k}` mistake at default scale: {:?}",
            all.sociale_defects
        );
    }
    assert!(all.defects[defects::RAGGED_ROW] >= 1);
    let boms = all
        .files
        .iter()
        .filter(|f| std::fs::read(f).unwrap().starts_with(b"\xEF\xBB\xBF"))
        .count() as u64;
    assert_eq!(boms, all.defects[defects::UTF8_BOM]);
    eprintln!(
        "{} persons, {} rows, {} files, defects {:?}",
        all.persons,
        all.rows,
        all.files.len(),
        all.defects
    );
    // Every comune has its folder and at least one file per source.
    for d in &defs {
        for s in &d.anagrafe {
            let prefix = s.url.split('*').next().unwrap();
            assert!(
                all.files.iter().any(|f| f
                    .strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(prefix)),
                "{}: no file for {}",
                d.istat(),
                s.url
            );
        }
    }
    let milano = run(
        &defs,
        tempfile::tempdir().unwrap().path(),
        &SampleOptions {
            comuni: Some(vec![MILANO.into()]),
            ..SampleOptions::default()
        },
    );
    let share = milano.persons as f64 / all.persons as f64;
    assert!((share - 0.43).abs() <= 0.03, "Milano share {share}");
}

// ------------------------------------------------------------ read back

/// One source's rows read back: header and values by column name.
struct Read {
    header: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
    ragged: usize,
    titles: Vec<String>,
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn read_csv(spec: &SourceSpec, path: &Path) -> Read {
    let bytes = std::fs::read(path).unwrap();
    let text = match spec.read.encoding {
        EncodingSpec::Windows1252 => {
            assert!(
                std::str::from_utf8(&bytes).is_err() || bytes.is_ascii(),
                "{} looks like UTF-8",
                path.display()
            );
            let (t, had_errors) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
            assert!(!had_errors);
            t.into_owned()
        }
        _ => {
            let t = String::from_utf8(bytes).unwrap();
            t.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(t)
        }
    };
    let skip = match spec.read.header_row {
        HeaderRow::Row(n) => n as usize - 1,
        HeaderRow::Auto => 0,
    };
    let mut lines = text.splitn(skip + 1, '\n');
    let titles: Vec<String> = (0..skip)
        .map(|_| lines.next().unwrap().trim_end().to_string())
        .collect();
    let rest = lines.next().unwrap_or_default();
    let mut r = csv::ReaderBuilder::new()
        .delimiter(spec.read.delimiter.unwrap_or(';') as u8)
        .flexible(true)
        .from_reader(rest.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    let mut ragged = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        if rec.len() != header.len() {
            ragged += 1;
            continue;
        }
        rows.push(rec.iter().map(|v| non_empty(v.to_string())).collect());
    }
    Read {
        header,
        rows,
        ragged,
        titles,
    }
}

fn read_sheet(spec: &SourceSpec, path: &Path) -> Read {
    let mut wb = open_workbook_auto(path).unwrap();
    let names = wb.sheet_names();
    let sheet = match &spec.read.sheet {
        Some(SheetSpec::Name(n)) => n.clone(),
        Some(SheetSpec::Index(i)) => names[*i].clone(),
        None => names[0].clone(),
    };
    let range = wb.worksheet_range(&sheet).unwrap();
    assert_eq!(range.start(), Some((0, 0)));
    let text = |d: &Data| match d {
        Data::Empty => None,
        Data::String(s) => non_empty(s.clone()),
        other => panic!("{}: non-text cell {other:?}", path.display()),
    };
    let grid: Vec<Vec<Option<String>>> = range.rows().map(|r| r.iter().map(text).collect()).collect();
    let expected: Vec<&str> = spec.columns.values().map(|m| m.column()).collect();
    let header_idx = match spec.read.header_row {
        HeaderRow::Row(n) => n as usize - 1,
        HeaderRow::Auto => grid
            .iter()
            .position(|r| {
                r.iter()
                    .flatten()
                    .filter(|c| expected.contains(&c.as_str()))
                    .count()
                    == expected.len()
            })
            .unwrap(),
    };
    let titles = grid[..header_idx]
        .iter()
        .map(|r| r.iter().flatten().cloned().collect::<Vec<_>>().join(" "))
        .collect();
    let header: Vec<String> = grid[header_idx]
        .iter()
        .map(|c| c.clone().unwrap_or_default())
        .collect();
    let rows = grid[header_idx + 1..]
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.resize(header.len(), None);
            r
        })
        .collect();
    Read {
        header,
        rows,
        ragged: 0,
        titles,
    }
}

fn read_parquet(path: &Path) -> Read {
    use polars::prelude::*;
    let df = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    let header: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let mut cols: Vec<Vec<Option<String>>> = Vec::new();
    for c in df.columns() {
        let dtype = c.dtype().clone();
        assert!(matches!(dtype, DataType::String | DataType::Date), "{dtype:?}");
        let s = c.cast(&DataType::String).unwrap();
        let ca = s.str().unwrap();
        cols.push((0..ca.len()).map(|i| ca.get(i).map(str::to_string)).collect());
    }
    let rows = (0..df.height())
        .map(|i| cols.iter().map(|c| c[i].clone()).collect())
        .collect();
    Read {
        header,
        rows,
        ragged: 0,
        titles: Vec::new(),
    }
}

fn read_back(spec: &SourceSpec, path: &Path) -> Read {
    match spec.read.format {
        Format::Csv => read_csv(spec, path),
        Format::Xlsx | Format::Ods => read_sheet(spec, path),
        Format::Parquet => read_parquet(path),
        other => panic!("unexpected format {other}"),
    }
}

/// A row in schema terms, by mapping target.
fn map_row(spec: &SourceSpec, header: &[String], row: &[Option<String>]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (target, m) in &spec.columns {
        let i = header
            .iter()
            .position(|h| h == m.column())
            .unwrap_or_else(|| panic!("no column {}", m.column()));
        let Some(v) = row[i].clone() else { continue };
        let v = v.trim().to_string();
        let v = m.values().and_then(|vals| vals.get(&v).cloned()).unwrap_or(v);
        out.insert(target.get_ref().clone(), v);
    }
    out
}

fn date(spec: &SourceSpec, target: &str, v: Option<&String>) -> Option<NaiveDate> {
    let fmt = spec
        .columns
        .iter()
        .find(|(k, _)| k.get_ref() == target)?
        .1
        .date_format()
        .unwrap_or("%Y-%m-%d");
    NaiveDate::parse_from_str(v?, fmt).ok()
}

#[test]
fn sample_every_format_reads_back_and_codes_are_consistent() {
    let defs = definitions();
    let comuni = [MILANO, RHO, ABBIATEGRASSO, BOLLATE, CINISELLO, CORSICO];
    let dir = tempfile::tempdir().unwrap();
    let summary = run(&defs, dir.path(), &opts(0.005, &comuni));
    let mut rows = 0u64;
    let mut ragged = 0u64;
    let (mut good, mut bad) = (0u64, 0u64);
    let mut formats = Vec::new();
    for d in defs.iter().filter(|d| comuni.contains(&d.istat())) {
        for spec in &d.anagrafe {
            let prefix = spec.url.split('*').next().unwrap();
            let files: Vec<&PathBuf> = summary
                .files
                .iter()
                .filter(|f| {
                    f.strip_prefix(dir.path())
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(prefix)
                })
                .collect();
            assert!(!files.is_empty(), "{}", spec.url);
            formats.push(spec.read.format);
            for f in files {
                let r = read_back(spec, f);
                // Every mapped column is in the header, in the definition's order.
                let mut mapped: Vec<(usize, &str)> = spec
                    .columns
                    .iter()
                    .map(|(k, m)| (k.span().start, m.column()))
                    .collect();
                mapped.sort();
                let order: Vec<&str> = r
                    .header
                    .iter()
                    .map(String::as_str)
                    .filter(|h| mapped.iter().any(|(_, c)| c == h))
                    .collect();
                assert_eq!(
                    order,
                    mapped.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
                    "{}",
                    f.display()
                );
                if let Some(HeaderRow::Row(n)) =
                    Some(spec.read.header_row).filter(|_| spec.read.format != Format::Parquet)
                {
                    assert_eq!(r.titles.len(), n as usize - 1);
                }
                if spec.read.format == Format::Ods {
                    assert_eq!(r.titles.len(), 2, "{:?}", r.titles);
                    assert!(r.titles[0].starts_with("COMUNE DI "), "{:?}", r.titles);
                }
                if spec.read.format == Format::Xlsx {
                    assert!(r.titles[0].starts_with("Comune di "), "{:?}", r.titles);
                }
                ragged += r.ragged as u64;
                rows += r.rows.len() as u64 + r.ragged as u64;
                for row in &r.rows {
                    let v = map_row(spec, &r.header, row);
                    let dob = date(spec, "date_of_birth", v.get("date_of_birth"));
                    let code = v.get("tax_code").map(|c| c.to_uppercase());
                    let ok = match (
                        code.as_deref().map(cf::parse),
                        dob,
                        v.get("sex_id").map(String::as_str),
                    ) {
                        (Some(Ok(info)), Some(dob), Some(sex @ ("M" | "F"))) => {
                            let sex = if sex == "M" { cf::Sex::M } else { cf::Sex::F };
                            cf::consistent_with(&info, dob, sex).is_empty()
                                && v.get("birth_place_code") == Some(&info.birthplace)
                                && dob <= NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
                        }
                        _ => false,
                    };
                    if ok {
                        good += 1;
                    } else {
                        bad += 1;
                    }
                    if let Some(rel) = v.get("parental_relationship_type_code") {
                        assert!(!rel.chars().any(|c| c.is_ascii_lowercase()));
                    }
                }
            }
        }
    }
    for f in [Format::Csv, Format::Xlsx, Format::Ods, Format::Parquet] {
        assert!(formats.contains(&f), "{f}");
    }
    assert_eq!(rows, summary.rows, "rows read back = rows written");
    assert_eq!(ragged, summary.defects[defects::RAGGED_ROW]);
    let hard: u64 = defects::HARD.iter().map(|(k, _)| summary.defects[k]).sum();
    // Rows failing the check are the defective ones (a duplicated defective
    // row counts twice; a ragged row is not read).
    assert!(
        bad > 0 && bad <= hard + summary.defects[defects::DUPLICATE_ROW],
        "bad {bad}, hard {hard}"
    );
    assert!(
        bad >= hard.saturating_sub(hard / 3),
        "bad {bad} hard {hard}: defects not visible"
    );
    assert!(good as f64 / (good + bad) as f64 > 0.95, "good {good} bad {bad}");
}

/// The files open with the connectors the pipeline uses, with the header
/// found where the definition says.
#[test]
fn sample_connectors_read_the_samples() {
    use metrodati_connectors::{open_reader, resolve, RowItem};
    let defs = definitions();
    let comuni = [MILANO, RHO, ABBIATEGRASSO, BOLLATE, CINISELLO];
    let dir = tempfile::tempdir().unwrap();
    let summary = run(&defs, dir.path(), &opts(0.002, &comuni));
    let mut rows = 0u64;
    let mut rejected = 0u64;
    for d in defs.iter().filter(|d| comuni.contains(&d.istat())) {
        for spec in &d.anagrafe {
            let expected: Vec<String> = spec.columns.values().map(|m| m.column().to_string()).collect();
            let objects = resolve(&spec.url, dir.path()).unwrap();
            assert!(!objects.is_empty(), "{}", spec.url);
            for o in &objects {
                let reader =
                    open_reader(&spec.read, o, &expected).unwrap_or_else(|e| panic!("{}: {e}", spec.url));
                for e in &expected {
                    assert!(
                        reader.header().contains(e),
                        "{}: {e} not in {:?}",
                        spec.url,
                        reader.header()
                    );
                }
                for item in reader {
                    match item.unwrap() {
                        RowItem::Row(_) => rows += 1,
                        RowItem::Rejected(r) => {
                            assert_eq!(r.code, "ragged_row", "{r:?}");
                            rejected += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(rows + rejected, summary.rows);
    assert_eq!(rejected, summary.defects[defects::RAGGED_ROW]);
}
