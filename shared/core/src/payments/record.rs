//! A payment as the store knows it: what a gateway reports, and the record of one payment
//! built from every report received about it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{GatewayName, OrderId, PaymentRef};
use crate::money::Money;

/// What happened to a payment, as the gateway says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentEventKind {
    Authorized,
    Captured,
    Failed {
        reason: Option<String>,
    },
    Canceled,
    /// `refunded` is the total refunded so far, not this refund alone.
    Refunded {
        refunded: Money,
    },
    Disputed,
}

impl PaymentEventKind {
    /// The kind without its details, as kept in a payment's history.
    pub fn report_kind(&self) -> ReportKind {
        match self {
            PaymentEventKind::Authorized => ReportKind::Authorized,
            PaymentEventKind::Captured => ReportKind::Captured,
            PaymentEventKind::Failed { .. } => ReportKind::Failed,
            PaymentEventKind::Canceled => ReportKind::Canceled,
            PaymentEventKind::Refunded { .. } => ReportKind::Refunded,
            PaymentEventKind::Disputed => ReportKind::Disputed,
        }
    }

    pub fn name(&self) -> &'static str {
        self.report_kind().as_str()
    }
}

/// Which kind of report a payment's history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Authorized,
    Captured,
    Failed,
    Canceled,
    Refunded,
    Disputed,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Authorized => "authorized",
            ReportKind::Captured => "captured",
            ReportKind::Failed => "failed",
            ReportKind::Canceled => "canceled",
            ReportKind::Refunded => "refunded",
            ReportKind::Disputed => "disputed",
        }
    }
}

/// Card details safe to keep: never the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    pub brand: String,
    pub last4: String,
}

/// A verified gateway report about one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    /// The gateway's event id; a report with a known id is a replay.
    pub event_id: String,
    pub gateway: GatewayName,
    pub kind: PaymentEventKind,
    /// The order named in the payment's metadata, as sent.
    pub order_id: Option<String>,
    /// The gateway's payment id (a Stripe PaymentIntent id).
    pub payment_ref: PaymentRef,
    pub amount: Money,
    pub card: Option<CardSummary>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentRecordStatus {
    Authorized,
    Captured,
    Failed,
    Canceled,
    PartiallyRefunded,
    Refunded,
    Disputed,
    /// Something does not add up; an operator decides.
    NeedsReview,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentHistoryEntry {
    pub event_id: String,
    pub kind: ReportKind,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// One payment of an order, as known from every report received about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub order_id: OrderId,
    pub payment_ref: PaymentRef,
    pub gateway: GatewayName,
    pub status: PaymentRecordStatus,
    pub amount: Money,
    pub refunded: Money,
    pub card: Option<CardSummary>,
    pub review_reason: Option<String>,
    pub history: Vec<PaymentHistoryEntry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}
