//! Warm handler cost on the embedded store: a checkout of a five-line cart and a signed payment
//! webhook through the storefront router (no network), and the sync of a known customer's order
//! (placed and paid) to an in-process Salesforce emulator of its own (a fresh org each run, so
//! the emulator's growing record store does not weigh on the figure). criterion times them; a counting allocator gives the
//! allocations per operation, written to `target/criterion/allocations.json` for the report.

use std::alloc::System;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use http_body_util::BodyExt;
use order_events::{Consumer, Delivery};
use payment_webhook::stripe::StripeGateway;
use serde_json::{Value, json};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use storesync_core::catalog::ProductDetails;
use storesync_core::ids::{LocationId, Sku};
use storesync_core::money::Currency;
use storesync_core::ports::{Store, SystemClock};
use storesync_core::sync::settings::SyncSettings;
use storesync_devstack::{DEV_STRIPE_SECRET, LocalStack};
use storesync_embedded::{EmbeddedStore, LocalQueue};
use storesync_salesforce::{Auth as SfAuth, SalesforceClient, SalesforceConfig, SalesforceCrm};
use storesync_sf_emulator::Emulator;
use storesync_tests::app::shipping_body;
use storesync_tests::payments::{drain, payment_intent, stripe_event};
use tower::ServiceExt;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CUSTOMER: &str = "bench-1";
const ALLOCATION_RUNS: usize = 50;

struct Shop {
    router: Router,
    store: Arc<dyn Store>,
    queue: Arc<LocalQueue>,
    skus: Vec<String>,
}

/// A Salesforce org of its own (the emulator) and the consumer syncing to it.
struct Org {
    _emulator: Emulator,
    consumer: Consumer,
}

impl Org {
    async fn open(store: Arc<dyn Store>) -> Org {
        let emulator = Emulator::start().await.expect("emulator");
        let client = SalesforceClient::new(SalesforceConfig::new(
            emulator.base_url(),
            SfAuth::ClientCredentials {
                client_id: emulator.client_id().to_owned(),
                client_secret: emulator.client_secret().to_owned(),
            },
        ))
        .expect("client");
        let consumer = order_events::wiring::consumer(
            store,
            Arc::new(SalesforceCrm::new(client)),
            Arc::new(SystemClock),
            SyncSettings::default(),
            5,
        );
        Org {
            _emulator: emulator,
            consumer,
        }
    }
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn customer_request(method: &str, path: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer dev:{CUSTOMER}"))
        .header("content-type", "application/json")
}

impl Shop {
    async fn open() -> Shop {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::new());
        let queue = Arc::new(LocalQueue::new(Duration::from_secs(30), 5));
        storesync_devstack::seed_demo_catalog(store.as_ref())
            .await
            .expect("catalog");
        // A fifth product, for a five-line cart.
        let cap = Sku::parse("CAP-RED").expect("sku");
        store
            .upsert_product(&ProductDetails {
                sku: cap.clone(),
                name: "Cap, red".to_owned(),
                category: "apparel".to_owned(),
                active: true,
                prices: [(Currency::USD, 1500)].into(),
            })
            .await
            .expect("product");
        let mut skus = vec![
            "TSHIRT-BLK-M",
            "HOODIE-GRY-L",
            "MUG-WHT",
            "STICKER-PACK",
            "CAP-RED",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        for sku in &skus {
            let sku = Sku::parse(sku).expect("sku");
            store
                .adjust_stock(&sku, &LocationId::default(), 1_000_000_000)
                .await
                .expect("stock");
        }
        skus.sort();
        let router = LocalStack::new(store.clone(), queue.clone()).app();
        let shop = Shop {
            router,
            store,
            queue,
            skus,
        };
        let body = json!({"email": "bench@example.com", "first_name": "Ada", "last_name": "Bench"});
        let (status, _) = send(
            &shop.router,
            customer_request("POST", "/v1/customers")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        shop
    }

    /// A new cart with one of each of the five products; its id.
    async fn cart(&self) -> String {
        let (status, cart) = send(
            &self.router,
            customer_request("POST", "/v1/carts")
                .body(Body::from(json!({"currency": "USD"}).to_string()))
                .expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{cart}");
        let id = cart["id"].as_str().expect("id").to_owned();
        for sku in &self.skus {
            let (status, body) = send(
                &self.router,
                customer_request("PUT", &format!("/v1/carts/{id}/lines/{sku}"))
                    .body(Body::from(json!({"quantity": 1}).to_string()))
                    .expect("request"),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        id
    }

    fn checkout_request(cart: &str) -> Request<Body> {
        customer_request("POST", &format!("/v1/carts/{cart}/checkout"))
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .body(Body::from(shipping_body().to_string()))
            .expect("request")
    }

    /// Places an order of a fresh five-line cart; its id and total.
    async fn order(&self) -> (String, i64) {
        let cart = self.cart().await;
        let (status, order) = send(&self.router, Self::checkout_request(&cart)).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        (
            order["id"].as_str().expect("id").to_owned(),
            order["totals"]["total"]["minor_units"]
                .as_i64()
                .expect("total"),
        )
    }

    fn webhook_request(order: &str, total: i64) -> Request<Body> {
        let event = stripe_event(
            &format!("evt_{}", uuid::Uuid::new_v4().simple()),
            "payment_intent.succeeded",
            payment_intent(&format!("pi_{}", &order[4..16]), order, total, "usd"),
        )
        .to_string();
        let header = StripeGateway::signature_header(
            DEV_STRIPE_SECRET,
            chrono::Utc::now().timestamp(),
            event.as_bytes(),
        );
        Request::builder()
            .method("POST")
            .uri("/v1/webhooks/stripe")
            .header("stripe-signature", header)
            .header("content-type", "application/json")
            .body(Body::from(event))
            .expect("request")
    }

    /// An order placed and paid, its events taken off the queue, ready to sync.
    async fn paid_order_events(&self) -> Vec<Delivery> {
        let (order, total) = self.order().await;
        let (status, _) = send(&self.router, Self::webhook_request(&order, total)).await;
        assert_eq!(status, StatusCode::OK);
        self.events().await
    }

    /// Everything waiting on the queue, as one delivery.
    async fn events(&self) -> Vec<Delivery> {
        drain(self.queue.as_ref())
            .await
            .into_iter()
            .map(|m| Delivery {
                id: m.id,
                group: m.group,
                body: m.body,
                receive_count: 1,
            })
            .collect()
    }

    /// A fresh org that knows the customer and one earlier order, so the next order is a
    /// known customer's.
    async fn org_with_a_known_customer(&self) -> Org {
        let org = Org::open(self.store.clone()).await;
        let mut earlier = self.events().await;
        earlier.extend(self.paid_order_events().await);
        assert!(org.consumer.consume(&earlier).await.is_empty());
        org
    }
}

/// One operation, set up untimed, timed alone.
enum Operation {
    Checkout,
    Webhook,
    OrderSync,
}

impl Operation {
    const ALL: [(Operation, &'static str); 3] = [
        (Operation::Checkout, "checkout, 5-line cart"),
        (Operation::Webhook, "payment webhook, signed, succeeded"),
        (
            Operation::OrderSync,
            "order sync to Salesforce, known customer, placed + paid",
        ),
    ];

    /// Sets up, then runs the operation once, returning its duration and allocations.
    async fn once(&self, shop: &Shop) -> (Duration, usize) {
        match self {
            Operation::Checkout => {
                shop.events().await;
                let cart = shop.cart().await;
                let request = Shop::checkout_request(&cart);
                let region = Region::new(GLOBAL);
                let start = Instant::now();
                let (status, _) = send(&shop.router, request).await;
                let took = start.elapsed();
                let allocations = region.change().allocations;
                assert_eq!(status, StatusCode::CREATED);
                (took, allocations)
            }
            Operation::Webhook => {
                shop.events().await;
                let (order, total) = shop.order().await;
                let request = Shop::webhook_request(&order, total);
                let region = Region::new(GLOBAL);
                let start = Instant::now();
                let (status, body) = send(&shop.router, request).await;
                let took = start.elapsed();
                let allocations = region.change().allocations;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body["outcome"], "applied");
                (took, allocations)
            }
            Operation::OrderSync => {
                let org = shop.org_with_a_known_customer().await;
                let events = shop.paid_order_events().await;
                let region = Region::new(GLOBAL);
                let start = Instant::now();
                let failed = org.consumer.consume(&events).await;
                let took = start.elapsed();
                let allocations = region.change().allocations;
                assert!(failed.is_empty());
                (took, allocations)
            }
        }
    }
}

fn handlers(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let shop = Arc::new(runtime.block_on(Shop::open()));
    let mut group = c.benchmark_group("handlers");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let mut allocations = serde_json::Map::new();
    for (operation, name) in Operation::ALL {
        let operation = Arc::new(operation);
        // Allocation counts first, one operation at a time (the emulator and the queue run in
        // this process: their allocations during the operation are counted too).
        let mut counts: Vec<usize> = (0..ALLOCATION_RUNS)
            .map(|_| runtime.block_on(operation.once(&shop)).1)
            .collect();
        counts.sort_unstable();
        allocations.insert(
            name.to_owned(),
            json!({"median": counts[counts.len() / 2], "min": counts[0], "max": counts[counts.len() - 1]}),
        );
        if matches!(*operation, Operation::OrderSync) {
            // Each run sets up a fresh org (untimed): keep the run count small.
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .measurement_time(Duration::from_millis(500));
        }
        let (shop, operation) = (shop.clone(), operation.clone());
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                let (shop, operation) = (shop.clone(), operation.clone());
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += operation.once(&shop).await.0;
                    }
                    total
                }
            })
        });
    }
    group.finish();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/criterion/allocations.json");
    let _ = std::fs::create_dir_all(out.parent().expect("a parent"));
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&Value::Object(allocations)).expect("json"),
    )
    .expect("allocations written");
}

criterion_group!(benches, handlers);
criterion_main!(benches);
