//! Processing of one comune's Cartella Sociale exports.

use super::{PERSONA, PIPELINE_VERSION, TABLES};
use crate::config::{SocialeSourceSpec, Source, SourceDefinition};
use crate::pipeline::{
    finish_sources, partitions_exist, publish, resolve_sources, run_source, ComuneOutcome, EmptySource,
    Options, Resolved, RowAt, SourceOutcome, Verdict,
};
use crate::quarantine::Quarantine;
use crate::store::{
    caso_sinba_frame, file_sha256, partition_file, prestazione_frame, read_partition_columns,
    valutazione_sina_frame, CommittedPartition, PartitionWriter,
};
use metrodati_interop::cf;
use metrodati_interop::schema::{self, SCHEMA_VERSION};
use metrodati_interop::validate::number::NumberFormat;
use metrodati_interop::validate::sociale::{
    self as rules, Context, Input, PrestazioneRecord, Record, SinaRecord, SinbaRecord, Target,
};
use metrodati_interop::validate::Issue;
use sha2::{Digest, Sha256};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

/// Processes one comune end to end. Never panics on input: every problem
/// ends in the outcome.
pub fn process_comune(def: &SourceDefinition, opts: &Options<'_>) -> ComuneOutcome {
    let istat = def.istat().to_string();
    if def.sociale.is_empty() {
        return ComuneOutcome::failed(
            &istat,
            "la definizione non ha sorgenti [[sociale]]".into(),
            vec![],
        );
    }
    // The residents the beneficiaries are linked to.
    let persona = partition_file(opts.store, PERSONA, &istat);
    if !persona.exists() {
        return ComuneOutcome::failed(
            &istat,
            "partizione persona assente: eseguire prima il job anagrafe per il comune \
             (i beneficiari sono collegati ai residenti)"
                .into(),
            vec![],
        );
    }
    let persona_hash = match file_sha256(&persona) {
        Ok(h) => h,
        Err(e) => return ComuneOutcome::failed(&istat, e.to_string(), vec![]),
    };

    // 1. Resolve and fingerprint the inputs.
    let mut fp = Sha256::new();
    fp.update(format!("sociale/{PIPELINE_VERSION}/schema {SCHEMA_VERSION}\n"));
    fp.update(def.text.as_bytes());
    fp.update(format!("\npersona {persona_hash}\n"));
    let (resolved, mut sources) = resolve_sources(&def.sociale, opts.data_dir, &mut fp);
    if let Some(first) = sources.first_mut() {
        // Lineage: the rows also derive from the residents they were linked to.
        first.inputs.push((persona.display().to_string(), persona_hash));
    }
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
    let residents = match residents(&persona) {
        Ok(r) => r,
        Err(e) => return ComuneOutcome::failed(&istat, e, sources),
    };

    // 2. Stream the rows.
    let result = Processor::new(&istat, opts, residents).and_then(|mut p| {
        for (i, r) in resolved.iter().enumerate() {
            p.source(r, &mut sources[i]);
        }
        p.finish(&mut sources)
    });
    ComuneOutcome::finished(&istat, fingerprint, sources, result)
}

/// The codici fiscali of the comune's residents (omocodia decoded, so that a
/// code written in its base form still matches).
fn residents(persona: &Path) -> Result<HashSet<String>, String> {
    let df = read_partition_columns(persona, Some(&["tax_code"])).map_err(|e| e.to_string())?;
    let codes = df
        .column("tax_code")
        .and_then(|c| c.str())
        .map_err(|e| format!("{}: {e}", persona.display()))?;
    Ok(codes.iter().flatten().map(cf::decode_omocodia).collect())
}

/// Builds the frame of a batch of one table.
type FrameFn<R> = fn(&str, &[(R, bool)]) -> polars::prelude::PolarsResult<polars::prelude::DataFrame>;

/// Where an identifier was first seen.
struct Seen {
    file: Arc<str>,
    line: u64,
    hash: u64,
}

/// The writer, batch and duplicate state of one table.
struct Table<R> {
    writer: PartitionWriter,
    batch: Vec<(R, bool)>,
    ids: HashMap<String, Seen>,
    /// Content key → where the record was first seen.
    facts: HashMap<String, (Arc<str>, u64)>,
}

impl<R> Table<R> {
    fn new(store: &Path, name: &str, istat: &str) -> Result<Table<R>, String> {
        let entity = schema::entity(name).ok_or_else(|| format!("entity {name} missing"))?;
        Ok(Table {
            writer: PartitionWriter::create(store, entity, istat).map_err(|e| e.to_string())?,
            batch: Vec::new(),
            ids: HashMap::new(),
            facts: HashMap::new(),
        })
    }

    fn flush(&mut self, istat: &str, frame: FrameFn<R>) -> Result<(), String> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let df = frame(istat, &self.batch).map_err(|e| e.to_string())?;
        self.writer.write(&df).map_err(|e| e.to_string())?;
        self.batch.clear();
        Ok(())
    }

    /// The duplicate rule a record breaks, if any; otherwise it is
    /// remembered.
    fn duplicate(&mut self, rec: &Record, at: RowAt<'_>) -> Option<(&'static str, String)> {
        let where_ = |file: &Arc<str>, line: u64| {
            if Arc::ptr_eq(file, at.file) || **file == **at.file {
                format!("alla riga {line}")
            } else {
                format!("alla riga {line} del file {file}")
            }
        };
        let hash = {
            let mut h = DefaultHasher::new();
            format!("{rec:?}").hash(&mut h);
            h.finish()
        };
        if let Some(first) = self.ids.get(rec.identifier()) {
            let place = where_(&first.file, first.line);
            return Some(if first.hash == hash {
                (
                    "duplicate_row",
                    format!("Riga duplicata: lo stesso record è già presente {place}"),
                )
            } else {
                (
                    "duplicate_identifier",
                    format!(
                        "Identificativo «{}» già usato {place} per un record diverso",
                        rec.identifier()
                    ),
                )
            });
        }
        let key = rec.duplicate_key();
        if let Some((file, line)) = self.facts.get(&key) {
            let place = where_(file, *line);
            let what = match rec {
                Record::Prestazione(_) => "La stessa prestazione (beneficiario, codice, date e importi)",
                Record::Sina(_) => "La stessa valutazione (beneficiario e data)",
                Record::Sinba(_) => "Lo stesso caso (minore e data di presa in carico)",
            };
            return Some((
                "duplicate_entry",
                format!("{what} è già registrata {place} con un altro identificativo"),
            ));
        }
        self.ids.insert(
            rec.identifier().to_string(),
            Seen {
                file: at.file.clone(),
                line: at.line,
                hash,
            },
        );
        self.facts.insert(key, (at.file.clone(), at.line));
        None
    }
}

struct Processor<'o> {
    istat: String,
    opts: &'o Options<'o>,
    residents: HashSet<String>,
    prestazioni: Table<PrestazioneRecord>,
    sina: Table<SinaRecord>,
    sinba: Table<SinbaRecord>,
    quarantines: Vec<Quarantine>,
    /// (table, identifier) of the rows rejected: see [`super::held_path`].
    held: std::collections::BTreeSet<(&'static str, String)>,
    /// Prestazioni named by a rejected SINA assessment.
    held_by_sina: std::collections::BTreeSet<String>,
}

impl<'o> Processor<'o> {
    fn new(istat: &str, opts: &'o Options<'o>, residents: HashSet<String>) -> Result<Self, String> {
        Ok(Processor {
            istat: istat.to_string(),
            opts,
            residents,
            prestazioni: Table::new(opts.store, TABLES[0], istat)?,
            sina: Table::new(opts.store, TABLES[1], istat)?,
            sinba: Table::new(opts.store, TABLES[2], istat)?,
            quarantines: Vec::new(),
            held: Default::default(),
            held_by_sina: Default::default(),
        })
    }

    fn source(&mut self, r: &Resolved<'_, SocialeSourceSpec>, so: &mut SourceOutcome) {
        let spec = r.spec;
        let Some(kind) = spec.kind() else {
            // The definition check rejects unknown kinds.
            so.error = Some(format!("tipo di sorgente «{}» sconosciuto", spec.kind.get_ref()));
            return;
        };
        let mut ctx = Context::new(kind, self.opts.today);
        for t in Target::ALL {
            ctx.date_formats[t as usize] = spec.column(t.name()).and_then(|m| m.date_format());
        }
        ctx.numbers = NumberFormat {
            decimal_comma: spec.read.decimal_comma,
            thousands: spec.read.thousands_separator,
        };
        ctx.module = spec.module();
        let opts = self.opts;
        let istat = self.istat.clone();
        let q = run_source::<_, Target>(r, so, opts.quarantine_dir, &istat, opts.progress, |input, at| {
            self.row(input, &ctx, at)
        });
        self.quarantines.push(q);
    }

    fn row(&mut self, input: &Input, ctx: &Context<'_>, at: RowAt<'_>) -> Result<Verdict, String> {
        let outcome = rules::validate(input, ctx);
        let mut verdict = Verdict {
            issues: outcome.issues,
            repairs: outcome.repairs,
            accepted: false,
        };
        let Some(rec) = outcome.record else {
            self.hold(input, ctx);
            return Ok(verdict);
        };
        let duplicate = match &rec {
            Record::Prestazione(_) => self.prestazioni.duplicate(&rec, at),
            Record::Sina(_) => self.sina.duplicate(&rec, at),
            Record::Sinba(_) => self.sinba.duplicate(&rec, at),
        };
        if let Some((code, message)) = duplicate {
            let field = if code == "duplicate_entry" {
                "tax_code"
            } else {
                "identifier"
            };
            let value = if field == "tax_code" {
                rec.tax_code().to_string()
            } else {
                rec.identifier().to_string()
            };
            verdict
                .issues
                .push(Issue::error(field, code, message, Some(&value)));
            self.hold(input, ctx);
            return Ok(verdict);
        }
        let resident = self.residents.contains(&cf::decode_omocodia(rec.tax_code()));
        if !resident {
            verdict.issues.push(Issue::warning(
                "tax_code",
                "beneficiary_not_resident",
                "Il beneficiario non risulta tra i residenti del comune nell'anagrafe corrente: record mantenuto, \
                 verificare il codice fiscale o la residenza",
                Some(rec.tax_code()),
            ));
        }
        self.accept(rec, resident)?;
        verdict.accepted = true;
        Ok(verdict)
    }

    /// Remembers the identifier of a rejected row (cleaned as accepted ones
    /// are): the record is still in the Cartella Sociale, only not valid
    /// now. A rejected SINA assessment holds the prestazione it names too,
    /// whose SINA block would otherwise vanish from what INPS gets.
    fn hold(&mut self, input: &Input, ctx: &Context<'_>) {
        let clean = |t: Target| {
            input[t as usize]
                .as_deref()
                .and_then(|raw| metrodati_interop::validate::text::clean(t.name(), raw, &mut Vec::new()))
                .filter(|s| !s.is_empty())
        };
        if let Some(id) = clean(Target::Identifier) {
            self.held.insert((ctx.kind.entity(), id));
        }
        if ctx.kind == metrodati_interop::validate::sociale::Kind::Sina {
            if let Some(id) = clean(Target::ServiceIdentifier) {
                self.held_by_sina.insert(id);
            }
        }
    }

    fn accept(&mut self, rec: Record, resident: bool) -> Result<(), String> {
        let max = self.opts.batch_rows;
        let istat = &self.istat;
        match rec {
            Record::Prestazione(r) => {
                self.prestazioni.batch.push((r, resident));
                if self.prestazioni.batch.len() >= max {
                    self.prestazioni.flush(istat, prestazione_frame)?;
                }
            }
            Record::Sina(r) => {
                self.sina.batch.push((r, resident));
                if self.sina.batch.len() >= max {
                    self.sina.flush(istat, valutazione_sina_frame)?;
                }
            }
            Record::Sinba(r) => {
                self.sinba.batch.push((r, resident));
                if self.sinba.batch.len() >= max {
                    self.sinba.flush(istat, caso_sinba_frame)?;
                }
            }
        }
        Ok(())
    }

    /// Quarantine files and the atomic commit of the three partitions (only
    /// when every source succeeded).
    fn finish(
        mut self,
        sources: &mut [SourceOutcome],
    ) -> Result<Vec<(&'static str, CommittedPartition)>, String> {
        self.prestazioni.flush(&self.istat, prestazione_frame)?;
        self.sina.flush(&self.istat, valutazione_sina_frame)?;
        self.sinba.flush(&self.istat, caso_sinba_frame)?;
        let quarantines = std::mem::take(&mut self.quarantines);
        if !finish_sources(
            sources,
            quarantines,
            self.opts.max_rejected_share,
            EmptySource::Warns,
        ) {
            // Dropping the writers removes the temporary files.
            return Ok(vec![]);
        }
        let prepared = vec![
            (
                TABLES[0],
                self.prestazioni.writer.prepare().map_err(|e| e.to_string())?,
            ),
            (TABLES[1], self.sina.writer.prepare().map_err(|e| e.to_string())?),
            (TABLES[2], self.sinba.writer.prepare().map_err(|e| e.to_string())?),
        ];
        // A rejected row whose identifier was also accepted (a duplicate) is
        // not held: the record is in the store.
        let accepted = |table: &str, id: &str| match table {
            t if t == TABLES[0] => self.prestazioni.ids.contains_key(id),
            t if t == TABLES[1] => self.sina.ids.contains_key(id),
            _ => self.sinba.ids.contains_key(id),
        };
        let mut held = std::mem::take(&mut self.held);
        held.retain(|(t, id)| !accepted(t, id));
        // Held through a rejected SINA assessment, accepted or not.
        held.extend(
            std::mem::take(&mut self.held_by_sina)
                .into_iter()
                .map(|id| (TABLES[0], id)),
        );
        // Until the new partitions are visible, the old and the new held
        // rows are both held: a crash in between never lets siuss take a
        // record for withdrawn.
        let mut both = super::read_held_all(self.opts.store, &self.istat)?;
        both.extend(held.iter().map(|(t, id)| (t.to_string(), id.clone())));
        super::write_held(self.opts.store, &self.istat, &both)?;
        let out = publish(prepared)?;
        super::write_held(
            self.opts.store,
            &self.istat,
            &held.iter().map(|(t, id)| (t.to_string(), id.clone())).collect(),
        )?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrodati_interop::validate::sociale::Kind;

    fn prestazione(id: &str, amount: f64) -> Record {
        let mut input = rules::empty_input();
        let set = |i: &mut Input, t: Target, v: &str| i[t as usize] = Some(v.to_string());
        set(&mut input, Target::Identifier, id);
        set(&mut input, Target::TaxCode, "RSSMRA80A01F205X");
        set(&mut input, Target::Module, "sostegno_reddito");
        set(&mut input, Target::ServiceCode, "A1.06");
        set(&mut input, Target::BenefitCharacter, "2");
        set(&mut input, Target::MeansTest, "4");
        set(&mut input, Target::ApplicationProtocol, "P1");
        set(&mut input, Target::TakenInCharge, "2");
        set(&mut input, Target::DeliveryDate, "10/03/2025");
        set(&mut input, Target::Amount, &amount.to_string());
        let ctx = Context::new(
            Kind::Prestazioni,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        );
        let o = rules::validate(&input, &ctx);
        o.record.unwrap_or_else(|| panic!("{:?}", o.issues))
    }

    #[test]
    fn duplicates_by_identifier_and_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let mut t: Table<PrestazioneRecord> = Table::new(dir.path(), TABLES[0], "015146").unwrap();
        let file: Arc<str> = Arc::from("/d/a.csv");
        let other: Arc<str> = Arc::from("/d/b.csv");

        assert_eq!(
            t.duplicate(&prestazione("1", 50.0), RowAt { file: &file, line: 2 }),
            None
        );
        // The same row again.
        let (code, msg) = t
            .duplicate(&prestazione("1", 50.0), RowAt { file: &file, line: 3 })
            .unwrap();
        assert_eq!(code, "duplicate_row");
        assert!(msg.contains("riga 2"), "{msg}");
        // The same identifier for another prestazione, in another file.
        let (code, msg) = t
            .duplicate(
                &prestazione("1", 60.0),
                RowAt {
                    file: &other,
                    line: 7,
                },
            )
            .unwrap();
        assert_eq!(code, "duplicate_identifier");
        assert!(msg.contains("/d/a.csv"), "{msg}");
        // The same prestazione under another identifier.
        let (code, _) = t
            .duplicate(&prestazione("2", 50.0), RowAt { file: &file, line: 9 })
            .unwrap();
        assert_eq!(code, "duplicate_entry");
        assert_eq!(
            t.duplicate(
                &prestazione("3", 70.0),
                RowAt {
                    file: &file,
                    line: 10
                }
            ),
            None
        );
    }

    #[test]
    fn kinds_feed_the_tables_in_order() {
        let tables: Vec<&str> = Kind::ALL.iter().map(|k| k.entity()).collect();
        assert_eq!(tables, TABLES);
    }
}
