//! The nightly re-sync: what failed or waited reaches Salesforce in bulk, within the API
//! calls a store can afford, gives way to live sync past the budget share, and respects
//! automatic sync being off while an operator's "sync now" still works.

use order_events::Delivery;
use storesync_core::ids::OrderId;
use storesync_core::ports::PageRequest;
use storesync_core::sync::resync::{SyncRequest, Target};
use storesync_core::sync::status::SyncState;
use storesync_tests::crm::SyncHarness;

async fn failed_orders(h: &SyncHarness) -> usize {
    h.store
        .orders_in_sync_state(SyncState::Failed, &PageRequest::first(5_000))
        .await
        .unwrap()
        .items
        .len()
}

fn no_time_limit() -> bool {
    true
}

#[tokio::test]
async fn a_thousand_failed_orders_are_re_synced_in_at_most_15_api_calls() {
    let h = SyncHarness::start().await;
    let orders = h.failed_second_orders(1_000).await;
    assert_eq!(failed_orders(&h).await, 1_000, "every second order failed");
    assert!(
        h.records("Opportunity").len() == 1_000,
        "only first orders reached Salesforce"
    );

    let (resync, _) = h.resync();
    h.emulator.reset_calls();
    let summary = resync.run(&no_time_limit).await.unwrap();
    let calls = h.emulator.api_calls();
    assert_eq!(summary.orders_synced, 1_000, "{summary:?}");
    assert_eq!(summary.orders_failed, 0);
    assert_eq!(summary.stopped, None);
    assert!(calls <= 15, "{calls} API calls for 1,000 orders");
    assert_eq!(failed_orders(&h).await, 0);
    for order in [&orders[0], &orders[499], &orders[999]] {
        h.one("Opportunity", "Storesync_Order_Id__c", order);
        assert_eq!(h.order_sync(order).await.state(), SyncState::Synced);
    }
    assert_eq!(h.records("Opportunity").len(), 2_000);

    // A second run finds nothing left and writes nothing.
    h.emulator.reset_calls();
    let again = resync.run(&no_time_limit).await.unwrap();
    assert_eq!((again.orders_synced, h.emulator.api_calls()), (0, 0));
}

#[tokio::test]
async fn past_the_budget_share_the_re_sync_defers_and_says_so() {
    let h = SyncHarness::start().await;
    h.failed_second_orders(150).await;
    // The org has used 95% of its day: over the 80% kept for live sync.
    h.emulator.set_daily_limit(100_000);
    h.emulator.set_api_usage(95_000);

    let (resync, client) = h.resync();
    // The client reads the usage from any answer, as the live sync's calls tell it.
    client
        .query_all::<serde_json::Value>("SELECT Id FROM Pricebook2 LIMIT 1")
        .await
        .unwrap();
    h.emulator.reset_calls();
    let summary = resync.run(&no_time_limit).await.unwrap();
    assert_eq!(
        h.emulator.api_calls(),
        0,
        "no bulk call past the budget share"
    );
    assert_eq!(summary.orders_synced, 0);
    let why = summary.stopped.expect("the run says why it stopped");
    assert!(why.contains("budget"), "{why}");
    assert_eq!(failed_orders(&h).await, 150, "left failed for the next run");
}

#[tokio::test]
async fn with_automatic_sync_off_nothing_syncs_by_itself_and_sync_now_still_does() {
    let h = SyncHarness::start().await;
    h.settings(|s| {
        s.auto_sync_customers = false;
        s.auto_sync_orders = false;
    })
    .await;
    h.register("off-1", "off@example.com", None).await;
    let (order, _) = h.order("off-1", 1).await;
    h.sync().await;
    assert!(h.records("Lead").is_empty() && h.records("Opportunity").is_empty());
    assert_eq!(
        h.order_sync(&order).await.state(),
        SyncState::Pending,
        "shown as waiting"
    );

    let (resync, _) = h.resync();
    h.emulator.reset_calls();
    let summary = resync.run(&no_time_limit).await.unwrap();
    assert_eq!((summary.orders_synced, h.emulator.api_calls()), (0, 0));

    let manual = resync
        .sync_records(&[Target::Order(OrderId::parse(&order).unwrap())])
        .await
        .unwrap();
    assert_eq!(manual.orders_synced, 1, "{manual:?}");
    h.one("Opportunity", "Storesync_Order_Id__c", &order);
    assert_eq!(h.order_sync(&order).await.state(), SyncState::Synced);
    h.one("Contact", "Email", "off@example.com");
}

#[tokio::test]
async fn an_operators_sync_request_on_the_queue_syncs_the_selection_whatever_automatic_sync_says() {
    let h = SyncHarness::start().await;
    let orders = h.failed_second_orders(3).await;
    h.settings(|s| s.auto_sync_orders = false).await;
    let selected = orders[..2].iter().map(|o| OrderId::parse(o).unwrap());
    let request = SyncRequest::new(
        "req-1".into(),
        selected.collect(),
        Vec::new(),
        Vec::new(),
        chrono::Utc::now(),
    );
    let delivery = Delivery {
        id: "m-1".into(),
        group: SyncRequest::GROUP.into(),
        body: serde_json::to_string(&request).unwrap(),
        receive_count: 1,
    };
    h.emulator.reset_calls();
    let again = h.consumer().consume(&[delivery]).await;
    assert!(again.is_empty(), "the request is done with");
    assert_eq!(h.emulator.api_calls(), 1, "two orders, one bulk call");
    for order in &orders[..2] {
        assert_eq!(h.order_sync(order).await.state(), SyncState::Synced);
        h.one("Opportunity", "Storesync_Order_Id__c", order);
    }
    assert_eq!(
        h.order_sync(&orders[2]).await.state(),
        SyncState::Failed,
        "not selected"
    );
}
