//! The scheduled jobs' settings, read once at cold start.

use storesync_runtime::config::{from_env, required};

pub use storesync_runtime::ConfigError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table: String,
    /// The order-events queue the outbox sweep sends to.
    pub queue_url: String,
}

impl Config {
    /// Reads `STORESYNC_TABLE` and `STORESYNC_QUEUE_URL`, both required.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(from_env)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Config {
            table: required(&lookup, "STORESYNC_TABLE")?,
            queue_url: required(&lookup, "STORESYNC_QUEUE_URL")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_missing_or_empty_setting_is_named() {
        let err = Config::from_lookup(|_| None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable STORESYNC_TABLE is required"
        );
        let err = Config::from_lookup(|name| match name {
            "STORESYNC_TABLE" => Some("t".into()),
            _ => Some(String::new()),
        })
        .unwrap_err();
        assert!(err.to_string().contains("STORESYNC_QUEUE_URL"), "{err}");
        let config = Config::from_lookup(|name| Some(format!("{name}-value"))).unwrap();
        assert_eq!(config.queue_url, "STORESYNC_QUEUE_URL-value");
    }
}
