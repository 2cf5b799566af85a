//! The order life cycle as one table: every status, every event, and which event moves which
//! status where. Anything not in the table is refused.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Fulfilling,
    Shipped,
    Delivered,
    Closed,
    Cancelled,
    ReturnRequested,
    Returned,
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Fulfilling,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Closed,
        OrderStatus::Cancelled,
        OrderStatus::ReturnRequested,
        OrderStatus::Returned,
        OrderStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilling => "fulfilling",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Closed => "closed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::ReturnRequested => "return_requested",
            OrderStatus::Returned => "returned",
            OrderStatus::Refunded => "refunded",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Authorized,
    Captured,
    Failed,
    PartiallyRefunded,
    Refunded,
    Disputed,
    /// Accepted on the account against a purchase order: no gateway payment, the account is
    /// invoiced; [`OrderEvent::InvoicePaid`] makes it `captured`.
    OnAccount,
}

/// What can happen to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderEvent {
    PaymentCaptured,
    Cancel,
    StartFulfilment,
    Ship,
    Deliver,
    Close,
    RequestReturn,
    ReceiveReturn,
    Refund,
    /// The gateway reports the payment refunded in full.
    PaymentRefunded,
    /// Checkout accepts an order paid by purchase order on its account: no card, it goes on
    /// to fulfilment as a paid order does.
    AcceptOnAccount,
    /// The account paid the invoice of an order accepted on account: its payment is captured
    /// and it may close. Its status does not change.
    InvoicePaid,
}

impl OrderEvent {
    pub const ALL: [OrderEvent; 12] = [
        OrderEvent::PaymentCaptured,
        OrderEvent::Cancel,
        OrderEvent::StartFulfilment,
        OrderEvent::Ship,
        OrderEvent::Deliver,
        OrderEvent::Close,
        OrderEvent::RequestReturn,
        OrderEvent::ReceiveReturn,
        OrderEvent::Refund,
        OrderEvent::PaymentRefunded,
        OrderEvent::AcceptOnAccount,
        OrderEvent::InvoicePaid,
    ];
}

/// The life cycle, as one table: (from, event) -> to. Anything not listed is refused.
pub const TRANSITIONS: &[(OrderStatus, OrderEvent, OrderStatus)] = {
    use OrderEvent as E;
    use OrderStatus as S;
    &[
        (S::PendingPayment, E::PaymentCaptured, S::Paid),
        (S::PendingPayment, E::Cancel, S::Cancelled),
        (S::Paid, E::Cancel, S::Cancelled),
        (S::Paid, E::StartFulfilment, S::Fulfilling),
        (S::Fulfilling, E::Ship, S::Shipped),
        (S::Shipped, E::Deliver, S::Delivered),
        (S::Delivered, E::Close, S::Closed),
        (S::Delivered, E::RequestReturn, S::ReturnRequested),
        (S::ReturnRequested, E::ReceiveReturn, S::Returned),
        (S::Returned, E::Refund, S::Refunded),
        // A partial return leaves items with the customer, who may return more of them later.
        (S::Refunded, E::RequestReturn, S::ReturnRequested),
        // The gateway refunded the whole payment: before fulfilment, or for returned goods.
        (S::PendingPayment, E::PaymentRefunded, S::Refunded),
        (S::Paid, E::PaymentRefunded, S::Refunded),
        (S::Delivered, E::PaymentRefunded, S::Refunded),
        (S::ReturnRequested, E::PaymentRefunded, S::Refunded),
        (S::Returned, E::PaymentRefunded, S::Refunded),
        // Paid by purchase order: accepted on the account, invoiced, paid later.
        (S::PendingPayment, E::AcceptOnAccount, S::Paid),
        (S::Paid, E::InvoicePaid, S::Paid),
        (S::Fulfilling, E::InvoicePaid, S::Fulfilling),
        (S::Shipped, E::InvoicePaid, S::Shipped),
        (S::Delivered, E::InvoicePaid, S::Delivered),
    ]
};
