//! The consumer's settings, read once at cold start.

use std::collections::HashMap;

use storesync_core::sync::settings::SyncSettings;
use storesync_runtime::config::{from_env, optional, required};
use storesync_salesforce::SalesforceConfig;
use storesync_ses::SesSettings;

pub use storesync_runtime::ConfigError;

/// Where the Salesforce credentials come from: a Secrets Manager secret in AWS (a JSON
/// object with the `SF_*` names as keys), the environment locally.
#[derive(Debug, Clone)]
pub enum Credentials {
    Secret(String),
    Environment(Box<SalesforceConfig>),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// The queue's `maxReceiveCount`: the delivery that reaches it is the last one, and a
    /// retryable failure then shows as failed (the message moves to the dead-letter queue).
    pub max_receives: u32,
    pub credentials: Credentials,
    /// The sync settings until an operator saves their own.
    pub sync_defaults: SyncSettings,
    /// Customers' mails through SES; none without `STORESYNC_MAIL_FROM`.
    pub mail: Option<SesSettings>,
}

/// Why the credentials could not be had at start.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("the Salesforce credentials secret could not be read")]
    Secret(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the Salesforce credentials secret is not a JSON object of strings")]
    Malformed(#[source] serde_json::Error),
    #[error(transparent)]
    Config(#[from] storesync_salesforce::ConfigError),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(from_env)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table = required(&lookup, "STORESYNC_TABLE")?;
        let max_receives =
            match optional(&lookup, "ORDER_EVENTS_MAX_RECEIVES") {
                None => 5,
                Some(raw) => raw.parse().ok().filter(|n| (1..=1000).contains(n)).ok_or(
                    ConfigError::Invalid {
                        name: "ORDER_EVENTS_MAX_RECEIVES",
                        message: format!("{raw:?} is not a number from 1 to 1000"),
                    },
                )?,
            };
        let credentials = match optional(&lookup, "SF_CREDENTIALS_SECRET") {
            Some(secret) => Credentials::Secret(secret),
            None => Credentials::Environment(Box::new(
                SalesforceConfig::from_lookup(&lookup).map_err(|e| ConfigError::Invalid {
                    name: "SF_CREDENTIALS_SECRET",
                    message: format!("unset, and the SF_* variables do not work: {e}"),
                })?,
            )),
        };
        let sync_defaults =
            SyncSettings::from_lookup(&lookup).map_err(|e| ConfigError::Invalid {
                name: "STORESYNC_SYNC_*",
                message: e.to_string(),
            })?;
        let mail = SesSettings::from_lookup(&lookup);
        Ok(Config {
            table,
            max_receives,
            credentials,
            sync_defaults,
            mail,
        })
    }
}

impl Credentials {
    /// The client configuration: read from Secrets Manager when named by a secret.
    pub async fn load(
        self,
        aws: &aws_config::SdkConfig,
    ) -> Result<SalesforceConfig, CredentialsError> {
        match self {
            Credentials::Environment(config) => Ok(*config),
            Credentials::Secret(id) => {
                let secret = aws_sdk_secretsmanager::Client::new(aws)
                    .get_secret_value()
                    .secret_id(&id)
                    .send()
                    .await
                    .map_err(|e| CredentialsError::Secret(e.into()))?;
                let values: HashMap<String, String> =
                    serde_json::from_str(secret.secret_string().unwrap_or("{}"))
                        .map_err(CredentialsError::Malformed)?;
                Ok(from_secret(&values)?)
            }
        }
    }
}

fn from_secret(
    values: &HashMap<String, String>,
) -> Result<SalesforceConfig, storesync_salesforce::ConfigError> {
    SalesforceConfig::from_lookup(|name| values.get(name).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    use storesync_runtime::config::pairs as env;

    #[test]
    fn the_secret_wins_and_the_defaults_fill_in() {
        let c = Config::from_lookup(env(&[
            ("STORESYNC_TABLE", "t"),
            ("SF_CREDENTIALS_SECRET", "arn:aws:secretsmanager:x"),
        ]))
        .unwrap();
        assert!(
            matches!(c.credentials, Credentials::Secret(ref s) if s == "arn:aws:secretsmanager:x")
        );
        assert_eq!(c.max_receives, 5);
        assert_eq!(c.sync_defaults, SyncSettings::default());
    }

    #[test]
    fn without_a_secret_the_environment_must_hold_credentials() {
        let err = Config::from_lookup(env(&[("STORESYNC_TABLE", "t")])).unwrap_err();
        assert!(err.to_string().contains("SF_LOGIN_URL"), "{err}");
        let c = Config::from_lookup(env(&[
            ("STORESYNC_TABLE", "t"),
            ("SF_LOGIN_URL", "http://127.0.0.1:4000"),
            ("SF_CLIENT_ID", "id"),
            ("SF_CLIENT_SECRET", "secret"),
            ("ORDER_EVENTS_MAX_RECEIVES", "3"),
        ]))
        .unwrap();
        assert!(matches!(c.credentials, Credentials::Environment(_)));
        assert_eq!(c.max_receives, 3);
    }

    #[test]
    fn a_bad_setting_is_named() {
        let err = Config::from_lookup(env(&[
            ("STORESYNC_TABLE", "t"),
            ("SF_CREDENTIALS_SECRET", "s"),
            ("ORDER_EVENTS_MAX_RECEIVES", "0"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("ORDER_EVENTS_MAX_RECEIVES"),
            "{err}"
        );
        let err = Config::from_lookup(env(&[
            ("STORESYNC_TABLE", "t"),
            ("SF_CREDENTIALS_SECRET", "s"),
            ("STORESYNC_SYNC_SALESFORCE_ORDER", "sometimes"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("STORESYNC_SYNC_SALESFORCE_ORDER"),
            "{err}"
        );
    }

    #[test]
    fn customer_mail_is_sent_only_with_a_sender() {
        let base = [("STORESYNC_TABLE", "t"), ("SF_CREDENTIALS_SECRET", "s")];
        assert_eq!(Config::from_lookup(env(&base)).unwrap().mail, None);
        let with_sender = [
            base[0],
            base[1],
            ("STORESYNC_MAIL_FROM", "orders@example.com"),
            ("STORESYNC_MAIL_CONFIGURATION_SET", "storesync"),
        ];
        let mail = Config::from_lookup(env(&with_sender))
            .unwrap()
            .mail
            .unwrap();
        assert_eq!(mail.from, "orders@example.com");
        assert_eq!(mail.configuration_set.as_deref(), Some("storesync"));
    }

    #[test]
    fn a_secret_holds_the_sf_names() {
        let values = HashMap::from([
            (
                "SF_LOGIN_URL".to_owned(),
                "https://acme.my.salesforce.com".to_owned(),
            ),
            ("SF_CLIENT_ID".to_owned(), "id".to_owned()),
            ("SF_CLIENT_SECRET".to_owned(), "secret".to_owned()),
        ]);
        let config = from_secret(&values).unwrap();
        assert_eq!(config.login_url, "https://acme.my.salesforce.com");
    }
}
