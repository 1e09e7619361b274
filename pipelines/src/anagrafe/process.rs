//! Processing of one comune.

use super::state::{DupIndex, Families, Seen};
use super::{PIPELINE_VERSION, TABLES};
use crate::config::SourceDefinition;
use crate::config::SourceSpec;
use crate::pipeline::{
    finish_sources, partitions_exist, publish, resolve_sources, run_source, EmptySource, Resolved, RowAt,
    Verdict,
};
pub use crate::pipeline::{ComuneOutcome, ComuneStatus, Options, SourceOutcome};
use crate::quarantine::Quarantine;
use crate::store::{famiglia_frame, persona_frame, residenza_frame, CommittedPartition, PartitionWriter};
use metrodati_interop::schema::{self, SCHEMA_VERSION};
use metrodati_interop::validate::anagrafe::{self as rules, AnagrafeRecord, Context, Input, Target};
use metrodati_interop::validate::Issue;
use sha2::{Digest, Sha256};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Processes one comune end to end. Never panics on input: every problem
/// ends in the outcome.
pub fn process_comune(def: &SourceDefinition, opts: &Options<'_>) -> ComuneOutcome {
    let istat = def.istat().to_string();
    if def.anagrafe.is_empty() {
        return ComuneOutcome::failed(
            &istat,
            "la definizione non ha sorgenti [[anagrafe]]".into(),
            vec![],
        );
    }
    // 1. Resolve and fingerprint the inputs.
    let mut fp = Sha256::new();
    fp.update(format!("anagrafe/{PIPELINE_VERSION}/schema {SCHEMA_VERSION}\n"));
    fp.update(def.text.as_bytes());
    fp.update(format!("\narchive {}\n", opts.archive_id.unwrap_or("-")));
    let (resolved, mut sources) = resolve_sources(&def.anagrafe, opts.data_dir, &mut fp);
    if let Some(err) = sources.iter().find_map(|s| s.error.clone()) {
        return ComuneOutcome::failed(&istat, err, sources);
    }
    let fingerprint = hex::encode(fp.finalize());
    if !opts.force
        && partitions_exist(opts.store, &TABLES, &istat)
        && opts.previous_fingerprint == Some(fingerprint.as_str())
    {
        return ComuneOutcome::unchanged(&istat, fingerprint, sources);
    }

    // 2. Stream the rows.
    let result = Processor::new(&istat, opts).and_then(|mut p| {
        for (i, r) in resolved.iter().enumerate() {
            p.source(r, &mut sources[i]);
        }
        p.finish(&mut sources)
    });
    ComuneOutcome::finished(&istat, fingerprint, sources, result)
}

/// A codice fiscale as a fixed 16-byte key (validated codes are 16 ASCII
/// characters).
fn cf_key(cf: &str) -> [u8; 16] {
    let mut k = [0u8; 16];
    for (d, s) in k.iter_mut().zip(cf.bytes()) {
        *d = s;
    }
    k
}

struct Processor<'o> {
    istat: String,
    opts: &'o Options<'o>,
    persona: PartitionWriter,
    residenza: PartitionWriter,
    batch: Vec<AnagrafeRecord>,
    families: Families,
    seen: DupIndex,
    /// Files seen so far, indexed by `Seen::file`.
    files: Vec<Arc<str>>,
    quarantines: Vec<Quarantine>,
}

fn record_hash(r: &AnagrafeRecord) -> u64 {
    let mut h = DefaultHasher::new();
    r.hash(&mut h);
    h.finish()
}

impl<'o> Processor<'o> {
    fn new(istat: &str, opts: &'o Options<'o>) -> Result<Self, String> {
        let entity = |n: &str| schema::entity(n).ok_or_else(|| format!("entity {n} missing"));
        Ok(Processor {
            istat: istat.to_string(),
            opts,
            persona: PartitionWriter::create(opts.store, entity("persona")?, istat)
                .map_err(|e| e.to_string())?,
            residenza: PartitionWriter::create(opts.store, entity("residenza")?, istat)
                .map_err(|e| e.to_string())?,
            batch: Vec::with_capacity(opts.batch_rows),
            families: Families::new(opts.in_memory_limit),
            seen: DupIndex::new(opts.in_memory_limit),
            files: Vec::new(),
            quarantines: Vec::new(),
        })
    }

    fn flush(&mut self) -> Result<(), String> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let p = persona_frame(&self.istat, &self.batch).map_err(|e| e.to_string())?;
        self.persona.write(&p).map_err(|e| e.to_string())?;
        let r = residenza_frame(&self.istat, &self.batch).map_err(|e| e.to_string())?;
        self.residenza.write(&r).map_err(|e| e.to_string())?;
        self.batch.clear();
        Ok(())
    }

    fn source(&mut self, r: &Resolved<'_, SourceSpec>, so: &mut SourceOutcome) {
        let spec = r.spec;
        let date_format = |t: Target| spec.columns.get(t.name()).and_then(|m| m.date_format());
        let opts = self.opts;
        let ctx = Context {
            archive: opts.archive,
            today: opts.today,
            date_of_birth_format: date_format(Target::DateOfBirth),
            residence_start_date_format: date_format(Target::ResidenceStartDate),
        };
        let istat = self.istat.clone();
        let q = run_source::<_, Target>(r, so, opts.quarantine_dir, &istat, opts.progress, |input, at| {
            self.row(input, &ctx, at)
        });
        self.quarantines.push(q);
    }

    /// Validates one row; an accepted row that repeats a codice fiscale is
    /// rejected as a duplicate.
    fn row(&mut self, input: &Input, ctx: &Context<'_>, at: RowAt<'_>) -> Result<Verdict, String> {
        let outcome = rules::validate(input, ctx);
        let mut verdict = Verdict {
            issues: outcome.issues,
            repairs: outcome.repairs,
            accepted: false,
        };
        if let Some(rec) = outcome.record {
            match self.duplicate(&rec, at.file, at.line)? {
                Some((code, message)) => {
                    let value = rec.tax_code.clone();
                    verdict
                        .issues
                        .push(Issue::error("tax_code", code, message, Some(&value)));
                }
                None => {
                    self.accept(rec)?;
                    verdict.accepted = true;
                }
            }
        }
        Ok(verdict)
    }

    /// A second row for a codice fiscale already accepted is rejected: as an
    /// exact duplicate, or as a conflicting one.
    fn duplicate(
        &mut self,
        rec: &AnagrafeRecord,
        file: &Arc<str>,
        line: u64,
    ) -> Result<Option<(&'static str, String)>, String> {
        let hash = record_hash(rec);
        let key = cf_key(&rec.tax_code);
        if let Some(first) = self.seen.get(&key)? {
            let first_file = &self.files[first.file as usize];
            let at = if Arc::ptr_eq(first_file, file) || **first_file == **file {
                format!("alla riga {}", first.line)
            } else {
                format!("alla riga {} del file {}", first.line, first_file)
            };
            return Ok(Some(if first.hash == hash {
                (
                    "duplicate_row",
                    format!("Riga duplicata: la stessa persona è già presente {at}"),
                )
            } else {
                (
                    "duplicate_tax_code",
                    format!("Codice fiscale già presente {at} con dati diversi"),
                )
            }));
        }
        let file_index = match self
            .files
            .iter()
            .rposition(|f| Arc::ptr_eq(f, file) || **f == **file)
        {
            Some(i) => i,
            None => {
                self.files.push(file.clone());
                self.files.len() - 1
            }
        };
        self.seen.insert(
            key,
            Seen {
                file: file_index as u32,
                line: u32::try_from(line).unwrap_or(u32::MAX),
                hash,
            },
        )?;
        Ok(None)
    }

    fn accept(&mut self, rec: AnagrafeRecord) -> Result<(), String> {
        let holder = (rec.parental_relationship_type_code == "1").then(|| cf_key(&rec.tax_code));
        self.families.add(&rec.registered_family_code, holder)?;
        self.batch.push(rec);
        if self.batch.len() >= self.opts.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Family checks, quarantine files and the atomic commit of the
    /// partitions (only when every source succeeded).
    fn finish(
        mut self,
        sources: &mut [SourceOutcome],
    ) -> Result<Vec<(&'static str, CommittedPartition)>, String> {
        self.flush()?;
        // Family-level quality (warnings: the rows are kept).
        let (no_holder, many_holders) = self.families.holder_anomalies()?;
        if let Some(first) = sources.first_mut() {
            if no_holder > 0 {
                *first
                    .quality
                    .entry(("family_without_holder".into(), "warning".into()))
                    .or_default() += no_holder;
            }
            if many_holders > 0 {
                *first
                    .quality
                    .entry(("family_multiple_holders".into(), "warning".into()))
                    .or_default() += many_holders;
            }
        }
        let quarantines = std::mem::take(&mut self.quarantines);
        if !finish_sources(
            sources,
            quarantines,
            self.opts.max_rejected_share,
            EmptySource::Fails,
        ) {
            // Dropping the writers removes the temporary files.
            return Ok(vec![]);
        }
        let famiglia_entity = schema::entity("famiglia").ok_or("entity famiglia missing")?;
        let mut famiglia = PartitionWriter::create(self.opts.store, famiglia_entity, &self.istat)
            .map_err(|e| e.to_string())?;
        let istat = &self.istat;
        self.families
            .for_each_chunk(self.opts.batch_rows.max(1), |chunk| {
                let df = famiglia_frame(istat, chunk).map_err(|e| e.to_string())?;
                famiglia.write(&df).map_err(|e| e.to_string())
            })?;
        // Prepare all three files (written, synced, hashed), then make them
        // visible back to back: a failure before this point replaces nothing.
        let prepared = [
            ("persona", self.persona.prepare().map_err(|e| e.to_string())?),
            ("famiglia", famiglia.prepare().map_err(|e| e.to_string())?),
            ("residenza", self.residenza.prepare().map_err(|e| e.to_string())?),
        ];
        publish(prepared.into())
    }
}
