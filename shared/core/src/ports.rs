//! Ports: what the use cases need from the outside world.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::cart::Cart;
use crate::catalog::{Product, ProductDetails};
use crate::customer::Customer;
use crate::events::OutboxEvent;
use crate::ids::{CartId, CustomerId, OrderId, Sku};
use crate::order::Order;

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A conditional write lost to a concurrent one (stale `version`).
    #[error("the record was changed concurrently")]
    Conflict,
    #[error("the record already exists")]
    AlreadyExists,
    #[error("the e-mail address belongs to another customer")]
    EmailTaken,
    #[error("the store is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("a stored record could not be read: {0}")]
    Corrupt(String),
}

/// Why placing an order was refused. The store checks each condition atomically.
#[derive(Debug, Error)]
pub enum PlaceOrderError {
    #[error("only {available} of {sku} in stock")]
    OutOfStock { sku: Sku, available: i64 },
    #[error("the price of {sku} is no longer the cart's price")]
    PriceChanged { sku: Sku },
    #[error("product {sku} is not available")]
    ProductUnavailable { sku: Sku },
    #[error("the cart changed since it was read")]
    CartChanged,
    #[error("an order with this id exists")]
    OrderExists,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Everything a checkout writes, all or nothing.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub order: Order,
    /// The cart as converted; written only if the stored cart is still at `expected_cart_version`.
    pub cart: Cart,
    pub expected_cart_version: u64,
    pub event: OutboxEvent,
}

/// A change of an existing order, all or nothing.
#[derive(Debug, Clone)]
pub struct OrderChange {
    pub order: Order,
    pub expected_version: u64,
    /// Units to put back on the shelf at the order's location.
    pub restock: Vec<(Sku, u32)>,
    pub event: OutboxEvent,
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn product(&self, sku: &Sku) -> Result<Option<Product>, StoreError>;
    /// Every product, ordered by sku.
    async fn products(&self) -> Result<Vec<Product>, StoreError>;
    /// Creates a product or changes its description and prices; stock is left as it is.
    async fn upsert_product(&self, details: &ProductDetails) -> Result<(), StoreError>;
    /// Adds (or with a negative delta removes) units at a location; never below zero.
    async fn adjust_stock(&self, sku: &Sku, location: &str, delta: i64) -> Result<(), StoreError>;
}

#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Stores a new customer; `AlreadyExists` for a known id, `EmailTaken` for a known e-mail.
    async fn create_customer(&self, customer: &Customer) -> Result<(), StoreError>;
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError>;
    /// Replaces `previous` (matched by its version) with `next`, moving the e-mail claim if it changed.
    async fn update_customer(&self, previous: &Customer, next: &Customer)
    -> Result<(), StoreError>;
}

#[async_trait]
pub trait CartStore: Send + Sync {
    async fn create_cart(&self, cart: &Cart) -> Result<(), StoreError>;
    async fn cart(&self, id: &CartId) -> Result<Option<Cart>, StoreError>;
    /// Replaces the cart if the stored one is still at `expected_version`.
    async fn save_cart(&self, cart: &Cart, expected_version: u64) -> Result<(), StoreError>;
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// In one transaction: creates the order (refused if its id exists), takes each line's
    /// units from stock if the price is unchanged and enough are on hand, converts the cart
    /// and records the outbox event.
    async fn place_order(&self, request: &PlaceOrder) -> Result<(), PlaceOrderError>;
    async fn order(&self, id: &OrderId) -> Result<Option<Order>, StoreError>;
    /// A customer's orders, newest first.
    async fn orders_for_customer(
        &self,
        customer_key: &str,
        limit: usize,
    ) -> Result<Vec<Order>, StoreError>;
    /// In one transaction: replaces the order at `expected_version`, restocks, records the event.
    async fn change_order(&self, change: &OrderChange) -> Result<(), StoreError>;
}

/// Everything the storefront keeps.
pub trait Store: CatalogStore + CustomerStore + CartStore + OrderStore {}

impl<T: CatalogStore + CustomerStore + CartStore + OrderStore> Store for T {}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
