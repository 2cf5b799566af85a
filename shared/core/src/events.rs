//! Events that leave the store through the outbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerKey, EventId, OrderId};
use crate::order::Order;
use crate::payments::record::Payment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderEventType {
    #[serde(rename = "order.placed")]
    OrderPlaced,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "order.return_requested")]
    ReturnRequested,
    #[serde(rename = "order.paid")]
    OrderPaid,
    #[serde(rename = "order.payment_failed")]
    PaymentFailed,
    #[serde(rename = "order.refunded")]
    OrderRefunded,
    /// The payment changed without moving the order (authorised, partly refunded, disputed).
    #[serde(rename = "payment.updated")]
    PaymentUpdated,
    /// A payment that an operator must look at: amount mismatch, unknown order, money taken
    /// for a cancelled order.
    #[serde(rename = "payment.needs_review")]
    PaymentNeedsReview,
}

/// One state change of an order, written in the same transaction as the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    pub event_id: EventId,
    #[serde(rename = "type")]
    pub event_type: OrderEventType,
    pub order_id: OrderId,
    pub order_version: u64,
    /// Messages of one customer are delivered in order under this key.
    pub customer_key: CustomerKey,
    pub occurred_at: DateTime<Utc>,
    /// The order as it is after the change.
    pub order: Order,
    /// The payment the change is about, for payment events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
}

impl OutboxEvent {
    pub fn for_order(event_type: OrderEventType, order: &Order, now: DateTime<Utc>) -> OutboxEvent {
        OutboxEvent {
            event_id: EventId::random(),
            event_type,
            order_id: order.id.clone(),
            order_version: order.version,
            customer_key: order.customer.customer_key.clone(),
            occurred_at: now,
            order: order.clone(),
            payment: None,
        }
    }

    pub fn for_payment(
        event_type: OrderEventType,
        order: &Order,
        payment: &Payment,
        now: DateTime<Utc>,
    ) -> OutboxEvent {
        OutboxEvent {
            payment: Some(payment.clone()),
            ..OutboxEvent::for_order(event_type, order, now)
        }
    }
}
