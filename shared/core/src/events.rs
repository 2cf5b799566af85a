//! Events that leave the store through the outbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{EventId, OrderId};
use crate::order::Order;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderEventType {
    #[serde(rename = "order.placed")]
    OrderPlaced,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "order.return_requested")]
    ReturnRequested,
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
    pub customer_key: String,
    pub occurred_at: DateTime<Utc>,
    /// The order as it is after the change.
    pub order: Order,
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
        }
    }
}
