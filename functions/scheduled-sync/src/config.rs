//! The scheduled jobs' settings, read once at cold start.

use order_events::config::Credentials;
use storesync_core::ids::Email;
use storesync_core::pricing::PricingPolicy;
use storesync_core::sync::settings::SyncSettings;
use storesync_runtime::config::{from_env, optional, required};
use storesync_salesforce::SalesforceConfig;
use storesync_ses::SesSettings;

pub use storesync_runtime::ConfigError;

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// The order-events queue the outbox sweep sends to.
    pub queue_url: String,
    /// Salesforce, for the jobs that write to it: `SF_CREDENTIALS_SECRET`, or the `SF_*`
    /// variables; without either only the outbox sweep runs.
    pub credentials: Option<Credentials>,
    /// The sync settings until an operator saves their own.
    pub sync_defaults: SyncSettings,
    /// Who gets the daily report (`STORESYNC_REPORT_TO`, comma separated).
    pub managers: Vec<Email>,
    /// Stripe, for the payment reconciliation; without it that job does not run.
    pub stripe: Option<Secret>,
    /// Where Stripe is (`STRIPE_API_BASE`; Stripe itself by default).
    pub stripe_api_base: Option<String>,
    /// How long an order awaits payment before it is checked with the gateway
    /// (`STORESYNC_RECONCILE_AFTER_MINUTES`, default 60).
    pub reconcile_after: chrono::Duration,
    /// How long a cart waits at checkout, unchanged and without an order, before sales hears
    /// of it (`STORESYNC_ABANDONED_AFTER_MINUTES`, default 60).
    pub abandoned_after: chrono::Duration,
    /// The fulfilment provider: where fulfilment orders are sent (`FULFILMENT_PROVIDER_URL`)
    /// and the secret they are signed with (`FULFILMENT_PROVIDER_SECRET_PARAMETER`, or
    /// `FULFILMENT_PROVIDER_SECRET` locally); without them they wait as allocated.
    pub provider: Option<(String, Secret)>,
    /// The storefront's pricing (the same `STORESYNC_TAX_RATES`, ... as checkout), for the
    /// money an order cancelled by a rejected discount gives back.
    pub pricing: PricingPolicy,
    /// Customers' mails the outbox sweep tries again, through SES (`STORESYNC_MAIL_FROM`;
    /// without it none).
    pub mail: Option<SesSettings>,
}

/// Where a secret comes from: an SSM SecureString parameter in AWS (`..._PARAMETER`), the
/// environment locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Parameter(String),
    Inline(String),
}

impl Secret {
    /// The key itself: read from SSM (decrypted) when named by a parameter.
    pub async fn load(
        self,
        aws: &aws_config::SdkConfig,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        match self {
            Secret::Inline(key) => Ok(key),
            Secret::Parameter(name) => {
                let parameter = aws_sdk_ssm::Client::new(aws)
                    .get_parameter()
                    .name(&name)
                    .with_decryption(true)
                    .send()
                    .await?;
                parameter
                    .parameter()
                    .and_then(|p| p.value())
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| v.trim().to_owned())
                    .ok_or_else(|| format!("the parameter {name} holds no secret").into())
            }
        }
    }
}

impl Config {
    /// Reads `STORESYNC_TABLE` and `STORESYNC_QUEUE_URL` (both required), the Salesforce
    /// credentials and the sync's defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(from_env)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let credentials = match (
            optional(&lookup, "SF_CREDENTIALS_SECRET"),
            optional(&lookup, "SF_LOGIN_URL"),
        ) {
            (Some(secret), _) => Some(Credentials::Secret(secret)),
            (None, Some(_)) => Some(Credentials::Environment(Box::new(
                SalesforceConfig::from_lookup(&lookup).map_err(|e| ConfigError::Invalid {
                    name: "SF_LOGIN_URL",
                    message: format!("the SF_* variables do not work: {e}"),
                })?,
            ))),
            (None, None) => None,
        };
        let managers = optional(&lookup, "STORESYNC_REPORT_TO")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        Email::parse(a).map_err(|_| ConfigError::Invalid {
                            name: "STORESYNC_REPORT_TO",
                            message: format!("{a:?} is not an e-mail address"),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let secret = |parameter: &str, inline: &str| match (
            optional(&lookup, parameter),
            optional(&lookup, inline),
        ) {
            (Some(name), _) => Some(Secret::Parameter(name)),
            (None, Some(key)) => Some(Secret::Inline(key)),
            (None, None) => None,
        };
        let stripe = secret("STRIPE_API_KEY_PARAMETER", "STRIPE_API_KEY");
        let provider = match (
            optional(&lookup, "FULFILMENT_PROVIDER_URL"),
            secret(
                "FULFILMENT_PROVIDER_SECRET_PARAMETER",
                "FULFILMENT_PROVIDER_SECRET",
            ),
        ) {
            (Some(url), Some(secret)) => Some((url, secret)),
            (Some(_), None) => {
                return Err(ConfigError::Missing("FULFILMENT_PROVIDER_SECRET_PARAMETER"));
            }
            // No provider yet: fulfilment orders wait as allocated.
            (None, _) => None,
        };
        let minutes = |name: &'static str| match optional(&lookup, name) {
            None => Ok(chrono::Duration::minutes(60)),
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=10_080).contains(m))
                .map(chrono::Duration::minutes)
                .ok_or(ConfigError::Invalid {
                    name,
                    message: format!("{raw:?} is not a number of minutes from 1 to 10080"),
                }),
        };
        let reconcile_after = minutes("STORESYNC_RECONCILE_AFTER_MINUTES")?;
        let abandoned_after = minutes("STORESYNC_ABANDONED_AFTER_MINUTES")?;
        let pricing = PricingPolicy::from_lookup(|name| optional(&lookup, name))
            .map_err(|(name, message)| ConfigError::Invalid { name, message })?;
        Ok(Config {
            pricing,
            abandoned_after,
            provider,
            mail: SesSettings::from_lookup(&lookup),
            managers,
            stripe,
            stripe_api_base: optional(&lookup, "STRIPE_API_BASE"),
            reconcile_after,
            table: required(&lookup, "STORESYNC_TABLE")?,
            queue_url: required(&lookup, "STORESYNC_QUEUE_URL")?,
            credentials,
            sync_defaults: SyncSettings::from_lookup(&lookup).map_err(|e| {
                ConfigError::Invalid {
                    name: "STORESYNC_SYNC_*",
                    message: e.to_string(),
                }
            })?,
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
        let config = Config::from_lookup(|name| match name {
            "STORESYNC_TABLE" | "STORESYNC_QUEUE_URL" => Some(format!("{name}-value")),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.queue_url, "STORESYNC_QUEUE_URL-value");
        assert!(
            config.credentials.is_none(),
            "the sweep runs without Salesforce"
        );
    }

    #[test]
    fn salesforce_comes_from_the_secret_or_from_working_sf_variables() {
        let base = [("STORESYNC_TABLE", "t"), ("STORESYNC_QUEUE_URL", "q")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            Config::from_lookup(storesync_runtime::config::pairs(&all))
        };
        let secret = with(&[("SF_CREDENTIALS_SECRET", "arn:x")]).unwrap();
        assert!(matches!(secret.credentials, Some(Credentials::Secret(ref s)) if s == "arn:x"));
        let err = with(&[("SF_LOGIN_URL", "http://127.0.0.1:4000")]).unwrap_err();
        assert!(err.to_string().contains("SF_LOGIN_URL"), "{err}");
        let env = with(&[
            ("SF_LOGIN_URL", "http://127.0.0.1:4000"),
            ("SF_CLIENT_ID", "id"),
            ("SF_CLIENT_SECRET", "secret"),
        ])
        .unwrap();
        assert!(matches!(env.credentials, Some(Credentials::Environment(_))));
    }

    #[test]
    fn stripe_comes_from_a_parameter_or_the_environment_and_the_wait_is_bounded() {
        let base = [("STORESYNC_TABLE", "t"), ("STORESYNC_QUEUE_URL", "q")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            Config::from_lookup(storesync_runtime::config::pairs(&all))
        };
        let none = with(&[]).unwrap();
        assert_eq!(
            (none.stripe, none.reconcile_after),
            (None, chrono::Duration::minutes(60))
        );
        let param = with(&[("STRIPE_API_KEY_PARAMETER", "/p"), ("STRIPE_API_KEY", "sk")]).unwrap();
        assert_eq!(param.stripe, Some(Secret::Parameter("/p".into())));
        let inline = with(&[
            ("STRIPE_API_KEY", "sk"),
            ("STORESYNC_RECONCILE_AFTER_MINUTES", "15"),
        ])
        .unwrap();
        assert_eq!(inline.stripe, Some(Secret::Inline("sk".into())));
        assert_eq!(inline.reconcile_after, chrono::Duration::minutes(15));
        let err = with(&[("STORESYNC_RECONCILE_AFTER_MINUTES", "0")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("STORESYNC_RECONCILE_AFTER_MINUTES"),
            "{err}"
        );
        assert_eq!(none.abandoned_after, chrono::Duration::minutes(60));
        let carts = with(&[("STORESYNC_ABANDONED_AFTER_MINUTES", "30")]).unwrap();
        assert_eq!(carts.abandoned_after, chrono::Duration::minutes(30));
        let err = with(&[("STORESYNC_ABANDONED_AFTER_MINUTES", "a day")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("STORESYNC_ABANDONED_AFTER_MINUTES"),
            "{err}"
        );
    }

    #[test]
    fn the_report_goes_to_each_listed_manager_and_a_bad_address_is_named() {
        let base = [("STORESYNC_TABLE", "t"), ("STORESYNC_QUEUE_URL", "q")];
        let with = |to: &'static str| {
            let mut all = base.to_vec();
            all.push(("STORESYNC_REPORT_TO", to));
            Config::from_lookup(storesync_runtime::config::pairs(&all))
        };
        let config = with("ops@example.com, Boss@Example.com").unwrap();
        let to: Vec<&str> = config.managers.iter().map(Email::as_str).collect();
        assert_eq!(to.len(), 2, "{to:?}");
        let err = with("ops@example.com,not-mail").unwrap_err();
        assert!(err.to_string().contains("not-mail"), "{err}");
    }
}
