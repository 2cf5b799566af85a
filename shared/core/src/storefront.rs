//! The storefront's use cases: what a shopper can do, over the store port.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::accounts::StoreAccount;
use crate::app_error::AppError;
use crate::approvals::ApprovalRequest;
use crate::cart::{Cart, CartOwner, CartStatus, big};
use crate::catalog::Product;
use crate::customer::{Address, Customer, ProfileChange, Registration};
use crate::error::DomainError;
use crate::events::{EventType, OutboxEvent};
use crate::from_crm::ContactLink;
use crate::fulfilment::{
    Allocation, AllocationError, LocationUnits, StockByLocation, allocate, order_units,
};
use crate::ids::{
    CartId, ClaimToken, CustomerId, CustomerKey, Email, GuestToken, InvalidValue, LocationId,
    OrderId, Quantity, Sku,
};
use crate::money::Currency;
use crate::order::{CheckoutDetails, CheckoutRequestRecord, Order, PaymentMethod, ReturnLine};
use crate::outbox::OutboxRelay;
use crate::payments::Payment;
use crate::ports::{
    Clock, OrderChange, PaymentStore, PlaceOrder, PlaceOrderError, StoreError, StorefrontStore,
};
use crate::pricing::PricingPolicy;
use crate::retry::{Attempt, retry_on_conflict};
use crate::sync::in_force::SettingsInForce;

/// The most orders a customer's order history lists.
pub const ORDER_HISTORY_LIMIT: usize = 100;

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Caller {
    Customer(CustomerId),
    Guest(GuestToken),
}

impl Caller {
    fn owns_cart(&self, cart: &Cart) -> bool {
        match (self, &cart.owner) {
            (Caller::Customer(id), CartOwner::Customer { customer_id }) => id == customer_id,
            (Caller::Guest(token), CartOwner::Guest { token_hash }) => &token.hash() == token_hash,
            _ => false,
        }
    }

    fn owns_order(&self, order: &Order) -> bool {
        match self {
            Caller::Customer(id) => order.customer.customer_id.as_ref() == Some(id),
            Caller::Guest(token) => {
                order.customer.guest_token_hash.as_deref() == Some(token.hash().as_str())
            }
        }
    }

    /// The namespace of this caller's idempotency keys.
    fn idempotency_scope(&self, cart_id: &CartId) -> String {
        match self {
            Caller::Customer(id) => format!("customer:{id}"),
            Caller::Guest(_) => format!("guest:{cart_id}"),
        }
    }
}

/// What the shopper sends to check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutInput {
    pub shipping_address: Address,
    pub guest_email: Option<Email>,
    /// Left out of the fingerprint when it is the default (card), so a request repeated
    /// from before there was a choice is still the same request.
    #[serde(skip_serializing_if = "PaymentMethod::is_card")]
    pub payment_method: PaymentMethod,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutOutcome {
    pub order: Order,
    /// The request repeated an earlier one; nothing new was written.
    pub replayed: bool,
}

pub struct Storefront {
    store: Arc<dyn StorefrontStore>,
    /// Read only, to show an order's payments.
    payments: Arc<dyn PaymentStore>,
    clock: Arc<dyn Clock>,
    policy: PricingPolicy,
    location: LocationId,
    relay: Option<Arc<OutboxRelay>>,
    /// Read only, to show an order's parcels.
    fulfilment: Option<Arc<dyn crate::ports::FulfilmentStore>>,
    /// The big-cart thresholds; without them no cart is big.
    sync_settings: Option<Arc<SettingsInForce>>,
}

impl Storefront {
    pub fn new(
        store: Arc<dyn StorefrontStore>,
        payments: Arc<dyn PaymentStore>,
        clock: Arc<dyn Clock>,
        policy: PricingPolicy,
        location: LocationId,
    ) -> Self {
        Storefront {
            store,
            payments,
            clock,
            policy,
            location,
            relay: None,
            fulfilment: None,
            sync_settings: None,
        }
    }

    /// Sends big carts' changes to Salesforce, by the thresholds of `settings`.
    pub fn with_big_carts(mut self, settings: Arc<SettingsInForce>) -> Self {
        self.sync_settings = Some(settings);
        self
    }

    /// Shows orders' parcels from `fulfilment`.
    pub fn with_fulfilment(mut self, fulfilment: Arc<dyn crate::ports::FulfilmentStore>) -> Self {
        self.fulfilment = Some(fulfilment);
        self
    }

    /// Sends each change's event to the queue once it is committed (else the sweep does).
    pub fn with_relay(mut self, relay: Arc<OutboxRelay>) -> Self {
        self.relay = Some(relay);
        self
    }

    async fn publish(&self, event: &OutboxEvent) {
        if let Some(relay) = &self.relay {
            relay.publish(std::slice::from_ref(event)).await;
        }
    }

    pub fn policy(&self) -> &PricingPolicy {
        &self.policy
    }

    pub fn location(&self) -> &LocationId {
        &self.location
    }

    // --- customers ---

    /// Registers the caller. An e-mail that belongs to a profile sales set up in Salesforce
    /// (an invitation) claims that profile when the identity provider verified the caller
    /// holds the address (`verified_email`); otherwise it is taken.
    pub async fn register(
        &self,
        id: CustomerId,
        registration: Registration,
        verified_email: Option<&str>,
    ) -> Result<Customer, AppError> {
        let now = self.clock.now();
        let customer = Customer::register(id.clone(), registration.clone(), now);
        let event = OutboxEvent::for_customer(EventType::CustomerRegistered, &customer, now);
        match self.store.create_customer(&customer, &event).await {
            Ok(()) => {}
            Err(StoreError::EmailTaken) => {
                let holds_it = verified_email
                    .and_then(|e| Email::parse(e).ok())
                    .is_some_and(|e| e.normalized() == registration.email.normalized());
                let invited = self
                    .store
                    .customer_by_email(&registration.email)
                    .await?
                    .filter(Customer::is_invited);
                return match invited {
                    Some(invited) if holds_it => self.claim(invited, id, Some(registration)).await,
                    _ => Err(AppError::EmailTaken),
                };
            }
            Err(e) => return Err(e.into()),
        }
        self.publish(&event).await;
        Ok(customer)
    }

    /// The caller claims the profile sales set up for them, with the invitation's token.
    pub async fn claim_invitation(
        &self,
        id: CustomerId,
        token: &ClaimToken,
    ) -> Result<Customer, AppError> {
        let not_found = || AppError::NotFound { what: "invitation" };
        let invited = self
            .store
            .customer(&Customer::invited_id(token.contact()))
            .await?
            .ok_or_else(not_found)?;
        // Hashes are compared: timing tells nothing of the token itself.
        let matches = invited
            .invitation
            .as_ref()
            .is_some_and(|i| i.token_hash == token.hash());
        if !matches {
            return Err(not_found());
        }
        self.claim(invited, id, None).await
    }

    /// `invited` becomes the caller's profile (their registration's details over the ones
    /// sales entered), with its Contact's link: the account and its terms come with it.
    async fn claim(
        &self,
        invited: Customer,
        id: CustomerId,
        registration: Option<Registration>,
    ) -> Result<Customer, AppError> {
        let now = self.clock.now();
        let contact = invited
            .invitation
            .as_ref()
            .map(|i| i.contact_id.clone())
            .ok_or(AppError::NotFound { what: "invitation" })?;
        let mut claimed = Customer {
            id: id.clone(),
            invitation: None,
            updated_at: now,
            version: invited.version + 1,
            ..invited.clone()
        };
        if let Some(r) = registration {
            claimed.first_name = r.first_name;
            claimed.last_name = r.last_name;
            claimed.phone = r.phone.or(claimed.phone);
            claimed.company = r.company.or(claimed.company);
            claimed.origin = r.origin;
            claimed.addresses = r.addresses;
        }
        let link = match self.store.contact_link(&contact).await? {
            Some(link) => ContactLink {
                customer_id: id,
                seen_version: claimed.version,
                updated_at: now,
                version: link.version + 1,
                ..link
            },
            None => return Err(AppError::NotFound { what: "invitation" }),
        };
        let event = OutboxEvent::for_customer(EventType::CustomerRegistered, &claimed, now);
        let history = [crate::from_crm::CustomerChange {
            customer_id: claimed.id.clone(),
            field: "profile".into(),
            side: crate::from_crm::ChangeSide::Store,
            by: claimed.id.to_string(),
            at: now,
            old: None,
            new: Some(format!("claimed the invitation of Contact {contact}")),
        }];
        match self
            .store
            .claim_customer(&invited, &claimed, &link, &event, &history)
            .await
        {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => return Err(AppError::AlreadyRegistered),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(customer_id = %claimed.id, contact_id = %contact, "invitation claimed");
        self.publish(&event).await;
        Ok(claimed)
    }

    pub async fn profile(&self, id: &CustomerId) -> Result<Customer, AppError> {
        self.store
            .customer(id)
            .await?
            .ok_or(AppError::NotFound { what: "customer" })
    }

    pub async fn update_profile(
        &self,
        id: &CustomerId,
        change: ProfileChange,
    ) -> Result<Customer, AppError> {
        let change = &change;
        let (customer, event) = retry_on_conflict(move || async move {
            let current = self.profile(id).await?;
            let now = self.clock.now();
            let next = current.changed(change, now);
            let event = OutboxEvent::for_customer(EventType::CustomerUpdated, &next, now);
            let history = store_side_changes(&current, &next, now);
            let result = self
                .store
                .update_customer(&current, &next, &event, &history)
                .await;
            written(result, (next, event))
        })
        .await?;
        self.publish(&event).await;
        Ok(customer)
    }

    /// The caller's profile changes, newest first: theirs in the store and sales' in
    /// Salesforce.
    pub async fn profile_history(
        &self,
        id: &CustomerId,
        limit: usize,
    ) -> Result<Vec<crate::from_crm::CustomerChange>, AppError> {
        self.profile(id).await?;
        Ok(self.store.customer_history(id, limit).await?)
    }

    // --- catalog ---

    pub async fn products(&self) -> Result<Vec<Product>, AppError> {
        Ok(self.store.products().await?)
    }

    pub async fn product(&self, sku: &Sku) -> Result<Product, AppError> {
        self.store
            .product(sku)
            .await?
            .ok_or_else(|| AppError::UnknownProduct {
                sku: sku.to_string(),
            })
    }

    // --- carts ---

    pub async fn create_customer_cart(
        &self,
        customer: CustomerId,
        currency: Currency,
    ) -> Result<Cart, AppError> {
        let owner = CartOwner::Customer {
            customer_id: customer,
        };
        let cart = Cart::new(CartId::random(), owner, currency, self.clock.now());
        self.store.create_cart(&cart).await?;
        Ok(cart)
    }

    /// A guest cart and the token that alone gives access to it; the token is not stored.
    pub async fn create_guest_cart(
        &self,
        currency: Currency,
    ) -> Result<(Cart, GuestToken), AppError> {
        let token = GuestToken::random();
        let owner = CartOwner::Guest {
            token_hash: token.hash(),
        };
        let cart = Cart::new(CartId::random(), owner, currency, self.clock.now());
        self.store.create_cart(&cart).await?;
        Ok((cart, token))
    }

    /// The account whose terms apply to the cart's owner: a registered customer's, if they
    /// belong to one the store knows. A guest has none. One read of the customer, and one of
    /// the account when there is one.
    pub async fn account_of(&self, owner: &CartOwner) -> Result<Option<StoreAccount>, AppError> {
        let CartOwner::Customer { customer_id } = owner else {
            return Ok(None);
        };
        let Some(account_id) = self
            .store
            .customer(customer_id)
            .await?
            .and_then(|c| c.account_id)
        else {
            return Ok(None);
        };
        Ok(self.store.store_account(&account_id).await?)
    }

    /// The caller's cart; someone else's cart is reported as not found.
    pub async fn cart(&self, caller: &Caller, id: &CartId) -> Result<Cart, AppError> {
        self.store
            .cart(id)
            .await?
            .filter(|c| caller.owns_cart(c))
            .ok_or(AppError::NotFound { what: "cart" })
    }

    /// Reads the cart, applies `change`, and saves it, re-reading after a concurrent change.
    /// A big cart's change is saved with its event, sent once committed.
    async fn change_cart<F>(
        &self,
        caller: &Caller,
        id: &CartId,
        change: F,
    ) -> Result<Cart, AppError>
    where
        F: Fn(&mut Cart) -> Result<bool, AppError>,
    {
        let change = &change;
        let (cart, event) = retry_on_conflict(move || async move {
            let mut cart = self.cart(caller, id).await?;
            let version = cart.version;
            if !change(&mut cart)? {
                return Ok(Attempt::Done((cart, None)));
            }
            let event = self.big_cart_event(&mut cart).await?;
            let result = self.store.save_cart(&cart, version, event.as_ref()).await;
            written(result, (cart, event))
        })
        .await?;
        if let Some(event) = &event {
            self.publish(event).await;
        }
        Ok(cart)
    }

    /// The event of a big cart's change, marking the cart big the first time. The thresholds
    /// are read only for a customer's cart not yet big.
    async fn big_cart_event(&self, cart: &mut Cart) -> Result<Option<OutboxEvent>, AppError> {
        let Some(in_force) = &self.sync_settings else {
            return Ok(None);
        };
        let CartOwner::Customer { customer_id } = &cart.owner else {
            return Ok(None);
        };
        let customer_id = customer_id.clone();
        let tracked = if big::needs_thresholds(cart) {
            let settings = in_force.get().await?;
            big::track(cart, &settings.big_cart_over)
        } else {
            big::track(cart, &BTreeMap::new())
        };
        Ok(tracked.then(|| {
            OutboxEvent::for_cart(EventType::CartUpdated, cart, &customer_id, cart.updated_at)
        }))
    }

    pub async fn set_line(
        &self,
        caller: &Caller,
        id: &CartId,
        sku: &Sku,
        quantity: Quantity,
    ) -> Result<Cart, AppError> {
        let product = self.product(sku).await?;
        let now = self.clock.now();
        self.change_cart(caller, id, |cart| {
            cart.set_line(&product, quantity, now)?;
            Ok(true)
        })
        .await
    }

    pub async fn remove_line(
        &self,
        caller: &Caller,
        id: &CartId,
        sku: &Sku,
    ) -> Result<Cart, AppError> {
        let now = self.clock.now();
        self.change_cart(caller, id, |cart| Ok(cart.remove_line(sku, now)?))
            .await
    }

    pub async fn apply_discount(
        &self,
        caller: &Caller,
        id: &CartId,
        code: &str,
    ) -> Result<Cart, AppError> {
        let now = self.clock.now();
        self.change_cart(caller, id, |cart| {
            let discount = self.policy.discount_for(code, cart.currency)?;
            cart.apply_discount(discount, now)?;
            Ok(true)
        })
        .await
    }

    pub async fn remove_discount(&self, caller: &Caller, id: &CartId) -> Result<Cart, AppError> {
        let now = self.clock.now();
        self.change_cart(caller, id, |cart| {
            let had = cart.discount.is_some();
            cart.remove_discount(now)?;
            Ok(had)
        })
        .await
    }

    // --- checkout ---

    /// The shopper reached the payment step: a guest gives the e-mail to reach them at. If no
    /// order follows, the abandoned-carts job tells sales. Repeating it changes nothing.
    pub async fn begin_checkout(
        &self,
        caller: &Caller,
        id: &CartId,
        email: Option<Email>,
    ) -> Result<Cart, AppError> {
        let now = self.clock.now();
        self.change_cart(caller, id, |cart| {
            Ok(cart.begin_checkout(email.clone(), now)?)
        })
        .await
    }

    /// Turns the cart into an order awaiting payment. On the happy path this is one read of the
    /// cart and one transaction, taking every unit at the store's location; when that location
    /// lacks some, the cart's products are read and the order is allocated to the locations
    /// that hold it. A repeated request with the same key returns the same order.
    pub async fn checkout(
        &self,
        caller: &Caller,
        cart_id: &CartId,
        idempotency_key: &str,
        input: CheckoutInput,
    ) -> Result<CheckoutOutcome, AppError> {
        let fingerprint = fingerprint(cart_id, &input);
        let order_id = OrderId::for_checkout(&caller.idempotency_scope(cart_id), idempotency_key);
        let (input, order_id, fingerprint) = (&input, &order_id, fingerprint.as_str());
        retry_on_conflict(move || {
            self.place_order(
                caller,
                cart_id,
                idempotency_key,
                input,
                order_id,
                fingerprint,
            )
        })
        .await
    }

    /// One round of checkout: read the cart, price it into an order, write it all at once,
    /// first with every unit at the store's location, then, if it lacks some, allocated.
    async fn place_order(
        &self,
        caller: &Caller,
        cart_id: &CartId,
        idempotency_key: &str,
        input: &CheckoutInput,
        order_id: &OrderId,
        fingerprint: &str,
    ) -> Result<Attempt<CheckoutOutcome>, AppError> {
        let cart = self.cart(caller, cart_id).await?;
        if cart.status == CartStatus::Converted && cart.order_id.as_ref() == Some(order_id) {
            return self.replay(order_id, fingerprint).await.map(Attempt::Done);
        }
        if !cart.status.is_editable() {
            return Err(DomainError::CartClosed {
                status: cart.status,
            }
            .into());
        }
        let account = self.account_of(&cart.owner).await?;
        let now = self.clock.now();
        let details = CheckoutDetails {
            order_id: order_id.clone(),
            shipping_address: input.shipping_address.clone(),
            guest_email: input.guest_email.clone(),
            location: self.location.clone(),
            request: CheckoutRequestRecord {
                idempotency_key: idempotency_key.to_owned(),
                fingerprint: fingerprint.to_owned(),
            },
        };
        let order = Order::from_cart_on_terms(
            &cart,
            details,
            &self.policy,
            account.as_ref(),
            input.payment_method.clone(),
            now,
        )?;
        let at_store = Allocation::whole_order_at(&self.location, &order_units(&order))
            .map_err(not_allocated)?;
        let placed = self.write_order(caller, &cart, &order, at_store, fingerprint, now);
        match placed.await {
            Err(AppError::OutOfStock { .. }) => {}
            written => return written,
        }
        let allocation = self.allocate(&order).await?;
        let placed = self.write_order(caller, &cart, &order, allocation, fingerprint, now);
        match placed.await {
            // Another order took units just read: read again.
            Err(AppError::OutOfStock { .. }) => Ok(Attempt::Conflict),
            written => written,
        }
    }

    /// Writes the order with its units taken as `allocation` says, all at once. A location
    /// short of units is `OutOfStock` naming what that one location holds: the caller decides
    /// what that means for the order.
    async fn write_order(
        &self,
        caller: &Caller,
        cart: &Cart,
        order: &Order,
        allocation: Allocation,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Attempt<CheckoutOutcome>, AppError> {
        let mut order = order.clone();
        let stock_taken = allocation.stock_taken();
        let locations = allocation.locations().len();
        order.allocation = Some(allocation);
        // An order accepted on account is paid as it is placed.
        let event_type = if order.status == crate::order::OrderStatus::Paid {
            EventType::OrderPaid
        } else {
            EventType::OrderPlaced
        };
        let request = PlaceOrder {
            event: OutboxEvent::for_order(event_type, &order, now),
            approvals: ApprovalRequest::for_new_order(&order).into_iter().collect(),
            cart: cart.converted(order.id.clone(), now),
            expected_cart_version: cart.version,
            stock_taken,
            order,
        };
        let order_id = &request.order.id;
        match self.store.place_order(&request).await {
            Ok(()) => {
                tracing::info!(order_id = %order_id, cart_id = %cart.id, locations, "order placed");
                self.publish(&request.event).await;
                Ok(Attempt::Done(CheckoutOutcome {
                    order: request.order,
                    replayed: false,
                }))
            }
            Err(PlaceOrderError::OrderExists) => {
                self.replay(order_id, fingerprint).await.map(Attempt::Done)
            }
            // The cart changed, or another checkout held a product: read again.
            Err(PlaceOrderError::CartChanged | PlaceOrderError::Store(StoreError::Conflict)) => {
                Ok(Attempt::Conflict)
            }
            Err(PlaceOrderError::OutOfStock { sku, available, .. }) => {
                Err(AppError::OutOfStock { sku, available })
            }
            Err(PlaceOrderError::ProductUnavailable { sku }) => {
                Err(DomainError::ProductUnavailable { sku }.into())
            }
            Err(PlaceOrderError::PriceChanged { sku }) => {
                self.reprice_cart(caller, &cart.id).await?;
                Err(AppError::PriceChanged { sku })
            }
            Err(PlaceOrderError::Store(e)) => Err(e.into()),
        }
    }

    /// The order's units allocated to the locations that hold them, the store's location
    /// preferred. One read per product: the catalog port reads products one by one.
    async fn allocate(&self, order: &Order) -> Result<Allocation, AppError> {
        let mut stock = StockByLocation::new();
        let mut read: Vec<&Sku> = Vec::new();
        for line in &order.lines {
            if read.contains(&&line.sku) {
                continue;
            }
            read.push(&line.sku);
            let product = self
                .store
                .product(&line.sku)
                .await?
                .filter(|p| p.active)
                .ok_or_else(|| DomainError::ProductUnavailable {
                    sku: line.sku.clone(),
                })?;
            for (location, units) in product.stock {
                stock
                    .entry(location)
                    .or_default()
                    .insert(line.sku.clone(), units);
            }
        }
        allocate(&order_units(order), &stock, &self.location).map_err(not_allocated)
    }

    async fn replay(
        &self,
        order_id: &OrderId,
        fingerprint: &str,
    ) -> Result<CheckoutOutcome, AppError> {
        let order = self
            .store
            .order(order_id)
            .await?
            .ok_or(AppError::Conflict)?;
        if order.checkout.fingerprint == fingerprint {
            Ok(CheckoutOutcome {
                order,
                replayed: true,
            })
        } else {
            Err(AppError::IdempotencyKeyReused)
        }
    }

    /// Brings the cart's line prices up to the catalog's, reading only its own products.
    async fn reprice_cart(&self, caller: &Caller, cart_id: &CartId) -> Result<Cart, AppError> {
        let cart = self.cart(caller, cart_id).await?;
        let mut products = Vec::with_capacity(cart.lines.len());
        for line in &cart.lines {
            if let Some(product) = self.store.product(&line.sku).await? {
                products.push(product);
            }
        }
        let now = self.clock.now();
        self.change_cart(caller, cart_id, |cart| {
            Ok(cart.status.is_editable() && cart.reprice(&products, now))
        })
        .await
    }

    // --- orders ---

    /// The customer's orders, newest first, at most [`ORDER_HISTORY_LIMIT`]. With the e-mail
    /// the identity provider verified the caller holds (`verified_email`), and only when it is
    /// the profile's, the guest orders placed with that e-mail (in any case) are listed too:
    /// an address typed into a profile proves nothing, the provider's verification does.
    pub async fn orders(
        &self,
        customer: &CustomerId,
        verified_email: Option<&str>,
    ) -> Result<Vec<Order>, AppError> {
        let mut orders = self
            .store
            .orders_for_customer(&CustomerKey::customer(customer), ORDER_HISTORY_LIMIT)
            .await?;
        let Some(verified) = verified_email.and_then(|e| Email::parse(e).ok()) else {
            return Ok(orders);
        };
        let profile = self.profile(customer).await?;
        if profile.email.normalized() != verified.normalized() {
            return Ok(orders);
        }
        let as_guest = self
            .store
            .orders_for_customer(&CustomerKey::guest(&profile.email), ORDER_HISTORY_LIMIT)
            .await?;
        orders.extend(as_guest.into_iter().filter(|o| {
            o.customer.customer_id.is_none()
                && o.customer
                    .guest_email
                    .as_ref()
                    .is_some_and(|e| e.normalized() == verified.normalized())
        }));
        orders.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        orders.truncate(ORDER_HISTORY_LIMIT);
        Ok(orders)
    }

    /// The caller's order; someone else's order is reported as not found.
    pub async fn order(&self, caller: &Caller, id: &OrderId) -> Result<Order, AppError> {
        self.store
            .order(id)
            .await?
            .filter(|o| caller.owns_order(o))
            .ok_or(AppError::NotFound { what: "order" })
    }

    /// Every payment reported for an order the caller has already been shown.
    pub async fn payments(&self, order: &Order) -> Result<Vec<Payment>, AppError> {
        Ok(self.payments.payments_for_order(&order.id).await?)
    }

    async fn change_order<F>(
        &self,
        caller: &Caller,
        id: &OrderId,
        event_type: EventType,
        change: F,
    ) -> Result<Order, AppError>
    where
        F: Fn(&Order) -> Result<(Order, Vec<LocationUnits>), AppError>,
    {
        let change = &change;
        let request = retry_on_conflict(move || async move {
            let current = self.order(caller, id).await?;
            let (order, restock) = change(&current)?;
            let request = OrderChange {
                event: OutboxEvent::for_order(event_type, &order, order.updated_at),
                expected_version: current.version,
                restock,
                order,
                approvals: Vec::new(),
            };
            written(self.store.change_order(&request).await, request)
        })
        .await?;
        self.publish(&request.event).await;
        Ok(request.order)
    }

    pub async fn cancel(
        &self,
        caller: &Caller,
        id: &OrderId,
        reason: Option<String>,
    ) -> Result<Order, AppError> {
        let now = self.clock.now();
        self.change_order(caller, id, EventType::OrderCancelled, |order| {
            Ok(order.cancel(reason.clone(), now)?)
        })
        .await
    }

    /// The caller's order's fulfilment orders with their parcels, oldest first: empty until
    /// the order is handed to fulfilment.
    pub async fn tracking(
        &self,
        caller: &Caller,
        id: &OrderId,
    ) -> Result<Vec<crate::fulfilment::FulfilmentOrder>, AppError> {
        self.order(caller, id).await?;
        let Some(fulfilment) = &self.fulfilment else {
            return Ok(Vec::new());
        };
        let mut all = fulfilment.fulfilment_orders(id).await?;
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    /// Cancels units of the caller's paid order before it is handed to fulfilment.
    pub async fn cancel_items(
        &self,
        caller: &Caller,
        id: &OrderId,
        lines: Vec<ReturnLine>,
        reason: String,
    ) -> Result<Order, AppError> {
        self.order(caller, id).await?;
        let orders: Arc<dyn crate::ports::OrderStore> = self.store.clone();
        let mut after_sales =
            crate::after_sales::AfterSales::new(orders, self.clock.clone(), self.policy.clone());
        if let Some(relay) = &self.relay {
            after_sales = after_sales.with_relay(relay.clone());
        }
        let lines = lines
            .into_iter()
            .map(|l| crate::order::changes::ChangeLine {
                sku: l.sku,
                quantity: l.quantity,
                reason: reason.clone(),
            })
            .collect();
        after_sales.cancel_items(id, lines).await
    }

    pub async fn request_return(
        &self,
        caller: &Caller,
        id: &OrderId,
        lines: Vec<ReturnLine>,
        reason: String,
    ) -> Result<Order, AppError> {
        let now = self.clock.now();
        self.change_order(caller, id, EventType::ReturnRequested, |order| {
            Ok((
                order.request_return(lines.clone(), reason.clone(), now)?,
                Vec::new(),
            ))
        })
        .await
    }
}

/// An order the locations cannot ship together is out of stock: all of them together hold
/// `available`.
fn not_allocated(e: AllocationError) -> AppError {
    match e {
        AllocationError::Insufficient { sku, available, .. } => AppError::OutOfStock {
            sku,
            available: i64::try_from(available).unwrap_or(i64::MAX),
        },
        AllocationError::QuantityTooLarge { sku } => DomainError::Invalid(vec![InvalidValue::new(
            "lines",
            format!("too many units of {sku}"),
        )])
        .into(),
    }
}

/// Identifies the request body and cart, so a reused key with other content is recognised.
fn fingerprint(cart_id: &CartId, input: &CheckoutInput) -> String {
    let body = serde_json::to_vec(input).expect("checkout input serialises");
    let mut hasher = Sha256::new();
    hasher.update(cart_id.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(&body);
    hex::encode(hasher.finalize())
}

/// A conditional write's result as an attempt: a lost race is read again.
fn written<T>(result: Result<(), StoreError>, value: T) -> Result<Attempt<T>, AppError> {
    match result {
        Ok(()) => Ok(Attempt::Done(value)),
        Err(StoreError::Conflict) => Ok(Attempt::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// The history of a customer's own change to their profile: each field the store and
/// Salesforce share, from what to what.
fn store_side_changes(
    current: &Customer,
    next: &Customer,
    now: DateTime<Utc>,
) -> Vec<crate::from_crm::CustomerChange> {
    let fields: [(&str, Option<String>, Option<String>); 4] = [
        (
            "first_name",
            Some(current.first_name.clone()),
            Some(next.first_name.clone()),
        ),
        (
            "last_name",
            Some(current.last_name.clone()),
            Some(next.last_name.clone()),
        ),
        (
            "email",
            Some(current.email.to_string()),
            Some(next.email.to_string()),
        ),
        ("phone", current.phone.clone(), next.phone.clone()),
    ];
    fields
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| crate::from_crm::CustomerChange {
            customer_id: next.id.clone(),
            field: field.into(),
            side: crate::from_crm::ChangeSide::Store,
            by: next.id.to_string(),
            at: now,
            old,
            new,
        })
        .collect()
}
