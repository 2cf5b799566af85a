//! Why a function could not start: a setting is missing or invalid. Named, so the cold-start
//! log says which variable to fix.

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {message}")]
    Invalid { name: &'static str, message: String },
}
