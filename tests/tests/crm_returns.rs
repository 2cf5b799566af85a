//! Cancels and returns reach Salesforce as a real org records them: a reduction order of the
//! activated Order per change, its products giving units back from the Order's products
//! (whose available quantity drops), and the Opportunity's amount following what the
//! customer pays now. Made once, whatever is delivered or synced again.

use chrono::Utc;
use order_events::Delivery;
use serde_json::{Value, json};
use storesync_core::events::{EventType, OutboxEvent};
use storesync_core::ids::{OrderId, Quantity, Sku};
use storesync_core::order::changes::{
    ChangeKind, ChangeLine, ChangeRequest, current_totals, plan_change,
};
use storesync_core::order::lifecycle::OrderStatus;
use storesync_core::outbox::queue_message;
use storesync_core::ports::{OrderChange, SyncChange};
use storesync_core::sync::resync::Target;
use storesync_sf_emulator::{Fault, Record};
use storesync_tests::crm::{SyncHarness, text};
use storesync_tests::{Backend, against_both_stores};

const MUG: &str = "MUG-WHT";

/// A registered customer's paid order of three mugs; returns its id.
async fn three_mugs_paid(h: &SyncHarness, customer: &str) -> String {
    h.register(customer, &format!("{customer}@example.com"), None)
        .await;
    let (order, total) = h.order(customer, 3).await;
    h.pay(&order, total).await;
    order
}

/// Records a cancel or return of `units` mugs on the order as the after-sales use cases
/// will: the change on the order, its event in the outbox. A return needs the units
/// shipped: the order is marked shipped first (the fulfilment flow's part, not this one's).
async fn change(h: &SyncHarness, order_id: &str, kind: ChangeKind, units: i64) -> OutboxEvent {
    let id = OrderId::parse(order_id).unwrap();
    let current = h.store.order(&id).await.unwrap().expect("the order");
    let mut order = current.clone();
    if kind == ChangeKind::Return {
        order.status = OrderStatus::Shipped;
    }
    let request = ChangeRequest {
        kind,
        lines: vec![ChangeLine {
            sku: Sku::parse(MUG).unwrap(),
            quantity: Quantity::parse(units).unwrap(),
            reason: "Chipped".into(),
        }],
        tax_rate_bps: 0,
    };
    let now = Utc::now();
    let record = plan_change(&order, &order.changes, request, now).expect("a valid change");
    order.changes.push(record);
    order.version += 1;
    order.updated_at = now;
    let event = OutboxEvent::for_order(EventType::ReturnRequested, &order, now);
    h.store
        .change_order(&OrderChange {
            order,
            expected_version: current.version,
            restock: vec![],
            event: event.clone(),
            approvals: vec![],
        })
        .await
        .expect("the change is written");
    event
}

/// Delivers an event to a fresh consumer as SQS would; returns the failed message ids.
async fn deliver(h: &SyncHarness, event: &OutboxEvent) -> Vec<String> {
    let message = queue_message(event);
    let delivery = Delivery {
        id: message.id,
        group: message.group,
        body: message.body,
        receive_count: 1,
    };
    h.consumer().consume(&[delivery]).await
}

fn reduction_orders(h: &SyncHarness) -> Vec<Record> {
    h.records("Order")
        .into_iter()
        .filter(|o| o["IsReductionOrder"] == json!(true))
        .collect()
}

fn items_of(h: &SyncHarness, order_id: &str) -> Vec<Record> {
    h.records_where("OrderItem", "OrderId", order_id)
}

/// What the customer pays now, as Salesforce's currency fields hold it.
async fn current_amount(h: &SyncHarness, order_id: &str) -> Value {
    let order = h
        .store
        .order(&OrderId::parse(order_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let total = current_totals(&order, &order.changes).unwrap().total;
    assert!(
        total.minor_units() < order.totals.total.minor_units(),
        "the change gives money back"
    );
    json!(total.minor_units() as f64 / 100.0)
}

/// The order's Salesforce Order, its one product, and its one reduction order with its one
/// product, checked against each other.
fn assert_one_reduction_of(h: &SyncHarness, order_id: &str, units: i64, left: f64) {
    let original = h.one("Order", "Storesync_Order_Id__c", order_id);
    let original_id = text(&original, "Id");
    let items = items_of(h, original_id);
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item["Quantity"], json!(3), "the sale stays as it was");
    assert_eq!(item["AvailableQuantity"], json!(left));

    let reductions = reduction_orders(h);
    assert_eq!(reductions.len(), 1, "one reduction order: {reductions:?}");
    let reduction = &reductions[0];
    assert_eq!(text(reduction, "OriginalOrderId"), original_id);
    assert_eq!(text(reduction, "Status"), "Activated");
    assert_eq!(
        text(reduction, "Storesync_Order_Id__c"),
        format!("{order_id}:chg_1")
    );
    let reduced = items_of(h, text(reduction, "Id"));
    assert_eq!(reduced.len(), 1, "{reduced:?}");
    let line = &reduced[0];
    assert_eq!(line["Quantity"], json!(-units));
    assert_eq!(text(line, "OriginalOrderItemId"), text(item, "Id"));
    assert_eq!(line["UnitPrice"], item["UnitPrice"]);
    assert_eq!(
        text(line, "PricebookEntryId"),
        text(item, "PricebookEntryId")
    );
}

async fn a_return_becomes_one_reduction_order_in_one_call_and_the_opportunity_follows(
    backend: Backend,
) {
    let h = SyncHarness::start_on(backend).await;
    let order = three_mugs_paid(&h, "ret-1").await;
    h.sync().await;
    let event = change(&h, &order, ChangeKind::Return, 1).await;

    h.emulator.reset_calls();
    let failed = deliver(&h, &event).await;
    let calls = h.emulator.api_calls();

    assert!(failed.is_empty(), "{failed:?}");
    assert_one_reduction_of(&h, &order, 1, 2.0);
    assert_eq!(calls, 1, "the return is one Composite Graph call");
    let opportunity = h.one("Opportunity", "Storesync_Order_Id__c", &order);
    assert_eq!(opportunity["Amount"], current_amount(&h, &order).await);
    let status = h.order_sync(&order).await;
    assert!(status.products.reductions.contains_key("chg_1"));
}

against_both_stores!(a_return_becomes_one_reduction_order_in_one_call_and_the_opportunity_follows);

#[tokio::test]
async fn the_same_event_again_a_nightly_resync_and_a_sync_now_make_no_second_reduction_order() {
    let h = SyncHarness::start().await;
    let order = three_mugs_paid(&h, "ret-2").await;
    h.sync().await;
    let event = change(&h, &order, ChangeKind::Return, 1).await;
    assert!(deliver(&h, &event).await.is_empty());

    assert!(deliver(&h, &event).await.is_empty());
    let (resync, _) = h.resync();
    resync
        .run(&|| true)
        .await
        .expect("the nightly re-sync runs");
    let summary = resync
        .sync_records(&[Target::Order(OrderId::parse(&order).unwrap())])
        .await
        .expect("sync now runs");

    assert_eq!(summary.orders_synced, 1, "{summary:?}");
    assert_one_reduction_of(&h, &order, 1, 2.0);
}

#[tokio::test]
async fn a_return_whose_answer_was_lost_is_matched_on_the_retry_not_made_twice() {
    let h = SyncHarness::start().await;
    let order = three_mugs_paid(&h, "ret-3").await;
    h.sync().await;
    let event = change(&h, &order, ChangeKind::Return, 1).await;

    // Salesforce commits the graph; its answer never arrives.
    h.emulator.inject(Fault::ConnectionReset, 1);
    h.emulator.reset_calls();
    let failed = deliver(&h, &event).await;

    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        h.emulator.api_calls(),
        3,
        "the graph, its resend refused for the reduction order that exists, and the resend as a match"
    );
    assert_one_reduction_of(&h, &order, 1, 2.0);
    let status = h.order_sync(&order).await;
    assert!(status.products.reductions.contains_key("chg_1"));
}

#[tokio::test]
async fn an_order_synced_before_its_products_were_kept_finds_them_with_one_query() {
    let h = SyncHarness::start().await;
    let order = three_mugs_paid(&h, "ret-4").await;
    h.sync().await;
    // The ledger as it was before it kept the Order's products.
    let mut known = h.order_sync(&order).await;
    assert_eq!(
        known.products.items.len(),
        1,
        "kept from the graph's answer"
    );
    known.products = Default::default();
    known.version += 1;
    h.store
        .record_sync(&SyncChange {
            event_id: None,
            customer: None,
            order: Some(known),
            cart: None,
            prices: vec![],
            at: Utc::now(),
        })
        .await
        .expect("the ledger is written");
    let event = change(&h, &order, ChangeKind::Return, 2).await;

    h.emulator.reset_calls();
    assert!(deliver(&h, &event).await.is_empty());

    assert_eq!(h.emulator.api_calls(), 2, "one query, one graph");
    assert_one_reduction_of(&h, &order, 2, 1.0);
}

#[tokio::test]
async fn a_cancel_before_the_first_sync_is_reduced_in_the_graph_that_creates_the_order() {
    let h = SyncHarness::start().await;
    let order = three_mugs_paid(&h, "ret-5").await;
    let event = change(&h, &order, ChangeKind::Cancel, 1).await;

    // The cancel's event reaches the consumer before the payment's (a newer version of
    // the order: the payment's is then stale).
    assert!(deliver(&h, &event).await.is_empty());
    h.sync().await;

    assert_one_reduction_of(&h, &order, 1, 2.0);
    let opportunity = h.one("Opportunity", "Storesync_Order_Id__c", &order);
    assert_eq!(opportunity["Amount"], current_amount(&h, &order).await);
    let status = h.order_sync(&order).await;
    assert_eq!(
        status.total.minor_units() as f64 / 100.0,
        opportunity["Amount"].as_f64().unwrap()
    );
}
