//! The adapter: `GET /v1/payment_intents/search` to find an order's payments, and
//! `POST /v1/payment_intents/{id}/capture` and `POST /v1/refunds` with an `Idempotency-Key`,
//! with the secret key.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use serde::Deserialize;
use storesync_core::ids::{GatewayName, PaymentRef};
use storesync_core::money::{Currency, Money};
use storesync_core::order::Order;
use storesync_core::payments::gateway::PaymentGateway;
use storesync_core::payments::reconcile::{
    GatewayError, GatewayPayment, GatewayPayments, GatewayState,
};

/// Where Stripe is and the key to ask it with.
#[derive(Clone)]
pub struct StripeConfig {
    /// `https://api.stripe.com`, or a local Stripe.
    pub api_base: String,
    /// A secret (or restricted, PaymentIntents read) key.
    pub secret_key: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl StripeConfig {
    pub fn new(secret_key: impl Into<String>) -> Self {
        StripeConfig {
            api_base: "https://api.stripe.com".into(),
            secret_key: secret_key.into(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// An order's payments at Stripe.
#[derive(Debug, Clone)]
pub struct StripePayments {
    http: reqwest::Client,
    config: StripeConfig,
}

#[derive(Deserialize)]
struct SearchResult {
    data: Vec<PaymentIntent>,
}

#[derive(Deserialize)]
struct PaymentIntent {
    id: String,
    amount: i64,
    #[serde(default)]
    amount_received: Option<i64>,
    currency: String,
    status: String,
    created: i64,
    #[serde(default)]
    canceled_at: Option<i64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Deserialize)]
struct Refund {
    id: String,
}

impl StripePayments {
    /// A form POST with an idempotency key; Stripe answers the same key with the first answer.
    async fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
        key: &str,
    ) -> Result<bytes::Bytes, GatewayError> {
        let url = format!("{}{path}", self.config.api_base.trim_end_matches('/'));
        let response = self
            .http
            .post(url)
            .bearer_auth(&self.config.secret_key)
            .header("Idempotency-Key", key)
            .form(form)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        answer(response).await
    }

    pub fn new(config: StripeConfig) -> Result<Self, GatewayError> {
        // Stripe's certificates chain to public roots, compiled in as for the other clients.
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| GatewayError::Refused(e.to_string()))?;
        let http = reqwest::Client::builder()
            .tls_certs_only(roots)
            .timeout(config.timeout)
            .build()
            .map_err(|e| GatewayError::Refused(e.to_string()))?;
        Ok(StripePayments { http, config })
    }
}

/// Stripe's search syntax: a quoted value with its quotes and backslashes escaped.
fn search_value(raw: &str) -> String {
    raw.replace('\\', "\\\\").replace('\'', "\\'")
}

fn state(status: &str) -> GatewayState {
    match status {
        "succeeded" => GatewayState::Succeeded,
        "canceled" => GatewayState::Canceled,
        // requires_payment_method, requires_confirmation, requires_action, processing,
        // requires_capture: the shopper or Stripe may still complete it.
        _ => GatewayState::Open,
    }
}

#[async_trait]
impl GatewayPayments for StripePayments {
    async fn payments_of(&self, order: &Order) -> Result<Vec<GatewayPayment>, GatewayError> {
        let query = format!("metadata['order_id']:'{}'", search_value(order.id.as_str()));
        let url = url::Url::parse_with_params(
            &format!(
                "{}/v1/payment_intents/search",
                self.config.api_base.trim_end_matches('/')
            ),
            [("query", query.as_str()), ("limit", "100")],
        )
        .map_err(|e| GatewayError::Refused(format!("the Stripe address: {e}")))?;
        let response = self
            .http
            .get(url)
            .bearer_auth(&self.config.secret_key)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        let body = answer(response).await?;
        let found: SearchResult = serde_json::from_slice(&body)
            .map_err(|e| GatewayError::Refused(format!("unreadable search result: {e}")))?;
        let gateway = GatewayName::parse("stripe").expect("a valid gateway name");
        found
            .data
            .into_iter()
            .map(|intent| {
                let currency: Currency = intent
                    .currency
                    .to_ascii_uppercase()
                    .parse()
                    .map_err(|e| GatewayError::Refused(format!("{}: {e}", intent.id)))?;
                let state = state(&intent.status);
                let minor = match state {
                    GatewayState::Succeeded => intent.amount_received.unwrap_or(intent.amount),
                    _ => intent.amount,
                };
                let at = intent.canceled_at.unwrap_or(intent.created);
                Ok(GatewayPayment {
                    gateway: gateway.clone(),
                    payment_ref: PaymentRef::parse(&intent.id)
                        .map_err(|e| GatewayError::Refused(e.to_string()))?,
                    state,
                    amount: Money::new(minor, currency),
                    changed_at: Utc.timestamp_opt(at, 0).single().unwrap_or_else(Utc::now),
                })
            })
            .collect()
    }
}

/// Stripe's answer: its body, or the error it names. Its server errors and rate limits pass;
/// anything else it refused.
async fn answer(response: reqwest::Response) -> Result<bytes::Bytes, GatewayError> {
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
    if status.is_success() {
        return Ok(body);
    }
    let detail = serde_json::from_slice::<ErrorBody>(&body).ok();
    let message = match detail {
        Some(ErrorBody { error }) => match error.code {
            Some(code) => format!("{code}: {}", error.message),
            None => error.message,
        },
        None => String::from_utf8_lossy(&body).into_owned(),
    };
    let text = format!("{status}: {message}");
    Err(if status.is_server_error() || status.as_u16() == 429 {
        GatewayError::Unavailable(text)
    } else {
        GatewayError::Refused(text)
    })
}

#[async_trait]
impl PaymentGateway for StripePayments {
    async fn capture(
        &self,
        payment: &PaymentRef,
        amount: Money,
        key: &str,
    ) -> Result<(), GatewayError> {
        let path = format!("/v1/payment_intents/{payment}/capture");
        self.post(
            &path,
            &[("amount_to_capture", amount.minor_units().to_string())],
            key,
        )
        .await
        .map(|_| ())
    }

    async fn refund(
        &self,
        payment: &PaymentRef,
        amount: Money,
        key: &str,
    ) -> Result<String, GatewayError> {
        let form = [
            ("payment_intent", payment.to_string()),
            ("amount", amount.minor_units().to_string()),
        ];
        let body = self.post("/v1/refunds", &form, key).await?;
        let refund: Refund = serde_json::from_slice(&body)
            .map_err(|e| GatewayError::Refused(format!("unreadable refund: {e}")))?;
        Ok(refund.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_values_escape_quotes_and_backslashes() {
        assert_eq!(search_value("ord_1"), "ord_1");
        assert_eq!(search_value(r"a'b\c"), r"a\'b\\c");
    }

    #[test]
    fn only_succeeded_and_canceled_are_final() {
        assert_eq!(state("succeeded"), GatewayState::Succeeded);
        assert_eq!(state("canceled"), GatewayState::Canceled);
        for open in [
            "requires_payment_method",
            "processing",
            "requires_action",
            "requires_capture",
        ] {
            assert_eq!(state(open), GatewayState::Open);
        }
    }
}
