//! One contract for the sync's ledger, run against the embedded store and DynamoDB (moto on
//! loopback): settings, sync status records at their versions and their lists by sync state,
//! and applied event ids.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use storesync_core::ids::{CartId, CrmId, CustomerKey, EventId, OrderId, Sku};
use storesync_core::money::{Currency, Money};
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::ports::{PageRequest, Store, StoreError, SyncChange, SyncRecordError};
use storesync_core::sync::settings::SyncSettings;
use storesync_core::sync::status::{
    CartSync, CrmObject, CustomerSync, OrderItemSync, OrderProducts, OrderSync, Outcome, PriceSync,
    SyncState,
};
use storesync_tests::{Backend, against_both_stores};

fn key(raw: &str) -> CustomerKey {
    CustomerKey::parse(raw).unwrap()
}

fn synced(object: CrmObject, id: &str) -> Outcome {
    Outcome::Synced(BTreeMap::from([(object, CrmId::parse(id).unwrap())]))
}

fn failed(why: &str) -> Outcome {
    Outcome::Failed(why.into())
}

fn order_sync(idempotency_key: &str, version: u64) -> OrderSync {
    OrderSync {
        order_id: OrderId::for_checkout("c1", idempotency_key),
        customer_key: key("c1"),
        number: "SO-0000-0000-0001".into(),
        status: OrderStatus::Paid,
        total: Money::new(2900, Currency::USD),
        order_version: 2,
        order_activated: true,
        objects: BTreeMap::new(),
        // What a reduction order needs: kept as written by both stores.
        products: OrderProducts {
            items: BTreeMap::from([(
                Sku::parse("MUG-WHT").unwrap(),
                OrderItemSync {
                    order_item_id: CrmId::parse("802000000000001AAA").unwrap(),
                    price_entry_id: CrmId::parse("01u000000000001AAA").unwrap(),
                },
            )]),
            reductions: BTreeMap::from([(
                "chg_1".to_owned(),
                CrmId::parse("801000000000002AAA").unwrap(),
            )]),
        },
        // Kept by both stores, so an OrderSummary is asked for once.
        order_summary_id: Some(CrmId::parse("1Os000000000001AAA").unwrap()),
        follow_up_sent: false,
        updated_at: Utc::now(),
        version,
    }
}

async fn settings_are_saved_at_their_version(b: Backend) {
    let store = b.store();
    assert_eq!(store.sync_settings().await.unwrap(), None);
    let settings = SyncSettings {
        sales_cycle_days: 15,
        version: 1,
        ..Default::default()
    };
    store.save_sync_settings(&settings).await.unwrap();
    assert_eq!(store.sync_settings().await.unwrap(), Some(settings.clone()));
    assert!(
        matches!(
            store.save_sync_settings(&settings).await,
            Err(StoreError::Conflict)
        ),
        "a second save at the same version lost the race"
    );
    let mut next = settings.clone();
    next.contact_roles = false;
    next.version = 2;
    store.save_sync_settings(&next).await.unwrap();
    assert_eq!(store.sync_settings().await.unwrap(), Some(next));
}

async fn a_sync_is_recorded_once_per_event_with_its_records(b: Backend) {
    let store = b.store();
    let now = Utc::now();
    let event = EventId::random();
    let mut customer = CustomerSync::new(key("c1"), now);
    customer.record(
        &[CrmObject::Contact],
        &synced(CrmObject::Contact, "003000000000001AAA"),
        now,
    );
    customer.version = 1;
    let mut order = order_sync("k1", 1);
    order.record(
        &[CrmObject::Opportunity],
        &synced(CrmObject::Opportunity, "006000000000001AAA"),
        now,
    );
    let change = SyncChange {
        event_id: Some(event.clone()),
        customer: Some(customer.clone()),
        order: Some(order.clone()),
        cart: None,
        prices: vec![],
        at: now,
    };
    assert!(!store.event_applied(&event).await.unwrap());
    store.record_sync(&change).await.unwrap();
    assert!(store.event_applied(&event).await.unwrap());
    assert_eq!(
        store.customer_sync(&key("c1")).await.unwrap(),
        Some(customer.clone())
    );
    let stored = store.order_sync(&order.order_id).await.unwrap().unwrap();
    assert_eq!(stored, order);
    assert_eq!(stored.state(), SyncState::Synced);

    // The same event again changes nothing, even with newer records.
    let before = b.snapshot().await;
    let mut later = customer.clone();
    later.version = 2;
    later.has_orders = true;
    let again = SyncChange {
        customer: Some(later),
        ..change.clone()
    };
    assert!(matches!(
        store.record_sync(&again).await,
        Err(SyncRecordError::AlreadyApplied)
    ));
    assert_eq!(b.snapshot().await, before);
}

async fn a_record_is_written_only_over_the_version_it_was_read_at(b: Backend) {
    let store = b.store();
    let now = Utc::now();
    let mut first = CustomerSync::new(key("c2"), now);
    first.version = 1;
    let write = |c: CustomerSync| SyncChange {
        event_id: None,
        customer: Some(c),
        order: None,
        cart: None,
        prices: vec![],
        at: now,
    };
    store.record_sync(&write(first.clone())).await.unwrap();
    assert!(
        matches!(
            store.record_sync(&write(first.clone())).await,
            Err(SyncRecordError::Conflict)
        ),
        "version 1 is written only once"
    );
    let mut second = first.clone();
    second.version = 2;
    second.record(&[CrmObject::Lead], &Outcome::Retrying("503".into()), now);
    store.record_sync(&write(second.clone())).await.unwrap();
    let mut stale = first.clone();
    stale.version = 2;
    assert!(matches!(
        store.record_sync(&write(stale)).await,
        Err(SyncRecordError::Conflict)
    ));
    let stored = store.customer_sync(&key("c2")).await.unwrap().unwrap();
    assert_eq!(stored, second);
    assert_eq!(stored.state(), SyncState::Pending);
    assert_eq!(stored.objects[&CrmObject::Lead].attempts, 1);
}

async fn a_refused_change_writes_neither_the_event_nor_the_records(b: Backend) {
    let store = b.store();
    let now = Utc::now();
    let mut order = order_sync("k1", 2);
    order.version = 2;
    let event = EventId::random();
    let mut customer = CustomerSync::new(key("c3"), now);
    customer.version = 1;
    let change = SyncChange {
        event_id: Some(event.clone()),
        customer: Some(customer),
        // Version 2 of an order never written: refused, and with it the whole change.
        order: Some(order),
        cart: None,
        prices: vec![],
        at: now,
    };
    let before = b.snapshot().await;
    assert!(matches!(
        store.record_sync(&change).await,
        Err(SyncRecordError::Conflict)
    ));
    assert_eq!(b.snapshot().await, before);
    assert!(!store.event_applied(&event).await.unwrap());
}

async fn prices_created_in_salesforce_are_remembered_by_key(b: Backend) {
    let store = b.store();
    let price = |key: &str, entry: &str| PriceSync {
        key: key.into(),
        product_id: CrmId::parse("01t000000000001AAA").unwrap(),
        price_entry_id: CrmId::parse(entry).unwrap(),
    };
    assert!(
        store
            .price_entries(&["MUG:USD".into()])
            .await
            .unwrap()
            .is_empty()
    );
    let change = SyncChange {
        event_id: None,
        customer: None,
        order: None,
        cart: None,
        prices: vec![
            price("MUG:USD", "01u000000000001AAA"),
            price("MUG:EUR", "01u000000000002AAA"),
        ],
        at: Utc::now(),
    };
    store.record_sync(&change).await.unwrap();
    // Written again (another order made the same price): the last answer stands.
    let again = SyncChange {
        prices: vec![price("MUG:USD", "01u000000000003AAA")],
        ..change
    };
    store.record_sync(&again).await.unwrap();
    let mut found = store
        .price_entries(&["MUG:USD".into(), "MUG:EUR".into(), "CUP:USD".into()])
        .await
        .unwrap();
    found.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(
        found,
        [
            price("MUG:EUR", "01u000000000002AAA"),
            price("MUG:USD", "01u000000000003AAA")
        ]
    );
}

/// Writes whichever records are given, at their versions.
async fn record(store: &dyn Store, customer: Option<CustomerSync>, order: Option<OrderSync>) {
    let change = SyncChange {
        event_id: None,
        customer,
        order,
        cart: None,
        prices: vec![],
        at: Utc::now(),
    };
    store.record_sync(&change).await.unwrap();
}

/// Every order in `state`, from a first page larger than the test writes.
async fn orders_in(store: &dyn Store, state: SyncState) -> Vec<OrderSync> {
    let page = store
        .orders_in_sync_state(state, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.next, None, "a page that is not full is the last");
    page.items
}

/// Every customer in `state`, as for orders.
async fn customers_in(store: &dyn Store, state: SyncState) -> Vec<CustomerSync> {
    let page = store
        .customers_in_sync_state(state, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.next, None, "a page that is not full is the last");
    page.items
}

async fn each_record_is_listed_under_its_sync_state_only(b: Backend) {
    let store = b.store();
    let now = Utc::now();
    let opportunity = synced(CrmObject::Opportunity, "006000000000001AAA");
    let mut failed_order = order_sync("k-failed", 1);
    failed_order.record(&[CrmObject::Opportunity], &opportunity, now);
    // One failed record makes the whole order failed, whatever else was synced.
    failed_order.record(&[CrmObject::Order], &failed("FIELD_INTEGRITY"), now);
    let mut synced_order = order_sync("k-synced", 1);
    synced_order.record(&[CrmObject::Opportunity], &opportunity, now);
    let pending_order = order_sync("k-pending", 1);

    let contact = synced(CrmObject::Contact, "003000000000001AAA");
    let mut failed_customer = CustomerSync::new(key("c-failed"), now);
    failed_customer.record(&[CrmObject::Contact], &contact, now);
    failed_customer.record(&[CrmObject::Account], &failed("DUPLICATE_VALUE"), now);
    failed_customer.version = 1;
    let mut synced_customer = CustomerSync::new(key("c-synced"), now);
    synced_customer.record(&[CrmObject::Contact], &contact, now);
    synced_customer.version = 1;
    let mut pending_customer = CustomerSync::new(key("c-pending"), now);
    pending_customer.version = 1;

    let store = &*store;
    record(
        store,
        Some(failed_customer.clone()),
        Some(failed_order.clone()),
    )
    .await;
    record(
        store,
        Some(synced_customer.clone()),
        Some(synced_order.clone()),
    )
    .await;
    record(
        store,
        Some(pending_customer.clone()),
        Some(pending_order.clone()),
    )
    .await;

    assert_eq!(orders_in(store, SyncState::Failed).await, [failed_order]);
    assert_eq!(orders_in(store, SyncState::Synced).await, [synced_order]);
    assert_eq!(orders_in(store, SyncState::Pending).await, [pending_order]);
    assert_eq!(
        customers_in(store, SyncState::Failed).await,
        [failed_customer]
    );
    assert_eq!(
        customers_in(store, SyncState::Synced).await,
        [synced_customer]
    );
    assert_eq!(
        customers_in(store, SyncState::Pending).await,
        [pending_customer]
    );
}

async fn a_list_is_read_page_by_page_in_position_order_without_gaps_or_repeats(b: Backend) {
    let store = b.store();
    let store = &*store;
    let start = Utc::now();
    // Written out of time order, so that the order of the list is the store's doing.
    let minutes = [3, 0, 4, 1, 2];
    let mut expected = Vec::new();
    for (i, minute) in minutes.into_iter().enumerate() {
        let mut order = order_sync(&format!("k{i}"), 1);
        let at = start + Duration::minutes(minute);
        order.record(&[CrmObject::Opportunity], &failed("UNABLE_TO_LOCK_ROW"), at);
        record(store, None, Some(order.clone())).await;
        expected.push(order);
    }
    let mut synced_between = order_sync("k-synced", 1);
    synced_between.record(
        &[CrmObject::Opportunity],
        &synced(CrmObject::Opportunity, "006000000000001AAA"),
        start + Duration::seconds(150),
    );
    record(store, None, Some(synced_between)).await;
    expected.sort_by_key(OrderSync::position);

    let mut pages = Vec::new();
    let mut after = None;
    // Bounded, so that a store whose last page still points further fails instead of looping.
    while pages.len() <= minutes.len() {
        let request = PageRequest { limit: 2, after };
        let page = store
            .orders_in_sync_state(SyncState::Failed, &request)
            .await
            .unwrap();
        pages.push(page.items);
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(pages.concat(), expected);
}

async fn a_record_synced_after_failing_moves_from_the_failed_list_to_the_synced_one(b: Backend) {
    let store = b.store();
    let store = &*store;
    let now = Utc::now();
    let mut customer = CustomerSync::new(key("c1"), now);
    customer.record(&[CrmObject::Contact], &failed("INVALID_EMAIL_ADDRESS"), now);
    customer.version = 1;
    let mut order = order_sync("k1", 1);
    order.record(
        &[CrmObject::Opportunity],
        &failed("INVALID_EMAIL_ADDRESS"),
        now,
    );
    record(store, Some(customer.clone()), Some(order.clone())).await;
    assert_eq!(orders_in(store, SyncState::Failed).await, [order.clone()]);
    assert_eq!(
        customers_in(store, SyncState::Failed).await,
        [customer.clone()]
    );

    let later = now + Duration::minutes(5);
    customer.record(
        &[CrmObject::Contact],
        &synced(CrmObject::Contact, "003000000000001AAA"),
        later,
    );
    customer.version = 2;
    order.record(
        &[CrmObject::Opportunity],
        &synced(CrmObject::Opportunity, "006000000000001AAA"),
        later,
    );
    order.version = 2;
    record(store, Some(customer.clone()), Some(order.clone())).await;

    assert!(orders_in(store, SyncState::Failed).await.is_empty());
    assert!(customers_in(store, SyncState::Failed).await.is_empty());
    assert_eq!(orders_in(store, SyncState::Synced).await, [order]);
    assert_eq!(customers_in(store, SyncState::Synced).await, [customer]);
}

async fn an_abandoned_carts_sync_is_kept_at_its_version_and_listed_by_state(b: Backend) {
    let store = b.store();
    let now = Utc::now();
    let id = CartId::random();
    let write = |c: &CartSync| SyncChange {
        event_id: None,
        customer: None,
        order: None,
        cart: Some(c.clone()),
        prices: vec![],
        at: now,
    };
    let mut cart = CartSync::new(id.clone(), key("c1"), Money::new(4600, Currency::EUR), now);
    cart.cart_version = 3;
    cart.record(
        &[CrmObject::Opportunity],
        &failed("REQUIRED_FIELD_MISSING"),
        now,
    );
    cart.version = 1;
    store.record_sync(&write(&cart)).await.unwrap();
    assert_eq!(store.cart_sync(&id).await.unwrap(), Some(cart.clone()));
    let failed_list = store
        .carts_in_sync_state(SyncState::Failed, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(failed_list.items, [cart.clone()]);

    // Written again only over the version it was read at.
    let before = b.snapshot().await;
    assert!(matches!(
        store.record_sync(&write(&cart)).await,
        Err(SyncRecordError::Conflict)
    ));
    assert_eq!(b.snapshot().await, before);

    let later = now + Duration::seconds(1);
    cart.record(
        &[CrmObject::Opportunity],
        &synced(CrmObject::Opportunity, "006000000000001AAA"),
        later,
    );
    cart.version = 2;
    store.record_sync(&write(&cart)).await.unwrap();
    let first = PageRequest::first(10);
    let failed_now = store.carts_in_sync_state(SyncState::Failed, &first).await;
    assert!(failed_now.unwrap().items.is_empty());
    let synced_now = store.carts_in_sync_state(SyncState::Synced, &first).await;
    assert_eq!(synced_now.unwrap().items, [cart]);
}

against_both_stores!(
    an_abandoned_carts_sync_is_kept_at_its_version_and_listed_by_state,
    prices_created_in_salesforce_are_remembered_by_key,
    settings_are_saved_at_their_version,
    a_sync_is_recorded_once_per_event_with_its_records,
    a_record_is_written_only_over_the_version_it_was_read_at,
    a_refused_change_writes_neither_the_event_nor_the_records,
    each_record_is_listed_under_its_sync_state_only,
    a_list_is_read_page_by_page_in_position_order_without_gaps_or_repeats,
    a_record_synced_after_failing_moves_from_the_failed_list_to_the_synced_one,
);
