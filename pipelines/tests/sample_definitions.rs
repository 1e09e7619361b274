//! The 133 source definitions: rendered ones parse, and the committed
//! `comuni/*.toml` files are exactly the rendered ones.

use metrodati_interop::refdata;
use metrodati_pipelines::config::SourceDefinition;
use metrodati_pipelines::sample::{render_definition, write_definitions};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn comuni_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("comuni")
}

#[test]
fn sample_every_rendered_definition_parses() {
    assert_eq!(refdata::comuni_cm().len(), 133);
    let mut formats = BTreeSet::new();
    let mut gestionali = BTreeSet::new();
    for c in refdata::comuni_cm() {
        let text = render_definition(c);
        let path = PathBuf::from(format!("comuni/{}.toml", c.codice_istat));
        let def = SourceDefinition::parse(&path, &text).unwrap_or_else(|errors| {
            let msgs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!("{}:\n{}\n{text}", c.codice_istat, msgs.join("\n"))
        });
        assert_eq!(def.istat(), c.codice_istat);
        assert!(
            text.starts_with(&format!("# {} (ISTAT {}", c.denominazione, c.codice_istat)),
            "{text}"
        );
        assert!(
            text.lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("# Gestionale: ")),
            "{text}"
        );
        gestionali.insert(def.gestionale.clone().unwrap());
        for s in &def.anagrafe {
            formats.insert(s.read.format.to_string());
            assert!(
                s.url.starts_with(&format!("sample/anagrafe/{}/", c.codice_istat)),
                "{}",
                s.url
            );
            assert!(s.url.contains('*'), "{}", s.url);
        }
    }
    assert_eq!(
        formats.into_iter().collect::<Vec<_>>(),
        ["csv", "ods", "parquet", "xlsx"]
    );
    assert_eq!(gestionali.len(), 5, "{gestionali:?}");

    let milano = SourceDefinition::parse(
        Path::new("comuni/015146.toml"),
        &render_definition(refdata::comune_by_istat("015146").unwrap()),
    )
    .unwrap();
    assert_eq!(milano.anagrafe.len(), 2);
    assert!(milano.note.as_deref().unwrap_or_default().contains("Parquet"));
}

#[test]
fn sample_write_definitions_writes_133_files() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(write_definitions(dir.path()).unwrap(), 133);
    let (defs, errors) = SourceDefinition::load_dir(dir.path());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(defs.len(), 133);
}

/// Set `METRODATI_BLESS_COMUNI=1` to rewrite `comuni/` from the renderer.
#[test]
fn sample_committed_definitions_are_in_sync() {
    let dir = comuni_dir();
    if std::env::var_os("METRODATI_BLESS_COMUNI").is_some() {
        write_definitions(&dir).unwrap();
    }
    let how = "regenerate with `cargo run -- sample --write-definitions` (or \
               METRODATI_BLESS_COMUNI=1 cargo test -p metrodati-pipelines --test sample_definitions), \
               or update sample::render_definition if the edit was intended";
    let mut expected = BTreeSet::new();
    for c in refdata::comuni_cm() {
        let name = format!("{}.toml", c.codice_istat);
        let path = dir.join(&name);
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("comuni/{name} cannot be read ({e}): {how}"));
        assert!(
            committed == render_definition(c),
            "comuni/{name} differs from the rendered definition: {how}"
        );
        expected.insert(name);
    }
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    assert_eq!(
        present, expected,
        "comuni/ holds files that are not one of the 133 comuni"
    );
    let (defs, errors) = SourceDefinition::load_dir(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(defs.len(), 133);
}
