//! Why a use case failed: a rule said no ([`DomainError`]), something was not found or taken,
//! a race was lost, or the store failed.

use thiserror::Error;

use crate::error::DomainError;
use crate::ids::Sku;
use crate::money::MoneyError;
use crate::ports::StoreError;

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
    /// The order-events queue did not take a message (or none is configured).
    #[error("the queue is unavailable; retry the request")]
    QueueUnavailable,
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
