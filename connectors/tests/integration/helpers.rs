use std::path::{Path, PathBuf};

use metrodati_connectors::{open_reader, FormatSpec, RawRow, RejectedRow, RowItem, RowReader, SourceObject};

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    p
}

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub fn values(v: &[Option<&str>]) -> Vec<Option<String>> {
    v.iter().map(|s| s.map(str::to_string)).collect()
}

/// Drains a reader, splitting rows and rejections; panics on a fatal error.
pub fn drain(reader: Box<dyn RowReader>) -> (Vec<RawRow>, Vec<RejectedRow>) {
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for item in reader {
        match item.expect("no fatal error while iterating") {
            RowItem::Row(r) => rows.push(r),
            RowItem::Rejected(r) => rejected.push(r),
        }
    }
    (rows, rejected)
}

/// Opens `path` with `spec` and the expected columns.
pub fn open(
    spec: &FormatSpec,
    path: &Path,
    expected: &[&str],
) -> Result<Box<dyn RowReader>, metrodati_connectors::ConnectorError> {
    let obj = SourceObject::from_local_path(path).unwrap();
    open_reader(spec, &obj, &strings(expected))
}

/// Deterministic pseudo-random bytes (no RNG dependency).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
