//! Configuration files: settings, source definitions (`comuni/*.toml`) and
//! `jobs.toml`. Every error points at the file, line and key.

mod error;
pub mod jobs;
pub mod settings;
pub mod source;

pub use error::{ConfigError, ConfigErrors};
pub use jobs::{ComuniSelector, JobSpec, JobsFile};
pub use settings::Settings;
pub use source::{ColumnMapping, SocialeSourceSpec, Source, SourceDefinition, SourceSpec};
