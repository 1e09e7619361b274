//! Per-comune state of the anagrafe pipeline — where each codice fiscale was
//! first seen (duplicates) and the family aggregates — kept in memory up to a
//! limit and spilled to a private temporary SQLite file beyond it, so that
//! peak memory does not grow with the size of the largest comune.

use crate::store::FamilyAggregate;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{BTreeMap, HashMap};

/// Where a codice fiscale was first seen: the file as an index, the line
/// (clamped to u32 for reports), and a hash of the accepted record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub file: u32,
    pub line: u32,
    pub hash: u64,
}

/// Entries kept in memory before spilling (per structure). About 50 bytes
/// per duplicate entry and 100 per family.
pub const DEFAULT_IN_MEMORY_LIMIT: usize = 2_000_000;

/// A private scratch database (owner-only temporary file, removed on drop).
struct Scratch {
    conn: Connection,
    _file: tempfile::NamedTempFile,
}

impl Scratch {
    fn new(ddl: &str) -> Result<Scratch, String> {
        let file = tempfile::Builder::new()
            .prefix(".metrodati-state-")
            .suffix(".sqlite")
            .tempfile()
            .map_err(|e| format!("cannot create the spill file: {e}"))?;
        let conn = Connection::open(file.path()).map_err(|e| format!("spill file: {e}"))?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -32768; \
             PRAGMA temp_store = FILE; {ddl}; BEGIN;"
        ))
        .map_err(|e| format!("spill file: {e}"))?;
        Ok(Scratch { conn, _file: file })
    }
}

fn sql(e: rusqlite::Error) -> String {
    format!("spill file: {e}")
}

/// First occurrences of codici fiscali.
pub(crate) struct DupIndex {
    mem: HashMap<[u8; 16], Seen>,
    disk: Option<Scratch>,
    limit: usize,
}

impl DupIndex {
    pub fn new(limit: usize) -> DupIndex {
        DupIndex {
            mem: HashMap::new(),
            disk: None,
            limit: limit.max(1),
        }
    }

    pub fn get(&self, key: &[u8; 16]) -> Result<Option<Seen>, String> {
        match &self.disk {
            None => Ok(self.mem.get(key).copied()),
            Some(d) => d
                .conn
                .prepare_cached("SELECT file, line, hash FROM seen WHERE cf = ?1")
                .map_err(sql)?
                .query_row(params![&key[..]], |r| {
                    Ok(Seen {
                        file: r.get(0)?,
                        line: r.get(1)?,
                        hash: r.get::<_, i64>(2)? as u64,
                    })
                })
                .optional()
                .map_err(sql),
        }
    }

    pub fn insert(&mut self, key: [u8; 16], seen: Seen) -> Result<(), String> {
        if self.disk.is_none() && self.mem.len() >= self.limit {
            let d = Scratch::new(
                "CREATE TABLE seen (cf BLOB PRIMARY KEY, file INTEGER, line INTEGER, hash INTEGER) WITHOUT ROWID",
            )?;
            for (k, s) in self.mem.drain() {
                Self::put(&d, &k, s)?;
            }
            self.mem = HashMap::new();
            self.disk = Some(d);
        }
        match &self.disk {
            None => {
                self.mem.insert(key, seen);
                Ok(())
            }
            Some(d) => Self::put(d, &key, seen),
        }
    }

    fn put(d: &Scratch, key: &[u8; 16], s: Seen) -> Result<(), String> {
        d.conn
            .prepare_cached("INSERT OR REPLACE INTO seen (cf, file, line, hash) VALUES (?1, ?2, ?3, ?4)")
            .map_err(sql)?
            .execute(params![&key[..], s.file, s.line, s.hash as i64])
            .map_err(sql)?;
        Ok(())
    }

    /// Whether the index spilled to disk.
    #[cfg(test)]
    pub fn spilled(&self) -> bool {
        self.disk.is_some()
    }
}

/// Family aggregates by family code, iterated in code order.
pub(crate) struct Families {
    mem: BTreeMap<String, FamilyAggregate>,
    disk: Option<Scratch>,
    limit: usize,
}

impl Families {
    pub fn new(limit: usize) -> Families {
        Families {
            mem: BTreeMap::new(),
            disk: None,
            limit: limit.max(1),
        }
    }

    /// Counts a member; `holder` is the member's codice fiscale when it is
    /// an intestatario (relation 1).
    pub fn add(&mut self, code: &str, holder: Option<[u8; 16]>) -> Result<(), String> {
        if self.disk.is_none() && self.mem.len() >= self.limit && !self.mem.contains_key(code) {
            let d = Scratch::new(
                "CREATE TABLE fam (code TEXT PRIMARY KEY, components INTEGER, holders INTEGER, first_holder BLOB) \
                 WITHOUT ROWID",
            )?;
            for (c, a) in std::mem::take(&mut self.mem) {
                d.conn
                    .prepare_cached(
                        "INSERT INTO fam (code, components, holders, first_holder) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .map_err(sql)?
                    .execute(params![
                        c,
                        a.components,
                        a.holders,
                        a.first_holder.as_ref().map(|h| &h[..])
                    ])
                    .map_err(sql)?;
            }
            self.disk = Some(d);
        }
        match &self.disk {
            None => {
                let fam = self.mem.entry(code.to_string()).or_default();
                fam.components += 1;
                if let Some(h) = holder {
                    fam.holders += 1;
                    if fam.first_holder.is_none() {
                        fam.first_holder = Some(h);
                    }
                }
                Ok(())
            }
            Some(d) => {
                d.conn
                    .prepare_cached(
                        "INSERT INTO fam (code, components, holders, first_holder) VALUES (?1, 1, ?2, ?3) \
                         ON CONFLICT (code) DO UPDATE SET components = components + 1, \
                         holders = holders + excluded.holders, \
                         first_holder = COALESCE(first_holder, excluded.first_holder)",
                    )
                    .map_err(sql)?
                    .execute(params![
                        code,
                        u32::from(holder.is_some()),
                        holder.as_ref().map(|h| &h[..])
                    ])
                    .map_err(sql)?;
                Ok(())
            }
        }
    }

    /// Families without an intestatario and with more than one.
    pub fn holder_anomalies(&self) -> Result<(u64, u64), String> {
        match &self.disk {
            None => Ok((
                self.mem.values().filter(|f| f.holders == 0).count() as u64,
                self.mem.values().filter(|f| f.holders > 1).count() as u64,
            )),
            Some(d) => d
                .conn
                .query_row(
                    "SELECT COALESCE(SUM(holders = 0), 0), COALESCE(SUM(holders > 1), 0) FROM fam",
                    [],
                    |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
                )
                .map_err(sql),
        }
    }

    /// Calls `f` with chunks of at most `chunk` families, in code order.
    pub fn for_each_chunk(
        &self,
        chunk: usize,
        mut f: impl FnMut(&BTreeMap<String, FamilyAggregate>) -> Result<(), String>,
    ) -> Result<(), String> {
        match &self.disk {
            None => f(&self.mem),
            Some(d) => {
                let mut stmt = d
                    .conn
                    .prepare("SELECT code, components, holders, first_holder FROM fam ORDER BY code")
                    .map_err(sql)?;
                let mut rows = stmt.query([]).map_err(sql)?;
                let mut buf = BTreeMap::new();
                while let Some(r) = rows.next().map_err(sql)? {
                    let holder: Option<Vec<u8>> = r.get(3).map_err(sql)?;
                    let first_holder = holder.and_then(|h| <[u8; 16]>::try_from(h.as_slice()).ok());
                    buf.insert(
                        r.get::<_, String>(0).map_err(sql)?,
                        FamilyAggregate {
                            components: r.get(1).map_err(sql)?,
                            holders: r.get(2).map_err(sql)?,
                            first_holder,
                        },
                    );
                    if buf.len() >= chunk {
                        f(&buf)?;
                        buf.clear();
                    }
                }
                if !buf.is_empty() {
                    f(&buf)?;
                }
                Ok(())
            }
        }
    }

    /// Whether the families spilled to disk.
    #[cfg(test)]
    pub fn spilled(&self) -> bool {
        self.disk.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> [u8; 16] {
        let mut k = *b"RSSMRC80A01F2050";
        k[12..16].copy_from_slice(format!("{:04}", i % 10_000).as_bytes());
        k[0] = b'A' + (i / 10_000) as u8;
        k
    }

    #[test]
    fn duplicate_index_answers_the_same_in_memory_and_spilled() {
        let mut small = DupIndex::new(10);
        let mut big = DupIndex::new(1_000_000);
        for i in 0..500u32 {
            let s = Seen {
                file: i % 3,
                line: i + 2,
                hash: u64::from(i) * 7,
            };
            small.insert(key(i), s).unwrap();
            big.insert(key(i), s).unwrap();
        }
        assert!(small.spilled() && !big.spilled());
        for i in 0..600u32 {
            assert_eq!(small.get(&key(i)).unwrap(), big.get(&key(i)).unwrap(), "{i}");
        }
        assert_eq!(small.get(&key(7)).unwrap().map(|s| s.line), Some(9));
        assert_eq!(small.get(&key(550)).unwrap(), None);
    }

    #[test]
    fn families_aggregate_the_same_in_memory_and_spilled() {
        let mut small = Families::new(5);
        let mut big = Families::new(1_000_000);
        for i in 0..300u32 {
            let code = format!("F{:05}", (i * 37) % 101);
            let holder = (i % 4 == 0).then(|| key(i));
            small.add(&code, holder).unwrap();
            big.add(&code, holder).unwrap();
        }
        assert!(small.spilled() && !big.spilled());
        assert_eq!(small.holder_anomalies().unwrap(), big.holder_anomalies().unwrap());
        let collect = |f: &Families| {
            let mut all = Vec::new();
            f.for_each_chunk(7, |c| {
                all.extend(c.iter().map(|(k, v)| (k.clone(), v.clone())));
                Ok(())
            })
            .unwrap();
            all
        };
        let (a, b) = (collect(&small), collect(&big));
        assert_eq!(a.len(), 101);
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].0 < w[1].0), "code order");
    }
}
