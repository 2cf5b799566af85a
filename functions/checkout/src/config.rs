//! The checkout function's settings, read once at cold start.

use storesync_core::ids::LocationId;
use storesync_core::pricing::{
    DEFAULT_BULK_THRESHOLD, DEFAULT_DISCOUNT_CODES, DEFAULT_SHIPPING, DEFAULT_TAX_RATES,
    PolicyError, PricingPolicy,
};
use storesync_runtime::config::{from_env, optional, required};

pub use storesync_runtime::ConfigError;

/// How the storefront sells: prices, taxes, shipping, codes, and where stock ships from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorefrontSettings {
    pub policy: PricingPolicy,
    pub location: LocationId,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// The order-events queue; without it events wait in the outbox for the sweep.
    pub queue_url: Option<String>,
    pub storefront: StorefrontSettings,
}

impl Config {
    /// Reads `STORESYNC_TABLE` (required) and the optional pricing settings.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(from_env)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| optional(&lookup, name);
        let table = required(&lookup, "STORESYNC_TABLE")?;
        let bulk = match get("STORESYNC_BULK_THRESHOLD") {
            None => DEFAULT_BULK_THRESHOLD,
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                name: "STORESYNC_BULK_THRESHOLD",
                message: format!("{v:?} is not a whole number"),
            })?,
        };
        let policy = PricingPolicy::parse(
            &get("STORESYNC_TAX_RATES").unwrap_or_else(|| DEFAULT_TAX_RATES.into()),
            &get("STORESYNC_SHIPPING_RATES").unwrap_or_else(|| DEFAULT_SHIPPING.into()),
            &get("STORESYNC_DISCOUNT_CODES").unwrap_or_else(|| DEFAULT_DISCOUNT_CODES.into()),
            bulk,
        )
        .map_err(
            |PolicyError::Invalid { setting, message }| ConfigError::Invalid {
                name: match setting {
                    "tax rates" => "STORESYNC_TAX_RATES",
                    "shipping" => "STORESYNC_SHIPPING_RATES",
                    "discount codes" => "STORESYNC_DISCOUNT_CODES",
                    _ => "STORESYNC_BULK_THRESHOLD",
                },
                message,
            },
        )?;
        let location = match get("STORESYNC_LOCATION") {
            None => LocationId::default(),
            Some(raw) => LocationId::parse(&raw).map_err(|e| ConfigError::Invalid {
                name: "STORESYNC_LOCATION",
                message: e.message,
            })?,
        };
        Ok(Config {
            table,
            queue_url: get("STORESYNC_QUEUE_URL"),
            storefront: StorefrontSettings { policy, location },
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
