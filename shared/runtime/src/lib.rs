//! What every storesync function needs at start, whatever triggers it: structured logs, and
//! configuration read from a lookup (the environment in Lambda, a map in tests) with errors
//! that name the variable to fix, and the AWS configuration.

pub mod aws;
pub mod config;
pub mod logging;

pub use config::ConfigError;
