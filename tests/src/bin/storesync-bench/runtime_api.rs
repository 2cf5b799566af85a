//! A Lambda Runtime API on loopback: starts a function's release binary as Lambda does
//! (`provided.al2023`: the executable, the runtime's environment, `AWS_LAMBDA_RUNTIME_API`),
//! and times its init (exec to the first `GET /runtime/invocation/next`), its first invocation
//! and warm invocations, and reads its peak RSS (`VmHWM`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};

const PATIENCE: Duration = Duration::from_secs(30);

/// A function as Lambda would run it.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub binary: PathBuf,
    /// The function's own configuration (the runtime's variables are added).
    pub env: Vec<(String, String)>,
    /// The event of every invocation.
    pub event: String,
}

/// One cold start.
#[derive(Debug, Clone)]
pub struct ColdStart {
    pub init: Duration,
    pub first_invocation: Duration,
    /// What the first invocation answered, e.g. `HTTP 200` or `error: ...`.
    pub outcome: String,
}

/// Warm invocations after a cold start.
#[derive(Debug, Clone)]
pub struct Warm {
    pub invocations: Vec<Duration>,
    pub peak_rss_kib: u64,
    pub last_outcome: String,
}

struct Reply {
    at: Instant,
    outcome: String,
}

struct Api {
    events: Mutex<mpsc::UnboundedReceiver<String>>,
    nexts: mpsc::UnboundedSender<Instant>,
    replies: mpsc::UnboundedSender<Reply>,
    counter: std::sync::atomic::AtomicU64,
}

async fn next(State(api): State<Arc<Api>>) -> impl IntoResponse {
    let _ = api.nexts.send(Instant::now());
    let Some(event) = api.events.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let n = api
        .counter
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut headers = HeaderMap::new();
    let deadline = chrono::Utc::now().timestamp_millis() + 10_000;
    let pairs = [
        ("lambda-runtime-aws-request-id", format!("bench-{n:08}")),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bench".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
        ),
    ];
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_str(&value).expect("ascii"));
    }
    (StatusCode::OK, headers, event)
}

fn describe(ok: bool, body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if !ok {
        let kind = value["errorType"].as_str().unwrap_or("unknown");
        let message: String = value["errorMessage"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(80)
            .collect();
        return format!("error: {kind}: {message}");
    }
    if let Some(status) = value["statusCode"].as_u64() {
        let body: Value = value["body"]
            .as_str()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        return match body["outcome"].as_str() {
            Some(outcome) => format!("HTTP {status} {outcome}"),
            None => format!("HTTP {status}"),
        };
    }
    if let Some(failures) = value["batchItemFailures"].as_array() {
        return format!("{} batch item failures", failures.len());
    }
    let text = String::from_utf8_lossy(body);
    text.chars().take(80).collect()
}

async fn response(State(api): State<Arc<Api>>, body: Bytes) -> StatusCode {
    let _ = api.replies.send(Reply {
        at: Instant::now(),
        outcome: describe(true, &body),
    });
    StatusCode::ACCEPTED
}

async fn error(State(api): State<Arc<Api>>, body: Bytes) -> StatusCode {
    let _ = api.replies.send(Reply {
        at: Instant::now(),
        outcome: describe(false, &body),
    });
    StatusCode::ACCEPTED
}

/// The function's output: appended to `$BENCH_LOGS/<name>.log` when set, else dropped.
fn log(name: &str) -> Stdio {
    std::env::var_os("BENCH_LOGS")
        .and_then(|dir| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(PathBuf::from(dir).join(format!("{name}.log")))
                .ok()
        })
        .map_or_else(Stdio::null, Stdio::from)
}

/// One function process under a fresh Runtime API.
pub struct Run {
    child: Child,
    started: Instant,
    events: mpsc::UnboundedSender<String>,
    nexts: mpsc::UnboundedReceiver<Instant>,
    replies: mpsc::UnboundedReceiver<Reply>,
    server: tokio::task::JoinHandle<()>,
    event: String,
}

impl Run {
    /// Starts a Runtime API on a free port and execs the function against it.
    pub async fn start(function: &Function) -> Run {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (nexts_tx, nexts_rx) = mpsc::unbounded_channel();
        let (replies_tx, replies_rx) = mpsc::unbounded_channel();
        let api = Arc::new(Api {
            events: Mutex::new(events_rx),
            nexts: nexts_tx,
            replies: replies_tx,
            counter: Default::default(),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(error))
            .with_state(api);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        // Without TCP_NODELAY each call can wait ~40 ms for a delayed ACK.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let runtime_env = [
            ("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}")),
            ("AWS_LAMBDA_FUNCTION_NAME", function.name.clone()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", function.name),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/12/01/[$LATEST]bench".to_owned(),
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_SESSION_TOKEN", "test".to_owned()),
            ("LAMBDA_TASK_ROOT", "/var/task".to_owned()),
            ("_HANDLER", "bootstrap".to_owned()),
            ("TZ", ":UTC".to_owned()),
            ("PATH", "/usr/local/bin:/usr/bin:/bin".to_owned()),
        ];
        let mut command = Command::new(&function.binary);
        command
            .env_clear()
            .envs(runtime_env)
            .envs(function.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(log(&function.name))
            .stderr(log(&function.name));
        let started = Instant::now();
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", function.binary.display()));
        Run {
            child,
            started,
            events: events_tx,
            nexts: nexts_rx,
            replies: replies_rx,
            server,
            event: function.event.clone(),
        }
    }

    /// Waits for the function to ask for work; `Err` if its init failed instead.
    async fn ready(&mut self) -> Result<Instant, String> {
        tokio::select! {
            at = self.nexts.recv() => at.ok_or_else(|| "the runtime API stopped".to_owned()),
            reply = self.replies.recv() => Err(reply.map(|r| r.outcome).unwrap_or_default()),
            status = exited(&mut self.child) => Err(format!("exited during init: {status}")),
        }
    }

    /// Hands the function its event; the time until it answers, and what it answered.
    async fn invoke(&mut self) -> (Duration, String) {
        let pushed = Instant::now();
        let _ = self.events.send(self.event.clone());
        match tokio::time::timeout(PATIENCE, self.replies.recv()).await {
            Ok(Some(reply)) => (reply.at.saturating_duration_since(pushed), reply.outcome),
            _ => (pushed.elapsed(), "no reply".to_owned()),
        }
    }

    /// Init and the first invocation.
    pub async fn cold_start(&mut self) -> ColdStart {
        let ready = tokio::time::timeout(PATIENCE, self.ready())
            .await
            .unwrap_or_else(|_| Err("no init within 30 s".to_owned()));
        match ready {
            Ok(at) => {
                let init = at.saturating_duration_since(self.started);
                let (first_invocation, outcome) = self.invoke().await;
                ColdStart {
                    init,
                    first_invocation,
                    outcome,
                }
            }
            Err(outcome) => ColdStart {
                init: self.started.elapsed(),
                first_invocation: Duration::ZERO,
                outcome: format!("init failed: {outcome}"),
            },
        }
    }

    /// `n` more invocations, each once the function asks for work; then its peak RSS.
    pub async fn warm(&mut self, n: usize) -> Warm {
        let mut invocations = Vec::with_capacity(n);
        let mut last_outcome = String::new();
        for _ in 0..n {
            if tokio::time::timeout(PATIENCE, self.ready()).await.is_err() {
                last_outcome = "not ready".to_owned();
                break;
            }
            let (took, outcome) = self.invoke().await;
            invocations.push(took);
            last_outcome = outcome;
        }
        Warm {
            invocations,
            peak_rss_kib: self.peak_rss_kib(),
            last_outcome,
        }
    }

    /// `VmHWM` of the process: the most resident memory it has held.
    pub fn peak_rss_kib(&self) -> u64 {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.server.abort();
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn exited(child: &mut Child) -> std::process::ExitStatus {
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
