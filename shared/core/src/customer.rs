//! Customers: registration, profile and addresses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CrmId, CustomerId, Email, InvalidValue};

/// An assigned ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CountryCode(String);

/// Every officially assigned ISO 3166-1 alpha-2 code, sorted (openapi.yaml lists the same).
pub const ASSIGNED_COUNTRY_CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if ASSIGNED_COUNTRY_CODES.binary_search(&raw).is_ok() {
            Ok(CountryCode(raw.to_owned()))
        } else {
            Err(InvalidValue::new(
                "country",
                "must be an assigned ISO 3166-1 alpha-2 code in upper case, such as US or DE",
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
    /// The Salesforce Account the customer belongs to, whose terms apply at checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<CrmId>,
    /// Set while the profile was made from a Salesforce Contact and no one has claimed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<Invitation>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// A profile sales made in Salesforce (a Contact on an Account the store knows), waiting for
/// its person to claim it: by the one-time token mailed to them, or by registering with the
/// same e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub contact_id: CrmId,
    /// The hash of the [`crate::ids::ClaimToken`] mailed to the person.
    pub token_hash: String,
    pub invited_at: DateTime<Utc>,
}

impl Customer {
    /// The id of the profile invited from Contact `contact`: one per Contact, so an invitation
    /// made twice is one profile.
    pub fn invited_id(contact: &CrmId) -> CustomerId {
        CustomerId::parse(&format!("invited-{contact}"))
            .expect("a Salesforce id makes a valid customer id")
    }

    pub fn is_invited(&self) -> bool {
        self.invitation.is_some()
    }
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
            account_id: None,
            invitation: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_assigned_country_codes_in_upper_case_parse() {
        assert!(ASSIGNED_COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
        for code in ["US", "DE", "AX", "SS", "ZW"] {
            assert_eq!(CountryCode::parse(code).unwrap().as_str(), code);
        }
        for code in ["ZZ", "XK", "AA", "us", "USA", "U", ""] {
            assert!(CountryCode::parse(code).is_err(), "{code} accepted");
        }
    }
}
