//! Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`, HMAC-SHA256 over `"<t>.<raw body>"`.

use axum::http::HeaderMap;
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use storesync_core::ids::{GatewayName, PaymentRef};
use storesync_core::money::{Currency, Money};
use storesync_core::payments::{CardSummary, PaymentEvent, PaymentEventKind};
use storesync_web::signature::{self, Secrets};

use crate::gateway::{GatewayReport, PaymentGateway, WebhookError};

pub const SIGNATURE_HEADER: &str = "stripe-signature";
/// Stripe's default tolerance for the signature timestamp.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Stripe webhooks, verified against every active endpoint secret (several during a rotation).
#[derive(Debug, Clone)]
pub struct StripeGateway {
    secrets: Secrets,
}

impl StripeGateway {
    pub fn new(secrets: impl IntoIterator<Item = String>, tolerance_secs: i64) -> Self {
        StripeGateway {
            secrets: Secrets::new(secrets, tolerance_secs),
        }
    }

    /// The `v1` signature of a payload at a timestamp, as Stripe computes it.
    pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
        signature::sign(secret, timestamp, body)
    }

    /// A complete `Stripe-Signature` header value, for tests and tools.
    pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
        signature::header(secret, timestamp, body)
    }
}

#[derive(Debug, Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(deserialize_with = "storesync_web::json::whole_number")]
    created: i64,
    data: StripeData,
}

#[derive(Debug, Deserialize)]
struct StripeData {
    object: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct PaymentIntent {
    id: String,
    #[serde(deserialize_with = "storesync_web::json::whole_number")]
    amount: i64,
    #[serde(
        default,
        deserialize_with = "storesync_web::json::optional_whole_number"
    )]
    amount_received: Option<i64>,
    #[serde(
        default,
        deserialize_with = "storesync_web::json::optional_whole_number"
    )]
    amount_capturable: Option<i64>,
    currency: String,
    #[serde(default)]
    metadata: std::collections::HashMap<String, String>,
    #[serde(default)]
    last_payment_error: Option<PaymentError>,
}

#[derive(Debug, Deserialize)]
struct PaymentError {
    #[serde(default)]
    code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Charge {
    payment_intent: Option<String>,
    id: String,
    #[serde(deserialize_with = "storesync_web::json::whole_number")]
    amount: i64,
    #[serde(deserialize_with = "storesync_web::json::whole_number")]
    amount_refunded: i64,
    currency: String,
    #[serde(default)]
    metadata: std::collections::HashMap<String, String>,
    #[serde(default)]
    payment_method_details: Option<PaymentMethodDetails>,
}

#[derive(Debug, Deserialize)]
struct PaymentMethodDetails {
    card: Option<Card>,
}

#[derive(Debug, Deserialize)]
struct Card {
    brand: String,
    last4: String,
}

#[derive(Debug, Deserialize)]
struct Dispute {
    id: String,
    #[serde(deserialize_with = "storesync_web::json::whole_number")]
    amount: i64,
    currency: String,
    #[serde(default)]
    payment_intent: Option<String>,
    #[serde(default)]
    metadata: std::collections::HashMap<String, String>,
}

fn money(minor: i64, currency: &str) -> Result<Money, WebhookError> {
    let currency: Currency =
        currency
            .to_ascii_uppercase()
            .parse()
            .map_err(|e: storesync_core::money::MoneyError| {
                WebhookError::MalformedEvent(e.to_string())
            })?;
    Ok(Money::new(minor, currency))
}

fn object<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    what: &str,
) -> Result<T, WebhookError> {
    serde_json::from_value(value).map_err(|e| WebhookError::MalformedEvent(format!("{what}: {e}")))
}

impl PaymentGateway for StripeGateway {
    fn name(&self) -> GatewayName {
        GatewayName::parse("stripe").expect("a valid gateway name")
    }

    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<GatewayReport, WebhookError> {
        let header = headers
            .get(SIGNATURE_HEADER)
            .ok_or(WebhookError::SignatureMissing("Stripe-Signature"))?
            .to_str()
            .map_err(|_| WebhookError::SignatureMalformed("not visible ASCII"))?;
        self.secrets.check(header, body, now)?;

        let event: StripeEvent = serde_json::from_slice(body)
            .map_err(|e| WebhookError::MalformedEvent(e.to_string()))?;
        let occurred_at = Utc.timestamp_opt(event.created, 0).single().unwrap_or(now);
        let report = |kind, order_id: Option<String>, payment_ref: String, amount, card| {
            let payment_ref = PaymentRef::parse(&payment_ref)
                .map_err(|e| WebhookError::MalformedEvent(e.to_string()))?;
            Ok(GatewayReport::Payment(PaymentEvent {
                event_id: event.id.clone(),
                gateway: self.name(),
                kind,
                order_id,
                payment_ref,
                amount,
                card,
                occurred_at,
            }))
        };
        match event.event_type.as_str() {
            kind @ ("payment_intent.amount_capturable_updated"
            | "payment_intent.succeeded"
            | "payment_intent.payment_failed"
            | "payment_intent.canceled") => {
                let intent: PaymentIntent = object(event.data.object, "payment intent")?;
                let (kind, minor) = match kind {
                    "payment_intent.amount_capturable_updated" => (
                        PaymentEventKind::Authorized,
                        intent.amount_capturable.unwrap_or(intent.amount),
                    ),
                    "payment_intent.succeeded" => (
                        PaymentEventKind::Captured,
                        intent.amount_received.unwrap_or(intent.amount),
                    ),
                    "payment_intent.payment_failed" => (
                        PaymentEventKind::Failed {
                            reason: intent.last_payment_error.and_then(|e| e.code),
                        },
                        intent.amount,
                    ),
                    _ => (PaymentEventKind::Canceled, intent.amount),
                };
                let amount = money(minor, &intent.currency)?;
                report(
                    kind,
                    intent.metadata.get("order_id").cloned(),
                    intent.id,
                    amount,
                    None,
                )
            }
            "charge.refunded" => {
                let charge: Charge = object(event.data.object, "charge")?;
                let refunded = money(charge.amount_refunded, &charge.currency)?;
                let amount = money(charge.amount, &charge.currency)?;
                let card =
                    charge
                        .payment_method_details
                        .and_then(|d| d.card)
                        .map(|c| CardSummary {
                            brand: c.brand,
                            last4: c.last4,
                        });
                report(
                    PaymentEventKind::Refunded { refunded },
                    charge.metadata.get("order_id").cloned(),
                    charge.payment_intent.unwrap_or(charge.id),
                    amount,
                    card,
                )
            }
            "charge.dispute.created" => {
                let dispute: Dispute = object(event.data.object, "dispute")?;
                let amount = money(dispute.amount, &dispute.currency)?;
                report(
                    PaymentEventKind::Disputed,
                    dispute.metadata.get("order_id").cloned(),
                    dispute.payment_intent.unwrap_or(dispute.id),
                    amount,
                    None,
                )
            }
            other => Ok(GatewayReport::Ignored {
                event_id: event.id,
                event_type: other.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const SECRET: &str = "whsec_test";

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE_HEADER, HeaderValue::from_str(value).unwrap());
        h
    }

    fn body() -> Vec<u8> {
        serde_json::json!({
            "id": "evt_1", "type": "payment_intent.succeeded", "created": 1_700_000_000,
            "data": {"object": {"id": "pi_1", "amount": 2900, "amount_received": 2900, "currency": "usd",
                                "metadata": {"order_id": "ord_00000000000000000000000000000000"}}}
        })
        .to_string()
        .into_bytes()
    }

    fn at(t: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(t, 0).unwrap()
    }

    #[test]
    fn a_signed_event_is_read() {
        let gw = StripeGateway::new([SECRET.to_owned()], 300);
        let h = headers(&StripeGateway::signature_header(
            SECRET,
            1_700_000_000,
            &body(),
        ));
        let GatewayReport::Payment(e) = gw.verify(&h, &body(), at(1_700_000_100)).unwrap() else {
            panic!("a payment event");
        };
        assert_eq!(e.kind, PaymentEventKind::Captured);
        assert_eq!(e.amount, Money::new(2900, Currency::USD));
        assert_eq!(e.payment_ref.as_str(), "pi_1");
    }

    #[test]
    fn any_active_secret_verifies_during_a_rotation() {
        let gw = StripeGateway::new(["whsec_old".to_owned(), SECRET.to_owned()], 300);
        let h = headers(&StripeGateway::signature_header(
            SECRET,
            1_700_000_000,
            &body(),
        ));
        assert!(gw.verify(&h, &body(), at(1_700_000_000)).is_ok());
        // Several v1 entries: one matching is enough.
        let sig = StripeGateway::sign(SECRET, 1_700_000_000, &body());
        let h = headers(&format!("t=1700000000,v1={},v1={sig}", "ab".repeat(32)));
        assert!(gw.verify(&h, &body(), at(1_700_000_000)).is_ok());
    }

    #[test]
    fn tampering_a_wrong_secret_or_an_old_timestamp_is_refused() {
        let gw = StripeGateway::new([SECRET.to_owned()], 300);
        let good = StripeGateway::signature_header(SECRET, 1_700_000_000, &body());
        let mut tampered = body();
        tampered[10] ^= 1;
        let now = at(1_700_000_000);
        assert_eq!(
            gw.verify(&headers(&good), &tampered, now),
            Err(WebhookError::SignatureMismatch)
        );
        let wrong = StripeGateway::signature_header("whsec_other", 1_700_000_000, &body());
        assert_eq!(
            gw.verify(&headers(&wrong), &body(), now),
            Err(WebhookError::SignatureMismatch)
        );
        assert!(matches!(
            gw.verify(&headers(&good), &body(), at(1_700_000_301)),
            Err(WebhookError::SignatureExpired { .. })
        ));
        assert!(matches!(
            gw.verify(&headers(&good), &body(), at(1_699_999_000)),
            Err(WebhookError::SignatureExpired { .. })
        ));
    }

    #[test]
    fn malformed_headers_are_named() {
        let gw = StripeGateway::new([SECRET.to_owned()], 300);
        let now = at(1_700_000_000);
        // The most negative timestamp is just old, not an overflow.
        assert!(matches!(
            gw.verify(&headers("t=-9223372036854775808,v1=00"), &body(), now),
            Err(WebhookError::SignatureExpired { .. })
        ));
        for bad in [
            "",
            "garbage",
            "t=abc,v1=00",
            "v1=00",
            "t=1700000000",
            "t=1700000000,v1=zz",
            "t=1,t=2,v1=00",
        ] {
            assert!(
                matches!(
                    gw.verify(&headers(bad), &body(), now),
                    Err(WebhookError::SignatureMalformed(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            gw.verify(&HeaderMap::new(), &body(), now),
            Err(WebhookError::SignatureMissing("Stripe-Signature"))
        );
    }

    #[test]
    fn unknown_types_are_ignored_after_verification() {
        let gw = StripeGateway::new([SECRET.to_owned()], 300);
        let body = br#"{"id":"evt_9","type":"customer.created","created":1700000000,"data":{"object":{}}}"#;
        let h = headers(&StripeGateway::signature_header(
            SECRET,
            1_700_000_000,
            body,
        ));
        assert_eq!(
            gw.verify(&h, body, at(1_700_000_000)),
            Ok(GatewayReport::Ignored {
                event_id: "evt_9".into(),
                event_type: "customer.created".into()
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn a_signature_verifies_only_its_own_body(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512), flip in 0usize..512) {
            let gw = StripeGateway::new([SECRET.to_owned()], 300);
            let now = at(1_700_000_000);
            let header = StripeGateway::signature_header(SECRET, 1_700_000_000, &body);
            let verdict = gw.secrets.check(&header, &body, now);
            proptest::prop_assert!(verdict.is_ok());
            if !body.is_empty() {
                let mut other = body.clone();
                other[flip % body.len()] ^= 0x40;
                proptest::prop_assert_eq!(gw.secrets.check(&header, &other, now), Err(storesync_web::signature::SignatureError::Mismatch));
            }
        }
    }
}
