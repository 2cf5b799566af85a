//! The round trips that cost money, counted, not timed: DynamoDB requests per checkout, payment
//! webhook and order sync, and Salesforce API calls per order. One scenario, used both by
//! `make bench` (which reports it) and by `tests/tests/costs.rs` (which asserts it), so the
//! figures in the report are the figures CI holds.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use reqwest::StatusCode;
use serde_json::Value;
use storesync_devstack::DEV_STRIPE_SECRET;
use storesync_dynamodb::{DynamoStore, RequestCounter};
use storesync_tests::Backend;
use storesync_tests::app::{Auth, shipping_body};
use storesync_tests::crm::SyncHarness;
use storesync_tests::payments::{payment_intent, stripe_event};

/// What one step cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cost {
    /// DynamoDB requests by operation, retries included.
    pub dynamodb: BTreeMap<String, u64>,
    /// Capacity units the requests consume, estimated from their bodies (see [`Capacity`]).
    pub capacity: Units,
    /// Salesforce API calls (token requests are not API calls).
    pub salesforce: u64,
    /// Salesforce records created.
    pub salesforce_records: u64,
}

/// DynamoDB on-demand request units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

/// Estimates the request units each DynamoDB request consumes from what it sends: a write is
/// one unit per KB of each item written (the JSON of a put, an upper bound of the item's size;
/// an update or delete counted as one KB, a lower bound), twice that in a transaction; a read is
/// one unit per item asked for (items up to 4 KB, strongly consistent), twice in a transaction;
/// a query one unit (up to 4 KB returned). Condition checks cost what a read does.
#[derive(Debug, Clone, Default)]
pub struct Capacity {
    units: Arc<Mutex<Units>>,
}

fn kb(value: &Value) -> f64 {
    (value.to_string().len() as f64 / 1024.0).ceil().max(1.0)
}

fn write_units(item: &Value) -> f64 {
    item.get("Put").and_then(|p| p.get("Item")).map_or(1.0, kb)
}

impl Capacity {
    pub fn take(&self) -> Units {
        std::mem::take(&mut *self.units.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn add(&self, target: &str, body: &Value) {
        let mut units = self.units.lock().unwrap_or_else(|p| p.into_inner());
        let empty = Vec::new();
        match target {
            "PutItem" => units.write += body.get("Item").map_or(1.0, kb),
            "UpdateItem" | "DeleteItem" => units.write += 1.0,
            "TransactWriteItems" => {
                for item in body["TransactItems"].as_array().unwrap_or(&empty) {
                    if item.get("ConditionCheck").is_some() {
                        units.read += 2.0;
                    } else {
                        units.write += 2.0 * write_units(item);
                    }
                }
            }
            "BatchWriteItem" => {
                if let Some(tables) = body["RequestItems"].as_object() {
                    for requests in tables.values() {
                        for r in requests.as_array().unwrap_or(&empty) {
                            units.write += r.pointer("/PutRequest/Item").map_or(1.0, kb);
                        }
                    }
                }
            }
            "TransactGetItems" => {
                units.read += 2.0 * body["TransactItems"].as_array().map_or(1, Vec::len) as f64
            }
            "BatchGetItem" => {
                if let Some(tables) = body["RequestItems"].as_object() {
                    for table in tables.values() {
                        units.read += table["Keys"].as_array().map_or(1, Vec::len) as f64;
                    }
                }
            }
            _ => units.read += 1.0,
        }
    }
}

impl Intercept for Capacity {
    fn name(&self) -> &'static str {
        "Capacity"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request();
        let target = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.split('.').next_back())
            .unwrap_or("")
            .to_owned();
        let body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        self.add(&target, &body);
        Ok(())
    }
}

/// A DynamoDB store on a fresh table in moto, counting requests and estimating their units.
pub async fn dynamodb() -> (Backend, Capacity) {
    let config = storesync_tests::moto::aws_config().await;
    let counter = RequestCounter::new();
    let capacity = Capacity::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&config)
            .interceptor(counter.clone())
            .interceptor(capacity.clone())
            .build(),
    );
    let table = format!("storesync-costs-{}", uuid::Uuid::new_v4().simple());
    storesync_dynamodb::create_table(&client, &table)
        .await
        .expect("the table is created");
    counter.reset();
    capacity.take();
    let backend = Backend::DynamoDb {
        store: Arc::new(DynamoStore::new(client, table)),
        counter,
    };
    (backend, capacity)
}

impl Cost {
    pub fn dynamodb_total(&self) -> u64 {
        self.dynamodb.values().sum()
    }

    /// `3 (GetItem 1, TransactWriteItems 1, UpdateItem 1)`
    pub fn dynamodb_detail(&self) -> String {
        let ops: Vec<String> = self
            .dynamodb
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect();
        format!("{} ({})", self.dynamodb_total(), ops.join(", "))
    }
}

/// The steps of one customer's life that cost money, in the order they happen.
#[derive(Debug, Clone, Default)]
pub struct Costs {
    /// A new cart and its four lines (five storefront requests).
    pub cart: Cost,
    /// A checkout of a four-line cart.
    pub checkout: Cost,
    pub webhook: Cost,
    pub webhook_replay: Cost,
    /// Syncing a registration (a new customer, before any order).
    pub registration_sync: Cost,
    /// Syncing a new customer's first order, placed then paid (two events).
    pub first_order_sync: Cost,
    /// Syncing a known customer's order, placed then paid (two events).
    pub known_order_sync: Cost,
}

/// With the mugs, a cart of every product of the demo catalog.
pub const CART_LINES: [&str; 3] = ["TSHIRT-BLK-M", "HOODIE-GRY-L", "STICKER-PACK"];

/// The Salesforce objects the sync writes.
const SF_OBJECTS: [&str; 9] = [
    "Lead",
    "Account",
    "Contact",
    "Opportunity",
    "OpportunityContactRole",
    "Order",
    "OrderItem",
    "Product2",
    "PricebookEntry",
];

struct Meter<'a> {
    h: &'a SyncHarness,
    capacity: &'a Capacity,
}

impl Meter<'_> {
    fn records(&self) -> u64 {
        SF_OBJECTS
            .iter()
            .map(|o| self.h.records(o).len() as u64)
            .sum()
    }

    fn reset(&self) -> u64 {
        self.h.emulator.reset_calls();
        self.capacity.take();
        if let Some(counter) = self.h.app.backend.request_counter() {
            counter.reset();
        }
        self.records()
    }

    fn read(&self, records_before: u64) -> Cost {
        Cost {
            dynamodb: self
                .h
                .app
                .backend
                .request_counter()
                .map(|c| c.by_operation())
                .unwrap_or_default(),
            capacity: self.capacity.take(),
            salesforce: self.h.emulator.api_calls(),
            salesforce_records: self.records() - records_before,
        }
    }
}

/// One customer registers, orders and pays twice, with the sync after each step, on a fresh
/// DynamoDB table in moto against a fresh Salesforce emulator.
pub async fn measure() -> Costs {
    let (backend, capacity) = dynamodb().await;
    let h = SyncHarness::start_on(backend).await;
    let meter = Meter {
        h: &h,
        capacity: &capacity,
    };
    let mut costs = Costs::default();

    h.register("cost-1", "cost@example.com", None).await;
    let before = meter.reset();
    h.sync().await;
    costs.registration_sync = meter.read(before);

    let auth = Auth::customer("cost-1");
    let before = meter.reset();
    let cart = h.app.cart_with(&auth, "MUG-WHT", 2).await;
    for sku in CART_LINES {
        let line = h.app.set_line_quantity(&auth, &cart, sku, 1).await;
        assert_eq!(line.status, StatusCode::OK, "{:?}", line.body);
    }
    costs.cart = meter.read(before);
    let path = format!("/v1/carts/{cart}");
    let before = meter.reset();
    let placed = h
        .app
        .checkout(&auth, &path, "cost-key", &shipping_body())
        .await;
    costs.checkout = meter.read(before);
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    let order = placed.body["id"].as_str().expect("order id").to_owned();
    let total = placed.body["totals"]["total"]["minor_units"]
        .as_i64()
        .expect("order total");

    let event = stripe_event(
        "evt_cost_1",
        "payment_intent.succeeded",
        payment_intent("pi_cost_1", &order, total, "usd"),
    );
    let now = chrono::Utc::now().timestamp();
    let before = meter.reset();
    let paid = h.app.stripe_webhook(&event, DEV_STRIPE_SECRET, now).await;
    costs.webhook = meter.read(before);
    assert_eq!(paid.body["outcome"], "applied", "{:?}", paid.body);
    let before = meter.reset();
    let replayed = h.app.stripe_webhook(&event, DEV_STRIPE_SECRET, now).await;
    costs.webhook_replay = meter.read(before);
    assert_eq!(replayed.body["outcome"], "replayed", "{:?}", replayed.body);

    let before = meter.reset();
    h.sync().await;
    costs.first_order_sync = meter.read(before);

    let (order, total) = h.order("cost-1", 2).await;
    h.pay(&order, total).await;
    let before = meter.reset();
    h.sync().await;
    costs.known_order_sync = meter.read(before);
    costs
}

/// The nightly re-sync of `n` known customers' orders that failed while Salesforce was down,
/// on the embedded store: what it costs in Salesforce calls, and how many orders it synced.
pub async fn bulk_resync(n: usize) -> (Cost, usize) {
    let h = SyncHarness::start().await;
    h.failed_second_orders(n).await;
    let (resync, _) = h.resync();
    let meter = Meter {
        h: &h,
        capacity: &Capacity::default(),
    };
    let before = meter.reset();
    let summary = resync.run(&|| true).await.expect("the re-sync runs");
    (meter.read(before), summary.orders_synced)
}
