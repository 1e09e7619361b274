use std::path::Path;

use metrodati_connectors::{resolve, SourceObject};
use sha2::{Digest, Sha256};

use crate::helpers::write;

fn names(objs: &[SourceObject], root: &Path) -> Vec<String> {
    objs.iter()
        .map(|o| {
            Path::new(o.url())
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (name, content) in [
        ("a.csv", "aaa"),
        ("b.CSV", "b"),
        ("Città Metropolitana.csv", "cm"),
        ("sub/c.csv", "c"),
        ("sub/deep/d.csv", "dd"),
        ("sub/e.txt", "e"),
        ("sub/d1.csv", "d1"),
        (".hidden.csv", "h"),
        ("sub/.out.parquet.tmp-1-1", "t"),
        (".git/x.csv", "g"),
    ] {
        write(root, name, content.as_bytes());
    }
    dir
}

#[test]
fn globs_are_sorted_and_skip_hidden_files() {
    let dir = tree();
    let root = std::fs::canonicalize(dir.path()).unwrap();

    let got = resolve("*.csv", &root).unwrap();
    assert_eq!(names(&got, &root), vec!["Città Metropolitana.csv", "a.csv"]);
    let a = &got[1];
    assert_eq!(a.size(), 3);
    assert_eq!(a.file_name(), "a.csv");
    assert_eq!(a.extension().as_deref(), Some("csv"));
    assert_eq!(a.local_path(), Some(root.join("a.csv").as_path()));
    assert_eq!(a.url(), root.join("a.csv").to_str().unwrap());

    let got = resolve("**/*.csv", &root).unwrap();
    assert_eq!(
        names(&got, &root),
        vec![
            "Città Metropolitana.csv",
            "a.csv",
            "sub/c.csv",
            "sub/d1.csv",
            "sub/deep/d.csv"
        ]
    );

    let got = resolve("*.[cC][sS][vV]", &root).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(
        names(&resolve("sub/?.csv", &root).unwrap(), &root),
        vec!["sub/c.csv"]
    );
    assert_eq!(
        names(&resolve("sub/*/d.csv", &root).unwrap(), &root),
        vec!["sub/deep/d.csv"]
    );
    assert_eq!(
        names(&resolve("sub/**/d*.csv", &root).unwrap(), &root),
        vec!["sub/d1.csv", "sub/deep/d.csv"]
    );
    assert!(resolve("*.xlsx", &root).unwrap().is_empty());
}

#[test]
fn absolute_relative_file_urls_and_directories() {
    let dir = tree();
    let root = std::fs::canonicalize(dir.path()).unwrap();

    let abs = format!("{}/sub/*.csv", root.display());
    let rel = resolve("sub/*.csv", &root).unwrap();
    let from_abs = resolve(&abs, Path::new("/nonexistent")).unwrap();
    let from_url = resolve(&format!("file://{abs}"), Path::new("/")).unwrap();
    let up = resolve("../sub/*.csv", &root.join("sub")).unwrap();
    let want = vec!["sub/c.csv", "sub/d1.csv"];
    for got in [&rel, &from_abs, &from_url, &up] {
        assert_eq!(names(got, &root), want);
    }

    let enc = format!("file://{}/Citt%C3%A0%20Metropolitana.csv", root.display());
    assert_eq!(resolve(&enc, &root).unwrap().len(), 1);

    // a literal file, a missing file, a directory
    let one = resolve("sub/deep/d.csv", &root).unwrap();
    assert_eq!(names(&one, &root), vec!["sub/deep/d.csv"]);
    assert_eq!(one[0].size(), 2);
    assert!(resolve("sub/none.csv", &root).unwrap().is_empty());
    assert_eq!(
        names(&resolve("sub", &root).unwrap(), &root),
        vec!["sub/c.csv", "sub/d1.csv", "sub/deep/d.csv", "sub/e.txt"]
    );
}

#[test]
fn fingerprints_are_stable_and_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let a = write(dir.path(), "a.bin", &big);
    let b = write(dir.path(), "b.bin", &big);
    let oa = SourceObject::from_local_path(&a).unwrap();
    let ob = SourceObject::from_local_path(&b).unwrap();
    let fa = oa.fingerprint().unwrap();
    assert_eq!(fa, oa.fingerprint().unwrap());
    assert_eq!(fa, ob.fingerprint().unwrap());
    assert_eq!(fa, hex::encode(Sha256::digest(&big)));
    assert_eq!(fa.len(), 64);

    let mut changed = big.clone();
    changed[299_999] ^= 1;
    std::fs::write(&b, &changed).unwrap();
    assert_ne!(fa, ob.fingerprint().unwrap());

    let e = write(dir.path(), "empty", b"");
    assert_eq!(
        SourceObject::from_local_path(&e).unwrap().fingerprint().unwrap(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    std::fs::remove_file(&a).unwrap();
    assert!(oa.fingerprint().is_err());
    assert!(oa.open().is_err());
}
