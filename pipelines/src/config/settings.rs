//! Where things live: the data folder, source definitions, catalog, store.
//!
//! Defaults put everything the demo writes under one data folder (`./data`)
//! so that a newcomer finds it in one place. An optional `metrodati.toml`
//! overrides them; relative paths in it are relative to the file's folder.

use super::ConfigError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Resolved settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Folder that relative paths are resolved against (the config file's
    /// folder, or the working directory).
    pub root: PathBuf,
    /// The data folder: sample exports, store, catalog, quarantine, reports.
    pub data_dir: PathBuf,
    /// Folder of the per-comune source definitions.
    pub sources_dir: PathBuf,
    /// The jobs file.
    pub jobs_file: PathBuf,
    /// SQLite catalog.
    pub catalog_path: PathBuf,
    /// Normalised store (`interop/<table>/comune=<istat>/`).
    pub store_dir: PathBuf,
    /// Quarantine of rejected rows, per run and source.
    pub quarantine_dir: PathBuf,
    /// ANPR archive of comuni (birthplace validity), when available.
    pub anpr_archive: Option<PathBuf>,
    /// The `[siuss]` section (paths resolved against `root`).
    pub siuss: crate::siuss::SiussSettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    data_dir: Option<PathBuf>,
    sources_dir: Option<PathBuf>,
    jobs_file: Option<PathBuf>,
    catalog: Option<PathBuf>,
    store: Option<PathBuf>,
    quarantine: Option<PathBuf>,
    anpr_archive: Option<PathBuf>,
    #[serde(default)]
    siuss: crate::siuss::SiussSettings,
}

/// Name of the optional settings file.
pub const SETTINGS_FILE: &str = "metrodati.toml";

impl Settings {
    /// Defaults relative to `root`, with everything under `root/data`.
    pub fn defaults(root: &Path) -> Settings {
        Settings::with_data_dir(root, root.join("data"))
    }

    fn with_data_dir(root: &Path, data_dir: PathBuf) -> Settings {
        Settings {
            root: root.to_path_buf(),
            sources_dir: root.join("comuni"),
            jobs_file: root.join("jobs.toml"),
            catalog_path: data_dir.join("catalog.sqlite"),
            store_dir: data_dir.join("store"),
            quarantine_dir: data_dir.join("quarantine"),
            data_dir,
            anpr_archive: None,
            siuss: Default::default(),
        }
    }

    /// Loads `config` if given (it must exist), else `./metrodati.toml` if it
    /// exists, else the defaults for the working directory. `data_dir`
    /// (from the command line or `METRODATI_DATA_DIR`) moves every
    /// data-folder default.
    pub fn load(config: Option<&Path>, data_dir: Option<&Path>) -> Result<Settings, ConfigError> {
        let cwd = std::env::current_dir().map_err(|e| ConfigError::file(Path::new("."), e.to_string()))?;
        let path = match config {
            Some(p) => Some(p.to_path_buf()),
            None => Some(cwd.join(SETTINGS_FILE)).filter(|p| p.exists()),
        };
        let (root, file) = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError::file(p, format!("cannot read settings: {e}")))?;
                let file: SettingsFile =
                    toml::from_str(&text).map_err(|e| ConfigError::from_toml(p, &text, &e))?;
                let root = p.parent().map(Path::to_path_buf).unwrap_or_else(|| cwd.clone());
                let root = if root.as_os_str().is_empty() {
                    cwd.clone()
                } else {
                    root
                };
                (root, file)
            }
            None => (cwd.clone(), SettingsFile::default()),
        };
        let abs = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                root.join(p)
            }
        };
        let data = match data_dir {
            Some(d) => {
                if d.is_absolute() {
                    d.to_path_buf()
                } else {
                    cwd.join(d)
                }
            }
            None => file
                .data_dir
                .as_deref()
                .map(abs)
                .unwrap_or_else(|| root.join("data")),
        };
        let mut s = Settings::with_data_dir(&root, data);
        if let Some(p) = &file.sources_dir {
            s.sources_dir = abs(p);
        }
        if let Some(p) = &file.jobs_file {
            s.jobs_file = abs(p);
        }
        if data_dir.is_none() {
            if let Some(p) = &file.catalog {
                s.catalog_path = abs(p);
            }
            if let Some(p) = &file.store {
                s.store_dir = abs(p);
            }
            if let Some(p) = &file.quarantine {
                s.quarantine_dir = abs(p);
            }
        }
        s.siuss = file.siuss.clone();
        s.siuss.sinba_secret_file = file.siuss.sinba_secret_file.as_deref().map(abs);
        s.siuss.output_dir = file.siuss.output_dir.as_deref().map(abs);
        s.anpr_archive = std::env::var_os("METRODATI_ANPR_ARCHIVE")
            .map(PathBuf::from)
            .or_else(|| file.anpr_archive.as_deref().map(abs));
        Ok(s)
    }

    /// Where the siuss pipeline writes flows and reports.
    pub fn siuss_output_dir(&self) -> PathBuf {
        self.siuss
            .output_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("siuss"))
    }

    /// The SINBA pseudonym secret file: the configured one (`true`), or
    /// `<data_dir>/secrets/sinba.key` (`false`), which `metrodati sample`
    /// creates for the demo.
    pub fn sinba_secret_path(&self) -> (PathBuf, bool) {
        match &self.siuss.sinba_secret_file {
            Some(p) => (p.clone(), true),
            None => (self.data_dir.join("secrets").join("sinba.key"), false),
        }
    }

    /// The ANPR archive path if configured and present.
    pub fn anpr_archive_present(&self) -> Option<&Path> {
        self.anpr_archive.as_deref().filter(|p| p.exists())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_put_everything_under_data() {
        let s = Settings::defaults(Path::new("/srv/m"));
        assert_eq!(s.data_dir, Path::new("/srv/m/data"));
        assert_eq!(s.catalog_path, Path::new("/srv/m/data/catalog.sqlite"));
        assert_eq!(s.store_dir, Path::new("/srv/m/data/store"));
        assert_eq!(s.sources_dir, Path::new("/srv/m/comuni"));
    }

    #[test]
    fn file_overrides_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("metrodati.toml");
        std::fs::write(&p, "data_dir = \"d\"\ncatalog = \"/var/lib/m/c.sqlite\"\n").unwrap();
        let s = Settings::load(Some(&p), None).unwrap();
        assert_eq!(s.data_dir, dir.path().join("d"));
        assert_eq!(s.store_dir, dir.path().join("d/store"));
        assert_eq!(s.catalog_path, Path::new("/var/lib/m/c.sqlite"));
    }

    #[test]
    fn unknown_keys_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("metrodati.toml");
        std::fs::write(&p, "data_dir = \"d\"\n\ncatalogo = \"x\"\n").unwrap();
        let e = Settings::load(Some(&p), None).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("catalogo"), "{e}");
    }
}
