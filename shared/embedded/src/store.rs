use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use storesync_core::approvals::{ApprovalRequest, ApprovalStatus};
use storesync_core::cart::{Cart, CartStatus};
use storesync_core::catalog::{Product, ProductDetails};
use storesync_core::customer::Customer;
use storesync_core::events::OutboxEvent;
use storesync_core::exceptions::{ExceptionStatus, ProcessException};
use storesync_core::from_crm::CustomerChange;
use storesync_core::fulfilment::LocationUnits;
use storesync_core::fulfilment::{FulfilmentOrder, FulfilmentOrderId, FulfilmentStatus};
use storesync_core::ids::{
    CartId, CustomerId, CustomerKey, EventId, LocationId, OrderId, PaymentRef, Sku,
};
use storesync_core::jobs::JobRun;
use storesync_core::order::Order;
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::payments::{Payment, PaymentEvent};
use storesync_core::ports::units_by_product;
use storesync_core::ports::{
    ApprovalLog, CartStore, CatalogStore, CustomerStore, ExceptionLog, FulfilmentStore, JobLog,
    Mail, Mailbox, OrderChange, OrderStore, OutboxStore, Page, PageRequest, PaymentChange,
    PaymentRecordError, PaymentStore, Period, PlaceOrder, PlaceOrderError, ShipmentChange,
    StartFulfilment, StoreError,
};

/// Units as a stock count (a count past `i64::MAX` is not held by any shelf).
fn units_i64(units: u64) -> i64 {
    i64::try_from(units).unwrap_or(i64::MAX)
}

/// One page of `records` by last change within `changed`, as the DynamoDB adapter reads it.
fn by_last_change<'a, T: Clone + 'a>(
    records: impl Iterator<Item = &'a T>,
    changed_at: fn(&T) -> DateTime<Utc>,
    position: fn(&T) -> String,
    changed: &Period,
    page: &PageRequest,
) -> Page<T> {
    let mut items: Vec<T> = records
        .filter(|r| changed.from <= changed_at(r) && changed_at(r) < changed.until)
        .filter(|r| page.after.as_ref().is_none_or(|after| position(r) > *after))
        .cloned()
        .collect();
    items.sort_by_key(position);
    items.truncate(page.limit);
    let next = (items.len() == page.limit && page.limit > 0)
        .then(|| items.last().map(position))
        .flatten();
    Page { items, next }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct State {
    products: BTreeMap<Sku, Product>,
    pub(crate) customers: BTreeMap<CustomerId, Customer>,
    /// Lowercased e-mail -> the customer holding it.
    pub(crate) emails: BTreeMap<String, CustomerId>,
    carts: BTreeMap<CartId, Cart>,
    orders: BTreeMap<OrderId, Order>,
    outbox: BTreeMap<EventId, OutboxEntry>,
    payments: BTreeMap<(OrderId, PaymentRef), Payment>,
    /// Payment reports applied, by the gateway's event id.
    webhooks: BTreeMap<String, DateTime<Utc>>,
    unmatched: BTreeMap<String, PaymentEvent>,
    /// The sync's ledger (see `sync.rs`).
    pub(crate) sync: crate::sync::SyncState,
    mails: BTreeMap<String, Mail>,
    job_runs: Vec<JobRun>,
    exceptions: BTreeMap<String, ProcessException>,
    approvals: BTreeMap<String, ApprovalRequest>,
    /// Salesforce's changes (see `from_crm.rs`).
    pub(crate) from_crm: crate::from_crm::FromCrmState,
    fulfilment: BTreeMap<FulfilmentOrderId, FulfilmentOrder>,
    /// Customers' mails (see `notifications.rs`).
    pub(crate) notifications: BTreeMap<String, storesync_core::notifications::Notification>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct OutboxEntry {
    event: OutboxEvent,
    sent_at: Option<DateTime<Utc>>,
}

impl State {
    pub(crate) fn record_event(&mut self, event: &OutboxEvent) {
        let entry = OutboxEntry {
            event: event.clone(),
            sent_at: None,
        };
        self.outbox.insert(event.event_id.clone(), entry);
    }

    /// Whether each request may be written: a new one (version 1) only if none has its id,
    /// a changed one only over the version before it.
    fn approvals_fit(&self, approvals: &[ApprovalRequest]) -> bool {
        approvals.iter().all(|a| {
            let stored = self.approvals.get(&a.id).map(|s| s.version);
            match a.version {
                1 => stored.is_none(),
                v => stored == Some(v - 1),
            }
        })
    }

    fn write_approvals(&mut self, approvals: &[ApprovalRequest]) {
        for approval in approvals {
            self.approvals.insert(approval.id.clone(), approval.clone());
        }
    }

    /// Puts units back, each at its location: one write per product, as in DynamoDB.
    fn restock(&mut self, restock: &[LocationUnits]) -> Result<(), StoreError> {
        let products = units_by_product(restock);
        if products
            .iter()
            .any(|(sku, _)| !self.products.contains_key(*sku))
        {
            return Err(StoreError::Conflict);
        }
        for (sku, units) in products {
            let product = self.products.get_mut(sku).expect("checked above");
            for (location, n) in units {
                let on_hand = product.available(location);
                product
                    .stock
                    .insert(location.clone(), on_hand.saturating_add(units_i64(n)));
            }
            product.version += 1;
        }
        Ok(())
    }
}

/// The whole store in memory, behind one lock: every operation is atomic, as a DynamoDB
/// conditional write or transaction is.
#[derive(Debug, Default)]
pub struct EmbeddedStore {
    state: Mutex<State>,
}

impl EmbeddedStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change: every method
        // checks all conditions before it writes anything.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Everything stored, as JSON, for comparing the store before and after a request.
    pub fn snapshot(&self) -> serde_json::Value {
        let s = self.state().clone();
        serde_json::json!({
            "products": s.products.values().collect::<Vec<_>>(),
            "customers": s.customers.values().collect::<Vec<_>>(),
            "emails": s.emails,
            "carts": s.carts.values().collect::<Vec<_>>(),
            "orders": s.orders.values().collect::<Vec<_>>(),
            "outbox": s.outbox.values().collect::<Vec<_>>(),
            "payments": s.payments.values().collect::<Vec<_>>(),
            "webhooks": s.webhooks,
            "unmatched": s.unmatched,
            "sync": s.sync.snapshot(),
            "mails": s.mails.values().collect::<Vec<_>>(),
            "job_runs": s.job_runs,
            "exceptions": s.exceptions.values().collect::<Vec<_>>(),
            "approvals": s.approvals.values().collect::<Vec<_>>(),
            "from_crm": s.from_crm,
            "fulfilment": s.fulfilment.values().collect::<Vec<_>>(),
        })
    }
}

#[async_trait]
impl CatalogStore for EmbeddedStore {
    async fn product(&self, sku: &Sku) -> Result<Option<Product>, StoreError> {
        Ok(self.state().products.get(sku).cloned())
    }

    async fn products(&self) -> Result<Vec<Product>, StoreError> {
        Ok(self.state().products.values().cloned().collect())
    }

    async fn upsert_product(&self, d: &ProductDetails) -> Result<(), StoreError> {
        let mut state = self.state();
        let entry = state
            .products
            .entry(d.sku.clone())
            .or_insert_with(|| Product {
                sku: d.sku.clone(),
                name: String::new(),
                category: String::new(),
                active: false,
                prices: BTreeMap::new(),
                stock: BTreeMap::new(),
                version: 0,
            });
        entry.name = d.name.clone();
        entry.category = d.category.clone();
        entry.active = d.active;
        entry.prices = d.prices.clone();
        entry.version += 1;
        Ok(())
    }

    async fn adjust_stock(
        &self,
        sku: &Sku,
        location: &LocationId,
        delta: i64,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let product = state.products.get_mut(sku).ok_or(StoreError::Conflict)?;
        let on_hand = product.available(location);
        if on_hand + delta < 0 {
            return Err(StoreError::Conflict);
        }
        product.stock.insert(location.clone(), on_hand + delta);
        product.version += 1;
        Ok(())
    }
}

#[async_trait]
impl CustomerStore for EmbeddedStore {
    async fn create_customer(&self, c: &Customer, event: &OutboxEvent) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.customers.contains_key(&c.id) {
            return Err(StoreError::AlreadyExists);
        }
        let email = c.email.normalized();
        if state.emails.contains_key(&email) {
            return Err(StoreError::EmailTaken);
        }
        state.emails.insert(email, c.id.clone());
        state.customers.insert(c.id.clone(), c.clone());
        state.record_event(event);
        Ok(())
    }

    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        Ok(self.state().customers.get(id).cloned())
    }

    async fn update_customer(
        &self,
        previous: &Customer,
        next: &Customer,
        event: &OutboxEvent,
        history: &[CustomerChange],
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        match state.customers.get(&previous.id) {
            Some(stored) if stored.version == previous.version => {}
            _ => return Err(StoreError::Conflict),
        }
        let (old, new) = (previous.email.normalized(), next.email.normalized());
        if old != new {
            // As the DynamoDB delete's condition: the old claim must still be this customer's.
            if state.emails.get(&old) != Some(&previous.id) {
                return Err(StoreError::Conflict);
            }
            if state.emails.contains_key(&new) {
                return Err(StoreError::EmailTaken);
            }
            state.emails.remove(&old);
            state.emails.insert(new, next.id.clone());
        }
        state.customers.insert(next.id.clone(), next.clone());
        state.from_crm.history.extend(history.iter().cloned());
        state.record_event(event);
        Ok(())
    }
}

#[async_trait]
impl CartStore for EmbeddedStore {
    async fn create_cart(&self, cart: &Cart) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.carts.contains_key(&cart.id) {
            return Err(StoreError::AlreadyExists);
        }
        state.carts.insert(cart.id.clone(), cart.clone());
        Ok(())
    }

    async fn cart(&self, id: &CartId) -> Result<Option<Cart>, StoreError> {
        Ok(self.state().carts.get(id).cloned())
    }

    async fn carts_in_status(
        &self,
        status: CartStatus,
        changed: &Period,
        page: &PageRequest,
    ) -> Result<Page<Cart>, StoreError> {
        let state = self.state();
        let carts = state.carts.values().filter(|c| c.status == status);
        Ok(by_last_change(
            carts,
            |c| c.updated_at,
            Cart::position,
            changed,
            page,
        ))
    }

    async fn save_cart(
        &self,
        cart: &Cart,
        expected_version: u64,
        event: Option<&OutboxEvent>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        match state.carts.get(&cart.id) {
            Some(stored) if stored.version == expected_version => {
                state.carts.insert(cart.id.clone(), cart.clone());
                if let Some(event) = event {
                    state.record_event(event);
                }
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }
}

#[async_trait]
impl OrderStore for EmbeddedStore {
    async fn place_order(&self, p: &PlaceOrder) -> Result<(), PlaceOrderError> {
        let mut state = self.state();
        // Check every condition first, in the order the DynamoDB transaction lists them.
        if state.orders.contains_key(&p.order.id) {
            return Err(PlaceOrderError::OrderExists);
        }
        match state.carts.get(&p.cart.id) {
            Some(stored) if stored.version == p.expected_cart_version => {}
            _ => return Err(PlaceOrderError::CartChanged),
        }
        if !state.approvals_fit(&p.approvals) {
            return Err(StoreError::Conflict.into());
        }
        // One condition per product: active, at the order's prices, and each location
        // holding the units taken there.
        let takes = p.products();
        for take in &takes {
            let sku = take.sku;
            let product = state.products.get(sku);
            let Some(product) = product.filter(|p| p.active) else {
                return Err(PlaceOrderError::ProductUnavailable { sku: sku.clone() });
            };
            let price = product.price(p.order.currency).map(|m| m.minor_units());
            if take.unit_prices.iter().any(|unit| price != Some(*unit)) {
                return Err(PlaceOrderError::PriceChanged { sku: sku.clone() });
            }
            for (location, units) in &take.units {
                let available = product.available(location);
                if available < units_i64(*units) {
                    return Err(PlaceOrderError::OutOfStock {
                        sku: sku.clone(),
                        location: (*location).clone(),
                        available,
                    });
                }
            }
        }
        for take in &takes {
            let product = state.products.get_mut(take.sku).expect("checked above");
            for (location, units) in &take.units {
                let left = product.available(location) - units_i64(*units);
                product.stock.insert((*location).clone(), left);
            }
            product.version += 1;
        }
        state.orders.insert(p.order.id.clone(), p.order.clone());
        state.carts.insert(p.cart.id.clone(), p.cart.clone());
        state.write_approvals(&p.approvals);
        state.record_event(&p.event);
        Ok(())
    }

    async fn order(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.state().orders.get(id).cloned())
    }

    async fn orders_for_customer(
        &self,
        customer_key: &CustomerKey,
        limit: usize,
    ) -> Result<Vec<Order>, StoreError> {
        let mut orders: Vec<Order> = self
            .state()
            .orders
            .values()
            .filter(|o| &o.customer.customer_key == customer_key)
            .cloned()
            .collect();
        orders.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        orders.truncate(limit);
        Ok(orders)
    }

    async fn orders_in_status(
        &self,
        status: OrderStatus,
        changed: &Period,
        page: &PageRequest,
    ) -> Result<Page<Order>, StoreError> {
        let state = self.state();
        let orders = state.orders.values().filter(|o| o.status == status);
        Ok(by_last_change(
            orders,
            |o| o.updated_at,
            Order::position,
            changed,
            page,
        ))
    }

    async fn change_order(&self, c: &OrderChange) -> Result<(), StoreError> {
        let mut state = self.state();
        match state.orders.get(&c.order.id) {
            Some(stored) if stored.version == c.expected_version => {}
            _ => return Err(StoreError::Conflict),
        }
        if !state.approvals_fit(&c.approvals) {
            return Err(StoreError::Conflict);
        }
        state.restock(&c.restock)?;
        state.orders.insert(c.order.id.clone(), c.order.clone());
        state.write_approvals(&c.approvals);
        state.record_event(&c.event);
        Ok(())
    }
}

#[async_trait]
impl PaymentStore for EmbeddedStore {
    async fn order_and_payment(
        &self,
        order: &OrderId,
        payment_ref: &PaymentRef,
    ) -> Result<(Option<Order>, Option<Payment>), StoreError> {
        let state = self.state();
        let payment = state
            .payments
            .get(&(order.clone(), payment_ref.clone()))
            .cloned();
        Ok((state.orders.get(order).cloned(), payment))
    }

    async fn record_payment(&self, c: &PaymentChange) -> Result<(), PaymentRecordError> {
        let mut state = self.state();
        if state.webhooks.contains_key(&c.webhook_event_id) {
            return Err(PaymentRecordError::AlreadyProcessed);
        }
        let order_id = &c.payment.order_id;
        let order_version = state.orders.get(order_id).map(|o| o.version);
        let payment_version = state
            .payments
            .get(&(order_id.clone(), c.payment.payment_ref.clone()))
            .map(|p| p.version);
        let exception_exists = c
            .exception
            .as_ref()
            .is_some_and(|e| state.exceptions.contains_key(&e.id));
        if order_version != Some(c.expected_order_version)
            || payment_version != c.expected_payment_version
            || exception_exists
        {
            return Err(PaymentRecordError::Conflict);
        }
        // Units go back only with an order change, as in DynamoDB.
        if c.order.is_some() {
            state.restock(&c.restock)?;
        }
        if let Some(order) = &c.order {
            state.orders.insert(order.id.clone(), order.clone());
        }
        state.payments.insert(
            (order_id.clone(), c.payment.payment_ref.clone()),
            c.payment.clone(),
        );
        state
            .webhooks
            .insert(c.webhook_event_id.clone(), c.received_at);
        state.record_event(&c.event);
        if let Some(exception) = &c.exception {
            state
                .exceptions
                .insert(exception.id.clone(), exception.clone());
        }
        Ok(())
    }

    async fn record_unmatched(
        &self,
        event: &PaymentEvent,
        _received_at: DateTime<Utc>,
        exception: &ProcessException,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.unmatched.contains_key(&event.event_id) {
            return Ok(false);
        }
        state
            .unmatched
            .insert(event.event_id.clone(), event.clone());
        state
            .exceptions
            .entry(exception.id.clone())
            .or_insert_with(|| exception.clone());
        Ok(true)
    }

    async fn payments_for_order(&self, order: &OrderId) -> Result<Vec<Payment>, StoreError> {
        Ok(self
            .state()
            .payments
            .iter()
            .filter(|((o, _), _)| o == order)
            .map(|(_, p)| p.clone())
            .collect())
    }

    async fn order_for_payment(
        &self,
        payment_ref: &PaymentRef,
    ) -> Result<Option<OrderId>, StoreError> {
        Ok(self
            .state()
            .payments
            .keys()
            .find(|(_, r)| r == payment_ref)
            .map(|(o, _)| o.clone()))
    }
}

#[async_trait]
impl Mailbox for EmbeddedStore {
    async fn deliver(&self, mail: &Mail) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.mails.contains_key(&mail.id) {
            return Err(StoreError::AlreadyExists);
        }
        state.mails.insert(mail.id.clone(), mail.clone());
        Ok(())
    }

    async fn mails(&self, limit: usize) -> Result<Vec<Mail>, StoreError> {
        let mut mails: Vec<Mail> = self.state().mails.values().cloned().collect();
        mails.sort_by(|a, b| (b.sent_at, &b.id).cmp(&(a.sent_at, &a.id)));
        mails.truncate(limit);
        Ok(mails)
    }
}

#[async_trait]
impl ExceptionLog for EmbeddedStore {
    async fn raise(&self, exception: &ProcessException) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.exceptions.contains_key(&exception.id) {
            return Ok(false);
        }
        state
            .exceptions
            .insert(exception.id.clone(), exception.clone());
        Ok(true)
    }

    async fn exception(&self, id: &str) -> Result<Option<ProcessException>, StoreError> {
        Ok(self.state().exceptions.get(id).cloned())
    }

    async fn save_exception(&self, exception: &ProcessException) -> Result<(), StoreError> {
        let mut state = self.state();
        let stored = state.exceptions.get(&exception.id).map(|e| e.version);
        if stored.is_none() || stored != exception.version.checked_sub(1) {
            return Err(StoreError::Conflict);
        }
        state
            .exceptions
            .insert(exception.id.clone(), exception.clone());
        Ok(())
    }

    async fn exceptions(
        &self,
        status: ExceptionStatus,
        page: &PageRequest,
    ) -> Result<Page<ProcessException>, StoreError> {
        let state = self.state();
        let in_status = state.exceptions.values().filter(|e| e.status == status);
        Ok(crate::sync::page_of(
            in_status,
            page,
            ProcessException::position,
        ))
    }
}

#[async_trait]
impl ApprovalLog for EmbeddedStore {
    async fn approval(&self, id: &str) -> Result<Option<ApprovalRequest>, StoreError> {
        Ok(self.state().approvals.get(id).cloned())
    }

    async fn save_approval(&self, approval: &ApprovalRequest) -> Result<(), StoreError> {
        let mut state = self.state();
        if approval.version < 2 || !state.approvals_fit(std::slice::from_ref(approval)) {
            return Err(StoreError::Conflict);
        }
        state.write_approvals(std::slice::from_ref(approval));
        Ok(())
    }

    async fn approvals(
        &self,
        status: ApprovalStatus,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>, StoreError> {
        let state = self.state();
        let in_status = state.approvals.values().filter(|a| a.status == status);
        Ok(crate::sync::page_of(
            in_status,
            page,
            ApprovalRequest::position,
        ))
    }

    async fn approvals_to_recall(
        &self,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>, StoreError> {
        let state = self.state();
        let to_recall = state.approvals.values().filter(|a| a.to_recall());
        Ok(crate::sync::page_of(
            to_recall,
            page,
            ApprovalRequest::position,
        ))
    }
}

#[async_trait]
impl JobLog for EmbeddedStore {
    async fn record_run(&self, run: &JobRun) -> Result<(), StoreError> {
        let mut state = self.state();
        state.job_runs.retain(|r| r.id != run.id);
        state.job_runs.push(run.clone());
        Ok(())
    }

    async fn recent_runs(&self, limit: usize) -> Result<Vec<JobRun>, StoreError> {
        let mut runs = self.state().job_runs.clone();
        runs.sort_by_key(|r| std::cmp::Reverse(r.position()));
        runs.truncate(limit);
        Ok(runs)
    }
}

#[async_trait]
impl OutboxStore for EmbeddedStore {
    async fn unsent_events(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        let mut events: Vec<OutboxEvent> = self
            .state()
            .outbox
            .values()
            .filter(|e| e.sent_at.is_none())
            .map(|e| e.event.clone())
            .collect();
        events.sort_by(|a, b| (a.occurred_at, &a.event_id).cmp(&(b.occurred_at, &b.event_id)));
        events.truncate(limit);
        Ok(events)
    }

    async fn mark_sent(&self, event_id: &EventId) -> Result<(), StoreError> {
        match self.state().outbox.get_mut(event_id) {
            Some(entry) => {
                entry.sent_at.get_or_insert_with(Utc::now);
                Ok(())
            }
            None => Err(StoreError::Corrupt(format!("no outbox event {event_id}"))),
        }
    }
}

#[async_trait]
impl FulfilmentStore for EmbeddedStore {
    async fn start_fulfilment(&self, start: &StartFulfilment) -> Result<(), StoreError> {
        let mut state = self.state();
        let current = state.orders.get(&start.order.id).map(|o| o.version);
        let started = start
            .fulfilment_orders
            .iter()
            .any(|fo| state.fulfilment.contains_key(&fo.id));
        if current != Some(start.expected_order_version) || started {
            return Err(StoreError::Conflict);
        }
        state
            .orders
            .insert(start.order.id.clone(), start.order.clone());
        for fo in &start.fulfilment_orders {
            state.fulfilment.insert(fo.id.clone(), fo.clone());
        }
        state.record_event(&start.event);
        Ok(())
    }

    async fn fulfilment_orders(&self, order: &OrderId) -> Result<Vec<FulfilmentOrder>, StoreError> {
        Ok(self
            .state()
            .fulfilment
            .values()
            .filter(|fo| &fo.order_id == order)
            .cloned()
            .collect())
    }

    async fn fulfilment_order(
        &self,
        id: &FulfilmentOrderId,
    ) -> Result<Option<FulfilmentOrder>, StoreError> {
        Ok(self.state().fulfilment.get(id).cloned())
    }

    async fn fulfilment_orders_in_status(
        &self,
        status: FulfilmentStatus,
        page: &PageRequest,
    ) -> Result<Page<FulfilmentOrder>, StoreError> {
        let state = self.state();
        let in_status = state.fulfilment.values().filter(|fo| fo.status == status);
        Ok(crate::sync::page_of(
            in_status,
            page,
            FulfilmentOrder::position,
        ))
    }

    async fn save_fulfilment_order(
        &self,
        fulfilment_order: &FulfilmentOrder,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let current = state
            .fulfilment
            .get(&fulfilment_order.id)
            .map(|fo| fo.version);
        if current != Some(expected_version) {
            return Err(StoreError::Conflict);
        }
        state
            .fulfilment
            .insert(fulfilment_order.id.clone(), fulfilment_order.clone());
        Ok(())
    }

    async fn record_shipment(&self, change: &ShipmentChange) -> Result<(), StoreError> {
        let mut state = self.state();
        let fo = &change.fulfilment_order;
        let current = state.fulfilment.get(&fo.id).map(|f| f.version);
        let order_version = state.orders.get(&fo.order_id).map(|o| o.version);
        if current != Some(change.expected_version)
            || order_version != Some(change.expected_order_version)
        {
            return Err(StoreError::Conflict);
        }
        state.fulfilment.insert(fo.id.clone(), fo.clone());
        if let Some(order) = &change.order {
            state.orders.insert(order.id.clone(), order.clone());
        }
        if let Some(event) = &change.event {
            state.record_event(event);
        }
        Ok(())
    }
}
