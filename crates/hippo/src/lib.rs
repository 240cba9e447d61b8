//! The `hippo` binary's library half: settings, assembly and the
//! subcommands, public so that integration tests drive exactly what the
//! binary runs.

pub mod app;
pub mod backup;
pub mod cli;
pub mod cluster;
pub mod media;
pub mod settings;
pub mod syslog;
pub mod witness;
