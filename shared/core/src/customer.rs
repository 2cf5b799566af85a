//! Customers: registration, profile and addresses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, Email, InvalidValue};

/// ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(CountryCode(raw.to_ascii_uppercase()))
        } else {
            Err(InvalidValue::new(
                "country",
                "must be an ISO 3166-1 alpha-2 code such as US or DE",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: CountryCode,
}

/// Where a customer first came from; it decides the Lead source in Salesforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    #[default]
    Web,
    Social,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    /// Set for business customers; becomes the Salesforce Account name.
    pub company: Option<String>,
    pub origin: Origin,
    pub addresses: Vec<Address>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// A validated registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub origin: Origin,
    pub addresses: Vec<Address>,
}

/// A validated profile change; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileChange {
    pub email: Option<Email>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub addresses: Option<Vec<Address>>,
}

impl Customer {
    pub fn register(id: CustomerId, r: Registration, now: DateTime<Utc>) -> Customer {
        Customer {
            id,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            phone: r.phone,
            company: r.company,
            origin: r.origin,
            addresses: r.addresses,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The customer after the change, one version on.
    pub fn changed(&self, change: &ProfileChange, now: DateTime<Utc>) -> Customer {
        let mut next = self.clone();
        if let Some(email) = &change.email {
            next.email = email.clone();
        }
        if let Some(v) = &change.first_name {
            next.first_name = v.clone();
        }
        if let Some(v) = &change.last_name {
            next.last_name = v.clone();
        }
        if let Some(v) = &change.phone {
            next.phone = v.clone();
        }
        if let Some(v) = &change.company {
            next.company = v.clone();
        }
        if let Some(v) = &change.addresses {
            next.addresses = v.clone();
        }
        next.updated_at = now;
        next.version += 1;
        next
    }
}

/// Maximum addresses kept on a profile.
pub const MAX_ADDRESSES: usize = 10;
