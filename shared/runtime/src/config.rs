//! Why a function could not start: a setting is missing or invalid. Named, so the cold-start
//! log says which variable to fix.

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {message}")]
    Invalid { name: &'static str, message: String },
}

/// A variable that must be set, from `lookup`.
pub fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    lookup(name)
        .filter(|value| !value.is_empty())
        .ok_or(ConfigError::Missing(name))
}

/// A variable that may be set; empty counts as unset.
pub fn optional(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name).filter(|value| !value.is_empty())
}

/// Reads the process environment, for [`required`] and [`optional`].
pub fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A lookup over fixed name/value pairs: what `from_lookup` reads in tests.
pub fn pairs<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}
