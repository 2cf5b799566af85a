//! Signed webhooks: `t=<unix>,v1=<hex>[,v1=...]`, an HMAC-SHA256 over `"<t>.<raw body>"`, as
//! Stripe signs its events. The store's fulfilment provider signs its shipment notices the same
//! way, and the store signs what it sends the provider: one scheme, one implementation.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("the signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signature timestamp is outside the tolerance of {tolerance_secs} s")]
    Expired { tolerance_secs: i64 },
    #[error("no signature matches any active secret")]
    Mismatch,
}

/// The secrets a receiver accepts (several during a rotation) and how old a signature may be.
#[derive(Clone)]
pub struct Secrets {
    secrets: Vec<Vec<u8>>,
    tolerance_secs: i64,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("secrets", &self.secrets.len())
            .field("tolerance_secs", &self.tolerance_secs)
            .finish()
    }
}

/// The `v1` signature of `body` at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret.as_bytes(), timestamp, body))
}

/// A complete header value: `t=<timestamp>,v1=<signature>`.
pub fn header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

impl Secrets {
    /// Blank secrets are dropped: a receiver with none accepts nothing.
    pub fn new(secrets: impl IntoIterator<Item = String>, tolerance_secs: i64) -> Self {
        Secrets {
            secrets: secrets
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .map(String::into_bytes)
                .collect(),
            tolerance_secs,
        }
    }

    pub fn tolerance_secs(&self) -> i64 {
        self.tolerance_secs
    }

    /// Checks `header` against `body` before anything in the body is trusted.
    pub fn check(
        &self,
        header: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or(SignatureError::Malformed("expected key=value pairs"))?;
            match key {
                "t" if timestamp.is_none() => {
                    let t: i64 = value
                        .parse()
                        .map_err(|_| SignatureError::Malformed("t is not a unix timestamp"))?;
                    timestamp = Some(t);
                }
                "t" => return Err(SignatureError::Malformed("t is given twice")),
                "v1" => {
                    let bytes = hex::decode(value)
                        .map_err(|_| SignatureError::Malformed("v1 is not hex"))?;
                    signatures.push(bytes);
                }
                // Other schemes (Stripe's v0 test signatures) are not trusted.
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed("no t"))?;
        if signatures.is_empty() {
            return Err(SignatureError::Malformed("no v1 signature"));
        }
        if now.timestamp().abs_diff(timestamp) > self.tolerance_secs.unsigned_abs() {
            return Err(SignatureError::Expired {
                tolerance_secs: self.tolerance_secs,
            });
        }
        for secret in &self.secrets {
            let expected = mac(secret, timestamp, body);
            if signatures
                .iter()
                .any(|s| bool::from(s.as_slice().ct_eq(expected.as_slice())))
            {
                return Ok(());
            }
        }
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_with_any_active_secret_within_the_tolerance() {
        let now = Utc::now();
        let body = br#"{"a":1}"#;
        let secrets = Secrets::new(["old".to_owned(), " new ".to_owned()], 300);
        let signed = header("new", now.timestamp(), body);
        assert_eq!(secrets.check(&signed, body, now), Ok(()));
        assert_eq!(
            secrets.check(&signed, br#"{"a":2}"#, now),
            Err(SignatureError::Mismatch)
        );
        let late = header("new", now.timestamp() - 301, body);
        assert_eq!(
            secrets.check(&late, body, now),
            Err(SignatureError::Expired {
                tolerance_secs: 300
            })
        );
        assert!(matches!(
            secrets.check("v1=00", body, now),
            Err(SignatureError::Malformed(_))
        ));
        let none = Secrets::new([" ".to_owned()], 300);
        assert_eq!(
            none.check(&signed, body, now),
            Err(SignatureError::Mismatch)
        );
    }
}
