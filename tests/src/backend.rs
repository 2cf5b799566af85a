//! The two store backends, each able to show everything it holds.

use std::sync::Arc;

use serde_json::Value;
use storesync_core::ports::Store;
use storesync_dynamodb::{DynamoStore, RequestCounter};
use storesync_embedded::EmbeddedStore;

#[derive(Clone)]
pub enum Backend {
    Embedded(Arc<EmbeddedStore>),
    DynamoDb {
        store: Arc<DynamoStore>,
        counter: RequestCounter,
    },
}

impl Backend {
    pub async fn embedded() -> Self {
        Backend::Embedded(Arc::new(EmbeddedStore::new()))
    }

    /// A DynamoDB store on a fresh table of its own in the moto server.
    pub async fn dynamodb() -> Self {
        let config = crate::moto::aws_config().await;
        let counter = RequestCounter::new();
        let client = storesync_dynamodb::client(&config, Some(counter.clone()));
        let table = format!("storesync-test-{}", uuid::Uuid::new_v4().simple());
        storesync_dynamodb::create_table(&client, &table)
            .await
            .expect("the test table is created");
        counter.reset();
        Backend::DynamoDb {
            store: Arc::new(DynamoStore::new(client, table)),
            counter,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded(_) => "embedded",
            Backend::DynamoDb { .. } => "dynamodb",
        }
    }

    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Embedded(s) => s.clone(),
            Backend::DynamoDb { store, .. } => store.clone(),
        }
    }

    /// The DynamoDB request counter, for the backend that has one.
    pub fn request_counter(&self) -> Option<&RequestCounter> {
        match self {
            Backend::Embedded(_) => None,
            Backend::DynamoDb { counter, .. } => Some(counter),
        }
    }

    /// Everything the store holds, in a stable order.
    pub async fn snapshot(&self) -> Value {
        match self {
            Backend::Embedded(s) => s.snapshot(),
            Backend::DynamoDb { store, .. } => {
                let mut items: Vec<Value> = Vec::new();
                let mut start = None;
                loop {
                    let out = store
                        .client()
                        .scan()
                        .table_name(store.table())
                        .consistent_read(true)
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .expect("the table can be scanned");
                    for item in out.items.unwrap_or_default() {
                        items.push(serde_dynamo::from_item(item).expect("items convert to JSON"));
                    }
                    start = out.last_evaluated_key;
                    if start.is_none() {
                        break;
                    }
                }
                items.sort_by_key(|i| (i["pk"].to_string(), i["sk"].to_string()));
                Value::Array(items)
            }
        }
    }
}
