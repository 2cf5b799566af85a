//! One contract for the store port, run against the embedded store and against DynamoDB
//! (moto server on loopback): both must behave the same in every case below.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use storesync_core::approvals::{ApprovalRequest, ApprovalStatus, Decision, DecisionSource};
use storesync_core::cart::{Cart, CartOwner, CartStatus};
use storesync_core::catalog::ProductDetails;
use storesync_core::customer::{Address, CountryCode, Customer, Origin};
use storesync_core::events::{EventType, OutboxEvent};
use storesync_core::fulfilment::{Allocation, StockByLocation, allocate, order_units};
use storesync_core::ids::{
    CartId, CustomerId, CustomerKey, Email, LocationId, OrderId, Quantity, Sku,
};
use storesync_core::money::{Currency, Money};
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::order::{CheckoutDetails, CheckoutRequestRecord, Order};
use storesync_core::ports::{
    Mail, OrderChange, PageRequest, Period, PlaceOrder, PlaceOrderError, Store, StoreError,
};
use storesync_core::pricing::PricingPolicy;
use storesync_tests::{Backend, against_both_stores};

fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap()
}

async fn add_product(store: &dyn Store, code: &str, usd: i64, units: i64) {
    store
        .upsert_product(&ProductDetails {
            sku: sku(code),
            name: format!("Product {code}"),
            category: "test".into(),
            active: true,
            prices: BTreeMap::from([(Currency::USD, usd)]),
        })
        .await
        .unwrap();
    store
        .adjust_stock(&sku(code), &LocationId::default(), units)
        .await
        .unwrap();
}

fn customer(id: &str, email: &str) -> Customer {
    Customer {
        id: CustomerId::parse(id).unwrap(),
        email: Email::parse(email).unwrap(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        phone: None,
        company: None,
        origin: Origin::Web,
        addresses: vec![],
        account_id: None,
        invitation: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
    }
}

/// The event of a registration, as the storefront writes it with the customer.
fn registered(id: &str) -> OutboxEvent {
    OutboxEvent::for_customer(
        EventType::CustomerRegistered,
        &customer(id, "any@example.com"),
        Utc::now(),
    )
}

fn changed(c: &Customer) -> OutboxEvent {
    OutboxEvent::for_customer(EventType::CustomerUpdated, c, Utc::now())
}

async fn open_cart(store: &dyn Store, customer: &str, lines: &[(&str, i64, i64)]) -> Cart {
    let mut cart = Cart::new(
        CartId::random(),
        CartOwner::Customer {
            customer_id: CustomerId::parse(customer).unwrap(),
        },
        Currency::USD,
        Utc::now(),
    );
    for (code, qty, price) in lines {
        cart.lines.push(storesync_core::cart::CartLine {
            sku: sku(code),
            name: code.to_string(),
            quantity: Quantity::parse(*qty).unwrap(),
            unit_price: Money::new(*price, Currency::USD),
        });
    }
    store.create_cart(&cart).await.unwrap();
    cart
}

fn place(cart: &Cart, key: &str) -> PlaceOrder {
    let now = Utc::now();
    let order_id = OrderId::for_checkout(&format!("test:{}", cart.id), key);
    let details = CheckoutDetails {
        order_id: order_id.clone(),
        shipping_address: Address {
            line1: "1 Main St".into(),
            line2: None,
            city: "Springfield".into(),
            region: None,
            postal_code: "12345".into(),
            country: CountryCode::parse("US").unwrap(),
        },
        guest_email: None,
        location: LocationId::default(),
        request: CheckoutRequestRecord {
            idempotency_key: key.into(),
            fingerprint: "fp".into(),
        },
    };
    let order = Order::from_cart(cart, details, &PricingPolicy::default(), now).unwrap();
    let at_main = Allocation::whole_order_at(&LocationId::default(), &order_units(&order));
    placed_as(cart, order, at_main.unwrap())
}

/// The order placed with its units taken as `allocation` says.
fn placed_as(cart: &Cart, mut order: Order, allocation: Allocation) -> PlaceOrder {
    let now = order.created_at;
    let stock_taken = allocation.stock_taken();
    order.allocation = Some(allocation);
    PlaceOrder {
        event: OutboxEvent::for_order(EventType::OrderPlaced, &order, now),
        cart: cart.converted(order.id.clone(), now),
        expected_cart_version: cart.version,
        stock_taken,
        approvals: ApprovalRequest::for_new_order(&order).into_iter().collect(),
        order,
    }
}

fn east() -> LocationId {
    LocationId::parse("east").unwrap()
}

async fn stock_at(store: &dyn Store, code: &str, location: &LocationId) -> i64 {
    store
        .product(&sku(code))
        .await
        .unwrap()
        .unwrap()
        .available(location)
}

async fn stock(store: &dyn Store, code: &str) -> i64 {
    store
        .product(&sku(code))
        .await
        .unwrap()
        .unwrap()
        .available(&LocationId::default())
}

// --- catalog ---

async fn products_are_listed_by_sku_and_upserts_keep_stock(b: Backend) {
    let store = b.store();
    add_product(store.as_ref(), "B-2", 200, 5).await;
    add_product(store.as_ref(), "A-1", 100, 7).await;
    let mut details = ProductDetails {
        sku: sku("A-1"),
        name: "Renamed".into(),
        category: "test".into(),
        active: false,
        prices: BTreeMap::from([(Currency::USD, 150), (Currency::EUR, 140)]),
    };
    store.upsert_product(&details).await.unwrap();
    let listed = store.products().await.unwrap();
    assert_eq!(
        listed.iter().map(|p| p.sku.as_str()).collect::<Vec<_>>(),
        vec!["A-1", "B-2"]
    );
    let a = &listed[0];
    assert_eq!(
        (
            a.name.as_str(),
            a.active,
            a.available(&LocationId::default())
        ),
        ("Renamed", false, 7)
    );
    assert_eq!(a.price(Currency::EUR), Some(Money::new(140, Currency::EUR)));
    details.active = true;
    store.upsert_product(&details).await.unwrap();
    assert!(store.product(&sku("A-1")).await.unwrap().unwrap().active);
    assert!(store.product(&sku("NOPE")).await.unwrap().is_none());
}

async fn stock_never_goes_below_zero(b: Backend) {
    let store = b.store();
    add_product(store.as_ref(), "A-1", 100, 3).await;
    assert!(matches!(
        store
            .adjust_stock(&sku("A-1"), &LocationId::default(), -4)
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(stock(store.as_ref(), "A-1").await, 3);
    store
        .adjust_stock(&sku("A-1"), &LocationId::default(), -3)
        .await
        .unwrap();
    assert_eq!(stock(store.as_ref(), "A-1").await, 0);
    assert!(matches!(
        store
            .adjust_stock(&sku("GHOST"), &LocationId::default(), 1)
            .await,
        Err(StoreError::Conflict)
    ));
}

// --- customers ---

async fn an_email_belongs_to_one_customer_whatever_its_case(b: Backend) {
    let store = b.store();
    store
        .create_customer(&customer("c1", "ada@example.com"), &registered("c1"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_customer(&customer("c1", "other@example.com"), &registered("c1"))
            .await,
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        store
            .create_customer(&customer("c2", "ADA@Example.com"), &registered("c2"))
            .await,
        Err(StoreError::EmailTaken)
    ));
    assert!(
        store
            .customer(&CustomerId::parse("c2").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let registrations = store
        .unsent_events(10)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == EventType::CustomerRegistered)
        .count();
    assert_eq!(registrations, 1, "a refused registration records no event");
}

async fn a_customer_update_needs_the_current_version_and_moves_the_email(b: Backend) {
    let store = b.store();
    let first = customer("c1", "ada@example.com");
    store
        .create_customer(&first, &registered("c1"))
        .await
        .unwrap();
    store
        .create_customer(&customer("c2", "bob@example.com"), &registered("c2"))
        .await
        .unwrap();

    let mut taken = first.clone();
    taken.email = Email::parse("Bob@example.com").unwrap();
    taken.version = 2;
    assert!(matches!(
        store
            .update_customer(&first, &taken, &changed(&taken), &[])
            .await,
        Err(StoreError::EmailTaken)
    ));

    let mut moved = first.clone();
    moved.email = Email::parse("ada@new.example").unwrap();
    moved.version = 2;
    let event = changed(&moved);
    store
        .update_customer(&first, &moved, &event, &[])
        .await
        .unwrap();
    assert!(matches!(
        store
            .update_customer(&first, &moved, &changed(&moved), &[])
            .await,
        Err(StoreError::Conflict)
    ));
    let unsent = store.unsent_events(10).await.unwrap();
    assert!(
        unsent.iter().any(|e| e.event_id == event.event_id),
        "the change's event is recorded with it"
    );
    assert_eq!(
        unsent
            .iter()
            .filter(|e| e.event_type == EventType::CustomerUpdated)
            .count(),
        1,
        "refused changes record no event"
    );
    assert_eq!(store.customer(&first.id).await.unwrap().unwrap(), moved);
    // The old address is free again, the new one is not.
    store
        .create_customer(&customer("c3", "ada@example.com"), &registered("c3"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_customer(&customer("c4", "ADA@new.example"), &registered("c4"))
            .await,
        Err(StoreError::EmailTaken)
    ));
}

// --- mailbox ---

async fn a_mail_is_kept_once_by_its_id_and_mails_come_newest_first(b: Backend) {
    let store = b.store();
    let now = Utc::now();
    let mail = |id: &str, minutes: i64| Mail {
        id: id.into(),
        to: vec![storesync_core::ids::Email::parse("boss@example.com").unwrap()],
        subject: format!("Report {id}"),
        text: "Orders placed: none\n".into(),
        html: None,
        sent_at: now - Duration::minutes(minutes),
    };
    for (id, minutes) in [("daily-1", 30), ("daily-2", 10), ("daily-3", 20)] {
        store.deliver(&mail(id, minutes)).await.unwrap();
    }
    assert!(matches!(
        store.deliver(&mail("daily-1", 0)).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.mails(2).await.unwrap(),
        vec![mail("daily-2", 10), mail("daily-3", 20)]
    );
    assert_eq!(
        store.mails(10).await.unwrap()[2],
        mail("daily-1", 30),
        "kept as first sent"
    );
}

// --- jobs' log ---

async fn job_runs_come_newest_first_and_a_run_is_kept_once_by_its_id(b: Backend) {
    use storesync_core::jobs::{Job, JobRun, Trigger};

    let store = b.store();
    let now = Utc::now();
    let run = |id: &str, minutes: i64, error: Option<&str>| JobRun {
        id: id.into(),
        job: Job::AbandonedCarts,
        trigger: Trigger::Schedule,
        started_at: now - Duration::minutes(minutes),
        finished_at: now - Duration::minutes(minutes) + Duration::seconds(3),
        summary: error
            .is_none()
            .then(|| serde_json::json!({"carts_synced": 2})),
        error: error.map(str::to_owned),
    };
    for (id, minutes) in [("r1", 50), ("r2", 10), ("r3", 30)] {
        store.record_run(&run(id, minutes, None)).await.unwrap();
    }
    // Written again (a retried invocation): still one run.
    store
        .record_run(&run("r3", 30, Some("Salesforce is unavailable for now")))
        .await
        .unwrap();
    let latest = store.recent_runs(2).await.unwrap();
    assert_eq!(
        latest,
        vec![
            run("r2", 10, None),
            run("r3", 30, Some("Salesforce is unavailable for now"))
        ]
    );
    assert_eq!(store.recent_runs(10).await.unwrap().len(), 3);
}

// --- carts ---

async fn carts_are_listed_by_status_and_last_change_page_by_page(b: Backend) {
    let store = b.store();
    let day = Utc::now() - Duration::days(2);
    let mut open = Vec::new();
    for (i, hours) in [(0, 7), (1, 2), (2, 30), (3, 15), (4, 9)] {
        let mut cart = open_cart(store.as_ref(), &format!("c{i}"), &[]).await;
        let mut touched = cart.clone();
        touched.updated_at = day + Duration::hours(hours);
        touched.version += 1;
        store.save_cart(&touched, cart.version, None).await.unwrap();
        cart = touched;
        open.push(cart);
    }
    // One of the day's carts was converted: it is listed under converted only.
    let order_id = OrderId::for_checkout("c3", "k");
    let converted = open[3].converted(order_id, day + Duration::hours(16));
    store
        .save_cart(&converted, open[3].version, None)
        .await
        .unwrap();

    let the_day = Period {
        from: day,
        until: day + Duration::days(1),
    };
    let mut expected: Vec<&Cart> = [0, 1, 4].iter().map(|i| &open[*i]).collect();
    expected.sort_by_key(|c| c.updated_at);
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let found = store
            .carts_in_status(CartStatus::Open, &the_day, &page)
            .await
            .unwrap();
        seen.extend(found.items.into_iter().map(|c| c.id));
        match found.next {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    assert_eq!(
        seen,
        expected.iter().map(|c| c.id.clone()).collect::<Vec<_>>()
    );
    let found = store
        .carts_in_status(CartStatus::Converted, &the_day, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(found.items, vec![converted]);
}

async fn a_cart_save_needs_the_version_it_was_read_at(b: Backend) {
    let store = b.store();
    let cart = open_cart(store.as_ref(), "c1", &[]).await;
    assert!(matches!(
        store.create_cart(&cart).await,
        Err(StoreError::AlreadyExists)
    ));
    let mut next = cart.clone();
    next.version += 1;
    next.discount = PricingPolicy::default().discount("WELCOME10", Currency::USD);
    store.save_cart(&next, cart.version, None).await.unwrap();
    assert!(matches!(
        store.save_cart(&next, cart.version, None).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.cart(&cart.id).await.unwrap().unwrap(), next);
}

async fn a_big_carts_change_is_saved_with_its_event_or_not_at_all(b: Backend) {
    let store = b.store();
    let cart = open_cart(store.as_ref(), "c1", &[("A-1", 5, 10_000)]).await;
    let customer = CustomerId::parse("c1").unwrap();
    let mut big = cart.clone();
    big.version += 1;
    big.big = true;
    let event = OutboxEvent::for_cart(EventType::CartUpdated, &big, &customer, Utc::now());
    store
        .save_cart(&big, cart.version, Some(&event))
        .await
        .unwrap();
    assert_eq!(store.cart(&cart.id).await.unwrap().unwrap(), big);
    assert_eq!(store.unsent_events(10).await.unwrap(), vec![event]);

    let late = OutboxEvent::for_cart(EventType::CartUpdated, &big, &customer, Utc::now());
    assert!(matches!(
        store.save_cart(&big, cart.version, Some(&late)).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.unsent_events(10).await.unwrap().len(),
        1,
        "a refused change records no event"
    );
}

// --- orders ---

async fn placing_an_order_takes_stock_converts_the_cart_and_records_the_event(b: Backend) {
    let store = b.store();
    add_product(store.as_ref(), "A-1", 100, 10).await;
    add_product(store.as_ref(), "B-2", 250, 10).await;
    let cart = open_cart(store.as_ref(), "c1", &[("A-1", 3, 100), ("B-2", 10, 250)]).await;
    let request = place(&cart, "k1");
    store.place_order(&request).await.unwrap();
    assert_eq!(stock(store.as_ref(), "A-1").await, 7);
    assert_eq!(stock(store.as_ref(), "B-2").await, 0);
    let stored_cart = store.cart(&cart.id).await.unwrap().unwrap();
    assert_eq!(stored_cart.status, CartStatus::Converted);
    assert_eq!(stored_cart.order_id.as_ref(), Some(&request.order.id));
    assert_eq!(
        store.order(&request.order.id).await.unwrap().unwrap(),
        request.order
    );
    let snapshot = b.snapshot().await.to_string();
    assert!(
        snapshot.contains(request.event.event_id.as_str()),
        "the outbox event is stored"
    );
}

async fn an_order_is_refused_whole_when_any_condition_fails(b: Backend) {
    let store = b.store();
    add_product(store.as_ref(), "A-1", 100, 10).await;
    add_product(store.as_ref(), "B-2", 250, 2).await;

    // Not enough B-2: nothing at all is written, A-1 keeps its stock.
    let cart = open_cart(store.as_ref(), "c1", &[("A-1", 3, 100), ("B-2", 3, 250)]).await;
    let before = b.snapshot().await;
    match store.place_order(&place(&cart, "k1")).await {
        Err(PlaceOrderError::OutOfStock {
            sku,
            location,
            available,
        }) => assert_eq!(
            (sku.as_str(), location, available),
            ("B-2", LocationId::default(), 2)
        ),
        other => panic!("expected out of stock, got {other:?}"),
    }
    assert_eq!(b.snapshot().await, before);

    // A price that is no longer the catalog's.
    let stale = open_cart(store.as_ref(), "c1", &[("A-1", 1, 99)]).await;
    let before = b.snapshot().await;
    assert!(matches!(
        store.place_order(&place(&stale, "k2")).await,
        Err(PlaceOrderError::PriceChanged { sku }) if sku.as_str() == "A-1"
    ));
    assert_eq!(b.snapshot().await, before);

    // An unknown or inactive product.
    let ghost = open_cart(store.as_ref(), "c1", &[("GHOST", 1, 100)]).await;
    assert!(matches!(
        store.place_order(&place(&ghost, "k3")).await,
        Err(PlaceOrderError::ProductUnavailable { .. })
    ));
    assert!(
        store.product(&sku("GHOST")).await.unwrap().is_none(),
        "no product appears"
    );

    // The cart changed since it was read.
    let cart = open_cart(store.as_ref(), "c1", &[("A-1", 1, 100)]).await;
    let mut request = place(&cart, "k4");
    request.expected_cart_version += 1;
    assert!(matches!(
        store.place_order(&request).await,
        Err(PlaceOrderError::CartChanged)
    ));

    // The same order id twice.
    let request = place(&cart, "k5");
    store.place_order(&request).await.unwrap();
    let again = open_cart(store.as_ref(), "c1", &[("A-1", 1, 100)]).await;
    let mut duplicate = place(&again, "k5");
    duplicate.order.id = request.order.id.clone();
    assert!(matches!(
        store.place_order(&duplicate).await,
        Err(PlaceOrderError::OrderExists)
    ));
    assert_eq!(stock(store.as_ref(), "A-1").await, 9);
}

/// 2 at main and 10 at east; B-2: 5 at main. An order of 11 A-1 and 3 B-2 takes A-1 at
/// both locations (one write for A-1) and B-2 at main.
async fn an_order_split_over_two_locations(store: &dyn Store) -> PlaceOrder {
    add_product(store, "A-1", 100, 2).await;
    store.adjust_stock(&sku("A-1"), &east(), 10).await.unwrap();
    add_product(store, "B-2", 250, 5).await;
    let cart = open_cart(store, "c1", &[("A-1", 11, 100), ("B-2", 3, 250)]).await;
    let order = place(&cart, "split").order;
    let stock = StockByLocation::from([
        (
            LocationId::default(),
            BTreeMap::from([(sku("A-1"), 2), (sku("B-2"), 5)]),
        ),
        (east(), BTreeMap::from([(sku("A-1"), 10)])),
    ]);
    let allocation = allocate(&order_units(&order), &stock, &LocationId::default()).unwrap();
    let request = placed_as(&cart, order, allocation);
    assert_eq!(
        request.stock_taken,
        vec![
            (LocationId::default(), sku("A-1"), 2),
            (LocationId::default(), sku("B-2"), 3),
            (east(), sku("A-1"), 9),
        ]
    );
    request
}

async fn an_order_takes_its_units_at_each_location_and_a_cancel_puts_them_back(b: Backend) {
    let store = b.store();
    let request = an_order_split_over_two_locations(store.as_ref()).await;

    store.place_order(&request).await.unwrap();

    let main = LocationId::default();
    assert_eq!(
        (
            stock_at(store.as_ref(), "A-1", &main).await,
            stock_at(store.as_ref(), "A-1", &east()).await,
            stock_at(store.as_ref(), "B-2", &main).await,
        ),
        (0, 1, 2)
    );
    assert_eq!(
        store.order(&request.order.id).await.unwrap().unwrap(),
        request.order,
        "the order keeps its allocation"
    );

    let (cancelled, restock) = request.order.cancel(None, Utc::now()).unwrap();
    store
        .change_order(&OrderChange {
            event: OutboxEvent::for_order(EventType::OrderCancelled, &cancelled, Utc::now()),
            expected_version: request.order.version,
            restock,
            order: cancelled,
            approvals: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        (
            stock_at(store.as_ref(), "A-1", &main).await,
            stock_at(store.as_ref(), "A-1", &east()).await,
            stock_at(store.as_ref(), "B-2", &main).await,
        ),
        (2, 10, 5)
    );
}

async fn an_order_one_location_cannot_ship_is_refused_whole(b: Backend) {
    let store = b.store();
    let request = an_order_split_over_two_locations(store.as_ref()).await;
    // East now holds 8 of the 9 A-1 the allocation takes there.
    store.adjust_stock(&sku("A-1"), &east(), -2).await.unwrap();
    let before = b.snapshot().await;

    let refused = store.place_order(&request).await;

    match refused {
        Err(PlaceOrderError::OutOfStock {
            sku,
            location,
            available,
        }) => assert_eq!((sku.as_str(), location, available), ("A-1", east(), 8)),
        other => panic!("expected out of stock at east, got {other:?}"),
    }
    assert_eq!(b.snapshot().await, before, "nothing is written");
}

async fn a_customers_orders_come_newest_first(b: Backend) {
    let store = b.store();
    add_product(store.as_ref(), "A-1", 100, 10).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let cart = open_cart(store.as_ref(), "c1", &[("A-1", 1, 100)]).await;
        let mut request = place(&cart, &format!("k{i}"));
        request.order.created_at = Utc::now() + Duration::seconds(i);
        store.place_order(&request).await.unwrap();
        ids.push(request.order.id.clone());
    }
    let other = open_cart(store.as_ref(), "c2", &[("A-1", 1, 100)]).await;
    store.place_order(&place(&other, "x")).await.unwrap();

    let orders = store
        .orders_for_customer(&CustomerKey::parse("c1").unwrap(), 10)
        .await
        .unwrap();
    ids.reverse();
    assert_eq!(orders.iter().map(|o| o.id.clone()).collect::<Vec<_>>(), ids);
    assert_eq!(
        store
            .orders_for_customer(&CustomerKey::parse("c1").unwrap(), 2)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn an_order_change_needs_the_current_version_and_restocks(b: Backend) {
    let store = b.store();
    add_product(store.as_ref(), "A-1", 100, 10).await;
    let cart = open_cart(store.as_ref(), "c1", &[("A-1", 4, 100)]).await;
    let placed = place(&cart, "k");
    store.place_order(&placed).await.unwrap();
    let (cancelled, restock) = placed.order.cancel(None, Utc::now()).unwrap();
    let change = OrderChange {
        event: OutboxEvent::for_order(EventType::OrderCancelled, &cancelled, Utc::now()),
        expected_version: placed.order.version,
        restock,
        order: cancelled.clone(),
        approvals: Vec::new(),
    };
    store.change_order(&change).await.unwrap();
    assert_eq!(stock(store.as_ref(), "A-1").await, 10);
    assert_eq!(
        store.order(&cancelled.id).await.unwrap().unwrap(),
        cancelled
    );
    let before = b.snapshot().await;
    assert!(matches!(
        store.change_order(&change).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        b.snapshot().await,
        before,
        "a refused change restocks nothing"
    );
}

async fn approval_requests_are_written_with_their_order_at_their_version_and_listed_by_status(
    b: Backend,
) {
    let store = b.store();
    add_product(store.as_ref(), "A-1", 100, 10).await;
    let mut cart = open_cart(store.as_ref(), "c1", &[("A-1", 4, 100)]).await;
    cart.discount = PricingPolicy::default().discount("VIP25", Currency::USD);
    let placed = place(&cart, "k");
    assert_eq!(
        placed.approvals.len(),
        1,
        "a 25% discount waits for a manager"
    );
    store.place_order(&placed).await.unwrap();
    let pending = placed.approvals[0].clone();
    assert_eq!(
        store.approval(&pending.id).await.unwrap(),
        Some(pending.clone())
    );
    let listed = store
        .approvals(ApprovalStatus::Pending, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items, vec![pending.clone()]);

    // Deciding it with an order change that came too late writes neither.
    let approved = pending
        .decide(Decision {
            approved: true,
            by: "manager-1".into(),
            via: DecisionSource::Store,
            at: Utc::now(),
            comment: Some("fine".into()),
        })
        .unwrap()
        .unwrap();
    let mut order = placed.order.clone();
    order.approvals.discount = approved.decision.clone();
    order.version += 1;
    let stale = OrderChange {
        event: OutboxEvent::for_order(EventType::OrderChanged, &order, Utc::now()),
        expected_version: placed.order.version + 5,
        restock: Vec::new(),
        order: order.clone(),
        approvals: vec![approved.clone()],
    };
    assert!(matches!(
        store.change_order(&stale).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.approval(&pending.id).await.unwrap(),
        Some(pending.clone())
    );

    let change = OrderChange {
        expected_version: placed.order.version,
        ..stale
    };
    store.change_order(&change).await.unwrap();
    assert_eq!(
        store.approval(&pending.id).await.unwrap(),
        Some(approved.clone())
    );
    assert!(
        store
            .approvals(ApprovalStatus::Pending, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        store
            .approvals(ApprovalStatus::Approved, &PageRequest::first(10))
            .await
            .unwrap()
            .items,
        vec![approved.clone()]
    );
    // A request saved over an older version than the stored one is refused.
    assert!(matches!(
        store.save_approval(&approved).await,
        Err(StoreError::Conflict)
    ));
    let mut noted = approved.clone();
    noted.managers_notified = true;
    noted.version += 1;
    store.save_approval(&noted).await.unwrap();
    assert_eq!(store.approval(&pending.id).await.unwrap(), Some(noted));
}

async fn a_change_from_salesforce_is_written_whole_once_and_an_invited_profile_is_claimed(
    b: Backend,
) {
    use storesync_core::accounts::StoreAccount;
    use storesync_core::customer::Invitation;
    use storesync_core::from_crm::{
        ChangeSide, ContactLink, CrmInboundWrite, CustomerChange, CustomerWrite,
    };
    use storesync_core::ids::CrmId;
    use storesync_core::ports::SyncRecordError;

    let store = b.store();
    let contact = CrmId::parse("003000000000001AAA").unwrap();
    let account_id = CrmId::parse("001000000000001AAA").unwrap();
    let now = Utc::now();
    let mut invited = customer(Customer::invited_id(&contact).as_str(), "Nita@Example.com");
    invited.account_id = Some(account_id.clone());
    invited.invitation = Some(Invitation {
        contact_id: contact.clone(),
        token_hash: "h".into(),
        invited_at: now,
    });
    let link = ContactLink {
        contact_id: contact.clone(),
        customer_id: invited.id.clone(),
        field_times: BTreeMap::new(),
        deleted: false,
        seen_version: 1,
        updated_at: now,
        version: 1,
    };
    let mut account = StoreAccount::new(account_id.clone(), now);
    account.name = "Sefton Services".into();
    account.version = 1;
    let history = |at: chrono::DateTime<Utc>, field: &str| CustomerChange {
        customer_id: invited.id.clone(),
        field: field.into(),
        side: ChangeSide::Salesforce,
        by: "005000000000002AAA".into(),
        at,
        old: None,
        new: Some("x".into()),
    };
    let write = CrmInboundWrite {
        event_id: "evt-1".into(),
        at: now,
        customer: Some(CustomerWrite::New(invited.clone())),
        link: Some(link.clone()),
        account: Some(account.clone()),
        history: vec![
            history(now, "profile"),
            history(now + Duration::seconds(1), "phone"),
        ],
        event: None,
    };
    store.apply_crm_change(&write).await.unwrap();
    assert!(store.crm_change_applied("evt-1").await.unwrap());
    assert!(!store.crm_change_applied("evt-2").await.unwrap());
    assert_eq!(
        store.contact_link(&contact).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        store.store_account(&account_id).await.unwrap(),
        Some(account)
    );
    let found = store
        .customer_by_email(&Email::parse("nita@EXAMPLE.com").unwrap())
        .await
        .unwrap();
    assert_eq!(found, Some(invited.clone()), "found whatever the case");
    let before = b.snapshot().await;
    assert!(matches!(
        store.apply_crm_change(&write).await,
        Err(SyncRecordError::AlreadyApplied)
    ));
    // Another change over a link version that moved on writes nothing at all.
    let stale = CrmInboundWrite {
        event_id: "evt-2".into(),
        customer: None,
        account: None,
        ..write.clone()
    };
    assert!(matches!(
        store.apply_crm_change(&stale).await,
        Err(SyncRecordError::Conflict)
    ));
    assert_eq!(b.snapshot().await, before);
    let newest: Vec<String> = store
        .customer_history(&invited.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.field)
        .collect();
    assert_eq!(newest, vec!["phone", "profile"]);

    // Claimed: the profile, its e-mail and its Contact's link move to the person's id.
    let mut claimed = invited.clone();
    claimed.id = CustomerId::parse("sub-nita").unwrap();
    claimed.invitation = None;
    claimed.version = 2;
    let moved = ContactLink {
        customer_id: claimed.id.clone(),
        version: 2,
        ..link
    };
    let event = OutboxEvent::for_customer(EventType::CustomerRegistered, &claimed, now);
    store
        .claim_customer(&invited, &claimed, &moved, &event, &[])
        .await
        .unwrap();
    assert_eq!(store.customer(&invited.id).await.unwrap(), None);
    assert_eq!(
        store.customer(&claimed.id).await.unwrap(),
        Some(claimed.clone())
    );
    assert_eq!(
        store.customer_by_email(&invited.email).await.unwrap(),
        Some(claimed.clone())
    );
    assert_eq!(
        store.contact_link(&contact).await.unwrap(),
        Some(moved.clone())
    );
    assert!(matches!(
        store
            .claim_customer(&invited, &claimed, &moved, &event, &[])
            .await,
        Err(StoreError::Conflict | StoreError::AlreadyExists)
    ));
}

async fn orders_are_listed_by_status_and_last_change_page_by_page(b: Backend) {
    let store = b.store();
    add_product(store.as_ref(), "A-1", 100, 100).await;
    let day = Utc::now() - Duration::days(3);
    let mut placed = Vec::new();
    // Five orders over the day, one the day after, written out of time order.
    for (i, hours) in [(0, 5), (1, 1), (2, 23), (3, 12), (4, 0), (5, 25)] {
        let cart = open_cart(store.as_ref(), &format!("c{i}"), &[("A-1", 1, 100)]).await;
        let mut request = place(&cart, &format!("k{i}"));
        request.order.created_at = day + Duration::hours(hours);
        request.order.updated_at = request.order.created_at;
        store.place_order(&request).await.unwrap();
        placed.push(request.order);
    }
    // One of the day's orders is cancelled that day: it leaves the awaiting-payment list.
    let (cancelled, restock) = placed[3].cancel(None, day + Duration::hours(13)).unwrap();
    store
        .change_order(&OrderChange {
            event: OutboxEvent::for_order(EventType::OrderCancelled, &cancelled, Utc::now()),
            expected_version: placed[3].version,
            restock,
            order: cancelled.clone(),
            approvals: Vec::new(),
        })
        .await
        .unwrap();

    let the_day = Period {
        from: day,
        until: day + Duration::days(1),
    };
    let mut expected: Vec<&Order> = [0, 1, 2, 4].iter().map(|i| &placed[*i]).collect();
    expected.sort_by_key(|o| o.created_at);
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let found = store
            .orders_in_status(OrderStatus::PendingPayment, &the_day, &page)
            .await
            .unwrap();
        assert!(found.items.len() <= 3);
        seen.extend(found.items.into_iter().map(|o| o.id));
        match found.next {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    assert_eq!(
        seen,
        expected.iter().map(|o| o.id.clone()).collect::<Vec<_>>()
    );
    let cancelled_today = store
        .orders_in_status(OrderStatus::Cancelled, &the_day, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(cancelled_today.items, vec![cancelled]);
    assert_eq!(cancelled_today.next, None);
}

async fn unsent_events_come_oldest_first_until_marked_sent(b: Backend) {
    let store = b.store();
    add_product(store.as_ref(), "A-1", 100, 10).await;
    let mut events = Vec::new();
    for i in 0..3 {
        let cart = open_cart(store.as_ref(), "c1", &[("A-1", 1, 100)]).await;
        let mut request = place(&cart, &format!("k{i}"));
        request.event.occurred_at = Utc::now() + Duration::seconds(10 - i);
        store.place_order(&request).await.unwrap();
        events.push(request.event);
    }
    let ids = |list: &[OutboxEvent]| list.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>();
    let unsent = store.unsent_events(10).await.unwrap();
    assert_eq!(
        ids(&unsent),
        vec![
            events[2].event_id.clone(),
            events[1].event_id.clone(),
            events[0].event_id.clone()
        ]
    );
    assert_eq!(unsent[0], events[2], "stored whole");
    assert_eq!(store.unsent_events(2).await.unwrap().len(), 2);
    store.mark_sent(&events[1].event_id).await.unwrap();
    store.mark_sent(&events[1].event_id).await.unwrap();
    assert_eq!(
        ids(&store.unsent_events(10).await.unwrap()),
        vec![events[2].event_id.clone(), events[0].event_id.clone()]
    );
    let unknown = storesync_core::ids::EventId::random();
    assert!(matches!(
        store.mark_sent(&unknown).await,
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(
        store.unsent_events(10).await.unwrap().len(),
        2,
        "nothing appears"
    );
}

against_both_stores!(
    job_runs_come_newest_first_and_a_run_is_kept_once_by_its_id,
    a_mail_is_kept_once_by_its_id_and_mails_come_newest_first,
    carts_are_listed_by_status_and_last_change_page_by_page,
    orders_are_listed_by_status_and_last_change_page_by_page,
    unsent_events_come_oldest_first_until_marked_sent,
    products_are_listed_by_sku_and_upserts_keep_stock,
    stock_never_goes_below_zero,
    an_email_belongs_to_one_customer_whatever_its_case,
    a_customer_update_needs_the_current_version_and_moves_the_email,
    a_cart_save_needs_the_version_it_was_read_at,
    a_big_carts_change_is_saved_with_its_event_or_not_at_all,
    placing_an_order_takes_stock_converts_the_cart_and_records_the_event,
    an_order_is_refused_whole_when_any_condition_fails,
    an_order_takes_its_units_at_each_location_and_a_cancel_puts_them_back,
    an_order_one_location_cannot_ship_is_refused_whole,
    a_customers_orders_come_newest_first,
    an_order_change_needs_the_current_version_and_restocks,
    approval_requests_are_written_with_their_order_at_their_version_and_listed_by_status,
    a_change_from_salesforce_is_written_whole_once_and_an_invited_profile_is_claimed,
);
