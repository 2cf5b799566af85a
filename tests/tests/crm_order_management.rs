//! Orgs with Salesforce Order Management: each activated Order gets one OrderSummary, made
//! through the Connect API's order-summaries action after the Order's graph, kept in the
//! sync ledger so it is asked for once. Without the setting, none.

use order_events::Delivery;
use storesync_core::ids::OrderId;
use storesync_core::ports::SyncChange;
use storesync_core::sync::resync::Target;
use storesync_tests::crm::{SyncHarness, text};

/// A known customer's second order, placed and paid; returns the order id and the API calls
/// its sync cost.
async fn paid_order_synced(h: &SyncHarness, customer: &str) -> (String, u64) {
    h.register(customer, &format!("{customer}@example.com"), None)
        .await;
    let (first, total) = h.order(customer, 1).await;
    h.pay(&first, total).await;
    h.sync().await;
    let (order, total) = h.order(customer, 2).await;
    h.pay(&order, total).await;
    h.emulator.reset_calls();
    h.sync().await;
    (order, h.emulator.api_calls())
}

/// Re-syncs the order as an operator's "sync now" does.
async fn sync_now(h: &SyncHarness, order: &str) {
    let (resync, _) = h.resync();
    let summary = resync
        .sync_records(&[Target::Order(OrderId::parse(order).unwrap())])
        .await
        .unwrap();
    assert_eq!(summary.orders_synced, 1, "{summary:?}");
}

#[tokio::test]
async fn a_paid_orders_activated_order_gets_one_summary_for_one_more_api_call() {
    let off = SyncHarness::start().await;
    let (_, calls_off) = paid_order_synced(&off, "om-off").await;
    let on = SyncHarness::start().await;
    on.settings(|s| s.order_management = true).await;

    let (order, calls_on) = paid_order_synced(&on, "om-on").await;

    assert_eq!(calls_off, 2, "placed and paid: a graph each");
    assert_eq!(calls_on, calls_off + 1, "the summary costs one call");
    let sf_order = on.one("Order", "Storesync_Order_Id__c", &order);
    assert_eq!(text(&sf_order, "Status"), "Activated");
    let summary = on.one("OrderSummary", "OriginalOrderId", text(&sf_order, "Id"));
    assert_eq!(text(&summary, "OrderLifeCycleType"), "UNMANAGED");
    assert_eq!(text(&summary, "AccountId"), text(&sf_order, "AccountId"));
    assert_eq!(
        on.records("OrderSummary").len(),
        2,
        "one per activated Order"
    );
    let ledger = on.order_sync(&order).await;
    assert_eq!(
        ledger.order_summary_id.as_ref().map(|id| id.as_str()),
        Some(text(&summary, "Id"))
    );
}

#[tokio::test]
async fn without_the_setting_no_order_gets_a_summary() {
    let h = SyncHarness::start().await;

    let (order, _) = paid_order_synced(&h, "om-none").await;

    assert_eq!(
        text(&h.one("Order", "Storesync_Order_Id__c", &order), "Status"),
        "Activated"
    );
    assert!(h.records("OrderSummary").is_empty());
    assert_eq!(h.order_sync(&order).await.order_summary_id, None);
}

#[tokio::test]
async fn a_replay_or_a_re_sync_makes_no_second_summary() {
    let h = SyncHarness::start().await;
    h.settings(|s| s.order_management = true).await;
    h.register("om-again", "om-again@example.com", None).await;
    let (order, total) = h.order("om-again", 1).await;
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
    assert_eq!(h.records("OrderSummary").len(), 1);

    h.emulator.reset_calls();
    assert!(consumer.consume(&deliveries).await.is_empty(), "replayed");
    assert_eq!(
        h.emulator.api_calls(),
        0,
        "a replay asks Salesforce nothing"
    );
    sync_now(&h, &order).await;
    let resync_calls = h.emulator.api_calls();

    assert_eq!(h.records("OrderSummary").len(), 1, "still one summary");
    assert_eq!(
        resync_calls, 1,
        "the graph only: the ledger knows the summary"
    );
}

#[tokio::test]
async fn a_summary_whose_answer_was_lost_is_found_not_made_again() {
    let h = SyncHarness::start().await;
    h.settings(|s| s.order_management = true).await;
    let (order, _) = paid_order_synced(&h, "om-lost").await;
    let made = h.order_sync(&order).await.order_summary_id.clone();
    assert!(made.is_some());
    // The ledger as it is when the action's answer never came back.
    let mut forgotten = h.order_sync(&order).await;
    forgotten.order_summary_id = None;
    forgotten.version += 1;
    h.store
        .record_sync(&SyncChange {
            event_id: None,
            customer: None,
            order: Some(forgotten),
            cart: None,
            prices: Vec::new(),
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();

    h.emulator.reset_calls();
    sync_now(&h, &order).await;

    assert_eq!(
        h.emulator.api_calls(),
        3,
        "the graph, the refused action, the query"
    );
    assert_eq!(h.records("OrderSummary").len(), 2, "no second summary");
    assert_eq!(h.order_sync(&order).await.order_summary_id, made);
}
