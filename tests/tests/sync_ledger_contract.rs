//! One contract for the sync's ledger, run against the embedded store and DynamoDB (moto on
//! loopback): settings, sync status records at their versions, and applied event ids.

use std::collections::BTreeMap;

use chrono::Utc;
use storesync_core::ids::{CrmId, CustomerKey, EventId, OrderId};
use storesync_core::money::{Currency, Money};
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::ports::{StoreError, SyncChange, SyncRecordError};
use storesync_core::sync::settings::SyncSettings;
use storesync_core::sync::status::{
    CrmObject, CustomerSync, OrderSync, Outcome, PriceSync, SyncState,
};
use storesync_tests::{Backend, against_both_stores};

fn key(raw: &str) -> CustomerKey {
    CustomerKey::parse(raw).unwrap()
}

fn synced(object: CrmObject, id: &str) -> Outcome {
    Outcome::Synced(BTreeMap::from([(object, CrmId::parse(id).unwrap())]))
}

fn order_sync(version: u64) -> OrderSync {
    OrderSync {
        order_id: OrderId::for_checkout("c1", "k1"),
        customer_key: key("c1"),
        number: "SO-0000-0000-0001".into(),
        status: OrderStatus::Paid,
        total: Money::new(2900, Currency::USD),
        order_version: 2,
        order_activated: true,
        objects: BTreeMap::new(),
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
    let mut order = order_sync(1);
    order.record(
        &[CrmObject::Opportunity],
        &synced(CrmObject::Opportunity, "006000000000001AAA"),
        now,
    );
    let change = SyncChange {
        event_id: Some(event.clone()),
        customer: Some(customer.clone()),
        order: Some(order.clone()),
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
    let mut order = order_sync(2);
    order.version = 2;
    let event = EventId::random();
    let mut customer = CustomerSync::new(key("c3"), now);
    customer.version = 1;
    let change = SyncChange {
        event_id: Some(event.clone()),
        customer: Some(customer),
        // Version 2 of an order never written: refused, and with it the whole change.
        order: Some(order),
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

against_both_stores!(
    prices_created_in_salesforce_are_remembered_by_key,
    settings_are_saved_at_their_version,
    a_sync_is_recorded_once_per_event_with_its_records,
    a_record_is_written_only_over_the_version_it_was_read_at,
    a_refused_change_writes_neither_the_event_nor_the_records,
);
