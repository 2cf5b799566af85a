//! Errors of the domain rules and of the use cases.

use thiserror::Error;

use crate::cart::CartStatus;
use crate::ids::{InvalidValue, Sku};
use crate::money::{Currency, MoneyError};
use crate::order::{OrderEvent, OrderStatus, PaymentStatus};
use crate::ports::StoreError;

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
    #[error("an order cannot close while its payment is {payment_status:?}")]
    PaymentNotCaptured { payment_status: PaymentStatus },
    #[error("at most {returnable} of {sku} can still be returned")]
    ReturnExceedsOrder { sku: Sku, returnable: u32 },
    #[error("unknown discount code {code:?} for this cart")]
    UnknownDiscountCode { code: String },
}

/// Why a use case failed; the HTTP edge maps each to one status in one place.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("unknown product {sku}")]
    UnknownProduct { sku: String },
    #[error("this customer is already registered")]
    AlreadyRegistered,
    #[error("the e-mail address is already registered")]
    EmailTaken,
    #[error("only {available} of {sku} in stock")]
    OutOfStock { sku: Sku, available: i64 },
    #[error("the price of {sku} changed; the cart now shows the current price")]
    PriceChanged { sku: Sku },
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    #[error("the record changed concurrently; retry the request")]
    Conflict,
    #[error("the store failed")]
    Store(#[source] StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => AppError::Conflict,
            StoreError::EmailTaken => AppError::EmailTaken,
            StoreError::AlreadyExists => AppError::AlreadyRegistered,
            other => AppError::Store(other),
        }
    }
}

impl From<MoneyError> for AppError {
    fn from(e: MoneyError) -> Self {
        AppError::Domain(DomainError::Money(e))
    }
}
