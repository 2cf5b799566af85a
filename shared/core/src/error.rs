//! What the domain rules refuse. Use cases add their own failures in [`crate::app_error`].

use thiserror::Error;

use crate::cart::status::CartStatus;
use crate::ids::{InvalidValue, Sku};
use crate::money::{Currency, Money, MoneyError};
use crate::order::lifecycle::{OrderEvent, OrderStatus, PaymentStatus};

/// A business rule said no.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("the request is invalid")]
    Invalid(Vec<InvalidValue>),
    #[error("product {sku} is not available")]
    ProductUnavailable { sku: Sku },
    #[error("product {sku} is not sold in {currency}")]
    NotSoldInCurrency { sku: Sku, currency: Currency },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("a cart holds at most {max} lines")]
    TooManyLines { max: usize },
    #[error("the cart is {status:?} and can no longer change")]
    CartClosed { status: CartStatus },
    #[error("the cart is empty")]
    EmptyCart,
    #[error("an e-mail address is required to check out as a guest")]
    GuestEmailRequired,
    #[error("an order that is {} cannot {event:?}", current.as_str())]
    InvalidTransition {
        current: OrderStatus,
        event: OrderEvent,
    },
    #[error("the {what} needs a manager's approval first")]
    ApprovalRequired { what: &'static str },
    #[error("the request was {status} already")]
    AlreadyDecided { status: &'static str },
    #[error("an order cannot close while its payment is {payment_status:?}")]
    PaymentNotCaptured { payment_status: PaymentStatus },
    #[error("at most {returnable} of {sku} can still be returned")]
    ReturnExceedsOrder { sku: Sku, returnable: u32 },
    #[error("at most {cancellable} of {sku} can still be cancelled")]
    CancelExceedsOrder { sku: Sku, cancellable: u32 },
    /// The order's figures cannot have come from any tax rate, so a change cannot work out
    /// the tax to give back.
    #[error("no tax rate gives this order's tax of {tax}")]
    TaxRateUnknown { tax: Money },
    #[error("unknown discount code {code:?} for this cart")]
    UnknownDiscountCode { code: String },
    /// Paying by purchase order needs an account whose payment terms are purchase order.
    #[error("payment method {method} is not allowed for this customer's account terms")]
    PaymentMethodNotAllowed { method: &'static str },
}
