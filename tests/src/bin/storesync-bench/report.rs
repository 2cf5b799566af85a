//! The figures of one `make bench` run, as Markdown for people and JSON for tools.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::cost::{Invocations, Line, Prices, salesforce_daily_limit};
use crate::counts::{Cost, Costs, Units};
use crate::fleet::Subject;
use crate::load::Throughput;
use crate::runtime_api::{ColdStart, Warm};

/// Lambda memory in `template.yaml`.
const MEMORY_MB: f64 = 256.0;
/// Assumed in-region latencies for the cost model's durations (not measured here).
const DYNAMODB_MS: f64 = 8.0;
const SALESFORCE_MS: f64 = 150.0;
/// Assumed share of invocations that start cold.
const COLD_SHARE: f64 = 0.01;
/// Published anchor: Rust on provided.al2023 initialises in about 14 ms on AWS.
const ANCHOR_INIT_MS: f64 = 14.0;
/// Salesforce calls the nightly re-sync of 1,000 failed orders may use.
const BULK_CALLS_GOAL: u64 = 15;
const RSS_GOAL_MIB: f64 = 32.0;
const INIT_RATIO_GOAL: f64 = 1.5;

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub starts: usize,
    pub warm: usize,
    pub load: Duration,
    pub concurrency: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    pub name: String,
    pub runs: u64,
    pub dynamodb_requests: String,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Operations {
    pub store: String,
    pub steps: Vec<Operation>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Binary {
    pub name: String,
    pub reference: String,
    pub event: String,
    /// Run with a changed environment to attribute part of the init; not a function of its own.
    pub variant: bool,
    pub init_ms: Vec<f64>,
    pub first_invocation_ms: Vec<f64>,
    pub outcomes: BTreeMap<String, usize>,
    pub warm_ms: Vec<f64>,
    pub warm_outcome: String,
    pub peak_rss_kib: u64,
    pub bytes: u64,
    pub zipped_bytes: u64,
}

pub struct Results {
    pub settings: Settings,
    pub handlers: Vec<Handler>,
    pub counts: Costs,
    /// The nightly re-sync of failed orders: what it cost, orders asked, orders synced.
    pub bulk_resync: Option<(Cost, usize, usize)>,
    pub binaries: Vec<Binary>,
    pub operations: Vec<Operations>,
    pub throughput: Vec<Throughput>,
    pub elapsed: Duration,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`-th percentile (0..=1) of `values`, nearest rank.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn zipped_size(binary: &Path) -> u64 {
    let dir = std::env::temp_dir().join(format!("storesync-zip-{}", uuid::Uuid::new_v4().simple()));
    let _ = std::fs::create_dir_all(&dir);
    let bootstrap = dir.join("bootstrap");
    let zip = dir.join("bootstrap.zip");
    let size = std::fs::copy(binary, &bootstrap)
        .ok()
        .and_then(|_| {
            std::process::Command::new("zip")
                .args(["-9", "-q", "-j"])
                .arg(&zip)
                .arg(&bootstrap)
                .status()
                .ok()
        })
        .filter(|s| s.success())
        .and_then(|_| std::fs::metadata(&zip).ok())
        .map_or(0, |m| m.len());
    let _ = std::fs::remove_dir_all(&dir);
    size
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "kernel": kernel,
        "arch": std::env::consts::ARCH,
        "rustc": rustc,
        "date": chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
    })
}

/// One criterion benchmark of `benchmarks/handlers`, read from `target/criterion`.
#[derive(Debug, Clone, Serialize)]
pub struct Handler {
    pub name: String,
    pub median_us: f64,
    pub mean_us: f64,
    pub mean_low_us: f64,
    pub mean_high_us: f64,
    pub allocations: Value,
}

/// The handlers' criterion results and allocation counts, if the `handlers` bench ran first.
pub fn handlers() -> Vec<Handler> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion");
    let read = |p: &Path| -> Value {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null)
    };
    let allocations = read(&root.join("allocations.json"));
    let Ok(dirs) = std::fs::read_dir(root.join("handlers")) else {
        return Vec::new();
    };
    let mut found: Vec<Handler> = dirs
        .filter_map(Result::ok)
        .filter_map(|d| {
            let meta = read(&d.path().join("new/benchmark.json"));
            let estimates = read(&d.path().join("new/estimates.json"));
            let name = meta["function_id"].as_str()?.to_owned();
            let us = |v: &Value| v.as_f64().unwrap_or(0.0) / 1000.0;
            Some(Handler {
                median_us: us(&estimates["median"]["point_estimate"]),
                mean_us: us(&estimates["mean"]["point_estimate"]),
                mean_low_us: us(&estimates["mean"]["confidence_interval"]["lower_bound"]),
                mean_high_us: us(&estimates["mean"]["confidence_interval"]["upper_bound"]),
                allocations: allocations[&name].clone(),
                name,
            })
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn usd(v: f64) -> String {
    if v >= 100.0 {
        format!("${v:.0}")
    } else if v >= 1.0 {
        format!("${v:.2}")
    } else {
        format!("${v:.4}")
    }
}

impl Results {
    pub fn new(settings: Settings) -> Results {
        Results {
            settings,
            handlers: handlers(),
            counts: Costs::default(),
            bulk_resync: None,
            binaries: Vec::new(),
            operations: Vec::new(),
            throughput: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn binary(&mut self, subject: &Subject) -> &mut Binary {
        let name = &subject.function.name;
        if let Some(i) = self.binaries.iter().position(|b| &b.name == name) {
            return &mut self.binaries[i];
        }
        self.binaries.push(Binary {
            name: name.clone(),
            reference: subject.reference.to_owned(),
            event: subject.event_file.to_owned(),
            variant: subject.variant,
            ..Binary::default()
        });
        self.binaries.last_mut().expect("just pushed")
    }

    pub fn cold_start(&mut self, subject: &Subject, start: ColdStart) {
        let b = self.binary(subject);
        b.init_ms.push(ms(start.init));
        b.first_invocation_ms.push(ms(start.first_invocation));
        *b.outcomes.entry(start.outcome).or_default() += 1;
    }

    pub fn warm(&mut self, subject: &Subject, warm: Warm) {
        let b = self.binary(subject);
        b.warm_ms = warm.invocations.iter().copied().map(ms).collect();
        b.warm_outcome = warm.last_outcome;
        b.peak_rss_kib = warm.peak_rss_kib;
    }

    pub fn size(&mut self, subject: &Subject) {
        let binary = subject.function.binary.clone();
        let b = self.binary(subject);
        b.bytes = std::fs::metadata(&binary).map_or(0, |m| m.len());
        b.zipped_bytes = zipped_size(&binary);
    }

    fn find(&self, name: &str) -> Option<&Binary> {
        self.binaries.iter().find(|b| b.name == name)
    }

    fn functions(&self) -> impl Iterator<Item = (&Binary, &Binary)> {
        self.binaries
            .iter()
            .filter(|b| b.name != b.reference && !b.variant && !b.name.starts_with("hello-"))
            .filter_map(|b| self.find(&b.reference).map(|r| (b, r)))
    }

    fn embedded_p50(&self, step: &str) -> f64 {
        self.operations
            .iter()
            .find(|o| o.store == "embedded")
            .and_then(|o| o.steps.iter().find(|s| s.name == step))
            .map_or(1.0, |s| s.p50_ms)
    }

    fn init_p50(&self, name: &str) -> f64 {
        self.find(name).map_or(0.0, |b| percentile(&b.init_ms, 0.5))
    }

    /// The AWS bill of one order: a known customer's four-line cart (five storefront
    /// requests), its checkout, the card payment's webhook, and the sync of its two events.
    pub fn bill(&self) -> (Vec<Line>, Vec<Invocations>) {
        let c = &self.counts;
        let duration = |cost: &Cost, own_ms: f64| {
            own_ms
                + cost.dynamodb_total() as f64 * DYNAMODB_MS
                + cost.salesforce as f64 * SALESFORCE_MS
        };
        let per = |cost: &Cost, n: f64| Cost {
            dynamodb: cost
                .dynamodb
                .iter()
                .map(|(k, v)| (k.clone(), (*v as f64 / n).round() as u64))
                .collect(),
            salesforce: (cost.salesforce as f64 / n).round() as u64,
            ..Cost::default()
        };
        let cold_ms = |name: &str| self.init_p50(name) * COLD_SHARE;
        let invocations = vec![
            Invocations {
                function: "checkout (cart and lines)",
                per_order: 5.0,
                billed_ms: duration(&per(&c.cart, 5.0), self.embedded_p50("set cart line"))
                    + cold_ms("checkout"),
                memory_mb: MEMORY_MB,
            },
            Invocations {
                function: "checkout (checkout)",
                per_order: 1.0,
                billed_ms: duration(&c.checkout, self.embedded_p50("checkout"))
                    + cold_ms("checkout"),
                memory_mb: MEMORY_MB,
            },
            Invocations {
                function: "payment-webhook",
                per_order: 1.0,
                billed_ms: duration(&c.webhook, self.embedded_p50("payment webhook (succeeded)"))
                    + cold_ms("payment-webhook"),
                memory_mb: MEMORY_MB,
            },
            Invocations {
                function: "order-events (placed, paid)",
                per_order: 2.0,
                billed_ms: duration(&per(&c.known_order_sync, 2.0), 1.0) + cold_ms("order-events"),
                memory_mb: MEMORY_MB,
            },
        ];
        let units = [&c.cart, &c.checkout, &c.webhook, &c.known_order_sync]
            .iter()
            .fold(Units::default(), |a, c| Units {
                read: a.read + c.capacity.read,
                write: a.write + c.capacity.write,
            });
        let requests: f64 = invocations.iter().map(|i| i.per_order).sum();
        let gb_s: f64 = invocations.iter().map(Invocations::gb_seconds).sum();
        let lines = vec![
            Line::new(
                "API Gateway HTTP API",
                7.0,
                "request",
                Prices::HTTP_API_REQUEST,
            ),
            Line::new(
                "Lambda requests",
                requests,
                "invocation",
                Prices::LAMBDA_REQUEST,
            ),
            Line::new(
                "Lambda arm64 duration",
                gb_s,
                "GB-s",
                Prices::LAMBDA_ARM_GB_SECOND,
            ),
            Line::new(
                "DynamoDB on-demand writes",
                units.write,
                "WRU",
                Prices::DYNAMODB_WRITE_UNIT,
            ),
            Line::new(
                "DynamoDB on-demand reads",
                units.read,
                "RRU",
                Prices::DYNAMODB_READ_UNIT,
            ),
            Line::new(
                "SQS FIFO (2 events: send, receive, delete)",
                6.0,
                "request",
                Prices::SQS_FIFO_REQUEST,
            ),
            Line::new(
                "Secrets Manager (order-events cold starts)",
                2.0 * COLD_SHARE,
                "call",
                Prices::SECRETS_MANAGER_CALL,
            ),
            Line::new(
                "SSM SecureString via KMS (webhook cold starts)",
                COLD_SHARE,
                "KMS request",
                Prices::KMS_REQUEST,
            ),
        ];
        (lines, invocations)
    }

    fn per_million(&self) -> f64 {
        self.bill().0.iter().map(|l| l.usd_per_million_orders).sum()
    }

    pub fn json(&self) -> Value {
        let (lines, invocations) = self.bill();
        json!({
            "machine": machine(),
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "settings": {
                "starts": self.settings.starts,
                "warm_invocations": self.settings.warm,
                "load_seconds": self.settings.load.as_secs_f64(),
                "load_concurrency": self.settings.concurrency,
            },
            "binaries": self.binaries,
            "counts": format!("{:#?}", self.counts),
            "bulk_resync": format!("{:#?}", self.bulk_resync),
            "round_trips": {
                "cart_5_requests": cost_json(&self.counts.cart),
                "checkout": cost_json(&self.counts.checkout),
                "webhook": cost_json(&self.counts.webhook),
                "webhook_replay": cost_json(&self.counts.webhook_replay),
                "registration_sync": cost_json(&self.counts.registration_sync),
                "first_order_sync": cost_json(&self.counts.first_order_sync),
                "known_order_sync": cost_json(&self.counts.known_order_sync),
            },
            "handlers": self.handlers,
            "operations": self.operations,
            "throughput": self.throughput,
            "bill_per_million_orders": lines,
            "lambda_per_order": invocations.iter().map(|i| json!({
                "function": i.function, "per_order": i.per_order, "billed_ms": i.billed_ms,
                "memory_mb": i.memory_mb, "gb_seconds": i.gb_seconds(),
            })).collect::<Vec<_>>(),
            "usd_per_million_orders": self.per_million(),
            "prices_date": Prices::DATE,
        })
    }
}

fn cost_json(c: &Cost) -> Value {
    json!({
        "dynamodb": c.dynamodb, "dynamodb_total": c.dynamodb_total(),
        "read_units": c.capacity.read, "write_units": c.capacity.write,
        "salesforce_calls": c.salesforce, "salesforce_records": c.salesforce_records,
    })
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "-".to_owned()
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

impl Results {
    pub fn markdown(&self) -> String {
        let m = machine();
        let mut r = String::new();
        let w = &mut r;
        let _ = writeln!(w, "# storesync benchmark report\n");
        let _ = writeln!(
            w,
            "Generated by `make bench` on {} in {:.0} s. Machine: {}, **{} cores**, {} ({}), {}. \
             Benchmarks, not tests: nothing here fails CI; the deterministic counts of section 4 \
             are also asserted by `tests/tests/costs.rs`. Raw figures: \
             [`results.json`](results.json).\n",
            m["date"].as_str().unwrap_or(""),
            self.elapsed.as_secs_f64(),
            m["cpu"].as_str().unwrap_or(""),
            m["cores"],
            m["arch"].as_str().unwrap_or(""),
            m["kernel"].as_str().unwrap_or(""),
            m["rustc"].as_str().unwrap_or(""),
        );
        self.headline(w);
        self.cold_starts(w);
        self.sizes(w);
        self.handlers_md(w);
        self.round_trips(w);
        self.throughput_md(w);
        self.cost_md(w);
        self.operations_md(w);
        r
    }

    fn headline(&self, w: &mut String) {
        let _ = writeln!(w, "## Headline\n");
        let _ = writeln!(w, "| figure | storesync | reference | ratio | goal |");
        let _ = writeln!(w, "|---|---|---|---|---|");
        for (b, r) in self.functions() {
            let (fb, fr) = (percentile(&b.init_ms, 0.5), percentile(&r.init_ms, 0.5));
            let _ = writeln!(
                w,
                "| cold start: init, median, {} | {fb:.1} ms | {fr:.1} ms ({}) | {} | ≤ {INIT_RATIO_GOAL}: {} |",
                b.name,
                r.name,
                ratio(fb, fr),
                mark(fb <= fr * INIT_RATIO_GOAL)
            );
        }
        for (b, r) in self.functions() {
            let _ = writeln!(
                w,
                "| peak RSS, {} warm invocations, {} | {:.1} MiB | {:.1} MiB ({}) | {} | < {RSS_GOAL_MIB} MiB: {} |",
                b.warm_ms.len(),
                b.name,
                mib(b.peak_rss_kib),
                mib(r.peak_rss_kib),
                r.name,
                ratio(b.peak_rss_kib as f64, r.peak_rss_kib as f64),
                mark(mib(b.peak_rss_kib) < RSS_GOAL_MIB)
            );
        }
        if let Some((b, r)) = self.functions().max_by_key(|(b, _)| b.bytes) {
            let _ = writeln!(
                w,
                "| largest binary, stripped ({}) / zipped | {:.1} MB / {:.1} MB | {:.1} MB / {:.1} MB ({}) | {} | - |",
                b.name,
                mb(b.bytes),
                mb(b.zipped_bytes),
                mb(r.bytes),
                mb(r.zipped_bytes),
                r.name,
                ratio(b.bytes as f64, r.bytes as f64)
            );
        }
        for h in &self.handlers {
            let _ = writeln!(
                w,
                "| warm handler, {} (criterion, embedded store) | {:.0} µs, {} allocations | - | - | - |",
                h.name, h.median_us, h.allocations["median"]
            );
        }
        let c = &self.counts;
        for (label, cost) in [
            (
                "Salesforce API calls, known customer's order (placed + paid)",
                &c.known_order_sync,
            ),
            (
                "Salesforce API calls, new customer's first order (placed + paid)",
                &c.first_order_sync,
            ),
        ] {
            let anchor = 2 * cost.salesforce_records;
            let _ = writeln!(
                w,
                "| {label} | {} | {anchor} (2 per record × {} records written) | {} | ≤ reference: {} |",
                cost.salesforce,
                cost.salesforce_records,
                ratio(cost.salesforce as f64, anchor as f64),
                mark(cost.salesforce <= anchor)
            );
        }
        if let Some((cost, orders, synced)) = &self.bulk_resync {
            let anchor = 2 * cost.salesforce_records;
            let _ = writeln!(
                w,
                "| Salesforce API calls, nightly re-sync of {orders} failed orders ({synced} synced) | {} | {anchor} (2 per record × {} records written) | {} | ≤ {BULK_CALLS_GOAL}: {} |",
                cost.salesforce,
                cost.salesforce_records,
                ratio(cost.salesforce as f64, anchor as f64),
                mark(cost.salesforce <= BULK_CALLS_GOAL && synced == orders)
            );
        }
        let order_requests = c.cart.dynamodb_total()
            + c.checkout.dynamodb_total()
            + c.webhook.dynamodb_total()
            + c.known_order_sync.dynamodb_total();
        let _ = writeln!(
            w,
            "| DynamoDB requests per order end to end (cart, checkout, webhook, sync) | {order_requests} | - | - | asserted in CI |"
        );
        let _ = writeln!(
            w,
            "| AWS cost of 1,000,000 orders (list prices, section 6) | {} | - | - | - |",
            usd(self.per_million())
        );
        for t in &self.throughput {
            let _ = writeln!(
                w,
                "| dev stack throughput, {} ({} clients, {} cores) | {:.0}/s, p99 {:.1} ms | - | - | - |",
                t.what,
                t.concurrency,
                m_cores(),
                t.per_second,
                t.latency_ms[2]
            );
        }
        let _ = writeln!(w);
    }

    fn cold_starts(&self, w: &mut String) {
        let _ = writeln!(
            w,
            "## 1. Cold start\n\nEach release binary (`lto`, `codegen-units = 1`, `strip`) is started \
             {} times, round-robin with the others, by an in-repo Lambda Runtime API on loopback \
             (`tests/src/bin/storesync-bench/runtime_api.rs`) with Lambda's environment plus its own \
             configuration: the table, queue, SSM parameter and Secrets Manager secret in moto \
             (`AWS_ENDPOINT_URL`), Salesforce in the emulator. **init** is exec to the first \
             `GET /runtime/invocation/next` (so it includes reading the SSM parameter for the \
             webhook and the secret for order-events, from moto); **first invocation** is the \
             event handed over to the answer posted, with a real event from `events/`. The \
             references are hello-world `lambda_http` and `lambda_runtime` binaries from \
             `benchmarks/` built with the same profile. Published anchor: Rust on \
             `provided.al2023` initialises in about {ANCHOR_INIT_MS} ms on AWS (community \
             lambda-perf, 2026); local times on this machine are not AWS times, the ratios carry \
             over.\n",
            self.settings.starts
        );
        let _ = writeln!(
            w,
            "| function | event | init p50 ms | init p90 ms | reference init p50 / p90 ms | ratio p50 | goal ≤ {INIT_RATIO_GOAL} | first invocation p50 / p90 ms | first invocations answered |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|");
        for b in &self.binaries {
            let r = self.find(&b.reference).unwrap_or(b);
            let (p50, p90) = (percentile(&b.init_ms, 0.5), percentile(&b.init_ms, 0.9));
            let (r50, r90) = (percentile(&r.init_ms, 0.5), percentile(&r.init_ms, 0.9));
            let outcomes: Vec<String> = b
                .outcomes
                .iter()
                .map(|(o, n)| format!("{n}× {o}"))
                .collect();
            let _ = writeln!(
                w,
                "| {} | `{}` | {p50:.1} | {p90:.1} | {r50:.1} / {r90:.1} ({}) | {} | {} | {:.1} / {:.1} | {} |",
                b.name,
                b.event,
                r.name,
                ratio(p50, r50),
                if b.name.starts_with("hello-") || b.variant {
                    "-"
                } else {
                    mark(p50 <= r50 * INIT_RATIO_GOAL)
                },
                percentile(&b.first_invocation_ms, 0.5),
                percentile(&b.first_invocation_ms, 0.9),
                outcomes.join(", ")
            );
        }
        let (compiled, stock) = (
            self.init_p50("hello-dynamodb"),
            self.init_p50(crate::fleet::STOCK_SDK),
        );
        if stock > 0.0 {
            let files = std::fs::read_dir("/etc/ssl/certs").map_or(0, Iterator::count);
            let _ = writeln!(
                w,
                "\nRoot certificates: the SDK's stock loader (and reqwest's platform verifier, \
                 which the Salesforce client used) reads the system's trust store when the client \
                 is built, the bundle and every file of `/etc/ssl/certs` ({files} entries on this \
                 machine). The functions trust the Mozilla roots compiled into the binary instead \
                 (`storesync_runtime::aws`, and `tls_certs_only` in the Salesforce client). The \
                 same SDK-only function, started both ways in this run: {stock:.1} ms with the \
                 stock loader, {compiled:.1} ms with compiled-in roots ({:.1} ms saved per cold \
                 start on this machine; Amazon Linux 2023 keeps its roots in a few bundle files, \
                 so on AWS the saving is likely smaller, not measured there).",
                stock - compiled
            );
        }
        if let Some(sdk) = self.find("hello-dynamodb") {
            let _ = writeln!(
                w,
                "\n`hello-dynamodb` (`benchmarks/hello-dynamodb`) builds only the AWS \
                 configuration and a DynamoDB client at init, as each storesync function does, \
                 and answers every event with a constant: it starts in {:.1} ms and its binary \
                 is {:.1} MB. That is the part of each function's init and size that is the AWS \
                 SDK with its TLS stack (rustls on aws-lc-rs, one stack: no second TLS library \
                 is linked), before any storesync code.",
                percentile(&sdk.init_ms, 0.5),
                mb(sdk.bytes)
            );
            let sdk_init = percentile(&sdk.init_ms, 0.5);
            let against: Vec<String> = self
                .functions()
                .map(|(b, _)| {
                    let init = percentile(&b.init_ms, 0.5);
                    format!(
                        "{} {:+.1} ms ({} ×)",
                        b.name,
                        init - sdk_init,
                        ratio(init, sdk_init)
                    )
                })
                .collect();
            let _ = writeln!(
                w,
                "\nAgainst it, each function's init median: {}. What storesync adds on top of \
                 the SDK is its own reads at init: the webhook's SSM parameter, and the \
                 Salesforce credentials secret that order-events and scheduled-sync read from \
                 Secrets Manager to build their Salesforce client (here from moto on loopback).",
                against.join("; ")
            );
        }
        let _ = writeln!(w);
    }

    fn sizes(&self, w: &mut String) {
        let _ = writeln!(
            w,
            "## 2. Size and memory\n\nStripped release binary and the deployment zip (`zip -9` of \
             `bootstrap`), {arch}; peak RSS is `VmHWM` after one cold start and {} warm \
             invocations of the same event (what the warm invocations did is in the last column). \
             aarch64 (the template's architecture) is not measured: the `aarch64-unknown-linux-gnu` \
             target and a cross linker are not installed on this machine.\n",
            self.settings.warm,
            arch = std::env::consts::ARCH,
        );
        let _ = writeln!(
            w,
            "| function | binary MB | zip MB | reference binary / zip MB | ratio (binary) | peak RSS MiB | reference RSS MiB | goal < {RSS_GOAL_MIB} MiB | warm p50 / p99 ms | warm invocations answered |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|---|");
        for b in self.binaries.iter().filter(|b| !b.variant) {
            let r = self.find(&b.reference).unwrap_or(b);
            let _ = writeln!(
                w,
                "| {} | {:.2} | {:.2} | {:.2} / {:.2} ({}) | {} | {:.1} | {:.1} | {} | {:.2} / {:.2} | {} |",
                b.name,
                mb(b.bytes),
                mb(b.zipped_bytes),
                mb(r.bytes),
                mb(r.zipped_bytes),
                r.name,
                ratio(b.bytes as f64, r.bytes as f64),
                mib(b.peak_rss_kib),
                mib(r.peak_rss_kib),
                mark(mib(b.peak_rss_kib) < RSS_GOAL_MIB),
                percentile(&b.warm_ms, 0.5),
                percentile(&b.warm_ms, 0.99),
                b.warm_outcome
            );
        }
        if let (Some(runtime), Some(sdk)) =
            (self.find("hello-runtime"), self.find("hello-dynamodb"))
        {
            let over_sdk: Vec<String> = self
                .functions()
                .map(|(b, _)| format!("{} +{:.2} MB", b.name, mb(b.bytes) - mb(sdk.bytes)))
                .collect();
            let _ = writeln!(
                w,
                "\nWhat the size is: `hello-runtime` is the Lambda runtime client and tokio \
                 ({:.2} MB). `hello-dynamodb` adds the AWS SDK's configuration and credential \
                 chain, one DynamoDB client and the TLS stack: +{:.2} MB, the larger part of every \
                 function. Over it, each function adds its own code and its other clients: SQS; SSM \
                 for the webhook; Secrets Manager and Salesforce for order-events; and for \
                 scheduled-sync, which runs every job, Secrets Manager, SSM, Salesforce and \
                 Stripe: {}. One TLS stack (rustls on aws-lc-rs) and one HTTP/1 and HTTP/2 client \
                 (hyper) serve the SDK, Salesforce and Stripe clients alike; logs are \
                 filtered by `tracing_subscriber::filter::Targets`, so no regex engine is linked.",
                mb(runtime.bytes),
                mb(sdk.bytes) - mb(runtime.bytes),
                over_sdk.join(", ")
            );
        }
        let _ = writeln!(w);
    }

    fn handlers_md(&self, w: &mut String) {
        let _ = writeln!(
            w,
            "## 3. Warm handler cost (criterion)\n\n`benchmarks/handlers/benches/handlers.rs`, \
             run by `make bench` from the release build, on the embedded store: the checkout of a five-line \
             cart and a signed `payment_intent.succeeded` webhook through the storefront router \
             without a network, and the sync of a known customer's order (its placed and paid \
             events: 2 Salesforce calls) to the Salesforce emulator over loopback HTTP, a fresh \
             emulator for each run so its growing record store does not weigh on the figure. \
             Each operation is set up untimed (a new cart, a new order, new events) and timed \
             alone. Allocations are counted by a counting global allocator over 50 runs of \
             each; for the sync they include the in-process emulator's own work on those two \
             calls.\n"
        );
        if self.handlers.is_empty() {
            let _ = writeln!(
                w,
                "Not measured in this run: the `handlers` bench did not run before the report \
                 (`make bench` runs it).\n"
            );
            return;
        }
        let _ = writeln!(
            w,
            "| operation | median µs | mean µs (95% CI) | allocations, median (min–max) |"
        );
        let _ = writeln!(w, "|---|---|---|---|");
        for h in &self.handlers {
            let a = &h.allocations;
            let _ = writeln!(
                w,
                "| {} | {:.1} | {:.1} ({:.1}–{:.1}) | {} ({}–{}) |",
                h.name,
                h.median_us,
                h.mean_us,
                h.mean_low_us,
                h.mean_high_us,
                a["median"],
                a["min"],
                a["max"]
            );
        }
        let _ = writeln!(w);
    }

    fn round_trips(&self, w: &mut String) {
        let c = &self.counts;
        let _ = writeln!(
            w,
            "## 4. Round trips that cost money (counted, not timed)\n\nOne customer on DynamoDB \
             (moto) and a fresh Salesforce emulator: registers, fills a four-line cart (the whole \
             demo catalog), checks out, pays by webhook (then the webhook is replayed), then a \
             second order; the sync runs after each step. DynamoDB request counts are asserted \
             in `tests/tests/costs.rs`, Salesforce calls per order in \
             `tests/tests/crm_reliability.rs`. Request units are estimated from the request \
             bodies (writes: 1 per KB of each item put, sized by its JSON, which overstates \
             DynamoDB's own item size; updates counted as 1; ×2 in a transaction; reads: 1 per \
             item, strongly consistent up to 4 KB). Reference: \
             connectors that look up then write each object spend about 2 Salesforce calls per \
             record.\n"
        );
        if let Some((cost, orders, synced)) = &self.bulk_resync {
            let _ = writeln!(
                w,
                "Bulk: {orders} known customers' orders that failed while Salesforce was down \
                 (on the embedded store), sent again by the nightly re-sync: {} Salesforce \
                 calls for {synced} orders synced and {} records written, as Composite Graph \
                 payloads of up to 75 graphs (500 nodes, 15 node types) each.\n",
                cost.salesforce, cost.salesforce_records
            );
        }
        let _ = writeln!(
            w,
            "| step | DynamoDB requests | est. RRU / WRU | Salesforce calls | Salesforce records written | reference calls (2 per record) | ratio |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|---|---|");
        for (label, cost) in [
            ("new cart and 4 lines (5 requests)", &c.cart),
            ("checkout (4-line cart)", &c.checkout),
            ("payment webhook (succeeded)", &c.webhook),
            ("payment webhook replayed", &c.webhook_replay),
            ("sync: a registration", &c.registration_sync),
            (
                "sync: new customer's first order (placed + paid)",
                &c.first_order_sync,
            ),
            (
                "sync: known customer's order (placed + paid)",
                &c.known_order_sync,
            ),
        ] {
            let anchor = 2 * cost.salesforce_records;
            let _ = writeln!(
                w,
                "| {label} | {} | {:.0} / {:.0} | {} | {} | {} | {} |",
                cost.dynamodb_detail(),
                cost.capacity.read,
                cost.capacity.write,
                cost.salesforce,
                cost.salesforce_records,
                if anchor > 0 {
                    anchor.to_string()
                } else {
                    "-".to_owned()
                },
                ratio(cost.salesforce as f64, anchor as f64)
            );
        }
        let _ = writeln!(w);
    }

    fn throughput_md(&self, w: &mut String) {
        let _ = writeln!(
            w,
            "## 5. Throughput of the dev stack\n\nAn in-repo closed-loop load generator \
             (`tests/src/bin/storesync-bench/load.rs`): {} clients, each sending its next request \
             when the last is answered, for {} s, against the dev stack's router on the embedded \
             store over loopback HTTP, release build. The generator and the stack share the \
             process and the machine's {} cores, so these are lower bounds of the stack alone.\n",
            self.settings.concurrency,
            self.settings.load.as_secs(),
            m_cores()
        );
        let _ = writeln!(
            w,
            "| load | operations/s | HTTP requests/s | p50 ms | p90 ms | p99 ms | max ms | operations | errors |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|");
        for t in &self.throughput {
            let _ = writeln!(
                w,
                "| {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |",
                t.what,
                t.per_second,
                t.requests_per_second,
                t.latency_ms[0],
                t.latency_ms[1],
                t.latency_ms[2],
                t.latency_ms[3],
                t.operations,
                t.errors
            );
        }
        let _ = writeln!(w);
    }

    fn cost_md(&self, w: &mut String) {
        let (lines, invocations) = self.bill();
        let total = self.per_million();
        let _ = writeln!(
            w,
            "## 6. Cost model: one million orders\n\nOne order: a known customer's four-line cart \
             (5 storefront requests), its checkout, the card payment's webhook, and the sync of its \
             two events (placed, paid), with the counts of section 4. Prices: {}. Lambda: arm64, \
             {MEMORY_MB} MB (the template), billed per ms; duration = the handler's own time \
             (measured on the embedded store, section 7) + {DYNAMODB_MS} ms per DynamoDB request \
             + {SALESFORCE_MS} ms per Salesforce call (assumed in-region latencies, not measured \
             here) + {:.0}% of invocations paying the measured init (Lambda bills init since \
             2025-08). Free tiers, data transfer and storage are left out.\n",
            Prices::DATE,
            COLD_SHARE * 100.0
        );
        let _ = writeln!(
            w,
            "| function | invocations per order | billed ms each | GB-s per order |"
        );
        let _ = writeln!(w, "|---|---|---|---|");
        for i in &invocations {
            let _ = writeln!(
                w,
                "| {} | {} | {:.0} | {:.5} |",
                i.function,
                i.per_order,
                i.billed_ms.ceil(),
                i.gb_seconds()
            );
        }
        let _ = writeln!(
            w,
            "\n| service | per order | unit | unit price | per 1,000,000 orders |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|");
        for l in &lines {
            let _ = writeln!(
                w,
                "| {} | {:.4} | {} | ${:.10} | {} |",
                l.service,
                l.quantity_per_order,
                l.unit,
                l.unit_price_usd,
                usd(l.usd_per_million_orders)
            );
        }
        let _ = writeln!(w, "| **total** | | | | **{}** |\n", usd(total));
        let sweep = 43_200.0
            * ((self.counts.webhook_replay.dynamodb_total() as f64 * DYNAMODB_MS).max(1.0)
                / 1000.0
                * MEMORY_MB
                / 1024.0
                * Prices::LAMBDA_ARM_GB_SECOND
                + Prices::LAMBDA_REQUEST
                + Prices::DYNAMODB_READ_UNIT);
        let _ = writeln!(
            w,
            "The cost grows linearly with orders; the fixed part is small: the outbox sweep \
             (every minute, 43,200 runs a month, about {}/month), the Salesforce secret \
             ($0.40/month) and the SQS event source's empty polls.\n",
            usd(sweep)
        );
        let _ = writeln!(w, "| orders a month | AWS cost a month |");
        let _ = writeln!(w, "|---|---|");
        for n in [10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0] {
            let _ = writeln!(w, "| {n:.0} | {} |", usd(sweep + 0.40 + total * n / 1e6));
        }
        let licences = 10;
        let limit = salesforce_daily_limit(licences);
        let known = self.counts.known_order_sync.salesforce;
        let new =
            self.counts.first_order_sync.salesforce + self.counts.registration_sync.salesforce;
        let _ = writeln!(
            w,
            "\nSalesforce: an Enterprise Edition org with {licences} user licences may make \
             {limit} API calls a day (100,000 + 1,000 per licence). A known customer's order \
             costs {known} calls; a new customer's registration and first order {new}.\n"
        );
        let _ = writeln!(
            w,
            "| orders a day | share of the daily limit, known customers | share, all new customers |"
        );
        let _ = writeln!(w, "|---|---|---|");
        for n in [100u64, 1_000, 10_000, 50_000] {
            let _ = writeln!(
                w,
                "| {n} | {:.1}% | {:.1}% |",
                (n * known) as f64 * 100.0 / limit as f64,
                (n * new) as f64 * 100.0 / limit as f64
            );
        }
        let _ = writeln!(w);
    }

    fn operations_md(&self, w: &mut String) {
        let _ = writeln!(
            w,
            "## 7. Latency per storefront operation\n\n60 shoppers each register, fill a cart (2 \
             lines, a discount code), check out and repeat the checkout with the same key; half \
             pay by webhook (then replay it), half cancel. One request at a time over loopback \
             HTTP through the real routers, release build. DynamoDB times are against moto on \
             loopback, so only the request counts carry over to AWS; the embedded-store times \
             show the service's own overhead.\n"
        );
        for ops in &self.operations {
            let _ = writeln!(w, "### {}\n", ops.store);
            let _ = writeln!(
                w,
                "| operation | runs | DynamoDB requests per run | p50 ms | p95 ms |"
            );
            let _ = writeln!(w, "|---|---|---|---|---|");
            for s in &ops.steps {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {:.2} | {:.2} |",
                    s.name, s.runs, s.dynamodb_requests, s.p50_ms, s.p95_ms
                );
            }
            let _ = writeln!(w);
        }
    }
}

fn m_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
