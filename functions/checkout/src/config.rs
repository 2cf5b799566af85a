//! The checkout function's settings, read once at cold start.

use storesync_core::admin::SalesforceInstance;
use storesync_core::ids::LocationId;
use storesync_core::pricing::PricingPolicy;
use storesync_core::sync::settings::SyncSettings;
use storesync_runtime::config::{from_env, optional, required};

pub use storesync_runtime::ConfigError;

/// How the storefront sells: prices, taxes, shipping, codes, and where stock ships from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorefrontSettings {
    pub policy: PricingPolicy,
    pub location: LocationId,
    /// The sync settings until an operator saves their own: the big-cart thresholds.
    pub sync_defaults: SyncSettings,
}

/// What the operators' admin API starts from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminSettings {
    /// The sync settings in force until an operator saves their own: the same
    /// `STORESYNC_SYNC_*` defaults as order-events reads.
    pub sync_defaults: SyncSettings,
    /// `SF_INSTANCE_URL`: where links to Salesforce records open; without it, no links.
    pub salesforce_instance: Option<SalesforceInstance>,
    /// The storefront's pricing, for the money a received return gives back.
    pub pricing: PricingPolicy,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// The order-events queue; without it events wait in the outbox for the sweep.
    pub queue_url: Option<String>,
    /// `STORESYNC_JOB_QUEUE_URL`: the job-requests queue; without it operators cannot run a
    /// job now (the schedules still run them).
    pub job_queue_url: Option<String>,
    pub storefront: StorefrontSettings,
    pub admin: AdminSettings,
}

impl Config {
    /// Reads `STORESYNC_TABLE` (required), the optional pricing settings, the sync defaults
    /// and the Salesforce instance's address.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(from_env)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| optional(&lookup, name);
        let table = required(&lookup, "STORESYNC_TABLE")?;
        let policy = PricingPolicy::from_lookup(get)
            .map_err(|(name, message)| ConfigError::Invalid { name, message })?;
        let location = match get("STORESYNC_LOCATION") {
            None => LocationId::default(),
            Some(raw) => LocationId::parse(&raw).map_err(|e| ConfigError::Invalid {
                name: "STORESYNC_LOCATION",
                message: e.message,
            })?,
        };
        let sync_defaults =
            SyncSettings::from_lookup(&lookup).map_err(|e| ConfigError::Invalid {
                name: "STORESYNC_SYNC_*",
                message: e.to_string(),
            })?;
        let salesforce_instance = get("SF_INSTANCE_URL")
            .map(|raw| {
                SalesforceInstance::parse(&raw).map_err(|e| ConfigError::Invalid {
                    name: "SF_INSTANCE_URL",
                    message: e.message,
                })
            })
            .transpose()?;
        Ok(Config {
            table,
            queue_url: get("STORESYNC_QUEUE_URL"),
            job_queue_url: get("STORESYNC_JOB_QUEUE_URL"),
            storefront: StorefrontSettings {
                policy: policy.clone(),
                location,
                sync_defaults: sync_defaults.clone(),
            },
            admin: AdminSettings {
                pricing: policy,
                sync_defaults,
                salesforce_instance,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_table_is_named() {
        let err = Config::from_lookup(|_| None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable STORESYNC_TABLE is required"
        );
    }

    #[test]
    fn defaults_fill_in_the_pricing_settings() {
        let c = Config::from_lookup(|n| (n == "STORESYNC_TABLE").then(|| "t".to_owned())).unwrap();
        assert_eq!(c.storefront, StorefrontSettings::default());
        assert_eq!(c.storefront.location.as_str(), "main");
        assert_eq!(c.admin, AdminSettings::default());
    }

    #[test]
    fn the_admin_api_takes_the_sync_defaults_and_the_instance_from_the_environment() {
        let c = Config::from_lookup(|n| match n {
            "STORESYNC_TABLE" => Some("t".into()),
            "STORESYNC_SYNC_SALESFORCE_ORDER" => Some("never".into()),
            "SF_INSTANCE_URL" => Some("https://acme.my.salesforce.com/".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            c.admin.sync_defaults.salesforce_order,
            storesync_core::sync::settings::SalesforceOrderPolicy::Never
        );
        assert_eq!(
            c.admin.salesforce_instance,
            Some(SalesforceInstance::parse("https://acme.my.salesforce.com").unwrap())
        );
        for (name, value) in [
            ("SF_INSTANCE_URL", "acme.my.salesforce.com"),
            ("STORESYNC_SYNC_AUTO_ORDERS", "sometimes"),
        ] {
            let err = Config::from_lookup(|n| match n {
                "STORESYNC_TABLE" => Some("t".into()),
                n if n == name => Some(value.into()),
                _ => None,
            })
            .unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn a_bad_setting_fails_at_start() {
        let err = Config::from_lookup(|n| match n {
            "STORESYNC_TABLE" => Some("t".into()),
            "STORESYNC_TAX_RATES" => Some("nonsense".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("STORESYNC_TAX_RATES"), "{err}");
        let err = Config::from_lookup(|n| match n {
            "STORESYNC_TABLE" => Some("t".into()),
            "STORESYNC_LOCATION" => Some("Main Warehouse".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("STORESYNC_LOCATION"), "{err}");
    }
}
