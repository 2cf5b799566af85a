//! `make bench`: what decides whether a store runs storesync, each figure next to a reference
//! measured in the same run: cold start and memory of the release binaries under a local Lambda
//! Runtime API (against hello-world functions built with the same profile), binary sizes, the
//! DynamoDB requests and Salesforce calls each order costs, per-operation latency, throughput of
//! the dev stack, and the AWS bill for a million orders. Writes `benchmarks/REPORT.md` and the
//! raw figures as `benchmarks/results.json`. Needs the release binaries (`make bench` builds
//! them) and a moto server (`STORESYNC_MOTO_URL`, as `tools/with-moto.sh` sets).
//!
//! `BENCH_STARTS`, `BENCH_WARM`, `BENCH_LOAD_SECS` and `BENCH_CONCURRENCY` shorten a trial run;
//! `BENCH_LOGS=<dir>` keeps each function's output in `<dir>/<name>.log`.

mod cost;
mod counts;
mod fleet;
mod load;
mod report;
mod runtime_api;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use storesync_devstack::DEV_STRIPE_SECRET;
use storesync_tests::app::shipping_body;
use storesync_tests::payments::{payment_intent, stripe_event};
use storesync_tests::{Auth, Backend, TestApp};

const ORDERS: usize = 60;

#[derive(Default)]
struct Step {
    times: Vec<Duration>,
    requests: BTreeMap<String, u64>,
    runs: u64,
}

impl Step {
    fn requests_per_run(&self) -> String {
        if self.requests.is_empty() {
            return "-".into();
        }
        let total: u64 = self.requests.values().sum();
        let detail: Vec<String> = self
            .requests
            .iter()
            .map(|(op, n)| format!("{op} {}", fmt_ratio(*n, self.runs)))
            .collect();
        format!("{} ({})", fmt_ratio(total, self.runs), detail.join(", "))
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.times.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

fn fmt_ratio(n: u64, runs: u64) -> String {
    if n.is_multiple_of(runs) {
        format!("{}", n / runs)
    } else {
        format!("{:.2}", n as f64 / runs as f64)
    }
}

struct Measure<'a> {
    app: &'a TestApp,
    steps: BTreeMap<&'static str, Step>,
    order: Vec<&'static str>,
}

impl Measure<'_> {
    async fn step<F, Fut, T>(&mut self, name: &'static str, f: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        if let Some(counter) = self.app.backend.request_counter() {
            counter.reset();
        }
        let start = Instant::now();
        let out = f().await;
        let elapsed = start.elapsed();
        if !self.order.contains(&name) {
            self.order.push(name);
        }
        let step = self.steps.entry(name).or_default();
        step.times.push(elapsed);
        step.runs += 1;
        if let Some(counter) = self.app.backend.request_counter() {
            for (op, n) in counter.by_operation() {
                *step.requests.entry(op).or_default() += n;
            }
        }
        out
    }
}

async fn run(backend: Backend) -> (String, Vec<(&'static str, Step)>) {
    let name = backend.name().to_owned();
    let app = TestApp::spawn(backend).await;
    app.set_stock("MUG-WHT", 100_000).await;
    app.set_stock("STICKER-PACK", 100_000).await;
    let mut m = Measure {
        app: &app,
        steps: BTreeMap::new(),
        order: Vec::new(),
    };
    for i in 0..ORDERS {
        let who = Auth::customer(&format!("bench-{i}"));
        let customer = format!("bench-{i}");
        let reply = m
            .step("register customer", || app.register(&customer))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
        let cart = m
            .step("create cart", || {
                app.call(
                    Method::POST,
                    "/v1/carts",
                    &who,
                    Some(json!({"currency": "USD"})),
                )
            })
            .await;
        let cart = cart.body["id"].as_str().unwrap().to_owned();
        for sku in ["MUG-WHT", "STICKER-PACK"] {
            let r = m
                .step("set cart line", || {
                    app.set_line_quantity(&who, &cart, sku, 2)
                })
                .await;
            assert_eq!(r.status, StatusCode::OK);
        }
        let discount = format!("/v1/carts/{cart}/discount");
        m.step("apply discount", || {
            app.call(
                Method::PUT,
                &discount,
                &who,
                Some(json!({"code": "WELCOME10"})),
            )
        })
        .await;
        let body = shipping_body();
        let path = format!("/v1/carts/{cart}");
        let placed = m
            .step("checkout", || app.checkout(&who, &path, "bench", &body))
            .await;
        assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
        let replay = m
            .step("checkout replay (same key)", || {
                app.checkout(&who, &path, "bench", &body)
            })
            .await;
        assert_eq!(replay.status, StatusCode::CREATED);
        let order_id = placed.body["id"].as_str().unwrap().to_owned();
        let total = placed.body["totals"]["total"]["minor_units"]
            .as_i64()
            .unwrap();
        if i % 2 == 0 {
            let event = stripe_event(
                &format!("evt_bench_{i}"),
                "payment_intent.succeeded",
                payment_intent(&format!("pi_{i}"), &order_id, total, "usd"),
            );
            let now = chrono::Utc::now().timestamp();
            let r = m
                .step("payment webhook (succeeded)", || {
                    app.stripe_webhook(&event, DEV_STRIPE_SECRET, now)
                })
                .await;
            assert_eq!(r.body["outcome"], "applied");
            let r = m
                .step("payment webhook replay", || {
                    app.stripe_webhook(&event, DEV_STRIPE_SECRET, now)
                })
                .await;
            assert_eq!(r.body["outcome"], "replayed");
        } else {
            let cancel = format!("/v1/orders/{order_id}/cancel");
            let r = m
                .step("cancel order", || {
                    app.call(Method::POST, &cancel, &who, None)
                })
                .await;
            assert_eq!(r.status, StatusCode::OK);
        }
        let get = format!("/v1/orders/{order_id}");
        m.step("get order", || app.get(&get, &who)).await;
        m.step("list own orders", || app.get("/v1/orders", &who))
            .await;
    }
    let mut steps = m.steps;
    let ordered = m
        .order
        .iter()
        .map(|n| (*n, steps.remove(n).unwrap()))
        .collect();
    (name, ordered)
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "benchmarks/REPORT.md".into());
    let settings = report::Settings {
        starts: setting("BENCH_STARTS", 20) as usize,
        warm: setting("BENCH_WARM", 1000) as usize,
        load: Duration::from_secs(setting("BENCH_LOAD_SECS", 30)),
        concurrency: setting("BENCH_CONCURRENCY", 32) as usize,
    };
    let started = Instant::now();
    let mut results = report::Results::new(settings.clone());

    eprintln!("counting round trips per order");
    results.counts = counts::measure().await;
    eprintln!("the nightly re-sync of 1,000 failed orders");
    let (cost, synced) = counts::bulk_resync(1_000).await;
    results.bulk_resync = Some((cost, 1_000, synced));

    eprintln!("cold starts, memory and sizes of the release binaries");
    let emulator = storesync_sf_emulator::Emulator::start()
        .await
        .expect("the Salesforce emulator starts");
    let subjects = fleet::fleet(&storesync_tests::moto::endpoint(), &emulator).await;
    for round in 0..settings.starts {
        for subject in &subjects {
            let mut run = runtime_api::Run::start(&subject.function).await;
            let start = run.cold_start().await;
            run.stop().await;
            if round == 0 {
                eprintln!("  {}: {:?}", subject.function.name, start);
            }
            results.cold_start(subject, start);
        }
    }
    for subject in subjects.iter().filter(|s| !s.variant) {
        let mut run = runtime_api::Run::start(&subject.function).await;
        run.cold_start().await;
        let warm = run.warm(settings.warm).await;
        run.stop().await;
        eprintln!(
            "  {}: peak RSS {} KiB after {} warm invocations ({})",
            subject.function.name,
            warm.peak_rss_kib,
            warm.invocations.len(),
            warm.last_outcome
        );
        results.warm(subject, warm);
        results.size(subject);
    }
    drop(emulator);

    eprintln!("latency per storefront operation");
    for backend in [Backend::embedded().await, Backend::dynamodb().await] {
        let (name, steps) = run(backend).await;
        results.operations.push(report::Operations {
            store: name,
            steps: steps
                .into_iter()
                .map(|(op, step)| report::Operation {
                    name: op.to_owned(),
                    runs: step.runs,
                    dynamodb_requests: step.requests_per_run(),
                    p50_ms: step.percentile(0.5).as_secs_f64() * 1000.0,
                    p95_ms: step.percentile(0.95).as_secs_f64() * 1000.0,
                })
                .collect(),
        });
    }

    eprintln!("throughput of the dev stack");
    let app = std::sync::Arc::new(TestApp::spawn(Backend::embedded().await).await);
    results
        .throughput
        .push(load::products(app, settings.concurrency, settings.load).await);
    let app = std::sync::Arc::new(TestApp::spawn(Backend::embedded().await).await);
    results
        .throughput
        .push(load::checkouts(app, settings.concurrency, settings.load).await);

    results.elapsed = started.elapsed();
    let markdown = results.markdown();
    std::fs::write(&out, &markdown).expect("the report is written");
    let json_path = std::path::Path::new(&out).with_file_name("results.json");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&results.json()).expect("json"),
    )
    .expect("the raw results are written");
    println!("{markdown}");
    println!("written to {out} and {}", json_path.display());
}
