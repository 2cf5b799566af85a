//! Identifiers and validated values: once constructed, they are known to be well formed.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    pub field: String,
    pub message: String,
}

impl InvalidValue {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidValue {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A string that is known to be well formed: built only by its type's `parse`, which
/// deserialisation goes through too, so a stored or received value keeps the same rules.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidValue;

            fn from_str(raw: &str) -> Result<Self, InvalidValue> {
                $name::parse(raw)
            }
        }
    };
}

string_id!(
    /// A customer's id: the identity provider's subject (`sub` claim).
    CustomerId
);
string_id!(
    /// A cart id (random, 128 bits).
    CartId
);
string_id!(
    /// An order id, derived from the checkout's idempotency scope and key.
    OrderId
);
string_id!(
    /// An outbox event id.
    EventId
);
string_id!(
    /// A stock keeping unit: 1 to 64 of `A-Z 0-9 - _ .`, upper case.
    Sku
);
string_id!(
    /// An e-mail address, kept as entered; compare with [`Email::normalized`].
    Email
);
string_id!(
    /// Whose events these are: the customer id, or for a guest a hash of the lowercased
    /// e-mail. One customer's events share it, so it is also the queue's FIFO group.
    CustomerKey
);
string_id!(
    /// A person's key in the CRM: a hash of the lowercased e-mail, so that a guest and a
    /// registered customer with one address are one person there, whatever their store ids.
    PersonKey
);
string_id!(
    /// A CRM record's id (a Salesforce id: 15 or 18 letters and digits).
    CrmId
);
string_id!(
    /// A place stock is held and shipped from: 1 to 64 of `a-z 0-9 - _`.
    LocationId
);
string_id!(
    /// A payment gateway's name as it appears in webhook paths, e.g. `stripe`.
    GatewayName
);
string_id!(
    /// The gateway's id of one payment (a Stripe PaymentIntent id): 1 to 255 of
    /// `A-Z a-z 0-9 - _ . :`.
    PaymentRef
);

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    hex::encode(buf)
}

/// `raw` if it is 1 to `max` characters, each allowed by `allowed`.
fn parse_charset(
    raw: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
    field: &str,
    message: &str,
) -> Result<String, InvalidValue> {
    if !raw.is_empty() && raw.len() <= max && raw.chars().all(allowed) {
        Ok(raw.to_owned())
    } else {
        Err(InvalidValue::new(field, message))
    }
}

/// The characters of an identity provider's subject, which is also a customer key.
fn identity_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.:@|".contains(c)
}

impl CustomerId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_charset(
            raw,
            128,
            identity_char,
            "sub",
            "not a valid customer identity",
        )
        .map(CustomerId)
    }
}

impl CustomerKey {
    /// A registered customer's key: their id.
    pub fn customer(id: &CustomerId) -> Self {
        CustomerKey(id.0.clone())
    }

    /// A guest's key: stable for one lowercased e-mail, and not reversible, so logs and queue
    /// group ids never carry the address.
    pub fn guest(email: &Email) -> Self {
        let digest = Sha256::digest(email.normalized().as_bytes());
        CustomerKey(format!("guest_{}", hex::encode(&digest[..16])))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_charset(
            raw,
            128,
            identity_char,
            "customer_key",
            "not a valid customer key",
        )
        .map(CustomerKey)
    }
}

impl PersonKey {
    pub fn for_email(email: &Email) -> Self {
        let digest = Sha256::digest(email.normalized().as_bytes());
        PersonKey(format!("em_{}", hex::encode(&digest[..16])))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_prefixed(raw, "em_", 32, "person_key").map(PersonKey)
    }
}

impl CrmId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if (raw.len() == 15 || raw.len() == 18) && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(CrmId(raw.to_owned()))
        } else {
            Err(InvalidValue::new("crm_id", "not a Salesforce record id"))
        }
    }
}

impl LocationId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_charset(
            raw,
            64,
            |c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c),
            "location",
            "must be 1-64 characters of a-z, 0-9, '-' or '_'",
        )
        .map(LocationId)
    }
}

/// The location stock is kept at when a store has only one: `main`.
impl Default for LocationId {
    fn default() -> Self {
        LocationId("main".to_owned())
    }
}

impl GatewayName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_charset(
            raw,
            32,
            |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
            "gateway",
            "must be 1-32 characters of a-z, 0-9 or '-'",
        )
        .map(GatewayName)
    }
}

impl PaymentRef {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_charset(
            raw,
            255,
            |c| c.is_ascii_alphanumeric() || "-_.:".contains(c),
            "payment_ref",
            "not a valid payment reference",
        )
        .map(PaymentRef)
    }
}

impl CartId {
    pub fn random() -> Self {
        CartId(format!("cart_{}", random_hex(16)))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_prefixed(raw, "cart_", 32, "cart_id").map(CartId)
    }
}

impl OrderId {
    /// The same customer (or guest cart) and idempotency key always give the same order id,
    /// which makes the order item itself the idempotency record.
    pub fn for_checkout(scope: &str, idempotency_key: &str) -> Self {
        let digest = Sha256::digest(format!("checkout\u{0}{scope}\u{0}{idempotency_key}"));
        OrderId(format!("ord_{}", hex::encode(&digest[..16])))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_prefixed(raw, "ord_", 32, "order_id").map(OrderId)
    }

    /// A short number for people: printed on receipts and used in Salesforce.
    ///
    /// 60 bits in Crockford base32 (no I, L, O, U), e.g. `SO-7GQ2-M4XR-9KDT`: unique in practice
    /// for many millions of orders, and easy to read out over the phone.
    pub fn order_number(&self) -> String {
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let digest = Sha256::digest(self.0.as_bytes());
        let bits = u64::from_be_bytes(
            digest[..8]
                .try_into()
                .expect("a SHA-256 digest has 8 bytes"),
        ) >> 4;
        let chars: Vec<char> = (0..12)
            .rev()
            .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
            .collect();
        let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
        format!("SO-{}", groups.join("-"))
    }
}

impl EventId {
    pub fn random() -> Self {
        EventId(format!("evt_{}", random_hex(16)))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_prefixed(raw, "evt_", 32, "event_id").map(EventId)
    }
}

fn parse_prefixed(
    raw: &str,
    prefix: &str,
    hex_len: usize,
    field: &str,
) -> Result<String, InvalidValue> {
    let ok = raw.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == hex_len
            && rest
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    });
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(InvalidValue::new(field, format!("not a valid {field}")))
    }
}

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        parse_charset(
            raw,
            64,
            |c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-_.".contains(c),
            "sku",
            "must be 1-64 characters of A-Z, 0-9, '-', '_' or '.'",
        )
        .map(Sku)
    }
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let trimmed = raw.trim();
        let bad = || InvalidValue::new("email", "not a valid e-mail address");
        if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(Email(trimmed.to_owned()))
    }

    /// The form used for uniqueness and matching: e-mail addresses are case-insensitive here.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

/// Quantity of one line: 1 to 999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 999;

    pub fn parse(raw: i64) -> Result<Self, InvalidValue> {
        if (1..=i64::from(Self::MAX)).contains(&raw) {
            Ok(Quantity(raw as u32))
        } else {
            Err(InvalidValue::new(
                "quantity",
                format!("must be between 1 and {}", Self::MAX),
            ))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A secret that lets a guest reach their cart and order; only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct GuestToken(String);

impl GuestToken {
    pub fn random() -> Self {
        GuestToken(random_hex(32))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(GuestToken(raw.to_ascii_lowercase()))
        } else {
            Err(InvalidValue::new("X-Cart-Token", "not a valid cart token"))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// The one-time token that lets a person invited from Salesforce claim their store profile:
/// the Contact's id and 256 random bits (`<contact id>.<64 hex>`), mailed to them; the store
/// keeps only the hash of the random part.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimToken {
    contact: CrmId,
    secret: String,
}

impl ClaimToken {
    pub fn random(contact: CrmId) -> Self {
        ClaimToken {
            contact,
            secret: random_hex(32),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let invalid = || InvalidValue::new("token", "not a valid invitation token");
        let (contact, secret) = raw.split_once('.').ok_or_else(invalid)?;
        let contact = CrmId::parse(contact).map_err(|_| invalid())?;
        if secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(ClaimToken {
                contact,
                secret: secret.to_ascii_lowercase(),
            })
        } else {
            Err(invalid())
        }
    }

    /// The Contact whose invitation it claims.
    pub fn contact(&self) -> &CrmId {
        &self.contact
    }

    pub fn expose(&self) -> String {
        format!("{}.{}", self.contact, self.secret)
    }

    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }
}

impl fmt::Debug for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClaimToken(..)")
    }
}

impl fmt::Debug for GuestToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GuestToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_upper_case_codes() {
        assert!(Sku::parse("TSHIRT-BLK-M").is_ok());
        assert!(Sku::parse("tshirt").is_err());
        assert!(Sku::parse("").is_err());
        assert!(Sku::parse(&"A".repeat(65)).is_err());
        assert!(Sku::parse("A B").is_err());
    }

    #[test]
    fn emails_compare_case_insensitively() {
        let a = Email::parse("Jane.Doe@Example.COM").unwrap();
        let b = Email::parse(" jane.doe@example.com ").unwrap();
        assert_eq!(a.normalized(), b.normalized());
        assert_eq!(CustomerKey::guest(&a), CustomerKey::guest(&b));
        assert!(CustomerKey::guest(&a).as_str().starts_with("guest_"));
        assert!(CustomerKey::parse(CustomerKey::guest(&a).as_str()).is_ok());
        assert_eq!(PersonKey::for_email(&a), PersonKey::for_email(&b));
        assert!(PersonKey::parse(PersonKey::for_email(&a).as_str()).is_ok());
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "no-at",
            "a@b",
            "a@.com",
            "a b@c.com",
            "@x.com",
            "a@x..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn quantity_is_one_to_999() {
        assert!(Quantity::parse(0).is_err());
        assert!(Quantity::parse(-3).is_err());
        assert!(Quantity::parse(1000).is_err());
        assert_eq!(Quantity::parse(999).unwrap().get(), 999);
    }

    #[test]
    fn checkout_order_ids_depend_on_scope_and_key() {
        let a = OrderId::for_checkout("cust-1", "key-1");
        assert_eq!(a, OrderId::for_checkout("cust-1", "key-1"));
        assert_ne!(a, OrderId::for_checkout("cust-2", "key-1"));
        assert_ne!(a, OrderId::for_checkout("cust-1", "key-2"));
        assert!(OrderId::parse(a.as_str()).is_ok());
        let number = a.order_number();
        assert_eq!(number.len(), 17, "{number}");
        assert!(number.starts_with("SO-"));
        assert!(
            number[3..]
                .chars()
                .all(|c| c == '-' || (c.is_ascii_alphanumeric() && !"ILOU".contains(c)))
        );
        assert_ne!(
            number,
            OrderId::for_checkout("cust-1", "key-2").order_number()
        );
    }

    #[test]
    fn ids_parse_only_their_own_shape() {
        let cart = CartId::random();
        assert!(CartId::parse(cart.as_str()).is_ok());
        assert!(CartId::parse("cart_../../etc").is_err());
        assert!(OrderId::parse(cart.as_str()).is_err());
    }

    #[test]
    fn ids_keep_their_rules_when_deserialised() {
        let sku: Sku = serde_json::from_str(r#""MUG-WHT""#).unwrap();
        assert_eq!(sku.as_str(), "MUG-WHT");
        assert!(serde_json::from_str::<Sku>(r#""mug wht""#).is_err());
        assert!(serde_json::from_str::<Email>(r#""not-an-email""#).is_err());
        assert!(serde_json::from_str::<OrderId>(r#""ord_../x""#).is_err());
        assert!(serde_json::from_str::<CustomerKey>(r#""a b""#).is_err());
        assert!(serde_json::from_str::<LocationId>(r#""Main""#).is_err());
        assert!(serde_json::from_str::<PaymentRef>(r#""pi 1""#).is_err());
        let event = EventId::random();
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<EventId>(&json).unwrap(), event);
        assert!(serde_json::from_str::<EventId>(r#""evt_x""#).is_err());
    }

    #[test]
    fn guest_tokens_hash_and_never_print() {
        let t = GuestToken::random();
        assert_eq!(GuestToken::parse(t.expose()).unwrap().hash(), t.hash());
        assert_eq!(format!("{t:?}"), "GuestToken(..)");
    }
}
