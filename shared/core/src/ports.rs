//! Ports: what the use cases need from the outside world.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::accounts::StoreAccount;
use crate::approvals::{ApprovalRequest, ApprovalStatus};
use crate::cart::{Cart, CartStatus};
use crate::catalog::{Product, ProductDetails};
use crate::customer::Customer;
use crate::events::OutboxEvent;
use crate::exceptions::{ExceptionStatus, ProcessException};
use crate::from_crm::{ContactLink, CrmInboundWrite, CustomerChange};
use crate::fulfilment::allocation::LocationUnits;
use crate::fulfilment::{FulfilmentOrder, FulfilmentOrderId, FulfilmentStatus};
use crate::ids::{
    CartId, CrmId, CustomerId, CustomerKey, Email, EventId, LocationId, OrderId, PaymentRef, Sku,
};
use crate::jobs::JobRun;
use crate::notifications::{Notification, NotificationStatus};
use crate::order::Order;
use crate::order::lifecycle::OrderStatus;
use crate::payments::record::{Payment, PaymentEvent};
use crate::sync::settings::SyncSettings;
use crate::sync::status::{CartSync, CustomerSync, OrderSync, PriceSync, SyncState};

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
    #[error("only {available} of {sku} in stock at {location}")]
    OutOfStock {
        sku: Sku,
        location: LocationId,
        available: i64,
    },
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
    /// The units taken off each location's shelf, each only while that many are on hand: the
    /// order's allocation ([`crate::fulfilment::Allocation::stock_taken`]).
    pub stock_taken: Vec<LocationUnits>,
    /// The approvals the new order waits for, each new (version 1).
    pub approvals: Vec<ApprovalRequest>,
}

impl PlaceOrder {
    /// What the order asks of each product, in the order of the order's lines: the prices its
    /// lines were priced at, and the units taken at each location.
    pub fn products(&self) -> Vec<ProductTake<'_>> {
        let mut takes: Vec<ProductTake<'_>> = Vec::new();
        for line in &self.order.lines {
            match takes.iter_mut().find(|t| t.sku == &line.sku) {
                Some(take) if !take.unit_prices.contains(&line.unit_price.minor_units()) => {
                    take.unit_prices.push(line.unit_price.minor_units())
                }
                Some(_) => {}
                None => takes.push(ProductTake {
                    sku: &line.sku,
                    unit_prices: vec![line.unit_price.minor_units()],
                    units: Vec::new(),
                }),
            }
        }
        for (sku, units) in units_by_product(&self.stock_taken) {
            match takes.iter_mut().find(|t| t.sku == sku) {
                Some(take) => take.units = units,
                None => takes.push(ProductTake {
                    sku,
                    unit_prices: Vec::new(),
                    units,
                }),
            }
        }
        takes
    }
}

/// One product's part in placing an order: one conditional write, which a DynamoDB
/// transaction allows only once per item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTake<'a> {
    pub sku: &'a Sku,
    /// The order's unit prices of this product, in minor units of the order's currency; each
    /// must still be the catalog's price. (A cart holds one line, so one price, per product.)
    pub unit_prices: Vec<i64>,
    /// Units taken per location, each only while that many are on hand.
    pub units: Vec<(&'a LocationId, u64)>,
}

/// `units` per product, in the order each product is first named, its locations in the order
/// each is first named with it and their units added together.
pub fn units_by_product(units: &[LocationUnits]) -> Vec<(&Sku, Vec<(&LocationId, u64)>)> {
    let mut products: Vec<(&Sku, Vec<(&LocationId, u64)>)> = Vec::new();
    for (location, sku, n) in units {
        let at = match products.iter_mut().position(|(s, _)| *s == sku) {
            Some(i) => &mut products[i].1,
            None => {
                products.push((sku, Vec::new()));
                &mut products.last_mut().expect("just pushed").1
            }
        };
        match at.iter_mut().find(|(l, _)| *l == location) {
            Some((_, total)) => *total += u64::from(*n),
            None => at.push((location, u64::from(*n))),
        }
    }
    products
}

/// A change of an existing order, all or nothing.
#[derive(Debug, Clone)]
pub struct OrderChange {
    pub order: Order,
    pub expected_version: u64,
    /// Units to put back, each at the location it was taken from.
    pub restock: Vec<LocationUnits>,
    pub event: OutboxEvent,
    /// Approval requests raised (version 1) or decided (one version on) by the change.
    pub approvals: Vec<ApprovalRequest>,
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn product(&self, sku: &Sku) -> Result<Option<Product>, StoreError>;
    /// Every product, ordered by sku.
    async fn products(&self) -> Result<Vec<Product>, StoreError>;
    /// Creates a product or changes its description and prices; stock is left as it is.
    async fn upsert_product(&self, details: &ProductDetails) -> Result<(), StoreError>;
    /// Adds (or with a negative delta removes) units at a location; never below zero.
    async fn adjust_stock(
        &self,
        sku: &Sku,
        location: &LocationId,
        delta: i64,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Stores a new customer and records `event`; `AlreadyExists` for a known id,
    /// `EmailTaken` for a known e-mail.
    async fn create_customer(
        &self,
        customer: &Customer,
        event: &OutboxEvent,
    ) -> Result<(), StoreError>;
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError>;
    /// Replaces `previous` (matched by its version) with `next`, moving the e-mail claim if it
    /// changed, and records `event` and the change's `history`.
    async fn update_customer(
        &self,
        previous: &Customer,
        next: &Customer,
        event: &OutboxEvent,
        history: &[CustomerChange],
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait CartStore: Send + Sync {
    async fn create_cart(&self, cart: &Cart) -> Result<(), StoreError>;
    async fn cart(&self, id: &CartId) -> Result<Option<Cart>, StoreError>;
    /// Replaces the cart if the stored one is still at `expected_version`, and records
    /// `event` (a big cart's change) in the same transaction.
    async fn save_cart(
        &self,
        cart: &Cart,
        expected_version: u64,
        event: Option<&OutboxEvent>,
    ) -> Result<(), StoreError>;
    /// Carts now in `status` whose last change falls in `changed`, in the order of
    /// [`Cart::position`], under the same paging rules as [`OrderStore::orders_in_status`].
    async fn carts_in_status(
        &self,
        status: CartStatus,
        changed: &Period,
        page: &PageRequest,
    ) -> Result<Page<Cart>, StoreError>;
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
        customer_key: &CustomerKey,
        limit: usize,
    ) -> Result<Vec<Order>, StoreError>;
    /// In one transaction: replaces the order at `expected_version`, restocks, records the event.
    async fn change_order(&self, change: &OrderChange) -> Result<(), StoreError>;
    /// Orders now in `status` whose last change falls in `changed`, in the order of
    /// [`Order::position`], those after `page.after` only, `page.limit` at most: the scheduled
    /// jobs' reading (payments left pending, the day's orders and refunds).
    async fn orders_in_status(
        &self,
        status: OrderStatus,
        changed: &Period,
        page: &PageRequest,
    ) -> Result<Page<Order>, StoreError>;
}

/// A span of time: from `from` (included) to `until` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Period {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.until
    }
}

/// A message kept in the store's mailbox: the managers' daily report until mail is sent out
/// by a mail service, and locally the customers' mails (see [`crate::notifications`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    /// Names the message: delivering the same id twice is refused, so a job run twice mails once.
    pub id: String,
    pub to: Vec<Email>,
    pub subject: String,
    pub text: String,
    /// The HTML part, for mails that have one (customers' mails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    pub sent_at: DateTime<Utc>,
}

#[async_trait]
pub trait Mailbox: Send + Sync {
    /// Keeps `mail`; `AlreadyExists` when a mail with its id was delivered before.
    async fn deliver(&self, mail: &Mail) -> Result<(), StoreError>;
    /// The latest mails, newest first.
    async fn mails(&self, limit: usize) -> Result<Vec<Mail>, StoreError>;
}

/// An order's fulfilment started, all or nothing: the order moves on at the version it was read
/// at, and its fulfilment orders are created (refused if one exists), with the order's event.
#[derive(Debug, Clone)]
pub struct StartFulfilment {
    pub order: Order,
    pub expected_order_version: u64,
    pub fulfilment_orders: Vec<FulfilmentOrder>,
    pub event: OutboxEvent,
}

/// A shipment notice applied, all or nothing: the fulfilment order at the version it was read
/// at; the order checked at its version even when it does not move (notices for one order are
/// applied one after another), moved with its event when all its parcels say so.
#[derive(Debug, Clone)]
pub struct ShipmentChange {
    pub fulfilment_order: FulfilmentOrder,
    pub expected_version: u64,
    pub expected_order_version: u64,
    pub order: Option<Order>,
    pub event: Option<OutboxEvent>,
}

/// Fulfilment orders and their parcels.
#[async_trait]
pub trait FulfilmentStore: Send + Sync {
    /// `Conflict` if the order changed since it was read or its fulfilment started already.
    async fn start_fulfilment(&self, start: &StartFulfilment) -> Result<(), StoreError>;
    async fn fulfilment_orders(&self, order: &OrderId) -> Result<Vec<FulfilmentOrder>, StoreError>;
    async fn fulfilment_order(
        &self,
        id: &FulfilmentOrderId,
    ) -> Result<Option<FulfilmentOrder>, StoreError>;
    /// Fulfilment orders in `status`, by last change, under the paging rules of the sync lists.
    async fn fulfilment_orders_in_status(
        &self,
        status: FulfilmentStatus,
        page: &PageRequest,
    ) -> Result<Page<FulfilmentOrder>, StoreError>;
    /// Saves `fulfilment_order` over `expected_version` (`Conflict` otherwise).
    async fn save_fulfilment_order(
        &self,
        fulfilment_order: &FulfilmentOrder,
        expected_version: u64,
    ) -> Result<(), StoreError>;
    /// `Conflict` if the fulfilment order or the order changed since they were read.
    async fn record_shipment(&self, change: &ShipmentChange) -> Result<(), StoreError>;
}

/// Process exceptions, for operators.
#[async_trait]
pub trait ExceptionLog: Send + Sync {
    /// Keeps `exception`; `false` when one with its id was raised before (kept as it was).
    async fn raise(&self, exception: &ProcessException) -> Result<bool, StoreError>;
    async fn exception(&self, id: &str) -> Result<Option<ProcessException>, StoreError>;
    /// Saves a changed exception at its `version`, over the one before (`Conflict` if it
    /// changed meanwhile).
    async fn save_exception(&self, exception: &ProcessException) -> Result<(), StoreError>;
    /// Exceptions in `status`, oldest raised first, under the same paging rules as the sync
    /// lists.
    async fn exceptions(
        &self,
        status: ExceptionStatus,
        page: &PageRequest,
    ) -> Result<Page<ProcessException>, StoreError>;
}

/// What the store keeps of Salesforce's changes: the Contacts linked to customers, the
/// Accounts and their terms, the customers' change history, and which changes were applied.
#[async_trait]
pub trait CrmInboundStore: CustomerStore {
    async fn crm_change_applied(&self, event_id: &str) -> Result<bool, StoreError>;
    async fn contact_link(&self, contact: &CrmId) -> Result<Option<ContactLink>, StoreError>;
    async fn store_account(&self, id: &CrmId) -> Result<Option<StoreAccount>, StoreError>;
    /// The customer holding `email`, whatever its case.
    async fn customer_by_email(&self, email: &Email) -> Result<Option<Customer>, StoreError>;
    /// Writes a change all or nothing: `AlreadyApplied` for an event id written before,
    /// `Conflict` when a record is not at the version it was read at, `Store(EmailTaken)`
    /// when a customer's new e-mail belongs to another.
    async fn apply_crm_change(&self, write: &CrmInboundWrite) -> Result<(), SyncRecordError>;
    /// The customer's changes, newest first.
    async fn customer_history(
        &self,
        customer: &CustomerId,
        limit: usize,
    ) -> Result<Vec<CustomerChange>, StoreError>;
    /// An invited profile is claimed: `claimed` (its new id, the same e-mail) replaces
    /// `invited` (matched by version), the Contact's `link` follows it, and `event` and the
    /// claim's `history` are recorded. `AlreadyExists` when the new id has a profile.
    async fn claim_customer(
        &self,
        invited: &Customer,
        claimed: &Customer,
        link: &ContactLink,
        event: &OutboxEvent,
        history: &[CustomerChange],
    ) -> Result<(), StoreError>;
}

/// The approval requests, listed to managers by status.
#[async_trait]
pub trait ApprovalLog: Send + Sync {
    async fn approval(&self, id: &str) -> Result<Option<ApprovalRequest>, StoreError>;
    /// Saves a changed request at its `version`, over the one before (`Conflict` if it
    /// changed meanwhile). New and decided requests are written with their order's change
    /// ([`PlaceOrder::approvals`], [`OrderChange::approvals`]).
    async fn save_approval(&self, approval: &ApprovalRequest) -> Result<(), StoreError>;
    /// Requests in `status`, by last change, under the same paging rules as the sync lists.
    async fn approvals(
        &self,
        status: ApprovalStatus,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>, StoreError>;
    /// Requests [`ApprovalRequest::to_recall`], by last change, as above.
    async fn approvals_to_recall(
        &self,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>, StoreError>;
}

/// The customer mails kept by the store.
#[async_trait]
pub trait NotificationLog: Send + Sync {
    /// Keeps a new mail at version 1; `false` when one with its id exists (kept as it was).
    async fn record_notification(&self, notification: &Notification) -> Result<bool, StoreError>;
    async fn notification(&self, id: &str) -> Result<Option<Notification>, StoreError>;
    /// Saves a changed mail at its `version`, over the one before (`Conflict` otherwise).
    async fn save_notification(&self, notification: &Notification) -> Result<(), StoreError>;
    /// Mails in `status`, by last change, under the same paging rules as the sync lists.
    async fn notifications(
        &self,
        status: NotificationStatus,
        page: &PageRequest,
    ) -> Result<Page<Notification>, StoreError>;
}

/// The log of the scheduled jobs' runs, for operators.
#[async_trait]
pub trait JobLog: Send + Sync {
    /// Keeps `run` (for [`crate::jobs::JOB_RUN_MEMORY_DAYS`]).
    async fn record_run(&self, run: &JobRun) -> Result<(), StoreError>;
    /// The latest runs, newest first.
    async fn recent_runs(&self, limit: usize) -> Result<Vec<JobRun>, StoreError>;
}

/// What the storefront's use cases read and write: catalog, customers, carts and orders.
pub trait StorefrontStore:
    CatalogStore + CustomerStore + CartStore + OrderStore + CrmInboundStore
{
}

impl<T> StorefrontStore for T where
    T: CatalogStore + CustomerStore + CartStore + OrderStore + CrmInboundStore
{
}

/// Everything the store keeps, behind one table: what an adapter implements. Each use case
/// takes only the part it needs.
pub trait Store:
    StorefrontStore
    + PaymentStore
    + OutboxStore
    + SyncLedger
    + Mailbox
    + JobLog
    + ExceptionLog
    + FulfilmentStore
    + NotificationLog
    + ApprovalLog
    + CrmInboundStore
{
}

impl<T> Store for T where
    T: StorefrontStore
        + PaymentStore
        + OutboxStore
        + SyncLedger
        + Mailbox
        + JobLog
        + ExceptionLog
        + FulfilmentStore
        + NotificationLog
        + ApprovalLog
        + CrmInboundStore
{
}

/// Everything one payment report writes, all or nothing, and only once per report.
#[derive(Debug, Clone)]
pub struct PaymentChange {
    /// Recorded (with an expiry) so that the same report is never applied twice.
    pub webhook_event_id: String,
    /// The order is checked at this version even when unchanged: reports for one order are
    /// applied one after another.
    pub expected_order_version: u64,
    pub order: Option<Order>,
    /// `None` when the payment is new.
    pub expected_payment_version: Option<u64>,
    pub payment: Payment,
    /// Units to put back, each at the location it was taken from (only with an order change).
    pub restock: Vec<LocationUnits>,
    pub event: OutboxEvent,
    pub received_at: DateTime<Utc>,
    /// Raised with the change when the report needs an operator (a payment held for review).
    pub exception: Option<ProcessException>,
}

#[derive(Debug, Error)]
pub enum PaymentRecordError {
    #[error("this report was applied before")]
    AlreadyProcessed,
    #[error("the order or payment changed concurrently")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long a processed report id is remembered (gateways retry for up to three days).
pub const WEBHOOK_MEMORY_DAYS: i64 = 30;

#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// The order and one of its payments, read together.
    async fn order_and_payment(
        &self,
        order: &OrderId,
        payment_ref: &PaymentRef,
    ) -> Result<(Option<Order>, Option<Payment>), StoreError>;
    async fn record_payment(&self, change: &PaymentChange) -> Result<(), PaymentRecordError>;
    /// Keeps a report that names no known order, with the exception that shows it to
    /// operators, both or neither; `false` if it was kept before.
    async fn record_unmatched(
        &self,
        event: &PaymentEvent,
        received_at: DateTime<Utc>,
        exception: &ProcessException,
    ) -> Result<bool, StoreError>;
    async fn payments_for_order(&self, order: &OrderId) -> Result<Vec<Payment>, StoreError>;
    /// The order a known payment belongs to (reports such as disputes name only the payment).
    async fn order_for_payment(
        &self,
        payment_ref: &PaymentRef,
    ) -> Result<Option<OrderId>, StoreError>;
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Events not yet sent, oldest first.
    async fn unsent_events(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError>;
    async fn mark_sent(&self, event_id: &EventId) -> Result<(), StoreError>;
}

/// How long an applied event id is remembered: longer than a message can stay on the queue
/// (SQS keeps messages at most 14 days).
pub const APPLIED_EVENT_MEMORY_DAYS: i64 = 30;

/// What one sync writes, all or nothing. Each record carries its new `version`: version 1
/// is written only if the record is absent, version n only over version n - 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncChange {
    /// Recorded as applied, once: a second change naming the same event is refused.
    pub event_id: Option<EventId>,
    pub customer: Option<CustomerSync>,
    pub order: Option<OrderSync>,
    /// An abandoned cart's records.
    pub cart: Option<CartSync>,
    /// Prices created in Salesforce, remembered (written whatever was there).
    pub prices: Vec<PriceSync>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Error)]
pub enum SyncRecordError {
    #[error("the event was applied before")]
    AlreadyApplied,
    #[error("the sync status changed concurrently")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait SyncLedger: Send + Sync {
    /// The settings an operator saved, if any (the environment's defaults apply otherwise).
    async fn sync_settings(&self) -> Result<Option<SyncSettings>, StoreError>;
    /// Saves `settings` at its `version`, under the same rule as [`SyncChange`];
    /// `Conflict` if someone saved in between.
    async fn save_sync_settings(&self, settings: &SyncSettings) -> Result<(), StoreError>;
    async fn customer_sync(&self, key: &CustomerKey) -> Result<Option<CustomerSync>, StoreError>;
    async fn order_sync(&self, id: &OrderId) -> Result<Option<OrderSync>, StoreError>;
    async fn cart_sync(&self, id: &CartId) -> Result<Option<CartSync>, StoreError>;
    async fn event_applied(&self, id: &EventId) -> Result<bool, StoreError>;
    /// The prices of these keys known to be in Salesforce (at most 100 keys).
    async fn price_entries(&self, keys: &[String]) -> Result<Vec<PriceSync>, StoreError>;
    async fn record_sync(&self, change: &SyncChange) -> Result<(), SyncRecordError>;
    /// Orders whose sync is in `state` (as [`OrderSync::state`] says), in the order of their
    /// [`OrderSync::position`], those after `page.after` only, `page.limit` at most.
    async fn orders_in_sync_state(
        &self,
        state: SyncState,
        page: &PageRequest,
    ) -> Result<Page<OrderSync>, StoreError>;
    /// Customers whose sync is in `state`, under the same rules as orders.
    async fn customers_in_sync_state(
        &self,
        state: SyncState,
        page: &PageRequest,
    ) -> Result<Page<CustomerSync>, StoreError>;
    /// Abandoned carts whose sync is in `state`, under the same rules as orders.
    async fn carts_in_sync_state(
        &self,
        state: SyncState,
        page: &PageRequest,
    ) -> Result<Page<CartSync>, StoreError>;
}

/// Which part of a list to read: the items after the cursor `after` (a previous page's
/// `next`), `limit` at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn first(limit: usize) -> Self {
        PageRequest { limit, after: None }
    }
}

/// One page of a list; `next` is set when more may follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

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
