//! Configuration files: settings, source definitions (`comuni/*.toml`) and
//! `jobs.toml`. Every error points at the file, line and key.

pub mod jobs;
pub mod settings;
pub mod source;

pub use jobs::{ComuniSelector, JobSpec, JobsFile};
pub use metrodati_config_error::{line_of, ConfigError, ConfigErrors};
pub use settings::Settings;
pub use source::{ColumnMapping, SocialeSourceSpec, Source, SourceDefinition, SourceSpec};
