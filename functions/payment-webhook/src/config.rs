//! The webhook function's settings, read once at cold start.

use crate::stripe::DEFAULT_TOLERANCE_SECS;

pub use storesync_web::config::ConfigError;

/// Where the Stripe endpoint secrets come from: an SSM SecureString parameter in AWS, the
/// environment locally. Several comma-separated secrets are all accepted (rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Parameter(String),
    Inline(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    pub queue_url: Option<String>,
    pub secrets: SecretSource,
    pub tolerance_secs: i64,
}

pub fn split_secrets(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table = get("STORESYNC_TABLE").ok_or(ConfigError::Missing("STORESYNC_TABLE"))?;
        let secrets = match (
            get("STRIPE_WEBHOOK_SECRETS_PARAMETER"),
            get("STRIPE_WEBHOOK_SECRETS"),
        ) {
            (Some(name), _) => SecretSource::Parameter(name),
            (None, Some(raw)) => match split_secrets(&raw) {
                secrets if secrets.is_empty() => {
                    return Err(ConfigError::Invalid {
                        name: "STRIPE_WEBHOOK_SECRETS",
                        message: "holds no secret".into(),
                    });
                }
                secrets => SecretSource::Inline(secrets),
            },
            (None, None) => return Err(ConfigError::Missing("STRIPE_WEBHOOK_SECRETS_PARAMETER")),
        };
        let tolerance_secs = match get("STRIPE_WEBHOOK_TOLERANCE_SECS") {
            None => DEFAULT_TOLERANCE_SECS,
            Some(v) => v
                .parse()
                .ok()
                .filter(|t: &i64| *t > 0)
                .ok_or(ConfigError::Invalid {
                    name: "STRIPE_WEBHOOK_TOLERANCE_SECS",
                    message: format!("{v:?} is not a positive number of seconds"),
                })?,
        };
        Ok(Config {
            table,
            queue_url: get("STORESYNC_QUEUE_URL"),
            secrets,
            tolerance_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_secret_parameter_wins_over_inline_secrets() {
        let c = Config::from_lookup(env(&[
            ("STORESYNC_TABLE", "t"),
            ("STRIPE_WEBHOOK_SECRETS_PARAMETER", "/storesync/stripe"),
            ("STRIPE_WEBHOOK_SECRETS", "whsec_a"),
        ]))
        .unwrap();
        assert_eq!(
            c.secrets,
            SecretSource::Parameter("/storesync/stripe".into())
        );
        assert_eq!(c.tolerance_secs, 300);
    }

    #[test]
    fn inline_secrets_split_on_commas() {
        let c = Config::from_lookup(env(&[
            ("STORESYNC_TABLE", "t"),
            ("STRIPE_WEBHOOK_SECRETS", "whsec_a, whsec_b,"),
        ]))
        .unwrap();
        assert_eq!(
            c.secrets,
            SecretSource::Inline(vec!["whsec_a".into(), "whsec_b".into()])
        );
    }

    #[test]
    fn missing_secrets_or_a_bad_tolerance_fail_at_start() {
        assert!(Config::from_lookup(env(&[("STORESYNC_TABLE", "t")])).is_err());
        let err = Config::from_lookup(env(&[
            ("STORESYNC_TABLE", "t"),
            ("STRIPE_WEBHOOK_SECRETS", "x"),
            ("STRIPE_WEBHOOK_TOLERANCE_SECS", "-1"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("STRIPE_WEBHOOK_TOLERANCE_SECS"));
    }
}
