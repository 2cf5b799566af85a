//! The function's settings, read once at cold start.

use order_events::config::Credentials;
use storesync_core::from_crm::{CustomerField, FieldOwner, FieldOwnership};
use storesync_runtime::config::{from_env, optional, required};
use storesync_salesforce::SalesforceConfig;
use storesync_ses::SesSettings;

pub use storesync_runtime::ConfigError;

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// The Salesforce user the store's own calls run as (`SF_INTEGRATION_USER_ID`): its
    /// changes coming back are not applied again.
    pub integration_user: String,
    /// Salesforce, to read records again after a gap; without it gaps are logged only.
    pub credentials: Option<Credentials>,
    /// Who owns each customer field (`STORESYNC_FIELD_OWNERS`, e.g.
    /// `first_name=salesforce,email=store`; the rest keep their defaults).
    pub ownership: FieldOwnership,
    /// Invitations through SES; none without `STORESYNC_MAIL_FROM`.
    pub mail: Option<SesSettings>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(from_env)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table = required(&lookup, "STORESYNC_TABLE")?;
        let integration_user = required(&lookup, "SF_INTEGRATION_USER_ID")?;
        let credentials = match optional(&lookup, "SF_CREDENTIALS_SECRET") {
            Some(secret) => Some(Credentials::Secret(secret)),
            None => SalesforceConfig::from_lookup(&lookup)
                .ok()
                .map(|c| Credentials::Environment(Box::new(c))),
        };
        let ownership = match optional(&lookup, "STORESYNC_FIELD_OWNERS") {
            None => FieldOwnership::default(),
            Some(raw) => parse_owners(&raw).map_err(|message| ConfigError::Invalid {
                name: "STORESYNC_FIELD_OWNERS",
                message,
            })?,
        };
        Ok(Config {
            table,
            integration_user,
            credentials,
            ownership,
            mail: SesSettings::from_lookup(&lookup),
        })
    }
}

/// `field=owner` pairs, comma separated, over the defaults.
pub fn parse_owners(raw: &str) -> Result<FieldOwnership, String> {
    let mut ownership = FieldOwnership::default();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, owner) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not field=owner"))?;
        let field = CustomerField::parse(field.trim()).map_err(|e| e.message)?;
        let owner = match owner.trim() {
            "store" => FieldOwner::Store,
            "salesforce" => FieldOwner::Salesforce,
            "newest" => FieldOwner::Newest,
            other => return Err(format!("{other:?} is not store, salesforce or newest")),
        };
        match field {
            CustomerField::FirstName => ownership.first_name = owner,
            CustomerField::LastName => ownership.last_name = owner,
            CustomerField::Email => ownership.email = owner,
            CustomerField::Phone => ownership.phone = owner,
        }
    }
    Ok(ownership)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_set_per_field_over_the_defaults_and_nonsense_is_named() {
        let o = parse_owners("first_name=salesforce, email=newest").unwrap();
        assert_eq!(o.first_name, FieldOwner::Salesforce);
        assert_eq!(o.email, FieldOwner::Newest);
        assert_eq!(o.phone, FieldOwnership::default().phone);
        assert!(parse_owners("nickname=store").is_err());
        assert!(parse_owners("email=sales").unwrap_err().contains("sales"));
        let err = Config::from_lookup(|n| match n {
            "STORESYNC_TABLE" => Some("t".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("SF_INTEGRATION_USER_ID"), "{err}");
    }
}
