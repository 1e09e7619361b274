//! metrodati-pipelines: configuration, the pipelines that normalise comuni
//! exports into the interoperability schema, the store and the quarantine.

pub mod anagrafe;
pub mod config;
pub mod mapping;
pub mod pipeline;
pub mod progress;
pub mod quarantine;
pub mod runner;
pub mod sample;
pub mod schedule;
pub mod siuss;
pub mod sociale;
pub mod store;
