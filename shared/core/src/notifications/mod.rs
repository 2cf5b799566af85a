//! Mails to customers about their orders: confirmation when paid, shipment with the parcels'
//! tracking numbers, refund when a credit memo is refunded. Each mail is kept as a record
//! under an id naming the order and the mail, so it is sent once however often its event
//! comes; a mail the mail service did not take waits as `pending` for the retry run and is
//! parked as `failed` after [`MAX_ATTEMPTS`]. [`notifier::Notifier`] is the use case.

pub mod money_format;
pub mod notifier;
pub mod templates;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use money_format::format_money;
pub use templates::{Content, Parcel, Rendered, Template, render};

use crate::ids::{Email, EventId, OrderId};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Tries of a mail before it is parked as `failed`.
pub const MAX_ATTEMPTS: u32 = 5;

/// One e-mail to one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    /// Names the mail: the same id is the same mail.
    pub id: String,
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Error)]
pub enum NotifyError {
    /// Worth another try: the service did not answer or asked to slow down.
    #[error("the mail service is unavailable")]
    Unavailable(#[source] BoxError),
    /// The service will not send this mail (a rejected address, an unverified sender).
    #[error("the mail service refused the mail: {0}")]
    Refused(String),
}

/// Sends e-mail: Amazon SES in AWS, the store's mailbox locally.
#[async_trait]
pub trait Notifications: Send + Sync {
    async fn send(&self, message: &EmailMessage) -> Result<(), NotifyError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Not sent yet: being sent, or waiting for the retry run.
    Pending,
    Sent,
    /// Given up after [`MAX_ATTEMPTS`], or refused by the mail service.
    Failed,
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "pending",
            NotificationStatus::Sent => "sent",
            NotificationStatus::Failed => "failed",
        }
    }
}

/// A customer mail and how sending it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// `<order id>:<template>`, and for a refund `:<credit memo id>`.
    pub id: String,
    pub template: Template,
    pub order_id: OrderId,
    /// The event that asked for it.
    pub event_id: EventId,
    pub message: EmailMessage,
    pub status: NotificationStatus,
    /// Sends tried so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The retry run sends a pending mail from then on.
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl Notification {
    /// Whether `id` has the shape of a mail's id: an order id, a template, and for a refund
    /// the credit memo's id.
    pub fn is_id(id: &str) -> bool {
        let mut parts = id.split(':');
        let order = parts.next().and_then(|o| o.strip_prefix("ord_"));
        let order_fits =
            order.is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let memo_fits = |m: &str| {
            (1..=80).contains(&m.len())
                && m.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        order_fits
            && match (parts.next(), parts.next(), parts.next()) {
                (Some("order_confirmation" | "shipment"), None, None) => true,
                (Some("refund"), Some(memo), None) => memo_fits(memo),
                _ => false,
            }
    }

    /// Its place in the lists by status: by its last change.
    pub fn position(&self) -> String {
        crate::listing::position(self.updated_at, &self.id)
    }
}
