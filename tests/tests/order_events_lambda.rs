//! The order-events function's sample SQS events (`events/order-events-*.json`, real outbox
//! events as the store writes them) through the Lambda handler, into the emulator.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Context, LambdaEvent};
use order_events::function_handler;
use serde_json::{Value, json};
use storesync_core::events::{OutboxEvent, Subject};
use storesync_core::ports::{CustomerStore, Store, SystemClock};
use storesync_core::sync::settings::SyncSettings;
use storesync_embedded::EmbeddedStore;
use storesync_salesforce::{Auth, SalesforceClient, SalesforceConfig, SalesforceCrm};
use storesync_sf_emulator::Emulator;

const REGISTERED_AND_PLACED: &str =
    include_str!("../../events/order-events-sqs-registered-and-placed.json");
const PAID: &str = include_str!("../../events/order-events-sqs-paid.json");

fn sqs(sample: &str) -> SqsEvent {
    serde_json::from_str(sample).expect("the sample is an SQS event")
}

/// The consumer as the Lambda wires it, over `store` and the emulator.
fn consumer(emulator: &Emulator, store: Arc<dyn Store>) -> order_events::Consumer {
    let client = SalesforceClient::new(SalesforceConfig::new(
        emulator.base_url(),
        Auth::ClientCredentials {
            client_id: emulator.client_id().into(),
            client_secret: emulator.client_secret().into(),
        },
    ))
    .unwrap();
    order_events::wiring::consumer(
        store,
        Arc::new(SalesforceCrm::new(client)),
        Arc::new(SystemClock),
        SyncSettings::default(),
        5,
    )
}

async fn invoke(consumer: &order_events::Consumer, event: SqsEvent) -> Value {
    let response = function_handler(consumer, LambdaEvent::new(event, Context::default()))
        .await
        .expect("the handler answers");
    serde_json::to_value(response).expect("the response serialises")
}

#[tokio::test]
async fn the_sample_events_sync_a_customer_and_a_paid_order_into_salesforce() {
    let emulator = Emulator::start().await.unwrap();
    let store = Arc::new(EmbeddedStore::new());
    // The registered customer is in the store, as the checkout function left it.
    let first: OutboxEvent = serde_json::from_str(
        sqs(REGISTERED_AND_PLACED).records[0]
            .body
            .as_deref()
            .unwrap(),
    )
    .unwrap();
    let Subject::Customer { customer } = &first.subject else {
        panic!("the first sample event is a registration")
    };
    store.create_customer(customer, &first).await.unwrap();
    let consumer = consumer(&emulator, store.clone());

    for sample in [REGISTERED_AND_PLACED, PAID, REGISTERED_AND_PLACED] {
        assert_eq!(
            invoke(&consumer, sqs(sample)).await,
            json!({"batchItemFailures": []})
        );
    }
    let contacts = emulator.records("Contact");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["Email"], "ada.lovelace@example.com");
    assert_eq!(emulator.records("Account").len(), 1);
    let orders = emulator.records("Order");
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["Status"], "Activated");
    assert_eq!(
        emulator.records("Opportunity")[0]["StageName"],
        "Closed Won"
    );
}

#[tokio::test]
async fn an_unreadable_message_fails_with_the_rest_of_its_group_only() {
    let emulator = Emulator::start().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::new());
    let consumer = consumer(&emulator, store);
    let mut event = sqs(REGISTERED_AND_PLACED);
    event.records[0].body = Some("not an event".into());
    let other = event.records[1].clone();
    let mut elsewhere = sqs(PAID).records.remove(0);
    elsewhere.message_id = Some("other-group".into());
    elsewhere
        .attributes
        .insert("MessageGroupId".into(), "someone-else".into());
    elsewhere.body = Some("also not an event".into());
    event.records.push(elsewhere);
    let response = invoke(&consumer, event).await;
    let failed: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        [
            "059f36b4-87a3-44ab-83d2-661975830a7d",
            other.message_id.as_deref().unwrap(),
            "other-group"
        ],
        "the bad message, the later one of its group, and the other group's bad one"
    );
}
