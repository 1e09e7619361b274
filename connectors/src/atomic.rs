//! Atomic writes: readers never see a half-written output.
//!
//! A local file is written to a hidden temp file in the same directory,
//! named `.<file name>.tmp-<pid>-<counter>` (hidden names are ignored by
//! Parquet/Hive readers and by [`crate::location::resolve`] wildcards), synced,
//! given its final permissions, renamed over the target, and the directory is
//! synced. A process killed midway leaves only a temp file, which
//! [`remove_stale_temps`] cleans up. Object-store puts are atomic by
//! themselves.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::ConnectorError;
use crate::location::{check_remote_url, local_target};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Temp files being written by this process right now.
static IN_FLIGHT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn in_flight() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    // A poisoned set is still a valid set.
    IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner())
}

/// Marks a temporary file that another writer of this process is filling
/// (e.g. a streamed Parquet partition) as in flight, so that
/// [`remove_stale_temps`] leaves it alone until [`release_in_flight`].
pub fn mark_in_flight(path: &Path) {
    in_flight().insert(path.to_path_buf());
}

/// Ends [`mark_in_flight`] for `path`.
pub fn release_in_flight(path: &Path) {
    in_flight().remove(path);
}

/// Writes `path` atomically: `write` fills a hidden temp file that then
/// replaces the target.
///
/// Parent directories are created. Permissions are `0600` when `private`
/// (personal data), `0644` otherwise (unix). On any error the temp file is
/// removed and the target is left as it was (absent or old).
pub fn write_atomic<F>(path: &Path, private: bool, write: F) -> Result<(), ConnectorError>
where
    F: FnOnce(&mut File) -> std::io::Result<()>,
{
    let Some(file_name) = path.file_name() else {
        return Err(ConnectorError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path has no file name"),
        ));
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| ConnectorError::io(&dir, e))?;

    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    in_flight().insert(tmp.clone());
    let result = write_and_rename(&tmp, path, private, write);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    in_flight().remove(&tmp);
    result.map_err(|e| ConnectorError::io(path, e))?;
    sync_dir(&dir);
    Ok(())
}

fn write_and_rename<F>(tmp: &Path, path: &Path, private: bool, write: F) -> std::io::Result<()>
where
    F: FnOnce(&mut File) -> std::io::Result<()>,
{
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    let mode = if private { 0o600 } else { 0o644 };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(tmp)?;
    #[cfg(unix)]
    {
        // The umask may have narrowed the mode given at creation.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    write(&mut file)?;
    file.flush()?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(tmp, path)
}

/// Makes a rename durable; a failure here is only logged, as the new file
/// is already in place.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot fsync directory after rename");
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// [`write_atomic`] with the whole content at hand.
pub fn write_atomic_bytes(path: &Path, private: bool, bytes: &[u8]) -> Result<(), ConnectorError> {
    write_atomic(path, private, |f| f.write_all(bytes))
}

/// Parses `.<name>.tmp-<pid>-<counter>`, returning the pid.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (stem, tail) = rest.rsplit_once(".tmp-")?;
    if stem.is_empty() {
        return None;
    }
    let (pid, counter) = tail.split_once('-')?;
    if counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether another live process may still be writing its temp file.
fn owned_by_live_process(pid: u32) -> bool {
    if pid == std::process::id() {
        // Our own in-flight temps are excluded by path; anything else with
        // our pid is from a previous process (e.g. pid 1 in a container).
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        Path::new("/proc").join(pid.to_string()).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Removes the temp files (`.<name>.tmp-<pid>-<n>`) left in `dir` and its
/// subdirectories by a killed process; returns how many were removed.
///
/// Temps being written by this process, or (on Linux) by another process
/// that is still running, are left alone. Symbolic links are not followed.
/// A missing `dir` is not an error.
pub fn remove_stale_temps(dir: &Path) -> Result<usize, ConnectorError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(ConnectorError::io(dir, e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| ConnectorError::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| ConnectorError::io(&path, e))?;
        if file_type.is_dir() {
            removed += remove_stale_temps(&path)?;
            continue;
        }
        if !file_type.is_file() {
            continue;
        }
        let Some(pid) = entry.file_name().to_str().and_then(temp_pid) else {
            continue;
        };
        if in_flight().contains(&path) || owned_by_live_process(pid) {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(ConnectorError::io(&path, e)),
        }
    }
    Ok(removed)
}

/// Writes `bytes` to a URL atomically.
///
/// Object-store URLs (`s3://`, `az://`, `gs://`, `http(s)://`, with their
/// cargo features) use a single `put`, which is atomic. Local paths and
/// `file://` URLs go through [`write_atomic_bytes`] with public (`0644`)
/// permissions; use [`write_atomic_bytes`] directly for private data.
pub fn put_atomic(url: &str, bytes: bytes::Bytes) -> Result<(), ConnectorError> {
    if let Some(path) = local_target(url)? {
        return write_atomic_bytes(&path, false, &bytes);
    }
    let parsed = check_remote_url(url)?;
    #[cfg(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http"))]
    {
        use object_store::ObjectStoreExt;
        let (store, location) = crate::location::remote_store(&parsed, url)?;
        crate::runtime::block_on(url, || async { store.put(&location, bytes.into()).await })?.map_err(
            |source| ConnectorError::ObjectStore {
                url: url.to_string(),
                source,
            },
        )?;
        Ok(())
    }
    #[cfg(not(any(feature = "s3", feature = "azure", feature = "gcs", feature = "http")))]
    {
        let _ = (parsed, bytes);
        Err(ConnectorError::InvalidPattern {
            pattern: url.to_string(),
            message: "no remote object store is compiled in".to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names() {
        assert_eq!(temp_pid(".x.parquet.tmp-123-4"), Some(123));
        assert_eq!(temp_pid(".a.b.tmp-1-0"), Some(1));
        assert_eq!(temp_pid("x.parquet.tmp-123-4"), None);
        assert_eq!(temp_pid(".x.tmp-123"), None);
        assert_eq!(temp_pid(".x.tmp-abc-1"), None);
        assert_eq!(temp_pid(".x.tmp-1-"), None);
        assert_eq!(temp_pid("..tmp-1-2"), None);
        assert_eq!(temp_pid(".hidden"), None);
    }

    #[test]
    fn no_file_name_is_an_error() {
        assert!(write_atomic_bytes(Path::new("/"), false, b"x").is_err());
    }

    #[test]
    fn in_flight_temps_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        write_atomic(&target, false, |f| {
            // While writing, the cleaner must not touch our temp file.
            assert_eq!(remove_stale_temps(dir.path()).unwrap(), 0);
            f.write_all(b"ok")
        })
        .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"ok");
    }

    #[test]
    fn put_atomic_local_and_missing_feature() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b.json");
        put_atomic(p.to_str().unwrap(), bytes::Bytes::from_static(b"{}")).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}");
        let url = format!("file://{}", dir.path().join("c.json").display());
        put_atomic(&url, bytes::Bytes::from_static(b"[]")).unwrap();
        assert_eq!(std::fs::read(dir.path().join("c.json")).unwrap(), b"[]");
        #[cfg(not(feature = "s3"))]
        assert!(matches!(
            put_atomic("s3://bucket/x.json", bytes::Bytes::new()),
            Err(ConnectorError::FeatureNotEnabled { feature: "s3", .. })
        ));
    }
}
