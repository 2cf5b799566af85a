//! Client configuration.

use std::fmt;
use std::time::Duration;

use crate::error::SalesforceError;

/// How the integration authenticates against `/services/oauth2/token`.
#[derive(Clone)]
pub enum Auth {
    /// OAuth 2.0 client credentials flow (the connected app runs as its configured user).
    ClientCredentials {
        /// The connected app's consumer key.
        client_id: String,
        /// The connected app's consumer secret.
        client_secret: String,
    },
    /// OAuth 2.0 JWT bearer flow: an RS256 assertion signed with the connected app's
    /// certificate key.
    JwtBearer {
        /// The connected app's consumer key (`iss`).
        client_id: String,
        /// The integration user (`sub`).
        username: String,
        /// PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
        private_key_pem: String,
        /// `https://login.salesforce.com`, or `https://test.salesforce.com` for sandboxes.
        audience: String,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .finish(),
            Self::JwtBearer {
                client_id,
                audience,
                ..
            } => f
                .debug_struct("JwtBearer")
                .field("client_id", client_id)
                .field("username", &"<redacted>")
                .field("private_key_pem", &"<redacted>")
                .field("audience", audience)
                .finish(),
        }
    }
}

/// Retries of retryable failures: exponential backoff with full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The ceiling of the first backoff; it doubles with each retry.
    pub base_delay: Duration,
    /// The highest ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the delay before attempt `attempt + 1` (`attempt` counts from 1):
    /// `min(max_delay, base_delay * 2^(attempt-1))`. The actual delay is uniform in `[0, ceiling]`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Default REST API version.
pub const DEFAULT_API_VERSION: &str = "v62.0";

/// Everything the client needs to reach one org.
#[derive(Debug, Clone)]
pub struct SalesforceConfig {
    /// `https://login.salesforce.com`, a My Domain URL, or the emulator's base URL.
    pub login_url: String,
    /// How to get a token.
    pub auth: Auth,
    /// `vXX.X`.
    pub api_version: String,
    /// Whole-request timeout, applied to every call.
    pub request_timeout: Duration,
    /// Timeout for opening the connection.
    pub connect_timeout: Duration,
    /// How retryable failures are retried.
    pub retry: RetryPolicy,
    /// Share of the daily API limit (0.0..=1.0) past which deferrable work is refused.
    pub budget_share: f64,
}

impl SalesforceConfig {
    /// A configuration with defaults: v62.0, 30 s request and 5 s connect timeouts,
    /// 4 attempts, deferrable work refused past 80 % of the daily limit.
    pub fn new(login_url: impl Into<String>, auth: Auth) -> Self {
        Self {
            login_url: login_url.into().trim_end_matches('/').to_string(),
            auth,
            api_version: DEFAULT_API_VERSION.to_string(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            budget_share: 0.8,
        }
    }

    /// [`Self::from_lookup`] over the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads `SF_LOGIN_URL`, `SF_CLIENT_ID`, and either `SF_CLIENT_SECRET` (client credentials)
    /// or `SF_USERNAME` + `SF_PRIVATE_KEY_PEM` (+ optional `SF_JWT_AUDIENCE`) for the JWT
    /// bearer flow; optional `SF_API_VERSION` and `SF_BUDGET_SHARE`. A blank value counts as
    /// unset. The error names the missing or invalid variable.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let require = |name: &'static str| var(name).ok_or(ConfigError::Missing(name));
        let login_url = require("SF_LOGIN_URL")?;
        let client_id = require("SF_CLIENT_ID")?;
        let auth = match var("SF_CLIENT_SECRET") {
            Some(client_secret) => Auth::ClientCredentials {
                client_id,
                client_secret,
            },
            None => Auth::JwtBearer {
                client_id,
                username: require("SF_USERNAME")?,
                private_key_pem: require("SF_PRIVATE_KEY_PEM")?,
                audience: var("SF_JWT_AUDIENCE")
                    .unwrap_or_else(|| "https://login.salesforce.com".to_string()),
            },
        };
        let mut config = Self::new(login_url, auth);
        if let Some(v) = var("SF_API_VERSION") {
            config.api_version = v;
        }
        if let Some(v) = var("SF_BUDGET_SHARE") {
            config.budget_share = v
                .parse()
                .ok()
                .filter(|s: &f64| (0.0..=1.0).contains(s))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "SF_BUDGET_SHARE",
                    message: format!("must be between 0 and 1, got {v:?}"),
                })?;
        }
        Ok(config)
    }

    /// What [`crate::SalesforceClient::new`] refuses before any request is sent.
    pub(crate) fn validate(&self) -> Result<(), SalesforceError> {
        if !(0.0..=1.0).contains(&self.budget_share) {
            return Err(SalesforceError::Config(format!(
                "budget_share must be between 0 and 1, got {}",
                self.budget_share
            )));
        }
        require_https_unless_loopback(&self.login_url)?;
        check_api_version(&self.api_version)?;
        if self.retry.max_attempts == 0 {
            return Err(SalesforceError::Config(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Why [`SalesforceConfig::from_lookup`] could not build a configuration. Named, so the
/// cold-start log says which variable to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is unset or blank. Without `SF_CLIENT_SECRET`, the JWT bearer
    /// flow's `SF_USERNAME` and `SF_PRIVATE_KEY_PEM` are required.
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    /// A variable is set to something unusable.
    #[error("environment variable {name} is invalid: {message}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong with its value (never the value of a secret).
        message: String,
    },
}

/// Tokens travel only over TLS, except to a local emulator on loopback.
pub(crate) fn require_https_unless_loopback(raw: &str) -> Result<(), SalesforceError> {
    let url = url::Url::parse(raw)
        .map_err(|e| SalesforceError::Config(format!("not a URL: {raw}: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(SalesforceError::Config(format!(
            "{raw} must use https (plain http is allowed on loopback only)"
        )))
    }
}

/// `vNN.N`, and at least v46.0: from there an upsert that updates answers 200 with the id
/// (before, 204 and no body, which this client does not read).
fn check_api_version(version: &str) -> Result<(), SalesforceError> {
    let major = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .filter(|(_, minor)| minor.chars().all(|c| c.is_ascii_digit()) && !minor.is_empty())
        .and_then(|(major, _)| major.parse::<u32>().ok());
    match major {
        Some(m) if m >= 46 => Ok(()),
        _ => Err(SalesforceError::Config(format!(
            "api_version must look like v62.0 and be v46.0 or later, got {version:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lookup over these variables only.
    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn tokens_go_over_https_or_to_loopback_only() {
        use super::require_https_unless_loopback as check;
        assert!(check("https://acme.my.salesforce.com").is_ok());
        assert!(check("http://127.0.0.1:4000").is_ok());
        assert!(check("http://localhost:4000").is_ok());
        assert!(check("http://[::1]:4000").is_ok());
        assert!(check("http://acme.my.salesforce.com").is_err());
        assert!(check("http://10.0.0.5:4000").is_err());
        assert!(check("not a url").is_err());
    }

    #[test]
    fn a_client_secret_selects_client_credentials_and_the_rest_keeps_its_defaults() {
        let config = SalesforceConfig::from_lookup(env(&[
            ("SF_LOGIN_URL", "https://acme.my.salesforce.com/"),
            ("SF_CLIENT_ID", "id"),
            ("SF_CLIENT_SECRET", "secret"),
            ("SF_USERNAME", "ignored@example.com"),
        ]))
        .unwrap();

        assert_eq!(config.login_url, "https://acme.my.salesforce.com");
        assert!(matches!(
            config.auth,
            Auth::ClientCredentials { ref client_id, ref client_secret }
                if client_id == "id" && client_secret == "secret"
        ));
        assert_eq!(config.api_version, DEFAULT_API_VERSION);
        assert!((config.budget_share - 0.8).abs() < f64::EPSILON);
    }

    #[test]
    fn without_a_client_secret_the_jwt_flow_needs_a_username_and_key() {
        let base = [
            ("SF_LOGIN_URL", "https://login.salesforce.com"),
            ("SF_CLIENT_ID", "id"),
            ("SF_CLIENT_SECRET", "  "),
        ];
        let missing = SalesforceConfig::from_lookup(env(&base)).unwrap_err();
        assert_eq!(missing, ConfigError::Missing("SF_USERNAME"));

        let with_key = [
            &base[..],
            &[
                ("SF_USERNAME", "sync@example.com"),
                ("SF_PRIVATE_KEY_PEM", "pem"),
                ("SF_API_VERSION", "v60.0"),
                ("SF_BUDGET_SHARE", "0.5"),
            ],
        ]
        .concat();
        let config = SalesforceConfig::from_lookup(env(&with_key)).unwrap();
        assert!(matches!(
            config.auth,
            Auth::JwtBearer { ref username, ref audience, .. }
                if username == "sync@example.com" && audience == "https://login.salesforce.com"
        ));
        assert_eq!(config.api_version, "v60.0");
        assert!((config.budget_share - 0.5).abs() < f64::EPSILON);
    }

    #[test]
    fn a_missing_or_invalid_variable_is_named() {
        let err = SalesforceConfig::from_lookup(env(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable SF_LOGIN_URL is required"
        );

        let err = SalesforceConfig::from_lookup(env(&[
            ("SF_LOGIN_URL", "https://login.salesforce.com"),
            ("SF_CLIENT_ID", "id"),
            ("SF_CLIENT_SECRET", "secret"),
            ("SF_BUDGET_SHARE", "1.5"),
        ]))
        .unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    name: "SF_BUDGET_SHARE",
                    ..
                }
            ),
            "{err}"
        );
    }
}
