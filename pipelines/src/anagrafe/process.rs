//! Processing of one comune.

use super::mapping::BoundMapping;
use super::{PIPELINE_VERSION, TABLES};
use crate::config::{SourceDefinition, SourceSpec};
use crate::progress::Progress;
use crate::quarantine::{Quarantine, QuarantineEntry, RejectedRow, RepairEntry, RepairLog};
use crate::store::{
    famiglia_frame, persona_frame, residenza_frame, CommittedPartition, FamilyAggregate, PartitionWriter,
};
use metrodati_connectors::format::open_reader;
use metrodati_connectors::location::{resolve, SourceObject};
use metrodati_connectors::row::RowItem;
use metrodati_interop::anpr::ComuniArchive;
use metrodati_interop::schema::{self, SCHEMA_VERSION};
use metrodati_interop::validate::anagrafe::{self as rules, AnagrafeRecord, Context, Target};
use metrodati_interop::validate::Severity;
use sha2::{Digest, Sha256};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What processing needs besides the definition.
pub struct Options<'a> {
    /// Folder relative source URLs are resolved against.
    pub data_dir: &'a Path,
    pub store: &'a Path,
    /// Quarantine folder of this run (`<quarantine>/run-<id>`).
    pub quarantine_dir: &'a Path,
    pub archive: Option<&'a ComuniArchive>,
    /// Identity of the archive (part of the fingerprint).
    pub archive_id: Option<&'a str>,
    pub today: chrono::NaiveDate,
    /// Fingerprint of the last successful processing, from the catalog.
    pub previous_fingerprint: Option<&'a str>,
    /// Process even if the inputs are unchanged.
    pub force: bool,
    /// Rows per store batch (bounds memory).
    pub batch_rows: usize,
    /// Above this share of quarantined rows the comune's partitions are not
    /// replaced (a wrong mapping must not wipe the store).
    pub max_rejected_share: f64,
    pub progress: &'a dyn Progress,
}

/// How a comune went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComuneStatus {
    /// New partitions written.
    Processed,
    /// Inputs unchanged since the last successful run: nothing done.
    Unchanged,
    /// Nothing replaced; the reason.
    Failed(String),
}

/// Accounting and results of one source of a comune.
#[derive(Debug, Clone, Default)]
pub struct SourceOutcome {
    pub name: String,
    /// (URL, sha256) of every input file.
    pub inputs: Vec<(String, String)>,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_quarantined: u64,
    pub repairs: BTreeMap<String, u64>,
    /// (rule, severity) → occurrences.
    pub quality: BTreeMap<(String, String), u64>,
    pub quarantine_files: Vec<PathBuf>,
    pub error: Option<String>,
}

/// The result of processing a comune.
#[derive(Debug, Clone)]
pub struct ComuneOutcome {
    pub istat: String,
    pub status: ComuneStatus,
    pub fingerprint: Option<String>,
    pub sources: Vec<SourceOutcome>,
    /// Committed partitions, by table.
    pub partitions: Vec<(&'static str, CommittedPartition)>,
}

impl ComuneOutcome {
    /// A comune whose processing hit an internal error (a bug, not the data).
    pub fn internal_error(istat: &str, what: &str) -> ComuneOutcome {
        ComuneOutcome::failed(
            istat,
            format!("errore interno durante l'elaborazione: {what}"),
            vec![],
        )
    }

    fn failed(istat: &str, reason: String, sources: Vec<SourceOutcome>) -> ComuneOutcome {
        ComuneOutcome {
            istat: istat.into(),
            status: ComuneStatus::Failed(reason),
            fingerprint: None,
            sources,
            partitions: vec![],
        }
    }
}

struct Resolved<'d> {
    spec: &'d SourceSpec,
    objects: Vec<(SourceObject, String)>,
}

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
    let mut resolved = Vec::new();
    let mut fp = Sha256::new();
    fp.update(format!("anagrafe/{PIPELINE_VERSION}/schema {SCHEMA_VERSION}\n"));
    fp.update(def.text.as_bytes());
    fp.update(format!("\narchive {}\n", opts.archive_id.unwrap_or("-")));
    let mut sources: Vec<SourceOutcome> = Vec::new();
    for spec in &def.anagrafe {
        let mut so = SourceOutcome {
            name: spec.name.clone(),
            ..Default::default()
        };
        let objects = match resolve(&spec.url, opts.data_dir) {
            Ok(o) if o.is_empty() => {
                so.error = Some(format!("nessun file corrisponde a «{}»", spec.url));
                Vec::new()
            }
            Ok(o) => o,
            Err(e) => {
                so.error = Some(e.to_string());
                Vec::new()
            }
        };
        let mut with_fp = Vec::new();
        for o in objects {
            match o.fingerprint() {
                Ok(h) => {
                    fp.update(format!("{}\t{h}\n", o.url()));
                    so.inputs.push((o.url().to_string(), h.clone()));
                    with_fp.push((o, h));
                }
                Err(e) => so.error = Some(e.to_string()),
            }
        }
        resolved.push(Resolved {
            spec,
            objects: with_fp,
        });
        sources.push(so);
    }
    if let Some(err) = sources.iter().find_map(|s| s.error.clone()) {
        return ComuneOutcome::failed(&istat, err, sources);
    }
    let fingerprint = hex::encode(fp.finalize());
    let partitions_exist = TABLES
        .iter()
        .all(|t| crate::store::partition_file(opts.store, t, &istat).exists());
    if !opts.force && partitions_exist && opts.previous_fingerprint == Some(fingerprint.as_str()) {
        return ComuneOutcome {
            istat,
            status: ComuneStatus::Unchanged,
            fingerprint: Some(fingerprint),
            sources,
            partitions: vec![],
        };
    }

    // 2. Stream the rows.
    match Processor::new(&istat, opts).and_then(|mut p| {
        for (i, r) in resolved.iter().enumerate() {
            p.source(r, &mut sources[i]);
        }
        p.finish(&mut sources)
    }) {
        Ok(partitions) => {
            if let Some(err) = sources.iter().find_map(|s| s.error.clone()) {
                return ComuneOutcome::failed(&istat, err, sources);
            }
            ComuneOutcome {
                istat,
                status: ComuneStatus::Processed,
                fingerprint: Some(fingerprint),
                sources,
                partitions,
            }
        }
        Err(e) => ComuneOutcome::failed(&istat, e, sources),
    }
}

/// Where a codice fiscale was first seen.
struct Seen {
    file: Arc<str>,
    line: u64,
    hash: u64,
}

struct Processor<'o> {
    istat: String,
    opts: &'o Options<'o>,
    persona: PartitionWriter,
    residenza: PartitionWriter,
    batch: Vec<AnagrafeRecord>,
    families: BTreeMap<String, FamilyAggregate>,
    seen: HashMap<String, Seen>,
    quarantines: Vec<Quarantine>,
}

fn record_hash(r: &AnagrafeRecord) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{r:?}").hash(&mut h);
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
            families: BTreeMap::new(),
            seen: HashMap::new(),
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

    fn source(&mut self, r: &Resolved<'_>, so: &mut SourceOutcome) {
        let dir = self.opts.quarantine_dir.join(&self.istat);
        let mut q = Quarantine::new(&dir, &so.name);
        let mut repairs = RepairLog::new(dir.join(format!("{}.repairs.parquet", so.name)));
        for (object, _) in &r.objects {
            if let Err(e) = self.file(r.spec, object, so, &mut q, &mut repairs) {
                so.error = Some(format!("{}: {e}", object.url()));
                break;
            }
        }
        match repairs.finish() {
            Ok(Some(path)) => so.quarantine_files.push(path),
            Ok(None) => {}
            Err(e) => so.error = Some(e.to_string()),
        }
        for (k, n) in q.quality() {
            *so.quality.entry(k.clone()).or_default() += n;
        }
        so.rows_quarantined = q.rejected_rows();
        self.quarantines.push(q);
    }

    fn file(
        &mut self,
        spec: &SourceSpec,
        object: &SourceObject,
        so: &mut SourceOutcome,
        q: &mut Quarantine,
        repairs: &mut RepairLog,
    ) -> Result<(), String> {
        let expected = BoundMapping::expected_columns(spec);
        let mut reader = open_reader(&spec.read, object, &expected).map_err(|e| e.to_string())?;
        let header = Arc::new(reader.header().to_vec());
        let sheet = reader.sheet().map(str::to_string);
        let mapping = BoundMapping::bind(spec, &header).map_err(|m| {
            // The header is not echoed: without one, it would be a row of personal data.
            format!(
                "colonne mancanti nell'intestazione: {} (l'intestazione letta ha {} colonne: verificare header_row, \
                 il separatore e i nomi delle colonne nella definizione)",
                m.0.join(", "),
                header.len()
            )
        })?;
        let date_format = |t: Target| spec.columns.get(t.name()).and_then(|m| m.date_format());
        let ctx = Context {
            archive: self.opts.archive,
            today: self.opts.today,
            date_of_birth_format: date_format(Target::DateOfBirth),
            residence_start_date_format: date_format(Target::ResidenceStartDate),
        };
        let file: Arc<str> = Arc::from(object.url());
        let mut since_tick = 0u64;
        for item in reader.by_ref() {
            let item = item.map_err(|e| e.to_string())?;
            so.rows_read += 1;
            since_tick += 1;
            if since_tick == 1024 {
                self.opts.progress.inc(since_tick);
                since_tick = 0;
            }
            match item {
                RowItem::Rejected(rej) => {
                    q.add_entry(QuarantineEntry {
                        file: file.to_string(),
                        sheet: sheet.clone(),
                        row: rej.line,
                        column: rej.column.clone(),
                        field: None,
                        value: Some(rej.value.clone()),
                        rule: rej.code.to_string(),
                        severity: "error".into(),
                        message_it: rej.message_it.clone(),
                    })
                    .map_err(|e| e.to_string())?;
                    q.add_row(RejectedRow {
                        file: file.to_string(),
                        sheet: sheet.clone(),
                        row: rej.line,
                        header: Arc::new(vec!["(riga originale)".to_string()]),
                        values: vec![Some(rej.value)],
                    })
                    .map_err(|e| e.to_string())?;
                }
                RowItem::Row(row) => {
                    let input = mapping.input(&row.values);
                    let outcome = rules::validate(&input, &ctx);
                    for rep in &outcome.repairs {
                        *so.repairs.entry(rep.kind.to_string()).or_default() += 1;
                        let target = Target::from_name(rep.field);
                        repairs
                            .push(RepairEntry {
                                file: file.clone(),
                                sheet: sheet.clone(),
                                row: row.line,
                                column: mapping.column_of(rep.field).map(str::to_string),
                                field: rep.field,
                                kind: rep.kind,
                                original: target.and_then(|t| input[t as usize].clone()),
                            })
                            .map_err(|e| e.to_string())?;
                    }
                    let entry = |field: &str,
                                 value: Option<String>,
                                 rule: &str,
                                 severity: Severity,
                                 message: String| {
                        QuarantineEntry {
                            file: file.to_string(),
                            sheet: sheet.clone(),
                            row: row.line,
                            column: mapping.column_of(field).map(str::to_string),
                            field: Some(field.to_string()).filter(|f| !f.is_empty()),
                            value,
                            rule: rule.to_string(),
                            severity: severity.as_str().to_string(),
                            message_it: message,
                        }
                    };
                    for i in &outcome.issues {
                        q.add_entry(entry(
                            i.field,
                            i.value.clone(),
                            i.code,
                            i.severity,
                            i.message_it.clone(),
                        ))
                        .map_err(|e| e.to_string())?;
                    }
                    let rejected = match outcome.record {
                        None => true,
                        Some(rec) => match self.duplicate(&rec, &file, row.line) {
                            Some((code, message)) => {
                                q.add_entry(entry(
                                    "tax_code",
                                    Some(rec.tax_code.clone()),
                                    code,
                                    Severity::Error,
                                    message,
                                ))
                                .map_err(|e| e.to_string())?;
                                true
                            }
                            None => {
                                self.accept(rec)?;
                                so.rows_written += 1;
                                false
                            }
                        },
                    };
                    if rejected {
                        q.add_row(RejectedRow {
                            file: file.to_string(),
                            sheet: sheet.clone(),
                            row: row.line,
                            header: header.clone(),
                            values: row.values,
                        })
                        .map_err(|e| e.to_string())?;
                    }
                }
            }
        }
        self.opts.progress.inc(since_tick);
        Ok(())
    }

    /// A second row for a codice fiscale already accepted is rejected: as an
    /// exact duplicate, or as a conflicting one.
    fn duplicate(
        &mut self,
        rec: &AnagrafeRecord,
        file: &Arc<str>,
        line: u64,
    ) -> Option<(&'static str, String)> {
        let hash = record_hash(rec);
        if let Some(first) = self.seen.get(&rec.tax_code) {
            let at = if Arc::ptr_eq(&first.file, file) || *first.file == **file {
                format!("alla riga {}", first.line)
            } else {
                format!("alla riga {} del file {}", first.line, first.file)
            };
            return Some(if first.hash == hash {
                (
                    "duplicate_row",
                    format!("Riga duplicata: la stessa persona è già presente {at}"),
                )
            } else {
                (
                    "duplicate_tax_code",
                    format!("Codice fiscale già presente {at} con dati diversi"),
                )
            });
        }
        self.seen.insert(
            rec.tax_code.clone(),
            Seen {
                file: file.clone(),
                line,
                hash,
            },
        );
        None
    }

    fn accept(&mut self, rec: AnagrafeRecord) -> Result<(), String> {
        let fam = self
            .families
            .entry(rec.registered_family_code.clone())
            .or_default();
        fam.components += 1;
        if rec.parental_relationship_type_code == "1" {
            fam.holders.push(rec.tax_code.clone());
        }
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
        let no_holder = self.families.values().filter(|f| f.holders.is_empty()).count() as u64;
        let many_holders = self.families.values().filter(|f| f.holders.len() > 1).count() as u64;
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
        for so in sources.iter_mut() {
            if so.error.is_none() && so.rows_read == 0 {
                so.error = Some("nessuna riga di dati nei file della sorgente (solo intestazione?)".into());
            }
        }
        let read: u64 = sources.iter().map(|s| s.rows_read).sum();
        let rejected: u64 = sources.iter().map(|s| s.rows_quarantined).sum();
        if read > 0 && rejected as f64 / read as f64 > self.opts.max_rejected_share {
            if let Some(first) = sources.iter_mut().find(|s| s.error.is_none()) {
                first.error = Some(format!(
                    "troppe righe scartate: {rejected} su {read} ({:.0}%, soglia {:.0}%): partizioni non sostituite; \
                     controllare la mappatura delle colonne e il file di quarantena \
                     (per accettare: --max-rejected-share)",
                    100.0 * rejected as f64 / read as f64,
                    100.0 * self.opts.max_rejected_share
                ));
            }
        }
        let quarantines = std::mem::take(&mut self.quarantines);
        for (so, q) in sources.iter_mut().zip(quarantines) {
            match q.finish() {
                Ok(files) => so.quarantine_files.extend(files),
                Err(e) => so.error = Some(e.to_string()),
            }
        }
        if sources.iter().any(|s| s.error.is_some()) {
            // Dropping the writers removes the temporary files.
            return Ok(vec![]);
        }
        let famiglia_entity = schema::entity("famiglia").ok_or("entity famiglia missing")?;
        let mut famiglia = PartitionWriter::create(self.opts.store, famiglia_entity, &self.istat)
            .map_err(|e| e.to_string())?;
        let df = famiglia_frame(&self.istat, &self.families).map_err(|e| e.to_string())?;
        famiglia.write(&df).map_err(|e| e.to_string())?;
        // Prepare all three files (written, synced, hashed), then make them
        // visible back to back: a failure before this point replaces nothing.
        let prepared = [
            ("persona", self.persona.prepare().map_err(|e| e.to_string())?),
            ("famiglia", famiglia.prepare().map_err(|e| e.to_string())?),
            ("residenza", self.residenza.prepare().map_err(|e| e.to_string())?),
        ];
        let mut out = Vec::with_capacity(prepared.len());
        for (table, p) in prepared {
            out.push((table, p.publish().map_err(|e| e.to_string())?));
        }
        Ok(out)
    }
}
