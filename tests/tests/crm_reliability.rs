//! The sync under re-delivery, disorder, concurrency and a failing Salesforce: no duplicate,
//! nothing lost, failures visible. And what it costs in Salesforce API calls.

use std::collections::BTreeMap;

use futures::future::join_all;
use order_events::Delivery;
use serde_json::json;
use storesync_core::queue::QueueMessage;
use storesync_core::sync::status::{CrmObject, SyncState};
use storesync_sf_emulator::Fault;
use storesync_tests::crm::{SyncHarness, text};

fn delivered(messages: &[&QueueMessage], receive_count: u32) -> Vec<Delivery> {
    messages
        .iter()
        .map(|m| Delivery {
            id: m.id.clone(),
            group: m.group.clone(),
            body: m.body.clone(),
            receive_count,
        })
        .collect()
}

fn event_type(m: &QueueMessage) -> String {
    let body: serde_json::Value = serde_json::from_str(&m.body).unwrap();
    body["type"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_same_events_twice_and_out_of_order_end_in_the_final_state_without_duplicates() {
    let h = SyncHarness::start().await;
    h.register("ooo-1", "ada@example.com", None).await;
    let (order, total) = h.order("ooo-1", 1).await;
    h.pay(&order, total).await;
    let messages = h.take_messages().await;
    let kinds: Vec<String> = messages.iter().map(event_type).collect();
    assert_eq!(kinds, ["customer.registered", "order.placed", "order.paid"]);
    let (registered, placed, paid) = (&messages[0], &messages[1], &messages[2]);
    let consumer = h.consumer();

    // Paid before placed, then everything again.
    for batch in [
        vec![paid],
        vec![placed],
        vec![registered],
        vec![paid, placed, registered],
    ] {
        assert!(consumer.consume(&delivered(&batch, 1)).await.is_empty());
    }

    assert_eq!(h.records("Account").len(), 1);
    assert_eq!(h.records("Contact").len(), 1);
    assert_eq!(h.records("Opportunity").len(), 1);
    assert_eq!(h.records("Order").len(), 1);
    assert_eq!(h.records("OrderItem").len(), 1);
    let opportunity = h.one("Opportunity", "Storesync_Order_Id__c", &order);
    assert_eq!(text(&opportunity, "StageName"), "Closed Won");
    let sf_order = h.one("Order", "Storesync_Order_Id__c", &order);
    assert_eq!(text(&sf_order, "Status"), "Activated");
    assert_eq!(text(&sf_order, "Storesync_Status__c"), "paid");
    let status = h.order_sync(&order).await;
    assert_eq!(
        (status.state(), status.order_version),
        (SyncState::Synced, 2)
    );
}

#[tokio::test]
async fn concurrent_consumers_make_one_account_and_one_contact_per_email() {
    let h = SyncHarness::start().await;
    for i in 0..20 {
        let id = format!("many-{i}");
        h.register(&id, &format!("many-{i}@example.com"), None)
            .await;
        h.order(&id, 1).await;
    }
    h.register("repeat-1", "repeat@example.com", None).await;
    for _ in 0..5 {
        h.order("repeat-1", 1).await;
    }
    // One person, two FIFO groups: a registered customer and a guest with her e-mail.
    h.register("twin-1", "twin@example.com", None).await;
    h.order("twin-1", 1).await;
    h.guest_order("TWIN@Example.com").await;

    let consumers: Vec<_> = (0..4).map(|_| h.consumer()).collect();
    join_all(consumers.iter().map(|c| h.sync_with(c))).await;
    h.sync().await;

    let mut per_email: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for contact in h.records("Contact") {
        per_email
            .entry(text(&contact, "Email").to_lowercase())
            .or_default()
            .0 += 1;
    }
    for account in h.records("Account") {
        let key = text(&account, "Storesync_Email_Key__c").to_owned();
        let contact = h.one("Contact", "Storesync_Email_Key__c", &key);
        per_email
            .entry(text(&contact, "Email").to_lowercase())
            .or_default()
            .1 += 1;
    }
    assert_eq!(per_email.len(), 22, "{per_email:?}");
    assert!(
        per_email.values().all(|counts| *counts == (1, 1)),
        "one Contact and one Account per e-mail: {per_email:?}"
    );
    assert_eq!(h.records("Opportunity").len(), 20 + 5 + 2);
    let open_leads = h
        .records("Lead")
        .into_iter()
        .filter(|l| l["IsConverted"] != json!(true))
        .count();
    assert_eq!(open_leads, 0, "every Lead who ordered was converted");
}

#[tokio::test]
async fn a_503_spell_fails_the_group_and_its_later_messages_and_nothing_is_lost() {
    let h = SyncHarness::start().await;
    h.register("a-1", "a@example.com", None).await;
    h.register("b-1", "b@example.com", None).await;
    h.sync().await;
    let (a1, _) = h.order("a-1", 1).await;
    let (a2, _) = h.order("a-1", 2).await;
    let (b1, _) = h.order("b-1", 1).await;
    let messages = h.take_messages().await;
    let batch: Vec<&QueueMessage> = messages.iter().collect();
    let consumer = h.consumer();

    // More 503s than the client's attempts for one call: the first event's calls all fail.
    h.emulator.inject(Fault::ServiceUnavailable, 4);
    let failed = consumer.consume(&delivered(&batch, 1)).await;
    assert_eq!(
        failed,
        [messages[0].id.clone(), messages[1].id.clone()],
        "a-1's two orders"
    );
    assert_eq!(
        h.records("Opportunity").len(),
        1,
        "b-1's order went through"
    );
    let pending = h.customer_sync("a-1").await;
    assert_eq!(pending.state(), SyncState::Pending);
    assert!(
        pending.objects[&CrmObject::Contact]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503") || e.contains("SERVER_UNAVAILABLE")),
        "{pending:?}"
    );

    // Salesforce is back: the redelivery syncs both, in order.
    let again: Vec<&QueueMessage> = messages[..2].iter().collect();
    assert!(consumer.consume(&delivered(&again, 2)).await.is_empty());
    for order in [&a1, &a2, &b1] {
        h.one("Opportunity", "Storesync_Order_Id__c", order);
        assert_eq!(h.order_sync(order).await.state(), SyncState::Synced);
    }
    assert_eq!(h.customer_sync("a-1").await.state(), SyncState::Synced);
}

#[tokio::test]
async fn a_refused_change_is_failed_with_salesforces_text_and_later_events_go_on() {
    let h = SyncHarness::start().await;
    // Salesforce keeps 80 characters of a last name; the store keeps 100.
    let long = "L".repeat(95);
    let reply = h
        .app
        .call(
            reqwest::Method::POST,
            "/v1/customers",
            &storesync_tests::Auth::customer("long-1"),
            Some(json!({"email": "long@example.com", "first_name": "Lo", "last_name": long})),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    h.sync().await;
    let failed = h.customer_sync("long-1").await;
    assert_eq!(failed.state(), SyncState::Failed);
    let error = failed.objects[&CrmObject::Lead].last_error.clone().unwrap();
    assert!(error.contains("STRING_TOO_LONG"), "{error}");
    assert!(
        h.queue.dead_letters().is_empty(),
        "a refusal is not retried"
    );

    // The customer fixes the name: that event syncs.
    let fixed = h
        .app
        .call(
            reqwest::Method::PATCH,
            "/v1/customers/me",
            &storesync_tests::Auth::customer("long-1"),
            Some(json!({"last_name": "Short"})),
        )
        .await;
    assert_eq!(fixed.status, 200, "{:?}", fixed.body);
    h.sync().await;
    assert_eq!(h.customer_sync("long-1").await.state(), SyncState::Synced);
    assert_eq!(
        text(&h.one("Lead", "Email", "long@example.com"), "LastName"),
        "Short"
    );
}

#[tokio::test]
async fn on_the_last_delivery_a_retryable_failure_shows_failed_and_goes_to_the_dead_letters() {
    let h = SyncHarness::start().await;
    h.register("dlq-1", "dlq@example.com", None).await;
    let messages = h.take_messages().await;
    let batch: Vec<&QueueMessage> = messages.iter().collect();
    let consumer = h.consumer_with(3);
    h.emulator.inject(Fault::ServiceUnavailable, 1000);
    assert_eq!(consumer.consume(&delivered(&batch, 2)).await.len(), 1);
    assert_eq!(h.customer_sync("dlq-1").await.state(), SyncState::Pending);
    assert_eq!(
        consumer.consume(&delivered(&batch, 3)).await.len(),
        1,
        "left for the DLQ"
    );
    let status = h.customer_sync("dlq-1").await;
    assert_eq!(status.state(), SyncState::Failed);
    assert_eq!(status.objects[&CrmObject::Lead].attempts, 2);
}

#[tokio::test]
async fn api_calls_per_order_stay_within_budget() {
    let h = SyncHarness::start().await;
    h.register("calls-1", "calls@example.com", None).await;
    h.sync().await;
    let registration = h.emulator.api_calls();

    h.emulator.reset_calls();
    let (order, total) = h.order("calls-1", 1).await;
    h.pay(&order, total).await;
    h.sync().await;
    let first_order = h.emulator.api_calls();

    h.emulator.reset_calls();
    let (order, total) = h.order("calls-1", 3).await;
    h.pay(&order, total).await;
    h.sync().await;
    let known_order = h.emulator.api_calls();

    println!(
        "Salesforce API calls: registration {registration}, new customer's first order (placed + paid) {first_order}, known customer's order (placed + paid) {known_order}"
    );
    assert!(
        first_order <= 4,
        "a new customer's first order: {first_order} calls"
    );
    assert!(
        known_order <= 2,
        "a known customer's order: {known_order} calls"
    );
    assert_eq!(h.records("Opportunity").len(), 2);
    let orders = h.records("Order");
    assert_eq!(orders.len(), 2, "both orders reached Salesforce");
    assert!(orders.iter().all(|o| text(o, "Status") == "Activated"));
    assert_eq!(h.order_sync(&order).await.state(), SyncState::Synced);
    assert_eq!(
        h.records("PricebookEntry").len(),
        1,
        "one price for the sku and currency"
    );
}

#[tokio::test]
async fn a_price_already_in_salesforce_is_matched_not_written_again() {
    let h = SyncHarness::start().await;
    // Made before the store's first sync (another system, or an answer lost on the way).
    let product = h
        .emulator
        .insert(
            "Product2",
            json!({"Name": "Mug", "ProductCode": "MUG-WHT", "IsActive": true, "Storesync_Sku__c": "MUG-WHT"}),
        )
        .unwrap();
    let entry = h
        .emulator
        .insert(
            "PricebookEntry",
            json!({
                "Pricebook2Id": h.emulator.standard_pricebook_id(),
                "Product2Id": product,
                "UnitPrice": 10.0,
                "IsActive": true,
                "CurrencyIsoCode": "USD",
                "Storesync_Price_Key__c": "MUG-WHT:USD",
            }),
        )
        .unwrap();
    h.register("p-1", "p1@example.com", None).await;
    let (order, total) = h.order("p-1", 2).await;
    h.pay(&order, total).await;
    h.sync().await;

    let status = h.order_sync(&order).await;
    assert_eq!(status.state(), SyncState::Synced, "{status:?}");
    assert_eq!(h.records("PricebookEntry").len(), 1, "the entry is reused");
    assert_eq!(h.records("Product2").len(), 1);
    let items = h.records("OrderItem");
    assert_eq!(items.len(), 1);
    assert_eq!(text(&items[0], "PricebookEntryId"), entry);
    assert_eq!(
        text(&h.emulator.record(&entry).unwrap(), "Product2Id"),
        product,
        "its product is untouched"
    );
}

#[tokio::test]
async fn with_the_orgs_daily_limit_spent_changes_wait_instead_of_failing() {
    let h = SyncHarness::start().await;
    h.register("limit-1", "limit@example.com", None).await;
    let messages = h.take_messages().await;
    let batch: Vec<&QueueMessage> = messages.iter().collect();
    let consumer = h.consumer();
    h.emulator.set_daily_limit(10);
    h.emulator.set_api_usage(10);
    assert_eq!(consumer.consume(&delivered(&batch, 1)).await.len(), 1);
    let waiting = h.customer_sync("limit-1").await;
    assert_eq!(waiting.state(), SyncState::Pending, "{waiting:?}");
    assert!(h.records("Lead").is_empty());

    h.emulator.set_daily_limit(15_000);
    assert!(consumer.consume(&delivered(&batch, 2)).await.is_empty());
    assert_eq!(h.customer_sync("limit-1").await.state(), SyncState::Synced);
    h.one("Lead", "Email", "limit@example.com");
}
