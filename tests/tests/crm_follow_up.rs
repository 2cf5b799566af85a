//! High-value orders: a paid order whose total reaches its currency's threshold gets a Task
//! for the Account's owner and a `Storesync_Order_Event__e`, both inside the order's
//! Composite Graph (no extra API call), each made once however often the order syncs. And
//! every Salesforce Order carries the store's order type.

use chrono::{Days, Utc};
use order_events::Delivery;
use serde_json::json;
use storesync_core::ids::OrderId;
use storesync_core::money::Currency;
use storesync_core::sync::resync::Target;
use storesync_tests::crm::{SyncHarness, text};

/// A sales rep in the org, the owner of the Accounts the sync makes.
fn rep(h: &SyncHarness) -> String {
    h.emulator
        .insert(
            "User",
            json!({"Username": "rep@example.com", "LastName": "Rep", "Email": "rep@example.com", "Alias": "rep"}),
        )
        .expect("a User")
}

/// Orders reach the follow-up from `minor` USD minor units.
async fn follow_up_from(h: &SyncHarness, minor: i64) {
    h.settings(|s| s.follow_up_over = [(Currency::USD, minor)].into())
        .await;
}

/// Places and pays `quantity` mugs for `customer`, syncs; returns the order, its total and
/// the API calls its sync cost.
async fn paid_and_synced(h: &SyncHarness, customer: &str, quantity: i64) -> (String, i64, u64) {
    let (order, total) = h.order(customer, quantity).await;
    h.pay(&order, total).await;
    h.emulator.reset_calls();
    h.sync().await;
    (order, total, h.emulator.api_calls())
}

#[tokio::test]
async fn a_high_value_order_gets_one_task_for_the_account_owner_and_one_order_event() {
    let h = SyncHarness::start().await;
    let owner = rep(&h);
    h.settings(|s| s.default_owner_id = Some(owner.clone()))
        .await;
    h.register("hv-1", "hv-1@example.com", None).await;
    let (order, total) = h.order("hv-1", 3).await;
    follow_up_from(&h, total).await;

    h.pay(&order, total).await;
    h.sync().await;

    let tasks = h.records("Task");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let task = &tasks[0];
    let contact = h.one("Contact", "Email", "hv-1@example.com");
    let opportunity = h.one("Opportunity", "Storesync_Order_Id__c", &order);
    let number = h.order_sync(&order).await.number;
    assert_eq!(
        text(task, "Subject"),
        format!("Call Jane Doe hv-1 about order {number}")
    );
    let due = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(2))
        .unwrap();
    assert_eq!(text(task, "ActivityDate"), due.to_string());
    assert_eq!(text(task, "OwnerId"), owner, "the Account owner's Task");
    assert_ne!(owner, h.emulator.integration_user_id());
    assert_eq!(text(task, "WhatId"), text(&opportunity, "Id"));
    assert_eq!(text(task, "WhoId"), text(&contact, "Id"));
    assert_eq!(text(task, "Storesync_Key__c"), order);

    let events = h.emulator.published_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(text(event, "Order_Id__c"), order);
    assert_eq!(text(event, "Order_Number__c"), number);
    assert_eq!(text(event, "Event_Type__c"), "high_value_order");
    assert_eq!(text(event, "Account_Id__c"), text(&contact, "AccountId"));
    assert_eq!(text(event, "Currency__c"), "USD");
    assert_eq!(event["Amount__c"], json!(total as f64 / 100.0));
    assert!(h.order_sync(&order).await.follow_up_sent);
}

#[tokio::test]
async fn the_follow_up_costs_no_api_call_it_rides_in_the_orders_graph() {
    let h = SyncHarness::start().await;
    h.app.set_stock("MUG-WHT", 100).await;
    h.register("hv-calls", "hv-calls@example.com", None).await;
    let (first, total) = h.order("hv-calls", 1).await;
    h.pay(&first, total).await;
    h.sync().await;
    let (_, big_total) = h.order("hv-calls", 4).await;
    follow_up_from(&h, big_total - 1).await;
    h.take_messages().await;

    let (big, _, big_calls) = paid_and_synced(&h, "hv-calls", 4).await;
    let (small, _, small_calls) = paid_and_synced(&h, "hv-calls", 1).await;

    assert_eq!(h.records("Task").len(), 1, "the small order has none");
    assert_eq!(
        text(&h.records("Task")[0], "Storesync_Key__c"),
        big.as_str()
    );
    assert_eq!(h.emulator.published_events().len(), 1);
    assert!(!h.order_sync(&small).await.follow_up_sent);
    assert_eq!(
        big_calls, small_calls,
        "the Task, the owner's read and the event are nodes of the same graph"
    );
    assert_eq!(small_calls, 2, "placed and paid: a graph each");
}

#[tokio::test]
async fn a_replay_or_a_re_sync_makes_neither_the_task_nor_the_event_again() {
    let h = SyncHarness::start().await;
    h.register("hv-again", "hv-again@example.com", None).await;
    let (order, total) = h.order("hv-again", 2).await;
    follow_up_from(&h, total).await;
    h.pay(&order, total).await;
    let messages = h.take_messages().await;
    let deliveries: Vec<Delivery> = messages
        .iter()
        .map(|m| Delivery {
            id: m.id.clone(),
            group: m.group.clone(),
            body: m.body.clone(),
            receive_count: 1,
        })
        .collect();
    let consumer = h.consumer();
    assert!(consumer.consume(&deliveries).await.is_empty());
    assert_eq!(h.records("Task").len(), 1);
    assert_eq!(h.emulator.published_events().len(), 1);

    assert!(consumer.consume(&deliveries).await.is_empty(), "replayed");
    let (resync, _) = h.resync();
    let summary = resync
        .sync_records(&[Target::Order(OrderId::parse(&order).unwrap())])
        .await
        .unwrap();
    assert_eq!(summary.orders_synced, 1, "{summary:?}");

    assert_eq!(h.records("Task").len(), 1, "still one Task");
    assert_eq!(h.emulator.published_events().len(), 1, "still one event");
}

#[tokio::test]
async fn without_a_threshold_for_its_currency_no_order_is_followed_up() {
    let h = SyncHarness::start().await;
    h.settings(|s| s.follow_up_over.clear()).await;
    h.register("hv-off", "hv-off@example.com", None).await;

    let (order, _, _) = paid_and_synced(&h, "hv-off", 3).await;

    assert!(h.records("Task").is_empty());
    assert!(h.emulator.published_events().is_empty());
    assert!(!h.order_sync(&order).await.follow_up_sent);
}

#[tokio::test]
async fn salesforce_orders_carry_the_store_order_type() {
    let h = SyncHarness::start().await;
    h.app.set_stock("MUG-WHT", 200).await;
    h.register("type-1", "type-1@example.com", None).await;

    let (normal, _, _) = paid_and_synced(&h, "type-1", 1).await;
    let (bulk, _, _) = paid_and_synced(&h, "type-1", 50).await;

    let normal = h.one("Order", "Storesync_Order_Id__c", &normal);
    let bulk = h.one("Order", "Storesync_Order_Id__c", &bulk);
    assert_eq!(text(&normal, "Type"), "Normal");
    assert_eq!(text(&bulk, "Type"), "Bulk");
}
