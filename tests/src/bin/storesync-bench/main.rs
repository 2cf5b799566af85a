//! `make bench`: what each storefront and payment operation costs, in DynamoDB requests (what
//! AWS bills) and in time over loopback, against the embedded store and DynamoDB (moto).
//! Writes a Markdown report (default `benchmarks/REPORT.md`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
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

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "benchmarks/REPORT.md".into());
    let mut report = String::new();
    let _ = writeln!(report, "# storesync benchmark report\n");
    let _ = writeln!(
        report,
        "Generated by `make bench` on {} ({} cores). {ORDERS} shoppers each register, fill a cart \
         (2 lines, a discount code), check out and repeat the checkout with the same key; half \
         pay by webhook (then replay it), half cancel. Times are one request at a time over \
         loopback HTTP through the real routers, release build. DynamoDB times are \
         against moto on loopback, so only the **request counts** carry over to AWS (they are \
         what DynamoDB bills); the embedded-store times show the service's own overhead.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    );
    for backend in [Backend::embedded().await, Backend::dynamodb().await] {
        let (name, steps) = run(backend).await;
        let _ = writeln!(report, "## {name}\n");
        let _ = writeln!(
            report,
            "| operation | runs | DynamoDB requests per run | p50 ms | p95 ms |"
        );
        let _ = writeln!(report, "|---|---|---|---|---|");
        for (op, step) in steps {
            let _ = writeln!(
                report,
                "| {op} | {} | {} | {} | {} |",
                step.runs,
                step.requests_per_run(),
                ms(step.percentile(0.5)),
                ms(step.percentile(0.95)),
            );
        }
        let _ = writeln!(report);
    }
    std::fs::write(&out, &report).expect("the report is written");
    println!("{report}");
    println!("written to {out}");
}
