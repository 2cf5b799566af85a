//! The round trips that cost money, counted, not timed: DynamoDB requests per checkout, payment
//! webhook and order sync, and Salesforce API calls per order. One scenario, used both by
//! `make bench` (which reports it) and by `tests/tests/costs.rs` (which asserts it), so the
//! figures in the report are the figures CI holds.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use storesync_devstack::DEV_STRIPE_SECRET;
use storesync_tests::Backend;
use storesync_tests::app::{Auth, shipping_body};
use storesync_tests::crm::SyncHarness;
use storesync_tests::payments::{payment_intent, stripe_event};

/// What one step cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cost {
    /// DynamoDB requests by operation, retries included.
    pub dynamodb: BTreeMap<String, u64>,
    /// Salesforce REST calls, the token request included.
    pub salesforce: u64,
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

struct Meter<'a>(&'a SyncHarness);

impl Meter<'_> {
    fn reset(&self) {
        self.0.emulator.reset_calls();
        if let Some(counter) = self.0.app.backend.request_counter() {
            counter.reset();
        }
    }

    fn read(&self) -> Cost {
        Cost {
            dynamodb: self
                .0
                .app
                .backend
                .request_counter()
                .map(|c| c.by_operation())
                .unwrap_or_default(),
            salesforce: self.0.emulator.api_calls(),
        }
    }
}

/// One customer registers, orders and pays twice, with the sync after each step, on `backend`
/// (DynamoDB for request counts) against a fresh Salesforce emulator.
pub async fn measure(backend: Backend) -> Costs {
    let h = SyncHarness::start_on(backend).await;
    let meter = Meter(&h);
    let mut costs = Costs::default();

    h.register("cost-1", "cost@example.com", None).await;
    meter.reset();
    h.sync().await;
    costs.registration_sync = meter.read();

    let auth = Auth::customer("cost-1");
    let cart = h.app.cart_with(&auth, "MUG-WHT", 5).await;
    let path = format!("/v1/carts/{cart}");
    meter.reset();
    let placed = h
        .app
        .checkout(&auth, &path, "cost-key", &shipping_body())
        .await;
    costs.checkout = meter.read();
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
    meter.reset();
    let paid = h.app.stripe_webhook(&event, DEV_STRIPE_SECRET, now).await;
    costs.webhook = meter.read();
    assert_eq!(paid.body["outcome"], "applied", "{:?}", paid.body);
    meter.reset();
    let replayed = h.app.stripe_webhook(&event, DEV_STRIPE_SECRET, now).await;
    costs.webhook_replay = meter.read();
    assert_eq!(replayed.body["outcome"], "replayed", "{:?}", replayed.body);

    meter.reset();
    h.sync().await;
    costs.first_order_sync = meter.read();

    let (order, total) = h.order("cost-1", 2).await;
    h.pay(&order, total).await;
    meter.reset();
    h.sync().await;
    costs.known_order_sync = meter.read();
    costs
}
