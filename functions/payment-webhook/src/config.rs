//! The webhook function's settings, read once at cold start.

use storesync_runtime::config::{from_env, optional, required};

use crate::stripe::DEFAULT_TOLERANCE_SECS;

pub use storesync_runtime::ConfigError;

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
    /// The fulfilment provider's notice secrets (`FULFILMENT_NOTICE_SECRETS_PARAMETER`, or
    /// `FULFILMENT_NOTICE_SECRETS` locally); without them shipment notices are not taken.
    pub notice_secrets: Option<SecretSource>,
    /// Salesforce Outbound Messages; not taken without the path secrets.
    pub outbound: Option<OutboundConfig>,
}

/// Where Salesforce Outbound Messages may come from.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// The endpoint path's secrets (`SALESFORCE_OUTBOUND_SECRETS_PARAMETER`, or
    /// `SALESFORCE_OUTBOUND_SECRETS` locally).
    pub secrets: SecretSource,
    /// The organisations allowed to send (`SALESFORCE_ORG_IDS`, comma separated; required).
    pub org_ids: Vec<String>,
    /// The Salesforce user the store's own changes are made as (`SF_INTEGRATION_USER_ID`;
    /// required): its changes coming back are not applied again.
    pub integration_user: String,
    /// Invitations to customers sales adds (SES, `STORESYNC_MAIL_FROM`).
    pub mail: Option<storesync_ses::SesSettings>,
}

/// The variables a secret source is read from: the parameter's, and the inline one's.
pub type SecretNames = (&'static str, &'static str);

pub const STRIPE_SECRETS: SecretNames =
    ("STRIPE_WEBHOOK_SECRETS_PARAMETER", "STRIPE_WEBHOOK_SECRETS");
pub const OUTBOUND_SECRETS: SecretNames = (
    "SALESFORCE_OUTBOUND_SECRETS_PARAMETER",
    "SALESFORCE_OUTBOUND_SECRETS",
);
pub const NOTICE_SECRETS: SecretNames = (
    "FULFILMENT_NOTICE_SECRETS_PARAMETER",
    "FULFILMENT_NOTICE_SECRETS",
);

/// Why the endpoint secrets could not be had at start.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("the secrets parameter could not be read")]
    Parameter(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl SecretSource {
    /// The secrets themselves: read from SSM (decrypted) when named by a parameter. None at
    /// all is an error: every webhook would be refused, so the function had better not start.
    pub async fn load(
        self,
        aws: &aws_config::SdkConfig,
        names: SecretNames,
    ) -> Result<Vec<String>, SecretsError> {
        let (name, secrets) = match self {
            SecretSource::Inline(secrets) => (names.1, secrets),
            SecretSource::Parameter(name) => {
                let parameter = aws_sdk_ssm::Client::new(aws)
                    .get_parameter()
                    .name(&name)
                    .with_decryption(true)
                    .send()
                    .await
                    .map_err(|e| SecretsError::Parameter(e.into()))?;
                let value = parameter.parameter().and_then(|p| p.value());
                (names.0, split_secrets(value.unwrap_or_default()))
            }
        };
        if secrets.is_empty() {
            return Err(ConfigError::Invalid {
                name,
                message: "holds no secret".into(),
            }
            .into());
        }
        Ok(secrets)
    }
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
        Self::from_lookup(from_env)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| optional(&lookup, name);
        let table = required(&lookup, "STORESYNC_TABLE")?;
        let source =
            |(parameter, inline): SecretNames| -> Result<Option<SecretSource>, ConfigError> {
                match (get(parameter), get(inline)) {
                    (Some(name), _) => Ok(Some(SecretSource::Parameter(name))),
                    (None, Some(raw)) => match split_secrets(&raw) {
                        secrets if secrets.is_empty() => Err(ConfigError::Invalid {
                            name: inline,
                            message: "holds no secret".into(),
                        }),
                        secrets => Ok(Some(SecretSource::Inline(secrets))),
                    },
                    (None, None) => Ok(None),
                }
            };
        let secrets = source(STRIPE_SECRETS)?.ok_or(ConfigError::Missing(STRIPE_SECRETS.0))?;
        let notice_secrets = source(NOTICE_SECRETS)?;
        let outbound = match source(OUTBOUND_SECRETS)? {
            None => None,
            Some(secrets) => {
                let org_ids = split_secrets(&get("SALESFORCE_ORG_IDS").unwrap_or_default());
                if org_ids.is_empty() {
                    return Err(ConfigError::Missing("SALESFORCE_ORG_IDS"));
                }
                Some(OutboundConfig {
                    secrets,
                    org_ids,
                    integration_user: required(&lookup, "SF_INTEGRATION_USER_ID")?,
                    mail: storesync_ses::SesSettings::from_lookup(&lookup),
                })
            }
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
            notice_secrets,
            outbound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use storesync_runtime::config::pairs as env;

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

    #[tokio::test]
    async fn inline_secrets_load_without_aws_and_none_at_all_is_refused() {
        let aws = aws_config::SdkConfig::builder().build();
        let secrets = SecretSource::Inline(vec!["whsec_a".into()])
            .load(&aws, STRIPE_SECRETS)
            .await
            .unwrap();
        assert_eq!(secrets, ["whsec_a"]);
        let err = SecretSource::Inline(Vec::new())
            .load(&aws, STRIPE_SECRETS)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("STRIPE_WEBHOOK_SECRETS"), "{err}");
    }
}
