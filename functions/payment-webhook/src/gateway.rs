//! A payment gateway, as the webhook sees it: it proves a request came from the gateway and
//! turns the gateway's event into a [`PaymentEvent`]. A second gateway is another adapter.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use storesync_core::ids::GatewayName;
use storesync_core::payments::PaymentEvent;
use storesync_web::signature::SignatureError;
use thiserror::Error;

/// What a verified request reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayReport {
    Payment(PaymentEvent),
    /// A verified event of a type storesync does not act on.
    Ignored {
        event_id: String,
        event_type: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    #[error("the {0} header is missing")]
    SignatureMissing(&'static str),
    #[error("the signature header is malformed: {0}")]
    SignatureMalformed(&'static str),
    #[error("the signature timestamp is outside the tolerance of {tolerance_secs} s")]
    SignatureExpired { tolerance_secs: i64 },
    #[error("no signature matches any active secret")]
    SignatureMismatch,
    #[error("the event could not be read: {0}")]
    MalformedEvent(String),
}

impl From<SignatureError> for WebhookError {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::Malformed(why) => WebhookError::SignatureMalformed(why),
            SignatureError::Expired { tolerance_secs } => {
                WebhookError::SignatureExpired { tolerance_secs }
            }
            SignatureError::Mismatch => WebhookError::SignatureMismatch,
        }
    }
}

pub trait PaymentGateway: Send + Sync {
    /// The route segment and the name kept on payment records, e.g. `stripe`.
    fn name(&self) -> GatewayName;

    /// Verifies the raw request before anything in it is trusted, then reads the event.
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<GatewayReport, WebhookError>;
}
