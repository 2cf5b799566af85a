//! A closed-loop load generator: `concurrency` clients, each sending its next request as soon as
//! the last one answered, for a fixed time, against the dev stack on loopback.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use storesync_tests::app::shipping_body;
use storesync_tests::{Auth, TestApp};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Throughput {
    pub what: String,
    pub concurrency: usize,
    pub seconds: f64,
    /// Operations completed (a request, or a whole checkout flow).
    pub operations: u64,
    pub http_requests: u64,
    pub errors: u64,
    pub per_second: f64,
    pub requests_per_second: f64,
    /// Latency of the operation, in ms: p50, p90, p99, max.
    pub latency_ms: [f64; 4],
}

fn summarise(
    what: &str,
    concurrency: usize,
    elapsed: Duration,
    mut times: Vec<Duration>,
    requests_per_op: u64,
    errors: u64,
) -> Throughput {
    times.sort();
    let pick = |p: f64| {
        let i = ((times.len().saturating_sub(1)) as f64 * p).round() as usize;
        times.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let seconds = elapsed.as_secs_f64();
    let operations = times.len() as u64;
    Throughput {
        what: what.to_owned(),
        concurrency,
        seconds,
        operations,
        http_requests: operations * requests_per_op,
        errors,
        per_second: operations as f64 / seconds,
        requests_per_second: (operations * requests_per_op) as f64 / seconds,
        latency_ms: [pick(0.5), pick(0.9), pick(0.99), pick(1.0)],
    }
}

/// Runs `op` from `concurrency` clients for `duration`; `op(client, n)` returns whether it
/// succeeded.
async fn closed_loop<F, Fut>(
    concurrency: usize,
    duration: Duration,
    op: F,
) -> (Duration, Vec<Duration>, u64)
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let deadline = start + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|client| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut times = Vec::new();
                let mut errors = 0;
                let mut n = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if op(client, n).await {
                        times.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                    n += 1;
                }
                (times, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (times, e) = worker.await.expect("a load worker");
        all.extend(times);
        errors += e;
    }
    (start.elapsed(), all, errors)
}

/// `GET /v1/products`, as many as the stack answers.
pub async fn products(app: Arc<TestApp>, concurrency: usize, duration: Duration) -> Throughput {
    let (elapsed, times, errors) = closed_loop(concurrency, duration, move |_, _| {
        let app = app.clone();
        async move {
            let reply = app.get("/v1/products", &Auth::None).await;
            reply.status == StatusCode::OK
        }
    })
    .await;
    summarise("GET /v1/products", concurrency, elapsed, times, 1, errors)
}

/// Whole checkout flows: a cart, five lines (one of each of the first five products), the
/// checkout with its `Idempotency-Key`.
pub async fn checkouts(app: Arc<TestApp>, concurrency: usize, duration: Duration) -> Throughput {
    let catalog = app.get("/v1/products", &Auth::None).await;
    let skus: Vec<String> = catalog.body["products"]
        .as_array()
        .expect("a product list")
        .iter()
        .filter_map(|p| p["sku"].as_str().map(str::to_owned))
        .take(5)
        .collect();
    for sku in &skus {
        app.set_stock(sku, 1_000_000_000).await;
    }
    for client in 0..concurrency {
        let reply = app.register(&format!("load-{client}")).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let lines = skus.len() as u64;
    let skus = Arc::new(skus);
    let (elapsed, times, errors) = closed_loop(concurrency, duration, move |client, n| {
        let app = app.clone();
        let skus = skus.clone();
        async move {
            let who = Auth::customer(&format!("load-{client}"));
            let cart = app
                .call(
                    Method::POST,
                    "/v1/carts",
                    &who,
                    Some(json!({"currency": "USD"})),
                )
                .await;
            let Some(cart) = cart.body["id"].as_str() else {
                return false;
            };
            for sku in skus.iter() {
                if app.set_line_quantity(&who, cart, sku, 1).await.status != StatusCode::OK {
                    return false;
                }
            }
            let placed = app
                .checkout(
                    &who,
                    &format!("/v1/carts/{cart}"),
                    &format!("load-{client}-{n}"),
                    &shipping_body(),
                )
                .await;
            placed.status == StatusCode::CREATED
        }
    })
    .await;
    summarise(
        &format!("checkout flow (cart, {lines} lines, checkout)"),
        concurrency,
        elapsed,
        times,
        lines + 2,
        errors,
    )
}
