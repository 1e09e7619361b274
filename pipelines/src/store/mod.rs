//! The normalised store: Parquet (zstd) partitioned by comune,
//! `<store>/interop/<table>/comune=<istat>/part-0.parquet`.
//!
//! A partition is one file, written to a hidden temporary file beside it and
//! renamed over the old one only when complete and synced, so a reader sees
//! the old or the new data, never a mix or a partial file. Hidden names
//! (leading `.`) are ignored by Hive-style readers (polars, Spark, DuckDB).

mod frames;

pub use frames::{
    caso_sinba_frame, famiglia_frame, persona_frame, prestazione_frame, residenza_frame,
    valutazione_sina_frame, FamilyAggregate,
};

use metrodati_interop::schema::{Entity, FieldType};
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Errors writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store I/O on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("Parquet writing {path}: {source}")]
    Parquet { path: PathBuf, source: PolarsError },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Name of the single data file of a partition.
pub const PART_FILE: &str = "part-0.parquet";

/// Folder of a table's partition for a comune.
pub fn partition_dir(store: &Path, table: &str, istat: &str) -> PathBuf {
    store.join("interop").join(table).join(format!("comune={istat}"))
}

/// Data file of a table's partition for a comune.
pub fn partition_file(store: &Path, table: &str, istat: &str) -> PathBuf {
    partition_dir(store, table, istat).join(PART_FILE)
}

/// The polars schema of an entity, derived from its definition.
pub fn polars_schema(entity: &Entity) -> Schema {
    entity
        .fields
        .iter()
        .map(|f| {
            let dtype = match f.ty {
                FieldType::String => DataType::String,
                FieldType::Date => DataType::Date,
                FieldType::Integer => DataType::Int32,
                FieldType::Number => DataType::Float64,
                FieldType::Boolean => DataType::Boolean,
            };
            Field::new(f.name.into(), dtype)
        })
        .collect()
}

/// A partition being written. Dropping it without [`commit`] removes the
/// temporary file and leaves the old partition untouched.
///
/// [`commit`]: PartitionWriter::commit
pub struct PartitionWriter {
    final_path: PathBuf,
    tmp_path: PathBuf,
    writer: Option<polars::io::parquet::write::BatchedWriter<File>>,
    schema: Schema,
    rows: u64,
    /// Rows not yet written: the file is cut into row groups of exactly
    /// [`ROW_GROUP_ROWS`], so its bytes do not depend on the batch size.
    pending: Option<DataFrame>,
}

/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// A finished, synced partition file not yet visible to readers; see
/// [`PartitionWriter::prepare`]. Dropping it removes the temporary file.
pub struct PreparedPartition {
    tmp_path: PathBuf,
    final_path: PathBuf,
    rows: u64,
    sha256: String,
    published: bool,
}

/// A committed partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedPartition {
    pub path: PathBuf,
    pub rows: u64,
    /// sha256 of the file.
    pub sha256: String,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl PartitionWriter {
    /// Starts writing the partition of `entity` for comune `istat`.
    pub fn create(store: &Path, entity: &Entity, istat: &str) -> Result<PartitionWriter, StoreError> {
        let dir = partition_dir(store, entity.name, istat);
        PartitionWriter::create_file(&dir.join(PART_FILE), polars_schema(entity), entity.personal())
    }

    /// Starts writing any Parquet file atomically: a hidden temporary file
    /// beside `path`, renamed over it by [`commit`](PartitionWriter::commit).
    /// `private` files (personal data) get owner-only permissions.
    pub fn create_file(path: &Path, schema: Schema, private: bool) -> Result<PartitionWriter, StoreError> {
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let final_path = path.to_path_buf();
        let tmp_path = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = create_file(&tmp_path, private).map_err(io(&tmp_path))?;
        // Another run in this process (the scheduler daemon) must not clean it up.
        metrodati_connectors::atomic::mark_in_flight(&tmp_path);
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .set_parallel(false)
            .batched(&schema)
            .map_err(|source| StoreError::Parquet {
                path: tmp_path.clone(),
                source,
            })?;
        Ok(PartitionWriter {
            final_path,
            tmp_path,
            writer: Some(writer),
            schema,
            rows: 0,
            pending: None,
        })
    }

    /// Appends a batch (its columns must follow the entity's schema).
    pub fn write(&mut self, df: &DataFrame) -> Result<(), StoreError> {
        if df.height() == 0 {
            return Ok(());
        }
        let err = |source| StoreError::Parquet {
            path: self.tmp_path.clone(),
            source,
        };
        let mut pending = match self.pending.take() {
            Some(mut p) => {
                p.vstack_mut(df).map_err(err)?;
                p
            }
            None => df.clone(),
        };
        self.rows += df.height() as u64;
        while pending.height() >= ROW_GROUP_ROWS {
            let group = pending.slice(0, ROW_GROUP_ROWS);
            pending = pending.slice(ROW_GROUP_ROWS as i64, usize::MAX);
            self.write_group(&group)?;
        }
        self.pending = Some(pending);
        Ok(())
    }

    fn write_group(&mut self, group: &DataFrame) -> Result<(), StoreError> {
        let mut group = group.clone();
        group.rechunk_mut();
        let writer = self.writer.as_mut().expect("writer present until prepared");
        writer.write_batch(&group).map_err(|source| StoreError::Parquet {
            path: self.tmp_path.clone(),
            source,
        })
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Finishes and syncs the temporary file and hashes it, without making
    /// it visible. Several partitions of a comune are prepared first and
    /// then published back to back, so a failure while writing any of them
    /// replaces none.
    pub fn prepare(mut self) -> Result<PreparedPartition, StoreError> {
        let rest = self.pending.take().filter(|p| p.height() > 0);
        if let Some(rest) = rest {
            self.write_group(&rest)?;
        } else if self.rows == 0 {
            // An empty partition still needs a valid file with the schema.
            let empty = DataFrame::empty_with_schema(&self.schema);
            self.write_group(&empty)?;
        }
        let writer = self.writer.take().expect("writer present until prepared");
        writer.finish().map_err(|source| StoreError::Parquet {
            path: self.tmp_path.clone(),
            source,
        })?;
        drop(writer);
        let f = File::open(&self.tmp_path).map_err(io(&self.tmp_path))?;
        f.sync_all().map_err(io(&self.tmp_path))?;
        let sha256 = file_sha256(&self.tmp_path)?;
        Ok(PreparedPartition {
            tmp_path: std::mem::take(&mut self.tmp_path),
            final_path: std::mem::take(&mut self.final_path),
            rows: self.rows,
            sha256,
            published: false,
        })
    }

    /// Finishes the file, syncs it and renames it over the partition.
    pub fn commit(self) -> Result<CommittedPartition, StoreError> {
        self.prepare()?.publish()
    }
}

impl PreparedPartition {
    /// Renames the file over the partition (atomic) and syncs the folder.
    pub fn publish(mut self) -> Result<CommittedPartition, StoreError> {
        std::fs::rename(&self.tmp_path, &self.final_path).map_err(io(&self.final_path))?;
        self.published = true;
        metrodati_connectors::atomic::release_in_flight(&self.tmp_path);
        if let Some(dir) = self.final_path.parent() {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(CommittedPartition {
            path: self.final_path.clone(),
            rows: self.rows,
            sha256: self.sha256.clone(),
        })
    }
}

impl Drop for PreparedPartition {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_file(&self.tmp_path);
            metrodati_connectors::atomic::release_in_flight(&self.tmp_path);
        }
    }
}

impl Drop for PartitionWriter {
    fn drop(&mut self) {
        // Not prepared (the path is taken by `prepare`): remove the temporary file.
        self.writer = None;
        if !self.tmp_path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp_path);
            metrodati_connectors::atomic::release_in_flight(&self.tmp_path);
        }
    }
}

fn create_file(path: &Path, private: bool) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    opts.open(path)
}

/// sha256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<String, StoreError> {
    let mut f = File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Reads a partition back (tests, checks, downstream pipelines).
pub fn read_partition(path: &Path) -> Result<DataFrame, StoreError> {
    read_partition_columns(path, None)
}

/// Reads only some columns of a partition (Parquet is columnar: the others
/// are not read at all).
pub fn read_partition_columns(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame, StoreError> {
    let f = File::open(path).map_err(io(path))?;
    ParquetReader::new(f)
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()))
        .finish()
        .map_err(|source| StoreError::Parquet {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_being_written_survives_a_stale_temp_cleanup_in_the_same_process() {
        let dir = tempfile::tempdir().unwrap();
        let entity = metrodati_interop::schema::entity("famiglia").unwrap();
        let w = PartitionWriter::create(dir.path(), entity, "015146").unwrap();
        let pdir = partition_dir(dir.path(), "famiglia", "015146");
        let temps = || std::fs::read_dir(&pdir).unwrap().count();
        assert_eq!(temps(), 1);
        // Another job of the same daemon starting now cleans stale temporary files.
        metrodati_connectors::atomic::remove_stale_temps(dir.path()).unwrap();
        assert_eq!(temps(), 1, "the in-flight partition was removed");
        let committed = w.commit().unwrap();
        assert!(committed.path.exists());
        assert_eq!(temps(), 1);
        // Abandoned writers remove their file.
        let w = PartitionWriter::create(dir.path(), entity, "015002").unwrap();
        drop(w);
        assert!(std::fs::read_dir(partition_dir(dir.path(), "famiglia", "015002"))
            .unwrap()
            .next()
            .is_none());
    }
}
