//! Synthetic samples of the comuni's anagrafe and Cartella Sociale exports
//! (`metrodati sample`; the latter in [`sociale`]).
//!
//! Two halves:
//!
//! - [`render_definition`] / [`write_definitions`]: the initial source
//!   definitions of the 133 comuni (`comuni/<istat>.toml`). Each comune
//!   uses one of the gestionali's export layouts (see the table below);
//!   Milano has two systems.
//! - [`generate`]: reads each comune's **current** definition and writes
//!   files that conform to it (format, encoding, delimiter, title rows,
//!   column names, value codings, date formats), so that the sample always
//!   matches the definitions. Each file name is the URL with its `*`
//!   replaced by a part name: `municipio_1` … `municipio_9` for a Milano
//!   source whose name mentions municipi, `parte_1`, `parte_2` … for XLSX
//!   (at most 50 000 rows per file), the extraction date `20251231`
//!   otherwise.
//!
//! | Gestionale | Format | Notes |
//! |---|---|---|
//! | Milano, new system | Parquet, one file per municipio | typed dates, separate address fields |
//! | Milano, legacy | CSV UTF-8 with BOM, `,` | sex 1/2, dates `%Y%m%d`, one-field address `VIA X 12 A` |
//! | A (~45% of the other comuni) | CSV windows-1252, `;` | dates `%d/%m/%Y`, one-field address `VIA X 12/A`, `ID_INTERNO`, `NOTE` |
//! | B (~25%) | CSV windows-1252 (a few UTF-8), `;` | sex 1/2, DUG/street/number/exponent, `SEZIONE` |
//! | C (~18%) | XLSX, header on row 3 | dates `%Y-%m-%d`, title + blank row |
//! | D (~11%) | ODS, two title rows (`header_row = "auto"`) | own relation/marital codes, dates `%d-%m-%Y`, `VIA X, 12/A` |
//!
//! Persons: families sized as ISTAT reports (1: 35%, 2: 27%, 3: 19%,
//! 4: 14%, 5+: 5%), consistent ages, Italian and foreign names, birthplaces
//! valid at the birth date, a codice fiscale computed from each person's
//! data (omocodic when needed), and [defects] at small rates.
//!
//! Reproducible: one [`rand::rngs::SmallRng`] per comune seeded from the
//! seed and the ISTAT code; ages and file names are relative to a fixed
//! extraction date (2025-12-31), never to the clock; no timestamps inside
//! XLSX, ODS or Parquet files. Same definitions, seed and scale → the same
//! bytes.

pub mod defects;
mod definitions;
mod layouts;
mod names;
mod places;
mod plan;
mod population;
mod random;
mod record;
pub mod sociale;
mod sociale_layouts;
mod writers;

pub use definitions::{render_definition, write_definitions};

use crate::config::SourceDefinition;
use crate::progress::Progress;
use metrodati_connectors::spec::Format;
use metrodati_connectors::EncodingSpec;
use metrodati_interop::refdata::{self, ComuneCm};
use plan::SourcePlan;
use population::Generator;
use random::{chance, comune_rng, pick, weighted_index};
use record::Record;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use writers::{OutRow, SourceWriter};

/// Every defect name that [`SampleSummary::defects`] reports.
pub use defects::ALL as DEFECT_KINDS;

/// Fewest persons generated for a comune, whatever the scale.
pub const MIN_PERSONS: u64 = 8;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// Fraction of the real population (1.0 = about 3.2 million persons).
    pub scale: f64,
    pub seed: u64,
    /// ISTAT codes to generate; `None` = every comune with a definition.
    pub comuni: Option<Vec<String>>,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            scale: 0.01,
            seed: 20261129,
            comuni: None,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleSummary {
    pub comuni: usize,
    /// Distinct persons.
    pub persons: u64,
    /// Data rows written (persons plus duplicated rows).
    pub rows: u64,
    /// Files written, sorted.
    pub files: Vec<PathBuf>,
    /// Defects injected, by name (every name of [`DEFECT_KINDS`], zero
    /// included).
    pub defects: BTreeMap<&'static str, u64>,
    /// Rows of the Cartella Sociale exports (`[[sociale]]` sources).
    pub sociale_rows: u64,
    /// Social workers' mistakes injected into them, by name (every name of
    /// [`sociale::DEFECTS`] and [`sociale::REPAIRED`], zero included).
    pub sociale_defects: BTreeMap<&'static str, u64>,
}

/// Why a sample could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("invalid scale {0}: it must be a positive number (1.0 = full population)")]
    InvalidScale(f64),
    #[error("comune {0}: not a comune of the Città Metropolitana di Milano with a source definition")]
    UnknownComune(String),
    #[error("comune {comune}, source `{source_name}`: {reason}")]
    Unsupported {
        comune: String,
        source_name: String,
        reason: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// Persons generated for a comune at `scale`: proportional to its
/// population, at least [`MIN_PERSONS`].
pub fn persons_for(comune: &ComuneCm, scale: f64) -> u64 {
    ((f64::from(comune.popolazione) * scale).round() as u64).max(MIN_PERSONS)
}

/// Notes of the registry office, in the `NOTE` columns.
const NOTES: &[&str] = &[
    "PRATICA DI CAMBIO ABITAZIONE IN CORSO",
    "VERIFICA DIMORA ABITUALE",
    "CARTA D'IDENTITÀ SCADUTA",
    "RICHIESTA CERTIFICATO STORICO",
    "ISCRIZIONE DA ALTRO COMUNE",
];

/// Writes a sample of each selected comune into `data_dir`, following the
/// definitions. A comune's previous sample (its `sample/anagrafe/<istat>/`
/// folder and the files matching its sources' URLs) is removed first.
pub fn generate(
    defs: &[SourceDefinition],
    data_dir: &Path,
    opts: &SampleOptions,
    progress: &dyn Progress,
) -> Result<SampleSummary, SampleError> {
    if !(opts.scale.is_finite() && opts.scale > 0.0) {
        return Err(SampleError::InvalidScale(opts.scale));
    }
    let mut selected: Vec<&SourceDefinition> = match &opts.comuni {
        None => defs.iter().collect(),
        Some(list) => {
            if let Some(missing) = list
                .iter()
                .find(|c| !defs.iter().any(|d| d.istat() == c.as_str()))
            {
                return Err(SampleError::UnknownComune(missing.clone()));
            }
            defs.iter()
                .filter(|d| list.iter().any(|c| c == d.istat()))
                .collect()
        }
    };
    selected.sort_by(|a, b| a.istat().cmp(b.istat()));
    selected.dedup_by(|a, b| a.istat() == b.istat());
    let mut jobs: Vec<(&SourceDefinition, &'static ComuneCm, u64)> = Vec::with_capacity(selected.len());
    for d in selected {
        let c = refdata::comune_by_istat(d.istat())
            .ok_or_else(|| SampleError::UnknownComune(d.istat().into()))?;
        jobs.push((d, c, persons_for(c, opts.scale)));
    }

    progress.start("persons", jobs.iter().map(|j| j.2).sum());
    let results: Vec<Mutex<Option<Result<ComuneOutcome, SampleError>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(jobs.len())
        .max(1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= jobs.len() || failed.load(Ordering::SeqCst) {
                    break;
                }
                let (def, comune, persons) = jobs[i];
                progress.message(&format!("{} {}", comune.codice_istat, comune.denominazione));
                let r = generate_comune(def, comune, persons, data_dir, opts, progress);
                if r.is_err() {
                    failed.store(true, Ordering::SeqCst);
                }
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    progress.finish();

    let mut summary = SampleSummary {
        defects: DEFECT_KINDS.iter().map(|k| (*k, 0)).collect(),
        sociale_defects: sociale::DEFECTS
            .iter()
            .chain(sociale::REPAIRED)
            .map(|(k, _)| (*k, 0))
            .collect(),
        ..SampleSummary::default()
    };
    for r in results {
        let Some(r) = r.into_inner().unwrap_or_else(|e| e.into_inner()) else {
            continue;
        };
        let o = r?;
        summary.comuni += 1;
        summary.persons += o.persons;
        summary.rows += o.rows;
        summary.files.extend(o.files);
        for (k, v) in o.defects {
            *summary.defects.entry(k).or_default() += v;
        }
        summary.sociale_rows += o.sociale_rows;
        for (k, v) in o.sociale_defects {
            *summary.sociale_defects.entry(k).or_default() += v;
        }
    }
    summary.files.sort();
    Ok(summary)
}

struct ComuneOutcome {
    persons: u64,
    rows: u64,
    files: Vec<PathBuf>,
    defects: BTreeMap<&'static str, u64>,
    sociale_rows: u64,
    sociale_defects: BTreeMap<&'static str, u64>,
}

/// Removes a comune's previous sample: its `sample/anagrafe/<istat>` folder
/// and the files matching its sources' URLs.
fn clean(istat: &str, plans: &[SourcePlan], data_dir: &Path) -> Result<(), SampleError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SampleError::Io { path, source }
    };
    let folder = data_dir.join("sample").join("anagrafe").join(istat);
    if folder.is_dir() {
        std::fs::remove_dir_all(&folder).map_err(io(&folder))?;
    }
    for p in plans {
        let Ok(entries) = std::fs::read_dir(&p.dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if e.file_type().is_ok_and(|t| t.is_file()) && name.to_str().is_some_and(|n| p.matches(n)) {
                std::fs::remove_file(e.path()).map_err(io(&e.path()))?;
            }
        }
    }
    Ok(())
}

fn generate_comune(
    def: &SourceDefinition,
    comune: &ComuneCm,
    persons: u64,
    data_dir: &Path,
    opts: &SampleOptions,
    progress: &dyn Progress,
) -> Result<ComuneOutcome, SampleError> {
    let plans: Vec<SourcePlan> = def
        .anagrafe
        .iter()
        .map(|s| SourcePlan::new(def, s, comune, data_dir))
        .collect::<Result<_, _>>()?;
    clean(&comune.codice_istat, &plans, data_dir)?;
    let mut defects: BTreeMap<&'static str, u64> = BTreeMap::new();
    if plans.is_empty() {
        progress.inc(persons);
        return Ok(ComuneOutcome {
            persons: 0,
            rows: 0,
            files: Vec::new(),
            defects,
            sociale_rows: 0,
            sociale_defects: BTreeMap::new(),
        });
    }

    let mut rng = comune_rng(opts.seed, &comune.codice_istat);
    let mut writers: Vec<SourceWriter> = plans
        .into_iter()
        .map(|p| {
            let utf8 = matches!(p.read.encoding, EncodingSpec::Utf8 | EncodingSpec::Auto);
            let bom_rate = p.layout.map_or(0.0, |l| l.utf8_bom);
            let bom = p.format == Format::Csv && utf8 && chance(&mut rng, bom_rate);
            SourceWriter::new(p, bom)
        })
        .collect();
    // The first source carries most families; the others share 8%.
    let n = writers.len() as u32;
    let weights: Vec<u32> = (0..n).map(|i| if i == 0 { 92 * (n - 1) } else { 8 }).collect();
    let sezioni = (comune.popolazione / 1000).max(1);

    // Beneficiaries of the Cartella Sociale exports are drawn from these
    // residents, with a stream of their own (the anagrafe bytes do not
    // depend on it).
    let mut beneficiaries =
        (!def.sociale.is_empty()).then(|| sociale::Beneficiaries::new(opts.seed, &comune.codice_istat));
    let mut generator = Generator::new(comune, persons, &mut rng);
    let mut generated = 0;
    while let Some(family) = generator.next_family(&mut rng) {
        let w = if n == 1 {
            &mut writers[0]
        } else {
            &mut writers[weighted_index(&mut rng, weights.iter().copied())]
        };
        let mut records = Vec::with_capacity(family.members.len());
        for p in &family.members {
            let note = chance(&mut rng, 0.03).then(|| *pick(&mut rng, NOTES));
            let mut rec = Record::new(p, &family, w.plan.address_style, sezioni, note);
            let applied = defects::inject(&mut rng, &mut rec, &w.plan.caps);
            for k in &applied.kinds {
                *defects.entry(*k).or_default() += 1;
            }
            let broken = applied
                .kinds
                .iter()
                .any(|k| defects::HARD.iter().any(|(h, _)| h == k));
            if let (Some(b), false) = (beneficiaries.as_mut(), broken) {
                b.consider(p, family.members.len());
            }
            records.push((rec, applied));
        }
        let n_rows = records.iter().map(|(_, a)| 1 + u64::from(a.duplicate)).sum();
        w.write_family(family.address.street.municipio, n_rows, |plan, first_row| {
            let mut out = Vec::with_capacity(n_rows as usize);
            for (i, (rec, applied)) in records.iter().enumerate() {
                let cells = plan.encode(rec, first_row + i as u64);
                if applied.duplicate {
                    out.push(OutRow {
                        cells: cells.clone(),
                        ragged: applied.ragged,
                        duplicate: false,
                    });
                    out.push(OutRow {
                        cells,
                        ragged: applied.ragged,
                        duplicate: true,
                    });
                } else {
                    out.push(OutRow {
                        cells,
                        ragged: applied.ragged,
                        duplicate: false,
                    });
                }
            }
            out
        })?;
        generated += family.members.len() as u64;
        progress.inc(family.members.len() as u64);
    }

    let mut files = Vec::new();
    let mut rows = 0;
    for w in writers {
        let (f, r, boms) = w.finish()?;
        files.extend(f);
        rows += r;
        if boms > 0 {
            *defects.entry(defects::UTF8_BOM).or_default() += boms;
        }
    }
    let (sociale_rows, sociale_defects) = match beneficiaries {
        Some(b) => {
            let w = sociale::write(def, comune, data_dir, b)?;
            files.extend(w.files);
            (w.rows, w.defects)
        }
        None => (0, BTreeMap::new()),
    };
    Ok(ComuneOutcome {
        persons: generated,
        rows,
        files,
        defects,
        sociale_rows,
        sociale_defects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrodati_interop::cf;
    use metrodati_interop::validate::anagrafe::Target;

    /// Every person without a defect has a codice fiscale that parses and
    /// matches the birth date, sex and birthplace written in the row.
    #[test]
    fn valid_persons_have_consistent_codes() {
        for istat in ["015146", "015002", "015118"] {
            let comune = refdata::comune_by_istat(istat).unwrap();
            let mut rng = comune_rng(3, istat);
            let mut g = Generator::new(comune, 4000, &mut rng);
            let caps = defects::Caps {
                mapped: [true; Target::COUNT],
                text_dates: [true; Target::COUNT],
                csv: true,
            };
            let mut checked = 0;
            let mut defective = 0;
            while let Some(f) = g.next_family(&mut rng) {
                for p in &f.members {
                    let mut rec = Record::new(p, &f, layouts::AddressStyle::Slash, 10, None);
                    let applied = defects::inject(&mut rng, &mut rec, &caps);
                    let hard = applied
                        .kinds
                        .iter()
                        .any(|k| defects::HARD.iter().any(|(h, _)| h == k));
                    if hard {
                        defective += 1;
                        continue;
                    }
                    let code = rec.text(Target::TaxCode).unwrap();
                    let info = cf::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
                    let record::Value::Date(dob) = rec.get(Target::DateOfBirth) else {
                        panic!()
                    };
                    let sex = if rec.text(Target::SexId) == Some("M") {
                        cf::Sex::M
                    } else {
                        cf::Sex::F
                    };
                    assert!(cf::consistent_with(&info, *dob, sex).is_empty(), "{code} {dob}");
                    assert_eq!(Some(info.birthplace.as_str()), rec.text(Target::BirthPlaceCode));
                    checked += 1;
                }
            }
            assert!(checked > 3800 && defective > 0, "{checked} {defective}");
        }
    }

    #[test]
    fn population_is_proportional() {
        let all: u64 = refdata::comuni_cm().iter().map(|c| persons_for(c, 1.0)).sum();
        assert!((3_100_000..3_400_000).contains(&all));
        let milano = persons_for(refdata::comune_by_istat("015146").unwrap(), 0.01) as f64;
        let total: u64 = refdata::comuni_cm().iter().map(|c| persons_for(c, 0.01)).sum();
        assert!((milano / total as f64 - 0.43).abs() < 0.03);
        assert!(refdata::comuni_cm()
            .iter()
            .all(|c| persons_for(c, 1e-6) == MIN_PERSONS));
    }
}
