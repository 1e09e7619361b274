use std::io::Write;
use std::path::Path;

use metrodati_connectors::atomic::{remove_stale_temps, write_atomic, write_atomic_bytes};

use crate::helpers::write;

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn writes_create_parents_and_leave_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out/anno=2024/comuni.parquet");
    write_atomic_bytes(&target, false, b"v1").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"v1");
    write_atomic(&target, false, |f| {
        f.write_all(b"v")?;
        f.write_all(b"2")
    })
    .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"v2");
    assert_eq!(dir_names(target.parent().unwrap()), vec!["comuni.parquet"]);
}

#[cfg(unix)]
#[test]
fn permissions_private_and_public() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("residenti.parquet");
    let public = dir.path().join("open.csv");
    write_atomic_bytes(&private, true, b"cf").unwrap();
    write_atomic_bytes(&public, false, b"x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&private), 0o600);
    assert_eq!(mode(&public), 0o644);
    // rewriting a public file as private narrows it
    write_atomic_bytes(&public, true, b"y").unwrap();
    assert_eq!(mode(&public), 0o600);
}

#[test]
fn a_failed_write_leaves_the_target_untouched_and_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");

    // absent stays absent
    let err = write_atomic(&target, false, |f| {
        f.write_all(b"half")?;
        Err(std::io::Error::other("disk full"))
    })
    .unwrap_err();
    assert!(err.to_string().contains("report.json"), "{err}");
    assert!(err.to_string().contains("disk full"), "{err}");
    assert!(!target.exists());
    assert!(dir_names(dir.path()).is_empty());

    // old stays old
    write_atomic_bytes(&target, false, b"old").unwrap();
    let _ = write_atomic(&target, false, |f| {
        f.write_all(b"new but broken")?;
        Err(std::io::Error::other("killed"))
    });
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(dir_names(dir.path()), vec!["report.json"]);
}

#[test]
fn readers_see_either_the_old_or_the_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.bin");
    let size = 256 * 1024;
    write_atomic_bytes(&target, false, &vec![b'a'; size]).unwrap();

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let target = target.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut checks = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let data = std::fs::read(&target).expect("the target is always there");
                assert_eq!(data.len(), size, "never a partial file");
                let first = data[0];
                assert!(data.iter().all(|&b| b == first), "never a mix");
                checks += 1;
            }
            checks
        })
    };
    for i in 0..40 {
        let byte = if i % 2 == 0 { b'b' } else { b'a' };
        write_atomic(&target, false, |f| {
            // write in pieces to widen the window a reader could hit
            for chunk in vec![byte; size].chunks(4096) {
                f.write_all(chunk)?;
            }
            Ok(())
        })
        .unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}

#[test]
fn stale_temps_are_removed_recursively() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // pids above the Linux maximum (4194304) cannot be alive
    write(root, ".a.parquet.tmp-99999999-0", b"x");
    write(root, "p/anno=2024/.part-0.parquet.tmp-99999998-12", b"x");
    // our own pid, but not in flight: a leftover of an earlier process
    write(root, &format!("p/.b.csv.tmp-{}-999999", std::process::id()), b"x");
    // kept: real files, hidden non-temps, look-alikes
    write(root, "a.parquet", b"x");
    write(root, ".hidden", b"x");
    write(root, "p/x.tmp-1-2", b"x");
    write(root, "p/.c.tmp-1-z", b"x");
    #[cfg(target_os = "linux")]
    write(root, "p/.live.csv.tmp-1-0", b"x"); // pid 1 is alive

    assert_eq!(remove_stale_temps(root).unwrap(), 3);
    assert_eq!(dir_names(root), vec![".hidden", "a.parquet", "p"]);
    let mut kept = dir_names(&root.join("p"));
    kept.retain(|n| n != "anno=2024");
    #[cfg(target_os = "linux")]
    assert_eq!(kept, vec![".c.tmp-1-z", ".live.csv.tmp-1-0", "x.tmp-1-2"]);
    assert!(dir_names(&root.join("p/anno=2024")).is_empty());
    assert_eq!(remove_stale_temps(root).unwrap(), 0);
    assert_eq!(remove_stale_temps(&root.join("missing")).unwrap(), 0);
}
