//! Events that leave the store through the outbox: every change of a customer or an order,
//! and of a big cart, with the record as it is after the change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cart::Cart;
use crate::customer::Customer;
use crate::ids::{CustomerKey, EventId};
use crate::order::Order;
use crate::payments::record::Payment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "customer.registered")]
    CustomerRegistered,
    /// The profile changed (name, e-mail, phone, company, addresses).
    #[serde(rename = "customer.updated")]
    CustomerUpdated,
    #[serde(rename = "order.placed")]
    OrderPlaced,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "order.return_requested")]
    ReturnRequested,
    #[serde(rename = "order.paid")]
    OrderPaid,
    /// Allocated to the locations that ship it; its fulfilment orders are out.
    #[serde(rename = "order.fulfilling")]
    OrderFulfilling,
    #[serde(rename = "order.shipped")]
    OrderShipped,
    #[serde(rename = "order.delivered")]
    OrderDelivered,
    /// Items cancelled before shipment, a return received, or a credit memo refunded.
    #[serde(rename = "order.changed")]
    OrderChanged,
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
    /// A big cart changed (see [`crate::cart::big`]): its Opportunity follows it.
    #[serde(rename = "cart.updated")]
    CartUpdated,
}

/// What an event is about, as it is after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// One per change, moved rather than copied around: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Subject {
    Order {
        order: Order,
        /// The payment the change is about, for payment events.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payment: Option<Payment>,
    },
    Customer {
        customer: Customer,
    },
    Cart {
        cart: Cart,
    },
}

/// One state change, written in the same transaction as the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    pub event_id: EventId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// Messages of one customer are delivered in order under this key.
    pub customer_key: CustomerKey,
    pub occurred_at: DateTime<Utc>,
    pub subject: Subject,
}

impl OutboxEvent {
    pub fn for_order(event_type: EventType, order: &Order, now: DateTime<Utc>) -> OutboxEvent {
        OutboxEvent {
            event_id: EventId::random(),
            event_type,
            customer_key: order.customer.customer_key.clone(),
            occurred_at: now,
            subject: Subject::Order {
                order: order.clone(),
                payment: None,
            },
        }
    }

    pub fn for_payment(
        event_type: EventType,
        order: &Order,
        payment: &Payment,
        now: DateTime<Utc>,
    ) -> OutboxEvent {
        OutboxEvent {
            subject: Subject::Order {
                order: order.clone(),
                payment: Some(payment.clone()),
            },
            ..OutboxEvent::for_order(event_type, order, now)
        }
    }

    pub fn for_customer(
        event_type: EventType,
        customer: &Customer,
        now: DateTime<Utc>,
    ) -> OutboxEvent {
        OutboxEvent {
            event_id: EventId::random(),
            event_type,
            customer_key: CustomerKey::customer(&customer.id),
            occurred_at: now,
            subject: Subject::Customer {
                customer: customer.clone(),
            },
        }
    }

    /// A registered customer's cart changed; its messages keep their place among the
    /// customer's (a guest's cart has no customer to send for).
    pub fn for_cart(
        event_type: EventType,
        cart: &Cart,
        customer: &crate::ids::CustomerId,
        now: DateTime<Utc>,
    ) -> OutboxEvent {
        OutboxEvent {
            event_id: EventId::random(),
            event_type,
            customer_key: CustomerKey::customer(customer),
            occurred_at: now,
            subject: Subject::Cart { cart: cart.clone() },
        }
    }

    /// The order the event is about, if it is about one.
    pub fn order(&self) -> Option<&Order> {
        match &self.subject {
            Subject::Order { order, .. } => Some(order),
            Subject::Customer { .. } | Subject::Cart { .. } => None,
        }
    }

    /// The order's or customer's id, for logs.
    pub fn subject_id(&self) -> &str {
        match &self.subject {
            Subject::Order { order, .. } => order.id.as_str(),
            Subject::Customer { customer } => customer.id.as_str(),
            Subject::Cart { cart } => cart.id.as_str(),
        }
    }
}
