//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The project's `shared/` directory: `$METRODATI_SHARED`, or `shared/` next
/// to the workspace root. CI always has it, so tests that need it fail
/// (they do not skip) when it is missing.
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("METRODATI_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    assert!(
        dir.join("refdata").is_dir(),
        "shared reference directory not found at {} (set METRODATI_SHARED)",
        dir.display()
    );
    dir
}

/// Path of a file in `shared/refdata/`, which must exist.
pub fn refdata_file(name: &str) -> PathBuf {
    let p = shared_dir().join("refdata").join(name);
    assert!(p.is_file(), "reference file missing: {}", p.display());
    p
}
